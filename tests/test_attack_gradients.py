"""Finding 2 of the attack review: numerical-gradient items earned by a fake forward.

A forward that returns the sum of its inputs in every entry, with a backward that is its
exact derivative, was "consistent" and earned every gradient item (67.5 points). Policy
rule 2 (docs/scoring.md): agreeing with the student's own forward counts only where that
forward is right (its outputs, a loss's value); on a variant of rule 3 only the true
derivative counts; a gradient equal to the true derivative passes whatever the forward.
The submissions are harmless code, graded in process (the sandbox is not the point:
tests/test_callers.py shows it gives the same verdicts)."""

from __future__ import annotations

from attack_submissions import FAKE_FORWARDS
from support import grade_fast, mutant, write_submission

from grader.api import grade
from grader.checks import policy
from grader.i18n import render

GRADIENT_KINDS = ("gradient", "backward")


def test_a_fake_forward_with_its_exact_derivative_earns_nothing(tmp_path):
    result = grade_fast(write_submission(tmp_path / "fake", {"fake.py": FAKE_FORWARDS}))
    assert result.score == 0, [(c.id, c.points) for c in result.checks if c.points]
    gradient = [c for c in result.checks if c.kind == "gradient"]
    assert len(gradient) > 50
    # They wait for the forward (pending), except where a part is trivially zero (l2's biases).
    waiting = [c for c in gradient if c.status == "pending"]
    assert len(waiting) >= len(gradient) - 2
    reasons = {c.messages[0].key for c in waiting}
    # The recurrent layers' fake forwards let a state depend on later inputs: their reason
    # names that mistake of the forward (8, 13; grader.checks.causes.name_pending).
    assert reasons == {"policy.pending_forward", "diagnosis.pending_forward_named", "policy.pending_loss"}
    loss = next(c for c in waiting if c.id == "softmax.grad.dx")
    assert loss.messages[0].key == "policy.pending_loss"
    assert "softmax_loss" in render(loss.messages[0], "en") and "损失" in render(loss.messages[0], "zh")


def test_a_fake_forward_earns_nothing_in_a_self_check_either(tmp_path):
    """Without the reference, the public case's forward outputs say what is right."""
    result = grade(write_submission(tmp_path / "fake", {"fake.py": FAKE_FORWARDS}), trusted_in_process=True)
    assert not result.official
    assert [c.id for c in result.checks if c.kind in GRADIENT_KINDS and c.status == "passed"] == []
    assert [c.id for c in result.checks if c.kind == "gradient" and c.status != "pending"] == \
        ["l2.grad.grads['b1']", "l2.grad.grads['gamma1']"]  # zero, right only beside a right W gradient


def test_a_loss_that_differentiates_its_own_wrong_value_waits_for_it(tmp_path):
    # A summed loss with the summed gradient: consistent, and both wrong by a factor N.
    root = mutant(tmp_path / "m", {"layers.py": [("    loss = -log_probs[np.arange(n), y].mean()\n",
                                                   "    loss = -log_probs[np.arange(n), y].sum()\n"),
                                                  ("    return float(loss), dx / n\n", "    return float(loss), dx\n")]})
    result = grade_fast(root, "losses")
    grad = next(c for c in result.checks if c.id == "softmax.grad.dx")
    assert grad.status == "pending" and grad.points == 0
    assert grad.messages[0].key == "policy.pending_loss"


def test_a_right_backward_after_a_wrong_forward_still_passes(tmp_path):
    """The true derivative passes whatever the forward (sigmoid with the wrong sign:
    dout * out * (1 - out) on out = sigmoid(-x) is sigmoid'(x))."""
    root = mutant(tmp_path / "m", {"layers.py": [
        ("out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))", "out[pos] = 1.0 / (1.0 + np.exp(x[pos]))")]})
    result = grade_fast(root, "sigmoid")
    grad = next(c for c in result.checks if c.id == "sigmoid.grad.dx")
    assert grad.status == "passed" and grad.details["verdict"] == "right"
    assert next(c for c in result.checks if c.id == "sigmoid.forward").status == "failed"


def test_on_a_variant_only_the_true_derivative_counts(tmp_path):
    """``x @ w + 2 b`` is right with the biases zeroed, but only at that point: its
    derivative in b is still twice the true one. A backward that differentiates it
    (db = 2 * sum) is wrong there; dx and dw are the true ones."""
    root = mutant(tmp_path / "m", {"layers.py": [
        ("    out = x.reshape(x.shape[0], -1) @ w + b\n", "    out = x.reshape(x.shape[0], -1) @ w + 2 * b\n"),
        ("    db = dout.sum(axis=0)\n", "    db = 2 * dout.sum(axis=0)\n")]})
    result = grade_fast(root, "affine")
    by_id = {c.id: c for c in result.checks}
    assert by_id["affine.grad.db"].status == "failed" and by_id["affine.grad.db"].details["variant"]
    assert by_id["affine.grad.db"].messages[0].key == "gradient.mismatch_true"
    assert by_id["affine.grad.db.reference"].status == "failed"
    for grad in ("dx", "dw"):
        assert by_id[f"affine.grad.{grad}"].status == "passed" and by_id[f"affine.grad.{grad}"].details["verdict"] == "right"


def test_numeric_verdicts_beside_a_wrong_forward():
    ana, ref = [1.0, -2.0], [1.0, -2.0]
    assert policy.numeric_verdict(ana, ana, ref, forward_right=False) == "waiting"  # consistent with a wrong forward
    assert policy.numeric_verdict(ana, [None, None], ref, correct=ref, forward_right=False) == "right"
    assert policy.numeric_verdict([2.0, 1.0], [2.0, 1.0], ref, correct=ref, forward_right=False) == "waiting"
