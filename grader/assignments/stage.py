"""The course stage of a grade: what an assignment of the course file does to a result.

After the exercises and the quiz are graded (:func:`grader.api.grade`), :func:`apply`

1. weighs every item (scoring policy rule 7, :func:`grader.checks.policy.apply_weights`);
2. sets each item's visibility (``visible``, ``after_due_date``, ``hidden``; never less
   restricted than the grader made it: a counted quiz's verdicts stay after the due date);
3. records the student's own due date and the hand-in time, and settles the score:
   manual adjustments and the late penalty become lines of the result
   (:func:`.adjustments.settle`).

:func:`student_view` is the result as a student may see it at a given moment: items
hidden from students, and before the student's due date the items shown only after
it, are left out, and each exercise that lost some says how many points wait for the
due date. Reports a student reads are rendered from it; the gradebook and
results.json keep the whole result (Gradescope applies each test's visibility itself).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Sequence

from .. import display
from ..checks.engine import ExerciseResult
from ..checks.policy import apply_weights
from ..i18n import msg
from ..results import Result
from .adjustments import Adjustment, Item, settle
from .config import VISIBILITIES, Assignment
from .handins import HandIn
from .late import Lateness, assess


def stricter(a: str, b: str) -> str:
    """The more restricted of two visibilities (an unknown one counts as visible)."""
    rank = {v: i for i, v in enumerate(VISIBILITIES)}
    return a if rank.get(a, 0) >= rank.get(b, 0) else b


def items_of(result: Result) -> list[Item]:
    return [Item(r.id, r.exercise, r.points, r.max_points) for r in result.checks]


def lateness_of(assignment: Assignment, student: str, handed_in: HandIn | None) -> Lateness | None:
    due = assignment.due_for(student)
    if handed_in is None or due is None:
        return None
    return assess(handed_in.time, due, assignment.late, handed_in.source)


def apply(result: Result, assignment: Assignment, handed_in: HandIn | None = None,
          adjustments: Sequence[Adjustment] = ()) -> None:
    """Weights, visibility, due date, hand-in time, adjustments and late penalty (see the
    module docstring). A self-check gets the weights and visibility only."""
    apply_weights(result.exercises, assignment.weights)
    for r in result.checks:
        r.visibility = stricter(r.visibility, assignment.visibility.level(r.id, r.exercise, str(r.kind)))
    due = assignment.due_for(result.student)
    result.due = due.isoformat(timespec="seconds") if due is not None else ""
    if not result.official:
        return
    result.handed_in = handed_in.time.isoformat(timespec="seconds") if handed_in is not None else ""
    lateness = lateness_of(assignment, result.student, handed_in)
    result.adjustments = settle(items_of(result), adjustments, lateness).lines


def held_back(result: Result, now: _dt.datetime | None = None) -> bool:
    """Are items shown only after the due date still held back at ``now``?"""
    if not result.due:
        return False
    now = now or _dt.datetime.now(_dt.UTC)
    return now < _dt.datetime.fromisoformat(result.due)


def student_view(result: Result, now: _dt.datetime | None = None) -> Result:
    """``result`` as its student may see it at ``now`` (see the module docstring); the
    result itself when nothing is held back."""
    waiting = held_back(result, now)

    def shown(visibility: str) -> bool:
        return visibility == "visible" or (visibility == "after_due_date" and not waiting)

    if all(shown(r.visibility) for r in result.checks) or not result.official:
        return result
    exercises = []
    for er in result.exercises:
        keep = [r for r in er.results if shown(r.visibility)]
        if len(keep) == len(er.results):
            exercises.append(er)
            continue
        held = [r for r in er.results if not shown(r.visibility)]
        after_due = [r for r in held if r.visibility == "after_due_date"]
        notes = list(er.notes)
        if after_due:
            notes.append(msg("course.held_until_due", n=len(after_due), date=result.due.replace("T", " "),
                             points=display.shown(sum(r.max_points for r in after_due))))
        if len(after_due) < len(held):
            notes.append(msg("course.hidden_items", n=len(held) - len(after_due),
                             points=display.shown(sum(r.max_points for r in held if r.visibility == 'hidden'))))
        exercises.append(ExerciseResult(er.exercise, keep, dict(er.graded_from), dict(er.alternatives), notes))
    # An adjustment of an item or an exercise not shown (in full) would tell its points.
    visible_ids = {r.id for er in exercises for r in er.results}
    whole = {er.exercise.name for er in result.exercises if all(shown(r.visibility) for r in er.results)}
    lines = [ln for ln in result.adjustments
             if (ln.get("scope") != "check" or ln.get("target") in visible_ids)
             and (ln.get("scope") != "exercise" or ln.get("target") in whole)]
    return dataclasses.replace(result, exercises=exercises, adjustments=lines)
