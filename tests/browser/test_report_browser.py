"""The HTML report in a real browser: headless Chromium driven by Playwright.

Reports for full marks, partial marks with named mistakes, a public self-check, a
crashed submission and a hostile one, in Chinese and English. Each page must load
with no console error, no request other than the file itself and no dialog; key
elements are found by selector; headings are in order; nothing is wider than a
phone screen; text colours meet WCAG AA; closed <details> print open. Screenshots at
desktop and phone width (the top of each report and its key parts) are saved under
the pytest tmp dir (``report-screenshots``).

Chromium: ``$RNNGRADE_CHROMIUM`` or ``chromium``/``chromium-browser``/``google-chrome``
on PATH (Debian's ``chromium`` package; ``.ci/run`` installs it). Playwright's own
browser download is never used. Without a Chromium binary these tests are skipped.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest
from reportkit import crashing_submission, hostile_result
from support import SOLUTIONS, grade_official

from grader import paths
from grader.api import grade
from grader.report.html import render_html

SAMPLE = paths.EXAMPLES / "sample_submission"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def chromium_path() -> str | None:
    env = os.environ.get("RNNGRADE_CHROMIUM")
    if env and Path(env).exists():
        return env
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser():
    exe = chromium_path()
    if exe is None:
        pytest.skip("no Chromium binary found (apt-get install chromium, or set RNNGRADE_CHROMIUM); "
                    "the report's browser tests need a real browser")
    if importlib.util.find_spec("playwright") is None:
        pytest.skip("the Python package playwright is not installed (pip install -e '.[test]')")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=LAUNCH_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("report-screenshots")


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, tuple[Path, str, object]]:
    """name -> (html file, lang, result)."""
    root = tmp_path_factory.mktemp("reports")
    full = grade(SOLUTIONS, solutions=SOLUTIONS, student="full-marks")
    sample = grade(SAMPLE, solutions=SOLUTIONS, student="sample")
    selfcheck = grade(SAMPLE, student="sample")
    crashed = grade_official(crashing_submission(root / "crashed-submission"))
    made = {
        "full_en": (full, "en"), "full_zh": (full, "zh"),
        "partial_zh": (sample, "zh"), "partial_en": (sample, "en"),
        "selfcheck_en": (selfcheck, "en"),
        "crashed_zh": (crashed, "zh"), "crashed_en": (crashed, "en"),
        "hostile_en": (hostile_result(), "en"), "hostile_zh": (hostile_result(), "zh"),
    }
    out = {}
    for name, (res, lang) in made.items():
        path = root / f"{name}.html"
        path.write_text(render_html(res, lang), encoding="utf-8")
        out[name] = (path, lang, res)
    return out


# Runs in the page: headings, overflow, and the contrast of text that carries meaning.
PAGE_FACTS = """() => {
  const lum = (rgb) => {
    const c = rgb.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const parse = (s) => { const m = s.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(',').map(Number); return {rgb: p.slice(0, 3), a: p.length > 3 ? p[3] : 1}; };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0.5) return c.rgb;
    }
    return [255, 255, 255];
  };
  const selectors = ['body p', 'li', 'th', 'td', 'a', 'code', '.ok', '.bad', '.state-partial', '.note',
                     '.muted', '.mistake p', 'td.wrong', '.mark', 'summary', 'pre', 'caption', 'figcaption', 'h1',
                     'h2', 'h3', '.pts', '.extra'];
  const low = [];
  for (const sel of selectors) {
    for (const el of Array.from(document.querySelectorAll(sel)).slice(0, 40)) {
      if (!el.textContent.trim() || !el.getClientRects().length) continue;
      const fg = parse(getComputedStyle(el).color).rgb, bg = background(el);
      const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
      const ratio = (a + 0.05) / (b + 0.05);
      if (ratio < 4.5) low.push(sel + ': ' + ratio.toFixed(2) + ' ' + el.textContent.trim().slice(0, 30));
    }
  }
  const levels = Array.from(document.querySelectorAll('h1,h2,h3,h4,h5,h6')).map(h => +h.tagName[1]);
  return {levels, low, scrollWidth: document.documentElement.scrollWidth, width: window.innerWidth,
          fontFamily: getComputedStyle(document.body).fontFamily,
          monoFamily: (document.querySelector('.num') ? getComputedStyle(document.querySelector('.num')).fontFamily : ''),
          scripts: document.scripts.length, images: document.images.length, xss: !!window.__xss};
}"""


def open_report(browser, path: Path, viewport: dict):
    page = browser.new_page(viewport=viewport)
    seen = {"console": [], "errors": [], "requests": [], "dialogs": []}
    page.on("console", lambda m: seen["console"].append(f"{m.type}: {m.text}") if m.type in ("error", "warning")
            else None)
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("request", lambda r: seen["requests"].append(r.url))

    def on_dialog(d):
        seen["dialogs"].append(d.message)
        d.dismiss()

    page.on("dialog", on_dialog)
    page.goto(path.as_uri(), wait_until="load")
    return page, seen


NAMES = ["full_en", "full_zh", "partial_zh", "partial_en", "selfcheck_en", "crashed_zh", "crashed_en",
         "hostile_en", "hostile_zh"]


@pytest.mark.parametrize("name", NAMES)
def test_report_in_chromium(browser, reports, shots, name):
    path, lang, res = reports[name]
    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page, seen = open_report(browser, path, viewport)
        try:
            facts = page.evaluate(PAGE_FACTS)
            save_screenshots(page, shots, f"{name}-{label}", viewport)
            assert seen["console"] == [] and seen["errors"] == [], seen
            assert seen["requests"] == [path.as_uri()], f"the report made requests: {seen['requests']}"
            assert seen["dialogs"] == [] and facts["scripts"] == 0 and facts["images"] == 0 and not facts["xss"]
            assert page.get_attribute("html", "lang") == ("zh-CN" if lang == "zh" else "en")
            assert page.locator("h1").count() == 1
            levels = facts["levels"]
            assert levels[0] == 1 and all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), levels
            assert facts["scrollWidth"] <= facts["width"], f"wider than the {label} screen"
            assert facts["low"] == [], f"text below WCAG AA contrast: {facts['low'][:5]}"
            assert page.locator("#summary .total").is_visible()
            assert "Noto Sans CJK SC" in facts["fontFamily"] and "monospace" in facts["monoFamily"]
            check_content(page, name, res)
        finally:
            page.close()


# Parts worth looking at, each saved as its own picture (whole pages of a full
# submission are tens of thousands of pixels tall).
PARTS = {"failed": "article.check.failed", "mistake": "article.check:has(.mistake)",
         "gradients": "article.check.failed:has(table.gradients)", "arrays": "article.check:has(table.array)",
         "loading": "#loading", "plot": "figure:has(svg)", "quiz": "#quiz article.check.failed"}


def save_screenshots(page, shots: Path, stem: str, viewport: dict) -> None:
    """The top of the report and the first instance of each part, each one screen
    (two screens tall) at most; scrolled to, never a full-page capture."""
    tall = {"width": viewport["width"], "height": 2 * viewport["height"]}
    page.set_viewport_size(tall)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(shots / f"{stem}-top.png"))
    for part, selector in PARTS.items():
        box = page.evaluate("""(sel) => { const e = document.querySelector(sel); if (!e) return null;
            e.scrollIntoView({block: 'start'}); const r = e.getBoundingClientRect();
            return {x: 0, y: Math.max(0, r.top - 8), width: document.documentElement.clientWidth,
                    height: Math.min(r.height + 16, window.innerHeight - Math.max(0, r.top - 8))}; }""", selector)
        if box and box["height"] > 0:
            page.screenshot(path=str(shots / f"{stem}-{part}.png"), clip=box)
    page.set_viewport_size(viewport)


def check_content(page, name: str, res) -> None:
    failed = page.locator("article.check.failed")
    # pass/fail is said in words and symbols, not only by colour
    for article in failed.all()[:5]:
        assert "✘" in article.locator("h3").inner_text()
    if name.startswith("full"):
        assert res.score == res.max_score
        assert failed.count() == 0 and page.locator(".mistake").count() == 0
        assert page.locator("table.gradients").count() >= 3
    elif name.startswith("partial"):
        assert page.locator(".mistake").count() >= 1
        assert page.locator("#summary .mistake-list a").count() >= 1
        assert page.locator("table.gradients").count() >= 1
        word = "常见错误" if name.endswith("zh") else "Known mistake"
        assert word in page.locator(".mistake").first.inner_text()
        assert page.locator("table.array").count() == 0  # official: hidden inputs, no expected values
        if importlib.util.find_spec("grader.experiments") and res.extras.get("experiments"):
            assert page.locator("svg").count() >= 1
        if any(e.exercise.name == "quiz" for e in res.exercises):
            assert page.locator("#quiz").is_visible()
    elif name.startswith("selfcheck"):
        assert page.locator("table.array td.wrong").count() >= 1
        assert "✗" in page.locator("table.array td.wrong").first.inner_text()
    elif name.startswith("crashed"):
        assert page.locator("#loading").is_visible()
        assert failed.count() >= 3
        assert page.locator("#loading pre").count() == 1  # what it printed while loading
    elif name.startswith("hostile"):
        assert page.locator("script, img, iframe").count() == 0
        assert "<script>alert('xss')</script>" in page.locator("body").inner_text()


def test_closed_details_print_open(browser, reports, shots):
    path, _, _ = reports["crashed_en"]
    page, seen = open_report(browser, path, DESKTOP)
    try:
        closed = page.locator("details:not([open]) pre")
        assert closed.count() >= 1
        assert not closed.first.is_visible()  # on screen: folded
        page.emulate_media(media="print")
        assert closed.first.is_visible()  # on paper: everything is there
        page.pdf(path=str(shots / "crashed_en.pdf"))
        assert seen["console"] == []
    finally:
        page.close()
