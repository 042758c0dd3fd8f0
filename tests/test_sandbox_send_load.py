"""The load request sent ahead to a launched child (Sandbox.send_load): the child loads the
submission while the parent makes the rest of its preparation, and what start() reports is
what it reports for a request sent by start() itself, a child gone meanwhile included."""

from __future__ import annotations

import os
import signal

import pytest
from support import SOLUTIONS, exercises_named

from grader.api import grade
from grader.sandbox.prelaunch import discard, prelaunch
from grader.sandbox.session import Sandbox
from grader.submission import prepare


def test_a_grade_sends_the_load_ahead_of_its_start(monkeypatch):
    order: list[str] = []
    send_load, start = Sandbox.send_load, Sandbox.start

    def sent(self):
        done = send_load(self)
        order.append(f"sent {done}")
        return done

    def started(self):
        order.append("start")
        return start(self)

    monkeypatch.setattr(Sandbox, "send_load", sent)
    monkeypatch.setattr(Sandbox, "start", started)
    launched = prelaunch()
    assert launched is not None
    try:
        result = grade(SOLUTIONS, solutions=SOLUTIONS, exercises=exercises_named("affine", "relu"),
                       launched=launched, allow_unisolated=True)
    finally:
        discard(launched)
    assert order == ["sent True", "start"]
    assert result.load_status == "loaded" and result.score == result.max_score > 0


def _launched_with_the_reference():
    launched = prelaunch()
    assert launched is not None
    prepared = prepare(SOLUTIONS, root=launched.root)
    launched.modules, launched.wanted = prepared.modules, ["affine_forward"]
    return launched


@pytest.mark.parametrize("ahead", [True, False])
def test_a_child_gone_before_its_report_is_reported_alike(ahead):
    launched = _launched_with_the_reference()
    try:
        if ahead:
            assert launched.send_load() and not launched.send_load()  # once
        os.killpg(launched._proc.pid, signal.SIGKILL)
        launched._proc.wait()
        report = launched.start()
        assert not report.ok and report.status in ("crashed", "protocol")
    finally:
        discard(launched)


def test_only_a_launched_child_waiting_for_its_request_takes_one_ahead(tmp_path):
    assert not Sandbox(tmp_path, [], []).send_load()  # not launched: start() starts and sends
    launched = _launched_with_the_reference()
    try:
        assert launched.send_load()
        report = launched.start()
        assert report.ok and "affine_forward" in report.functions
        assert not launched.send_load()  # loaded: nothing more to send ahead
    finally:
        discard(launched)
