"""The class dashboard in a real browser (headless Chromium), both languages from the
same gradebook (graded in Chinese), at desktop and phone width: no request, no
overflow, contrast, readable plot text, the causes first, every student linked to a
report that exists. Screenshots go to artifacts/screenshots (README)."""

from __future__ import annotations

from pathlib import Path

import pytest
from browserkit import FOLDED_TABLES, VIEWPORTS, artifacts, browser, check_page_facts, open_page, screenshot
from browserkit import PAGE_FACTS as FACTS
from dashboardkit import STUDENTS, graded_class

from grader.gradebook import Gradebook
from grader.report.dashboard import write_dashboard

__all__ = ["browser"]


@pytest.fixture(scope="module")
def dashboards(tmp_path_factory) -> dict[str, Path]:
    out = graded_class(tmp_path_factory.mktemp("dashboard"), lang="zh")
    pages = {}
    with Gradebook(out / "gradebook.sqlite") as book:
        for lang in ("zh", "en"):
            pages[lang] = out / f"dashboard-{lang}.html"
            write_dashboard(book, pages[lang], lang)
    return pages


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_dashboard_in_chromium(browser, dashboards, lang):
    path, shots = dashboards[lang], artifacts("screenshots")
    for label, viewport in VIEWPORTS.items():
        page, seen = open_page(browser, path, viewport)
        try:
            facts = page.evaluate(FACTS)
            screenshot(page, shots, f"dashboard-{lang}-{label}", viewport,
                       {"causes": "#causes", "students": "#students", "histogram": "figure.plot"})
            assert seen["console"] == [] and seen["errors"] == [], seen
            assert seen["requests"] == [path.as_uri()], seen["requests"]
            check_page_facts(facts, label)
            assert page.evaluate(FOLDED_TABLES) == [], f"folded tables wider than the {label} screen"
            assert page.get_attribute("html", "lang") == ("zh-CN" if lang == "zh" else "en")
            # the causes come first, one line each, their checks folded
            assert page.evaluate("document.querySelector('#causes').getBoundingClientRect().top") < viewport["height"]
            assert page.locator("ol.causes > li").count() >= 5
            assert not page.locator("ol.causes details ul").first.is_visible()
            links = page.locator("#students a")
            assert links.count() == len(STUDENTS)
            for a in links.all():
                assert (path.parent / a.get_attribute("href")).resolve().is_file()
            text = facts["text"]
            assert ("全班失分的原因" in text) == (lang == "zh") and ("Why the class loses points" in text) == (lang == "en")
        finally:
            page.close()
