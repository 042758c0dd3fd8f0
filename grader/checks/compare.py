"""Compare a student's array with the expected one, in the parent, in float64.

Nothing here calls a method of a student object: inputs are plain ndarrays decoded
by the sandbox protocol. The verdict is ``|a - e| <= atol + rtol * |e|`` elementwise,
with strict shapes (no broadcasting) and NaN/inf at exactly the expected positions;
the reported error is CS231n's relative error ``|a - e| / max(1e-8, |a| + |e|)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

RTOL = 1e-6
ATOL = 1e-9


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


def as_float_array(value: Any) -> np.ndarray | None:
    """A plain float64 copy of a decoded value, or None if it is not numeric."""
    if isinstance(value, np.ndarray) and type(value) is np.ndarray and value.dtype.kind in "biuf":
        return value.astype(np.float64)
    if isinstance(value, (bool, int, float)) and not isinstance(value, np.ndarray):
        return np.asarray(float(value), dtype=np.float64)
    return None


def rel_error(a: np.ndarray, e: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.abs(a - e) / np.maximum(1e-8, np.abs(a) + np.abs(e))


def compare(received: Any, expected: np.ndarray, rtol: float = RTOL, atol: float = ATOL) -> Comparison:
    """Compare ``received`` (untrusted, decoded) with ``expected`` (trusted)."""
    expected = np.asarray(expected, dtype=np.float64)
    dtype = received.dtype.str if isinstance(received, np.ndarray) else type(received).__name__
    a = as_float_array(received)
    if a is None:
        return Comparison(False, "type", received_dtype=dtype, expected_shape=expected.shape)
    if a.shape != expected.shape:
        return Comparison(False, "shape", received_shape=a.shape, expected_shape=expected.shape,
                          received_dtype=dtype)
    n = expected.size
    fin_e, fin_a = np.isfinite(expected), np.isfinite(a)
    same_nonfinite = (np.isnan(expected) == np.isnan(a)) & (
        np.where(np.isinf(expected), expected == a, ~np.isinf(a))
    )
    with np.errstate(all="ignore"):
        close = np.abs(a - expected) <= atol + rtol * np.abs(expected)
    good = np.where(fin_e & fin_a, close, same_nonfinite & ~(fin_e ^ fin_a))
    err = np.where(fin_e & fin_a, rel_error(a, expected), np.where(good, 0.0, np.inf))
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
        problem = "nonfinite" if (~(fin_e & fin_a) & wrong).any() else "values"
    return Comparison(
        ok=n_wrong == 0, problem=problem, worst_rel_error=worst_err, worst_index=worst,
        n_wrong=n_wrong, n_total=n, received_shape=a.shape, expected_shape=expected.shape,
        received_dtype=dtype, wrong_mask=wrong,
    )


def same_bits(a: Any, b: np.ndarray) -> bool:
    """True when ``a`` is an array identical to ``b`` (used for no-mutation checks)."""
    return (
        isinstance(a, np.ndarray) and a.shape == b.shape and a.dtype == b.dtype
        and np.array_equal(a, b, equal_nan=b.dtype.kind in "fc")
    )
