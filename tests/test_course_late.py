"""Late penalties, manual adjustments and the final score: the one settlement, its order
and bounds, hand-in times from every source, and what a student may see before the due date."""

from __future__ import annotations

import datetime as _dt
import json
import os

import pytest
from course_support import course_file
from support import SOLUTIONS, grade_fast

from grader.assignments import handins
from grader.assignments.adjustments import Adjustment, Item, settle
from grader.assignments.handins import HandIn, HandinTimesError, newest_mtime, parse_time, read_times
from grader.assignments.late import Lateness, LatePolicy, assess, days_late
from grader.assignments.stage import student_view
from grader.checks.model import Kind
from grader.i18n import LANGS, render
from grader.report.html import render_html
from grader.report.terminal import summary
from grader.results.gradescope import to_gradescope
from grader.results.text import adjustment_message

CST = _dt.timezone(_dt.timedelta(hours=8))
DUE = _dt.datetime(2025, 3, 8, 23, 59, tzinfo=CST)
POLICY = LatePolicy(per_day=10, cap=30, grace_minutes=30)


# ------------------------------------------------------------------ how late, what it costs
@pytest.mark.parametrize("after, days", [
    (_dt.timedelta(minutes=-1), 0),
    (_dt.timedelta(minutes=30), 0),  # within the grace period: on time
    (_dt.timedelta(minutes=31), 1),  # after it: late, counted from the due date
    (_dt.timedelta(hours=24), 1),
    (_dt.timedelta(hours=24, minutes=1), 2),  # a started day is a day
    (_dt.timedelta(days=9), 9),
])
def test_days_late_count_started_days_after_the_grace_period(after, days):
    assert days_late(DUE + after, DUE, 30) == days


def test_the_penalty_is_per_day_up_to_the_cap():
    assert assess(DUE + _dt.timedelta(hours=25), DUE, POLICY, "csv").percent == 20
    assert assess(DUE + _dt.timedelta(days=9), DUE, POLICY, "csv").percent == 30  # cap
    on_time = assess(DUE, DUE, POLICY, "csv")
    assert not on_time.late and on_time.percent == 0
    free = assess(DUE + _dt.timedelta(days=3), DUE, None, "csv")  # no policy: recorded, costs nothing
    assert free.days == 3 and free.percent == 0
    assert Lateness.from_dict(json.loads(json.dumps(free.to_dict()))) == free


# ------------------------------------------------------------------ the settlement
ITEMS = [Item("relu.forward", "relu", 2.0, 2.0), Item("relu.grad", "relu", 0.0, 2.0),
         Item("affine.forward", "affine", 3.0, 6.0), Item("quiz.q1", "quiz", 1.0, 1.0)]


def _adj(scope, target, mode, value, comment="because", at="2025-03-10T00:00:00+00:00"):
    return Adjustment(scope, target, mode, value, comment, "ta", at)


def test_a_check_can_be_set_or_raised_within_its_maximum():
    s = settle(ITEMS, [_adj("check", "relu.grad", "set", 2)])
    assert s.base == 6 and s.score == 8 and s.adjusted == 2
    assert settle(ITEMS, [_adj("check", "relu.grad", "add", 5)]).score == 8  # never above the item's maximum
    assert settle(ITEMS, [_adj("check", "relu.forward", "add", -5)]).score == 4  # never below 0
    assert settle(ITEMS, [_adj("check", "relu.forward", "set", 0), _adj("check", "relu.forward", "add", 1)]).score == 5


def test_exercise_adjustments_apply_after_check_adjustments_and_stay_within_the_exercise():
    s = settle(ITEMS, [_adj("exercise", "relu", "set", 1), _adj("check", "relu.grad", "set", 2)])
    assert s.score == 5  # relu: check set first (4 points), then the exercise set to 1
    assert [ln["scope"] for ln in s.lines] == ["check", "exercise"]
    assert settle(ITEMS, [_adj("exercise", "affine", "add", 10)]).score == 9  # affine at most 6


def test_the_late_penalty_comes_after_item_adjustments_and_before_the_totals():
    late = assess(DUE + _dt.timedelta(hours=25), DUE, POLICY, "csv")  # 20 %
    s = settle(ITEMS, [_adj("total", "", "add", 1), _adj("check", "relu.grad", "set", 2)], late)
    assert [ln["kind"] for ln in s.lines] == ["adjustment", "late", "adjustment"]
    assert s.lines[1]["points"] == pytest.approx(-1.6)  # 20 % of 8
    assert s.score == pytest.approx(7.4) and s.late_points == pytest.approx(-1.6)
    assert settle(ITEMS, [_adj("total", "", "add", -100)], late).score == 0  # never below 0
    assert settle(ITEMS, [_adj("total", "", "set", 3)], late).score == 3
    assert settle(ITEMS, [_adj("total", "", "add", 100)]).score == 11  # nor above the maximum


def test_an_adjustment_of_something_the_grade_lacks_is_a_line_that_says_so():
    s = settle(ITEMS, [_adj("check", "lstm.forward", "set", 1), _adj("exercise", "gru", "add", 1)])
    assert s.score == s.base == 6
    assert [ln["applied"] for ln in s.lines] == [False, False]
    assert "was not applied" in render(adjustment_message(s.lines[0]), "en")


@pytest.mark.parametrize("bad", [
    dict(scope="check", target="", mode="set", value=1, comment="x"),
    dict(scope="total", target="relu", mode="set", value=1, comment="x"),
    dict(scope="course", target="", mode="set", value=1, comment="x"),
    dict(scope="total", target="", mode="times", value=1, comment="x"),
    dict(scope="total", target="", mode="add", value=1, comment="  "),
    dict(scope="total", target="", mode="set", value=-1, comment="x"),
    dict(scope="total", target="", mode="add", value=float("nan"), comment="x"),
])
def test_malformed_adjustments_are_refused(bad):
    with pytest.raises(ValueError):
        Adjustment(**bad)


# ------------------------------------------------------------------ hand-in times
def test_times_are_read_in_the_forms_the_sources_write():
    assert parse_time("2025-03-09T08:00:00+08:00") == _dt.datetime(2025, 3, 9, 8, tzinfo=CST)
    assert parse_time("2025-03-09T00:00:00Z") == _dt.datetime(2025, 3, 9, tzinfo=_dt.UTC)
    assert parse_time("2025-03-09 08:00", CST) == _dt.datetime(2025, 3, 9, 8, tzinfo=CST)
    assert parse_time("Monday, 10 March 2025, 10:05 AM", CST) == _dt.datetime(2025, 3, 10, 10, 5, tzinfo=CST)
    assert parse_time("Monday, 10 March 2025, 10:05 PM", CST).hour == 22
    assert parse_time("-") is None and parse_time("") is None and parse_time("yesterday") is None


def test_a_csv_of_times_is_read_and_every_bad_row_named(tmp_path):
    good = tmp_path / "times.csv"
    good.write_text("学号,提交时间\n2023001,2025-03-09T08:00:00+08:00\nalice,2025-03-08 12:00\n", encoding="utf-8")
    times = read_times(good, CST)
    assert times["2023001"] == HandIn(_dt.datetime(2025, 3, 9, 8, tzinfo=CST), "csv")
    assert times["alice"].time == _dt.datetime(2025, 3, 8, 12, tzinfo=CST)
    bad = tmp_path / "bad.csv"
    bad.write_text("id,submitted\n,2025-03-09T08:00:00Z\nbob,soon\nbob,2025-03-09T08:00:00Z\ncy,2025-03-09T08:00:00Z\n"
                   "cy,2025-03-10T08:00:00Z\n")
    with pytest.raises(HandinTimesError) as exc:
        read_times(bad)
    assert len(exc.value.problems) == 3 and "row 2: no student id" in str(exc.value)
    assert "row 3 (bob): unreadable time 'soon'" in str(exc.value) and "row 6: cy has a time already" in str(exc.value)
    (tmp_path / "nocols.csv").write_text("name,when\nx,y\n")
    with pytest.raises(HandinTimesError, match="no student id column.*\n.*no time column"):
        read_times(tmp_path / "nocols.csv")


def test_file_times_are_the_newest_regular_files_never_through_a_link(tmp_path):
    hand_in = tmp_path / "alice"
    (hand_in / "sub").mkdir(parents=True)
    (hand_in / "layers.py").write_text("x = 1\n")
    (hand_in / "sub" / "more.py").write_text("y = 2\n")
    os.utime(hand_in / "layers.py", (1_700_000_000, 1_700_000_000))
    os.utime(hand_in / "sub" / "more.py", (1_700_000_500, 1_700_000_500))
    outside = tmp_path / "outside.py"
    outside.write_text("z = 3\n")
    os.utime(outside, (1_800_000_000, 1_800_000_000))
    (hand_in / "link.py").symlink_to(outside)  # a newer file behind a link does not count
    assert newest_mtime([hand_in]) == _dt.datetime.fromtimestamp(1_700_000_500, _dt.UTC)
    assert newest_mtime([tmp_path / "missing"]) is None
    assert handins.lms_time({"Last modified (submission)": "Monday, 10 March 2025, 10:05 AM"}, CST).day == 10
    assert handins.lms_time({"Status": "Submitted"}) is None


# ------------------------------------------------------------------ a grade with them
@pytest.fixture(scope="module")
def week3():
    return course_file().assignment("week3")


def test_a_late_official_grade_has_the_penalty_in_every_output(week3):
    handed = HandIn(_dt.datetime(2025, 3, 24, 9, 0, tzinfo=CST), "given")  # carol: 2 started days late
    r = grade_fast(SOLUTIONS, assignment=week3, student="carol", handed_in=handed)
    [late] = r.adjustments
    assert late["kind"] == "late" and late["days"] == 2 and late["percent"] == 20
    assert r.score == pytest.approx(0.8 * r.graded_score) and r.graded_score == r.max_score
    assert r.due.startswith("2025-03-22T23:59") and r.handed_in.startswith("2025-03-24T09:00")
    data = to_gradescope(r, "en")
    assert data["score"] == pytest.approx(r.score)
    [test] = [t for t in data["tests"] if "adjustment" in t["extra_data"]]
    assert test["score"] == test["max_score"] == 0 and test["extra_data"]["points"] == pytest.approx(late["points"])
    assert "Late penalty" in test["name"] and test["status"] == "failed"
    assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]) + late["points"])
    assert data["extra_data"]["adjustments"] == [late] and data["extra_data"]["graded_score"] == r.graded_score
    for lang in LANGS:
        assert render(adjustment_message(late), lang) in summary(r, lang)
        html = render_html(r, lang)
        assert 'id="h-adjustments"' in html and "-" + f"{-late['points']:g}" in html
    # alice has an extension of 2 days: the same time is on time for her
    on_time = grade_fast(SOLUTIONS, assignment=week3, student="alice", handed_in=handed)
    assert on_time.adjustments == [] and on_time.score == on_time.max_score
    assert on_time.due.startswith("2025-03-24T23:59")


def test_adjustments_are_applied_to_an_official_grade_and_said(week3):
    adj = [_adj("check", "lstm.forward", "set", 0, comment="the forward is hard-coded for one length"),
           _adj("total", "", "add", 1, comment="bonus for the write-up")]
    r = grade_fast(SOLUTIONS, assignment=week3, student="carol", adjustments=adj)
    lstm_forward = next(c for c in r.checks if c.id == "lstm.forward")
    assert [ln["points"] for ln in r.adjustments] == [-lstm_forward.max_points, 1]
    assert r.score == pytest.approx(r.graded_score - lstm_forward.max_points + 1)
    html = render_html(r, "en")
    assert "the forward is hard-coded for one length" in html and "bonus for the write-up" in html


def test_a_self_check_has_no_late_penalty_and_no_adjustment(week3):
    from grader.api import grade

    r = grade(SOLUTIONS, student="carol", assignment=week3, trusted_in_process=True,
              handed_in=HandIn(_dt.datetime(2025, 4, 1, tzinfo=CST), "given"),
              adjustments=[_adj("total", "", "add", 5)])
    assert not r.official and r.adjustments == [] and r.handed_in == ""


def test_before_the_due_date_a_student_sees_only_what_is_visible(week3):
    r = grade_fast(SOLUTIONS, assignment=week3, student="carol")
    backward = [c for c in r.checks if c.kind == Kind.BACKWARD]
    before = student_view(r, _dt.datetime(2025, 3, 20, tzinfo=CST))
    assert not any(c.kind == Kind.BACKWARD for c in before.checks)
    # held: the backward items (the course file) and the counted quiz's verdicts (the quiz's own rule)
    held = [c for c in r.checks if c.visibility == "after_due_date"]
    assert {c.id for c in held} >= {c.id for c in backward} and {c.kind for c in held} == {Kind.BACKWARD, Kind.QUIZ}
    assert before.max_score == pytest.approx(r.max_score - sum(c.max_points for c in held))
    notes = [n for e in before.exercises for n in e.notes if n.key == "course.held_until_due"]
    assert sum(n.params["n"] for n in notes) == len(held)
    assert "2025-03-22 23:59" in render(notes[0], "en")
    after = student_view(r, _dt.datetime(2025, 3, 23, tzinfo=CST))
    assert after is r  # everything is shown after the due date
    # Gradescope gets every test, with its visibility; the summary only what may be seen.
    data = to_gradescope(r, "en")
    assert {t["visibility"] for t in data["tests"] if t["extra_data"].get("id", "").endswith(".reference")} \
        == {"after_due_date"}
