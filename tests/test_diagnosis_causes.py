"""Every failure explained by its real cause, first (issue 10).

Each test grades a small realistic submission (mutants of the reference in the forms
public CS231n-style solutions use; trusted code, graded in process) and checks that
the first message of the failed items names the cause, in both languages, and that
consequences do not pose as causes."""

from __future__ import annotations

import pytest
from support import grade_fast, mistakes_of, mutant

from grader.checks.causes import exercise_cause
from grader.i18n import LANGS, render

R = "rnn_layers.py"


def exercise(result, name):
    return next(e for e in result.exercises if e.exercise.name == name)


def failed(result, name=None):
    return [c for e in result.exercises if name is None or e.exercise.name == name for c in e.results
            if c.status == "failed"]


def first(check, lang="en") -> str:
    return render(check.messages[0], lang)


# ------------------------------------------------------------------ used-up caches
POP = {
    "rnn": ("rnn_step_backward(dh[:, t] + dprev_h, caches[t])", "rnn_step_backward(dh[:, t] + dprev_h, caches.pop())"),
    "lstm": ("lstm_step_backward(dh[:, t] + dprev_h, dprev_c, caches[t])",
             "lstm_step_backward(dh[:, t] + dprev_h, dprev_c, caches.pop())"),
}


@pytest.mark.parametrize("layer", list(POP))
def test_a_backward_that_pops_its_cache_is_told_it_used_up_its_cache(tmp_path, layer):
    result = grade_fast(mutant(tmp_path / "m", {R: [POP[layer]]}), layer)
    (item,) = failed(result)
    assert item.kind == "mutation" and item.mistakes == ["10"]
    assert "used up its cache" in first(item) and "caches.pop()" in first(item)
    assert "用掉" in first(item, "zh")
    assert "IndexError" in first(item)  # what Python said is kept, inside the cause
    assert render(exercise_cause(exercise(result, layer)), "en") == first(item)
    assert not any(m.key == "hint.mutation" for m in item.messages)  # not "compute new arrays"


# ------------------------------------------------------------------ float32
FLOAT32_STEP = ("    H = prev_h.shape[1]\n    a = x @ Wx + prev_h @ Wh + b\n",
                "    x, prev_h, prev_c, Wx, Wh, b = (v.astype(np.float32) for v in (x, prev_h, prev_c, Wx, Wh, b))\n"
                "    H = prev_h.shape[1]\n    a = x @ Wx + prev_h @ Wh + b\n")


# Official hidden inputs are drawn from the student's id and the submission's content
# (grader.seed.inputs_seed), so whether a float32 result lands within the tolerance of
# a comparison depends on the draw: each float32 test grades its mutant on several
# draws (ids) and asserts what must hold on every one, and that the draw-dependent
# branches (the forward's own value item failing, or passing by luck) both occur.
DRAWS = ("test-student", *(f"draw-{k}" for k in range(23)))
# What a failed or pending item of a float32 function may open with: the cause, or (a
# side item of a function none of whose results are right, policy rule 6) that consequence:
# since the report branch, such an item is not counted yet (pending), no longer failed.
PRECISION_FIRST = {"diagnosis.low_precision", "diagnosis.low_precision_gradient", "diagnosis.pending_low_precision"}
GATED = "policy.side_final"  # official grades here: the final wording of policy rule 6


def reasons(step) -> list:
    """The exercise's notes of items not counted yet, but side items waiting only for
    their function's results (policy rule 6: a consequence, said after the causes)."""
    keys = [n.params["reason"].key for n in step.notes]
    assert keys == sorted(keys, key=lambda k: k == GATED)  # the consequences after the causes
    return [n for n in step.notes if n.params["reason"].key != GATED]


def _float32_draws(root, exercise_name: str = "lstm_step"):
    """(result, exercise, its forward value item) on every draw, each checked for what
    must hold whatever the draw: the exercise loses points, only mistake 31 is named,
    its first cause says float32 in both languages, every item that does not pass opens
    with the cause (or the gated side item's consequence), and no item poses a
    numerical-gradient disagreement or state kept between calls as the cause."""
    for student in DRAWS:
        result = grade_fast(root, exercise_name, student=student)
        step = exercise(result, exercise_name)
        assert step.points < step.max_points and mistakes_of(result) == {"31"}, student
        for lang in LANGS:
            assert "float32" in render(exercise_cause(step), lang), (student, lang)
        for c in step.results:
            if c.status != "passed":
                assert c.messages and (c.messages[0].key in PRECISION_FIRST or c.messages[0].key == GATED), \
                    (student, c.id, [render(m, "en") for m in c.messages])
        texts = [render(m, "en") for c in step.results for m in c.messages]
        assert not any("disagrees with the numerical gradient" in t or "later call" in t for t in texts), \
            (student, texts)
        yield result, step, next(c for c in step.results if c.id == f"{exercise_name}.forward")


def test_float32_arithmetic_is_named_once_first_instead_of_every_comparison(tmp_path):
    forward_failed = forward_passed = 0
    for _, step, forward in _float32_draws(mutant(tmp_path / "m", {R: [FLOAT32_STEP]})):
        if forward.status == "failed":
            forward_failed += 1
            for lang in LANGS:
                assert "float32" in first(forward, lang) and "31" in first(forward, lang)
            assert sum("float32" in render(m, "en") for m in forward.messages) == 1  # once
        else:
            forward_passed += 1  # within the tolerance on its own inputs, by the luck of the draw
        # The backward's items wait for the forward, and the reason says why, once, first:
        # precision (float32 outputs are never taken as a right forward to judge a backward on).
        # (A passed side item of a forward with no right result waits too, for its own reason.)
        assert len(reasons(step)) == 1 and "float32" in render(step.notes[0], "en")
        assert all(c.status == "pending" for c in step.results if c.func == "lstm_step_backward"
                   and c.status != "passed")
        assert not any(c.status == "failed" for c in step.results if c.func == "lstm_step_backward")
    assert forward_failed and forward_passed, (forward_failed, forward_passed)


def test_float32_inside_a_function_with_float64_results_is_found_by_its_rounding(tmp_path):
    # Gates computed in float32 and cached; every result is float64 again.
    root = mutant(tmp_path / "m", {R: [("    a = x @ Wx + prev_h @ Wh + b\n    s = 0.5",
                                        "    a = (x @ Wx + prev_h @ Wh + b).astype(np.float32)\n    s = 0.5")]})
    by_rounding = 0
    for result, _, forward in _float32_draws(root):
        wrong = failed(result)
        assert all(c.mistakes == ["31"] and "float32" in first(c) for c in wrong if c.messages[0].key != GATED)
        if forward.status == "failed":
            # Its outputs are float64 and no float32 numbers: only the rounding probe can tell.
            assert forward.mistakes == ["31"] and forward.messages[0].key == "diagnosis.low_precision"
            by_rounding += 1
    assert by_rounding


def test_float32_results_converted_back_to_float64_are_recognised(tmp_path):
    back = ("    return next_h, next_c, cache", "    return next_h.astype(np.float64), next_c.astype(np.float64), cache")
    forward_failed = 0
    for _, step, forward in _float32_draws(mutant(tmp_path / "m", {R: [FLOAT32_STEP, back]})):
        if forward.status == "failed":
            forward_failed += 1
            assert "31" in forward.mistakes and "float32" in first(forward)
        # Recognised on every draw, its own value item failing or not: the backward waits
        # for a forward whose float64 outputs are all float32 numbers, and says so.
        assert len(reasons(step)) == 1 and "float32" in render(step.notes[0], "en")
    assert forward_failed


def test_a_correct_float64_result_is_never_called_float32():
    from grader.checks.precision import low_precision

    rng = __import__("numpy").random.default_rng(0)
    assert low_precision(rng.standard_normal((4, 5))) is None
    assert low_precision(rng.standard_normal((4, 5)).astype("float32")) == "float32"
    assert low_precision(rng.standard_normal((4, 5)).astype("float32").astype(float)) == "float32"
    assert low_precision(__import__("numpy").array([0.0, 1.0, -2.0, 3.0])) is None  # integers prove nothing
    assert low_precision(__import__("numpy").array([1.0, 2.0, 3.0]), expected=__import__("numpy").array([1.5, 2.5, 3.5])) == "integers"
    assert low_precision(__import__("numpy").array([1.0, 0.0, 1.0]), expected=__import__("numpy").array([0.3, -2.5, 1.7])) is None


# ------------------------------------------------------------------ shapes
def test_shape_messages_say_what_is_true(tmp_path):
    root = mutant(tmp_path / "m", {"layers.py": [("    dx = (dout @ w.T).reshape(x.shape)\n", "    dx = dout @ w.T\n")]})
    result = grade_fast(root, "affine")
    item = next(c for c in result.checks if c.id == "affine.backward_4d")
    texts = [render(m, "en") for m in item.messages]
    assert any("has shape (4, 12), expected (4, 2, 3, 2)" in t for t in texts), texts
    assert not any("(1, D) is not (D,)" in t for t in texts), texts
    assert any("reshape it to (4, 2, 3, 2)" in t for t in texts)
    assert "29" in item.mistakes
    row = next(r for r in item.details["outputs"] if r["name"] == "dx")
    assert row["problem"] == "shape" and row["rel_error"] is None  # no "worst relative error 0"


def test_keepdims_shapes_still_say_keepdims(tmp_path):
    root = mutant(tmp_path / "m", {"stability.py": [("dgamma = (dout * x_hat).sum(axis=0)",
                                                      "dgamma = (dout * x_hat).sum(axis=0, keepdims=True)")]})
    result = grade_fast(root, "batchnorm")
    item = next(c for c in result.checks if c.id == "bn.grad.dgamma")
    assert "25" in item.mistakes
    text = " ".join(render(m, "en") for m in item.messages)
    assert "keepdims" in text and "(1, D) is not (D,)" in text


def test_a_transposed_weight_gradient_shape_names_the_transposed_weight(tmp_path):
    root = mutant(tmp_path / "m", {"layers.py": [("    dw = x.reshape(x.shape[0], -1).T @ dout\n",
                                                   "    dw = dout.T @ x.reshape(x.shape[0], -1)\n")]})
    result = grade_fast(root, "affine")
    item = next(c for c in result.checks if c.id == "affine.grad.dw")
    assert "33" in item.mistakes
    assert "transposed" in first(item) or any("transposed" in render(m, "en") for m in item.messages)


def test_every_message_renders_in_both_languages(tmp_path):
    result = grade_fast(mutant(tmp_path / "m", {R: [POP["rnn"]]}), "rnn")
    for c in result.checks:
        for m in c.messages:
            for lang in LANGS:
                assert render(m, lang).strip()


# ------------------------------------------------------------------ the first message is the cause
S = "stability.py"
# (exercise, edits, the mistake that must open the exercise's feedback): the items,
# in the forms public solutions write them.
FIRST_CAUSE = {
    "bptt pops its cache": ("lstm", {R: [POP["lstm"]]}, "10"),
    "float32 lstm step": ("lstm_step", {R: [FLOAT32_STEP]}, "31"),
    "eps in the running variance": ("batchnorm", {S: [("running_var = momentum * running_var + (1 - momentum) * var",
                                                      "running_var = momentum * running_var + (1 - momentum) * (var + eps)")]},
                                    "24"),
    "test mode sqrt(var) + eps": ("batchnorm", {S: [("x_hat = (x - running_mean) / np.sqrt(running_var + eps)",
                                                     "x_hat = (x - running_mean) / (np.sqrt(running_var) + eps)")]}, "24"),
    "sigmoid' of the pre-activation": ("sigmoid", {"layers.py": [("    out[~pos] = ex / (1.0 + ex)\n    return out, out\n",
                                                                 "    out[~pos] = ex / (1.0 + ex)\n    return out, x\n")]},
                                       "6"),
    "running mean (1, D)": ("batchnorm", {S: [("        mean = x.mean(axis=0)\n", "        mean = x.mean(axis=0)[None, :]\n")]},
                            "25"),
    "cache read in another order": ("batchnorm", {S: [("    x_hat, std, gamma = cache\n",
                                                       "    x_hat, gamma, std = cache\n")]}, "28"),
    "gru gate order": ("gru_step", {R: [("    r, z = s[:, :H], s[:, H:]\n", "    z, r = s[:, :H], s[:, H:]\n")]}, "2"),
    "lstm drops the h carry": ("lstm", {R: [("lstm_step_backward(dh[:, t] + dprev_h, dprev_c, caches[t])",
                                             "lstm_step_backward(dh[:, t], dprev_c, caches[t])")]}, "7"),
    "affine without b": ("affine", {"layers.py": [("    out = x.reshape(x.shape[0], -1) @ w + b\n",
                                                   "    out = x.reshape(x.shape[0], -1) @ w\n")]}, "32"),
    "prev_h @ Wh.T": ("rnn_step", {R: [("next_h = np.tanh(x @ Wx + prev_h @ Wh + b)",
                                        "next_h = np.tanh(x @ Wx + prev_h @ Wh.T + b)")]}, "33"),
    "x @ Wx.T": ("rnn_step", {R: [("next_h = np.tanh(x @ Wx + prev_h @ Wh + b)",
                                   "next_h = np.tanh(x @ Wx.T + prev_h @ Wh + b)")]}, "33"),
    "softmax over the batch": ("losses", {"layers.py": [
        ("    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))\n",
         "    log_probs = shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))\n")]}, "34"),
    "db averaged": ("affine", {"layers.py": [("    db = dout.sum(axis=0)\n", "    db = dout.mean(axis=0)\n")]}, "35"),
}


# What failed, without why: never the first message of an item whose cause is known.
WHAT_FAILED = {"value.mismatch", "value.nonfinite", "value.shape", "value.not_array", "value.missing_output",
               "gradient.mismatch", "gradient.shape", "gradient.missing", "gradient.where", "gradient.blocks",
               "backward.mismatch", "call.error", "check.needs_correct_values", "policy.side_waits",
               "check.builds_on"}


@pytest.mark.parametrize("case", list(FIRST_CAUSE))
def test_the_first_message_of_the_failed_exercise_is_its_cause(tmp_path, case):
    name, edits, mistake = FIRST_CAUSE[case]
    result = grade_fast(mutant(tmp_path / "m", edits), name)
    ex = exercise(result, name)
    assert ex.points < ex.max_points and mistake in mistakes_of(result)
    cause = exercise_cause(ex)
    assert cause is not None and _cause(cause), (case, render(cause, "en"))
    # Every failed item that names the mistake opens with a cause, not with what failed.
    for c in failed(result, name):
        if mistake in c.mistakes:
            assert _cause(c.messages[0]), (c.id, render(c.messages[0], "en"))
            for lang in LANGS:
                assert render(c.messages[0], lang).strip()


def _cause(m) -> bool:
    """A message that states why (a named mistake's text, a probe's finding, a cause of
    the diagnosis), not only what failed."""
    if m.key == "policy.pending_note":
        return _cause(m.params["reason"])
    return m.key not in WHAT_FAILED and m.key != "policy.pending_forward"


def test_a_forward_that_fails_when_called_again_says_so(tmp_path):
    from support import reference_plus

    # A global memory of the inputs it saw breaks a second call with the same x (state kept).
    root = reference_plus(tmp_path / "m", """
        _seen = set()
        _relu = relu_forward

        def relu_forward(x):
            key = x.tobytes()
            if key in _seen:
                raise RuntimeError("seen before")
            _seen.add(key)
            return _relu(x)
    """)
    result = grade_fast(root, "relu")
    item = next(c for c in result.checks if c.id == "relu.forward_mutation")
    assert item.status == "failed" and "a second time" in first(item)


@pytest.mark.parametrize("edits,name,mistake,argument", [
    ({"layers.py": [("    out = x.reshape(x.shape[0], -1) @ w + b\n", "    out = x.reshape(x.shape[0], -1) @ w\n")]},
     "affine", "32", "b"),
    ({R: [("ah = prev_h @ Wh + bh", "ah = prev_h @ Wh")]}, "gru_step", "32", "bh"),
    ({R: [("next_h = np.tanh(x @ Wx + prev_h @ Wh + b)", "next_h = np.tanh(x @ Wx + prev_h @ Wh.T + b)")]},
     "rnn_step", "33", "Wh"),
], ids=["affine-b", "gru-bh", "rnn-Wh.T"])
def test_a_self_check_names_the_forgotten_bias_and_the_transposed_weight(tmp_path, edits, name, mistake, argument):
    from support import exercises_named

    from grader.api import grade

    result = grade(mutant(tmp_path / "m", edits), exercises=exercises_named(name), trusted_in_process=True, strict=True)
    assert not result.official and mistakes_of(result) == {mistake}
    forward = next(c for c in result.checks if c.kind == "value" and mistake in c.mistakes)
    for lang in LANGS:
        assert f" {argument} " in f" {first(forward, lang)} ".replace("：", " ").replace(":", " ")


def test_a_self_check_links_a_composites_failures_to_their_causes(tmp_path):
    from support import exercises_named

    from grader.api import grade

    # mse_loss divides by N twice; the network uses it. dprev_c lacks f; lstm_backward uses it.
    root = mutant(tmp_path / "m", {"layers.py": [("    return float(0.5 * np.sum(err**2) / n), -err / n\n",
                                                   "    return float(0.5 * np.sum(err**2) / n), -err / n / n\n")],
                                   R: [("dprev_c = dc * f", "dprev_c = dc")]})
    result = grade(root, exercises=exercises_named("losses", "net", "lstm_step", "lstm"), trusted_in_process=True,
                   strict=True)
    net_value = next(c for c in result.checks if c.id == "net.sigmoid_mse.value")
    # The network's own code is right (an official grade, with the reference's mse_loss, gives it
    # full marks): in a self-check it is told to fix its building block first, and is not
    # charged with the block's mistake 21 (tryout finding 4); the block names it.
    assert net_value.status == "failed" and net_value.messages[0].key == "check.builds_on"
    assert "21" not in net_value.mistakes
    assert any("21" in c.mistakes for c in failed(result, "losses"))
    lstm = [c for c in failed(result, "lstm") if c.kind != "mutation"]
    assert lstm and all(c.messages[0].key == "check.builds_on" for c in lstm)  # fix the step first
