"""Experiment 2: activations through 10 layers for each initialisation.

The student's ``init_weights`` makes the weights of ten 128 -> 128 layers for
"small", "xavier" and "he" (one call per layer, all in one round trip); the grader
pushes a batch of 32 standard-normal inputs through them with tanh and with ReLU and
records the standard deviation of every layer's activations (over 32 x 128 values).
The lecture's claims become visible: ``randn * 0.01`` makes the signal vanish (std x
~0.01 * sqrt(128) = 0.11 per tanh layer), ``sqrt(1 / n_{L-1})`` keeps tanh networks
alive, and ReLU, which zeroes half of its inputs, needs He's factor 2 to keep the
scale.

Width 128, not a wider layer: the cost is the student's random draws and their
bytes over the pipe (30 matrices: 3.9 MB at 128, 15.7 MB at 256), and 128 already
shows every claim with room to spare (after 10 layers, for the reference: tanh
"small" ~3e-10, "xavier" ~0.22; ReLU "xavier" ~0.02, "he" ~0.9).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..calls import Call
from ..checks.model import Context
from ..i18n import msg
from .model import experiment, part, plot, require_array, require_ok, series

ID = "initialisation"
FUNCTIONS = ["init_weights"]
WIDTH, LAYERS, BATCH = 128, 10, 32
METHODS = ("small", "xavier", "he")
ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {"tanh": np.tanh, "relu": lambda a: np.maximum(a, 0.0)}
SEED = 1234


def activation_stds(weights: list[np.ndarray], biases: list[np.ndarray], x: np.ndarray,
                    activation: str) -> list[float]:
    """Standard deviation of each layer's activations (over batch and units)."""
    f = ACTIVATIONS[activation]
    h, stds = x, []
    for w, b in zip(weights, biases, strict=True):
        h = f(h @ w + b)
        stds.append(float(np.std(h)))
    return stds


def run(ctx: Context) -> dict[str, Any]:
    result = experiment(ID, FUNCTIONS)
    shape = (WIDTH, WIDTH)
    calls = [Call("init_weights", (shape, method, SEED + 100 * m + layer))
             for m, method in enumerate(METHODS) for layer in range(LAYERS)]
    outcomes = ctx.call_many(calls)
    layers: dict[str, tuple[list[np.ndarray], list[np.ndarray]]] = {}
    for m, method in enumerate(METHODS):
        ws, bs = [], []
        for out in outcomes[m * LAYERS:(m + 1) * LAYERS]:
            value = require_ok("init_weights", out)
            ws.append(require_array("init_weights", part(value, 0), "W", shape))
            bs.append(require_array("init_weights", part(value, 1), "b", (WIDTH,)))
        layers[method] = (ws, bs)
    x = np.random.default_rng(SEED).standard_normal((BATCH, WIDTH))
    with np.errstate(all="ignore"):
        stds = {act: {method: activation_stds(*layers[method], x, act) for method in METHODS}
                for act in ACTIVATIONS}
    result["figures"] = {"std": stds, "width": WIDTH, "layers": LAYERS}
    depth = list(range(1, LAYERS + 1))
    result["plots"] = [
        plot(act, "experiment.initialisation",
             [series(msg("experiment.initialisation.series", method=method), depth, stds[act][method])
              for method in METHODS], True,
             msg("experiment.initialisation.desc", activation=act,
                 summary="; ".join(f"{method}: {stds[act][method][-1]:.3g}" for method in METHODS)))
        for act in ACTIVATIONS
    ]
    result["explanation"] = msg(
        "experiment.initialisation.explanation", layers=LAYERS, width=WIDTH,
        tanh_small=stds["tanh"]["small"][-1], tanh_xavier=stds["tanh"]["xavier"][-1],
        relu_xavier=stds["relu"]["xavier"][-1], relu_he=stds["relu"]["he"][-1])
    return result
