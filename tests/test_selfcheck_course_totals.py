"""A self-check's total explained with a course file: the official maximum it records
(Result.official_max, the report branch's) is that of the assignment being checked: its
exercises, its quiz questions and its weights (the course's), so the sentence "your
official grade is out of N" says the assignment's N."""

from __future__ import annotations

import pytest
from course_support import course_file
from support import SOLUTIONS, grade_fast

from grader import paths
from grader.api import grade
from grader.i18n import msg, render
from grader.report.terminal import summary


@pytest.mark.parametrize("week", ["week1", "week3"])
def test_a_selfchecks_official_maximum_is_its_assignments(week):
    assignment = course_file().assignment(week)
    official = grade_fast(SOLUTIONS, assignment=assignment)
    selfcheck = grade(paths.EXERCISES, assignment=assignment, trusted_in_process=True)
    assert not selfcheck.official and selfcheck.official_max == official.max_score
    code = {e.exercise.name for e in official.exercises} - {"quiz"}
    assert {e.exercise.name for e in selfcheck.exercises} - {"quiz"} == code
    assert selfcheck.max_score < official.max_score  # the quiz, and more, count only officially: said
    quiz = any(e.exercise.name == "quiz" for e in selfcheck.exercises)
    for lang in ("en", "zh"):
        said = render(msg("feedback.selfcheck_totals" + ("_quiz" if quiz else ""), max_score=f"{selfcheck.max_score:g}",
                          official_max=f"{official.max_score:g}"), lang)
        assert said in summary(selfcheck, lang)


def test_without_a_course_file_the_official_maximum_is_the_whole_assignments():
    official = grade_fast(SOLUTIONS)
    selfcheck = grade(paths.EXERCISES, trusted_in_process=True)
    assert selfcheck.official_max == official.max_score


def test_an_assignment_without_a_quiz_still_weighs_its_exercises():
    from grader.assignments.config import Assignment

    assignment = Assignment(name="code-only", exercises=("relu", "affine"), questions=(), points={"affine": 20},
                            kinds={"mutation": 0})
    official = grade_fast(SOLUTIONS, assignment=assignment)
    selfcheck = grade(paths.EXERCISES, assignment=assignment, trusted_in_process=True)
    # relu: 7 less its mutation point (a factor of 0); affine: scaled to 20
    assert official.max_score == 26 and selfcheck.official_max == official.max_score
