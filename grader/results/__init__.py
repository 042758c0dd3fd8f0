"""The outcome of grading one submission, independent of how it is shown.

A :class:`Result` is plain data: message keys and parameters (never rendered
text), numbers, strings, and each exercise as its name and title
(:class:`~grader.checks.engine.ExerciseInfo`), not the live specs. So it can be
stored (:meth:`Result.to_dict`, the gradebook keeps it), read back
(:meth:`Result.from_dict`) and rendered in any language long after grading.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from ..checks.engine import ExerciseResult
from ..checks.model import CheckResult
from ..plain import decode, encode
from ..submission import Notice

FORMAT = 1  # of to_dict(); from_dict() reads this and every older format


@dataclass
class Result:
    """Everything the reports need; computed entirely in the parent."""

    student: str
    assignment: str
    official: bool  # graded with the reference solutions (hidden inputs)
    exercises: list[ExerciseResult]
    notices: list[Notice] = field(default_factory=list)
    load_errors: list[dict[str, Any]] = field(default_factory=list)  # from the child's import
    load_status: str = "loaded"
    load_output: str = ""
    isolation: str = ""
    isolated: bool = False  # the child ran in an isolated sandbox (see grader.sandbox.isolation)
    fingerprint: str = ""
    files: list[str] = field(default_factory=list)
    graded_at: str = ""
    version: str = ""
    versions: dict[str, str] = field(default_factory=dict)  # python, numpy, rnngrade that graded
    seconds: float = 0.0
    restarts: int = 0
    extras: dict[str, Any] = field(default_factory=dict)  # later parts (quiz, experiments)
    # The course stage (grader.assignments): manual adjustments and the late penalty, each a
    # plain line {"kind", "points", "comment", ...} added to the graded points; the student's
    # own due date and the hand-in time ("" when there is none or it is not known).
    adjustments: list[dict[str, Any]] = field(default_factory=list)
    due: str = ""
    handed_in: str = ""
    submission: str = ""  # what was graded, as given (a folder, a file), for the first line of the summary
    # A self-check: the official grade's maximum (it also counts what only the reference can
    # grade, such as the concept quiz), so the two totals can be explained. None: not known.
    official_max: float | None = None

    @property
    def checks(self) -> list[CheckResult]:
        return [r for e in self.exercises for r in e.results]

    @property
    def graded_score(self) -> float:
        """What the grader measured, before adjustments and late penalty."""
        return round(sum(r.points for r in self.checks), 4)

    @property
    def score(self) -> float:
        """The final score: the graded points, adjusted (never below 0)."""
        adjusted = sum(r.points for r in self.checks) + sum(a.get("points", 0.0) for a in self.adjustments)
        return round(max(adjusted, 0.0), 4) + 0.0

    @property
    def max_score(self) -> float:
        return round(sum(r.max_points for r in self.checks), 4)

    def mistakes(self) -> list[str]:
        seen: list[str] = []
        for r in self.checks:
            for m in r.mistakes:
                if m not in seen:
                    seen.append(m)
        return sorted(seen, key=int)

    # ------------------------------------------------------------------ plain data
    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible data (:mod:`grader.plain`) that :meth:`from_dict` reads back."""
        out: dict[str, Any] = {"format": FORMAT}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "exercises":
                out[f.name] = [e.to_dict() for e in value]
            elif f.name == "notices":
                out[f.name] = [{"key": n.key, "params": encode(n.params)} for n in value]
            else:
                out[f.name] = encode(value)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        if int(data.get("format", FORMAT)) > FORMAT:
            raise ValueError(f"result format {data.get('format')} is newer than this rnngrade reads ({FORMAT})")
        known = {f.name for f in dataclasses.fields(cls)}
        kw: dict[str, Any] = {}
        for name, value in data.items():
            if name not in known:
                continue  # a field a newer rnngrade added and this one does not know
            if name == "exercises":
                kw[name] = [ExerciseResult.from_dict(e) for e in value]
            elif name == "notices":
                kw[name] = [Notice(n["key"], decode(n.get("params", {}))) for n in value]
            else:
                kw[name] = decode(value)
        return cls(**kw)
