"""Findings 4 and 11 of the attack review: the stand-in building blocks of rule 4 were a
reference oracle (any arguments, computed by the reference in the parent, answers
printed into the report), and computed the largest accepted arguments before checking
anything. Now each substituting call's stand-ins (grader.checks.blocks.BlockScope)
compute only what that call can need: its own weights, parts of its own inputs, what
the stand-ins returned, zeros and sums of those; a refused callback fails the call;
nothing printed during a substituting call reaches a report."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from support import SOLUTIONS, grade_fast, grade_official, write_submission

from grader.calls import BlockError, Call, CallStatus, Token
from grader.checks.blocks import BlockServer
from grader.checks.model import Context
from grader.reference import load_reference
from grader.results.gradescope import to_gradescope
from grader.sandbox.inprocess import InProcessCaller
from grader.specs import all_exercises, wanted_functions
from grader.submission import prepare

REFERENCE = load_reference(SOLUTIONS)
RNG = np.random.default_rng(7)
N, T, D, H = 3, 4, 6, 5
X, H0 = RNG.standard_normal((N, T, D)), RNG.standard_normal((N, H))
WX, WH, B = RNG.standard_normal((D, H)), RNG.standard_normal((H, H)), RNG.standard_normal(H)
RNN_CALL = Call("rnn_forward", (X, H0, WX, WH, B), substitute=("rnn_step_forward", "rnn_step_backward"))


def scope_of(call: Call = RNN_CALL):
    return BlockServer(REFERENCE).serving(call)


# ------------------------------------------------------------------ what is admitted
def test_the_stand_ins_compute_what_a_composite_needs():
    """The hidden-state chain over time slices, reversed time, a transposed layout,
    zeros, and the backward's dh[:, t] + dprev_h."""
    scope = scope_of()
    prev = H0
    for t in range(T):
        prev, token = scope("rnn_step_forward", (X[:, t], prev, WX, WH, B), {})
        assert isinstance(token, Token)
    scope("rnn_step_forward", (X[:, ::-1][:, 0].copy(), np.zeros((N, H)), WX, WH, B), {})
    scope("rnn_step_forward", (X.transpose(1, 0, 2)[2], prev, WX.copy(), WH, B), {})
    dh = RNG.standard_normal((N, T, H))
    back = BlockServer(REFERENCE)
    forward = back.serving(RNN_CALL)
    tokens = []
    prev = H0
    for t in range(T):
        prev, token = forward("rnn_step_forward", (X[:, t], prev, WX, WH, B), {})
        tokens.append(token)
    backward = back.serving(Call("rnn_backward", (dh, tokens), substitute=RNN_CALL.substitute))
    dprev = np.zeros((N, H))
    for t in reversed(range(T)):
        _, dprev, *_ = backward("rnn_step_backward", (dh[:, t] + dprev, tokens[t]), {})
    assert scope.refused is None and forward.refused is None and backward.refused is None


@pytest.mark.parametrize("case", ["foreign data", "another check's weights", "transposed weights", "a number",
                                  "one entry changed", "larger than the call", "a scaled input"])
def test_anything_else_is_refused_and_fails_the_call(case):
    other = np.random.default_rng(99)
    args = {
        "foreign data": (other.standard_normal((N, D)), H0, WX, WH, B),
        "another check's weights": (X[:, 0], H0, other.standard_normal((D, H)), WH, B),
        "transposed weights": (X[:, 0], H0, WX, WH.T.copy(), B),
        "a number": (3.7, H0, WX, WH, B),
        "one entry changed": (X[:, 0] + np.eye(N, D), H0, WX, WH, B),
        "larger than the call": (np.tile(X[:, 0], (9, 1)), np.tile(H0, (9, 1)), WX, WH, B),
        "a scaled input": (2 * X[:, 0], H0, WX, WH, B),
    }[case]
    scope = scope_of()
    with pytest.raises(BlockError):
        scope("rnn_step_forward", args, {})
    assert scope.refused
    # Once refused, nothing more is computed in this call, and the call fails whatever it returned.
    with pytest.raises(BlockError):
        scope("rnn_step_forward", (X[:, 0], H0, WX, WH, B), {})
    from grader.calls import CallOutcome

    settled = scope.settle(CallOutcome(CallStatus.OK, value=np.zeros((N, T, H)), output="LEAK 0.12345"))
    assert settled.status == CallStatus.ERROR and settled.error["kind"] == "blocks" and settled.output == ""


def test_heavy_arguments_are_refused_before_anything_is_computed(monkeypatch):
    """Finding 11: the largest arrays the server once accepted (N = T = D = H = 256)
    cost seconds of the parent's CPU; the call's own shapes bound them now, and the
    cache cap is checked before computing."""
    import functools

    computed = []

    def spied(name, fn):
        @functools.wraps(fn)
        def run(*args, **kwargs):
            computed.append(name)
            return fn(*args, **kwargs)
        return run

    reference = {k: spied(k, f) for k, f in REFERENCE.items()}
    server = BlockServer(reference)
    birnn = Call("birnn_forward", (X, H0, H0, WX, WH, B, WX, WH, B), substitute=("rnn_forward",))
    scope = server.serving(birnn)
    big = (np.ones((256, 256, 256), np.int8), np.zeros((256, 256)), np.full((256, 256), 0.01),
           np.full((256, 256), 0.01), np.zeros(256))
    start = time.perf_counter()
    with pytest.raises(BlockError):
        scope("rnn_forward", big, {})
    assert computed == [] and time.perf_counter() - start < 0.5
    # A server whose cache is full refuses before computing anything.
    monkeypatch.setattr("grader.checks.blocks.MAX_TOKENS", 1)
    full = BlockServer(reference)
    full.serving(RNN_CALL)("rnn_step_forward", (X[:, 0], H0, WX, WH, B), {})
    computed.clear()
    with pytest.raises(BlockError):
        full.serving(RNN_CALL)("rnn_step_forward", (X[:, 1], H0, WX, WH, B), {})
    assert computed == []


# ------------------------------------------------------------- through a whole grade
ORACLE = '''
import numpy as np

_SEEN, _LEAKED = [], []


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    _SEEN.append((x, prev_h, Wx, Wh, b))  # the hidden inputs of rnn_step's own checks
    return np.zeros_like(prev_h), None


def rnn_forward(x, h0, Wx, Wh, b):
    if _SEEN and not _LEAKED:  # while substituted, ask the reference about rnn_step's inputs
        for attempt in (_SEEN[0], (_SEEN[0][0], _SEEN[0][1], Wx, Wh, b)):
            try:
                next_h, cache = rnn_step_forward(*attempt)
                if cache is not None:  # not the student's own step: the grader's stand-in answered
                    _LEAKED.append(np.asarray(next_h))
            except Exception:
                pass
    return np.zeros((x.shape[0], x.shape[1], h0.shape[1])), None


def clip_grad_norm(grads, max_norm):
    if _LEAKED:
        print("LEAK", _LEAKED[0].ravel().tolist())
    raise NotImplementedError
'''


def test_the_oracle_leak_learns_nothing(tmp_path):
    """reports/attacks/oracle_leak: the stand-in asked about rnn_step's hidden inputs
    (with rnn_step's weights, or with rnn's own) computes nothing; nothing is printed."""
    result = grade_official(write_submission(tmp_path / "s", {"probe.py": ORACLE}), "rnn_step", "rnn", "clip")
    assert result.score == 0
    assert "LEAK" not in json.dumps(to_gradescope(result, "en"))


PRINTING = '''
def rnn_forward(x, h0, Wx, Wh, b):
    N, T, _ = x.shape
    h, caches, prev_h = np.empty((N, T, h0.shape[1])), [], h0
    for t in range(T):
        prev_h, step_cache = rnn_step_forward(x[:, t], prev_h, Wx, Wh, b)
        print("STANDIN", prev_h.ravel().tolist())
        h[:, t] = prev_h
        caches.append(step_cache)
    return h, caches


_plain_step_forward = rnn_step_forward


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h, cache = _plain_step_forward(x, prev_h, Wx, Wh, b)
    return next_h * 1.5, cache
'''


def test_nothing_printed_during_a_substituting_call_reaches_a_report(tmp_path):
    """The composite is right with the reference's steps (it keeps its points), but what
    it printed there (the stand-ins' answers) is not in any output."""
    from support import reference_plus

    root = reference_plus(tmp_path / "s", PRINTING, "rnn_layers.py")
    result = grade_fast(root, "rnn_step", "rnn")
    forward = next(c for c in result.checks if c.id == "rnn.forward")
    assert forward.status == "passed" and forward.details.get("substituted")
    assert all("STANDIN" not in c.output for c in result.checks if c.details.get("substituted"))
    # The student's own run (with their own step) still shows its printed output.
    assert any("STANDIN" in c.output for c in result.checks if not c.details.get("substituted"))


CATCHING = '''
_plain_rnn_forward = rnn_forward


def rnn_forward(x, h0, Wx, Wh, b):
    try:
        rnn_step_forward(np.ones((x.shape[0], x.shape[2])), h0, Wx, Wh, b)  # a question of its own
    except Exception:
        pass
    return _plain_rnn_forward(x, h0, Wx, Wh, b)


_plain_step_forward = rnn_step_forward


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h, cache = _plain_step_forward(x, prev_h, Wx, Wh, b)
    return next_h * 1.5, cache
'''


def test_a_refused_callback_fails_the_call_even_when_the_student_catches_it(tmp_path):
    from support import reference_plus

    root = reference_plus(tmp_path / "s", CATCHING, "rnn_layers.py")
    result = grade_fast(root, "rnn_step", "rnn")
    forward = next(c for c in result.checks if c.id == "rnn.forward")
    assert forward.status == "failed" and not forward.details.get("substituted")


# ------------------------------------------------- every honest composite still runs
IMPLEMENTATIONS = sorted(p for p in (SOLUTIONS.parent / "tests" / "implementations").glob("*/*")
                         if p.is_dir() and p.parent.name != "similarity") + [SOLUTIONS.parent / "examples" /
                                                                              "sample_submission"]


@pytest.mark.parametrize("root", IMPLEMENTATIONS, ids=[f"{p.parent.name}/{p.name}" for p in IMPLEMENTATIONS])
def test_every_honest_composite_runs_on_the_stand_ins(root, monkeypatch):
    """Each composite of the reference, the alternative implementations and the sample,
    checked with every building block computed by the reference: no callback refused,
    and every item passes where the composite is right."""
    from grader.checks import blocks

    refused: list[str] = []
    settle = blocks.BlockScope.settle

    def record(self, outcome):
        if self.refused:
            refused.append(f"{self.func}: {self.refused}")
        return settle(self, outcome)

    monkeypatch.setattr(blocks.BlockScope, "settle", record)
    exercises = all_exercises()
    prepared = prepare(root)
    caller = InProcessCaller(prepared.root, prepared.modules, wanted_functions(exercises))
    try:
        report = caller.start()
        ctx = Context(caller, REFERENCE, 5, blocks=BlockServer(REFERENCE), strict=True)
        for ex in exercises:
            if not ex.block_functions or not set(ex.functions) <= set(report.functions):
                continue
            with_blocks = ctx.substituting(ex.block_functions)
            results = [r for check in ex.checks for r in check.run(with_blocks)]
            if root.name != "sample_submission":  # (a forward's no-mutation item compares the stand-ins'
                # tokens of two calls, which differ: the engine never keeps that item from such a run)
                wrong = [r.id for r in results if r.status != "passed" and r.kind != "mutation"]
                assert wrong == [], (ex.name, wrong)
    finally:
        caller.close()
        prepared.cleanup()
    assert refused == []
