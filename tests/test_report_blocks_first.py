"""A self-check runs the student's own building blocks inside the exercises built on
them (official grading substitutes the reference's): where the blocks fail, the
failures of what is built on them mostly repeat the blocks' mistakes. The report
shows one of them open and folds the others behind a line that says so; official
grading, and exercises whose blocks pass, keep every failure open."""

from __future__ import annotations

import pytest
from browser.reportkit import Page
from support import exercises_named, grade_fast, mutant

from grader.api import grade
from grader.i18n import LANGS, msg, render
from grader.report import view
from grader.report.html import render_html

NAMES = ("gru_step", "gru", "sentiment_loss")
GRU_REVERSED = {"rnn_layers.py": [("next_h = (1.0 - z) * n + z * prev_h", "next_h = z * n + (1.0 - z) * prev_h")]}


@pytest.fixture(scope="module")
def reversed_gru(tmp_path_factory):
    return mutant(tmp_path_factory.mktemp("blocks") / "gru", GRU_REVERSED)


@pytest.fixture(scope="module")
def selfcheck(reversed_gru):
    return grade(reversed_gru, exercises=exercises_named(*NAMES), trusted_in_process=True)


def by_name(result) -> dict[str, view.ExerciseView]:
    return {ev.name: ev for ev in view.build(result).exercises}


def test_a_self_check_folds_the_failures_built_on_failing_blocks(selfcheck):
    views = by_name(selfcheck)
    loss = views["sentiment_loss"]
    assert loss.foundations and loss.blocks_first  # the GRU fails: "also failing"
    assert len(loss.failed) >= 2
    assert len(loss.failed_shown) == 1 and loss.failed_shown[0] is loss.failed[0]
    assert loss.failed_folded == loss.failed[1:]
    assert loss.n_folded_failed == sum(i.count for i in loss.failed[1:])
    # the block itself fails on its own: every failure open
    step = views["gru_step"]
    assert step.failed and not step.foundations and not step.blocks_first
    assert step.failed_shown == step.failed and step.failed_folded == []


@pytest.mark.parametrize("lang", LANGS)
def test_the_folded_failures_are_in_the_page_behind_one_line(selfcheck, lang):
    loss = by_name(selfcheck)["sentiment_loss"]
    html = render_html(selfcheck, lang)
    start = html.index(f'id="{loss.anchor}"')
    section = html[start:html.index("</section>", start)]
    shown, _, folded = section.partition('<details class="fold failed-list">')
    assert folded, "no fold of failures"
    line = folded[:folded.index("</summary>")]
    assert render(msg("feedback.fold.blocks_first"), lang).split(" ·")[0] in line
    for item in loss.failed_shown:
        assert f'id="{item.anchor}"' in shown
    for item in loss.failed_folded:  # still in the page, inside the fold
        assert f'id="{item.anchor}"' in folded and f'id="{item.anchor}"' not in shown
    assert Page(html).text


def test_official_grading_keeps_every_failure_open(reversed_gru):
    official = grade_fast(reversed_gru, *NAMES)
    for ev in by_name(official).values():
        assert not ev.blocks_first and ev.failed_folded == []
