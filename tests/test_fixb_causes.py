"""The dashboard's causes of failure are root causes: a relay ("also failing: <building
block>, fix that first") is folded under the cause of that student's failing block, or
listed after every root cause; a known mistake is labelled as one."""

from __future__ import annotations

import json

from grader.i18n import msg, render
from grader.plain import encode
from grader.report.class_summary import cause_lines
from grader.report.dashboard import root_causes


def _row(student, check, exercise, *, mistakes=(), cause=None, lost=1.0, func="f"):
    return {"student": student, "check": check, "exercise": exercise, "kind": "value", "func": func,
            "mistakes": list(mistakes), "title_text": check, "title": json.dumps(encode(msg("title.value", func=func))),
            "cause": json.dumps(encode(cause)) if cause is not None else "", "lost": lost}


RELAY = msg("check.builds_on", exercises=[msg("exercise.lstm_step")])


def _class():
    rows = []
    for s in ("s1", "s2", "s3"):  # the block fails with mistake 4; everything on top of it relays
        rows.append(_row(s, "lstm_step.grad.dprev_c", "lstm_step", mistakes=["4"], func="lstm_step_backward"))
        for c in ("lstm.forward", "lstm.grad.dx", "lstm.grad.dWx"):
            rows.append(_row(s, c, "lstm", cause=RELAY, func="lstm_forward"))
    rows.append(_row("s4", "relu.forward", "relu", cause=msg("call.missing", func="relu_forward"), func="relu_forward"))
    rows.append(_row("s4", "lstm.forward", "lstm", cause=RELAY, func="lstm_forward"))  # its block has no failing row
    return rows


def test_relays_are_folded_under_the_cause_they_point_to():
    causes = root_causes(_class())
    first = causes[0]
    assert first.key == ("mistake", "4") and len(first.students) == 3
    assert set(first.consequences) == {"lstm.forward", "lstm.grad.dx", "lstm.grad.dWx"}
    assert first.consequence_students == {"s1", "s2", "s3"} and first.consequence_lost == 9
    roots = [c for c in causes if not c.relay]
    assert all(c.label.key != "check.builds_on" for c in roots if hasattr(c.label, "key"))
    assert causes[-1].relay and causes[-1].students == {"s4"}  # unplaced: after every root cause
    assert [c.relay for c in causes] == sorted(c.relay for c in causes)


def test_a_known_mistake_is_labelled_as_one_in_both_languages():
    [cause] = [c for c in root_causes(_class()) if c.key == ("mistake", "4")]
    assert render(cause.label, "en").startswith("Known mistake 4: ")
    assert render(cause.label, "zh").startswith("常见错误 4：")
    lines = cause_lines(_class(), "en")
    assert "Known mistake 4:" in lines[2] and "(and 3 checks failing as a consequence)" in lines[2]
    assert "常见错误 4：" in cause_lines(_class(), "zh")[2]
