"""Chained calls (grader/calls.py, issue 15): a forward and the calls on its cache in
one round trip. The later call runs only when the forward returned what it needs,
exactly as a check that looked first would have made it; the sandbox's child and the
in-process caller agree, and the parent's word on what it decoded is final."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from support import write_submission

from grader.calls import Call, CallStatus, Earlier, Handle
from grader.sandbox.inprocess import InProcessCaller
from grader.sandbox.session import Limits, ModuleEntry, Sandbox

CODE = """
import numpy as np

RAN = []

def forward(x, how="ok"):
    if how == "raise":
        raise ValueError("forward broke")
    if how == "short":
        return (x * 2,)
    if how == "plain":
        return x * 2
    if how == "big":
        return np.ones(1 << 20), object()
    return x * 2, {"x": x}

def backward(dout, cache):
    RAN.append(1)
    print("backward ran")
    return dout * cache["x"]

def runs():
    return len(RAN)
"""
FUNCS = ["forward", "backward", "runs"]


def _root(tmp_path: Path) -> Path:
    return write_submission(tmp_path / "sub", {"chain.py": CODE})


@pytest.fixture(params=["sandbox", "in-process"])
def caller(request, tmp_path):
    root = _root(tmp_path)
    modules = [ModuleEntry("chain", "chain.py")]
    c = Sandbox(root, modules, FUNCS) if request.param == "sandbox" else InProcessCaller(root, modules, FUNCS)
    c.start()
    yield c
    c.close()


def _pair(how: str, x: np.ndarray) -> list[Call]:
    return [Call("forward", (x, how), keep=(-1,)),
            Call("backward", (np.ones(3), Earlier(0)), chain_len=2)]


def _runs(caller) -> int:
    return caller.call_many([Call("runs")])[0].value


def test_a_backward_on_its_forwards_cache_runs_in_the_same_request(caller):
    x = np.arange(3.0)
    f, b = caller.call_many(_pair("ok", x))
    assert f.ok and isinstance(f.value[-1], Handle)
    assert b.ok and np.array_equal(b.value, x)
    assert _runs(caller) == 1


@pytest.mark.parametrize("how", ["raise", "short", "plain"])
def test_a_forward_that_gives_no_cache_means_the_backward_is_not_made(caller, how):
    f, b = caller.call_many(_pair(how, np.arange(3.0)))
    assert b.status == CallStatus.SKIPPED and b.value is None
    assert _runs(caller) == 0  # the student's backward never ran


def test_without_chain_len_any_tuple_with_a_kept_item_will_do(caller):
    f, b = caller.call_many([Call("forward", (np.arange(3.0), "short"), keep=(-1,)),
                             Call("backward", (np.ones(3), Earlier(0)))])
    # (x * 2,) kept at -1 is an array kept as a handle: the call is made (and fails in the student's code)
    assert f.ok and b.status == CallStatus.ERROR
    assert _runs(caller) == 1


def test_one_request_one_round_trip(tmp_path):
    with Sandbox(_root(tmp_path), [ModuleEntry("chain", "chain.py")], FUNCS) as sb:
        before = sb._next_id
        sb.call_many(_pair("ok", np.arange(3.0)) + [Call("backward", (np.ones(3), Earlier(0)), chain_len=2)])
        assert sb._next_id == before + 1
        assert _runs(sb) == 2


def test_the_parents_word_is_final(tmp_path):
    """The child ran the backward (its forward's answer was whole there), but the parent
    read past the forward's answer (larger than the call expects): not made, as far as
    any check can tell."""
    with Sandbox(_root(tmp_path), [ModuleEntry("chain", "chain.py")], FUNCS) as sb:
        f, b = sb.call_many([Call("forward", (np.arange(3.0), "big"), keep=(-1,), answer_bytes=1024),
                             Call("backward", (np.ones(3), Earlier(0)), chain_len=2)])
        assert f.status == CallStatus.TOO_LARGE
        assert b.status == CallStatus.SKIPPED


def test_a_poisoned_forward_is_not_run_again_and_its_backward_is_not_made(tmp_path):
    code = CODE + "\ndef hang(x):\n    while True:\n        pass\n"
    root = write_submission(tmp_path / "sub", {"chain.py": code})
    limits = Limits(call_seconds=0.5)
    with Sandbox(root, [ModuleEntry("chain", "chain.py")], FUNCS + ["hang"], limits) as sb:
        assert sb.call_many([Call("hang", (1,))])[0].status == CallStatus.TIMEOUT
        h, b, f2, b2 = sb.call_many([Call("hang", (1,), keep=(-1,)),
                                     Call("backward", (np.ones(3), Earlier(0)), chain_len=2),
                                     *_pair("ok", np.arange(3.0))])
        assert h.status == CallStatus.TIMEOUT and h.error == {"repeat": True}
        assert b.status == CallStatus.SKIPPED
        b2 = sb.call_many(_pair("ok", np.arange(3.0)))[1]
        assert f2.ok and b2.ok


def test_a_reference_to_a_later_call_is_refused(tmp_path):
    with Sandbox(_root(tmp_path), [ModuleEntry("chain", "chain.py")], FUNCS) as sb:
        with pytest.raises(ValueError):
            sb.call_many([Call("backward", (np.ones(3), Earlier(1))), Call("forward", (np.arange(3.0),), keep=(-1,))])
