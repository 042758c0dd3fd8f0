"""Experiment 1: vanishing and exploding gradients through time.

The student's ``rnn_forward``/``rnn_backward`` (tanh) run T = 50 steps with the
loss on the last step only, ``dh[:, T-1] = g`` (a random unit vector), for several
recurrent weight scales ``w``. With ``Wx = I`` (D = H) the returned ``dx[:, t]`` is
the gradient at the pre-activation of step t, so the parent recovers
``dL/dh_t = dx[:, t+1] @ Wh.T`` without any access to the student's cache.

Panel A: ``Wh = w * Q`` (Q orthogonal, every singular value 1) and inputs near 0,
where tanh' ~ 1: the gradient norm goes like ``w^(T-1-t)`` - it vanishes for w < 1,
explodes for w > 1, and stays only at w = 1 (the lecture: "w = 1 的情况很少").
Panel B: ``Wh = w * I`` and positive inputs, a ReLU recurrence computed by the
grader (ReLU' = 1 on active units, so again exactly w^(T-1-t)) beside the
student's tanh RNN on the same inputs at w = 1, whose saturated units (tanh' << 1)
make the gradient vanish even at w = 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..calls import Call
from ..checks.model import Context
from ..i18n import msg
from .model import experiment, part, plot, require_array, require_ok, series

ID = "gradient_flow"
FUNCTIONS = ["rnn_forward", "rnn_backward"]
N, H, T = 2, 16, 50
SCALES = (0.5, 0.9, 1.0, 1.1, 1.5)
RELU_SCALES = (0.5, 1.0, 1.5)
SEED = 20240501


def _setup() -> dict[str, Any]:
    rng = np.random.default_rng(SEED)
    q, _ = np.linalg.qr(rng.standard_normal((H, H)))
    g = rng.standard_normal((N, H))
    return {
        "Q": q,
        "x_small": rng.standard_normal((N, T, H)) * 1e-3,
        "x_positive": rng.uniform(0.1, 0.5, (N, T, H)),
        "g": g / np.linalg.norm(g),
    }


def grad_norms_from_dx(dx: np.ndarray, wh: np.ndarray, g: np.ndarray) -> np.ndarray:
    """||dL/dh_t|| for t = 0..T-1 from dx (N, T, H) of an RNN with Wx = I."""
    norms = np.empty(dx.shape[1])
    norms[-1] = np.linalg.norm(g)
    for t in range(dx.shape[1] - 1):
        norms[t] = np.linalg.norm(dx[:, t + 1] @ wh.T)
    return norms


def relu_grad_norms(x: np.ndarray, wh: np.ndarray, g: np.ndarray) -> np.ndarray:
    """The same quantity for h_t = relu(x_t + h_{t-1} Wh), computed by the grader."""
    n, steps, width = x.shape
    h = np.zeros((n, width))
    active = []
    for t in range(steps):
        a = x[:, t] + h @ wh
        active.append(a > 0)
        h = np.maximum(a, 0)
    norms = np.empty(steps)
    dh = g.copy()
    norms[-1] = np.linalg.norm(dh)
    for t in range(steps - 1, 0, -1):
        dh = (dh * active[t]) @ wh.T
        norms[t - 1] = np.linalg.norm(dh)
    return norms


def _student_norms(ctx: Context, cases: list[tuple[np.ndarray, np.ndarray]], g: np.ndarray) -> list[np.ndarray]:
    """Run the student's RNN forward and backward on each (x, Wh); gradient norms per step."""
    eye, h0, b = np.eye(H), np.zeros((N, H)), np.zeros(H)
    forwards = ctx.call_many([Call("rnn_forward", (x, h0, eye, wh, b), keep=(-1,)) for x, wh in cases])
    caches = []
    for out in forwards:
        value = require_ok("rnn_forward", out)
        require_array("rnn_forward", part(value, 0), "h", (N, T, H))
        caches.append(part(value, -1))
    dh = np.zeros((N, T, H))
    dh[:, -1] = g
    backwards = ctx.call_many([Call("rnn_backward", (dh, cache)) for cache in caches])
    norms = []
    for (_, wh), out in zip(cases, backwards, strict=True):
        value = require_ok("rnn_backward", out)
        dx = require_array("rnn_backward", part(value, 0), "dx", (N, T, H))
        norms.append(grad_norms_from_dx(dx, wh, g))
    return norms


def run(ctx: Context) -> dict[str, Any]:
    result = experiment(ID, FUNCTIONS)
    s = _setup()
    steps = list(range(T))
    cases = [(s["x_small"], w * s["Q"]) for w in SCALES] + [(s["x_positive"], 1.0 * np.eye(H))]
    norms = _student_norms(ctx, cases, s["g"])
    tanh_norms, tanh_positive = norms[:-1], norms[-1]
    relu = [relu_grad_norms(s["x_positive"], w * np.eye(H), s["g"]) for w in RELU_SCALES]

    def first(n: np.ndarray) -> float:
        return float(n[0] / n[-1])  # gradient at t = 0 relative to the last step

    figures: dict[str, Any] = {
        "tanh": {str(w): first(n) for w, n in zip(SCALES, tanh_norms, strict=True)},
        "relu": {str(w): first(n) for w, n in zip(RELU_SCALES, relu, strict=True)},
        "tanh_positive_w1": first(tanh_positive),
        "steps": T,
    }
    result["figures"] = figures
    tanh_series = [series(msg("experiment.gradient_flow.series_tanh", w=w), steps, n)
                   for w, n in zip(SCALES, tanh_norms, strict=True)]
    relu_series = [series(msg("experiment.gradient_flow.series_relu", w=w), steps, n)
                   for w, n in zip(RELU_SCALES, relu, strict=True)]
    relu_series.append(series(msg("experiment.gradient_flow.series_tanh_positive", w=1.0), steps, tanh_positive))
    summary = "; ".join(f"w = {w}: {v:.3g}" for w, v in figures["tanh"].items())
    result["plots"] = [
        plot("tanh", "experiment.gradient_flow", tanh_series, True,
             msg("experiment.gradient_flow.tanh_desc", summary=summary)),
        plot("relu", "experiment.gradient_flow", relu_series, True,
             msg("experiment.gradient_flow.relu_desc", relu=figures["relu"]["1.0"],
                 tanh=figures["tanh_positive_w1"])),
    ]
    result["explanation"] = msg(
        "experiment.gradient_flow.explanation", steps=T,
        small=figures["tanh"]["0.5"], one=figures["tanh"]["1.0"], large=figures["tanh"]["1.5"],
        relu_one=figures["relu"]["1.0"], tanh_positive=figures["tanh_positive_w1"])
    return result
