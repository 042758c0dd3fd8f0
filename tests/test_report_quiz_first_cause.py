"""The quiz's line in "what to fix first" says only what is true: a sheet with
nothing judged and one gap says which question is not answered, not "0 wrong"."""

from __future__ import annotations

from types import SimpleNamespace

from grader.checks.model import FAILED, PASSED, CheckResult, Kind
from grader.i18n import msg, render
from grader.report.view import first_cause


def _item(n: int, state: str, status=FAILED) -> CheckResult:
    return CheckResult(f"quiz.q{n}", "quiz", "", Kind.QUIZ, msg("report.quiz"), 1.0, status=status,
                       details={"state": state})


def _quiz(*items: CheckResult):
    return SimpleNamespace(exercise=SimpleNamespace(name="quiz"), results=list(items))


def test_only_gaps_are_named_as_gaps_in_both_languages():
    er = _quiz(_item(1, "unverifiable", PASSED), _item(2, "empty"), _item(3, "unverifiable", PASSED))
    cause = first_cause(er)
    assert render(cause, "en") == "Not answered: question 2."
    assert render(cause, "zh") == "未作答 1 题：第 2 题。"
    assert "0" not in render(cause, "en")


def test_wrong_answers_are_still_counted():
    er = _quiz(_item(1, "wrong"), _item(2, "empty"), _item(3, "partial"))
    text = render(first_cause(er), "en")
    assert "Wrong or partly right: 2" in text and "not answered: 1" in text
