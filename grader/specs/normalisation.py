"""Exercise specs for batch normalisation and the residual block (lecture section
"梯度消失和梯度爆炸的解决": BatchNormalization, 残差结构). Clipping, initialisation
and L2 are in :mod:`grader.specs.stability`; both modules grade ``stability.py``.

Inputs are chosen so that the mistakes of ``grader/mistakes.md`` (21-31) show: a
batch of N = 4 (biased vs unbiased variance differ by sqrt(3/4)) with one
near-constant feature (eps); non-trivial gamma/beta and running statistics; branch
weights at zero (identity path).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..checks.backward import BackwardValueCheck
from ..checks.compare import TOL, array_of, close
from ..checks.engine import Exercise
from ..checks.gradient import GradientCheck, Param
from ..checks.kinds import Output, PropertyCheck, ValueCheck
from ..checks.mutation import MutationCheck
from ..checks.shapes import diagnose_shape
from ..i18n import msg
from ..mistakes import Mistake
from .common import away_from_zero, known_variant_probe
from .stability import Diagnosis, cache_error, found


def _same_as_x(inputs: dict[str, Any]) -> list[tuple[int, ...]]:
    """The forward's one output has the shape of x."""
    return [np.shape(inputs["x"])]


# ================================================================== batch norm
BN_N, BN_D = 4, 5
SAMPLE_FEATURE = ("sample", "feature")
FEATURE = ("feature",)


def _bn_inputs(mode: str, near_constant: float = 1e-3, running: bool = True):
    """x with a near-constant feature 0 (std ``near_constant``), non-trivial gamma,
    beta and running statistics. N = 4 makes biased and unbiased variance differ."""
    def make(rng):
        x = rng.standard_normal((BN_N, BN_D)) * rng.uniform(0.5, 3.0, BN_D) + 2 * rng.standard_normal(BN_D)
        x[:, 0] = 1.5 + near_constant * rng.standard_normal(BN_N)
        gamma = rng.uniform(0.5, 2.0, BN_D) * rng.choice([-1.0, 1.0], BN_D)
        beta = rng.standard_normal(BN_D)
        bn_param: dict[str, Any] = {"mode": mode, "eps": 1e-5, "momentum": 0.9}
        if running:
            bn_param["running_mean"] = rng.standard_normal(BN_D)
            bn_param["running_var"] = rng.uniform(0.5, 2.0, BN_D)
        return {"x": x, "gamma": gamma, "beta": beta, "bn_param": bn_param}
    return make


def _bn_variants(inputs: dict[str, Any]) -> list[tuple[Mistake, dict[str, np.ndarray]]]:
    """What known mistakes give in training mode: (mistake, {output name: value})."""
    x, gamma, beta, p = inputs["x"], inputs["gamma"], inputs["beta"], inputs["bn_param"]
    eps, m = p["eps"], p["momentum"]
    mean, var = x.mean(axis=0), x.var(axis=0)
    rm, rv = p.get("running_mean", np.zeros(x.shape[1])), p.get("running_var", np.zeros(x.shape[1]))

    def out(denominator):
        return gamma * (x - mean) / denominator + beta

    rows_mean, rows_var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    return [
        (Mistake.BN_UNBIASED_VARIANCE, {"out": gamma * (x - mean) / np.sqrt(x.var(axis=0, ddof=1) + eps) + beta}),
        (Mistake.BN_EPS_MISPLACED, {"out": out(np.sqrt(var))}),
        (Mistake.BN_EPS_MISPLACED, {"out": out(np.sqrt(var) + eps)}),
        (Mistake.BN_EPS_MISPLACED, {"running_var": m * rv + (1 - m) * (var + eps)}),
        (Mistake.BN_MOMENTUM_REVERSED, {"running_mean": (1 - m) * rm + m * mean,
                                        "running_var": (1 - m) * rv + m * var}),
        # statistics per sample (a layer norm): over axis 1 instead of the batch
        (Mistake.WRONG_REDUCTION_AXIS, {"out": gamma * (x - rows_mean) / np.sqrt(rows_var + eps) + beta}),
    ]


# What a found variant says beside the mistake's own text (the output that showed it).
_VARIANT_DETAIL = {("running_var", Mistake.BN_EPS_MISPLACED): "stability.bn.eps_in_running_var",
                   ("out", Mistake.WRONG_REDUCTION_AXIS): "stability.bn.per_sample"}


def bn_train_diagnosis(inputs: dict[str, Any], value: Any, expected: list[Any]) -> Diagnosis:
    returned, args = value if isinstance(value, tuple) and len(value) == 2 else (None, [])
    got = {
        "out": returned[0] if isinstance(returned, (tuple, list)) and returned else None,
        "running_mean": args[3].get("running_mean") if len(args) > 3 and isinstance(args[3], dict) else None,
        "running_var": args[3].get("running_var") if len(args) > 3 and isinstance(args[3], dict) else None,
    }
    named: list[Mistake] = []
    details: list[Any] = []
    for mistake, outputs in _bn_variants(inputs):
        if all(close(got[k], v) for k, v in outputs.items()):
            named.append(mistake)
            details += [msg(_VARIANT_DETAIL[k, mistake]) for k in outputs if (k, mistake) in _VARIANT_DETAIL]
    for name in ("running_mean", "running_var"):
        if array_of(got[name], (1, BN_D)) is not None:
            named.append(Mistake.KEEPDIMS_SHAPE)
        elif got[name] is None:
            return [msg("stability.bn.running_missing", name=name)], []
    x32 = inputs["x"].astype(np.float32)  # mistake 31: arithmetic in float32, even if the result is float64
    low = gamma_beta(inputs, x32, x32.mean(axis=0), x32.var(axis=0))
    if Mistake.BN_UNBIASED_VARIANCE not in named and Mistake.BN_EPS_MISPLACED not in named \
            and not close(got["out"], expected[0]) and close(got["out"], low, rtol=TOL.loose, atol=1e-6):
        named.append(Mistake.LOW_PRECISION)
    return found(*dict.fromkeys(named), extra=[d for k, d in enumerate(details) if d not in details[:k]])


def gamma_beta(inputs: dict[str, Any], x: np.ndarray, mean: np.ndarray, var: np.ndarray) -> np.ndarray:
    """gamma * x_hat + beta for given statistics (in x's precision)."""
    eps = inputs["bn_param"]["eps"]
    return inputs["gamma"] * ((x - mean) / np.sqrt(var + x.dtype.type(eps))) + inputs["beta"]


def bn_test_diagnosis(inputs: dict[str, Any], value: Any, expected: list[Any]) -> Diagnosis:
    returned = value[0] if isinstance(value, tuple) and value else None
    out = returned[0] if isinstance(returned, (tuple, list)) and returned else None
    x, gamma, beta, p = inputs["x"], inputs["gamma"], inputs["beta"], inputs["bn_param"]
    x_hat = (x - p["running_mean"]) / np.sqrt(p["running_var"] + p["eps"])
    if close(out, x_hat):
        return found(Mistake.BN_TEST_WITHOUT_AFFINE)
    batch = gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + p["eps"]) + beta
    if close(out, batch):
        return [msg("stability.bn.test_batch_stats")], []
    centred, rv, eps = x - p["running_mean"], p["running_var"], p["eps"]
    for denominator in (np.sqrt(rv), np.sqrt(rv) + eps, np.sqrt(rv + eps ** 2)):
        if close(out, gamma * centred / denominator + beta):
            return found(Mistake.BN_EPS_MISPLACED, extra=[msg("stability.bn.test_eps")])
    return [], []


def bn_momentum(value: Any, inputs: dict[str, Any]) -> Diagnosis:
    """From zero running statistics, one training call gives 0.1 x the batch statistics."""
    args = value[1] if isinstance(value, tuple) and len(value) == 2 else []
    p = args[3] if len(args) > 3 and isinstance(args[3], dict) else {}
    x = inputs["x"]
    eps = inputs["bn_param"]["eps"]
    for name, stat in (("running_mean", x.mean(axis=0)), ("running_var", x.var(axis=0))):
        got = p.get(name)
        if got is None:
            return [msg("stability.bn.running_missing", name=name)], []
        if close(got, 0.9 * stat):
            return found(Mistake.BN_MOMENTUM_REVERSED)
        if name == "running_var" and close(got, 0.1 * (stat + eps)):
            return found(Mistake.BN_EPS_MISPLACED, extra=[msg("stability.bn.eps_in_running_var")])
        shape = np.shape(got) if isinstance(got, np.ndarray) else None
        if shape is not None and shape != (BN_D,):
            said, named = diagnose_shape(shape, (BN_D,), f"bn_param['{name}']")
            return [msg("value.shape", func="batchnorm_forward", output=f"bn_param['{name}']",
                        got=str(shape), want=str((BN_D,))), *said] + [msg(f"mistake.{m}.found") for m in named], named
        if not close(got, 0.1 * stat):
            return [msg("stability.bn.momentum", name=name)], []
    return [], []


def _bn_upstream(rng, outs):
    return {"dout": rng.standard_normal(np.shape(outs[0]))}


# Mistake 28 when the backward does not raise: it reads two entries of the cache that
# have the same shape in each other's place, and computes the reference's formula
# with them swapped. (A cache read in another layout that raises is cache_error's.)
def _bn_backward(dout: np.ndarray, x_hat: np.ndarray, std: np.ndarray, gamma: np.ndarray) -> dict[str, np.ndarray]:
    n = dout.shape[0]
    dx_hat = dout * gamma
    dx = (n * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0)) / (n * std)
    return {"x": dx, "gamma": (dout * x_hat).sum(axis=0), "beta": dout.sum(axis=0)}


def _bn_cache_swapped(inputs: dict[str, Any], douts: list[Any]) -> dict[str, np.ndarray]:
    """The batch-norm gradients with the cache's std and gamma (both (D,)) swapped."""
    x, gamma, eps = inputs["x"], inputs["gamma"], inputs["bn_param"]["eps"]
    std = np.sqrt(x.var(axis=0) + eps)
    return _bn_backward(douts[0], (x - x.mean(axis=0)) / std, gamma, std)


def _residual_backward(dout, x, W1, W2, a, hidden, s) -> dict[str, np.ndarray]:
    ds = dout * (s > 0)
    da = (ds @ W2.T) * (a > 0)
    return {"x": ds + da @ W1.T, "W1": x.T @ da, "b1": da.sum(axis=0), "W2": hidden.T @ ds, "b2": ds.sum(axis=0)}


def _residual_cache_swaps(inputs: dict[str, Any], douts: list[Any]) -> list[dict[str, np.ndarray]]:
    """The residual block's gradients with same-shaped cache entries swapped: the
    pre-activation a with the hidden layer relu(a), x with s."""
    x, W1, b1, W2, b2 = (inputs[k] for k in ("x", "W1", "b1", "W2", "b2"))
    a = x @ W1 + b1
    hidden = np.maximum(a, 0)
    s = x + hidden @ W2 + b2
    return [_residual_backward(douts[0], x, W1, W2, hidden, a, s),
            _residual_backward(douts[0], s, W1, W2, a, hidden, x)]


def _nth_cache_swap(k: int) -> Callable[[dict[str, Any], list[Any]], dict[str, np.ndarray]]:
    """The ``k``-th of :func:`_residual_cache_swaps`, as one known variant."""
    return lambda inputs, douts: _residual_cache_swaps(inputs, douts)[k]


def _cache_swap_diagnosis(swaps, names: list[str]):
    """A backward check's diagnosis: its gradients (named ``names``, in order) equal a
    cache swap's: mistake 28."""
    def diagnose(inputs: dict[str, Any], value: Any, expected: list[Any]) -> Diagnosis:
        if not isinstance(value, (tuple, list)):
            return [], []
        douts = list(inputs["upstream"].values())
        for variant in swaps(inputs["forward"], douts):
            wrong = [(g, variant[n]) for g, n in zip(value, names, strict=False) if n in variant]
            if any(not close(g, e) for (g, _), e in zip(wrong, expected, strict=False)) and \
                    all(close(g, w) for g, w in wrong):
                return found(Mistake.CACHE_LAYOUT_MISMATCH, extra=[msg("stability.cache_order")])
        return [], []
    return diagnose


def _then(*diagnoses):
    """The first of several diagnoses that names something."""
    def diagnose(inputs: dict[str, Any], value: Any, expected: list[Any]) -> Diagnosis:
        for d in diagnoses:
            said, named = d(inputs, value, expected)
            if named:
                return said, named
        return [], []
    return diagnose


def _keepdims_diagnosis(inputs: dict[str, Any], value: Any, expected: list[Any]) -> Diagnosis:
    """Mistake 25: a gradient of a (D,) parameter returned as (1, D)."""
    if isinstance(value, (tuple, list)):
        for v, want in zip(value[1:], expected[1:], strict=False):
            if np.ndim(want) == 1 and array_of(v, (1,) + np.shape(want)) is not None:
                return found(Mistake.KEEPDIMS_SHAPE)
    return [], []


def _batchnorm() -> Exercise:
    fwd, bwd = "batchnorm_forward", "batchnorm_backward"
    # The running statistics are a by-product of normalising: they earn their share beside
    # a right ``out`` (docs/scoring.md, "Partial credit").
    train_outputs = [Output("out", (0, 0), SAMPLE_FEATURE),
                     Output("bn_param['running_mean']", (1, 3, "running_mean"), FEATURE, secondary=True),
                     Output("bn_param['running_var']", (1, 3, "running_var"), FEATURE, secondary=True)]
    params = [Param("x", "dx", axes=SAMPLE_FEATURE), Param("gamma", "dgamma", axes=FEATURE),
              Param("beta", "dbeta", axes=FEATURE)]
    checks = [
        ValueCheck("bn.train", fwd, _bn_inputs("train"), train_outputs, 3, with_args_after=True,
                   title=msg("stability.title.bn_train"), diagnose=bn_train_diagnosis),
        PropertyCheck("bn.momentum", fwd, _bn_inputs("train", running=False), bn_momentum, 1.5,
                      with_args_after=True, title=msg("stability.title.bn_momentum")),
        ValueCheck("bn.test", fwd, _bn_inputs("test"), train_outputs, 2.5, with_args_after=True,
                   title=msg("stability.title.bn_test"), diagnose=bn_test_diagnosis),
        BackwardValueCheck("bn.backward", bwd, _bn_inputs("train"), _bn_upstream,
                           [Output("dx", (0,), SAMPLE_FEATURE), Output("dgamma", (1,), FEATURE),
                            Output("dbeta", (2,), FEATURE)], 3, forward=fwd,
                           diagnose=_then(_keepdims_diagnosis, _cache_swap_diagnosis(
                               lambda i, d: [_bn_cache_swapped(i, d)], ["x", "gamma", "beta"])), on_error=cache_error),
        GradientCheck("bn.grad", bwd, _bn_inputs("train", near_constant=0.05), params, 1, forward=fwd,
                      out_shapes=_same_as_x,
                      probes=[known_variant_probe({Mistake.CACHE_LAYOUT_MISMATCH: _bn_cache_swapped})]),
        MutationCheck("bn.mutation_forward", fwd, _bn_inputs("train", running=False)),
        MutationCheck("bn.mutation_backward", bwd, lambda rng: {"dout": rng.standard_normal((BN_N, BN_D))},
                      forward=fwd, forward_inputs=_bn_inputs("train")),
    ]
    return Exercise("batchnorm", msg("exercise.batchnorm"), "stability.py", [fwd, bwd], checks,
                    section="batchnorm")


# ============================================================== residual block
RES_N, RES_D, RES_H = 4, 5, 7


def _res_inputs(zero_branch: bool = False):
    """Inputs whose ReLU pre-activations (inner and outer) are all at least 0.05 from 0."""
    def make(rng):
        for _ in range(200):
            x = away_from_zero(rng, (RES_N, RES_D))
            W1 = rng.standard_normal((RES_D, RES_H)) / math.sqrt(RES_D)
            b1 = rng.standard_normal(RES_H) * 0.5
            W2 = rng.standard_normal((RES_H, RES_D)) / math.sqrt(RES_H)
            b2 = rng.standard_normal(RES_D) * 0.5
            if zero_branch:
                W2, b2 = np.zeros((RES_H, RES_D)), np.zeros(RES_D)
            a = x @ W1 + b1
            s = x + np.maximum(a, 0) @ W2 + b2
            if np.abs(a).min() > 0.05 and np.abs(s).min() > 0.05:
                break
        return {"x": x, "W1": W1, "b1": b1, "W2": W2, "b2": b2}
    return make


def _no_identity_dx(inputs: dict[str, Any], douts: list[Any]) -> dict[str, np.ndarray]:
    """Mistake 30: dx of a backward pass that forgets the identity path."""
    x, W1, b1, W2, b2 = (inputs[k] for k in ("x", "W1", "b1", "W2", "b2"))
    a = x @ W1 + b1
    s = x + np.maximum(a, 0) @ W2 + b2
    ds = douts[0] * (s > 0)
    return {"x": ((ds @ W2.T) * (a > 0)) @ W1.T}


def identity_forward_diagnosis(inputs: dict[str, Any], value: Any, expected: list[Any]) -> Diagnosis:
    out = value[0] if isinstance(value, (tuple, list)) and value else None
    if close(out, np.zeros_like(inputs["x"])):  # relu(F(x)) with F = 0: the identity path is missing
        return found(Mistake.RESIDUAL_NO_IDENTITY, extra=[msg("stability.res.identity_missing")])
    return [], []


def identity_backward_diagnosis(inputs: dict[str, Any], value: Any, expected: list[Any]) -> Diagnosis:
    dx = value[0] if isinstance(value, (tuple, list)) and value else None
    if close(dx, np.zeros_like(inputs["forward"]["x"])):
        return found(Mistake.RESIDUAL_NO_IDENTITY)
    return _keepdims_diagnosis(inputs, value, expected)


def _residual() -> Exercise:
    fwd, bwd = "residual_forward", "residual_backward"
    grads = [Output("dx", (0,), SAMPLE_FEATURE), Output("dW1", (1,), ("row", "col")), Output("db1", (2,), ("unit",)),
             Output("dW2", (3,), ("row", "col")), Output("db2", (4,), FEATURE)]
    params = [Param("x", "dx", axes=SAMPLE_FEATURE), Param("W1", "dW1", axes=("row", "col")),
              Param("b1", "db1", axes=("unit",)), Param("W2", "dW2", axes=("row", "col")),
              Param("b2", "db2", axes=FEATURE)]
    checks = [
        ValueCheck("res.forward", fwd, _res_inputs(), [Output("out", (0,), SAMPLE_FEATURE)], 2),
        ValueCheck("res.identity_forward", fwd, _res_inputs(zero_branch=True), [Output("out", (0,), SAMPLE_FEATURE)],
                   1, title=msg("stability.title.res_identity_forward"), diagnose=identity_forward_diagnosis),
        BackwardValueCheck("res.identity_backward", bwd, _res_inputs(zero_branch=True), _bn_upstream,
                           grads, 2, forward=fwd, title=msg("stability.title.res_identity_backward"),
                           diagnose=identity_backward_diagnosis, on_error=cache_error),
        BackwardValueCheck("res.backward", bwd, _res_inputs(), _bn_upstream, grads, 3, forward=fwd,
                           diagnose=_then(_keepdims_diagnosis, _cache_swap_diagnosis(
                               _residual_cache_swaps, ["x", "W1", "b1", "W2", "b2"])), on_error=cache_error),
        GradientCheck("res.grad", bwd, _res_inputs(), params, 0.5, forward=fwd, out_shapes=_same_as_x,
                      probes=[known_variant_probe({
                          Mistake.RESIDUAL_NO_IDENTITY: _no_identity_dx,
                          Mistake.CACHE_LAYOUT_MISMATCH: [_nth_cache_swap(k) for k in range(2)]})]),
        MutationCheck("res.forward_mutation", fwd, _res_inputs()),
        MutationCheck("res.mutation", bwd, lambda rng: {"dout": rng.standard_normal((RES_N, RES_D))},
                      forward=fwd, forward_inputs=_res_inputs()),
    ]
    return Exercise("residual", msg("exercise.residual"), "stability.py", [fwd, bwd], checks, section="residual",
                    builds_on=("affine", "relu"))


def exercises() -> list[Exercise]:
    return [_batchnorm(), _residual()]
