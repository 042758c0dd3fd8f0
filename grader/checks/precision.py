"""Mistake 31: float32 or integer arithmetic inside a student's function.

Everything is graded in float64. A function that computes in float32 returns
results with about 7 significant digits, and the numerical gradient of a float32
forward pass (a difference of two values 2h = 2e-5 apart, divided by 2h) is mostly
rounding noise, so one ``astype(np.float32)`` can fail every check of a function and
of the functions built on it. The evidence, in the parent:

* the array's dtype is float32 or float16 (or integers where floats are due);
* a float64 array whose values are all exactly float32 numbers: computed in float32
  and converted back (a float64 computation almost never lands on a float32 number
  in the 29 low bits of every entry);
* a function whose results do not move smoothly at float64's scale, though their
  dtype is float64 (float32 in between: a cache of float32 gates, a float32
  pre-activation): its numerical derivative along one direction with steps of
  1e-5 and of 1e-8 disagree, where a float64 computation gives the same number
  (:func:`rounding_probe`, a few extra calls, only for a check that failed).

Where precision is the cause it is said once, first, instead of the comparisons'
generic "is wrong" and "disagrees with the numerical gradient" lines.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import numeric
from .memo import recalled
from .model import Context

MIN_EVIDENCE = 3  # entries that must be non-integers (integers are float32 numbers anyway)


def low_precision(value: Any, expected: Any = None) -> str | None:
    """``"float32"``, ``"float16"`` or ``"integers"`` when ``value`` (a decoded array,
    or a list or tuple of them) was computed in lower precision than float64, else
    None. ``expected`` (the reference's result, a list or tuple beside a list or tuple),
    when given, must have non-integer entries for integer results to count, and a
    float32 (float16) finding counts only where ``value`` agrees with it to that
    precision: a constant 0.5, exactly a float32 number, is a wrong answer, not a
    rounding one."""
    if isinstance(value, (list, tuple)):
        pairs = zip(value, expected, strict=False) if isinstance(expected, (list, tuple)) \
            else ((v, None) for v in value)
        for v, e in pairs:
            found = low_precision(v, e)
            if found:
                return found
        return None
    if not isinstance(value, np.ndarray) or value.size == 0:
        return None
    found = _low_precision(value, expected)
    if found in ("float32", "float16") and expected is not None and not agrees_at(value, expected, found):
        return None
    return found


AGREE_EPS = 100  # float32 agreement: within 100 units of float32's epsilon (about 1e-5), relative to the scale


def agrees_at(value: np.ndarray, expected: Any, dtype: str) -> bool:
    """``value`` equals ``expected`` to the precision of ``dtype`` (a few hundred of its
    rounding errors, relative to the largest expected magnitude): what a computation in
    that precision gives, and a wrong formula does not."""
    e = np.asarray(expected, dtype=np.float64)
    if e.shape != value.shape:
        return False
    v = value.astype(np.float64)
    finite = np.isfinite(e)
    if not finite.any() or not np.array_equal(finite, np.isfinite(v)):
        return False
    scale = float(np.max(np.abs(e[finite])))
    if scale == 0.0:
        return False
    with np.errstate(all="ignore"):
        err = float(np.max(np.abs(v[finite] - e[finite])))
    return err <= AGREE_EPS * float(np.finfo(np.dtype(dtype)).eps) * scale


def _low_precision(value: np.ndarray, expected: Any) -> str | None:
    kind, size = value.dtype.kind, value.dtype.itemsize
    if kind == "f" and size < 8:
        return str(value.dtype)
    if kind in "iu" and expected is not None:
        e = np.asarray(expected, dtype=np.float64)
        finite = e[np.isfinite(e)]
        return "integers" if finite.size and np.any(finite != np.round(finite)) and _rounded(value, e) else None
    if kind == "f" and size == 8:
        a = value[np.isfinite(value)]
        fractional = a[a != np.round(a)]
        if expected is not None and fractional.size == 0 and np.count_nonzero(a) >= MIN_EVIDENCE:
            e = np.asarray(expected, dtype=np.float64)
            if e.shape == value.shape and np.count_nonzero(e != np.round(e)) >= MIN_EVIDENCE \
                    and _rounded(value, e):
                return "integers"
        if fractional.size >= MIN_EVIDENCE:
            with np.errstate(all="ignore"):
                if np.array_equal(a.astype(np.float32).astype(np.float64), a):
                    return "float32"
    return None


ROUNDING_ONLY = 1e-3  # a result off by less than this (relative) may be off by rounding only
COARSE, FINE = 1e-5, 1e-8  # the two steps of the rounding probe
DISAGREE = 1e-2  # relative difference of the two derivatives that float64 never reaches


def rounding_probe(ctx: Context, forward: numeric.Forward, inputs: dict[str, Any]) -> bool:
    """True when the student's function ``forward`` computes in lower precision than
    float64 somewhere inside: the derivative of a random combination of its outputs
    along a random direction of its first array argument, by central differences
    with steps 1e-5 and 1e-8, differs by more than 1%. In float64 both estimates
    agree to about 1e-7; in float32 the fine step is lost in rounding (0, or noise)."""
    arg = next((k for k, v in inputs.items() if isinstance(v, np.ndarray) and v.dtype.kind == "f" and v.size), None)
    if arg is None:
        return False
    # Both steps in one request; asked once per grade for the same function, outputs,
    # inputs and pass (several checks and explanations ask it of one forward).
    key = ("rounding", forward.func, forward.shapes, forward.cache, ctx.salt, ctx.substitute)
    return recalled(ctx.memo, key, inputs, lambda: _rounding_probe(ctx, forward, inputs, arg))


def _rounding_probe(ctx: Context, forward: numeric.Forward, inputs: dict[str, Any], arg: str) -> bool:
    rng = ctx.rng("precision." + forward.func)
    v = numeric.unit(rng, inputs[arg].shape) * max(1.0, float(np.max(np.abs(inputs[arg]))))
    weights = [rng.standard_normal(s) for s in forward.shapes]
    direction = numeric.Direction(arg, v)
    diffs = numeric.differences_at(ctx, forward, inputs, [(direction, COARSE), (direction, FINE)])
    coarse, fine = (numeric.derivative(d, weights) for d in diffs)
    if coarse is None or fine is None:
        return False
    return abs(coarse - fine) > DISAGREE * max(abs(coarse), abs(fine), 1e-6)


def _rounded(value: np.ndarray, expected: np.ndarray) -> bool:
    """Every entry of an integer-valued result is the expected value rounded to an
    integer (truncated, floored or rounded): integer arithmetic, not another bug
    (a relu mask of 0s and 1s where dout is due is not)."""
    if value.shape != expected.shape:
        return False
    v = value.astype(np.float64)
    with np.errstate(invalid="ignore"):
        return bool(np.all((v == np.trunc(expected)) | (v == np.floor(expected)) | (v == np.round(expected))))
