"""The terminal's class statistics and the dashboard give the same mean and median
(the median of an even class is the mean of the two middle scores), each value with
its unit, in both languages."""

from __future__ import annotations

import re

import pytest
from test_course_gradebook import _record

from grader.gradebook import Gradebook
from grader.gradebook.stats import class_statistics
from grader.report.class_summary import class_summary_lines
from grader.report.dashboard import render_dashboard


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_terminal_and_dashboard_agree_on_the_median(tmp_path, lang):
    with Gradebook(tmp_path / "g.sqlite") as book:
        for key, points in (("a", 0), ("b", 1), ("c", 3), ("d", 4)):  # of 4: 0, 25, 75, 100 %
            _record(book, key, {"relu.forward": (points, 4)})
        terminal = "\n".join(class_summary_lines(class_statistics(book), lang))
        html = render_dashboard(book, lang, tmp_path / "dash.html")
    median = "中位数 50.0%" if lang == "zh" else "median 50.0%"
    mean = "平均 50.0%" if lang == "zh" else "mean 50.0%"
    assert median in terminal and mean in terminal
    summary = re.search(r'<p class="mode">(.*?)</p>', html, re.S).group(1)
    assert median in summary and mean in summary
    assert ("满分 4 分" if lang == "zh" else "of 4 points") in summary
