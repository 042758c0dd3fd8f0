"""Gradient checks: a student's backward against the numerical gradient of the
student's *own* forward, and against the reference backward.

Numerical gradients use central differences, ``h = 1e-5``. Cheap random-direction
checks come first (``<g, v>`` against ``(L(p + h v) - L(p - h v)) / 2h`` for a few
unit directions ``v``); only when a parameter fails are single coordinates probed to
say *where* it is wrong (index, time step, gate block). Every parameter is its own
graded item, so one wrong gradient costs only its own points.

Two shapes of function are supported:

* a layer: ``forward(**inputs) -> (out..., cache)`` and ``backward(dout..., cache)
  -> grads`` in the order of ``params``; the scalar is ``L = sum_k <out_k, dout_k>``
  with random upstream gradients ``dout_k``;
* a loss: ``f(**inputs) -> (loss, grads)``, grads a tuple or dict; the scalar is the
  loss itself.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..i18n import Message, msg
from ..sandbox.protocol import Handle
from ..sandbox.session import Call
from .compare import as_float_array, compare
from .kinds import Inputs, extract, where
from .model import Check, CheckResult, Context, error_details, outcome_problem, warning_details

H = 1e-5
DIRECTIONS = 2
GRAD_TOL = 1e-5  # relative error of a directional derivative
MAX_PROBED_COORDS = 48


@dataclass(frozen=True)
class Param:
    """A parameter whose gradient is checked."""

    name: str  # the input's argument name, e.g. "w" or "params['W1']"
    grad: str  # the gradient's name in feedback, e.g. "dw"
    path: tuple = ()  # where the input sits inside inputs[arg] (for dict inputs)
    arg: str = ""  # argument name; defaults to ``name``
    grad_path: tuple = ()  # where the gradient sits in the backward's return value
    axes: tuple[str, ...] = ()
    blocks: tuple[str, ...] = ()  # named equal blocks along ``block_axis`` (gates)
    block_axis: int = -1

    @property
    def argname(self) -> str:
        return self.arg or self.name


@dataclass
class _Analytic:
    """One run of the student's forward and backward: what the checks need of it."""

    output: str = ""
    warnings: dict[str, Any] = field(default_factory=dict)
    grads: dict[str, Any] | None = None
    douts: list[np.ndarray] | None = None
    low_precision: bool = False  # float32/float16 results (mistake 31)
    failure: tuple[list[Message], dict] | None = None

    def fail(self, messages: list[Message], details: dict | None = None) -> _Analytic:
        self.failure = (messages, details or {})
        return self


Probe = Callable[["GradientCheck", Context, Inputs, dict], tuple[list[Message], list[str]]]


@dataclass
class GradientCheck(Check):
    """Numerical and reference checks of every gradient of one backward (or loss)."""

    id: str
    func: str  # the backward (layer) or the loss function
    inputs: Callable[[np.random.Generator], Inputs]
    params: list[Param]
    points_numeric: float
    points_reference: float = 0.0
    forward: str | None = None  # None: ``func`` is a loss returning (loss, grads)
    n_outputs: int = 1  # forward outputs before the cache (layer form)
    probes: list[Probe] = field(default_factory=list)
    exercise: str = ""

    def max_points(self) -> float:
        return len(self.params) * (self.points_numeric + self.points_reference)

    # -------------------------------------------------------------- objective
    def _perturbed(self, inputs: Inputs, p: Param, delta: np.ndarray) -> Inputs:
        new = dict(inputs)
        target = copy.deepcopy(inputs[p.argname]) if p.path else inputs[p.argname]
        if p.path:
            holder = target
            for step in p.path[:-1]:
                holder = holder[step]
            holder[p.path[-1]] = holder[p.path[-1]] + delta
            new[p.argname] = target
        else:
            new[p.argname] = target + delta
        return new

    def param_value(self, inputs: Inputs, p: Param) -> np.ndarray:
        value, _ = extract(inputs[p.argname], p.path)
        return value

    def objective_calls(self, many: list[Inputs]) -> list[Call]:
        fn = self.forward or self.func
        return [Call(fn, tuple(i.values()), keep=(-1,) if self.forward else ()) for i in many]

    def objective_values(self, outcomes: list, douts: list[np.ndarray] | None) -> list[float | None]:
        vals: list[float | None] = []
        for o in outcomes:
            if not o.ok or not isinstance(o.value, (tuple, list)):
                vals.append(None)
                continue
            if self.forward is None:
                loss = as_float_array(o.value[0]) if o.value else None
                vals.append(float(loss) if loss is not None and loss.size == 1 else None)
                continue
            total = 0.0
            for k, dout in enumerate(douts or []):
                out = as_float_array(o.value[k]) if k < len(o.value) else None
                if out is None or out.shape != dout.shape:
                    total = math.nan
                    break
                total += float(np.sum(out * dout))
            vals.append(None if math.isnan(total) else total)
        return vals

    # -------------------------------------------------------------------- run
    def run(self, ctx: Context) -> list[CheckResult]:
        rng = ctx.rng(self.id)
        inputs = self.inputs(rng)
        results = {
            p.name: CheckResult(f"{self.id}.{p.grad}", self.exercise, self.func, "gradient",
                                msg("title.gradient", func=self.func, grad=p.grad), self.points_numeric)
            for p in self.params
        }
        ref_results = {
            p.name: CheckResult(f"{self.id}.{p.grad}.reference", self.exercise, self.func, "backward",
                                msg("title.backward_reference", func=self.func, grad=p.grad),
                                self.points_reference)
            for p in self.params
        } if self.points_reference and ctx.reference is not None else {}
        every = list(results.values()) + list(ref_results.values())

        run = self._analytic(ctx, inputs, rng)
        grads, douts, output, failure = run.grads, run.douts, run.output, run.failure
        for r in every:
            r.output = output
            r.details.update(run.warnings)
        if failure is not None:
            for r in every:
                r.failed(*failure[0])
                r.details.update(failure[1])
            return every

        state: dict[str, Any] = {"inputs": inputs, "douts": douts, "grads": grads}
        failing: list[Param] = []
        for p in self.params:
            res = results[p.name]
            ok = self._numeric(ctx, p, inputs, grads[p.name], douts, rng, res)
            if not ok:
                failing.append(p)
                if run.low_precision or _low_precision(grads[p.name]):
                    res.messages.append(msg("mistake.31.found"))
                    res.mistakes.append("31")
        if failing and self.probes:
            state["failing"] = [p.name for p in failing]
            for probe in self.probes:
                extra, mistakes = probe(self, ctx, inputs, state)
                for p in failing:
                    results[p.name].messages.extend(extra)
                    results[p.name].mistakes.extend(m for m in mistakes if m not in results[p.name].mistakes)
        if ref_results:
            self._against_reference(ctx, inputs, douts, grads, ref_results)
        return every

    def _analytic(self, ctx: Context, inputs: Inputs, rng: np.random.Generator) -> _Analytic:
        """Run the student's forward and backward once; grads by param name."""
        if self.forward is None:
            o = ctx.call(self.func, tuple(inputs.values()))
            run = _Analytic(output=o.output, warnings=warning_details(o))
            if not o.ok:
                return run.fail([outcome_problem(self.func, o)], error_details(o))
            if not isinstance(o.value, (tuple, list)) or len(o.value) < 2:
                return run.fail([msg("gradient.bad_loss_return", func=self.func)])
            grads_value = o.value
            run.low_precision = _low_precision(o.value[0])
        else:
            f = ctx.call(self.forward, tuple(inputs.values()), keep=(-1,))
            run = _Analytic(output=f.output, warnings=warning_details(f))
            if not f.ok:
                return run.fail([outcome_problem(self.forward, f),
                                 msg("gradient.forward_failed", forward=self.forward)], error_details(f))
            if (not isinstance(f.value, (tuple, list)) or len(f.value) != self.n_outputs + 1
                    or not isinstance(f.value[-1], Handle)):
                return run.fail([msg("call.bad_forward_return", func=self.forward)])
            run.low_precision = any(_low_precision(v) for v in f.value[:-1])
            run.douts = []
            for k in range(self.n_outputs):
                out = as_float_array(f.value[k])
                if out is None:
                    return run.fail([msg("gradient.forward_not_array", forward=self.forward)])
                run.douts.append(rng.standard_normal(out.shape))
            b = ctx.call(self.func, tuple(run.douts) + (f.value[-1],))
            run.warnings = warning_details(f, b)
            run.output = f.output + b.output
            if not b.ok:
                return run.fail([outcome_problem(self.func, b)], error_details(b))
            grads_value = b.value
        run.grads = {}
        for p in self.params:
            path = p.grad_path if p.grad_path else ((self.params.index(p),) if len(self.params) > 1 else ())
            g, found = extract(grads_value, path)
            run.grads[p.name] = g if found else None
        return run

    def _numeric(self, ctx: Context, p: Param, inputs: Inputs, g: Any, douts, rng, res: CheckResult) -> bool:
        value = self.param_value(inputs, p)
        ga = as_float_array(g)
        if ga is None:
            res.failed(msg("gradient.missing", func=self.func, grad=p.grad))
            return False
        if ga.shape != value.shape:
            res.failed(msg("gradient.shape", func=self.func, grad=p.grad,
                           got=str(ga.shape), want=str(value.shape)))
            if ga.squeeze().shape == value.squeeze().shape and ga.ndim > value.ndim:
                res.mistakes.append("25")
            elif ga.size == value.size or (ga.ndim == value.ndim == 1):
                res.mistakes.append("29")
            res.messages.extend(msg(f"mistake.{m}.found") for m in res.mistakes)
            return False
        if not np.all(np.isfinite(ga)):
            res.failed(msg("gradient.nonfinite", func=self.func, grad=p.grad))
            return False
        dirs = []
        for _ in range(DIRECTIONS):
            v = rng.standard_normal(value.shape)
            dirs.append(v / max(np.linalg.norm(v), 1e-12))
        batch = []
        for v in dirs:
            batch += [self._perturbed(inputs, p, H * v), self._perturbed(inputs, p, -H * v)]
        vals = self.objective_values(ctx.call_many(self.objective_calls(batch)), douts)
        errs, ratios = [], []
        for k, v in enumerate(dirs):
            lp, lm = vals[2 * k], vals[2 * k + 1]
            if lp is None or lm is None:
                res.failed(msg("gradient.forward_failed", forward=self.forward or self.func))
                return False
            num = (lp - lm) / (2 * H)
            ana = float(np.sum(ga * v))
            errs.append(abs(num - ana) / max(abs(num), abs(ana), 1e-6))
            if abs(num) > 1e-8:
                ratios.append(ana / num)
        worst = max(errs)
        res.details["rel_error"] = worst
        if worst <= GRAD_TOL:
            res.passed()
            return True
        res.failed(msg("gradient.mismatch", func=self.func, grad=p.grad, err=worst))
        self._localise(ctx, p, inputs, ga, douts, rng, res)
        n = next(iter(inputs.values())).shape[0] if isinstance(next(iter(inputs.values())), np.ndarray) else 0
        if ratios and n > 1 and all(abs(r * n - 1) < 1e-3 for r in ratios):
            res.messages.append(msg("mistake.21.found", ratio=f"1/{n}"))
            res.mistakes.append("21")
        return False

    def _localise(self, ctx: Context, p: Param, inputs: Inputs, ga: np.ndarray, douts, rng, res: CheckResult):
        """Probe single coordinates to say where the gradient is wrong."""
        value = self.param_value(inputs, p)
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
        batch = []
        for c in coords:
            e = np.zeros(size)
            e[c] = H
            e = e.reshape(value.shape)
            batch += [self._perturbed(inputs, p, e), self._perturbed(inputs, p, -e)]
        vals = self.objective_values(ctx.call_many(self.objective_calls(batch)), douts)
        wrong_blocks: set[str] = set()
        worst_err, worst_idx, n_bad = 0.0, None, 0
        for k, c in enumerate(coords):
            lp, lm = vals[2 * k], vals[2 * k + 1]
            if lp is None or lm is None:
                continue
            num = (lp - lm) / (2 * H)
            ana = float(ga.flat[c])
            err = abs(num - ana) / max(abs(num) + abs(ana), 1e-7)
            if err > 1e-4 and abs(num - ana) > 1e-7:
                n_bad += 1
                idx = tuple(int(i) for i in np.unravel_index(c, value.shape))
                if p.blocks:
                    axis = p.block_axis % value.ndim
                    wrong_blocks.add(p.blocks[idx[axis] // (value.shape[axis] // len(p.blocks))])
                if err > worst_err:
                    worst_err, worst_idx = err, idx
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

    def _against_reference(self, ctx: Context, inputs: Inputs, douts, grads, ref_results) -> None:
        assert ctx.reference is not None
        fresh = copy.deepcopy(inputs)
        if self.forward is None:
            ref_value = ctx.reference[self.func](**fresh)[1]
        else:
            ref_out = ctx.reference[self.forward](**fresh)
            ref_douts = [copy.deepcopy(d) for d in douts]
            for k, d in enumerate(ref_douts):
                if np.shape(ref_out[k]) != d.shape:
                    for r in ref_results.values():
                        r.failed(msg("gradient.reference_shape", forward=self.forward))
                    return
            ref_value = ctx.reference[self.func](*ref_douts, ref_out[-1])
        for p in self.params:
            res = ref_results[p.name]
            path = p.grad_path if p.grad_path else ((self.params.index(p),) if len(self.params) > 1 else ())
            expected, _ = extract(ref_value, path)
            got = grads[p.name]
            cmp = compare(got, np.asarray(expected), rtol=1e-6, atol=1e-9)
            res.details["rel_error"] = cmp.worst_rel_error
            if cmp.ok:
                res.passed()
            elif cmp.problem == "shape":
                res.failed(msg("gradient.shape", func=self.func, grad=p.grad,
                               got=str(cmp.received_shape), want=str(cmp.expected_shape)))
            elif cmp.problem == "type":
                res.failed(msg("gradient.missing", func=self.func, grad=p.grad))
            else:
                res.failed(msg("backward.mismatch", func=self.func, grad=p.grad, err=cmp.worst_rel_error,
                               where=where(cmp.worst_index, p.axes)))


def _low_precision(v: Any) -> bool:
    """Mistake 31: an array computed in float32/float16 (or integers where floats are due)."""
    return isinstance(v, np.ndarray) and v.dtype.kind in "fc" and v.dtype.itemsize < 8
