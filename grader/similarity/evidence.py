"""The matching parts of two students' code, side by side, for a human to judge.

For a pair and a unit, every k-gram of one side whose hash the other side has too
(and that is not starter code or reference) is a match; runs of consecutive
matches that are consecutive on the other side as well form one numbered block.
Block 3 on the left is the same normalised code as block 3 on the right, however
the two students named, commented, laid out or ordered it. The original lines are
shown, never the normalised tokens, so the TA sees what each student wrote.

The views are rebuilt from the source texts kept by :mod:`.extract` (exactly what
was compared), only for the pairs that are shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .extract import StudentPrints, UnitDetail, unit_details
from .fingerprint import NO_HASH, K
from .tokens import LINE_BITS

MAX_ROWS = 400  # lines of one side of one unit
MAX_LINE = 300  # characters of one shown line
CONTEXT = 2  # unmatched lines kept around a block where lines are left out


@dataclass
class Row:
    label: str  # the source (file or notebook cell) when it changes, else ""
    lineno: int
    text: str
    block: int  # the number of the block this line belongs to, 0 if none
    gap: bool = False  # lines were left out before this one


@dataclass
class Side:
    student: str
    rows: list[Row] = field(default_factory=list)
    matched_lines: int = 0
    lines: int = 0


@dataclass
class UnitView:
    unit: str
    blocks: int
    left: Side
    right: Side


class Evidence:
    """Side-by-side views for pairs of one comparison; keeps the rebuilt units of
    the students it has shown."""

    def __init__(self, students: list[StudentPrints], functions: list[str], excluded: np.ndarray) -> None:
        self.students = students
        self.functions = functions
        self.excluded = excluded
        self._cache: dict[int, dict[str, UnitDetail]] = {}

    def _details(self, s: int) -> dict[str, UnitDetail]:
        if s not in self._cache:
            if len(self._cache) > 256:
                self._cache.clear()
            self._cache[s] = unit_details(self.students[s].sources, self.functions)
        return self._cache[s]

    def view(self, a: int, b: int, unit: str) -> UnitView | None:
        """The matching lines of ``unit`` in students ``a`` and ``b`` (None if either lacks it)."""
        da, db = self._details(a).get(unit), self._details(b).get(unit)
        if da is None or db is None:
            return None
        blocks = _blocks(da.hashes, db.hashes, self.excluded)
        left = _side(self.students[a], da, [(i, n) for i, _, n in blocks])
        right = _side(self.students[b], db, [(j, n) for _, j, n in blocks])
        return UnitView(unit, len(blocks), left, right)


def _blocks(ha: np.ndarray, hb: np.ndarray, excluded: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, int]]:
    """Matching runs: (k-gram indices in a, k-gram indices in b, block number).

    Runs are followed through k-grams of the starter code or the reference (so a
    reference line in the middle of a copied stretch does not cut it in two), but
    only the other k-grams are returned, and a run made only of those is dropped."""
    if len(ha) == 0 or len(hb) == 0:
        return []
    ia = np.flatnonzero(np.isin(ha, hb) & (ha != NO_HASH))
    if len(ia) == 0:
        return []
    order = np.argsort(hb, kind="stable")  # the first position of each hash in b
    where = order[np.searchsorted(hb[order], ha[ia])]
    # where a run can go on (the next k-gram of b is the next of a too), follow it
    # rather than jumping to the first occurrence of a repeated k-gram
    for x in range(1, len(ia)):
        follow = where[x - 1] + 1
        if ia[x] == ia[x - 1] + 1 and follow < len(hb) and hb[follow] == ha[ia[x]]:
            where[x] = follow
    own = ~np.isin(ha[ia], excluded)
    out: list[tuple[np.ndarray, np.ndarray, int]] = []
    start = 0
    for x in range(1, len(ia) + 1):
        if x == len(ia) or ia[x] != ia[x - 1] + 1 or where[x] != where[x - 1] + 1:
            keep = own[start:x]
            if keep.any():
                out.append((ia[start:x][keep], where[start:x][keep], len(out) + 1))
            start = x
    return out


def _side(student: StudentPrints, detail: UnitDetail, blocks: list[tuple[np.ndarray, int]]) -> Side:
    """The lines of one side: the whole graded function, or for long units (and the
    code outside the graded functions) the matched lines with some context."""
    unit = detail.unit
    pos = np.asarray(unit.pos, dtype=np.int64)
    mask = (1 << LINE_BITS) - 1
    marked: dict[tuple[int, int], int] = {}
    for index, number in blocks:
        covered = np.unique((index[:, None] + np.arange(K)).ravel())
        covered = covered[covered < len(pos)]
        for p in pos[covered]:
            marked.setdefault((int(p >> LINE_BITS), int(p & mask)), number)
    if unit.span is not None:
        src, first, last = unit.span
        lines = [(src, n) for n in range(first, last + 1)]
    else:
        lines = sorted({(int(p >> LINE_BITS), int(p & mask)) for p in pos})
    side = Side(student.student, matched_lines=len(marked), lines=len(lines))
    if len(lines) > MAX_ROWS or unit.span is None:
        near: set[tuple[int, int]] = set()
        for src, n in marked:
            near.update((src, m) for m in range(n - CONTEXT, n + CONTEXT + 1))
        lines = [ln for ln in lines if ln in near] if marked else lines[:20]
    texts: dict[int, list[str]] = {}
    previous: tuple[int, int] | None = None
    for src, n in lines[:MAX_ROWS]:
        if src not in texts:
            texts[src] = student.sources[src].text.splitlines()
        source_lines = texts[src]
        text = source_lines[n - 1] if 0 < n <= len(source_lines) else ""
        if len(text) > MAX_LINE:
            text = text[:MAX_LINE] + " …"
        label = student.sources[src].label if previous is None or previous[0] != src else ""
        gap = previous is not None and previous[0] == src and n != previous[1] + 1
        side.rows.append(Row(label, n, text.expandtabs(4), marked.get((src, n), 0), gap))
        previous = (src, n)
    return side
