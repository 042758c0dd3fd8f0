"""Numbers as people read them: at most two decimals.

Every score, points and percent that the terminal, an HTML report, the dashboard or
``rnngrade course`` shows goes through :func:`shown`; results.json, the gradebook and
the exports an LMS imports keep the exact values (docs/course.md, "Rounding")."""

from __future__ import annotations

import math

DECIMALS = 2


def shown(x: float | int, decimals: int = DECIMALS) -> str:
    """``x`` rounded to at most ``decimals`` decimals, without trailing zeros:
    26.5385 -> "26.54", 76.25 -> "76.25", 10.0 -> "10", 0.769231 -> "0.77"."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return str(x)
    if not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    text = f"{x:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def signed(x: float | int, decimals: int = DECIMALS) -> str:
    """:func:`shown` with its sign: "+2", "-0.5", "+0"."""
    text = shown(x, decimals)
    return text if text.startswith("-") else "+" + text
