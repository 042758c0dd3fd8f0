"""The parent's cheaper copies and block-server windows give what the slow forms gave."""

from __future__ import annotations

import copy

import numpy as np

from grader.checks.blocks import _row_bytes, _windows
from grader.checks.copies import fresh


def _naive_windows(a: np.ndarray, width: int) -> set[bytes]:
    if a.size == 0:
        return set()
    rows = a.reshape(1, 1) if a.ndim == 0 else a.reshape(-1, a.shape[-1])
    return {rows[i, j:j + width].copy().tobytes() for i in range(rows.shape[0])
            for j in range(rows.shape[1] - width + 1)}


def test_fresh_copies_every_array_and_container_like_deepcopy() -> None:
    shared = np.arange(6.0).reshape(2, 3)
    fortran = np.asfortranarray(np.ones((3, 2)))
    value = {"x": shared, "p": {"W": shared, "b": [np.zeros(2), 3, "s", None]}, "t": (fortran, 1.5)}
    got, want = fresh(value), copy.deepcopy(value)
    assert got["x"] is not shared and np.array_equal(got["x"], shared)
    assert got["p"]["W"] is got["x"]  # one array met twice: one copy, as deepcopy gives
    assert want["p"]["W"] is want["x"]
    assert got["t"][0].flags.f_contiguous and not got["t"][0].flags.c_contiguous
    assert got["p"]["b"] is not value["p"]["b"] and got["p"]["b"][0] is not value["p"]["b"][0]
    got["x"][0, 0] = 99.0
    got["p"]["b"].append(1)
    assert shared[0, 0] == 0.0 and len(value["p"]["b"]) == 4


def test_fresh_hands_anything_unusual_to_deepcopy() -> None:
    class Box:
        def __init__(self) -> None:
            self.items = [np.ones(2)]

    box = Box()
    objects = np.array([[1.0], None], dtype=object)
    got = fresh([box, objects])
    assert got[0] is not box and got[0].items[0] is not box.items[0]
    assert got[1] is not objects and got[1][0] is not objects[0]


def test_windows_and_row_bytes_match_the_row_by_row_forms() -> None:
    rng = np.random.default_rng(0)
    for shape in [(), (5,), (3, 4), (2, 3, 6), (4, 0)]:
        a = rng.standard_normal(shape)
        if a.ndim:
            a[..., :1] = 0.0  # rows starting with zero bytes
        width = a.shape[-1] if a.ndim else 1
        for w in range(1, max(width, 1) + 1):
            assert _windows(a, w) == _naive_windows(a, w)
    rows = rng.standard_normal((4, 3))
    rows[1] = 0.0
    assert _row_bytes(rows) == [r.tobytes() for r in rows]
    assert _row_bytes(rows[:, ::2]) == [r.copy().tobytes() for r in rows[:, ::2]]


def test_matches_agrees_with_compare_ok_everywhere() -> None:
    from grader.checks.compare import compare, matches

    rng = np.random.default_rng(1)
    e = rng.standard_normal((3, 4))
    cases: list[tuple[object, np.ndarray]] = [
        (e.copy(), e), (e + 1e-12, e), (e + 1e-3, e), (e.astype(np.float32), e), (e.T, e), (e[:2], e),
        (e.astype(int), e.astype(int).astype(float)), (np.array(["a"]), np.zeros(1)), ("x", np.zeros(())),
        (2.0, np.asarray(2.0)), (True, np.asarray(1.0)), (3, np.zeros(1)), (None, e), (np.zeros((0, 4)), np.zeros((0, 4))),
        (np.ma.masked_array(e), e), (np.array([1.0, np.nan]), np.array([1.0, np.nan])),
        (np.array([1.0, np.inf]), np.array([1.0, np.inf])), (np.array([1.0, 5.0]), np.array([1.0, np.inf])),
        (np.array([1.0, -np.inf]), np.array([1.0, np.inf])), (np.array([np.nan, 1.0]), np.array([0.0, 1.0])),
        (np.array([1 + 0j]), np.array([1.0])),
    ]
    for got, want in cases:
        assert matches(got, want) == compare(got, want).ok, (got, want)
    for got, want in cases[:3]:
        assert matches(got, want, rtol=1e-2, atol=0.0) == compare(got, want, rtol=1e-2, atol=0.0).ok


def test_compare_takes_an_overflowing_gap_of_finite_numbers_for_wrong_values() -> None:
    from grader.checks.compare import compare

    cmp = compare(np.array([1.0, 1e308]), np.array([1.0, -1e308]))
    assert not cmp.ok and cmp.problem == "values" and cmp.n_wrong == 1 and cmp.worst_index == (1,)
    cmp = compare(np.array([1.0, np.inf]), np.array([1.0, 1e308]))
    assert not cmp.ok and cmp.problem == "nonfinite" and cmp.worst_index == (1,)
