"""Students whose graded functions match the reference solution.

The reference is kept out of the pairwise comparison (code that matches it is not
evidence that two students copied from *each other*), so two students who both hand
in the reference verbatim share nothing there. Yet a copy of the reference is the
most likely leak (CS231n-style solutions are public; an autograder image holds
``solutions/``). This module lists those students on their own, per graded function:
the share of a function's distinctive fingerprints (those not in the starter code)
that are k-grams of the reference. Only functions with at least
:data:`~.index.MIN_UNIT` such fingerprints count, so a short function that every
honest student writes like the reference (``relu_forward``) never lights up.

Evidence for a human, like every similarity output: a student may have written code
close to the reference honestly; read it before concluding anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .extract import StudentPrints
from .index import MIN_UNIT

REFERENCE_SHARE = 0.8  # a function counts as matching the reference from this share of its fingerprints


@dataclass(frozen=True)
class ReferenceMatch:
    """One graded function of a student against the reference."""

    function: str
    matched: int  # the student's distinctive fingerprints that are k-grams of the reference
    size: int  # the student's distinctive fingerprints of this function

    @property
    def share(self) -> float:
        return self.matched / self.size if self.size else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"function": self.function, "matched": self.matched, "fingerprints": self.size,
                "share": round(self.share, 4)}


@dataclass(frozen=True)
class ReferenceCopy:
    """A student with graded functions that match the reference."""

    student: str
    matches: tuple[ReferenceMatch, ...]  # functions at or above the threshold, highest share first
    long_functions: int  # functions long enough to count

    def to_dict(self) -> dict[str, Any]:
        return {"student": self.student, "long_functions": self.long_functions,
                "functions": [m.to_dict() for m in self.matches]}


def reference_copies(students: list[StudentPrints], functions: list[str], reference: np.ndarray,
                     starter: np.ndarray, min_unit: int = MIN_UNIT,
                     threshold: float = REFERENCE_SHARE) -> list[ReferenceCopy]:
    """Every student with at least one long graded function whose fingerprints are
    mostly the reference's, most matching functions first. ``reference``: every
    k-gram hash of the reference; ``starter``: of the starter code (not counted on
    either side)."""
    own_reference = np.setdiff1d(reference, starter)
    out: list[ReferenceCopy] = []
    for s in students:
        matches, long_functions = [], 0
        for function in functions:
            prints = s.prints.get(function)
            if prints is None:
                continue
            distinctive = np.setdiff1d(prints, starter)
            if len(distinctive) < min_unit:
                continue
            long_functions += 1
            match = ReferenceMatch(function, int(np.isin(distinctive, own_reference).sum()), len(distinctive))
            if match.share >= threshold:
                matches.append(match)
        if matches:
            matches.sort(key=lambda m: (-m.share, m.function))
            out.append(ReferenceCopy(s.student, tuple(matches), long_functions))
    out.sort(key=lambda c: (-len(c.matches), -sum(m.share for m in c.matches), c.student))
    return out
