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

For a pair ``(a, b)`` and a unit ``u``, with ``n_a``, ``n_b`` the distinctive
fingerprints of each side (after the drops) and ``m`` those they share:

* ``share(u) = m / min(n_a, n_b)``: how much of the smaller function the other has;
* ``overall = sum(m) / min(sum(n_a), sum(n_b))``: the same over all units. A pair
  that shares most of its code scores high here even when others share it too (a
  solution passed around a group);
* ``own(u)``: ``share(u)`` where a shared fingerprint that ``g`` students have
  counts ``1 / (g - 1)``: one the two share with nobody else counts fully, one
  that five students have counts a quarter. A single function written alike by
  many students is the natural way to write it; a copied function is shared by
  two. Only units with ``min(n_a, n_b) >= MIN_UNIT`` count: a short function is
  too short to be evidence on its own.
* ``score = max(overall, max own(u))``: one copied function is not diluted by
  thirty honest ones. The overall share, too, only counts when the smaller side has
  ``MIN_UNIT`` fingerprints in all (a student who wrote almost nothing cannot be
  judged).

Pairs are ranked by score, then overall share, then the number of shared
fingerprints.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .fingerprint import mix, salt

MIN_UNIT = 20  # fingerprints a function needs on both sides to count on its own (about 8 statements)


def default_common(students: int) -> int:
    """The default cap on how many students may share a fingerprint before it is
    common code: 10 in a small class (a group that shares a solution stays
    visible), a twentieth of a large one."""
    return max(10, students // 20)


@dataclass
class PairTable:
    """Every scored pair, best first: parallel arrays of length P."""

    a: np.ndarray  # (P,) student index (a < b)
    b: np.ndarray  # (P,)
    score: np.ndarray  # (P,) float
    overall: np.ndarray  # (P,) float
    matched: np.ndarray  # (P,) shared fingerprints, all units
    exclusive: np.ndarray  # (P,) shared fingerprints no other student has
    best_unit: np.ndarray  # (P,) unit of the highest own-share (-1: no unit large enough)
    best_own: np.ndarray  # (P,) float
    # the sparse (pair, unit) table, sorted by pair then unit
    cell_pair: np.ndarray  # (C,) index into the arrays above
    cell_unit: np.ndarray  # (C,)
    cell_matched: np.ndarray  # (C,) shared fingerprints
    cell_own: np.ndarray  # (C,) shared fingerprints weighted 1 / (g - 1)
    sizes: np.ndarray  # (S, U) distinctive fingerprints per student and unit
    common_dropped: int  # fingerprints (keys) shared by more than `common` students
    excluded_dropped: int  # student fingerprints found in the starter code or reference

    def __len__(self) -> int:
        return len(self.a)

    def cells(self, p: int) -> list[tuple[int, int, float]]:
        """``(unit, matched, own)`` of pair ``p``, most matched first."""
        lo, hi = np.searchsorted(self.cell_pair, [p, p + 1])
        order = np.argsort(-self.cell_matched[lo:hi], kind="stable") + lo
        return [(int(self.cell_unit[i]), int(self.cell_matched[i]), float(self.cell_own[i])) for i in order]


@dataclass
class _Postings:
    """One row per (fingerprint key, student), sorted by key; groups by key."""

    student: np.ndarray
    unit: np.ndarray
    starts: np.ndarray  # first row of each key
    counts: np.ndarray  # students per key
    excluded: int


def _postings(prints: list[dict[str, np.ndarray]], units: list[str], excluded: np.ndarray) -> _Postings:
    unit_index = {u: i for i, u in enumerate(units)}
    hashes = [np.zeros(0, dtype=np.uint64)]
    owner = [np.zeros(0, dtype=np.int64)]
    unit_of = [np.zeros(0, dtype=np.int64)]
    for s, by_unit in enumerate(prints):
        for name, h in by_unit.items():
            if name in unit_index and len(h):
                hashes.append(h)
                owner.append(np.full(len(h), s, dtype=np.int64))
                unit_of.append(np.full(len(h), unit_index[name], dtype=np.int64))
    h, st, un = np.concatenate(hashes), np.concatenate(owner), np.concatenate(unit_of)
    keep = ~np.isin(h, excluded)
    dropped = int(len(h) - np.count_nonzero(keep))
    h, st, un = h[keep], st[keep], un[keep]
    salts = np.array([salt(u) for u in units], dtype=np.uint64)
    key = mix(h ^ salts[un])
    order = np.lexsort((st, key))
    key, st, un = key[order], st[order], un[order]
    first = np.ones(len(key), dtype=bool)  # the same fingerprint twice in a unit counts once
    first[1:] = (key[1:] != key[:-1]) | (st[1:] != st[:-1])
    key, st, un = key[first], st[first], un[first]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.zeros(0, dtype=np.int64)
    counts = np.diff(np.r_[starts, len(key)])
    return _Postings(st, un, starts, counts, dropped)


def _pairs_in_groups(post: _Postings, keep: np.ndarray, n_students: int, n_units: int
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (pair, unit) cell with its shared count and weighted count, from the
    groups of students sharing each kept key: codes (C,), matched (C,), own (C,)."""
    codes, weights = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.float32)]
    for g in np.unique(post.counts[keep]):
        group_starts = post.starts[keep & (post.counts == g)]
        members = post.student[group_starts[:, None] + np.arange(g)]  # (G, g), ascending
        i, j = np.triu_indices(int(g), 1)
        pa, pb = members[:, i].ravel(), members[:, j].ravel()
        pu = np.repeat(post.unit[group_starts], len(i))
        codes.append((pa * n_students + pb) * n_units + pu)
        weights.append(np.full(len(pa), 1.0 / (g - 1), dtype=np.float32))
    code, weight = np.concatenate(codes), np.concatenate(weights)
    order = np.argsort(code, kind="stable")
    code, weight = code[order], weight[order]
    starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]]) if len(code) else np.zeros(0, dtype=np.int64)
    matched = np.diff(np.r_[starts, len(code)])
    own = np.add.reduceat(weight, starts).astype(np.float64) if len(code) else np.zeros(0)
    return code[starts], matched, own


def score_pairs(prints: list[dict[str, np.ndarray]], units: list[str], excluded: np.ndarray,
                common: int, min_unit: int = MIN_UNIT) -> PairTable:
    """Score all pairs among ``prints`` (per student: unit -> unique fingerprints)."""
    n_students, n_units = len(prints), len(units)
    post = _postings(prints, units, excluded)
    is_common = post.counts > common
    drop = np.repeat(is_common, post.counts)
    sizes = np.bincount(post.student[~drop] * n_units + post.unit[~drop], minlength=n_students * n_units)
    sizes = sizes.reshape(n_students, n_units)

    cell_code, cell_matched, cell_own = _pairs_in_groups(post, (post.counts >= 2) & ~is_common,
                                                         n_students, n_units)
    cell_unit = cell_code % n_units
    pair_ids, cell_pair = np.unique(cell_code // n_units, return_inverse=True)
    a, b = pair_ids // n_students, pair_ids % n_students
    n_pairs = len(pair_ids)

    matched = np.bincount(cell_pair, weights=cell_matched, minlength=n_pairs)
    total = sizes.sum(axis=1)
    smaller_total = np.minimum(total[a], total[b])
    overall = np.divide(matched, smaller_total, out=np.zeros(n_pairs), where=smaller_total > 0)
    # like a function, a whole submission needs enough fingerprints for its share to mean anything
    overall_counts = np.where(smaller_total >= min_unit, overall, 0.0)

    smaller = np.minimum(sizes[a[cell_pair], cell_unit], sizes[b[cell_pair], cell_unit])
    own = np.where(smaller >= min_unit, cell_own / np.maximum(smaller, 1), -1.0)
    best_own = np.full(n_pairs, -1.0)
    np.maximum.at(best_own, cell_pair, own)
    # the unit of each pair's best own-share (the one with most shared fingerprints on ties)
    best_cells = np.flatnonzero((own == best_own[cell_pair]) & (own >= 0))
    best_cells = best_cells[np.lexsort((-cell_matched[best_cells], cell_pair[best_cells]))]
    with_best, first = np.unique(cell_pair[best_cells], return_index=True)
    best_unit = np.full(n_pairs, -1, dtype=np.int64)
    best_unit[with_best] = cell_unit[best_cells[first]]
    best_own = np.maximum(best_own, 0.0)
    score = np.maximum(overall_counts, best_own)

    exclusive = np.zeros(n_pairs, dtype=np.int64)
    two = (post.counts == 2) & ~is_common
    if two.any():
        s0, s1 = post.student[post.starts[two]], post.student[post.starts[two] + 1]
        ids, n = np.unique(s0 * n_students + s1, return_counts=True)
        exclusive[np.searchsorted(pair_ids, ids)] = n

    rank = np.lexsort((b, a, -matched, -overall, -score))
    position = np.empty_like(rank)
    position[rank] = np.arange(n_pairs)
    cell_pair = position[cell_pair]
    cells = np.lexsort((cell_unit, cell_pair))
    return PairTable(
        a=a[rank], b=b[rank], score=score[rank], overall=overall[rank], matched=matched[rank].astype(np.int64),
        exclusive=exclusive[rank], best_unit=best_unit[rank], best_own=best_own[rank],
        cell_pair=cell_pair[cells], cell_unit=cell_unit[cells], cell_matched=cell_matched[cells],
        cell_own=cell_own[cells], sizes=sizes, common_dropped=int(is_common.sum()), excluded_dropped=post.excluded,
    )
