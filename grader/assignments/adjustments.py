"""Manual score adjustments (overrides) and the final score.

A TA who reads a submission may change what it earns: set or add points to one
graded item (``check``: the item's id as the report and results.json show it, such
as ``lstm.grad.dWx`` or ``quiz.rnn_sharing``), to one exercise (``exercise``: ``lstm``,
or ``quiz``), or to the whole assignment (``total``), always with a comment, and the
gradebook keeps who made it and when (:mod:`grader.gradebook`). Adjustments are kept
apart from what the grader measured: a regrade measures again, and the adjustments
are applied again to the new grade.

:func:`settle` is the one place where graded items, adjustments and the late penalty
become the final score, for the student's report and results.json as for the
gradebook and its exports. In this order:

1. adjustments of items, then of exercises, each in the order they were made: ``set``
   makes the item (exercise) worth that many points, ``add`` adds (or, negative, takes
   away) points; either way the result stays between 0 and the item's (exercise's)
   maximum, so an item can never be worth more than it is worth to everybody else (the
   line then says so: ``capped`` is ``max`` or ``min`` and ``limit`` the bound; the
   ``rnngrade adjust`` command says it when the adjustment is made);
2. the late penalty (:mod:`.late`): its percent of the score so far;
3. adjustments of the total (a bonus, a penalty for a breach of the rules), in order;
   the final score stays between 0 and the maximum (an LMS refuses a grade above it).

Each step is a *line* (plain data: what, how many points, the comment, who, when),
shown in the student's report and written to every export. An adjustment whose item
or exercise the grade does not have (it was renamed, or the student's row failed)
is a line worth 0 points that says so, never silently dropped.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from .late import Lateness

CHECK, EXERCISE, TOTAL = "check", "exercise", "total"
SCOPES = (CHECK, EXERCISE, TOTAL)
SET, ADD = "set", "add"
MODES = (SET, ADD)
LATE = "late"  # the kind of the late penalty's line
ADJUSTMENT = "adjustment"  # the kind of a manual adjustment's line
COMMENT_CHARS = 2000


@dataclass(frozen=True)
class Adjustment:
    """One manual adjustment of one student's score."""

    scope: str  # check, exercise or total
    target: str  # the item id or the exercise name ("" for the total)
    mode: str  # set or add
    value: float
    comment: str
    author: str = ""
    at: str = ""  # when it was made (ISO 8601, UTC)
    id: int | None = None  # its number in the gradebook
    student: str = ""

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise ValueError(f"an adjustment's scope is one of {', '.join(SCOPES)}, not {self.scope!r}")
        if self.mode not in MODES:
            raise ValueError(f"an adjustment's mode is {SET} or {ADD}, not {self.mode!r}")
        if (self.scope == TOTAL) != (self.target == ""):
            raise ValueError("a check or an exercise adjustment names its target; the total's has none")
        if not self.comment.strip():
            raise ValueError("every adjustment needs a comment (the student reads it)")
        if self.value != self.value or self.value in (float("inf"), float("-inf")):
            raise ValueError("an adjustment's points must be a finite number")
        if self.mode == SET and self.value < 0:
            raise ValueError("set makes an item worth that many points: it cannot be negative")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Adjustment:
        return cls(**{k: d[k] for k in ("scope", "target", "mode", "value", "comment", "author", "at", "id",
                                         "student") if k in d})


def now_utc() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Item:
    """A graded item as the settlement sees it."""

    id: str
    exercise: str
    points: float
    max_points: float


@dataclass(frozen=True)
class Settlement:
    base: float  # what the grader measured
    lines: list[dict[str, Any]]  # every adjustment and the late penalty, in the order applied
    score: float  # the final score
    # exercise -> its points after the adjustments of its items and of itself (before the
    # late penalty and the total's adjustments, which apply to the total only)
    exercises: dict[str, float] = field(default_factory=dict)

    @property
    def adjusted(self) -> float:
        """Points added (or taken) by manual adjustments."""
        return round(sum(ln["points"] for ln in self.lines if ln["kind"] == ADJUSTMENT), 4)

    @property
    def late_points(self) -> float:
        return round(sum(ln["points"] for ln in self.lines if ln["kind"] == LATE), 4)


def _clamp(x: float, hi: float) -> float:
    return min(max(x, 0.0), hi)


def _line(a: Adjustment, points: float, applied: bool = True, wanted: float | None = None,
          hi: float = 0.0) -> dict[str, Any]:
    """The line of adjustment ``a`` that changed the score by ``points``; ``wanted``:
    the score it asked for, ``hi`` the most the item (exercise, total) is worth: a
    result outside [0, hi] was capped, and the line says at which bound."""
    line = {"kind": ADJUSTMENT, "scope": a.scope, "target": a.target, "mode": a.mode, "value": a.value,
            "points": round(points, 6) + 0.0, "comment": a.comment[:COMMENT_CHARS], "by": a.author, "at": a.at,
            "id": a.id, "applied": applied}
    if wanted is not None and (wanted > hi + 1e-9 or wanted < -1e-9):
        line["capped"] = "max" if wanted > hi else "min"
        line["limit"] = round(hi if wanted > hi else 0.0, 6) + 0.0
    return line


def settle(items: Sequence[Item], adjustments: Sequence[Adjustment], lateness: Lateness | None = None) -> Settlement:
    """The final score of a grade: its items, then the adjustments and the late penalty
    in the order of the module's docstring."""
    points = {i.id: i.points for i in items}
    maxima = {i.id: i.max_points for i in items}
    exercise_of = {i.id: i.exercise for i in items}
    base = round(sum(points.values()), 6)
    lines: list[dict[str, Any]] = []
    extra: dict[str, float] = {}  # exercise -> points added by exercise adjustments

    def exercise_points(name: str) -> float:
        return sum(p for i, p in points.items() if exercise_of[i] == name) + extra.get(name, 0.0)

    def exercise_max(name: str) -> float:
        return sum(m for i, m in maxima.items() if exercise_of[i] == name)

    ordered = [a for scope in SCOPES for a in adjustments if a.scope == scope]
    for a in (a for a in ordered if a.scope == CHECK):
        if a.target not in points:
            lines.append(_line(a, 0.0, applied=False))
            continue
        wanted = a.value if a.mode == SET else points[a.target] + a.value
        new = _clamp(wanted, maxima[a.target])
        lines.append(_line(a, new - points[a.target], wanted=wanted, hi=maxima[a.target]))
        points[a.target] = new
    for a in (a for a in ordered if a.scope == EXERCISE):
        if a.target not in exercise_of.values():
            lines.append(_line(a, 0.0, applied=False))
            continue
        now = exercise_points(a.target)
        wanted = a.value if a.mode == SET else now + a.value
        new = _clamp(wanted, exercise_max(a.target))
        lines.append(_line(a, new - now, wanted=wanted, hi=exercise_max(a.target)))
        extra[a.target] = extra.get(a.target, 0.0) + new - now
    subtotal = sum(points.values()) + sum(extra.values())
    if lateness is not None and lateness.late:
        penalty = round(subtotal * lateness.percent / 100.0, 6)
        lines.append({"kind": LATE, **lateness.to_dict(), "points": -penalty + 0.0})
        subtotal -= penalty
    top = sum(maxima.values())
    for a in (a for a in ordered if a.scope == TOTAL):
        wanted = a.value if a.mode == SET else subtotal + a.value
        new = _clamp(wanted, top)
        lines.append(_line(a, new - subtotal, wanted=wanted, hi=top))
        subtotal = new
    by_exercise = {name: round(exercise_points(name), 6) + 0.0 for name in dict.fromkeys(exercise_of.values())}
    return Settlement(base, lines, round(max(subtotal, 0.0), 4) + 0.0, by_exercise)
