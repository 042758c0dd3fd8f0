"""Say where and why a gradient is wrong: after a numerical item failed, single
coordinates of the parameter are probed (which index, time step, gate block; an
error of exactly 1/N names mistake 21; float32 results mistake 31), then the spec's
probes run. Nothing here changes a verdict."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..i18n import msg
from ..mistakes import Mistake
from . import numeric
from .backward import Trial
from .compare import TOL, array_of
from .kinds import where
from .model import CheckResult, Context, Status
from .precision import low_precision, rounding_probe
from .scaling import averaged

if TYPE_CHECKING:
    from .gradient import GradientCheck, Param

MAX_PROBED_COORDS = 48


def explain(check: GradientCheck, ctx: Context, rng: np.random.Generator, trial: Trial,
            numeric_items: dict[str, CheckResult]) -> None:
    """Say where and why the failed numerical items are wrong."""
    failing = [p for p in check.params if numeric_items[p.name].status == Status.FAILED]
    if not failing:
        return
    grads = check._grads(trial)
    forward = check.forward or check.func
    low = low_precision(list(trial.outputs or []))
    where_low = forward
    if not low:
        low, where_low = low_precision(list(grads.values())), check.func
    mismatched = [p for p in failing if numeric_items[p.name].details.get("verdict") == "mismatch"]
    if not low and mismatched and rounding_probe(ctx, check.forward_spec(trial.inputs), trial.inputs):
        low, where_low = "float32", forward
    for p in failing:
        if numeric_items[p.name].details.get("verdict") != "mismatch":
            continue
        res = numeric_items[p.name]
        if low:
            # The cause, once, first: the numerical gradient of a float32 forward is noise.
            res.messages.insert(0, msg("diagnosis.low_precision_gradient", func=where_low, grad=p.grad,
                                       arithmetic=low))
            res.mistakes.append(Mistake.LOW_PRECISION)
            continue
        value = check.param_value(trial.inputs, p)
        localise(check, ctx, rng, p, trial, array_of(grads[p.name], value.shape), res)
    if check.probes:
        state: dict[str, Any] = {"inputs": trial.inputs, "douts": trial.douts, "grads": grads,
                                 "failing": [p.name for p in failing]}
        for probe in check.probes:
            extra, mistakes = probe(check, ctx, trial.inputs, state)
            for p in failing:
                numeric_items[p.name].messages.extend(extra)
                numeric_items[p.name].mistakes.extend(
                    m for m in mistakes if m not in numeric_items[p.name].mistakes)

def localise(check: GradientCheck, ctx: Context, rng: np.random.Generator, p: Param, trial: Trial,
             ga: np.ndarray | None, res: CheckResult) -> None:
    """Probe single coordinates to say where the gradient is wrong (and name
    mistake 21 when it is off by exactly 1/N)."""
    if ga is None:
        return
    inputs, weights = trial.inputs, check.weights(trial.douts)
    value = check.param_value(inputs, p)
    size = value.size
    if p.blocks:
        per = max(1, MAX_PROBED_COORDS // len(p.blocks))
        axis = p.block_axis % value.ndim
        width = value.shape[axis] // len(p.blocks)
        coords = []
        for b in range(len(p.blocks)):
            for _ in range(per):
                idx = [int(rng.integers(s)) for s in value.shape]
                idx[axis] = b * width + int(rng.integers(width))
                coords.append(int(np.ravel_multi_index(idx, value.shape)))
    elif size <= MAX_PROBED_COORDS:
        coords = list(range(size))
    else:
        coords = sorted(rng.choice(size, MAX_PROBED_COORDS, replace=False).tolist())
    directions = [numeric.Direction(p.argname, numeric.coordinate(value.shape, c), p.path) for c in coords]
    diffs = numeric.differences(ctx, check.forward_spec(inputs), inputs, directions)
    wrong_blocks: set[str] = set()
    worst_err, worst_idx, n_bad = 0.0, None, 0
    ratios = []
    for c, d in zip(coords, diffs, strict=True):
        num = numeric.derivative(d, weights)
        if num is None:
            continue
        ana = float(ga.flat[c])
        if abs(num) > 1e-8:
            ratios.append(ana / num)
        err = abs(num - ana) / max(abs(num) + abs(ana), 1e-7)
        if err > TOL.coordinate and abs(num - ana) > TOL.coordinate_atol:
            n_bad += 1
            at = tuple(int(i) for i in np.unravel_index(c, value.shape))
            if p.blocks:
                axis = p.block_axis % value.ndim
                wrong_blocks.add(p.blocks[at[axis] // (value.shape[axis] // len(p.blocks))])
            if err > worst_err:
                worst_err, worst_idx = err, at
    res.details["probed"] = len(coords)
    res.details["probed_wrong"] = n_bad
    if worst_idx is not None:
        res.messages.append(msg("gradient.where", grad=p.grad, where=where(worst_idx, p.axes),
                                n_bad=n_bad, n=len(coords)))
        res.details["worst_index"] = list(worst_idx)
    if wrong_blocks:
        ordered = [b for b in p.blocks if b in wrong_blocks]
        res.details["wrong_blocks"] = ordered
        res.messages.append(msg("gradient.blocks", grad=p.grad, blocks=", ".join(ordered)))
    named = averaged(inputs, ratios, loss=check.forward is None) if n_bad else None
    if named is not None:
        res.messages.append(msg(f"mistake.{named[0]}.found", ratio=named[1]))
        res.mistakes.append(named[0])

