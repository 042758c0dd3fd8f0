"""An answer sheet made for another variant (another assignment, term or bank) is never
read against the questions of the variant being graded: it is graded against the variant
it was made for when that can be rebuilt exactly, else refused with one reason that says
how to make the right sheet (tryout finding 1)."""

from __future__ import annotations

import re

import pytest
from course_support import course_file
from support import SOLUTIONS, mutant

from grader.api import grade
from grader.i18n import msg, render
from grader.quiz import SHEET_NAME
from grader.quiz.grading import quiz_exercise
from grader.quiz.interactive import write_key_sheet
from grader.quiz.selection import selection_of


@pytest.fixture(scope="module")
def week1():
    return course_file().assignment("week1")


def _quiz(result):
    return next(e for e in result.exercises if e.exercise.name == "quiz")


def _texts(result, lang="en"):
    return [render(msg(n.key, **n.params), lang) for n in result.notices]


def _grade(sub, week1, official=True, student="alice"):
    return grade(sub, solutions=SOLUTIONS if official else None, student=student, assignment=week1,
                 trusted_in_process=True, exercises=[quiz_exercise()])


@pytest.mark.parametrize("official", [True, False])
def test_a_sheet_made_outside_the_course_is_graded_against_its_own_variant(tmp_path, week1, official):
    # `rnngrade quiz --init` outside the course folder: assignment rnn-lstm, no salt, the whole bank.
    sub = mutant(tmp_path / "sub", {})
    write_key_sheet(sub / SHEET_NAME, "alice", SOLUTIONS)
    assert 'assignment = "rnn-lstm"' in (sub / SHEET_NAME).read_text()
    r = _grade(sub, week1, official)
    quiz = _quiz(r)
    if official:
        assert quiz.points == quiz.max_points == 4  # every answer read against the options it chose
    assert not [c for c in quiz.results if c.details.get("state") in ("wrong", "partial", "refused")]
    keys = [n.key for n in r.notices]
    assert "quiz.sheet.graded_as_variant" in keys
    assert "quiz.sheet.unknown_id" not in keys and "quiz.sheet.unknown_ids" not in keys
    # The answers to the 47 questions week 1 does not ask: one line at most, never one per id.
    assert keys.count("quiz.sheet.not_in_assignment") == 1 and len(keys) <= 3
    text = " ".join(_texts(r))
    assert "rnn-lstm" in text and "week1" in text


def test_a_sheet_whose_variant_cannot_be_rebuilt_is_refused_once_with_the_command(tmp_path, week1):
    sub = mutant(tmp_path / "sub", {})
    write_key_sheet(sub / SHEET_NAME, "alice", SOLUTIONS)
    path = sub / SHEET_NAME
    path.write_text(re.sub(r'^variant = ".*"$', 'variant = "0123456789ab"', path.read_text(), flags=re.M))
    for official in (True, False):
        r = _grade(sub, week1, official)
        quiz = _quiz(r)
        assert {c.details["state"] for c in quiz.results} == {"refused"}
        assert all(c.status == "pending" for c in quiz.results) and quiz.points == 0
        assert [m.key for m in quiz.notes] == ["policy.pending_note"]
        reason = quiz.notes[0].params["reason"]
        assert reason.key == "quiz.sheet.refused_variant"
        for lang in ("en", "zh"):
            text = render(reason, lang)
            assert "rnngrade quiz --init --student alice --assignment week1" in text
            assert "rnn-lstm" in text
        assert not any(n.key.startswith("quiz.sheet.unknown_id") for n in r.notices)


def test_a_sheet_of_the_same_id_and_assignment_with_another_fingerprint_is_not_remapped(tmp_path):
    # No course file: the grade is for rnn-lstm; the sheet's fingerprint is another bank's.
    sub = mutant(tmp_path / "sub", {})
    write_key_sheet(sub / SHEET_NAME, "alice", SOLUTIONS)
    path = sub / SHEET_NAME
    path.write_text(re.sub(r'^variant = ".*"$', 'variant = "0123456789ab"', path.read_text(), flags=re.M))
    r = grade(sub, solutions=SOLUTIONS, student="alice", trusted_in_process=True, exercises=[quiz_exercise()])
    quiz = _quiz(r)
    assert {c.details["state"] for c in quiz.results} == {"refused"}
    assert "rnngrade quiz --init --student alice`" in render(quiz.notes[0].params["reason"], "en")


def test_a_sheet_for_another_assignment_of_the_term_is_refused_not_remapped(tmp_path, week1):
    week3 = course_file().assignment("week3")
    sub = mutant(tmp_path / "sub", {})
    write_key_sheet(sub / SHEET_NAME, "alice", SOLUTIONS, assignment=week3.identity,
                    selection=selection_of(week3.questions, week3.practice, week3.answers_after))
    r = _grade(sub, week1)
    quiz = _quiz(r)
    assert {c.details["state"] for c in quiz.results} == {"refused"}
    assert quiz.notes[0].params["reason"].key == "quiz.sheet.refused_variant"
    assert "week3" in render(quiz.notes[0].params["reason"], "en")


def test_many_unknown_ids_are_said_in_one_line(tmp_path):
    from grader.quiz.bank import load_bank
    from grader.quiz.sheet import read_sheet

    ids = load_bank(SOLUTIONS / "quiz", with_key=True).ids()
    path = tmp_path / SHEET_NAME
    path.write_text("[answers]\n" + "".join(f'zz_{i} = "A"\n' for i in range(30)) + 'rnn_memroy = "A"\n')
    sheet = read_sheet(path, ids)
    assert [n.key for n in sheet.notices] == ["quiz.sheet.unknown_ids"]
    text = render(msg(sheet.notices[0].key, **sheet.notices[0].params), "en")
    assert "31 answers" in text and "26 more" in text
    one = tmp_path / "one.toml"
    one.write_text('[answers]\nrnn_memroy = "A"\n')
    assert [n.key for n in read_sheet(one, ids).notices] == ["quiz.sheet.unknown_id_close"]
