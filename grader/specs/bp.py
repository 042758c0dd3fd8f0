"""Exercise specs for the BP network: activations, affine layer, losses, a two-layer
network and one SGD step (lecture section "BP神经网络").

Sizes are all different (N=4, D=5, ...) so a transposed or mis-summed result cannot
pass by accident; ReLU inputs are kept away from 0 so numerical gradients never
straddle the kink.
"""

from __future__ import annotations

import numpy as np

from ..checks.engine import Exercise
from ..checks.gradient import GradientCheck, Param
from ..checks.kinds import BackwardValueCheck, MutationCheck, Output, PropertyCheck, ValueCheck
from ..i18n import msg
from .common import away_from_zero, known_variant_probe

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
                      probes=[known_variant_probe(_WRONG_DERIVATIVES[name])]),
        MutationCheck(f"{name}.mutation", bwd, lambda rng: {"dout": rng.standard_normal((N, D))},
                      1, forward=fwd, forward_inputs=inputs),
        *_ACTIVATION_PROPERTIES[name](),
    ]
    return Exercise(name, msg(f"exercise.{name}"), "layers.py", [fwd, bwd], checks, section="activations")


def _upstream(rng, outs):
    """A random upstream gradient shaped like the forward's first output."""
    return {"dout": rng.standard_normal(np.shape(outs[0]))}


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


# Known wrong derivatives (mistake 6): what a student's dx equals when they
# differentiate the wrong quantity.
_WRONG_DERIVATIVES = {
    "sigmoid": {"6": lambda i, d: {"x": d[0] * _sigmoid(_sigmoid(i["x"])) * (1 - _sigmoid(_sigmoid(i["x"])))}},
    "tanh": {"6": lambda i, d: {"x": d[0] * (1 - np.tanh(np.tanh(i["x"])) ** 2)}},
    "relu": {},
}


def _sigmoid_props():
    def extremes(value, inputs):
        out = value[0] if isinstance(value, tuple) else None
        want = np.array([0.0, 0.5, 1.0, 1 / (1 + np.exp(-2.0))])
        if not isinstance(out, np.ndarray) or out.shape != want.shape or not np.allclose(out, want, atol=1e-12):
            return [msg("property.sigmoid_extremes")], ["22"]
        return [], []

    def overflow(err):
        if err.get("type") == "FloatingPointError":
            return [msg("mistake.22.found")], ["22"]
        return [], []

    return [PropertyCheck("sigmoid.stable", "sigmoid_forward",
                          lambda rng: {"x": np.array([-1000.0, 0.0, 1000.0, 2.0])}, extremes, 1,
                          title=msg("title.stability", func="sigmoid_forward"),
                          errstate={"over": "raise", "invalid": "raise"}, on_error=overflow)]


def _tanh_props():
    def odd(value, inputs):
        out = value[0] if isinstance(value, tuple) else None
        x = inputs["x"]
        if not isinstance(out, np.ndarray) or out.shape != x.shape:
            return [msg("property.shape", func="tanh_forward")], []
        ok = np.allclose(out[: len(x) // 2], -out[len(x) // 2:], atol=1e-12) and np.all(np.abs(out) <= 1)
        return ([], []) if ok else ([msg("property.tanh_odd")], [])

    def inputs(rng):
        half = rng.standard_normal(6) * 3
        return {"x": np.concatenate([half, -half])}

    return [PropertyCheck("tanh.odd", "tanh_forward", inputs, odd, 1)]


def _relu_props():
    return []  # relu's derivative is fully covered by the value and gradient checks


_ACTIVATION_PROPERTIES = {"sigmoid": _sigmoid_props, "tanh": _tanh_props, "relu": _relu_props}


# ---------------------------------------------------------------------- affine
def _affine_inputs(shape):
    def make(rng):
        x = rng.standard_normal(shape)
        dim = int(np.prod(shape[1:]))
        return {"x": x, "w": rng.standard_normal((dim, M)) / np.sqrt(dim), "b": rng.standard_normal(M)}
    return make


def _affine() -> Exercise:
    flat, deep = (N, D), (N, 2, 3, 2)
    params = [Param("x", "dx"), Param("w", "dw", axes=("row", "col")), Param("b", "db", axes=("unit",))]
    checks = [
        ValueCheck("affine.forward", "affine_forward", _affine_inputs(flat),
                   [Output("out", (0,), SAMPLE_UNIT)], 2),
        ValueCheck("affine.forward_4d", "affine_forward", _affine_inputs(deep),
                   [Output("out", (0,), SAMPLE_UNIT)], 1),
        BackwardValueCheck("affine.backward_4d", "affine_backward", _affine_inputs(deep), _upstream,
                           [Output("dx", (0,)), Output("dw", (1,), ("row", "col")),
                            Output("db", (2,), ("unit",))], 3, forward="affine_forward"),
        GradientCheck("affine.grad", "affine_backward", _affine_inputs(flat), params, 1,
                      points_reference=1, forward="affine_forward"),
        MutationCheck("affine.mutation", "affine_backward", lambda rng: {"dout": rng.standard_normal((N, M))},
                      1, forward="affine_forward", forward_inputs=_affine_inputs(flat)),
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
        loss = value[0] if isinstance(value, tuple) and value else None
        dx = value[1] if isinstance(value, tuple) and len(value) > 1 else None
        if not isinstance(loss, (float, int, np.ndarray)) or not np.all(np.isfinite(loss)):
            return [msg("mistake.22.found")], ["22"]
        # Each label picks the +1000 score: the loss is log(1 + e^-2000) = 0.
        if np.size(loss) != 1 or abs(float(np.asarray(loss).reshape(-1)[0])) > 1e-9:
            return [msg("property.softmax_extreme")], []
        if not isinstance(dx, np.ndarray) or not np.all(np.isfinite(dx)):
            return [msg("mistake.22.found")], ["22"]
        return [], []

    def overflow(err):
        if err.get("type") == "FloatingPointError":
            return [msg("mistake.22.found")], ["22"]
        return [], []

    checks = [
        ValueCheck("softmax.value", "softmax_loss", _softmax_inputs,
                   [Output("loss", (0,)), Output("dx", (1,), ("sample", "class"))], 2),
        GradientCheck("softmax.grad", "softmax_loss", _softmax_inputs,
                      [Param("x", "dx", axes=("sample", "class"), grad_path=(1,))], 2),
        PropertyCheck("softmax.stable", "softmax_loss",
                      lambda rng: {"x": np.array([[1000.0, -1000.0], [-1000.0, 1000.0]]), "y": np.array([0, 1])},
                      stable, 1, title=msg("title.stability", func="softmax_loss"),
                      errstate={"over": "raise", "invalid": "raise"}, on_error=overflow),
        ValueCheck("mse.value", "mse_loss", _mse_inputs,
                   [Output("loss", (0,)), Output("dy_pred", (1,), ("sample", "unit"))], 2,
                   diagnose=_mse_diagnose),
        GradientCheck("mse.grad", "mse_loss", _mse_inputs,
                      [Param("y_pred", "dy_pred", axes=("sample", "unit"), grad_path=(1,))], 2),
    ]
    return Exercise("losses", msg("exercise.losses"), "layers.py", ["softmax_loss", "mse_loss"], checks,
                    section="bp")


def _mse_diagnose(inputs, value, expected):
    """Name mistake 21 (dividing by N twice) when dy_pred is exactly 1/N too small."""
    got = value[1] if isinstance(value, tuple) and len(value) > 1 else None
    n = inputs["y_pred"].shape[0]
    if isinstance(got, np.ndarray) and got.shape == expected[1].shape:
        if np.allclose(got * n, expected[1], rtol=1e-6, atol=1e-12):
            return [msg("mistake.21.found", ratio=f"1/{n}")], ["21"]
        if np.allclose(got, -expected[1], rtol=1e-6, atol=1e-12):
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
    checks = []
    for activation, loss in (("relu", "softmax"), ("sigmoid", "mse"), ("tanh", "softmax")):
        cid = f"net.{activation}_{loss}"
        checks.append(ValueCheck(
            f"{cid}.value", "two_layer_net_loss", _net_inputs(activation, loss),
            [Output("loss", (0,))] + [Output(f"grads['{k}']", (1, k), ax) for k, ax in keys], 2,
            title=msg("title.net_value", activation=activation, loss=loss)))
        checks.append(GradientCheck(
            f"{cid}.grad", "two_layer_net_loss", _net_inputs(activation, loss),
            [Param(f"params['{k}']", f"d{k}", path=(k,), arg="params", grad_path=(1, k), axes=ax)
             for k, ax in keys], 0.5))
    return Exercise("net", msg("exercise.net"), "bp_network.py", ["two_layer_net_loss"], checks, section="bp",
                    builds_on=("affine", "relu", "sigmoid", "tanh", "losses"))


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
                   [Output(f"new_params['{k}']", (k,)) for k in ("W1", "b1", "W2", "b2")], 2),
        PropertyCheck("sgd.lr_zero", "sgd_step", zero_inputs, lr_zero, 1),
        MutationCheck("sgd.mutation", "sgd_step", _sgd_inputs, 1),
    ]
    return Exercise("sgd", msg("exercise.sgd"), "bp_network.py", ["sgd_step"], checks, section="bp")


def exercises() -> list[Exercise]:
    return [_activation("sigmoid"), _activation("tanh"), _activation("relu"), _affine(), _losses(),
            _net(), _sgd()]
