"""Exercise specs for the BP network: activations, affine layer, losses, a two-layer
network and one SGD step (lecture section "BP神经网络").

Sizes are all different (N=4, D=5, ...) so a transposed or mis-summed result cannot
pass by accident; ReLU inputs are kept away from 0 so numerical gradients never
straddle the kink.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..checks.backward import BackwardValueCheck
from ..checks.compare import array_of, close
from ..checks.engine import Exercise
from ..checks.gradient import GradientCheck, Param
from ..checks.kinds import Output, PropertyCheck, ValueCheck
from ..checks.model import Check, Kind
from ..checks.mutation import MutationCheck
from ..i18n import msg
from ..mistakes import Mistake
from .common import away_from_zero, known_variant_probe
from .forwards import sigmoid

N, D, M, HID, C = 4, 5, 6, 7, 3
SAMPLE_UNIT = ("sample", "unit")


def _x(rng, shape=(N, D)):
    return away_from_zero(rng, shape, scale=1.5)


# ----------------------------------------------------------------- activations
def _activation(name: str) -> Exercise:
    fwd, bwd = f"{name}_forward", f"{name}_backward"
    inputs = lambda rng: {"x": _x(rng)}  # noqa: E731
    checks = [
        ValueCheck(f"{name}.forward", fwd, inputs, [Output("out", (0,), SAMPLE_UNIT)], 2),
        BackwardValueCheck(f"{name}.backward", bwd, inputs, _upstream, [Output("dx", (), SAMPLE_UNIT)], 2,
                           forward=fwd),
        GradientCheck(f"{name}.grad", bwd, inputs, [Param("x", "dx", axes=SAMPLE_UNIT)], 2, forward=fwd,
                      out_shapes=lambda i: [i["x"].shape],
                      probes=[known_variant_probe(_WRONG_DERIVATIVES.get(name, {}))]),
        MutationCheck(f"{name}.forward_mutation", fwd, inputs),
        MutationCheck(f"{name}.mutation", bwd, lambda rng: {"dout": rng.standard_normal((N, D))},
                      forward=fwd, forward_inputs=inputs),
        *_ACTIVATION_PROPERTIES.get(name, list)(),
    ]
    return Exercise(name, msg(f"exercise.{name}"), "layers.py", [fwd, bwd], checks, section="activations")


def _upstream(rng, outs):
    """A random upstream gradient shaped like the forward's first output."""
    return {"dout": rng.standard_normal(np.shape(outs[0]))}


# Known wrong derivatives (mistake 6): what a student's dx equals when they
# differentiate the wrong quantity.
# The derivative's formula (written with the output) fed the output of the activation
# applied once more, or fed the pre-activation x itself (the cache holds x).
_WRONG_DERIVATIVES = {
    "sigmoid": {Mistake.WRONG_DERIVATIVE_INPUT: [
        lambda i, d: {"x": d[0] * sigmoid(sigmoid(i["x"])) * (1 - sigmoid(sigmoid(i["x"])))},
        lambda i, d: {"x": d[0] * i["x"] * (1 - i["x"])}]},
    "tanh": {Mistake.WRONG_DERIVATIVE_INPUT: [
        lambda i, d: {"x": d[0] * (1 - np.tanh(np.tanh(i["x"])) ** 2)},
        lambda i, d: {"x": d[0] * (1 - i["x"] ** 2)}]},
    "relu": {},
}


def overflow(err: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    """Mistake 22: exp overflowed (numpy raised inside the student's call)."""
    if err.get("type") == "FloatingPointError":
        return [msg(f"mistake.{Mistake.OVERFLOW}.found")], [Mistake.OVERFLOW]
    return [], []


RAISE = {"over": "raise", "invalid": "raise"}


def _extremes(func: str, x: list[float], want: list[float], points: float) -> PropertyCheck:
    """``func`` at large inputs: exact limits, no overflow (numpy raises in the call)."""
    def predicate(value, inputs):
        out = array_of(value[0], (len(want),)) if isinstance(value, tuple) and value else None
        if out is None or not close(out, want, rtol=0, atol=1e-12):
            # Overflow (mistake 22) shows as inf or NaN; finite wrong limits are another bug.
            overflowed = out is not None and not np.all(np.isfinite(out))
            return [msg("property.extremes", func=func, x=", ".join(f"{v:g}" for v in x),
                        want=", ".join(f"{v:.6g}" for v in want))], [Mistake.OVERFLOW] if overflowed else []
        return [], []

    name = func.split("_")[0]
    return PropertyCheck(f"{name}.stable", func, lambda rng: {"x": np.array(x)}, predicate, points,
                         title=msg("title.stability", func=func), errstate=RAISE, on_error=overflow,
                         kind=Kind.STABILITY)


def _sigmoid_props():
    return [_extremes("sigmoid_forward", [-1000.0, 0.0, 1000.0, 2.0],
                      [0.0, 0.5, 1.0, float(sigmoid(np.array(2.0)))], 1)]


def _tanh_props():
    def odd(value, inputs):
        x = inputs["x"]
        out = array_of(value[0], x.shape) if isinstance(value, tuple) and value else None
        if out is None:
            return [msg("property.shape", func="tanh_forward")], []
        order = np.argsort(x)
        ok = (close(out[: len(x) // 2], -out[len(x) // 2:], rtol=0, atol=1e-12) and np.all(np.abs(out) < 1)
              and np.all(np.diff(out[order]) > 0))
        return ([], []) if ok else ([msg("property.tanh_odd")], [])

    def inputs(rng):
        half = rng.standard_normal(6) * 3
        return {"x": np.concatenate([half, -half])}

    return [PropertyCheck("tanh.odd", "tanh_forward", inputs, odd, 0.5),
            _extremes("tanh_forward", [-1000.0, -30.0, 0.0, 30.0, 1000.0, 2.0],
                      [-1.0, -1.0, 0.0, 1.0, 1.0, float(np.tanh(2.0))], 0.5)]


_ACTIVATION_PROPERTIES = {"sigmoid": _sigmoid_props, "tanh": _tanh_props}


# ---------------------------------------------------------------------- affine
def _affine_inputs(shape):
    def make(rng):
        x = rng.standard_normal(shape)
        dim = int(np.prod(shape[1:]))
        return {"x": x, "w": rng.standard_normal((dim, M)) / np.sqrt(dim), "b": rng.standard_normal(M)}
    return make


def _affine_model(i: dict[str, Any]) -> list[np.ndarray]:
    """affine_forward's output, for naming a forgotten bias in a self-check."""
    return [i["x"].reshape(i["x"].shape[0], -1) @ i["w"] + i["b"]]


def _affine() -> Exercise:
    flat, deep = (N, D), (N, 2, 3, 2)
    params = [Param("x", "dx"), Param("w", "dw", axes=("row", "col")), Param("b", "db", axes=("unit",))]
    checks = [
        ValueCheck("affine.forward", "affine_forward", _affine_inputs(flat),
                   [Output("out", (0,), SAMPLE_UNIT)], 2, model=_affine_model),
        ValueCheck("affine.forward_4d", "affine_forward", _affine_inputs(deep),
                   [Output("out", (0,), SAMPLE_UNIT)], 1, model=_affine_model,
                   title=msg("title.value_4d", func="affine_forward", outputs="out")),
        BackwardValueCheck("affine.backward_4d", "affine_backward", _affine_inputs(deep), _upstream,
                           [Output("dx", (0,)), Output("dw", (1,), ("row", "col")),
                            Output("db", (2,), ("unit",))], 3, forward="affine_forward"),
        GradientCheck("affine.grad", "affine_backward", _affine_inputs(flat), params, 1,
                      points_reference=1, forward="affine_forward",
                      out_shapes=lambda i: [(i["x"].shape[0], i["w"].shape[1])]),
        MutationCheck("affine.forward_mutation", "affine_forward", _affine_inputs(deep)),
        MutationCheck("affine.mutation", "affine_backward", lambda rng: {"dout": rng.standard_normal((N, M))},
                      forward="affine_forward", forward_inputs=_affine_inputs(flat)),
    ]
    return Exercise("affine", msg("exercise.affine"), "layers.py", ["affine_forward", "affine_backward"],
                    checks, section="bp")


# ---------------------------------------------------------------------- losses
def _softmax_inputs(rng):
    return {"x": rng.standard_normal((N, C)) * 2, "y": rng.integers(0, C, size=N)}


def _mse_inputs(rng):
    return {"y_pred": rng.standard_normal((N, C)), "y": rng.standard_normal((N, C))}


def _losses() -> Exercise:
    def stable(value, inputs):
        loss = array_of(value[0], ()) if isinstance(value, tuple) and value else None
        dx = array_of(value[1], inputs["x"].shape) if isinstance(value, tuple) and len(value) > 1 else None
        if loss is None or not np.isfinite(loss):
            return [msg(f"mistake.{Mistake.OVERFLOW}.found")], [Mistake.OVERFLOW]
        # Each label picks the +1000 score: the loss is log(1 + e^-2000) = 0.
        if abs(float(loss)) > 1e-9:
            return [msg("property.softmax_extreme")], []
        if dx is None or not np.all(np.isfinite(dx)):
            return [msg(f"mistake.{Mistake.OVERFLOW}.found")], [Mistake.OVERFLOW]
        return [], []

    checks = [
        ValueCheck("softmax.value", "softmax_loss", _softmax_inputs,
                   [Output("loss", (0,)), Output("dx", (1,), ("sample", "class"))], 2, diagnose=_softmax_diagnose),
        GradientCheck("softmax.grad", "softmax_loss", _softmax_inputs,
                      [Param("x", "dx", axes=("sample", "class"), grad_path=(1,))], 1.5),
        PropertyCheck("softmax.stable", "softmax_loss",
                      lambda rng: {"x": np.array([[1000.0, -1000.0], [-1000.0, 1000.0]]), "y": np.array([0, 1])},
                      stable, 1, title=msg("title.stability", func="softmax_loss"),
                      errstate=RAISE, on_error=overflow, kind=Kind.STABILITY),
        MutationCheck("softmax.mutation", "softmax_loss", _softmax_inputs),
        ValueCheck("mse.value", "mse_loss", _mse_inputs,
                   [Output("loss", (0,)), Output("dy_pred", (1,), ("sample", "unit"))], 2,
                   diagnose=_mse_diagnose),
        GradientCheck("mse.grad", "mse_loss", _mse_inputs,
                      [Param("y_pred", "dy_pred", axes=("sample", "unit"), grad_path=(1,))], 1.5),
        MutationCheck("mse.mutation", "mse_loss", _mse_inputs),
    ]
    return Exercise("losses", msg("exercise.losses"), "layers.py", ["softmax_loss", "mse_loss"], checks,
                    section="bp")


def _softmax_over(x: np.ndarray, y: np.ndarray, axis: int, shift: int | None = None) -> tuple[float, np.ndarray]:
    """The softmax loss and its gradient with the probabilities normalised over
    ``axis`` (the scores first shifted by their maximum over ``shift``, if any)."""
    shifted = x - x.max(axis=shift, keepdims=True) if shift is not None else x
    p = np.exp(shifted) / np.exp(shifted).sum(axis=axis, keepdims=True)
    n = x.shape[0]
    dx = p.copy()
    dx[np.arange(n), y] -= 1.0
    return float(-np.log(p[np.arange(n), y]).mean()), dx / n


def _softmax_diagnose(inputs, value, expected):
    """Mistake 34: the probabilities normalised over the batch (axis 0), not over each
    sample's classes; mistake 36: the gradient not divided by N."""
    loss = value[0] if isinstance(value, tuple) and value else None
    dx = value[1] if isinstance(value, tuple) and len(value) > 1 else None
    n = inputs["x"].shape[0]
    if close(loss, expected[0]) and not close(dx, expected[1]) and close(dx, expected[1] * n):
        return [msg(f"mistake.{Mistake.LOSS_GRADIENT_NOT_AVERAGED}.found", ratio=str(n))], \
            [Mistake.LOSS_GRADIENT_NOT_AVERAGED]
    for shift in (None, 0, 1):
        wrong_loss, _ = _softmax_over(inputs["x"], inputs["y"], axis=0, shift=shift)
        if close(loss, wrong_loss) and not close(wrong_loss, expected[0]):
            return [msg("diagnosis.softmax_axis"), msg(f"mistake.{Mistake.WRONG_REDUCTION_AXIS}.found")], \
                [Mistake.WRONG_REDUCTION_AXIS]
    return [], []


def _mse_diagnose(inputs, value, expected):
    """Name mistake 21 (dividing by N twice) when dy_pred is exactly 1/N too small."""
    got = value[1] if isinstance(value, tuple) and len(value) > 1 else None
    n = inputs["y_pred"].shape[0]
    if isinstance(got, np.ndarray) and got.shape == expected[1].shape:
        if close(got * n, expected[1], atol=1e-12):
            return [msg(f"mistake.{Mistake.DIVIDED_BY_N_TWICE}.found", ratio=f"1/{n}")], [Mistake.DIVIDED_BY_N_TWICE]
        if close(got, expected[1] * n, atol=1e-12):
            return [msg(f"mistake.{Mistake.LOSS_GRADIENT_NOT_AVERAGED}.found", ratio=str(n))], \
                [Mistake.LOSS_GRADIENT_NOT_AVERAGED]
        if close(got, -expected[1], atol=1e-12):
            return [msg("hint.sign", name="dy_pred")], []
    return [], []


# ------------------------------------------------------------ two-layer network
def _net_inputs(activation, loss):
    def make(rng):
        X = rng.standard_normal((N + 1, D))
        while True:
            W1 = rng.standard_normal((D, HID)) / np.sqrt(D)
            b1 = rng.standard_normal(HID) * 0.5
            if np.abs(X @ W1 + b1).min() > 0.02:  # keep ReLU away from its kink
                break
        params = {"W1": W1, "b1": b1, "W2": rng.standard_normal((HID, C)) / np.sqrt(HID),
                  "b2": rng.standard_normal(C) * 0.5}
        y = rng.integers(0, C, size=N + 1) if loss == "softmax" else rng.standard_normal((N + 1, C))
        return {"X": X, "params": params, "y": y, "activation": activation, "loss": loss}
    return make


def _net() -> Exercise:
    keys = [("W1", ("row", "col")), ("b1", ("unit",)), ("W2", ("row", "col")), ("b2", ("unit",))]
    checks: list[Check] = []
    for activation, loss in (("relu", "softmax"), ("sigmoid", "mse"), ("tanh", "softmax")):
        cid = f"net.{activation}_{loss}"
        checks.append(ValueCheck(
            f"{cid}.value", "two_layer_net_loss", _net_inputs(activation, loss),
            [Output("loss", (0,))] + [Output(f"grads['{k}']", (1, k), ax) for k, ax in keys], 1.5,
            title=msg("title.net_value", activation=activation, loss=loss)))
        checks.append(GradientCheck(
            f"{cid}.grad", "two_layer_net_loss", _net_inputs(activation, loss),
            [Param(f"params['{k}']", f"d{k}", path=(k,), arg="params", grad_path=(1, k), axes=ax)
             for k, ax in keys], 0.5, label=f"{activation}, {loss}"))
    checks += [PropertyCheck("net.stable", "two_layer_net_loss", _large_scores, _finite_loss_and_grads, 1,
                             title=msg("title.stability", func="two_layer_net_loss"), errstate=RAISE,
                             on_error=overflow, kind=Kind.STABILITY),
               MutationCheck("net.mutation", "two_layer_net_loss", _net_inputs("relu", "softmax"))]
    return Exercise("net", msg("exercise.net"), "bp_network.py", ["two_layer_net_loss"], checks, section="bp",
                    builds_on=("affine", "relu", "sigmoid", "tanh", "losses"))


def _large_scores(rng):
    """A ReLU network whose largest class score is about 1000, each label the
    class of its largest score (the loss is about 0): a softmax that does not
    subtract the maximum overflows, one that does gives a finite loss."""
    inputs = _net_inputs("relu", "softmax")(rng)
    p = inputs["params"]

    def scores(X):
        return np.maximum(X @ p["W1"] + p["b1"], 0) @ p["W2"] + p["b2"]

    inputs["X"] = inputs["X"] * (1000.0 / max(np.abs(scores(inputs["X"])).max(), 1e-3))
    # The biases make the scores no multiple of X: shift every class by one constant so
    # that the largest score is exactly 1000 whatever was drawn (exp(1000) overflows).
    p["b2"] = p["b2"] + (1000.0 - scores(inputs["X"]).max())
    inputs["y"] = np.argmax(scores(inputs["X"]), axis=1)
    return inputs


def _finite_loss_and_grads(value, inputs):
    loss = array_of(value[0], ()) if isinstance(value, tuple) and len(value) == 2 else None
    grads = value[1] if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], dict) else {}
    finite = [array_of(grads.get(k), np.shape(p)) for k, p in inputs["params"].items()]
    if loss is None or not np.isfinite(loss) or any(g is None or not np.all(np.isfinite(g)) for g in finite):
        return [msg("property.net_large_scores"), msg(f"mistake.{Mistake.OVERFLOW}.found")], [Mistake.OVERFLOW]
    return [], []


# --------------------------------------------------------------------- SGD step
def _sgd_inputs(rng):
    shapes = {"W1": (D, HID), "b1": (HID,), "W2": (HID, C), "b2": (C,)}
    return {"params": {k: rng.standard_normal(s) for k, s in shapes.items()},
            "grads": {k: rng.standard_normal(s) for k, s in shapes.items()},
            "learning_rate": float(rng.uniform(0.05, 0.5))}


def _sgd() -> Exercise:
    def lr_zero(value, inputs):
        if not isinstance(value, dict) or set(value) != set(inputs["params"]):
            return [msg("property.sgd_keys")], []
        for k, p in inputs["params"].items():
            if not isinstance(value[k], np.ndarray) or value[k].shape != p.shape or not np.array_equal(value[k], p):
                return [msg("property.sgd_lr_zero", key=k)], []
        return [], []

    def zero_inputs(rng):
        i = _sgd_inputs(rng)
        i["learning_rate"] = 0.0
        return i

    checks = [
        ValueCheck("sgd.value", "sgd_step", _sgd_inputs,
                   [Output(f"new_params['{k}']", (k,)) for k in ("W1", "b1", "W2", "b2")], 2.5),
        PropertyCheck("sgd.lr_zero", "sgd_step", zero_inputs, lr_zero, 1, kind=Kind.EDGE),
        MutationCheck("sgd.mutation", "sgd_step", _sgd_inputs),
    ]
    return Exercise("sgd", msg("exercise.sgd"), "bp_network.py", ["sgd_step"], checks, section="bp")


def exercises() -> list[Exercise]:
    return [_activation("sigmoid"), _activation("tanh"), _activation("relu"), _affine(), _losses(),
            _net(), _sgd()]
