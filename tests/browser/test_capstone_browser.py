"""The capstone's part of the report in Chromium at phone width: every text of its
plots is drawn at 11 px or more, nothing is wider than the screen, and the page loads
cleanly. Skipped, with the reason printed, where Chromium or Playwright is missing
(see browserkit.py)."""

from __future__ import annotations

import pytest
from browserkit import PHONE, browser, open_page  # noqa: F401 - the fixture

from grader.report.html import render_html

# Rendered font size of each text of the section's plots: the font size times the
# scale of the text's screen transform (rotated labels included).
TEXT_SIZES = """() => Array.from(document.querySelectorAll('#capstone svg text')).map(e => {
  const m = e.getScreenCTM();
  return parseFloat(getComputedStyle(e).fontSize) * Math.hypot(m.a, m.b);
})"""


@pytest.fixture(scope="module")
def pages(tmp_path_factory, capstone_reference_result):
    result = capstone_reference_result
    root = tmp_path_factory.mktemp("capstone-report")
    out = {}
    for lang in ("zh", "en"):
        path = root / f"capstone-{lang}.html"
        path.write_text(render_html(result, lang), encoding="utf-8")
        out[lang] = path
    return out


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("width", [PHONE["width"], 360])
def test_the_capstone_plots_read_on_a_phone(browser, pages, lang, width):  # noqa: F811 - the fixture
    page, seen = open_page(browser, pages[lang], {"width": width, "height": PHONE["height"]})
    try:
        sizes = page.evaluate(TEXT_SIZES)
        assert len(sizes) > 40  # four plots with ticks, labels and legends
        assert min(sizes) >= 11 - 0.05, sorted(sizes)[:5]
        assert page.locator("#capstone svg").count() == 4
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert seen["console"] == [] and seen["errors"] == []
        assert page.locator("#capstone table.predictions").is_visible()
    finally:
        page.close()
