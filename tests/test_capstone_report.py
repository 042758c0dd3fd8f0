"""The capstone's part of the HTML report (templates/partials/capstone.html.j2, plots
from grader/capstone/plots.py): curves for RNN vs LSTM vs GRU and for clipping on and
off, drawn at a width whose 11 px text stays 11 px on a phone, in colours that stand
out from the page; the predictions with 今天是个好日子 read token by token; the honest
note on the negated sentences; and the explanation of each failure the mutants showed.
In both languages; a skipped or failed stage says so instead of drawing nothing."""

from __future__ import annotations

import re

import pytest
from browser.reportkit import Page
from support import SOLUTIONS
from test_capstone_stage import stage_grade

from grader import paths
from grader.capstone import plots, train
from grader.i18n import msg, render
from grader.report.html import render_html


def contrast_with_white(colour: str) -> float:
    def channel(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    lum = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return 1.05 / (lum + 0.05)


def section(html: str) -> str:
    match = re.search(r'<section id="capstone".*?</section>', html, re.S)
    assert match, "no capstone section"
    return match.group(0)


@pytest.fixture(scope="module")
def reference(capstone_reference_result):
    return capstone_reference_result


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_reports_curves_predictions_and_notes(reference, lang):
    part = section(render_html(reference, lang))
    svgs = re.findall(r"<svg.*?</svg>", part, re.S)
    assert len(svgs) == 4  # accuracy and loss of the three cells; loss and norm with and without clipping
    for s in svgs:
        assert f'viewBox="0 0 {plots.WIDTH} ' in s and f"max-width:{plots.WIDTH}px" in s
        assert min(int(v) for v in re.findall(r'font-size="(\d+)"', s)) >= 11
        for colour in set(re.findall(r'<polyline [^>]*stroke="(#[0-9A-Fa-f]{6})"', s)):
            assert contrast_with_white(colour) >= 3.0, colour
    data = reference.extras["capstone"]
    text = Page(part).text
    for key in ("capstone.plot.accuracy_title", "capstone.plot.long_norm_title", "capstone.report.negation",
                "capstone.plot.series_long_unclipped"):
        assert render(msg(key), lang) in text, key
    assert "今天是个好日子" in text and "The lecture was not boring at all." in text
    assert part.count("<tr>") >= len(train.PROBES) + 1 + len(train.CELLS)
    for token in data["predictions"][0]["tokens"]:
        assert f">{token}</th>" in part
    for m in data["explanations"]:
        assert render(m, lang) in text


def test_a_skipped_stage_says_so_and_draws_nothing(tmp_path):
    result = stage_grade(SOLUTIONS, capstone=False)
    for lang in ("zh", "en"):
        part = section(render_html(result, lang))
        assert "<svg" not in part and render(msg("capstone.report.skipped"), lang) in Page(part).text


def test_runs_that_could_not_be_made_say_why(monkeypatch):
    monkeypatch.setitem(train.SETTINGS, "short", train.SETTINGS["short"].with_(epochs=1))
    monkeypatch.setitem(train.SETTINGS, "long", train.SETTINGS["long"].with_(epochs=1))
    result = stage_grade(paths.EXERCISES)
    part = section(render_html(result, "en"))
    assert part.count('class="notice"') == len(result.extras["capstone"]["runs"])
    assert "not implemented" in part and "<svg" not in part


@pytest.mark.parametrize("name, key", [("clipping_ignored", "capstone.explain.clipping_ignored"),
                                       ("embedding_frozen", "capstone.explain.frozen")])
def test_a_mutants_failure_is_explained_in_the_report(capstone_mutant_result, name, key):
    result = capstone_mutant_result(name)
    explained = [m for m in result.extras["capstone"]["explanations"] if m.key == key]
    assert explained
    for lang in ("zh", "en"):
        assert render(explained[0], lang) in Page(section(render_html(result, lang))).text
