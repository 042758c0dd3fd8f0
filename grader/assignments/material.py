"""The course file of a course folder, checked against what the course defines.

Wiring only: the exercise specs (names and check ids) and the quiz bank (quiz and
question ids: the key in ``solutions/quiz`` where there is one, else the student bank
in ``exercises/quiz``) are read here and handed to :func:`.config.load`, which knows
neither. The commands call :func:`assignment_of`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..course import Course
from .config import Assignment, CourseFile, Known, default_course, load

if TYPE_CHECKING:
    from ..checks.engine import Exercise
    from ..quiz.selection import QuizSelection


def known(solutions: Path | None = None, exercises: Path | None = None) -> Known:
    """The exercises of the specs, and the quizzes of the bank (None when no bank loads)."""
    from ..quiz.bank import BankError, load_bank
    from ..specs import all_exercises

    specs = {ex.name: tuple(c.id for c in ex.checks) for ex in all_exercises()}
    quizzes = None
    for folder, with_key in ((solutions, True), (exercises, False)):
        if folder is not None and (Path(folder) / "quiz").is_dir():
            try:
                bank = load_bank(Path(folder) / "quiz", with_key=with_key)
            except BankError:
                continue  # a broken bank is reported where it is graded, not here
            quizzes = {z.id: tuple(q.id for q in z.questions) for z in bank.quizzes}
            break
    return Known(specs, quizzes)


def course_file_of(course: Course, solutions: Path | None = None) -> CourseFile:
    """The course's course file (validated), or the default course when it has none.
    Raises :class:`~.config.CourseFileError`."""
    path = course.course_file
    if path is None:
        return default_course()
    return load(path, known(solutions or course.solutions, course.exercises))


def assignment_of(course: Course, name: str | None, solutions: Path | None = None) -> Assignment:
    """The assignment ``name`` of the course (without a name: its only one). Raises
    :class:`~.config.CourseFileError`."""
    return course_file_of(course, solutions).assignment(name)


def assignment_exercises(assignment: Assignment) -> list[Exercise]:
    """The exercise specs an assignment grades, in its order (raises ``ValueError`` for a
    name no spec has; a course file is checked for that when it is loaded)."""
    from ..specs import all_exercises

    every = {ex.name: ex for ex in all_exercises()}
    names = assignment.exercise_names(list(every))
    unknown = [n for n in names if n not in every]
    if unknown:
        raise ValueError(f"no exercise {', '.join(unknown)} (the exercises: {', '.join(every)})")
    return [every[n] for n in names]


def quiz_selection(assignment: Assignment) -> QuizSelection:
    """The questions an assignment asks and its quiz policy, as the quiz sees them."""
    from ..quiz.selection import selection_of

    return selection_of(assignment.questions, assignment.practice, assignment.answers_after)
