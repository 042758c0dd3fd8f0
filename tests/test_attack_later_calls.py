"""Finding 6 of the attack review: rule 5 (a later call must be right too) was dodged by
crashing. A function right on its first call and wrong on its second lost its value
points, but one that killed the process (or hung, or flooded its output) there kept
them. Now a later call that fails in the function's own call is charged like a wrong
answer; one that could not run because the process died in another function's call is
tried again on a fresh process, and waits (pending) where that is impossible. These
need the real sandbox: the submissions end the process."""

from __future__ import annotations

import pytest
from support import grade_official, write_submission

from grader.sandbox import session
from grader.sandbox.session import Limits

LATE = '''
import os
import sys
import time
import numpy as np

LATE = [False]  # set when the last exercise starts: the second pass follows


def sigmoid_forward(x):
    if LATE[0]:
        MODE()
    out = 0.5 * (1 + np.tanh(0.5 * x))
    return out, out


def sigmoid_backward(dout, cache):
    return dout * cache * (1 - cache)


def residual_forward(x, W1, b1, W2, b2):
    LATE[0] = True
    raise NotImplementedError
'''

MODES = {  # what sigmoid_forward does on its second call
    "wrong": "return np.zeros_like(x), None",  # the control: charged since rule 5 was written
    "crash": "os._exit(1)",
    "exit": "sys.exit(0)",
    "timeout": "time.sleep(30)",
    "flood": "sys.stdout.write('x' * (20 << 20))",
    "too large": "return np.ones(2 << 20), None",
}


@pytest.mark.parametrize("mode", list(MODES))
def test_a_later_call_that_does_not_return_is_charged_like_a_wrong_one(tmp_path, mode):
    code = LATE.replace("        MODE()\n", f"        {MODES[mode]}\n")
    root = write_submission(tmp_path / "s", {"late.py": code})
    result = grade_official(root, "sigmoid", "residual", limits=Limits(call_seconds=1.0))
    value = next(c for c in result.checks if c.id == "sigmoid.forward")
    assert value.status == "failed" and value.points == 0
    assert value.messages[0].key in ("policy.later_call", "policy.later_call_failed")
    sigmoid = next(e for e in result.exercises if e.exercise.name == "sigmoid")
    assert sigmoid.points <= 4.5  # what the wrong answer gets (the crash also leaves the backward unverified)


SPIKE = '''
import os
import numpy as np

_FORWARDS = [0]


def sigmoid_forward(x):
    out = 0.5 * (1 + np.tanh(0.5 * x))
    return out, out


def sigmoid_backward(dout, cache):
    return dout * cache * (1 - cache)


def tanh_forward(x):
    os._exit(1)  # another function ends the process: every cache made before is gone
'''


def test_a_later_call_whose_cache_died_with_another_function_is_made_again(tmp_path, monkeypatch):
    """sigmoid_backward's second call needs the cache of its first run, which belonged
    to the process tanh_forward ended: the forward makes a new one on the fresh process
    and the backward is called again (before: not called, and not charged)."""
    calls: list[tuple[str, str]] = []
    call_many = session.Sandbox.call_many

    def record(self, batch, *args, **kwargs):
        outcomes = call_many(self, batch, *args, **kwargs)
        calls.extend((c.func, str(o.status)) for c, o in zip(batch, outcomes, strict=True))
        return outcomes

    monkeypatch.setattr(session.Sandbox, "call_many", record)
    result = grade_official(write_submission(tmp_path / "s", {"spike.py": SPIKE}), "sigmoid", "tanh")
    sigmoid = next(e for e in result.exercises if e.exercise.name == "sigmoid")
    assert sigmoid.points == sigmoid.max_points
    stale = calls.index(("sigmoid_backward", "stale"))
    assert ("sigmoid_backward", "ok") in calls[stale + 1:]


def test_a_later_call_that_cannot_run_at_all_waits(tmp_path):
    """With no restart left, sigmoid's second calls cannot run: its comparisons wait
    (pending, 0 points), they do not pass unverified."""
    code = SPIKE + "\n\ndef relu_forward(x):\n    os._exit(1)\n"
    result = grade_official(write_submission(tmp_path / "s", {"spike.py": code}), "sigmoid", "tanh", "relu",
                            limits=Limits(max_restarts=1))
    value = next(c for c in result.checks if c.id == "sigmoid.forward")
    assert value.status == "pending" and value.points == 0
    assert value.messages[0].key == "policy.later_call_unrun"
    assert any(n.params["reason"].key == "policy.later_call_unrun"
               for e in result.exercises for n in e.notes)
