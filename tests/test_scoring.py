"""The scoring policy (docs/scoring.md, issue 9): no point without real work, one
bug charged once, every promise the README makes checked.

Each test grades a small realistic submission; the findings of issue 9 are the
scenarios. They are trusted code, graded in process (tests/test_callers.py shows
the sandbox gives the same verdicts)."""

from __future__ import annotations

from collections import defaultdict

import pytest
from scoring_submissions import DRIFT, STARTER_BATCHNORM, constant_submission
from support import SOLUTIONS, grade_fast, mutant, reference_plus, write_submission

from grader import paths
from grader.i18n import render

EVERY_EXERCISE = ("sigmoid", "tanh", "relu", "affine", "losses", "net", "sgd", "rnn_step", "rnn", "birnn",
                  "lstm_step", "lstm", "gru_step", "gru", "clip", "init", "l2", "batchnorm", "residual")


def by_function(result) -> dict[str, tuple[float, float]]:
    """function -> (points, max points) over every check of that function."""
    out: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for c in result.checks:
        out[c.func][0] += c.points
        out[c.func][1] += c.max_points
    return {f: (round(p, 4), round(m, 4)) for f, (p, m) in out.items()}


def keeps_all(result, func: str) -> bool:
    points, max_points = by_function(result)[func]
    return max_points > 0 and points == max_points


def lost(result) -> list[str]:
    return [f"{c.id}: {c.points}/{c.max_points} {c.status}" for c in result.checks if c.points < c.max_points]


# ------------------------------------------------------------- 1. code that computes nothing
@pytest.mark.parametrize("fill", [0.0, 1.0], ids=["zeros", "constant"])
def test_code_that_computes_nothing_earns_what_the_stubs_earn(tmp_path, fill):
    result = grade_fast(write_submission(tmp_path / "sub", constant_submission(fill)), *EVERY_EXERCISE)
    earned = {e.exercise.name: e.points for e in result.exercises if e.points}
    assert earned == {}, earned
    stubs = grade_fast(paths.EXERCISES, *EVERY_EXERCISE)
    assert result.score == stubs.score == 0


# ------------------------------------------------------------- 2. one bug charged once
def test_affine_forward_without_bias_keeps_its_correct_backward(tmp_path):
    root = mutant(tmp_path / "m", {"layers.py": [("    out = x.reshape(x.shape[0], -1) @ w + b\n",
                                                   "    out = x.reshape(x.shape[0], -1) @ w\n")]})
    result = grade_fast(root, "affine")
    assert keeps_all(result, "affine_backward"), lost(result)
    assert by_function(result)["affine_forward"][0] < by_function(result)["affine_forward"][1]


def test_rnn_step_forward_with_transposed_recurrent_weights_keeps_its_correct_backward(tmp_path):
    root = mutant(tmp_path / "m", {"rnn_layers.py": [("next_h = np.tanh(x @ Wx + prev_h @ Wh + b)",
                                                       "next_h = np.tanh(x @ Wx + prev_h @ Wh.T + b)")]})
    result = grade_fast(root, "rnn_step")
    assert keeps_all(result, "rnn_step_backward"), lost(result)
    assert by_function(result)["rnn_step_forward"][0] < by_function(result)["rnn_step_forward"][1]


def test_a_wrong_lstm_step_backward_does_not_cost_a_correct_lstm_backward(tmp_path):
    root = mutant(tmp_path / "m", {"rnn_layers.py": [("dprev_c = dc * f", "dprev_c = dc")]})
    result = grade_fast(root, "lstm_step", "lstm")
    lstm = next(e for e in result.exercises if e.exercise.name == "lstm")
    assert lstm.points == lstm.max_points, lost(result)
    step = next(e for e in result.exercises if e.exercise.name == "lstm_step")
    assert step.points < step.max_points
    # The feedback says the composite is right and fails only through its building block.
    texts = [render(m, "en") for c in lstm.results for m in c.messages]
    assert any("lstm_step_backward" in t for t in texts), texts


def test_a_loss_with_a_wrong_value_keeps_its_right_gradient(tmp_path):
    """A loss computes its gradient from its inputs, not from a cache: a summed loss
    with a (rightly) averaged gradient loses its value points only."""
    root = mutant(tmp_path / "m", {"layers.py": [("    loss = -log_probs[np.arange(n), y].mean()\n",
                                                   "    loss = -log_probs[np.arange(n), y].sum()\n")]})
    result = grade_fast(root, "losses")
    grad = next(c for c in result.checks if c.id == "softmax.grad.dx")
    assert grad.status == "passed" and grad.details["verdict"] == "right"
    assert next(c for c in result.checks if c.id == "softmax.value").status == "failed"


# ------------------------------------------------------------- 3. every promise checked
@pytest.mark.parametrize("func,edits", [
    ("relu_forward", {"layers.py": [("    return np.maximum(0.0, x), x\n",
                                     "    out = x\n    out[out < 0] = 0\n    return out, x.copy()\n")]}),
    ("softmax_loss", {"layers.py": [("    shifted = x - x.max(axis=1, keepdims=True)\n",
                                     "    x -= x.max(axis=1, keepdims=True)\n    shifted = x\n")]}),
], ids=["relu_forward", "softmax_loss"])
def test_a_forward_that_modifies_its_input_loses_its_no_mutation_point(tmp_path, func, edits):
    result = grade_fast(mutant(tmp_path / "m", edits), "relu" if func == "relu_forward" else "losses")
    mutation = [c for c in result.checks if c.func == func and c.kind == "mutation"]
    assert mutation and all(c.status == "failed" and c.points == 0 for c in mutation)
    assert any("10" in c.mistakes for c in mutation)


def test_code_that_drifts_after_its_first_call_loses_points_in_every_function(tmp_path):
    root = mutant(tmp_path / "m", {})
    for name in ("layers.py", "bp_network.py", "rnn_layers.py", "stability.py"):
        path = root / name
        path.write_text(path.read_text(encoding="utf-8") + DRIFT, encoding="utf-8")
    result = grade_fast(root, *EVERY_EXERCISE)
    full = [f for f, (points, max_points) in by_function(result).items() if points == max_points]
    assert full == [], full


def test_tanh_and_the_network_are_checked_for_large_inputs(tmp_path):
    naive_tanh = ("    out = np.tanh(x)\n    return out, out\n",
                  "    e, f = np.exp(x), np.exp(-x)\n    out = (e - f) / (e + f)\n    return out, out\n")
    result = grade_fast(mutant(tmp_path / "t", {"layers.py": [naive_tanh]}), "tanh")
    stable = [c for c in result.checks if c.kind == "stability"]
    assert stable and all(c.status == "failed" for c in stable)
    clean = grade_fast(SOLUTIONS, "net")
    assert any(c.kind == "stability" and c.func == "two_layer_net_loss" for c in clean.checks)


# ------------------------------------------------------------- 4. nothing for code that is not there
def test_starter_code_batch_norm_earns_nothing_in_test_mode(tmp_path):
    result = grade_fast(reference_plus(tmp_path / "s", STARTER_BATCHNORM, "stability.py"), "batchnorm")
    test_mode = next(c for c in result.checks if c.id == "bn.test")
    assert test_mode.points == 0
    assert by_function(result)["batchnorm_forward"][0] == 0


# ------------------------------------------------------------- 5. side properties of partly right code
def test_a_partly_right_batch_norm_keeps_its_no_mutation_point(tmp_path):
    # The training output is right; the running statistics are never updated and
    # the test mode normalises with the batch's statistics.
    root = mutant(tmp_path / "m", {"stability.py": [
        ("        running_mean = momentum * running_mean + (1 - momentum) * mean\n"
         "        running_var = momentum * running_var + (1 - momentum) * var\n", ""),
        ("x_hat = (x - running_mean) / np.sqrt(running_var + eps)",
         "x_hat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)")]})
    result = grade_fast(root, "batchnorm")
    train = next(c for c in result.checks if c.id == "bn.train")
    assert 0 < train.points < train.max_points
    mutation = [c for c in result.checks if c.func == "batchnorm_forward" and c.kind == "mutation"]
    assert mutation and all(c.status == "passed" for c in mutation)


# ------------------------------------------------------------- not counted yet
def test_pending_items_are_explained_once_first_in_every_output(tmp_path):
    import xml.etree.ElementTree as ET

    from grader.report.terminal import summary
    from grader.results.gradescope import to_gradescope
    from grader.results.junit import to_junit

    # The forward reads the gate blocks in another order: its (correct) backward cannot be judged.
    root = mutant(tmp_path / "m", {"rnn_layers.py": [
        ("i, f, o = s[:, :H], s[:, H:2 * H], s[:, 2 * H:]\n    g = np.tanh(a[:, 3 * H:])",
         "s = 0.5 * (1.0 + np.tanh(0.5 * a))\n    i, f, o = s[:, :H], s[:, H:2 * H], s[:, 3 * H:]\n"
         "    g = np.tanh(a[:, 2 * H:3 * H])")]})
    result = grade_fast(root, "lstm_step")
    pending = [c for c in result.checks if c.status == "pending"]
    backward = [c for c in pending if c.func == "lstm_step_backward"]
    assert backward and all(c.points == 0 for c in backward)
    # The reason first; it names the forward's own mistake when one is known (issue 10: here 2).
    assert all(c.messages[0].key == "diagnosis.pending_forward_named" and c.messages[0].params["id"] == "2"
               for c in backward)
    # The forward's passed side item (inputs unchanged) waits too, for its own reason (policy rule 6).
    side = [c for c in pending if c not in backward]
    assert [(c.func, c.kind, c.messages[0].key) for c in side] == [
        ("lstm_step_forward", "mutation", "policy.side_final")]  # official: final, no "yet"
    notes = result.exercises[0].notes
    assert len(notes) == 2 and notes[0].params["points"] == f"{sum(c.max_points for c in backward):g}"
    for lang in ("en", "zh"):
        text = summary(result, lang)
        verbose = summary(result, lang, verbose=True)
        for note in notes:
            assert text.count(render(note, lang)) == 1  # said once ...
            assert text.index(render(result.exercises[0].exercise.title, lang)) < text.index(render(note, lang))
            failure = next(c for c in result.checks if c.status == "failed")
            if note.params["reason"].key != "policy.side_final":
                # ... first: right after the exercise's line, before its failures (and, with -v, its items)
                assert text.index(render(note, lang)) < text.index(render(failure.messages[0], lang))
                assert verbose.index(render(note, lang)) < verbose.index(render(result.checks[0].title, lang))
            else:
                # ... but a side item waiting for its function's results is a consequence: after the cause
                assert text.index(render(note, lang)) > text.index(render(failure.messages[0], lang))
                assert verbose.index(render(note, lang)) > verbose.index(render(result.checks[-1].title, lang))
    data = to_gradescope(result, "en")
    # Gradescope's status is optional: a pending item has none (never "failed"); ours says pending.
    statuses_ = {t["extra_data"]["id"]: (t.get("status"), t["extra_data"]["status"]) for t in data["tests"]}
    assert all(statuses_[c.id] == (None, "pending") for c in pending)
    assert data["extra_data"]["exercises"][0]["notes"]["zh"]
    suite = ET.fromstring(to_junit(result, "en")).find("testsuite")
    assert suite.get("skipped") == str(len(pending)) and len(suite.findall(".//skipped")) == len(pending)
    from grader.report.html import render_html

    page = render_html(result, "en")
    assert page.count('class="note pending-note"') == len(notes) and 'class="check pending' in page


def test_a_composite_wrong_itself_over_a_wrong_block_is_still_explained(tmp_path):
    root = mutant(tmp_path / "m", {"rnn_layers.py": [
        ("dprev_c = dc * f", "dprev_c = dc"),
        ("lstm_step_backward(dh[:, t] + dprev_h, dprev_c, caches[t])",
         "lstm_step_backward(dh[:, t], np.zeros_like(dprev_c), caches[t])")]})
    result = grade_fast(root, "lstm_step", "lstm")
    lstm = next(e for e in result.exercises if e.exercise.name == "lstm")
    assert lstm.points < lstm.max_points
    named = {m for c in lstm.results for m in c.mistakes}
    assert "7" in named  # the carry dropped through time: the composite's own mistake, explained
    step = next(e for e in result.exercises if e.exercise.name == "lstm_step")
    assert "4" in {m for c in step.results for m in c.mistakes}
