"""Score every pair of students that shares a fingerprint, through an inverted index.

All fingerprints of the class go into one table of postings ``(key, student,
unit)``, where the key is the fingerprint salted with its unit, so that only the
same function is compared with the same function. Sorting the table by key groups
the students who share a fingerprint; pairs are generated inside each group only,
with numpy, a whole group size at a time. A class of ``S`` students therefore costs
about ``sum(group size ** 2)`` operations, not ``S ** 2`` comparisons of code.

Before pairing, two kinds of fingerprints are dropped:

* those of the starter code and the reference (any k-gram of theirs), and
* *common* ones, shared by more than ``common`` students: what a large part of the
  class writes alike is the natural way to write it, not evidence (MOSS ignores
  such passages too). The same cap bounds the work of one group.

Scores, for a pair ``(a, b)`` and a unit ``u`` with ``m`` shared fingerprints and
``n_a``, ``n_b`` distinctive fingerprints of each side (after the drops):

* ``share(u) = m / min(n_a, n_b)``: how much of the smaller function is shared;
* ``overall = sum(m) / min(sum(n_a), sum(n_b))``: the same over all units;
* ``score = max(overall, max share(u) over units with min(n_a, n_b) >= MIN_UNIT)``:
  one copied function is not diluted by thirty honest ones, while a tiny function
  (a few fingerprints) is too small to be evidence on its own.

Pairs are ranked by score, then overall share, then the number of shared
fingerprints.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .fingerprint import _mix, salt

MIN_UNIT = 20  # fingerprints a function needs on both sides for its share to count alone


def default_common(students: int) -> int:
    """The default cap on how many students may share a fingerprint before it is
    common code: at least 10 (a small class can hold a group that shares a
    solution), and a tenth of a large class."""
    return max(10, students // 10)


@dataclass
class PairTable:
    """Every scored pair, best first: parallel arrays of length P."""

    a: np.ndarray  # (P,) student index (a < b)
    b: np.ndarray  # (P,)
    score: np.ndarray  # (P,) float
    overall: np.ndarray  # (P,) float
    matched: np.ndarray  # (P,) shared fingerprints, all units
    best_unit: np.ndarray  # (P,) unit index of the highest significant share, -1 if none
    best_share: np.ndarray  # (P,) float
    # the sparse (pair, unit) -> shared count table, sorted by pair then unit
    cell_pair: np.ndarray  # (C,) index into the arrays above
    cell_unit: np.ndarray  # (C,)
    cell_matched: np.ndarray  # (C,)
    sizes: np.ndarray  # (S, U) distinctive fingerprints per student and unit
    common_dropped: int  # fingerprints (keys) shared by more than `common` students
    excluded_dropped: int  # student fingerprints found in the starter code or reference

    def __len__(self) -> int:
        return len(self.a)

    def cells(self, p: int) -> list[tuple[int, int]]:
        """``(unit, matched)`` of pair ``p``, most matched first."""
        lo, hi = np.searchsorted(self.cell_pair, [p, p + 1])
        units = self.cell_unit[lo:hi]
        matched = self.cell_matched[lo:hi]
        order = np.argsort(-matched, kind="stable")
        return [(int(units[i]), int(matched[i])) for i in order]


def score_pairs(prints: list[dict[str, np.ndarray]], units: list[str], excluded: np.ndarray,
                common: int, min_unit: int = MIN_UNIT) -> PairTable:
    """Score all pairs among ``prints`` (per student: unit -> unique fingerprints)."""
    n_students, n_units = len(prints), len(units)
    unit_index = {u: i for i, u in enumerate(units)}
    hashes, owner, unit_of = [], [], []
    for s, by_unit in enumerate(prints):
        for name, h in by_unit.items():
            if name in unit_index and len(h):
                hashes.append(h)
                owner.append(np.full(len(h), s, dtype=np.int64))
                unit_of.append(np.full(len(h), unit_index[name], dtype=np.int64))
    if hashes:
        h = np.concatenate(hashes)
        st = np.concatenate(owner)
        un = np.concatenate(unit_of)
    else:
        h = np.zeros(0, dtype=np.uint64)
        st = un = np.zeros(0, dtype=np.int64)
    keep = ~np.isin(h, excluded)
    excluded_dropped = int(len(h) - keep.sum())
    h, st, un = h[keep], st[keep], un[keep]
    salts = np.array([salt(u) for u in units], dtype=np.uint64)
    key = _mix(h ^ salts[un]) if len(h) else h
    order = np.lexsort((st, key))
    key, st, un = key[order], st[order], un[order]
    # one posting per (key, student): the same fingerprint twice in a unit counts once
    first = np.ones(len(key), dtype=bool)
    first[1:] = (key[1:] != key[:-1]) | (st[1:] != st[:-1])
    key, st, un = key[first], st[first], un[first]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.zeros(0, dtype=np.int64)
    counts = np.diff(np.r_[starts, len(key)])
    common_keys = counts > common
    common_dropped = int(common_keys.sum())
    drop = np.repeat(common_keys, counts)
    sizes = np.bincount(st[~drop] * n_units + un[~drop], minlength=n_students * n_units)
    sizes = sizes.reshape(n_students, n_units)

    codes = []
    for g in np.unique(counts[(counts >= 2) & ~common_keys]):
        group_starts = starts[counts == g]
        members = st[group_starts[:, None] + np.arange(g)]  # (G, g), ascending
        i, j = np.triu_indices(int(g), 1)
        pa, pb = members[:, i].ravel(), members[:, j].ravel()
        pu = np.repeat(un[group_starts], len(i))
        codes.append((pa * n_students + pb) * n_units + pu)
    code = np.concatenate(codes) if codes else np.zeros(0, dtype=np.int64)
    cell_code, cell_matched = np.unique(code, return_counts=True)
    cell_unit = cell_code % n_units
    pair_code = cell_code // n_units
    pair_ids, cell_pair = np.unique(pair_code, return_inverse=True)
    a, b = pair_ids // n_students, pair_ids % n_students

    matched = np.bincount(cell_pair, weights=cell_matched, minlength=len(pair_ids))
    total = sizes.sum(axis=1)
    smaller_total = np.minimum(total[a], total[b])
    overall = np.divide(matched, smaller_total, out=np.zeros(len(pair_ids)), where=smaller_total > 0)
    cell_a, cell_b = a[cell_pair], b[cell_pair]
    smaller = np.minimum(sizes[cell_a, cell_unit], sizes[cell_b, cell_unit])
    share = np.divide(cell_matched, smaller, out=np.zeros(len(cell_code)), where=smaller > 0)
    significant = np.where(smaller >= min_unit, share, -1.0)
    best_share = np.full(len(pair_ids), -1.0)
    np.maximum.at(best_share, cell_pair, significant)
    # the unit of the best significant share (the one with most shared fingerprints on ties)
    best_cells = np.flatnonzero((significant == best_share[cell_pair]) & (significant >= 0))
    best_cells = best_cells[np.lexsort((-cell_matched[best_cells], cell_pair[best_cells]))]
    with_best, first_cell = np.unique(cell_pair[best_cells], return_index=True)
    best_unit = np.full(len(pair_ids), -1, dtype=np.int64)
    best_unit[with_best] = cell_unit[best_cells[first_cell]]
    best_share = np.maximum(best_share, 0.0)
    score = np.maximum(overall, best_share)

    rank = np.lexsort((b, a, -matched, -overall, -score))
    inverse = np.empty_like(rank)
    inverse[rank] = np.arange(len(rank))
    cell_pair = inverse[cell_pair]
    cell_sort = np.lexsort((cell_unit, cell_pair))
    return PairTable(
        a=a[rank], b=b[rank], score=score[rank], overall=overall[rank], matched=matched[rank].astype(np.int64),
        best_unit=best_unit[rank], best_share=best_share[rank],
        cell_pair=cell_pair[cell_sort], cell_unit=cell_unit[cell_sort], cell_matched=cell_matched[cell_sort],
        sizes=sizes, common_dropped=common_dropped, excluded_dropped=excluded_dropped,
    )
