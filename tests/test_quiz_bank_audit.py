"""Finding 9 of the attack review: a sheet filled by rules that read only its form
(the longest option, "false", every option) scored 18.9 of 55 knowing nothing, where
blind guessing expects about 11: the longest option was the answer of 11 of 23
single-choice questions, 7 of 11 true/false statements were false, and "select all"
earned partial credit. This audit keeps the bank's form uninformative, in both
languages; a question added later must keep it so."""

from __future__ import annotations

import itertools
from math import comb

import pytest

from grader import paths
from grader.i18n import LANGS
from grader.quiz.bank import load_bank
from grader.quiz.grading import multiple_points
from grader.quiz.model import Question

MAX_GAIN = 1.5  # points over blind guessing that a rule reading only option lengths may earn (single choice)
MAX_HALF_GAIN = 0.5  # ... and over picking half the options at random (multiple choice)


@pytest.fixture(scope="module")
def bank():
    return load_bank(paths.SOLUTIONS / "quiz", with_key=True)


def lengths(q: Question, lang: str) -> dict[str, int]:
    return {o.key: len(o.text.get(lang)) for o in q.options}


def single_choice_gains(bank, lang: str) -> dict[str, float]:
    """What rules that read only option lengths earn in the single-choice questions,
    beyond blind guessing (ties shared)."""
    singles = [q for q in bank.questions if q.type == "single"]
    chance = sum(1 / len(q.options) for q in singles)
    earned = dict.fromkeys(["longest", "shortest", "not the longest", "not the shortest", "neither"], 0.0)
    for q in singles:
        size = lengths(q, lang)
        top = {k for k in size if size[k] == max(size.values())}
        bottom = {k for k in size if size[k] == min(size.values())}
        rest = {k for k in size if k not in top | bottom}
        for rule, chosen in (("longest", top), ("shortest", bottom), ("not the longest", set(size) - top),
                             ("not the shortest", set(size) - bottom), ("neither", rest)):
            chosen = chosen or set(size)
            earned[rule] += (q.answer in chosen) / len(chosen)
    return {rule: points - chance for rule, points in earned.items()}


@pytest.mark.parametrize("lang", LANGS)
def test_option_length_tells_nothing_in_single_choice_questions(bank, lang):
    gains = single_choice_gains(bank, lang)
    assert max(gains.values()) <= MAX_GAIN, gains


def test_true_and_false_statements_are_balanced(bank):
    statements = [q.answer for q in bank.questions if q.type == "truefalse"]
    assert abs(statements.count(True) - statements.count(False)) <= 1, statements


def test_selecting_every_option_or_none_earns_nothing(bank):
    for q in (q for q in bank.questions if q.type == "multiple"):
        right, n = len(q.answer), len(q.options)
        assert multiple_points(q, right, n - right) == 0, q.id  # every option selected
        assert multiple_points(q, n - right, right) == 0, q.id  # none selected


def _half_points(q: Question, chosen: set[str]) -> float:
    right = sum((k in chosen) == (k in q.answer) for k in (o.key for o in q.options))
    return multiple_points(q, right, len(q.options) - right)


def _by_length(q: Question, size: dict[str, int], half: int, longer: bool) -> float:
    """The expected points of selecting the ``half`` longest (or shortest) options,
    options of equal length taken in any order."""
    rank = sorted(set(size.values()), reverse=longer)
    sure: set[str] = set()
    for length in rank:
        group = [k for k in size if size[k] == length]
        if len(sure) + len(group) <= half:
            sure |= set(group)
            continue
        picks = list(itertools.combinations(group, half - len(sure)))
        return sum(_half_points(q, sure | set(p)) for p in picks) / len(picks)
    return _half_points(q, sure)


@pytest.mark.parametrize("lang", LANGS)
def test_option_length_tells_nothing_in_multiple_choice_questions(bank, lang):
    """Selecting the longer (or the shorter) half of the options earns no more than
    selecting a half at random."""
    for rule in ("longer", "shorter"):
        gain = 0.0
        for q in (q for q in bank.questions if q.type == "multiple"):
            size, half = lengths(q, lang), len(q.options) // 2
            halves = list(itertools.combinations(size, half))
            gain += _by_length(q, size, half, rule == "longer") - sum(
                _half_points(q, set(h)) for h in halves) / comb(len(size), half)
        assert gain <= MAX_HALF_GAIN, (rule, gain)


def test_the_audit_catches_the_old_bias(bank):
    """The rules above fail a bank whose answers are the longest options (as the old
    one's were, 11 of 23 times)."""
    biased = [q for q in bank.questions if q.type == "single"]
    saved = [q.answer for q in biased]
    try:
        for q in biased:
            size = lengths(q, "en")
            q.answer = max(size, key=size.get)
        assert single_choice_gains(bank, "en")["longest"] > MAX_GAIN
    finally:
        for q, answer in zip(biased, saved, strict=True):
            q.answer = answer
