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


def test_array_of_checks_the_shape_before_converting_anything():
    import tracemalloc

    from grader.checks.compare import array_of

    big = np.ones((4, 1000, 1000), dtype=np.int8)  # 4 MB that would be 32 MB as float64
    tracemalloc.start()
    try:
        assert array_of(big, (4, 5)) is None
        assert compare(big, np.zeros((4, 5))).problem == "shape"
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20
    assert array_of(np.arange(3), (3,)).dtype == np.float64
    assert array_of(2.5, ()) == 2.5 and array_of(np.array([2.5]), ()) == 2.5  # a scalar: any one-element form
    assert array_of("2.5", ()) is None and array_of(np.array([1.0, 2.0]), ()) is None


def test_close_and_agree_are_the_one_tolerance_rule():
    from grader.checks.compare import TOL, agree, close

    want = np.array([1000.0, 1.0])
    assert close(want * (1 + 1e-7), want) and not close(want * (1 + 1e-5), want)
    assert not close(np.array([1000.0, np.nan]), want)  # untrusted values must be finite
    assert close(want + 5e-7, want, rtol=0, scaled=True)  # atol measured against the largest entry
    assert agree(1.0, 1.0 + 1e-6) and not agree(1.0, 1.1) and not agree(None, 1.0)
    assert agree(1e-12, 2e-12) and not agree(1e-9, 2e-9)  # measured against at least the floor (1e-6)
    assert TOL.directional == 1e-5
