"""Experiment 3: a short training run with and without the student's clipping.

Gradient descent on a small tanh RNN (the grader's own, trusted forward and
backward) whose recurrent weights start at 1.2 x an orthogonal matrix, so its
first gradients are large. Both runs start from the same weights. In the clipped
run, every step's gradients (dWx, dWh, db) go through the student's
``clip_grad_norm`` before the update; the update norms ``lr * ||g||`` of the two
runs are compared with the bound ``lr * v`` the lecture's rule guarantees, and the
losses show what the unclipped first step costs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from ..calls import Call
from ..checks.model import Context
from ..i18n import msg
from .model import ExperimentFailed, experiment, part, plot, require_array, require_ok, series

ID = "clipping"
FUNCTIONS = ["clip_grad_norm"]
N, T, D, H = 8, 20, 3, 8
STEPS, LR, MAX_NORM, W_SCALE = 30, 1.0, 1.0, 1.2
SEED = 7


def _problem() -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(SEED)
    q, _ = np.linalg.qr(rng.standard_normal((H, H)))
    params = [rng.standard_normal((D, H)) * 0.05, W_SCALE * q, np.zeros(H)]
    x = rng.standard_normal((N, T, D))
    y = rng.uniform(-0.8, 0.8, (N, H))
    return params, x, y


def rnn_loss(params: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> tuple[float, list[np.ndarray]]:
    """Squared error of the last hidden state and the gradients [dWx (D, H), dWh (H, H), db (H,)].

    x: (N, T, D), y: (N, H). Only the recurrence is a loop; the input projection and the
    weight gradients are one matrix product each over all steps."""
    wx, wh, b = params
    n, steps, _ = x.shape
    xw = x @ wx + b  # (N, T, H)
    hs = np.empty((steps + 1, n, wh.shape[0]))
    hs[0] = 0.0
    for t in range(steps):
        hs[t + 1] = np.tanh(xw[:, t] + hs[t] @ wh)
    diff = hs[-1] - y
    loss = 0.5 * float(np.sum(diff * diff)) / n
    das = np.empty_like(hs[1:])  # (T, N, H): the gradient at each step's pre-activation
    dh = diff / n
    for t in range(steps, 0, -1):
        das[t - 1] = da = dh * (1 - hs[t] ** 2)
        dh = da @ wh.T
    flat = das.reshape(-1, das.shape[-1])  # (T*N, H)
    dwx = x.transpose(1, 0, 2).reshape(-1, x.shape[2]).T @ flat
    dwh = hs[:-1].reshape(-1, hs.shape[-1]).T @ flat
    return loss, [dwx, dwh, flat.sum(axis=0)]


def _norm(arrays: list[np.ndarray]) -> float:
    return float(np.sqrt(sum(float(np.sum(a * a)) for a in arrays)))


def train(clip: Callable[..., Any] | None = None) -> tuple[list[float], list[float]]:
    """Losses and update norms of STEPS steps; ``clip(step, grads)`` returns the
    gradients to use (None: no clipping)."""
    params, x, y = _problem()
    losses, updates = [], []
    for step in range(STEPS):
        loss, grads = rnn_loss(params, x, y)
        if clip is not None:
            grads = clip(step, grads)
        update = [LR * g for g in grads]
        params = [p - u for p, u in zip(params, update, strict=True)]
        losses.append(loss)
        updates.append(_norm(update))
    return losses, updates


@functools.lru_cache(maxsize=1)
def _plain_run() -> tuple[tuple[float, ...], tuple[float, ...]]:
    with np.errstate(all="ignore"):
        losses, updates = train()
    return tuple(losses), tuple(updates)


def _plain() -> tuple[list[float], list[float]]:
    """The run without clipping: the grader's own, the same for every student, so made
    once per process (a batch asked for experiments saves it for every student)."""
    losses, updates = _plain_run()
    return list(losses), list(updates)


def run(ctx: Context) -> dict[str, Any]:
    result = experiment(ID, FUNCTIONS)

    def student_clip(step: int, grads: list[np.ndarray]) -> list[np.ndarray]:
        value = require_ok("clip_grad_norm", ctx.call_many([Call("clip_grad_norm", (grads, MAX_NORM))])[0])
        clipped = part(value, 0)
        if not isinstance(clipped, (list, tuple)) or len(clipped) != len(grads):
            raise ExperimentFailed(msg("experiment.bad_return", func="clip_grad_norm", what="clipped",
                                       got="-", want=f"[{len(grads)} arrays]"))
        out = [require_array("clip_grad_norm", c, f"clipped[{i}]", g.shape)
               for i, (c, g) in enumerate(zip(clipped, grads, strict=True))]
        if not all(np.all(np.isfinite(o)) for o in out):
            raise ExperimentFailed(msg("experiment.nonfinite", func="clip_grad_norm", step=step + 1))
        return out

    plain_loss, plain_update = _plain()
    with np.errstate(all="ignore"):
        clip_loss, clip_update = train(student_clip)
    steps = list(range(1, STEPS + 1))
    bound = LR * MAX_NORM
    result["figures"] = {
        "bound": bound, "max_update_plain": max(plain_update), "max_update_clipped": max(clip_update),
        "final_loss_plain": plain_loss[-1], "final_loss_clipped": clip_loss[-1],
        "updates_plain": plain_update, "updates_clipped": clip_update,
    }
    prefix = "experiment.clipping"
    result["plots"] = [
        plot("update", prefix, [series(msg(f"{prefix}.series_plain"), steps, plain_update),
                                series(msg(f"{prefix}.series_clipped", v=MAX_NORM), steps, clip_update),
                                series(msg(f"{prefix}.series_bound", bound=bound), steps, [bound] * STEPS)],
             True, msg(f"{prefix}.update_desc", plain=max(plain_update), clipped=max(clip_update), bound=bound)),
        plot("loss", prefix, [series(msg(f"{prefix}.series_plain"), steps, plain_loss),
                              series(msg(f"{prefix}.series_clipped", v=MAX_NORM), steps, clip_loss)],
             False, msg(f"{prefix}.loss_desc", plain=plain_loss[-1], clipped=clip_loss[-1])),
    ]
    result["explanation"] = msg(
        f"{prefix}.explanation", v=MAX_NORM, lr=LR, bound=bound, plain=max(plain_update),
        clipped=max(clip_update), loss_plain=plain_loss[-1], loss_clipped=clip_loss[-1], steps=STEPS)
    return result
