"""The course's count texts (late penalty, adjustments, held-back items, the batch's
late and no-time lines) take their plural forms (``{n:# day|# days}``): '1 day',
'1 point', '1 hand-in was late', never '1 day(s)' or '1 hand-ins were late'."""

from __future__ import annotations

import pytest

from grader.i18n import Message, msg, render
from grader.results.text import adjustment_message, adjustment_title

LATE = {"kind": "late", "handed_in": "2025-03-10T09:00:00+08:00", "due": "2025-03-09T23:59:00+08:00",
        "percent": 10.0}


@pytest.mark.parametrize("days, points, line, title", [
    (1, -1.0, "1 day after the due date (2025-03-09 23:59 +08:00): 10% of the score, -1 point.",
     "Late penalty (1 day, 10%)"),
    (2, -0.5, "2 days after the due date (2025-03-09 23:59 +08:00): 10% of the score, -0.5 points.",
     "Late penalty (2 days, 10%)"),
])
def test_the_late_penalty_counts_days_and_points(days, points, line, title):
    late = {**LATE, "days": days, "points": points}
    assert line in render(adjustment_message(late), "en")
    assert render(adjustment_title(late), "en") == title
    assert f"晚 {days} 天" in render(adjustment_message(late), "zh")


# An --add says its points once (in what it is), a set says the change it made.
@pytest.mark.parametrize("scope, mode, value, points, text", [
    ("total", "add", 1.0, 1.0, "Total: +1 point, by ta on 2025-03-12 08:00 UTC."),
    ("total", "add", 2.0, 2.0, "Total: +2 points, by ta on 2025-03-12 08:00 UTC."),
    ("check", "set", 1.0, -3.0, "lstm.grad.dWx set to 1 point, by ta on 2025-03-12 08:00 UTC: -3 points."),
    ("exercise", "set", 0.0, -7.0, "Exercise gru set to 0 points, by ta on 2025-03-12 08:00 UTC: -7 points."),
    ("exercise", "add", -1.0, -1.0, "Exercise gru: -1 point, by ta on 2025-03-12 08:00 UTC."),
])
def test_an_adjustment_counts_its_points(scope, mode, value, points, text):
    target = {"check": "lstm.grad.dWx", "exercise": "gru", "total": ""}[scope]
    line = {"kind": "adjustment", "scope": scope, "target": target, "mode": mode, "value": value, "points": points,
            "by": "ta", "at": "2025-03-12T08:00:00+00:00", "comment": ""}
    assert render(adjustment_message(line), "en").strip() == text


@pytest.mark.parametrize("key, params, en", [
    ("course.held_until_due", {"n": 1, "points": "1", "date": "2025-03-09 23:59"},
     "1 more item of this exercise (1 point) is shown after your due date"),
    ("course.held_until_due", {"n": 3, "points": "4.5", "date": "2025-03-09 23:59"},
     "3 more items of this exercise (4.5 points) are shown after your due date"),
    ("course.hidden_items", {"n": 1, "points": "2"}, "1 item of this exercise (2 points) is graded but not shown."),
    ("course.hidden_items", {"n": 2, "points": "1"}, "2 items of this exercise (1 point) are graded but not shown."),
    ("course.batch_late", {"n": 1}, "1 hand-in was late: the late penalty is in its grade and report."),
    ("course.batch_late", {"n": 2}, "2 hand-ins were late: the late penalty is in their grades and reports."),
    ("course.batch_no_time", {"n": 1, "source": "lms"},
     "1 hand-in has no known hand-in time (--handed-in lms): no late penalty could be applied to it."),
    ("course.batch_no_time", {"n": 4, "source": "lms"},
     "4 hand-ins have no known hand-in time (--handed-in lms): no late penalty could be applied to them."),
])
def test_the_course_counts_read_right(key, params, en):
    assert en in render(Message(key, params), "en")
    zh = render(msg(key, **params), "zh")
    assert str(params["n"]) in zh and "|" not in zh


ONE_EACH = """
[[assignment]]
name = "w"
exercises = ["relu"]
questions = ["bp_layers"]
due = 2025-03-08T23:59:00+08:00
late = { per_day = 10, cap = 30, grace_minutes = GRACE }
extensions = { "alice" = 2 }
points = { quiz = 1 }
"""


def test_the_course_command_and_the_release_readme_count_one_as_one(tmp_path):
    from click.testing import CliRunner
    from course_support import course_file, course_folder

    from grader.cli import main
    from grader.deploy.release import bundle_files

    course = course_folder(tmp_path / "course", ONE_EACH.replace("GRACE", "1"), exercises=False)
    shown = CliRunner().invoke(main, ["course", "--course", str(course)])
    assert shown.exit_code == 0, shown.output
    assert "extensions: 1 student\n" in shown.output and "quiz: 1 question, 1 point\n" in shown.output
    for grace, words in (("1", "within 1 minute after"), ("15", "within 15 minutes after")):
        assignment = course_file(ONE_EACH.replace("GRACE", grace)).assignment("w")
        readme = bundle_files(course / "solutions", assignment=assignment, with_ci=False)["README.md"]
        assert f"(a hand-in {words} the due date is not late)" in readme
