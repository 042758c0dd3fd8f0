"""What ``rnngrade grade`` does while it waits for the split's helper (grader/cli.py,
``_report_imports``): the reports' modules imported and the report's templates loaded."""

from __future__ import annotations

from grader.cli import _report_imports
from grader.report import html


def test_the_idle_work_loads_the_reports_templates(tmp_path):
    html.environment.cache_clear()
    _report_imports(None, tmp_path / "r.html")()
    partials = set(html.environment().list_templates(filter_func=lambda n: n.startswith("partials/")))
    assert partials and {"report.html.j2", *partials} <= {t.name for t in html.environment().cache.values()}


def test_no_report_asked_no_template_loaded():
    html.environment.cache_clear()
    _report_imports(None, None)()
    assert html.environment.cache_info().currsize == 0  # the environment was never made
