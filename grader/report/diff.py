"""The difference view of a wrong array: yours − expected, cell by cell, and the
pattern it shows when it shows one.

A difference that is the same in every row (one value per column) says "missing
bias" at a glance; values that are the expected ones times a constant, with the
opposite sign, or transposed each have their own usual cause. :func:`pattern`
finds these in the numbers alone; :func:`difference` also lays the differences
out for the report.

Only for public cases: the caller (:mod:`grader.report.view`) hands in expected
values only where they may be shown, never for hidden inputs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ..i18n import Message, msg

RTOL, ATOL = 1e-6, 1e-9  # how exactly a pattern must hold (the grader's own value tolerance)


@dataclass
class Difference:
    """``rows``: the differences as aligned text, per 2-D slice (see ArrayView);
    ``pattern``: what they show, or None."""

    shape: tuple[int, ...]
    values: np.ndarray  # yours - expected
    pattern: Message | None


def _close(a: np.ndarray, b: np.ndarray, scale: float) -> bool:
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= ATOL + RTOL * scale))


def _factor(k: float) -> str:
    """A scale factor as a student would write it: 2, 0.5 (1/2), -3, 0.2 (1/5)."""
    text = f"{k:.4g}"
    inv = 1 / k
    if abs(inv - round(inv)) < 1e-6 * abs(inv) and abs(round(inv)) > 1:
        return f"{text} (1/{round(inv)})"
    frac = Fraction(k).limit_denominator(12)
    if abs(float(frac) - k) < 1e-9 * max(1.0, abs(k)) and frac.denominator > 1:
        return f"{text} ({frac.numerator}/{frac.denominator})"
    return text


def pattern(expected: Any, received: Any) -> Message | None:
    """The pattern of ``received`` against ``expected`` (same or transposed shape),
    or None when there is none worth naming."""
    try:
        e = np.asarray(expected, dtype=np.float64)
        r = np.asarray(received, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if not (np.all(np.isfinite(e)) and np.all(np.isfinite(r))) or e.size == 0:
        return None
    scale = float(np.max(np.abs(e))) or 1.0
    if e.ndim == 2 and r.shape == e.T.shape and not _close(r, e, scale) and _close(r, e.T, scale):
        return msg("feedback.diff.transposed")
    if r.shape != e.shape or _close(r, e, scale):
        return None
    if np.all(np.abs(r) <= ATOL):
        return msg("feedback.diff.zeros")
    if _close(r, -e, scale):
        return msg("feedback.diff.sign")
    denom = float(np.sum(e * e))
    if denom > 0:
        k = float(np.sum(r * e) / denom)
        if k != 0 and not math.isclose(k, 1.0, rel_tol=1e-6) and _close(r, k * e, scale):
            return msg("feedback.diff.scaled", factor=_factor(k))
    d = r - e
    if d.size > 1 and _close(d, np.full_like(d, d.flat[0]), scale):
        return msg("feedback.diff.constant", value=f"{d.flat[0]:.4g}")
    if d.ndim >= 2 and d.shape[0] > 1 and _close(d, np.broadcast_to(d[:1], d.shape), scale):
        if d.ndim == 2:
            return msg("feedback.diff.per_column")
        return msg("feedback.diff.per_sample")
    if d.ndim == 2 and d.shape[1] > 1 and _close(d, np.broadcast_to(d[:, :1], d.shape), scale):
        return msg("feedback.diff.per_row")
    return None


def difference(expected: Any, received: Any) -> Difference | None:
    """yours − expected for arrays of the same shape, with its pattern; None when
    they cannot be subtracted (a wrong shape: then only a transposition is named,
    by :func:`pattern`)."""
    try:
        e = np.asarray(expected, dtype=np.float64)
        r = np.asarray(received, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if e.shape != r.shape:
        return None
    with np.errstate(invalid="ignore", over="ignore"):
        d = r - e
    return Difference(tuple(d.shape), d, pattern(e, r))


def aligned(values: np.ndarray, wrong: np.ndarray | None) -> np.ndarray:
    """Differences as text cells that line up: one format for the whole array (so
    decimal points align in a right-aligned monospace column), ``0`` where the entry
    is right."""
    flat = values.reshape(-1)
    finite = np.abs(flat[np.isfinite(flat)])
    big = float(finite.max()) if finite.size else 0.0
    if big == 0 or 1e-3 <= big < 1e5:
        decimals = 0 if big == 0 else max(0, 3 - math.floor(math.log10(big)))
        decimals = min(decimals, 6)

        def fmt(x: float) -> str:
            if math.isnan(x):
                return "nan"
            if math.isinf(x):
                return "inf" if x > 0 else "-inf"
            text = f"{x:+.{decimals}f}"
            return text if float(text) != 0 else f"{x:+.2e}"
    else:
        def fmt(x: float) -> str:
            return f"{x:+.3e}" if math.isfinite(x) else ("nan" if math.isnan(x) else ("inf" if x > 0 else "-inf"))
    mask = wrong.reshape(-1) if wrong is not None and wrong.size == flat.size else None
    cells = [fmt(float(x)) if (mask is None or mask[i]) else "0" for i, x in enumerate(flat)]
    return np.array(cells, dtype=object).reshape(values.shape)
