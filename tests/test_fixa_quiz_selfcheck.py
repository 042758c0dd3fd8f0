"""A self-check of a counted quiz records answers and calls none of them right or wrong;
an answer that could not be read is said as such (not "wrong"), in the terminal and in
the HTML alike, and the quiz's 0/0 is not shown as a failure (tryout finding 6)."""

from __future__ import annotations

import re

import pytest
from support import SOLUTIONS, mutant

from grader.api import grade
from grader.quiz import SHEET_NAME
from grader.quiz.bank import load_bank
from grader.quiz.grading import quiz_exercise
from grader.quiz.interactive import write_key_sheet
from grader.report.html import render_html
from grader.report.terminal import summary

BAD = {"models_cnn_use": '"A B C D"', "models_lstm_variant": '["true", "false"]', "act_sigmoid_max": "nan"}


@pytest.fixture(scope="module")
def selfcheck(tmp_path_factory):
    sub = mutant(tmp_path_factory.mktemp("fixa") / "sub", {})
    path = sub / SHEET_NAME
    write_key_sheet(path, "alice", SOLUTIONS)
    text = path.read_text()
    for qid, value in BAD.items():
        text = re.sub(rf"^{qid} = .*$", f"{qid} = {value}", text, flags=re.M)
    path.write_text(text)
    return grade(sub, student="alice", exercises=[quiz_exercise()], trusted_in_process=True)


def _numbers(qids):
    ids = load_bank(SOLUTIONS / "quiz", with_key=True).ids()
    return sorted(ids.index(q) + 1 for q in qids)


def test_terminal_says_unreadable_not_wrong(selfcheck):
    quiz = next(e for e in selfcheck.exercises if e.exercise.name == "quiz")
    assert quiz.max_points == 0
    for lang, wrong in (("en", "wrong"), ("zh", "答错")):
        out = summary(selfcheck, lang)
        line = next(x for x in out.splitlines() if "0/0" in x)
        assert wrong not in line and "✘" not in line and "✔" not in line, line
        n = {"en": ", ", "zh": "、"}[lang].join(str(k) for k in _numbers(BAD))
        assert n in line
    line = next(x for x in summary(selfcheck, "en").splitlines() if "0/0" in x)
    assert "3 could not be read (questions" in line
    verbose = summary(selfcheck, "en", verbose=True)
    for number in _numbers(BAD):
        assert re.search(rf"^\s+Question {number}: ", verbose, flags=re.M)


def test_html_shows_the_same_state(selfcheck):
    for lang in ("en", "zh"):
        page = render_html(selfcheck, lang)
        quiz = page[page.index('id="quiz"'):]
        assert "✘" not in quiz  # no failure mark: recorded answers, unreadable ones
        assert quiz.count('aria-hidden="true">? </span>') == len(BAD)


def test_one_question_is_singular(tmp_path):
    from grader.i18n import msg, render

    assert render(msg("feedback.tty.quiz_empty_n", n=1, numbers="33"), "en") == "1 not answered (question 33)"
    assert render(msg("feedback.tty.quiz_wrong_n", n=2, numbers="3, 4"), "en").endswith("(questions 3, 4)")
    assert render(msg("feedback.tty.quiz_recorded_n", n=1), "en").startswith("1 answer recorded")
