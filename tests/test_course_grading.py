"""Grading for one assignment of a course file: only its items, its points, its seed.

The acceptance test of the weekly assignments: a student graded for week 1 gets only
week 1's exercises and questions, with week 1's weights; for week 3 only week 3's. And
without a course file every score is what it always was.
"""

from __future__ import annotations

import pytest
from course_support import course_file
from support import SOLUTIONS, grade_fast, mutant

from grader.api import grade
from grader.assignments.config import Assignment
from grader.checks.engine import running_order
from grader.checks.model import Kind
from grader.quiz.interactive import write_key_sheet
from grader.quiz.selection import selection_of
from grader.specs import all_exercises


@pytest.fixture(scope="module")
def weeks():
    course = course_file()
    return course.assignment("week1"), course.assignment("week3")


@pytest.fixture(scope="module")
def reference_week1(weeks):
    return grade_fast(SOLUTIONS, assignment=weeks[0])


@pytest.fixture(scope="module")
def reference_week3(weeks):
    return grade_fast(SOLUTIONS, assignment=weeks[1])


def test_week1_grades_only_its_exercises_and_questions_with_its_weights(reference_week1):
    r = reference_week1
    assert [e.exercise.name for e in r.exercises] == ["relu", "affine", "quiz"]
    by_name = {e.exercise.name: e for e in r.exercises}
    assert by_name["relu"].max_points == 7  # not named in points: its own total
    assert by_name["affine"].max_points == 20  # points = { affine = 20 }: scaled from 13
    quiz = by_name["quiz"]
    assert [c.func for c in quiz.results] == ["bp_layers", "models_cnn_use"]
    assert quiz.max_points == 4 and all(c.max_points == 2 for c in quiz.results)  # quiz = 4 over 2 questions
    assert r.max_score == 31 and r.score == 31  # the reference (answering with the key) earns it all
    assert r.assignment == "week1"


def test_week3_grades_only_its_exercises_in_its_order_with_kind_factors(reference_week3):
    r = reference_week3
    assert [e.exercise.name for e in r.exercises] == ["lstm", "lstm_step", "quiz"]
    unweighted = {e.name: e for e in all_exercises()}
    for er in r.exercises[:2]:
        for c in er.results:
            if c.kind == Kind.MUTATION:
                assert c.max_points == 0  # kinds = { mutation = 0 }
        grads = sum(c.max_points for c in er.results if c.kind == Kind.GRADIENT)
        original = sum(p for ch in unweighted[er.exercise.name].checks for k, p in ch.points_by_kind().items()
                       if k == Kind.GRADIENT)
        assert grads == pytest.approx(2 * original)  # kinds = { gradient = 2 }
    quiz = r.exercises[2]
    assert len(quiz.results) == 20 and {c.details["quiz"] for c in quiz.results} == {"recurrent"}
    assert r.score == r.max_score
    backward = [c for c in r.checks if c.kind == Kind.BACKWARD]
    assert backward and all(c.visibility == "after_due_date" for c in backward)
    assert all(c.visibility == "visible" for c in r.checks if c.kind == Kind.VALUE)


def test_a_bug_in_week1_costs_week1_only_its_own_points(tmp_path, weeks):
    broken = mutant(tmp_path / "relu_bug", {"layers.py": [("return np.where(x > 0, dout, 0.0)",
                                                             "return np.where(x > 1, dout, 0.0)")]})
    week1 = grade_fast(broken, assignment=weeks[0])
    failed = {c.exercise for c in week1.checks if c.status != "passed" and c.kind != Kind.QUIZ}  # no sheet here
    assert failed == {"relu"}
    assert {e.exercise.name for e in week1.exercises} == {"relu", "affine", "quiz"}
    week3 = grade_fast(broken, assignment=weeks[1])  # the same code, graded for week 3
    assert all(c.status == "passed" for c in week3.checks if c.kind != Kind.QUIZ)


def test_a_composite_listed_before_its_block_is_still_judged_with_the_references_block(tmp_path, weeks):
    # week3 lists lstm before lstm_step; the building block is graded first all the same.
    assert [e.name for e in running_order([e for e in all_exercises() if e.name in ("lstm", "lstm_step")][::-1])] \
        == ["lstm_step", "lstm"]
    broken = mutant(tmp_path / "gates", {"rnn_layers.py": [
        ("i, f, o = s[:, :H], s[:, H:2 * H], s[:, 2 * H:]", "i, o, f = s[:, :H], s[:, H:2 * H], s[:, 2 * H:]")]})
    r = grade_fast(broken, assignment=weeks[1])
    lstm = next(c for c in r.checks if c.id == "lstm.forward")
    assert lstm.status == "passed" and lstm.messages[0].key == "policy.right_with_blocks"
    assert next(c for c in r.checks if c.id == "lstm_step.forward").status == "failed"


def test_each_assignment_and_term_draws_its_own_inputs_and_variants(weeks, tmp_path):
    week1 = weeks[0]
    plain = Assignment(name="week1", exercises=("relu",), questions=("models_cnn_use",))
    salted = Assignment(name="week1", salt="2025-autumn", exercises=("relu",), questions=("models_cnn_use",))
    other = Assignment(name="week9", salt="2025-autumn", exercises=("relu",), questions=("models_cnn_use",))

    def inputs(a):
        r = grade_fast(SOLUTIONS, assignment=a, student="alice")
        return next(c for c in r.checks if c.kind == Kind.QUIZ).details["options"]

    def hidden(a):
        from grader.checks.model import Context

        check = next(c for e in all_exercises() if e.name == "relu" for c in e.checks if c.id == "relu.forward")
        return check.inputs(Context(None, {}, a.identity.seed("alice")).rng(check.id))["x"]

    assert not (hidden(plain) == hidden(salted)).all() and not (hidden(salted) == hidden(other)).all()
    assert salted.identity == week1.identity.__class__("week1", "2025-autumn")
    assert len({str(inputs(a)) for a in (plain, salted, other)}) >= 2  # option orders differ (4! orders)


def test_a_students_sheet_for_week1_is_graded_for_week1(tmp_path, weeks):
    week1 = weeks[0]
    sub = mutant(tmp_path / "sub", {})
    write_key_sheet(sub / "quiz_answers.toml", "alice", SOLUTIONS, assignment=week1.identity,
                    selection=selection_of(week1.questions, week1.practice, week1.answers_after))
    r = grade(sub, solutions=SOLUTIONS, student="alice", assignment=week1, trusted_in_process=True)
    quiz = next(e for e in r.exercises if e.exercise.name == "quiz")
    assert quiz.points == quiz.max_points == 4
    # The same sheet graded as another student's: its letters belong to alice's variant
    # of week 1 (its fingerprint, drawn with the course's salt, proves it), so it is
    # refused, never read against bob's options; the reason is said once, first.
    r2 = grade(sub, solutions=SOLUTIONS, student="bob", assignment=week1, trusted_in_process=True)
    quiz2 = next(e for e in r2.exercises if e.exercise.name == "quiz")
    assert quiz2.points == 0 and quiz2.max_points == 4
    assert {c.details["state"] for c in quiz2.results} == {"refused"}
    assert [m.key for m in quiz2.notes] == ["policy.pending_note"]
    assert quiz2.notes[0].params["reason"].key == "quiz.sheet.refused_other_student"
    # alice is one of bob's ids (an alias): graded against the variant the sheet was made for.
    r3 = grade(sub, solutions=SOLUTIONS, student="bob", assignment=week1, trusted_in_process=True,
               aliases=("alice",))
    quiz3 = next(e for e in r3.exercises if e.exercise.name == "quiz")
    assert quiz3.points == quiz3.max_points == 4
    assert any(n.key == "quiz.sheet.graded_as_sheet" for n in r3.notices)


def test_without_a_course_file_the_grade_is_what_it_always_was():
    default = grade_fast(SOLUTIONS, student="sample")
    explicit = grade_fast(SOLUTIONS, student="sample", assignment=Assignment())
    assert [c.id for c in default.checks] == [c.id for c in explicit.checks]
    assert default.max_score == explicit.max_score == sum(e.max_points() for e in all_exercises()) + 55
    assert default.assignment == "rnn-lstm" and default.adjustments == [] and default.due == ""
