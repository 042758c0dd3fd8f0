"""Numbers shown to people have at most two decimals (grader.display.shown): the
terminal summary, the HTML report, the dashboard, `rnngrade course` and the quiz's
points; results.json, the gradebook and LMS exports keep the exact values."""

from __future__ import annotations

import copy
import re

import pytest
from test_course_gradebook import _record

from grader import paths
from grader.api import grade
from grader.checks.policy import Weights, points_table
from grader.display import shown, signed
from grader.gradebook import Gradebook
from grader.i18n import msg, render
from grader.report.dashboard import render_dashboard
from grader.report.html import render_html
from grader.report.terminal import summary
from grader.specs import all_exercises

LONG = re.compile(r"\d\.\d{3,}")  # a number with three decimals or more


def test_shown_rounds_to_two_decimals_without_trailing_zeros():
    assert [shown(x) for x in (26.5385, 76.25, 10.0, 0.769231, 7.65957, -0.004, 1e6 / 3, 3)] == \
        ["26.54", "76.25", "10", "0.77", "7.66", "0", "333333.33", "3"]
    assert [signed(x) for x in (2, -0.5, 0.0, 49.7115)] == ["+2", "-0.5", "+0", "+49.71"]
    assert shown(float("nan")) == "nan" and shown("-") == "-"


@pytest.fixture(scope="module")
def odd_result():
    """The sample, with an adjustment of 1/3 point: a score of many decimals."""
    result = copy.deepcopy(grade(paths.EXAMPLES / "sample_submission", student="sample"))
    result.adjustments = [{"kind": "adjustment", "scope": "total", "target": "", "mode": "add", "value": 1 / 3,
                           "points": 1 / 3, "comment": "a third", "by": "ta", "at": "2025-03-12T08:00:00+00:00",
                           "id": 1, "applied": True}]
    assert LONG.search(str(result.score))  # the exact value is kept
    return result


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_terminal_and_the_html_report_show_two_decimals(odd_result, lang):
    text = summary(odd_result, lang)
    assert shown(odd_result.score) in text and not LONG.search(text), text
    html = render_html(odd_result, lang)
    points = re.findall(r'<span class="pts">(.*?)</span>\s*</', html, re.S)  # every points cell ...
    points += re.findall(r'<p class="total">(.*?)\n', html, re.S)  # ... the total ...
    points += re.findall(r'<table class="exercises adjustments"(.*?)</table>', html, re.S)  # ... and the adjustments
    assert len(points) > 20 and shown(odd_result.score) in "".join(points)
    assert not [p for p in points if LONG.search(re.sub("<[^>]+>", "", p))]


def test_course_table_and_quiz_points():
    table = points_table(all_exercises(), Weights({"net": 20}))
    assert not LONG.search(table) and re.search(r"\d\.\d\d\b", table)  # net scaled to 20: 2 decimals
    partial = msg("quiz.result.partial", answer="A", right=1, n=3, points=shown(10 / 13), max_points=shown(10 / 13 * 2),
                  rule=msg("quiz.rule.right_minus_wrong"))
    assert "0.77" in render(partial, "en")


def test_dashboard_rows_show_two_decimals_and_the_gradebook_keeps_the_exact_score(tmp_path):
    with Gradebook(tmp_path / "g.sqlite") as book:
        _record(book, "alice", {"relu.forward": (10 / 13, 4), "quiz.q1": (10 / 13, 10 / 13)})
        html = render_dashboard(book, "en", tmp_path / "d.html")
        assert LONG.search(str(book.students()[0]["score"]))
    row = re.search(r'<th scope="row">alice</th>\s*<td class="n num"[^>]*>([^<]*)</td>', html).group(1)
    assert row.startswith("1.54 / 4.77"), row
