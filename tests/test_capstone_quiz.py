"""The capstone's questions in the concept quiz: present in both languages, after the
lecture's quizzes, answered in the sample sheet, and keyed consistently with the
reference layers."""

from __future__ import annotations

import re

import numpy as np
import pytest

from grader import paths
from grader.quiz import SHEET_NAME
from grader.quiz.bank import load_bank
from grader.quiz.sheet import read_sheet
from grader.reference import load_reference

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def key():
    return load_bank(paths.SOLUTIONS / "quiz", with_key=True)


def capstone_questions(bank):
    return [q for q in bank.questions if q.id.startswith("capstone_")]


def test_at_least_four_capstone_questions_in_both_languages_in_the_last_quiz(key):
    questions = capstone_questions(key)
    assert len(questions) >= 4 and {q.quiz for q in questions} == {"training"}
    assert key.quizzes[-1].id == "training"  # after the lecture's own parts
    assert {q.section for q in questions} >= {"rnn_types", "clipping"}
    assert len({q.type for q in questions}) >= 3
    for q in questions:
        for text in (q.text, q.explanation, *(o.text for o in q.options)):
            assert CJK.search(text.zh) and not CJK.search(text.en), q.id


def test_student_bank_holds_the_capstone_questions_without_their_key(key):
    public = load_bank(paths.EXERCISES / "quiz", with_key=False)
    assert [q.id for q in capstone_questions(public)] == [q.id for q in capstone_questions(key)]
    assert all(q.explanation is None and q.answer is None for q in capstone_questions(public))


@pytest.mark.parametrize("k, c", [(2, 0.5), (3, 1.0), (6, 3.0)])
def test_embedding_gradient_key_agrees_with_the_reference_np_add_at(key, k, c):
    ref = load_reference(paths.SOLUTIONS)
    x = np.ones((2, 6), dtype=np.int64)
    x.flat[2 * np.arange(k)] = 4  # token 4 exactly k times, in both sentences
    assert int((x == 4).sum()) == k
    _, cache = ref["word_embedding_forward"](x, np.zeros((5, 2)))
    dW = ref["word_embedding_backward"](np.full(x.shape + (2,), c), cache)
    assert key.formulas["embedding_row_gradient"](k=k, c=c) == pytest.approx(dW[4, 0])


def test_sample_sheet_answers_the_capstone_questions(key):
    sheet = read_sheet(paths.EXAMPLES / "sample_submission" / SHEET_NAME, key.ids())
    assert all(sheet.answers.get(q.id) not in (None, "") for q in capstone_questions(key))


def test_the_capstone_questions_are_graded_in_official_grading(key):
    """Each capstone question is an item of the graded quiz, worth its points, judged
    from the sheet (the sample's answers: right or wrong, never left unjudged)."""
    from grader.api import grade
    from grader.quiz.grading import quiz_exercise

    result = grade(paths.EXAMPLES / "sample_submission", solutions=paths.SOLUTIONS, student="sample",
                   exercises=[quiz_exercise()], trusted_in_process=True)
    graded = {c.id: c for c in result.checks if c.kind == "quiz"}
    for q in capstone_questions(key):
        item = graded[f"quiz.{q.id}"]
        assert item.max_points == q.points > 0 and item.status in ("passed", "failed")
        assert item.details["state"] in ("correct", "partial", "wrong")
    assert sum(graded[f"quiz.{q.id}"].points for q in capstone_questions(key)) > 0
