"""Compare a student's array with the expected one, in the parent, in float64.

The one comparison module of the grader: value checks, probes, diagnoses and
experiments all compare here, with the tolerances of :data:`TOL`.

Nothing here calls a method of a student object: inputs are plain ndarrays decoded
by the sandbox protocol. The verdict is ``|a - e| <= atol + rtol * |e|`` elementwise,
with strict shapes (no broadcasting) and NaN/inf at exactly the expected positions;
the reported error is CS231n's relative error ``|a - e| / max(1e-8, |a| + |e|)``.
A received array is converted to float64 only after its shape was found right, so
an answer of the wrong size never makes the parent allocate anything for it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Tolerances:
    """Every tolerance of the grader, in one table (docs/scoring.md cites it)."""

    rtol: float = 1e-6  # a value against the reference
    atol: float = 1e-9
    directional: float = 1e-5  # a directional derivative against its numerical estimate (relative)
    directional_floor: float = 1e-6  # derivatives smaller than this are compared absolutely
    coordinate: float = 1e-4  # one coordinate of a gradient, when localising an error
    coordinate_atol: float = 1e-7
    vanishing: float = 1e-3  # a numerical derivative this much smaller than the reference's vanishes
    nonzero: float = 1e-6  # a reference derivative larger than this is clearly not zero
    probe: float = 1e-5  # probes comparing a gate's gradient with a candidate's
    loose: float = 1e-4  # results a mistake reproduces only up to float32 rounding


TOL = Tolerances()
RTOL, ATOL = TOL.rtol, TOL.atol


@dataclass
class Comparison:
    ok: bool
    problem: str | None = None  # None, "type", "shape", "nonfinite", "values"
    worst_rel_error: float = 0.0
    worst_index: tuple[int, ...] | None = None
    n_wrong: int = 0
    n_total: int = 0
    received_shape: tuple[int, ...] | None = None
    expected_shape: tuple[int, ...] | None = None
    received_dtype: str | None = None
    wrong_mask: np.ndarray | None = field(default=None, repr=False)


def _numeric_array(value: Any) -> bool:
    return isinstance(value, np.ndarray) and type(value) is np.ndarray and value.dtype.kind in "biuf"


def as_float_array(value: Any) -> np.ndarray | None:
    """A plain float64 copy of a decoded value, or None if it is not numeric.

    Use :func:`array_of` instead wherever the shape is known beforehand."""
    if _numeric_array(value):
        return np.asarray(value, dtype=np.float64).copy()
    if isinstance(value, (bool, int, float)) and not isinstance(value, np.ndarray):
        return np.asarray(float(value), dtype=np.float64)
    return None


def array_of(value: Any, shape: tuple[int, ...]) -> np.ndarray | None:
    """A float64 copy of ``value`` if it is numeric and exactly of ``shape`` (checked
    before anything is converted), else None. A scalar is wanted as shape ``()``;
    then a plain number or any one-element array will do."""
    if isinstance(value, (bool, int, float)) and not isinstance(value, np.ndarray):
        return np.asarray(float(value)) if shape == () else None
    if not _numeric_array(value):
        return None
    if value.shape != tuple(shape) and not (shape == () and value.size == 1):
        return None
    converted: np.ndarray = value.astype(np.float64).reshape(shape)
    return converted


def rel_error(a: np.ndarray, e: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        err: np.ndarray = np.abs(a - e) / np.maximum(1e-8, np.abs(a) + np.abs(e))
    return err


def compare(received: Any, expected: np.ndarray, rtol: float = RTOL, atol: float = ATOL) -> Comparison:
    """Compare ``received`` (untrusted, decoded) with ``expected`` (trusted)."""
    expected = np.asarray(expected, dtype=np.float64)
    dtype = received.dtype.str if isinstance(received, np.ndarray) else type(received).__name__
    numeric = _numeric_array(received) or (isinstance(received, (bool, int, float))
                                           and not isinstance(received, np.ndarray))
    if not numeric:
        return Comparison(False, "type", received_dtype=dtype, expected_shape=expected.shape)
    shape = received.shape if isinstance(received, np.ndarray) else ()
    if shape != expected.shape:
        return Comparison(False, "shape", received_shape=shape, expected_shape=expected.shape,
                          received_dtype=dtype)
    a = np.asarray(received, dtype=np.float64)
    n = expected.size
    with np.errstate(all="ignore"):
        gap, size_e = np.abs(a - expected), np.abs(expected)
        # The common case: no NaN or inf on either side. A finite gap says so in one test (a
        # NaN or inf on either side makes it NaN or inf; an overflow of two finite numbers
        # takes the general path, which gives it the same verdict).
        all_finite = bool(np.isfinite(gap).all())
        close_ = gap <= atol + rtol * size_e
        if all_finite:  # the same values as the general path, less work
            good = close_
            err = gap / np.maximum(1e-8, np.abs(a) + size_e)  # rel_error's formula, its parts reused
    if not all_finite:
        fin_e, fin_a = np.isfinite(expected), np.isfinite(a)
        finite = fin_e & fin_a
        same_nonfinite = (np.isnan(expected) == np.isnan(a)) & (
            np.where(np.isinf(expected), expected == a, ~np.isinf(a))
        )
        good = np.where(finite, close_, same_nonfinite & ~(fin_e ^ fin_a))
        err = np.where(finite, rel_error(a, expected), np.where(good, 0.0, np.inf))
    wrong = ~good
    n_wrong = int(wrong.sum())
    worst = None
    worst_err = 0.0
    if n:
        flat = int(np.argmax(np.where(wrong, err, -1.0))) if n_wrong else int(np.argmax(err))
        worst = tuple(int(i) for i in np.unravel_index(flat, expected.shape))
        worst_err = float(err.flat[flat])
    problem = None
    if n_wrong:
        problem = "values" if all_finite or not (~finite & wrong).any() else "nonfinite"
    return Comparison(
        ok=n_wrong == 0, problem=problem, worst_rel_error=worst_err, worst_index=worst,
        n_wrong=n_wrong, n_total=n, received_shape=a.shape, expected_shape=expected.shape,
        received_dtype=dtype, wrong_mask=wrong,
    )


def matches(received: Any, expected: np.ndarray, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """``compare(received, expected, rtol, atol).ok``, without the report: the common
    case (all finite) in a few array operations."""
    expected = np.asarray(expected, dtype=np.float64)
    if isinstance(received, np.ndarray):
        if not _numeric_array(received) or received.shape != expected.shape:
            return False
    elif not isinstance(received, (bool, int, float)) or expected.shape != ():
        return compare(received, expected, rtol, atol).ok
    a = np.asarray(received, dtype=np.float64)
    with np.errstate(all="ignore"):
        if not (np.isfinite(a).all() and np.isfinite(expected).all()):
            return compare(received, expected, rtol, atol).ok
        return bool((np.abs(a - expected) <= atol + rtol * np.abs(expected)).all())


def close(got: Any, want: Any, rtol: float = RTOL, atol: float = ATOL, scaled: bool = False) -> bool:
    """``got`` (untrusted) equals ``want`` (trusted) within the tolerances: same
    shape, finite, ``|got - want| <= atol + rtol |want|``. ``scaled`` measures
    ``atol`` against the largest entry of ``want`` (for quantities of any size)."""
    want = np.asarray(want, dtype=np.float64)
    a = array_of(got, want.shape)
    if a is None or not np.all(np.isfinite(a)):
        return False
    if scaled and want.size:
        atol *= max(1.0, float(np.max(np.abs(want))))
    return bool(np.allclose(a, want, rtol=rtol, atol=atol))


def agree(a: float | None, b: float | None, rtol: float = TOL.directional,
          floor: float = TOL.directional_floor) -> bool:
    """Two scalars (derivatives) agree: relative error within ``rtol``, measured
    against at least ``floor``."""
    if a is None or b is None or not (math.isfinite(a) and math.isfinite(b)):
        return False
    return abs(a - b) / max(abs(a), abs(b), floor) <= rtol


def same_bits(a: Any, b: np.ndarray) -> bool:
    """True when ``a`` is an array identical to ``b`` (used for no-mutation checks)."""
    return (
        isinstance(a, np.ndarray) and a.shape == b.shape and a.dtype == b.dtype
        and np.array_equal(a, b, equal_nan=b.dtype.kind in "fc")
    )
