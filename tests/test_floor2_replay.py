"""A composite's explanations are made from its first run's calls (grader.checks.replay):
the student's code is not asked the same request twice, and the results are those of
running the check again (the long way)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from support import grade_fast, mutant

from grader.calls import Call, CallOutcome, CallStatus, Handle
from grader.checks import replay
from grader.sandbox.inprocess import InProcessCaller


class Counter:
    """A caller whose answers count up: each request answered differently."""

    def __init__(self, status: CallStatus = CallStatus.OK) -> None:
        self.requests: list[list[Call]] = []
        self.status = status

    def call_many(self, calls, serve=None):
        self.requests.append(calls)
        n = len(self.requests)
        return [CallOutcome(self.status, (np.full(2, float(n)), Handle(n, "dict", 1)) if self.status == "ok" else None)
                for _ in calls]


def request(x: float = 1.0) -> list[Call]:
    return [Call("f", (np.array([x, 2.0]),), keep=(-1,))]


def test_the_same_request_is_answered_from_the_first_run_in_order_once():
    inner = Counter()
    rec = replay.Recorder(inner)
    a, b = rec.call_many(request()), rec.call_many(request())  # asked twice, answered twice (not cached)
    assert len(inner.requests) == 2 and a[0].value[0][0] == 1 and b[0].value[0][0] == 2
    again = rec.replayer()
    assert again.call_many(request())[0].value[0][0] == 1
    assert again.call_many(request())[0].value[0][0] == 2
    assert len(inner.requests) == 2 and again.replayed == 2
    assert again.call_many(request())[0].value[0][0] == 3  # a third time: the caller's
    assert len(inner.requests) == 3


def test_another_request_goes_to_the_caller():
    inner = Counter()
    rec = replay.Recorder(inner)
    rec.call_many(request(1.0))
    again = rec.replayer()
    for other in (request(1.5), [Call("g", (np.array([1.0, 2.0]),), keep=(-1,))],
                  [Call("f", (np.array([1.0, 2.0]),))], [Call("f", (np.array([1.0, 2.0], dtype=np.float32),), keep=(-1,))],
                  request(1.0) + request(1.0)):
        before = len(inner.requests)
        again.call_many(other)
        assert len(inner.requests) == before + 1, other
    assert again.replayed == 0


def test_an_outcome_a_check_rewrites_is_replayed_as_it_came():
    rec = replay.Recorder(Counter())
    got = rec.call_many(request())[0]
    got.value = (got.value, ["arguments after"])  # as ValueCheck.call_student does
    got.status = CallStatus.ERROR
    again = rec.replayer().call_many(request())[0]
    assert again.status == CallStatus.OK and again.value[0].tolist() == [1.0, 1.0]


@pytest.mark.parametrize("status", [CallStatus.TIMEOUT, CallStatus.CRASHED, CallStatus.UNAVAILABLE,
                                    CallStatus.PROTOCOL, CallStatus.STALE, CallStatus.OUTPUT_LIMIT])
def test_nothing_is_replayed_after_the_child_was_replaced(status):
    inner = Counter()
    rec = replay.Recorder(inner)
    rec.call_many(request(1.0))
    inner.status = status
    rec.call_many(request(2.0))
    again = rec.replayer()
    again.call_many(request(1.0))  # its handles belonged to a child that is gone
    assert again.replayed == 0 and len(inner.requests) == 3


def test_substituting_and_releasing_requests_are_never_kept():
    for calls, serve in (([Call("f", (1.0,), substitute=("g",))], None), (request(), lambda *a: None),
                         ([Call("f", (1.0,), release=(Handle(1, "dict", 1),))], None)):
        inner = Counter()
        rec = replay.Recorder(inner)
        rec.call_many(calls, serve)
        again = rec.replayer()
        again.call_many(calls, serve)
        assert again.replayed == 0 and len(inner.requests) == 2


def _graded(monkeypatch, submission: Path, *names: str, long_way: bool):
    """(results as plain data, requests the student's code was asked)."""
    asked: list[int] = []
    original = InProcessCaller.call_many

    def counting(self, calls, serve=None):
        asked.append(len(calls))
        return original(self, calls, serve)

    monkeypatch.setattr(InProcessCaller, "call_many", counting)
    if long_way:  # the explaining run calls everything again, as before replay
        monkeypatch.setattr(replay.Recorder, "replayer", lambda self: self.caller)
    result = grade_fast(submission, *names)
    monkeypatch.undo()
    data = [er.to_dict() for er in result.exercises]
    return data, len(asked)


@pytest.mark.parametrize("names", [("lstm_step", "lstm"), ("affine", "relu", "residual")])
def test_a_composite_explained_from_its_first_run_as_if_run_again(monkeypatch, names):
    # Broken blocks (stubs) under composites that stay wrong: every check is explained.
    stubs = Path(__file__).resolve().parent.parent / "exercises"
    short, n_short = _graded(monkeypatch, stubs, *names, long_way=False)
    long, n_long = _graded(monkeypatch, stubs, *names, long_way=True)
    assert short == long
    assert n_short < n_long


def test_a_composite_wrong_with_a_broken_block_explained_as_before(monkeypatch, tmp_path):
    # The LSTM's own mistake (a gate's sign) and a broken step: the composite stays wrong
    # with the reference's steps, and its explanations come from the first run's calls.
    sub = mutant(tmp_path / "m", {"rnn_layers.py": [("next_c = f * prev_c + i * g", "next_c = f * prev_c - i * g"),
                                                     ("h[:, t] = prev_h", "h[:, t] = prev_c")]})
    short, n_short = _graded(monkeypatch, sub, "lstm_step", "lstm", long_way=False)
    long, n_long = _graded(monkeypatch, sub, "lstm_step", "lstm", long_way=True)
    assert short == long
    assert n_short < n_long, (n_short, n_long)


# Composites with broken blocks in the sample (their first runs are kept)
RESCUED = ("affine", "relu", "sigmoid", "tanh", "losses", "net", "lstm_step", "lstm", "gru_step", "gru")


def _arrays(v):
    if isinstance(v, np.ndarray):
        yield v
    elif isinstance(v, dict):
        for x in v.values():
            yield from _arrays(x)
    elif isinstance(v, (list, tuple)):
        for x in v:
            yield from _arrays(x)


@pytest.mark.parametrize("which", ["sample", "stubs", "mutant"])
def test_no_check_changes_in_place_what_it_sent_or_got(monkeypatch, tmp_path, which):
    # What replay relies on: every array a first run sent and got is made read-only
    # when it is kept; a check writing into one would raise (grade_fast is strict).
    here = Path(__file__).resolve().parent.parent
    sub = {"sample": here / "examples" / "sample_submission", "stubs": here / "exercises"}.get(which) or mutant(
        tmp_path / "m", {"rnn_layers.py": [("next_c = f * prev_c + i * g", "next_c = f * prev_c - i * g"),
                                           ("h[:, t] = prev_h", "h[:, t] = prev_c")]})
    kept = []
    original = replay.Recorder.call_many

    def frozen(self, calls, serve=None):
        out = original(self, calls, serve)
        for a in _arrays([[c.args, c.kwargs] for c in calls] + [[o.value, o.args_after] for o in out]):
            a.flags.writeable = False
            kept.append(a)
        return out

    monkeypatch.setattr(replay.Recorder, "call_many", frozen)
    result = grade_fast(sub, *RESCUED)
    assert kept and result.checks
