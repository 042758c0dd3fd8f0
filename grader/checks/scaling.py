"""A wrong gradient that is the right one times a count: divided by N (or T) once
too often, or not at all. Used by the backward checks (a layer's gradient) and by
localisation (a parameter's coordinates); pure numpy, no check machinery."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..mistakes import Mistake
from .compare import agree


def averaged(inputs: dict[str, Any], ratios: list[float], loss: bool) -> tuple[str, str] | None:
    """(mistake, ratio) when a gradient is exactly 1/N (or, through time, 1/T) of
    the right one: a loss gradient divided by N twice (mistake 21), or a layer's
    gradient averaged where it is summed (mistake 35); or N times: a loss gradient
    not divided by N (mistake 36)."""
    first = next(iter(inputs.values()), None)
    shape: tuple[int, ...] = first.shape if isinstance(first, np.ndarray) else ()
    sizes = [("N", shape[0])] if len(shape) >= 1 else []
    if len(shape) == 3 and not loss:
        sizes.append(("T", shape[1]))
    for _, n in sizes:
        if ratios and n > 1 and all(agree(r * n, 1.0, rtol=1e-3) for r in ratios):
            return (Mistake.DIVIDED_BY_N_TWICE if loss else Mistake.MEAN_INSTEAD_OF_SUM), f"1/{n}"
        if loss and ratios and n > 1 and all(agree(r, n, rtol=1e-3) for r in ratios):
            return Mistake.LOSS_GRADIENT_NOT_AVERAGED, str(n)
    return None
