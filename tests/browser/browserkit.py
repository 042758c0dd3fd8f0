"""What the browser tests share: the Chromium to drive, where screenshots go (the CI
artefacts folder named in the README), opening a page while recording what it
tried to do, and the facts measured inside a page (contrast, overflow, captions,
plot text, colours of plot lines).

Chromium: ``$RNNGRADE_CHROMIUM`` or ``chromium``/``chromium-browser``/``google-chrome``
on PATH (Debian's ``chromium`` package; ``.ci/run`` installs it). Playwright's own
browser download is never used. Without a Chromium binary the tests are skipped.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}
MIN_PLOT_TEXT_PX = 11.0
MIN_LINE_CONTRAST = 4.5  # plot lines and markers on white, like text


def chromium_path() -> str | None:
    env = os.environ.get("RNNGRADE_CHROMIUM")
    if env and Path(env).exists():
        return env
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def artifacts(kind: str) -> Path:
    """``$RNNGRADE_ARTIFACTS/<kind>`` (default ``artifacts/<kind>`` at the top of the
    project): what CI keeps after a run, e.g. the report screenshots."""
    base = Path(os.environ.get("RNNGRADE_ARTIFACTS") or ROOT / "artifacts")
    folder = base / kind
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser():
    exe = chromium_path()
    if exe is None:
        pytest.skip("no Chromium binary found (apt-get install chromium, or set RNNGRADE_CHROMIUM); "
                    "the browser tests need a real browser")
    if importlib.util.find_spec("playwright") is None:
        pytest.skip("the Python package playwright is not installed (pip install -e '.[test]')")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=LAUNCH_ARGS)
        yield b
        b.close()


def open_page(browser, path: Path, viewport: dict):
    """The page at ``path``, and what it tried: console messages, errors, requests, dialogs."""
    page = browser.new_page(viewport=viewport)
    seen: dict[str, list[str]] = {"console": [], "errors": [], "requests": [], "dialogs": []}
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


# Runs in the page. Contrast of text that carries meaning (WCAG AA, 4.5:1) and of plot
# lines on white; heading levels; overflow of the page and of tables inside their
# scroll boxes; captions squeezed narrower than their text; plot text size on screen.
PAGE_FACTS = """() => {
  const lum = (rgb) => {
    const c = rgb.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const parse = (s) => { const m = s && s.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(',').map(Number); return {rgb: p.slice(0, 3), a: p.length > 3 ? p[3] : 1}; };
  const ratio = (f, b) => { const [x, y] = [lum(f), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0.5) return c.rgb;
    }
    return [255, 255, 255];
  };
  // on screen now (a closed <details> keeps its content laid out, hidden: checkVisibility knows)
  const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden'
                        && (!el.checkVisibility || el.checkVisibility({contentVisibilityAuto: true}));
  const selectors = ['body p', 'li', 'th', 'td', 'a', 'code', '.ok', '.bad', '.state-partial', '.state-pending',
                     '.note', '.muted', '.mistake p', 'td.wrong', '.mark', 'summary', 'pre', 'caption', 'figcaption',
                     'h1', 'h2', 'h3', '.pts', '.extra', 'dt', 'dd'];
  const low = [];
  for (const sel of selectors) {
    for (const el of Array.from(document.querySelectorAll(sel)).slice(0, 60)) {
      if (!el.textContent.trim() || !shown(el)) continue;
      const r = ratio(parse(getComputedStyle(el).color).rgb, background(el));
      if (r < 4.5) low.push(sel + ': ' + r.toFixed(2) + ' ' + el.textContent.trim().slice(0, 30));
    }
  }
  const lines = [];
  for (const el of document.querySelectorAll('svg polyline, svg circle, svg rect[fill], svg polygon')) {
    const colour = el.getAttribute('stroke') || el.getAttribute('fill');
    if (!colour || !colour.startsWith('#') || colour.toLowerCase() === '#ffffff') continue;
    if (el.tagName === 'rect' && el.closest('clipPath')) continue;
    const hex = colour.slice(1); const rgb = [0, 2, 4].map(i => parseInt(hex.slice(i, i + 2), 16));
    if (el.tagName === 'rect' && el.getAttribute('width') && +el.getAttribute('width') > 40) continue;  // backgrounds
    const r = ratio(rgb, [255, 255, 255]);
    if (r < MIN_LINE) lines.push(colour + ': ' + r.toFixed(2));
  }
  const W = window.innerWidth;
  const tables = [];
  for (const box of document.querySelectorAll('.scroll')) {
    if (!shown(box) || box.querySelector('table.array')) continue;
    if (box.scrollWidth > box.clientWidth + 1) tables.push((box.closest('[id]') || {}).id + ': ' + box.scrollWidth + ' > ' + box.clientWidth);
  }
  const squeezed = [];
  for (const c of document.querySelectorAll('caption, figcaption')) {
    if (!shown(c)) continue;
    const text = c.textContent.trim(); if (!text) continue;
    const lh = parseFloat(getComputedStyle(c).lineHeight) || 1.5 * parseFloat(getComputedStyle(c).fontSize);
    const nLines = Math.max(1, Math.round(c.getBoundingClientRect().height / lh));
    if (text.length / nLines < Math.min(text.length, 8)) squeezed.push(text.slice(0, 30) + ': ' + nLines + ' lines');
  }
  const tiny = [];
  for (const t of document.querySelectorAll('svg text')) {
    if (!shown(t) || !t.textContent.trim()) continue;
    const m = t.getScreenCTM();  // rotated labels too: the scale is the length of a column
    const px = parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
    if (px < MIN_TEXT) tiny.push(t.textContent.trim().slice(0, 20) + ': ' + px.toFixed(1) + 'px');
  }
  const levels = Array.from(document.querySelectorAll('h1,h2,h3,h4,h5,h6')).map(h => +h.tagName[1]);
  return {levels, low, lines, tables, squeezed, tiny, scrollWidth: document.documentElement.scrollWidth, width: W,
          height: document.documentElement.scrollHeight,
          fontFamily: getComputedStyle(document.body).fontFamily,
          monoFamily: (document.querySelector('.num') ? getComputedStyle(document.querySelector('.num')).fontFamily : ''),
          text: document.body.innerText,
          scripts: document.scripts.length, images: document.images.length, xss: !!window.__xss};
}""".replace("MIN_LINE", str(MIN_LINE_CONTRAST)).replace("MIN_TEXT", str(MIN_PLOT_TEXT_PX))


# Runs in the page: the tables (not the arrays of numbers, which scroll) that would be
# wider than their box with every <details> opened: folded content must fit too.
FOLDED_TABLES = """() => {
  document.querySelectorAll('details').forEach(d => { d.dataset.wasOpen = d.open ? '1' : ''; d.open = true; });
  const wide = [];
  for (const box of document.querySelectorAll('.scroll')) {
    if (!box.getClientRects().length || box.querySelector('table.array')) continue;
    if (box.scrollWidth > box.clientWidth + 1) wide.push((box.closest('[id]') || {}).id + ': ' + box.scrollWidth);
  }
  document.querySelectorAll('details').forEach(d => { d.open = !!d.dataset.wasOpen; });
  return wide;
}"""


def check_page_facts(facts: dict, label: str) -> None:
    """What every page of ours must satisfy, at every width."""
    assert facts["scripts"] == 0 and facts["images"] == 0 and not facts["xss"]
    levels = facts["levels"]
    assert levels[0] == 1 and all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), levels
    assert facts["scrollWidth"] <= facts["width"], f"wider than the {label} screen"
    assert facts["tables"] == [], f"tables wider than the {label} screen: {facts['tables'][:5]}"
    assert facts["low"] == [], f"text below WCAG AA contrast: {facts['low'][:5]}"
    assert facts["lines"] == [], f"plot colours below {MIN_LINE_CONTRAST}:1 on white: {facts['lines'][:5]}"
    assert facts["squeezed"] == [], f"captions narrower than their text: {facts['squeezed'][:5]}"
    assert facts["tiny"] == [], f"plot text below {MIN_PLOT_TEXT_PX} px: {facts['tiny'][:5]}"
    assert "_{" not in facts["text"], "raw LaTeX subscript (n_{L-1}) in the page"


def screenshot(page, folder: Path, stem: str, viewport: dict, parts: dict[str, str]) -> None:
    """The top of the page (two screens tall) and the first instance of each part,
    scrolled to, never a full-page capture (pages are thousands of pixels tall)."""
    tall = {"width": viewport["width"], "height": 2 * viewport["height"]}
    page.set_viewport_size(tall)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(folder / f"{stem}-top.png"))
    for part, selector in parts.items():
        box = page.evaluate("""(sel) => { const e = document.querySelector(sel); if (!e || !e.getClientRects().length)
            return null; e.scrollIntoView({block: 'start'}); const r = e.getBoundingClientRect();
            return {x: 0, y: Math.max(0, r.top - 8), width: document.documentElement.clientWidth,
                    height: Math.min(r.height + 16, window.innerHeight - Math.max(0, r.top - 8))}; }""", selector)
        if box and box["height"] > 0:
            page.screenshot(path=str(folder / f"{stem}-{part}.png"), clip=box)
    page.set_viewport_size(viewport)
    page.evaluate("window.scrollTo(0, 0)")
