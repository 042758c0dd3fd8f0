"""Exercise specs for the remedies against vanishing and exploding gradients
(lecture section "梯度消失和梯度爆炸的解决"): gradient clipping, initialisation, L2
weight regularisation, batch normalisation and a residual block.

Inputs are chosen so that the mistakes of ``course/mistakes.md`` (15-31) show: a
gradient below *and* above the clipping threshold, with one array whose own norm
is under the threshold (per-tensor clipping) and one entry above it (``np.clip``);
non-square layers 100 -> 10 (fan-in vs fan-out); a batch of N = 4 (biased vs
unbiased variance differ by sqrt(3/4)) with one near-constant feature (eps);
non-trivial gamma/beta and running statistics; branch weights at zero (identity
path). Statistical checks use a tolerance of ``Z`` standard errors computed from
the sample size, so a correct implementation fails them with probability < 1e-5.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..checks.compare import as_float_array
from ..checks.engine import Exercise
from ..checks.gradient import GradientCheck, Param
from ..checks.kinds import (
    BackwardValueCheck,
    MutationCheck,
    Output,
    PropertyCheck,
    RepeatedCallCheck,
    ValueCheck,
)
from ..i18n import Message, msg
from .common import away_from_zero, known_variant_probe

Diagnosis = tuple[list[Message], list[str]]
Z = 5.0  # standard errors allowed in statistical checks (two-sided p < 1e-6 each)


def _close(a: Any, b: np.ndarray, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    got = as_float_array(a)
    return got is not None and got.shape == np.shape(b) and bool(np.allclose(got, b, rtol=rtol, atol=atol))


def _found(*mistakes: str, extra: list[Message] | None = None) -> Diagnosis:
    return (extra or []) + [msg(f"mistake.{m}.found") for m in mistakes], list(mistakes)


def cache_error(err: dict) -> Diagnosis:
    """Mistake 28: the backward pass fails on the cache of the student's own forward."""
    kind, text = err.get("type", ""), err.get("message", "")
    if (kind == "ValueError" and "unpack" in text) or kind in ("TypeError", "IndexError", "KeyError",
                                                               "AttributeError"):
        return _found("28")
    return [], []


# ====================================================================== clipping
CLIP_SHAPES = [(3, 4), (5,), (2, 3, 2)]


def _clip_inputs(norms: list[float], shapes: list[tuple[int, ...]] = CLIP_SHAPES):
    """Gradients whose own norms are ``norms`` (multiples of v = max_norm)."""
    def make(rng: np.random.Generator) -> dict:
        v = float(rng.uniform(1.0, 5.0))
        grads = []
        for shape, r in zip(shapes, norms, strict=True):
            g = rng.standard_normal(shape)
            g.flat[0] = 3.0 * np.sign(g.flat[0])  # one dominant entry: np.clip would change it
            grads.append(g / np.linalg.norm(g) * r * v)
        return {"grads": grads, "max_norm": v}
    return make


def _global_norm(arrays: list[np.ndarray]) -> float:
    return float(np.sqrt(sum(float(np.sum(a * a)) for a in arrays)))


def clip_diagnosis(inputs: dict, value: Any) -> Diagnosis:
    """Everything the lecture's rule implies about a clipped gradient, with known
    mistakes 15-17 named. Needs no reference, so it also runs in a self-check."""
    grads, v = inputs["grads"], inputs["max_norm"]
    if not isinstance(value, (tuple, list)) or len(value) != 2 or not isinstance(value[0], (list, tuple)):
        return [msg("stability.clip.bad_return")], []
    outs = [as_float_array(a) for a in value[0]]
    if len(outs) != len(grads) or any(o is None or o.shape != g.shape for o, g in zip(outs, grads, strict=False)):
        return [msg("stability.clip.bad_shapes", n=len(grads))], []
    total = _global_norm(grads)
    problems: list[Message] = []
    norm_back = as_float_array(value[1])
    if norm_back is None or norm_back.size != 1 or not np.isclose(float(norm_back.reshape(-1)[0]), total,
                                                                   rtol=1e-9, atol=0):
        problems.append(msg("stability.clip.norm_returned", want=total))
    if total <= v:
        if all(np.allclose(o, g, rtol=1e-12, atol=0) for o, g in zip(outs, grads, strict=True)):
            return problems, []
        if np.isclose(_global_norm(outs), v, rtol=1e-6):
            return _found("17", extra=problems)
        return problems + [msg("stability.clip.changed_below", norm=total, v=v)], []
    per_element = [np.clip(g, -v, v) for g in grads]
    if all(np.allclose(o, p, rtol=1e-9, atol=1e-12) for o, p in zip(outs, per_element, strict=True)):
        return _found("15", extra=problems)
    per_tensor = [g * min(1.0, v / np.linalg.norm(g)) for g in grads]
    each_to_v = [g * v / np.linalg.norm(g) for g in grads]
    for variant in (per_tensor, each_to_v):
        if all(np.allclose(o, p, rtol=1e-9, atol=1e-12) for o, p in zip(outs, variant, strict=True)):
            return _found("16", extra=problems)
    after = _global_norm(outs)
    if not np.isclose(after, v, rtol=1e-6):
        problems.append(msg("stability.clip.norm_after", got=after, v=v))
    scales = [float(np.sum(o * g) / np.sum(g * g)) for o, g in zip(outs, grads, strict=True)]
    parallel = all(np.allclose(o, s * g, rtol=1e-6, atol=1e-12) for o, s, g in zip(outs, scales, grads, strict=True))
    if not parallel or not np.allclose(scales, scales[0], rtol=1e-6) or scales[0] <= 0:
        problems.append(msg("stability.clip.direction"))
    return problems, []


def _clip() -> Exercise:
    above = _clip_inputs([2.0, 0.5, 1.5])  # global norm 2.55 v; the second array alone is below v
    outputs = [Output(f"clipped[{i}]", (0, i)) for i in range(len(CLIP_SHAPES))] + [Output("total_norm", (1,))]
    checks = [
        PropertyCheck("clip.below", "clip_grad_norm", _clip_inputs([0.4, 0.3, 0.5]),
                      lambda value, inputs: clip_diagnosis(inputs, value), 2,
                      title=msg("stability.title.clip_below")),
        PropertyCheck("clip.above", "clip_grad_norm", above, lambda value, inputs: clip_diagnosis(inputs, value), 2,
                      title=msg("stability.title.clip_above")),
        ValueCheck("clip.value", "clip_grad_norm", above, outputs, 2,
                   diagnose=lambda inputs, value, expected: clip_diagnosis(inputs, value)),
        ValueCheck("clip.single", "clip_grad_norm", _clip_inputs([3.0], [(4, 6)]),
                   [Output("clipped[0]", (0, 0), ("row", "col")), Output("total_norm", (1,))], 1,
                   title=msg("stability.title.clip_single"),
                   diagnose=lambda inputs, value, expected: clip_diagnosis(inputs, value)),
        MutationCheck("clip.mutation", "clip_grad_norm", above, 1),
    ]
    return Exercise("clip", msg("exercise.clip"), "stability.py", ["clip_grad_norm"], checks,
                    section="clipping")


# ================================================================ initialisation
def init_scale(method: str, fan_in: int) -> float:
    """The standard deviation each method should give (the lecture's formulas)."""
    return {"small": 0.01, "xavier": math.sqrt(1.0 / fan_in), "he": math.sqrt(2.0 / fan_in)}[method]


def variance_z(values: np.ndarray, sigma: float) -> float:
    """How many standard errors ``mean(values**2) / sigma**2`` is away from 1 for
    values drawn from N(0, sigma^2): ``sum(values**2) / sigma**2`` is chi-square
    with n degrees of freedom, turned into a z-score by Wilson-Hilferty."""
    n = values.size
    ratio = float(np.mean(values * values)) / sigma**2
    c = 2.0 / (9.0 * n)
    return (ratio ** (1.0 / 3.0) - (1.0 - c)) / math.sqrt(c)


def std_interval(n: int, sigma: float) -> tuple[float, float]:
    """The root-mean-square values accepted within ``Z`` standard errors."""
    c = 2.0 / (9.0 * n)
    lo, hi = ((1.0 - c) - Z * math.sqrt(c)) ** 3, ((1.0 - c) + Z * math.sqrt(c)) ** 3
    return sigma * math.sqrt(max(lo, 0.0)), sigma * math.sqrt(hi)


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**31 - 1))


def _init_inputs(shape: tuple[int, int], method: str):
    return lambda rng: {"shape": shape, "method": method, "rng": _seed(rng)}


def _weights(value: Any, shape: tuple[int, int]) -> tuple[np.ndarray | None, list[Message], list[str]]:
    """W out of (W, b), with shape problems explained (mistake 18 when transposed)."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        return None, [msg("stability.init.bad_return")], []
    W = as_float_array(value[0])
    if W is None:
        return None, [msg("stability.init.bad_return")], []
    if W.shape != tuple(shape):
        problems = [msg("stability.init.shape", got=str(W.shape), want=str(tuple(shape)))]
        if W.shape == tuple(shape)[::-1]:
            return None, problems + [msg("mistake.18.found")], ["18"]
        return None, problems, []
    return W, [], []


def init_statistics(value: Any, inputs: dict) -> Diagnosis:
    """Mean and spread of W within Z standard errors of the method's N(0, sigma^2),
    biases exactly zero; mistakes 18 (fan-out) and 19 (constant) named."""
    shape, method = tuple(inputs["shape"]), inputs["method"]
    W, problems, mistakes = _weights(value, shape)
    if W is None:
        return problems, mistakes
    b = as_float_array(value[1])
    if b is None or b.shape != (shape[1],) or np.any(b != 0):
        problems.append(msg("stability.init.bias", want=str((shape[1],))))
    if not np.all(np.isfinite(W)):
        return problems + [msg("stability.init.nonfinite")], mistakes
    if np.all(W == W.flat[0]):
        return problems + [msg("stability.init.constant", value=float(W.flat[0])), msg("mistake.19.found")], ["19"]
    sigma, n = init_scale(method, shape[0]), W.size
    z_mean = float(np.mean(W)) / (sigma / math.sqrt(n))
    z_var = variance_z(W, sigma)
    if abs(z_var) > Z or abs(z_mean) > Z:
        lo, hi = std_interval(n, sigma)
        problems.append(msg("stability.init.spread", method=method, got=float(np.sqrt(np.mean(W * W))),
                            mean=float(np.mean(W)), want=sigma, lo=lo, hi=hi, n=n, fan_in=shape[0]))
        fan_out = init_scale(method, shape[1])
        if method != "small" and abs(variance_z(W, fan_out)) <= Z:
            problems.append(msg("mistake.18.found"))
            mistakes.append("18")
    return problems, mistakes


def init_symmetry(value: Any, inputs: dict) -> Diagnosis:
    """No two neurons start alike: all rows and all columns of W differ (mistake 19)."""
    W, problems, mistakes = _weights(value, tuple(inputs["shape"]))
    if W is None:
        return problems, mistakes
    rows = len(np.unique(W, axis=0))
    cols = len(np.unique(W, axis=1))
    if rows < W.shape[0] or cols < W.shape[1]:
        return [msg("stability.init.symmetry", rows=W.shape[0] - rows, cols=W.shape[1] - cols),
                msg("mistake.19.found")], ["19"]
    return [], []


def init_reproducible(values: list[Any], inputs: list[dict]) -> Diagnosis:
    """Calls 0 and 1 share a seed, call 2 has another: same, same, different."""
    shape = tuple(inputs[0]["shape"])
    ws = []
    for value in values:
        W, problems, mistakes = _weights(value, shape)
        if W is None:
            return problems, mistakes
        ws.append(W)
    if not np.array_equal(ws[0], ws[1]):
        return [msg("stability.init.not_reproducible")], []
    if np.array_equal(ws[0], ws[2]):
        return [msg("stability.init.seed_ignored")], []
    return [], []


def _init() -> Exercise:
    def reproducible_inputs(rng):
        a = _seed(rng)
        b = (a + 1 + _seed(rng)) % (2**31 - 1)
        return [{"shape": (20, 30), "method": "he", "rng": s} for s in (a, a, b)]

    checks = [
        PropertyCheck(f"init.{method}", "init_weights", _init_inputs((100, 10), method), init_statistics, 2,
                      title=msg("stability.title.init_stats", method=method, shape="(100, 10)"))
        for method in ("small", "xavier", "he")
    ] + [
        PropertyCheck("init.fan_in", "init_weights", _init_inputs((30, 200), "he"), init_statistics, 1,
                      title=msg("stability.title.init_stats", method="he", shape="(30, 200)")),
        PropertyCheck("init.symmetry", "init_weights", _init_inputs((100, 10), "xavier"), init_symmetry, 1,
                      title=msg("stability.title.init_symmetry")),
        RepeatedCallCheck("init.reproducible", "init_weights", reproducible_inputs, init_reproducible, 1,
                          title=msg("stability.title.init_reproducible")),
    ]
    return Exercise("init", msg("exercise.init"), "stability.py", ["init_weights"], checks,
                    section="initialisation")


# ============================================================ L2 regularisation
L2_SHAPES = {"W1": (5, 7), "b1": (7,), "gamma1": (7,), "beta1": (7,), "W2": (7, 3), "b2": (3,)}
L2_WEIGHTS = ("W1", "W2")


def _l2_inputs(shapes: dict[str, tuple[int, ...]]):
    def make(rng):
        return {"params": {k: rng.standard_normal(s) for k, s in shapes.items()},
                "reg": float(rng.uniform(0.5, 2.0))}  # large: every mistake shows clearly
    return make


def l2_diagnosis(inputs: dict, value: Any) -> Diagnosis:
    """Mistake 20: biases/gamma/beta regularised, or loss and gradient a factor 2 apart."""
    params, reg = inputs["params"], inputs["reg"]
    if not isinstance(value, (tuple, list)) or len(value) != 2 or not isinstance(value[1], dict):
        return [msg("stability.l2.bad_return")], []
    grads = value[1]
    not_weights = [k for k in params if not k.startswith("W")]
    regularised = [k for k in not_weights
                   if k in grads and as_float_array(grads[k]) is not None
                   and np.any(as_float_array(grads[k]) != 0)]
    if regularised:
        return _found("20", extra=[msg("stability.l2.not_weights", names=", ".join(regularised))])
    weights = [k for k in params if k.startswith("W")]
    if weights and all(_close(grads.get(k), 2 * reg * params[k]) for k in weights):
        return _found("20", extra=[msg("stability.l2.factor")])
    loss = as_float_array(value[0])
    total = sum(float(np.sum(params[k] ** 2)) for k in weights)
    if loss is not None and loss.size == 1 and total > 0 and np.isclose(float(loss.reshape(-1)[0]), reg * total,
                                                                          rtol=1e-9):
        return _found("20", extra=[msg("stability.l2.factor")])
    return [], []


def _l2() -> Exercise:
    make = _l2_inputs(L2_SHAPES)
    outputs = [Output("loss", (0,))] + [Output(f"grads['{k}']", (1, k)) for k in L2_SHAPES]
    params = [Param(f"params['{k}']", f"grads['{k}']", path=(k,), arg="params", grad_path=(1, k))
              for k in ("W1", "b1", "gamma1", "W2")]
    twice = {"20": lambda i, d: {f"params['{k}']": 2 * i["reg"] * i["params"][k] for k in L2_WEIGHTS}}

    def no_weights(value, inputs):
        problems, mistakes = l2_diagnosis(inputs, value)
        loss = as_float_array(value[0]) if isinstance(value, (tuple, list)) and value else None
        if not problems and (loss is None or loss.size != 1 or float(loss.reshape(-1)[0]) != 0.0):
            problems, mistakes = _found("20", extra=[msg("stability.l2.loss_not_zero")])
        return problems, mistakes

    checks = [
        ValueCheck("l2.value", "l2_regularization", make, outputs, 2,
                   diagnose=lambda inputs, value, expected: l2_diagnosis(inputs, value)),
        GradientCheck("l2.grad", "l2_regularization", make, params, 0.5, probes=[known_variant_probe(twice)]),
        PropertyCheck("l2.not_weights", "l2_regularization",
                      _l2_inputs({"b1": (7,), "gamma1": (7,), "beta1": (7,)}), no_weights, 1,
                      title=msg("stability.title.l2_not_weights")),
        MutationCheck("l2.mutation", "l2_regularization", make, 1),
    ]
    return Exercise("l2", msg("exercise.l2"), "stability.py", ["l2_regularization"], checks,
                    section="regularisation")


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


def _bn_variants(inputs: dict) -> dict[str, dict[str, np.ndarray]]:
    """What known mistakes give in training mode: mistake id -> output name -> value."""
    x, gamma, beta, p = inputs["x"], inputs["gamma"], inputs["beta"], inputs["bn_param"]
    eps, m = p["eps"], p["momentum"]
    mean, var = x.mean(axis=0), x.var(axis=0)
    rm, rv = p.get("running_mean", np.zeros(x.shape[1])), p.get("running_var", np.zeros(x.shape[1]))

    def out(denominator):
        return gamma * (x - mean) / denominator + beta

    return {
        "23": {"out": gamma * (x - mean) / np.sqrt(x.var(axis=0, ddof=1) + eps) + beta},
        "24": {"out": out(np.sqrt(var))},
        "24b": {"out": out(np.sqrt(var) + eps)},
        "27": {"running_mean": (1 - m) * rm + m * mean, "running_var": (1 - m) * rv + m * var},
    }


def bn_train_diagnosis(inputs: dict, value: Any, expected: list) -> Diagnosis:
    returned, args = value if isinstance(value, tuple) and len(value) == 2 else (None, [])
    got = {
        "out": returned[0] if isinstance(returned, (tuple, list)) and returned else None,
        "running_mean": args[3].get("running_mean") if len(args) > 3 and isinstance(args[3], dict) else None,
        "running_var": args[3].get("running_var") if len(args) > 3 and isinstance(args[3], dict) else None,
    }
    found: list[str] = []
    for mistake, outputs in _bn_variants(inputs).items():
        if all(_close(got[k], v) for k, v in outputs.items()):
            found.append(mistake.rstrip("b"))
    for name in ("running_mean", "running_var"):
        arr = as_float_array(got[name])
        if arr is not None and arr.shape == (1, BN_D):
            found.append("25")
        elif got[name] is None:
            return [msg("stability.bn.running_missing", name=name)], []
    x32 = inputs["x"].astype(np.float32)  # mistake 31: arithmetic in float32, even if the result is float64
    low = gamma_beta(inputs, x32, x32.mean(axis=0), x32.var(axis=0))
    if "23" not in found and "24" not in found and not _close(got["out"], expected[0]) \
            and _close(got["out"], low, rtol=1e-4, atol=1e-6):
        found.append("31")
    found = list(dict.fromkeys(found))
    return _found(*found)


def gamma_beta(inputs: dict, x: np.ndarray, mean: np.ndarray, var: np.ndarray) -> np.ndarray:
    """gamma * x_hat + beta for given statistics (in x's precision)."""
    eps = inputs["bn_param"]["eps"]
    return inputs["gamma"] * ((x - mean) / np.sqrt(var + x.dtype.type(eps))) + inputs["beta"]


def bn_test_diagnosis(inputs: dict, value: Any, expected: list) -> Diagnosis:
    returned = value[0] if isinstance(value, tuple) and value else None
    out = returned[0] if isinstance(returned, (tuple, list)) and returned else None
    x, gamma, beta, p = inputs["x"], inputs["gamma"], inputs["beta"], inputs["bn_param"]
    x_hat = (x - p["running_mean"]) / np.sqrt(p["running_var"] + p["eps"])
    if _close(out, x_hat):
        return _found("26")
    batch = gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + p["eps"]) + beta
    if _close(out, batch):
        return [msg("stability.bn.test_batch_stats")], []
    return [], []


def bn_momentum(value: Any, inputs: dict) -> Diagnosis:
    """From zero running statistics, one training call gives 0.1 x the batch statistics."""
    args = value[1] if isinstance(value, tuple) and len(value) == 2 else []
    p = args[3] if len(args) > 3 and isinstance(args[3], dict) else {}
    x = inputs["x"]
    for name, stat in (("running_mean", x.mean(axis=0)), ("running_var", x.var(axis=0))):
        got = p.get(name)
        if got is None:
            return [msg("stability.bn.running_missing", name=name)], []
        if _close(got, 0.9 * stat):
            return _found("27")
        arr = as_float_array(got)
        if arr is not None and arr.shape == (1, BN_D):
            return [msg("value.shape", func="batchnorm_forward", output=f"bn_param['{name}']",
                        got=str(arr.shape), want=str((BN_D,)))], ["25"]
        if not _close(got, 0.1 * stat):
            return [msg("stability.bn.momentum", name=name)], []
    return [], []


def _bn_upstream(rng, outs):
    return {"dout": rng.standard_normal(np.shape(outs[0]))}


def _keepdims_diagnosis(inputs: dict, value: Any, expected: list) -> Diagnosis:
    if isinstance(value, (tuple, list)):
        for v in value[1:]:
            arr = as_float_array(v)
            if arr is not None and arr.ndim == 2 and arr.shape[0] == 1:
                return _found("25")
    return [], []


def _batchnorm() -> Exercise:
    fwd, bwd = "batchnorm_forward", "batchnorm_backward"
    train_outputs = [Output("out", (0, 0), SAMPLE_FEATURE),
                     Output("bn_param['running_mean']", (1, 3, "running_mean"), FEATURE),
                     Output("bn_param['running_var']", (1, 3, "running_var"), FEATURE)]
    params = [Param("x", "dx", axes=SAMPLE_FEATURE), Param("gamma", "dgamma", axes=FEATURE),
              Param("beta", "dbeta", axes=FEATURE)]
    checks = [
        ValueCheck("bn.train", fwd, _bn_inputs("train"), train_outputs, 3, with_args_after=True,
                   title=msg("stability.title.bn_train"), diagnose=bn_train_diagnosis),
        PropertyCheck("bn.momentum", fwd, _bn_inputs("train", running=False), bn_momentum, 1,
                      with_args_after=True, title=msg("stability.title.bn_momentum")),
        ValueCheck("bn.test", fwd, _bn_inputs("test"), train_outputs, 2, with_args_after=True,
                   title=msg("stability.title.bn_test"), diagnose=bn_test_diagnosis),
        BackwardValueCheck("bn.backward", bwd, _bn_inputs("train"), _bn_upstream,
                           [Output("dx", (0,), SAMPLE_FEATURE), Output("dgamma", (1,), FEATURE),
                            Output("dbeta", (2,), FEATURE)], 3, forward=fwd,
                           diagnose=_keepdims_diagnosis, on_error=cache_error),
        GradientCheck("bn.grad", bwd, _bn_inputs("train", near_constant=0.05), params, 1, forward=fwd),
        MutationCheck("bn.mutation_forward", fwd, _bn_inputs("train", running=False), 1),
        MutationCheck("bn.mutation_backward", bwd, lambda rng: {"dout": rng.standard_normal((BN_N, BN_D))}, 1,
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


def _no_identity_dx(inputs: dict, douts: list) -> dict[str, np.ndarray]:
    """Mistake 30: dx of a backward pass that forgets the identity path."""
    x, W1, b1, W2, b2 = (inputs[k] for k in ("x", "W1", "b1", "W2", "b2"))
    a = x @ W1 + b1
    s = x + np.maximum(a, 0) @ W2 + b2
    ds = douts[0] * (s > 0)
    return {"x": ((ds @ W2.T) * (a > 0)) @ W1.T}


def identity_forward_diagnosis(inputs: dict, value: Any, expected: list) -> Diagnosis:
    out = value[0] if isinstance(value, (tuple, list)) and value else None
    if _close(out, np.zeros_like(inputs["x"])):  # relu(F(x)) with F = 0: the identity path is missing
        return [msg("stability.res.identity_missing")], []
    return [], []


def identity_backward_diagnosis(inputs: dict, value: Any, expected: list) -> Diagnosis:
    dx = value[0] if isinstance(value, (tuple, list)) and value else None
    if _close(dx, np.zeros_like(inputs["forward"]["x"])):
        return _found("30")
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
                           diagnose=_keepdims_diagnosis, on_error=cache_error),
        GradientCheck("res.grad", bwd, _res_inputs(), params, 0.5, forward=fwd,
                      probes=[known_variant_probe({"30": _no_identity_dx})]),
        MutationCheck("res.mutation", bwd, lambda rng: {"dout": rng.standard_normal((RES_N, RES_D))}, 1,
                      forward=fwd, forward_inputs=_res_inputs()),
    ]
    return Exercise("residual", msg("exercise.residual"), "stability.py", [fwd, bwd], checks, section="residual",
                    builds_on=("affine", "relu"))


def exercises() -> list[Exercise]:
    return [_clip(), _init(), _l2(), _batchnorm(), _residual()]
