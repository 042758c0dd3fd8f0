"""No hint or format message of the quiz contains a value that is a key of the bank: the
numeric hint once said "e.g. 0.25", the key of act_sigmoid_max (tryout finding 5)."""

from __future__ import annotations

import re

import pytest
from support import SOLUTIONS

from grader.i18n import LANGS, render
from grader.quiz.answers import parse_answer
from grader.quiz.bank import load_bank
from grader.quiz.grading import expected_value
from grader.quiz.model import NUMERIC
from grader.quiz.sheet import question_comment
from grader.quiz.variants import variants_for

STUDENTS = ("alice", "2023001", "bob")
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?:/\d+)?")


@pytest.fixture(scope="module")
def key():
    return load_bank(SOLUTIONS / "quiz", with_key=True)


def _value(token: str) -> float:
    if "/" in token:
        a, b = token.split("/")
        return float(a) / float(b)
    return float(token)


def _keys(key) -> set[float]:
    values: set[float] = set()
    for student in STUDENTS:
        variants = variants_for(key, student, "rnn-lstm")
        for q in key.questions:
            if q.type == NUMERIC:
                values.update(float(v) for v in expected_value(q, variants[q.id], key))
    return values


def _hints(key, student: str) -> list[str]:
    """The how-to-answer lines of every question, and the message of an unreadable answer."""
    variants = variants_for(key, student, "rnn-lstm")
    texts = []
    for number, q in enumerate(key.questions, start=1):
        v = variants[q.id]
        for lang in LANGS:
            comment = question_comment(q, v, number, lang)
            option_lines = 2 + len(v.order)  # head, text, options
            texts += comment[option_lines:]  # how to answer, tolerance
            for bad in ("not a number", ["x"], [1, 2, 3, 4, 5, 6, 7], {"a": 1}):
                answer = parse_answer(q, v, bad)
                if answer.error is not None:
                    texts.append(render(answer.error, lang))
    return texts


def test_no_hint_or_format_message_contains_a_key_value(key):
    keys = _keys(key)
    assert 0.25 in keys  # the key the old hint gave away is among them
    for student in STUDENTS:
        for text in _hints(key, student):
            if "±" in text:
                continue  # the tolerance of a question is not a key
            found = [t for t in NUMBER.findall(text) if _value(t) in keys]
            assert not found, (text, found)


def test_numeric_hints_give_no_example_number(key):
    variants = variants_for(key, "alice", "rnn-lstm")
    numeric = [q for q in key.questions if q.type == NUMERIC]
    assert numeric
    for q in numeric:
        for lang in LANGS:
            how = [line for line in question_comment(q, variants[q.id], 1, lang) if "±" not in line][-1]
            digits = set(re.findall(r"\d", how)) - {str(q.count)}
            assert not digits, how
