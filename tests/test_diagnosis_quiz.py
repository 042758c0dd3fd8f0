"""A quiz sheet is read only against the variant it was made for (issue 10).

The sheet written by ``rnngrade quiz --init --student ID`` carries that id and its
variant's fingerprint. Grading under another id (an e-mail on Gradescope, a folder
name in a batch) never re-maps its letters: the sheet is graded against its own
variant when that id is the student's too (the grade's aliases) or in a self-check,
and otherwise refused with a clear reason, said once, first."""

from __future__ import annotations

import pytest

from grader import paths
from grader.api import ASSIGNMENT, grade
from grader.deploy.gradescope import student_aliases, student_id
from grader.i18n import LANGS, render
from grader.quiz import SHEET_NAME
from grader.quiz.bank import load_bank
from grader.quiz.grading import quiz_exercise
from grader.quiz.interactive import key_answers
from grader.quiz.sheet import render_sheet, write_sheet
from grader.quiz.variants import fingerprint, variants_for

MADE_FOR = "alice@uni.edu"  # the id the student made the sheet with
GRADED_AS = "2023001"  # the id grading uses


@pytest.fixture(scope="module")
def key():
    return load_bank(paths.SOLUTIONS / "quiz", with_key=True)


def sheet_folder(tmp_path, key, made_for: str = MADE_FOR, fingerprint_of: str | None = None):
    """A submission holding only a sheet made for ``made_for``, answered with the key of its variant."""
    variants = variants_for(key, made_for, ASSIGNMENT)
    printed = fingerprint(variants_for(key, fingerprint_of or made_for, ASSIGNMENT))
    write_sheet(tmp_path / "sub" / SHEET_NAME,
                render_sheet(key, variants, made_for, ASSIGNMENT, printed, key_answers(key, variants), "en"))
    return tmp_path / "sub"


def quiz_of(result):
    return next(e for e in result.exercises if e.exercise.name == "quiz")


def test_a_sheet_made_for_another_id_is_refused_not_re_mapped(tmp_path, key):
    result = grade(sheet_folder(tmp_path, key), solutions=paths.SOLUTIONS, student=GRADED_AS,
                   exercises=[quiz_exercise()])
    quiz = quiz_of(result)
    assert quiz.points == 0 and {c.status for c in quiz.results} == {"pending"}
    assert len(quiz.notes) == 1  # the reason, once, first
    for lang in LANGS:
        reason = render(quiz.notes[0], lang)
        assert MADE_FOR in reason and GRADED_AS in reason and f"--student {GRADED_AS}" in reason
    # No letter was read against the other variant: no "you answered ..." anywhere.
    said = [m.key for c in quiz.results for m in c.messages]
    assert not any(k.startswith("quiz.result.") for k in said), said
    assert all(c.details.get("answer") is None for c in quiz.results)


def test_a_sheet_made_for_another_id_of_the_same_student_is_graded_against_its_own_variant(tmp_path, key):
    result = grade(sheet_folder(tmp_path, key), solutions=paths.SOLUTIONS, student=GRADED_AS,
                   exercises=[quiz_exercise()], aliases=(MADE_FOR,))
    quiz = quiz_of(result)
    assert quiz.points == quiz.max_points > 0  # the key of its own variant: full marks
    assert "quiz.sheet.graded_as_sheet" in [n.key for n in result.notices]


def test_a_self_check_grades_the_variant_the_sheet_was_made_for(tmp_path, key):
    result = grade(sheet_folder(tmp_path, key), student=GRADED_AS, exercises=[quiz_exercise()])
    assert "quiz.sheet.graded_as_sheet" in [n.key for n in result.notices]
    quiz = quiz_of(result)
    # Graded, not refused (a refused sheet's items wait, state "refused"); a counted
    # quiz's answers are recorded, not judged, in a self-check (pending, "unverifiable").
    assert all(c.details["state"] != "refused" for c in quiz.results)
    assert all(c.status != "pending" or c.details["state"] == "unverifiable" for c in quiz.results)


def test_a_sheet_whose_fingerprint_is_not_its_students_is_refused(tmp_path, key):
    folder = sheet_folder(tmp_path, key, fingerprint_of="someone-else")
    result = grade(folder, solutions=paths.SOLUTIONS, student=GRADED_AS, exercises=[quiz_exercise()],
                   aliases=(MADE_FOR,))
    quiz = quiz_of(result)
    assert quiz.points == 0 and quiz.notes
    assert quiz.notes[0].params["reason"].key == "quiz.sheet.refused_unproven"


def test_the_own_id_grades_as_before(tmp_path, key):
    result = grade(sheet_folder(tmp_path, key, made_for=GRADED_AS), solutions=paths.SOLUTIONS, student=GRADED_AS,
                   exercises=[quiz_exercise()])
    quiz = quiz_of(result)
    assert quiz.points == quiz.max_points
    assert not [n.key for n in result.notices if n.key.startswith("quiz.")]


def test_gradescope_knows_every_id_of_the_submitter():
    metadata = {"users": [{"sid": GRADED_AS, "email": MADE_FOR, "id": 42, "name": "Alice"}]}
    assert student_id(metadata) == GRADED_AS
    assert student_aliases(metadata) == (GRADED_AS, MADE_FOR, "42")
    assert student_aliases({}) == ()
