"""The quiz stage of a grade: a pure function of the submission's snapshot.

:func:`quiz_stage` finds the answer sheet in the snapshot, reads it, grades it
(:mod:`.grading`) and returns a :class:`QuizPart`; :func:`run_quiz` applies that
part to a result (what :func:`grader.api.grade` calls)."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..checks.engine import Exercise, ExerciseResult
from ..checks.model import CheckResult, Kind
from ..course import public_folder
from ..i18n import msg
from ..seed import AssignmentId
from ..submission import Notice, Snapshot, take_snapshot
from ..untrusted import clean
from . import QUIZ_EXERCISE, SHEET_NAME, grading
from .bank import BankError, load_bank
from .grading import ANONYMOUS, quiz_exercise
from .selection import QuizSelection
from .sheet import Sheet, find_sheet, read_sheet


def wants_quiz(exercises: list[Exercise] | None) -> bool:
    """The quiz is graded with the whole assignment, or when asked for by name."""
    if exercises is None or any(e.name == QUIZ_EXERCISE for e in exercises):
        return True
    from ..specs import all_exercises

    return {e.name for e in all_exercises()} <= {e.name for e in exercises}


@dataclass
class QuizPart:
    """What the quiz stage adds to a grade: the quiz's exercise result (None: this
    assignment has no quiz, or a self-check whose quiz was not started) and notices."""

    exercise: ExerciseResult | None = None
    notices: list[Notice] = field(default_factory=list)


class QuizTarget(Protocol):
    """The part of a :class:`grader.results.Result` the quiz stage is applied to."""

    student: str
    assignment: str
    exercises: list[ExerciseResult]
    notices: list[Notice]


def quiz_stage(student: str, submission: Snapshot | Path | str, solutions: Path | str | None = None,
               public: Path | str | None = None, exercises: list[Exercise] | None = None,
               now: _dt.datetime | None = None, identity: AssignmentId | None = None,
               selection: QuizSelection | None = None, aliases: tuple[str, ...] = (),
               assignment: str = "") -> QuizPart:
    """The quiz stage of :func:`grader.api.grade`, a pure function of the submission's
    snapshot: the quiz's exercise result and the sheet's notices. Needs no sandbox;
    never raises: a bad sheet costs only its own questions, and should the quiz stage
    itself fail (a grader bug), the quiz becomes one failed item saying so while the
    code part keeps its grade.

    The sheet is read from the submission's snapshot (the one its code was graded
    from); a path is snapshotted here. ``identity`` is the assignment the variants are
    drawn for (default: ``assignment`` without a salt); ``selection`` the questions
    and policy of a course file's assignment (default: the whole bank)."""
    if not wants_quiz(exercises):
        return QuizPart()
    stage: dict[str, float] = {}
    try:
        return _quiz_part(student, submission, solutions, public, now, stage, identity or AssignmentId(assignment),
                          selection or QuizSelection(), aliases)
    except Exception as exc:  # noqa: BLE001 - the rest of the grade must survive any failure here
        import traceback

        er = ExerciseResult(quiz_exercise().info())
        # The quiz's points stay in the maximum, so an incomplete grade never looks complete.
        res = CheckResult("quiz.stage", QUIZ_EXERCISE, "quiz", Kind.ERROR, msg("quiz.stage_title"),
                          stage.get("points", 0.0))
        res.details["grader_traceback"] = clean(traceback.format_exc()[-4000:])
        er.results.append(res.failed(msg("quiz.stage_failed", error=clean(type(exc).__name__))))
        return QuizPart(er)


def run_quiz(result: QuizTarget, submission: Snapshot | Path | str, solutions: Path | str | None = None,
             public: Path | str | None = None, exercises: list[Exercise] | None = None,
             now: _dt.datetime | None = None, identity: AssignmentId | None = None,
             selection: QuizSelection | None = None, aliases: tuple[str, ...] = ()) -> None:
    """:func:`quiz_stage` applied to ``result``: its quiz exercise replaced, the notices added."""
    apply_quiz(result, quiz_stage(result.student, submission, solutions, public, exercises, now, identity, selection,
                                  aliases, assignment=result.assignment))


def apply_quiz(result: QuizTarget, part: QuizPart) -> None:
    """A :func:`quiz_stage` part (made earlier, for ``result``'s student and assignment)
    applied to ``result``: its quiz exercise replaced, the notices added."""
    result.exercises = [e for e in result.exercises if e.exercise.name != QUIZ_EXERCISE]
    result.notices.extend(part.notices)
    if part.exercise is not None:
        result.exercises.append(part.exercise)


def _quiz_part(student: str, submission: Snapshot | Path | str, solutions: Path | str | None,
               public: Path | str | None, now: _dt.datetime | None, stage: dict[str, float],
               identity: AssignmentId, selection: QuizSelection, aliases: tuple[str, ...] = ()) -> QuizPart:
    official = solutions is not None
    folder = Path(solutions) / "quiz" if solutions is not None else Path(public or public_folder()) / "quiz"
    if not folder.is_dir():
        return QuizPart()  # this assignment has no quiz
    try:
        whole = load_bank(folder, with_key=official)  # a sheet may have been made from every question
        bank = selection.apply(whole)
    except BankError as exc:
        return QuizPart(_bank_error(exc))
    stage["points"] = sum(q.points for q in bank.questions) if official else 0.0
    snapshot = submission if isinstance(submission, Snapshot) else take_snapshot(submission)
    # The reference itself answers with the key (validate grades it). Only a folder
    # actually read counts: a link to the solutions is never followed, nor rewarded.
    by_key = solutions is not None and snapshot.kind == "folder" \
        and snapshot.source.resolve() == Path(solutions).resolve()
    found, notices = find_sheet(snapshot)
    if found is not None:
        asked = set(bank.ids())
        sheet = read_sheet(Path(found.path), bank.ids(), display=found.path, data=found.data,
                           other_ids=[i for i in whole.ids() if i not in asked])
    elif not official and not by_key:
        # A self-check of code alone (the quiz not started): say so, do not count it.
        return QuizPart(None, [*notices, Notice("quiz.sheet.not_started", {"name": SHEET_NAME})])
    else:
        sheet = Sheet(None)
        if not by_key:
            notices.append(Notice("quiz.sheet.missing", {"name": SHEET_NAME}))
    if not official and student == ANONYMOUS and sheet.student:
        student = sheet.student  # a self-check grades the variant the sheet was written for
    er = grading.grade_sheet(bank, sheet, student, identity, official, now, answered_by_key=by_key,
                             aliases=aliases, whole=whole)
    return QuizPart(er, notices + sheet.notices)


def _bank_error(exc: BankError) -> ExerciseResult:
    er = ExerciseResult(quiz_exercise().info())
    res = CheckResult("quiz.bank", QUIZ_EXERCISE, "quiz", Kind.ERROR, msg("quiz.bank_title"), 0.0)
    res.details["grader_traceback"] = str(exc)
    er.results.append(res.failed(msg("quiz.bank_error", count=len(exc.problems), first=exc.problems[0])))
    return er
