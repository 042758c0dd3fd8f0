"""The checks ask the student's code nothing whose answer cannot change a verdict
(issue 15, round 3): cheap, in process (the sandbox is not the point)."""

from __future__ import annotations

import numpy as np
import pytest
from support import SOLUTIONS, grade_fast, mutant

from grader import paths
from grader.calls import CallOutcome, CallStatus
from grader.checks import engine, numeric
from grader.checks.model import Context
from grader.checks.precision import rounding_probe


@pytest.fixture
def second_pass_calls(monkeypatch):
    """The ids of the checks the deferred second pass runs."""
    runs: list[str] = []
    real = engine.run_check

    def run_check(check, ctx):
        if ctx.salt:
            runs.append(check.id)
        return real(check, ctx)

    monkeypatch.setattr(engine, "run_check", run_check)
    return runs


def test_second_pass_asks_nothing_of_a_function_with_nothing_to_lose(second_pass_calls):
    """Stubs earn no points, so nothing is asked again after all other calls (the later
    call can only take points away: policy.charged_later)."""
    result = grade_fast(paths.EXERCISES, "sigmoid", "affine")
    assert result.checks and all(c.points == 0 for c in result.checks)
    assert second_pass_calls == []


def test_second_pass_still_asks_what_can_lose_its_points(second_pass_calls, tmp_path):
    """The reference is asked again; a function right on the first call and wrong on the
    later one still loses its points there (the rule the skip must not weaken)."""
    grade_fast(SOLUTIONS, "sigmoid")
    assert "sigmoid.forward" in second_pass_calls
    drifting = mutant(tmp_path / "m", {"layers.py": [(
        "def sigmoid_forward(x):\n",
        "_N = [0]\n\ndef sigmoid_forward(x):\n    _N[0] += 1\n    if _N[0] > 3:\n        x = x + 1.0\n",
    )]})
    result = grade_fast(drifting, "sigmoid")
    forward = next(c for c in result.checks if c.id == "sigmoid.forward")
    assert forward.points == 0 and [m.key for m in forward.messages] == ["policy.later_call"]


class _Float32Caller:
    """A caller whose ``f(x)`` computes in float32 (mistake 31), counting requests."""

    def __init__(self):
        self.requests: list[int] = []

    def call_many(self, calls, serve=None):
        self.requests.append(len(calls))
        return [CallOutcome(CallStatus.OK, value=(np.tanh(c.args[0].astype(np.float32)).astype(np.float64),))
                for c in calls]


def test_rounding_probe_asks_once_per_grade_in_one_request():
    caller = _Float32Caller()
    ctx = Context(caller, {}, 3)
    forward = numeric.Forward("f", ((4, 3),), cache=False)
    x = np.random.default_rng(0).standard_normal((4, 3))
    assert rounding_probe(ctx, forward, {"x": x})
    assert caller.requests == [4]  # both steps, both signs, one round trip
    assert rounding_probe(ctx, forward, {"x": x.copy()})  # the same question: not asked again
    assert rounding_probe(ctx.again(), forward, {"x": x})  # another pass: asked
    assert rounding_probe(ctx, forward, {"x": x + 1.0})  # other inputs: asked
    assert caller.requests == [4, 4, 4]


@pytest.mark.parametrize("path", [(), ("W",)])
def test_moved_copy_is_a_private_moved_copy(path):
    """The reference's perturbed inputs: the same values as ``fresh(moved(...))``, and no
    array shared with the grader's inputs (the reference may change its arguments)."""
    from grader.checks.copies import fresh

    rng = np.random.default_rng(1)
    w = rng.standard_normal((3, 2))
    inputs = {"x": rng.standard_normal(4), "params": {"W": w, "b": np.zeros(2)}, "n": 3}
    d = numeric.Direction("params" if path else "x", numeric.unit(rng, (3, 2) if path else (4,)), path)
    got, want = numeric.moved_copy(inputs, d, 1e-5), fresh(numeric.moved(inputs, d, 1e-5))
    assert list(got) == list(want) and got["n"] == 3
    for a, b in [(got["x"], want["x"]), (got["params"]["W"], want["params"]["W"]),
                 (got["params"]["b"], want["params"]["b"])]:
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    originals = [inputs["x"], w, inputs["params"]["b"]]
    assert not any(np.shares_memory(a, o) for a in (got["x"], got["params"]["W"], got["params"]["b"])
                   for o in originals)


def test_the_reference_is_not_run_for_a_call_that_failed(monkeypatch):
    """A stub's value and gradient checks fail on its first call: the reference's outputs
    for their inputs are never needed, so they are not computed (the verdicts and texts
    are those of the failed call, as before)."""
    from grader.checks import gradient, kinds

    asked: list[str] = []
    for module in (kinds, gradient):
        real = module.recalled

        def counting(memo, key, inputs, compute, real=real):
            asked.append(key[0])
            return real(memo, key, inputs, compute)

        monkeypatch.setattr(module, "recalled", counting)
    stubs = grade_fast(paths.EXERCISES, "sigmoid", "affine")
    assert asked == []
    assert {c.id for c in stubs.checks} >= {"sigmoid.forward", "sigmoid.grad.dx", "affine.forward"}
    grade_fast(SOLUTIONS, "sigmoid")
    assert "value" in asked and "gradient" in asked
