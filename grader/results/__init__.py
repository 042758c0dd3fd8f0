"""The outcome of grading one submission, independent of how it is shown."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..checks.engine import ExerciseResult
from ..checks.model import CheckResult
from ..submission import Notice


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
