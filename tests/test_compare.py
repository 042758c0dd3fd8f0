"""Strict float64 comparison in the parent."""

from __future__ import annotations

import numpy as np

from grader.checks.compare import compare


def test_equal_within_tolerance():
    e = np.linspace(-1, 1, 12).reshape(3, 4)
    assert compare(e + 1e-12, e).ok


def test_strict_shape_no_broadcasting():
    e = np.ones(4)
    c = compare(np.ones((1, 4)), e)
    assert not c.ok and c.problem == "shape"


def test_nan_positions_must_match():
    e = np.array([1.0, np.nan, 3.0])
    assert compare(np.array([1.0, np.nan, 3.0]), e).ok
    c = compare(np.array([1.0, 2.0, 3.0]), e)
    assert not c.ok and c.problem == "nonfinite"
    c = compare(np.array([np.nan, np.nan, 3.0]), e)
    assert not c.ok and c.worst_index == (0,)


def test_inf_sign_matters():
    e = np.array([np.inf, 1.0])
    assert compare(np.array([np.inf, 1.0]), e).ok
    assert not compare(np.array([-np.inf, 1.0]), e).ok


def test_worst_index_and_relative_error():
    e = np.zeros((2, 3))
    a = e.copy()
    a[1, 2] = 0.5
    c = compare(a, e)
    assert not c.ok and c.worst_index == (1, 2) and c.n_wrong == 1 and abs(c.worst_rel_error - 1.0) < 1e-12


def test_non_arrays_are_refused():
    for bad in ("abc", None, {"a": 1}, np.array(["x"]), np.array([1 + 2j])):
        assert compare(bad, np.zeros(1)).problem == "type"


def test_integers_and_float32_are_compared_as_numbers():
    assert compare(np.array([1, 2], dtype=np.int64), np.array([1.0, 2.0])).ok
    c = compare(np.array([0.1, 0.2], dtype=np.float32), np.array([0.1, 0.2]))
    assert c.received_dtype == "<f4"  # reported, so feedback can name mistake 31
    c = compare(np.array([0.1, 0.2], dtype=np.float16), np.array([0.1, 0.2]))
    assert not c.ok
