"""Exercise specs for the remedies against vanishing and exploding gradients
(lecture section "梯度消失和梯度爆炸的解决"): gradient clipping, initialisation and
L2 weight regularisation. Batch normalisation and the residual block are in
:mod:`grader.specs.normalisation`.

Inputs are chosen so that the mistakes of ``grader/mistakes.md`` (15-20) show: a
gradient below *and* above the clipping threshold, with one array whose own norm
is under the threshold (per-tensor clipping) and one entry above it (``np.clip``);
non-square layers 100 -> 10 (fan-in vs fan-out). Statistical checks use a
tolerance of ``Z`` standard errors computed from the sample size, so a correct
implementation fails them with probability < 1e-5.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..checks.compare import array_of, close
from ..checks.engine import Exercise
from ..checks.gradient import GradientCheck, Param
from ..checks.kinds import Output, PropertyCheck, RepeatedCallCheck, ValueCheck
from ..checks.model import Kind
from ..checks.mutation import MutationCheck
from ..i18n import Message, msg
from ..mistakes import Mistake
from .common import known_variant_probe

Diagnosis = tuple[list[Message], list[str]]
Z = 5.0  # standard errors allowed in statistical checks (two-sided p < 1e-6 each)


def found(*mistakes: Mistake, extra: list[Message] | None = None) -> Diagnosis:
    return (extra or []) + [msg(f"mistake.{m}.found") for m in mistakes], list(mistakes)


def cache_error(err: dict[str, Any]) -> Diagnosis:
    """Mistake 28: the backward pass fails on the cache of the student's own forward."""
    kind, text = err.get("type", ""), err.get("message", "")
    if (kind == "ValueError" and "unpack" in text) or kind in ("TypeError", "IndexError", "KeyError",
                                                               "AttributeError"):
        return found(Mistake.CACHE_LAYOUT_MISMATCH)
    return [], []


# ====================================================================== clipping
CLIP_SHAPES = [(3, 4), (5,), (2, 3, 2)]


def _clip_inputs(norms: list[float], shapes: list[tuple[int, ...]] = CLIP_SHAPES):
    """Gradients whose own norms are ``norms`` (multiples of v = max_norm)."""
    def make(rng: np.random.Generator) -> dict[str, Any]:
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


def clip_diagnosis(inputs: dict[str, Any], value: Any) -> Diagnosis:
    """Everything the lecture's rule implies about a clipped gradient, with known
    mistakes 15-17 named. Needs no reference, so it also runs in a self-check."""
    grads, v = inputs["grads"], inputs["max_norm"]
    if not isinstance(value, (tuple, list)) or len(value) != 2 or not isinstance(value[0], (list, tuple)):
        return [msg("stability.clip.bad_return")], []
    given = [array_of(a, g.shape) for a, g in zip(value[0], grads, strict=False)]
    outs = [o for o in given if o is not None]
    if len(value[0]) != len(grads) or len(outs) != len(grads):
        return [msg("stability.clip.bad_shapes", n=len(grads))], []
    total = _global_norm(grads)
    problems: list[Message] = []
    norm_back = array_of(value[1], ())
    if norm_back is None or not close(norm_back, total, rtol=1e-9, atol=0):
        problems.append(msg("stability.clip.norm_returned", want=total))
    if total <= v:
        if all(close(o, g, rtol=1e-12, atol=0) for o, g in zip(outs, grads, strict=True)):
            return problems, []
        if close(_global_norm(outs), v, rtol=1e-6):
            return found(Mistake.CLIP_ALWAYS, extra=problems)
        return problems + [msg("stability.clip.changed_below", norm=total, v=v)], []
    right = [g * (v / total) for g in grads]

    def matches(variant: list[np.ndarray]) -> bool:
        """The outputs are this variant, and the variant is not the right answer (with
        one array, clipping per tensor is clipping by the global norm)."""
        same = lambda a, b: all(close(o, p, rtol=1e-9, atol=1e-12) for o, p in zip(a, b, strict=True))  # noqa: E731
        return same(outs, variant) and not same(right, variant)

    if matches([np.clip(g, -v, v) for g in grads]):
        return found(Mistake.CLIP_PER_ELEMENT, extra=problems)
    per_tensor = [g * min(1.0, v / np.linalg.norm(g)) for g in grads]
    each_to_v = [g * v / np.linalg.norm(g) for g in grads]
    for variant in (per_tensor, each_to_v):
        if matches(variant):
            return found(Mistake.CLIP_PER_TENSOR, extra=problems)
    after = _global_norm(outs)
    if not close(after, v, rtol=1e-6):
        problems.append(msg("stability.clip.norm_after", got=after, v=v))
    scales = [float(np.sum(o * g) / np.sum(g * g)) for o, g in zip(outs, grads, strict=True)]
    parallel = all(close(o, s * g, rtol=1e-6, atol=1e-12) for o, s, g in zip(outs, scales, grads, strict=True))
    if not parallel or not close(np.asarray(scales), np.full(len(scales), scales[0]), rtol=1e-6) or scales[0] <= 0:
        problems.append(msg("stability.clip.direction"))
    return problems, []


def _clip() -> Exercise:
    above = _clip_inputs([2.0, 0.5, 1.5])  # global norm 2.55 v; the second array alone is below v
    # The norm is a by-product of clipping (it earns its share beside right clipped
    # gradients), and "unchanged below v" an edge case the identity passes (it counts
    # beside a right result): docs/scoring.md, "Partial credit".
    outputs = [Output(f"clipped[{i}]", (0, i)) for i in range(len(CLIP_SHAPES))] + [
        Output("total_norm", (1,), secondary=True)]
    checks = [
        PropertyCheck("clip.below", "clip_grad_norm", _clip_inputs([0.4, 0.3, 0.5]),
                      lambda value, inputs: clip_diagnosis(inputs, value), 2,
                      title=msg("stability.title.clip_below"), kind=Kind.EDGE),
        PropertyCheck("clip.above", "clip_grad_norm", above, lambda value, inputs: clip_diagnosis(inputs, value), 2,
                      title=msg("stability.title.clip_above")),
        ValueCheck("clip.value", "clip_grad_norm", above, outputs, 2,
                   diagnose=lambda inputs, value, expected: clip_diagnosis(inputs, value)),
        ValueCheck("clip.single", "clip_grad_norm", _clip_inputs([3.0], [(4, 6)]),
                   [Output("clipped[0]", (0, 0), ("row", "col")), Output("total_norm", (1,), secondary=True)], 1.5,
                   title=msg("stability.title.clip_single"),
                   diagnose=lambda inputs, value, expected: clip_diagnosis(inputs, value)),
        MutationCheck("clip.mutation", "clip_grad_norm", above),
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
    raw = value[0]
    if not (isinstance(raw, np.ndarray) and raw.dtype.kind in "biuf"):
        return None, [msg("stability.init.bad_return")], []
    W = array_of(raw, tuple(shape))
    if W is None:
        got = raw.shape
        problems = [msg("stability.init.shape", got=str(got), want=str(tuple(shape)))]
        if got == tuple(shape)[::-1]:
            return None, problems + [msg(f"mistake.{Mistake.INIT_FAN_OUT}.found")], [Mistake.INIT_FAN_OUT]
        return None, problems, []
    return W, [], []


def init_statistics(value: Any, inputs: dict[str, Any]) -> Diagnosis:
    """Mean and spread of W within Z standard errors of the method's N(0, sigma^2),
    biases exactly zero; mistakes 18 (fan-out) and 19 (constant) named."""
    shape, method = tuple(inputs["shape"]), inputs["method"]
    W, problems, mistakes = _weights(value, shape)
    if W is None:
        return problems, mistakes
    b = array_of(value[1], (shape[1],))
    if b is None or np.any(b != 0):
        problems.append(msg("stability.init.bias", want=str((shape[1],))))
    if not np.all(np.isfinite(W)):
        return problems + [msg("stability.init.nonfinite")], mistakes
    if np.all(W == W.flat[0]):
        return problems + [msg("stability.init.constant", value=float(W.flat[0])),
                           msg(f"mistake.{Mistake.INIT_CONSTANT}.found")], [Mistake.INIT_CONSTANT]
    sigma, n = init_scale(method, shape[0]), W.size
    z_mean = float(np.mean(W)) / (sigma / math.sqrt(n))
    z_var = variance_z(W, sigma)
    if abs(z_var) > Z or abs(z_mean) > Z:
        lo, hi = std_interval(n, sigma)
        problems.append(msg("stability.init.spread", method=method, got=float(np.sqrt(np.mean(W * W))),
                            mean=float(np.mean(W)), want=sigma, lo=lo, hi=hi, n=n, fan_in=shape[0]))
        fan_out = init_scale(method, shape[1])
        if method != "small" and abs(variance_z(W, fan_out)) <= Z:
            problems.append(msg(f"mistake.{Mistake.INIT_FAN_OUT}.found"))
            mistakes.append(Mistake.INIT_FAN_OUT)
    return problems, mistakes


def init_symmetry(value: Any, inputs: dict[str, Any]) -> Diagnosis:
    """No two neurons start alike: all rows and all columns of W differ (mistake 19)."""
    W, problems, mistakes = _weights(value, tuple(inputs["shape"]))
    if W is None:
        return problems, mistakes
    rows = len(np.unique(W, axis=0))
    cols = len(np.unique(W, axis=1))
    if rows < W.shape[0] or cols < W.shape[1]:
        return [msg("stability.init.symmetry", rows=W.shape[0] - rows, cols=W.shape[1] - cols),
                msg(f"mistake.{Mistake.INIT_CONSTANT}.found")], [Mistake.INIT_CONSTANT]
    return [], []


def init_reproducible(values: list[Any], inputs: list[dict[str, Any]]) -> Diagnosis:
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
                      title=msg("stability.title.init_stats", method=method, shape="(100, 10)"), result=True)
        for method in ("small", "xavier", "he")
    ] + [
        PropertyCheck("init.fan_in", "init_weights", _init_inputs((30, 200), "he"), init_statistics, 1,
                      title=msg("stability.title.init_stats", method="he", shape="(30, 200)"), result=True),
        PropertyCheck("init.symmetry", "init_weights", _init_inputs((100, 10), "xavier"), init_symmetry, 1,
                      title=msg("stability.title.init_symmetry"), result=True),  # symmetry breaking: a result
        # (reproducibility counts beside a result: np.full(shape, seed) is "reproducible")
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


def l2_diagnosis(inputs: dict[str, Any], value: Any) -> Diagnosis:
    """Mistake 20: biases/gamma/beta regularised, or loss and gradient a factor 2 apart."""
    params, reg = inputs["params"], inputs["reg"]
    if not isinstance(value, (tuple, list)) or len(value) != 2 or not isinstance(value[1], dict):
        return [msg("stability.l2.bad_return")], []
    grads = value[1]
    not_weights = [k for k in params if not k.startswith("W")]
    given = {k: array_of(grads.get(k), np.shape(params[k])) for k in not_weights}
    regularised = [k for k, g in given.items() if g is not None and np.any(g != 0)]
    if regularised:
        return found(Mistake.L2_INCONSISTENT, extra=[msg("stability.l2.not_weights", names=", ".join(regularised))])
    weights = [k for k in params if k.startswith("W")]
    if weights and all(close(grads.get(k), 2 * reg * params[k]) for k in weights):
        return found(Mistake.L2_INCONSISTENT, extra=[msg("stability.l2.factor")])
    loss = array_of(value[0], ())
    total = sum(float(np.sum(params[k] ** 2)) for k in weights)
    if loss is not None and total > 0 and close(loss, reg * total, rtol=1e-9):
        return found(Mistake.L2_INCONSISTENT, extra=[msg("stability.l2.factor")])
    return [], []


def _l2() -> Exercise:
    make = _l2_inputs(L2_SHAPES)
    outputs = [Output("loss", (0,))] + [Output(f"grads['{k}']", (1, k)) for k in L2_SHAPES]
    params = [Param(f"params['{k}']", f"grads['{k}']", path=(k,), arg="params", grad_path=(1, k))
              for k in ("W1", "b1", "gamma1", "W2")]
    twice = {Mistake.L2_INCONSISTENT:
             lambda i, d: {f"params['{k}']": 2 * i["reg"] * i["params"][k] for k in L2_WEIGHTS}}

    def no_weights(value, inputs):
        problems, mistakes = l2_diagnosis(inputs, value)
        loss = array_of(value[0], ()) if isinstance(value, (tuple, list)) and value else None
        if not problems and (loss is None or float(loss) != 0.0):
            problems, mistakes = found(Mistake.L2_INCONSISTENT, extra=[msg("stability.l2.loss_not_zero")])
        return problems, mistakes

    checks = [
        ValueCheck("l2.value", "l2_regularization", make, outputs, 2.5,
                   diagnose=lambda inputs, value, expected: l2_diagnosis(inputs, value)),
        GradientCheck("l2.grad", "l2_regularization", make, params, 0.5, probes=[known_variant_probe(twice)]),
        PropertyCheck("l2.not_weights", "l2_regularization",
                      _l2_inputs({"b1": (7,), "gamma1": (7,), "beta1": (7,)}), no_weights, 1,
                      title=msg("stability.title.l2_not_weights"), kind=Kind.EDGE),
        MutationCheck("l2.mutation", "l2_regularization", make),
    ]
    return Exercise("l2", msg("exercise.l2"), "stability.py", ["l2_regularization"], checks,
                    section="regularisation")


def exercises() -> list[Exercise]:
    return [_clip(), _init(), _l2()]
