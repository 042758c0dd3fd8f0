"""Code similarity across a class: which pairs of students handed in the same code.

Evidence for a human, never a verdict. The pipeline, in order (one module each):

1. :mod:`.sources`: read each submission's code as text (files and notebook cells;
   no link followed, sizes capped, nothing imported or run);
2. :mod:`.tokens`: lex it with :mod:`tokenize` and normalise the tokens (names,
   literals, comments, docstrings, layout), split into one unit per graded
   function, found by name as the grader finds it, plus the rest;
3. :mod:`.fingerprint`: hash every k-gram of normalised tokens and keep a
   winnowed subset as the unit's fingerprints;
4. :mod:`.index`: drop the fingerprints of the starter code, of the reference and
   those common to much of the class, then score only the pairs that share a
   fingerprint, through an inverted index;
5. :mod:`.evidence`: for the pairs a human will look at, the matching lines of
   both students' code, side by side;
6. :mod:`.reference`: the students whose long graded functions match the reference
   (kept out of the pairs, listed on their own);
7. :mod:`.render`: the terminal list, CSV, JSON and the HTML page.

:func:`compare_class` runs steps 1 to 4 for a class folder (the one ``rnngrade
batch`` takes); ``rnngrade similarity`` is a thin layer over it.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..batch import Entry
from ..i18n import Message, msg
from .extract import StudentPrints, all_hashes, fingerprint_submission
from .fingerprint import WINDOW, K
from .index import MIN_UNIT, PairTable, default_common, score_pairs
from .reference import REFERENCE_SHARE, ReferenceCopy, reference_copies
from .tokens import OTHER

__all__ = ["OTHER", "ClassFolderError", "PairView", "ReferenceCopy", "Similarity", "UnitShare", "class_entries",
           "compare_class", "graded_functions"]


class ClassFolderError(Exception):
    """The folder is not a class of submissions; ``message`` says why, in both languages."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.key)
        self.message = message


@dataclass(frozen=True)
class UnitShare:
    """What a pair shares in one unit."""

    unit: str  # a graded function's name, or OTHER
    matched: int  # shared fingerprints
    size_a: int  # distinctive fingerprints of each side
    size_b: int
    own_matched: float  # shared fingerprints, one that g students have counting 1 / (g - 1)

    @property
    def share(self) -> float:
        smaller = min(self.size_a, self.size_b)
        return self.matched / smaller if smaller else 0.0

    @property
    def own(self) -> float:
        smaller = min(self.size_a, self.size_b)
        return self.own_matched / smaller if smaller else 0.0


@dataclass(frozen=True)
class PairView:
    """One scored pair, as the outputs show it."""

    rank: int  # 1 = most similar
    a: str
    b: str
    score: float
    overall: float
    matched: int
    exclusive: int  # shared fingerprints that no other student has
    best_unit: str | None  # the function whose own-share counts in the score
    best_own: float
    units: tuple[UnitShare, ...]  # most shared first

    def to_dict(self) -> dict[str, Any]:
        return {"rank": self.rank, "a": self.a, "b": self.b, "score": round(self.score, 4),
                "overall": round(self.overall, 4), "matched": self.matched, "exclusive": self.exclusive,
                "best_function": self.best_unit, "best_own": round(self.best_own, 4),
                "functions": [{"function": u.unit, "matched": u.matched, "fingerprints_a": u.size_a,
                               "fingerprints_b": u.size_b, "share": round(u.share, 4), "own": round(u.own, 4)}
                              for u in self.units]}


@dataclass
class Similarity:
    """The comparison of a class: every student's fingerprints and the scored pairs."""

    students: list[StudentPrints]
    units: list[str]  # graded functions, then OTHER
    pairs: PairTable
    k: int
    window: int
    common: int
    min_unit: int
    split: tuple[str, ...] = ()  # every function name the code was split at (compared or not)
    excluded_sources: list[str] = field(default_factory=list)
    excluded: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))  # starter/reference k-grams
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per phase
    # Students whose long graded functions match the reference (None: no reference given).
    reference_copies: list[ReferenceCopy] | None = None
    reference_share: float = REFERENCE_SHARE
    _index: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def pair(self, p: int) -> PairView:
        t = self.pairs
        a, b = int(t.a[p]), int(t.b[p])
        units = tuple(UnitShare(self.units[u], m, int(t.sizes[a, u]), int(t.sizes[b, u]), own)
                      for u, m, own in t.cells(p))
        best = int(t.best_unit[p])
        return PairView(p + 1, self.students[a].student, self.students[b].student, float(t.score[p]),
                        float(t.overall[p]), int(t.matched[p]), int(t.exclusive[p]),
                        self.units[best] if best >= 0 else None, float(t.best_own[p]), units)

    def count(self, min_score: float = 0.0) -> int:
        """How many pairs score at least ``min_score``."""
        return int(np.count_nonzero(self.pairs.score >= min_score)) if min_score > 0 else len(self.pairs)

    def top(self, n: int | None = None, min_score: float = 0.0) -> list[PairView]:
        """The most similar pairs first, at most ``n``, with a score of at least ``min_score``."""
        count = self.count(min_score)
        if n is not None:
            count = min(count, n)
        return [self.pair(p) for p in range(count)]

    @property
    def functions(self) -> list[str]:
        return [u for u in self.units if u != OTHER]

    def index_of(self, student: str) -> int:
        """The index of ``student`` in :attr:`students` (KeyError if absent)."""
        if len(self._index) != len(self.students):
            self._index = {}
            for i, s in enumerate(self.students):
                self._index.setdefault(s.student, i)
        return self._index[student]

    def pair_of(self, a: str, b: str) -> PairView | None:
        """The pair of students ``a`` and ``b`` (either order), or None if they share nothing."""
        ia, ib = sorted((self.index_of(a), self.index_of(b)))
        hits = np.flatnonzero((self.pairs.a == ia) & (self.pairs.b == ib))
        return self.pair(int(hits[0])) if len(hits) else None


def graded_functions() -> list[str]:
    """The functions the assignment grades, in the lecture's order."""
    from ..specs import all_exercises, wanted_functions

    return wanted_functions(all_exercises())


def class_entries(folder: Path | str) -> list[Entry]:
    """The students of the class ``folder``, as ``rnngrade batch`` finds them; raises
    :class:`ClassFolderError` for what is not a class folder (a file, the output of
    ``rnngrade batch``, an empty folder)."""
    from ..batch import discover

    folder = Path(folder)
    if not folder.is_dir():
        raise ClassFolderError(msg("similarity.error.not_a_folder", path=str(folder)))
    if (folder / "gradebook.sqlite").exists():
        raise ClassFolderError(msg("similarity.error.graded_folder", path=str(folder)))
    entries = discover(folder)
    if not entries:
        raise ClassFolderError(msg("similarity.error.empty", path=str(folder)))
    return entries


def _work(args: tuple[str, str, tuple[str, ...]]) -> StudentPrints:
    """Fingerprint one submission (in a worker process). Content problems are notes
    already; anything else that goes wrong with one student is a note too, so one
    submission can never stop the comparison of the class."""
    student, path, functions = args
    try:
        return fingerprint_submission(student, path, functions)
    except Exception as exc:  # a bug or an exhausted resource: this student is not compared
        return StudentPrints(student, [], [msg("similarity.note.failed", error=f"{type(exc).__name__}: {exc}"[:300])])


def compare_class(
    folder: Path | str,
    *,
    functions: Sequence[str] | None = None,
    starter: Sequence[Path | str] = (),
    reference: Path | str | None = None,
    common: int | None = None,
    jobs: int = 1,
    progress: Callable[[str], None] | None = None,
) -> Similarity:
    """Compare every pair of submissions in the class ``folder``.

    ``functions``: the graded functions to compare (default: all of the assignment's;
    the others are left out, not counted as code outside the graded functions);
    ``starter``: the release the students started from (folders, files), and
    ``reference``: the solutions; neither is scored. ``common``: fingerprints shared
    by more students than this are common code (default :func:`default_common`).
    ``jobs``: worker processes that read and fingerprint the submissions."""
    entries = class_entries(folder)
    every = tuple(graded_functions())
    functions = tuple(functions) if functions is not None else every
    # code is always split at every graded function, so that the functions left out
    # of a comparison are left out, not counted as code outside the graded functions
    split = every + tuple(f for f in functions if f not in every)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rnngrade-similarity-") as staging:
        # An LMS download's files of one student are regrouped first, as for grading.
        entries = [_staged(e, Path(staging)) for e in entries]
        students = _fingerprint_all([(e.student, str(e.path), split) for e in entries], jobs, progress)
    t1 = time.perf_counter()
    sources = [Path(p) for p in starter] + ([Path(reference)] if reference is not None else [])
    excluded = all_hashes([p for p in sources if p.exists()], split)
    units = [*functions, OTHER]
    common = common if common is not None else default_common(len(students))
    table = score_pairs([s.prints for s in students], units, excluded, common)
    copies = None
    if reference is not None and Path(reference).exists():
        copies = reference_copies(students, list(functions), all_hashes([Path(reference)], split),
                                  all_hashes([Path(p) for p in starter if Path(p).exists()], split))
    seconds = {"fingerprint": t1 - t0, "score": time.perf_counter() - t1}
    return Similarity(students, units, table, K, WINDOW, common, MIN_UNIT, split,
                      [os.fspath(p) for p in sources], excluded, seconds, reference_copies=copies)


def _staged(entry: Entry, staging: Path) -> Entry:
    """The entry with its LMS files (if any) staged under ``staging`` (see
    :func:`grader.batch.intake.stage`); other entries are read where they are."""
    if not entry.stage:
        return entry
    from ..batch import file_name
    from ..batch.intake import stage

    moved = dataclasses.replace(entry, path=staging / file_name(entry.key))
    stage(moved)
    return moved


def _fingerprint_all(tasks: list[tuple[str, str, tuple[str, ...]]], jobs: int,
                     progress: Callable[[str], None] | None) -> list[StudentPrints]:
    students: list[StudentPrints] = []
    jobs = max(1, min(jobs, len(tasks)))
    if jobs == 1:
        for task in tasks:
            students.append(_work(task))
            if progress:
                progress(task[0])
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for done in pool.map(_work, tasks, chunksize=max(1, min(32, len(tasks) // (4 * jobs)))):
                students.append(done)
                if progress:
                    progress(done.student)
    return students
