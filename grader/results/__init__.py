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
    load_errors: list[dict] = field(default_factory=list)  # from the child's import
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

    @property
    def checks(self) -> list[CheckResult]:
        return [r for e in self.exercises for r in e.results]

    @property
    def score(self) -> float:
        return round(sum(r.points for r in self.checks), 4)

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
