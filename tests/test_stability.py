"""The training-stability exercises: clipping, initialisation, L2, batch norm and
the residual block. Every check passes on the reference and on two differently
written correct submissions, and fails on mutants that make the mistakes of
course/mistakes.md (15-31), which the feedback names."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from support import SOLUTIONS, failed_ids, grade_fast, mistakes_of, mutant, statuses

from grader import paths
from grader.i18n import has, render
from grader.specs import stability as spec

EXERCISES = ("clip", "init", "l2", "batchnorm", "residual")
IMPLEMENTATIONS = Path(__file__).parent / "implementations" / "stability"
F = "stability.py"


def grade(path: Path, *names: str):
    """Trusted code (the reference, its mutants, correct alternatives): in this process."""
    return grade_fast(path, *(names or EXERCISES))


# ------------------------------------------------------------------ full marks
def test_reference_gets_full_marks():
    result = grade(SOLUTIONS)
    assert result.max_score > 40
    assert result.score == result.max_score, failed_ids(result)
    assert {c.exercise for c in result.checks} == set(EXERCISES)


def test_stubs_get_zero_and_say_not_implemented():
    result = grade(paths.EXERCISES)
    assert result.score == 0
    texts = [render(m, "en") for c in result.checks for m in c.messages]
    assert any("not implemented" in t for t in texts)


@pytest.mark.parametrize("style", ["graph_style", "compact_style"])
def test_alternative_correct_implementations_pass(style):
    result = grade(IMPLEMENTATIONS / style)
    assert result.score == result.max_score, failed_ids(result)


# --------------------------------------------------------------------- mutants
# (name, edits of solutions/stability.py, exercise, check ids that must fail, the catalogued mistakes it
# makes: exactly those are named)
MUTANTS = [
    # clipping
    ("per-element clip", [("clipped = [g * scale for g in grads]",
                           "clipped = [np.clip(g, -max_norm, max_norm) for g in grads]")],
     "clip", {"clip.above", "clip.value"}, {"15"}),
    ("per-tensor clip", [("clipped = [g * scale for g in grads]",
                          "clipped = [g * min(1.0, max_norm / np.linalg.norm(g)) for g in grads]")],
     "clip", {"clip.above", "clip.value"}, {"16"}),
    ("always rescale", [("scale = max_norm / total_norm if total_norm > max_norm else 1.0",
                         "scale = max_norm / total_norm")], "clip", {"clip.below"}, {"17"}),
    ("norm after clipping returned", [("return clipped, total_norm", "return clipped, min(total_norm, max_norm)")],
     "clip", {"clip.above", "clip.value"}, set()),
    ("clip in place", [("clipped = [g * scale for g in grads]",
                        "clipped = grads\n    for g in grads:\n        g *= scale")],
     "clip", {"clip.mutation"}, {"10"}),
    ("clip with a wrong direction", [("clipped = [g * scale for g in grads]",
                                      "clipped = [g * scale * (1 + 0.5 * (i == 0)) for i, g in enumerate(grads)]")],
     "clip", {"clip.above", "clip.value"}, set()),
    # initialisation
    ("xavier by fan-out", [('"xavier": np.sqrt(1.0 / fan_in)', '"xavier": np.sqrt(1.0 / fan_out)')],
     "init", {"init.xavier"}, {"18"}),
    ("he by fan-out", [('"he": np.sqrt(2.0 / fan_in)', '"he": np.sqrt(2.0 / fan_out)')],
     "init", {"init.he", "init.fan_in"}, {"18"}),
    ("transposed weights", [("W = rng.standard_normal((fan_in, fan_out))", "W = rng.standard_normal((fan_out, fan_in))")],
     "init", {"init.small", "init.xavier", "init.he", "init.symmetry"}, {"18"}),
    ("zero weights", [("W = rng.standard_normal((fan_in, fan_out)) * scales[method]",
                       "W = np.zeros((fan_in, fan_out)) * scales[method]")],
     "init", {"init.small", "init.xavier", "init.he", "init.symmetry"}, {"19"}),
    ("identical rows", [("W = rng.standard_normal((fan_in, fan_out)) * scales[method]",
                         "W = np.tile(rng.standard_normal((1, fan_out)), (fan_in, 1)) * scales[method]")],
     "init", {"init.symmetry"}, {"19"}),
    ("xavier with the factor 2", [('"xavier": np.sqrt(1.0 / fan_in)', '"xavier": np.sqrt(2.0 / fan_in)')],
     "init", {"init.xavier"}, set()),
    ("global numpy random state", [("rng = np.random.default_rng(rng)", "rng = np.random.default_rng()")],
     "init", {"init.reproducible"}, set()),
    ("biases not zero", [("b = np.zeros(fan_out)", "b = np.full(fan_out, 0.01)")],
     "init", {"init.small", "init.xavier", "init.he"}, set()),
    # L2
    ("gradient 2 reg W", [("grads[name] = reg * value", "grads[name] = 2 * reg * value")],
     "l2", {"l2.value", "l2.grad.grads['W1']", "l2.grad.grads['W2']"}, {"20"}),
    ("biases regularised", [('if name.startswith("W"):', "if True:")],
     "l2", {"l2.value", "l2.not_weights"}, {"20"}),
    ("loss without one half", [("loss += 0.5 * reg * float", "loss += reg * float")],
     "l2", {"l2.value"}, {"20"}),
    # batch norm
    ("unbiased variance", [("var = x.var(axis=0)", "var = x.var(axis=0, ddof=1)")],
     "batchnorm", {"bn.train"}, {"23"}),
    ("eps outside the root", [("std = np.sqrt(var + eps)", "std = np.sqrt(var) + eps")],
     "batchnorm", {"bn.train"}, {"24"}),
    ("eps missing", [("std = np.sqrt(var + eps)", "std = np.sqrt(var)")], "batchnorm", {"bn.train"}, {"24"}),
    ("keepdims dgamma", [("dgamma = (dout * x_hat).sum(axis=0)", "dgamma = (dout * x_hat).sum(axis=0, keepdims=True)")],
     "batchnorm", {"bn.grad.dgamma", "bn.backward"}, {"25"}),
    ("keepdims running mean", [("mean = x.mean(axis=0)", "mean = x.mean(axis=0, keepdims=True)")],
     "batchnorm", {"bn.train"}, {"25"}),
    ("test mode without gamma and beta",
     [("x_hat = (x - running_mean) / np.sqrt(running_var + eps)\n        out = gamma * x_hat + beta",
       "x_hat = (x - running_mean) / np.sqrt(running_var + eps)\n        out = x_hat")],
     "batchnorm", {"bn.test"}, {"26"}),
    ("test mode with batch statistics",
     [("x_hat = (x - running_mean) / np.sqrt(running_var + eps)",
       "x_hat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)")], "batchnorm", {"bn.test"}, set()),
    ("momentum reversed", [("running_mean = momentum * running_mean + (1 - momentum) * mean",
                            "running_mean = (1 - momentum) * running_mean + momentum * mean"),
                           ("running_var = momentum * running_var + (1 - momentum) * var",
                            "running_var = (1 - momentum) * running_var + momentum * var")],
     "batchnorm", {"bn.train", "bn.momentum"}, {"27"}),
    ("cache layouts disagree", [("cache = (x_hat, std, gamma)", "cache = (x_hat, std, gamma, x)")],
     "batchnorm", {"bn.backward", "bn.grad.dx"}, {"28"}),
    ("dbeta divided by N", [("dbeta = dout.sum(axis=0)", "dbeta = dout.sum(axis=0) / N")],
     "batchnorm", {"bn.grad.dbeta", "bn.backward"}, {"35"}),
    ("float32 batch norm", [("mean = x.mean(axis=0)", "x = x.astype(np.float32)\n        mean = x.mean(axis=0)")],
     "batchnorm", {"bn.train"}, {"31"}),
    ("x normalised in place", [("x_hat = (x - mean) / std", "x -= mean\n        x_hat = x / std")],
     "batchnorm", {"bn.mutation_forward"}, {"10"}),
    ("running statistics not stored", [('bn_param["running_mean"] = running_mean\n', "")],
     "batchnorm", {"bn.train", "bn.momentum"}, set()),
    # residual block
    ("no identity in backward", [("dx = ds + da @ W1.T", "dx = da @ W1.T")],
     "residual", {"res.identity_backward", "res.backward", "res.grad.dx"}, {"30"}),
    ("no identity in forward", [("s = x + hidden @ W2 + b2", "s = hidden @ W2 + b2")],
     "residual", {"res.forward", "res.identity_forward"}, {"30"}),
    ("db1 over the wrong axis", [("db1 = da.sum(axis=0)", "db1 = da.sum(axis=1)")],
     "residual", {"res.grad.db1", "res.backward"}, {"29"}),
    ("residual cache mismatch", [("return out, (x, W1, W2, a, hidden, s)", "return out, (x, W1, W2, a, hidden)")],
     "residual", {"res.backward", "res.identity_backward"}, {"28"}),
    ("upstream gradient modified", [("ds = dout * (s > 0)", "ds = dout\n    ds[s <= 0] = 0")],
     "residual", {"res.mutation"}, {"10"}),
    # ---- found in students' code (issue 10)
    ("eps in the running variance", [("running_var = momentum * running_var + (1 - momentum) * var",
                                      "running_var = momentum * running_var + (1 - momentum) * (var + eps)")],
     "batchnorm", {"bn.train", "bn.momentum"}, {"24"}),
    ("eps added to var before both uses", [("        std = np.sqrt(var + eps)\n", "        var = var + eps\n        std = np.sqrt(var)\n")],
     "batchnorm", {"bn.train", "bn.momentum"}, {"24"}),
    ("test mode eps outside the root", [("x_hat = (x - running_mean) / np.sqrt(running_var + eps)",
                                         "x_hat = (x - running_mean) / (np.sqrt(running_var) + eps)")],
     "batchnorm", {"bn.test"}, {"24"}),
    ("test mode without eps", [("x_hat = (x - running_mean) / np.sqrt(running_var + eps)",
                                "x_hat = (x - running_mean) / np.sqrt(running_var)")], "batchnorm", {"bn.test"}, {"24"}),
    ("running mean reshaped to (1, D)", [("        running_mean = momentum * running_mean + (1 - momentum) * mean\n",
                                          "        running_mean = momentum * running_mean + (1 - momentum) * mean.reshape(1, -1)\n")],
     "batchnorm", {"bn.train", "bn.momentum"}, {"25"}),
    ("statistics per sample, keepdims", [("        mean = x.mean(axis=0)\n        var = x.var(axis=0)\n",
                                          "        mean = x.mean(axis=1, keepdims=True)\n        var = x.var(axis=1, keepdims=True)\n")],
     "batchnorm", {"bn.train"}, {"34"}),
    ("statistics per sample", [("        mean = x.mean(axis=0)\n        var = x.var(axis=0)\n",
                                "        mean = x.mean(axis=1)\n        var = x.var(axis=1)\n")],
     "batchnorm", {"bn.train", "bn.grad.dx"}, {"34"}),
    ("cache read in another order (no error)", [("    x_hat, std, gamma = cache\n", "    x_hat, gamma, std = cache\n")],
     "batchnorm", {"bn.backward", "bn.grad.dx"}, {"28"}),
    ("residual cache read in another order", [("    x, W1, W2, a, hidden, s = cache\n", "    x, W1, W2, hidden, a, s = cache\n")],
     "residual", {"res.backward", "res.grad.dW2"}, {"28"}),
    ("residual without b1 (32)", [("    a = x @ W1 + b1\n", "    a = x @ W1\n")], "residual", {"res.forward"}, {"32"}),
    ("residual x @ W1.T (33)", [("    a = x @ W1 + b1\n", "    a = x @ W1.T + b1\n")], "residual", {"res.forward"}, {"33"}),
    ("residual db1 averaged (35)", [("db1 = da.sum(axis=0)", "db1 = da.mean(axis=0)")],
     "residual", {"res.backward", "res.grad.db1"}, {"35"}),
    ("float32 residual block (31)", [("    a = x @ W1 + b1\n", "    x, W1, W2 = x.astype(np.float32), W1.astype(np.float32), W2.astype(np.float32)\n    a = x @ W1 + b1\n")],
     "residual", {"res.backward"}, {"31"}),
]


@pytest.mark.parametrize("name,edits,exercise,must_fail,must_name", MUTANTS, ids=[m[0] for m in MUTANTS])
def test_mutant_fails_and_names_the_mistake(tmp_path, name, edits, exercise, must_fail, must_name):
    result = grade(mutant(tmp_path, {F: edits}), exercise)
    failed = failed_ids(result)
    assert must_fail <= failed, f"{name}: expected {must_fail} to fail, failed: {failed}"
    # Exactly the catalogued mistakes the mutant makes are named (issue 10): none missed, none invented.
    assert mistakes_of(result) == must_name, f"{name}: named {mistakes_of(result)}, makes {must_name}"
    assert result.score < result.max_score
    for m in mistakes_of(result):  # every named mistake has its texts, in both languages
        assert has(f"mistake.{m}.name") and has(f"mistake.{m}.found")


def test_every_stability_mistake_is_named_by_some_mutant():
    # 21 (a loss gradient divided by N twice) is a loss's: tests/test_bp.py; a batch-norm
    # gradient divided by N is averaged where it must be summed (35).
    named = set().union(*(m[4] for m in MUTANTS))
    assert {"15", "16", "17", "18", "19", "20", "23", "24", "25", "26", "27", "28", "29", "30",
            "31", "10", "32", "33", "34", "35"} <= named


def test_per_element_clipping_feedback_names_np_clip(tmp_path):
    result = grade(mutant(tmp_path, {F: MUTANTS[0][1]}), "clip")
    check = next(c for c in result.checks if c.id == "clip.above")
    assert check.mistakes == ["15"]
    assert "np.clip" in render(check.messages[-1], "en") and "np.clip" in render(check.messages[-1], "zh")


def test_fan_out_feedback_gives_measured_and_expected_spread(tmp_path):
    result = grade(mutant(tmp_path, {F: MUTANTS[6][1]}), "init")
    check = next(c for c in result.checks if c.id == "init.xavier")
    text = " ".join(render(m, "en") for m in check.messages)
    assert "N(0, 0.1^2)" in text and "1000 entries" in text and "fan-out" in text
    assert statuses(result)["init.small"] == "passed"  # only the formula that uses the fan-in fails


# --------------------------------------------------------- statistical checks
def test_tolerance_is_derived_from_the_sample_size():
    lo_small, hi_small = spec.std_interval(1000, 1.0)
    lo_big, hi_big = spec.std_interval(100_000, 1.0)
    assert 0.85 < lo_small < 0.9 and 1.1 < hi_small < 1.15  # about 1 +- 5 / sqrt(2 n)
    assert hi_big - lo_big < (hi_small - lo_small) / 9  # ten times the sqrt of the samples: ten times tighter
    assert abs(spec.variance_z(np.full(1000, 1.0), 1.0)) < 0.05  # ratio 1 is (about) the median


def test_statistical_check_separates_the_formulas_and_accepts_correct_draws():
    inputs = {"shape": (100, 10), "method": "xavier"}
    false_alarms = 0
    for seed in range(300):
        z = np.random.default_rng(seed).standard_normal((100, 10))
        ok, _ = spec.init_statistics((z * 0.1, np.zeros(10)), inputs)
        false_alarms += bool(ok)
        he, _ = spec.init_statistics((z * math.sqrt(0.02), np.zeros(10)), inputs)
        fan_out, mistakes = spec.init_statistics((z * math.sqrt(0.1), np.zeros(10)), inputs)
        assert he and fan_out and mistakes == ["18"]
    assert false_alarms == 0


def test_clip_diagnosis_accepts_equal_norm_and_rejects_wrong_types():
    g = [np.array([3.0, 4.0])]
    assert spec.clip_diagnosis({"grads": g, "max_norm": 5.0}, ([g[0].copy()], 5.0)) == ([], [])
    problems, _ = spec.clip_diagnosis({"grads": g, "max_norm": 5.0}, "nonsense")
    assert problems and problems[0].key == "stability.clip.bad_return"
    problems, _ = spec.clip_diagnosis({"grads": g, "max_norm": 5.0}, ([np.zeros(3)], 5.0))
    assert problems[0].key == "stability.clip.bad_shapes"


def test_cache_error_names_28_only_for_cache_like_errors():
    assert spec.cache_error({"type": "ValueError", "message": "too many values to unpack (expected 3)"})[1] == ["28"]
    assert spec.cache_error({"type": "ZeroDivisionError", "message": "division by zero"}) == ([], [])
