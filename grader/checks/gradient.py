"""Gradient checks: a student's backward against the numerical gradient of the
student's *own* forward, and against the reference backward.

Every parameter is its own graded item (two with the reference: numerical and
reference), so one wrong gradient costs only its own points. Cheap random-direction
checks come first (``<g, v>`` against the central difference of the forward along
``v``, :mod:`grader.checks.numeric`); only when an item fails are single
coordinates probed to say *where* it is wrong (:mod:`grader.checks.localise`), and
the spec's probes say why.

What passes is the policy's (:func:`grader.checks.policy.numeric_verdict`): a
gradient right for the student's own forward - a forward that really depends on
that input - or, where the forward's output is right, right for the reference.
A forward that is wrong on the check's inputs is worked around
(:mod:`grader.checks.backward`); failing items with no input where it is right are
pending.

Two shapes of function are supported:

* a layer: ``forward(**inputs) -> (out..., cache)`` and ``backward(dout..., cache)
  -> grads`` in the order of ``params``; the scalar is ``L = sum_k <out_k, dout_k>``
  with random upstream gradients ``dout_k`` shaped as ``out_shapes(inputs)``
  declares (never as the student's outputs are);
* a loss: ``f(**inputs) -> (loss, grads)``, grads a tuple or dict; the scalar is the
  loss itself.

Over 400 lines: one check kind, the gradient check (its items, the random-direction
comparison, the reference comparison, the waiting rules); localisation, the numerical
core and the backward workarounds are their own modules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..i18n import Message, msg
from ..mistakes import Mistake
from . import numeric, policy
from .backward import (
    Reference,
    Step,
    Trial,
    call_backward_again,
    forward_is_right,
    forward_precision,
    run_reference,
    run_student,
    wait_for_forward,
    where_forward_is_right,
)
from .compare import TOL, array_of, compare
from .kinds import Inputs, extract, failed_call, where
from .localise import explain
from .memo import digest, recalled, remembered
from .model import Check, CheckResult, Context, Kind, PublicCase, Status, error_details
from .precision import ROUNDING_ONLY, low_precision, rounding_probe
from .shapes import diagnose_shape


@dataclass(frozen=True)
class Param:
    """A parameter whose gradient is checked."""

    name: str  # the input's argument name, e.g. "w" or "params['W1']"
    grad: str  # the gradient's name in feedback, e.g. "dw"
    path: tuple[Any, ...] = ()  # where the input sits inside inputs[arg] (for dict inputs)
    arg: str = ""  # argument name; defaults to ``name``
    grad_path: tuple[Any, ...] = ()  # where the gradient sits in the backward's return value
    axes: tuple[str, ...] = ()
    blocks: tuple[str, ...] = ()  # named equal blocks along ``block_axis`` (gates)
    block_axis: int = -1

    @property
    def argname(self) -> str:
        return self.arg or self.name


Probe = Callable[["GradientCheck", Context, Inputs, dict[str, Any]], tuple[list[Message], list[str]]]


@dataclass
class _Case:
    inputs: Inputs
    douts: list[np.ndarray]  # upstream gradients (empty for a loss)
    ref: Reference | None  # the reference's run, or the public case's
    later: Callable[[], Reference] | None = None  # the reference's run, not made yet (see ``run``)


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
    out_shapes: Callable[[Inputs], list[tuple[int, ...]]] | None = None  # layer form: the outputs' shapes
    probes: list[Probe] = field(default_factory=list)
    exercise: str = ""
    label: str = ""  # tells apart checks of one function on different setups (e.g. "relu, softmax")

    def __post_init__(self) -> None:
        if self.forward is not None and self.out_shapes is None:
            raise ValueError(f"{self.id}: a layer's gradient check must declare out_shapes")

    def max_points(self) -> float:
        return len(self.params) * (self.points_numeric + self.points_reference)

    @property
    def second_pass(self) -> bool:
        return self.points_reference > 0

    def points_by_kind(self) -> dict[Kind, float]:
        n = len(self.params)
        return {Kind.GRADIENT: n * self.points_numeric, Kind.BACKWARD: n * self.points_reference}

    def functions(self) -> tuple[str, ...]:
        return (self.func,) + ((self.forward,) if self.forward else ())

    @property
    def step(self) -> Step:
        return Step(self.func, self.forward, self.n_outputs)

    def shapes(self, inputs: Inputs) -> tuple[tuple[int, ...], ...]:
        if self.forward is None:
            return ((),)
        assert self.out_shapes is not None
        return tuple(tuple(s) for s in self.out_shapes(inputs))

    def forward_spec(self, inputs: Inputs) -> numeric.Forward:
        return numeric.Forward(self.forward or self.func, self.shapes(inputs), cache=self.forward is not None)

    def weights(self, douts: list[np.ndarray]) -> list[np.ndarray]:
        """The upstream gradients of the scalar whose derivative is checked (a loss: 1)."""
        return douts if self.forward is not None else [np.asarray(1.0)]

    def param_value(self, inputs: Inputs, p: Param) -> np.ndarray:
        value, _ = extract(inputs[p.argname], p.path)
        return value

    def grad_path(self, p: Param) -> tuple[Any, ...]:
        return p.grad_path if p.grad_path else ((self.params.index(p),) if len(self.params) > 1 else ())

    # ------------------------------------------------------------------ cases
    def upstream(self, rng: np.random.Generator, inputs: Inputs) -> list[np.ndarray]:
        """Random upstream gradients, shaped as the outputs (a loss: none)."""
        return [rng.standard_normal(s) for s in self.shapes(inputs)] if self.forward else []

    def _reference_case(self, reference: dict[str, Callable[..., Any]], rng: np.random.Generator,
                        ctx: Context | None = None, deferred: bool = False) -> _Case:
        """The inputs and upstream gradients drawn from ``rng``, with the reference's run
        on them (``deferred``: made by ``case.later()`` when needed)."""
        inputs = self.inputs(rng)
        douts = self.upstream(rng, inputs)

        def run() -> Reference:
            if ctx is None:
                ref = run_reference(reference, self.step, inputs, douts)
            else:  # the same draw again (with the reference's blocks, explained, a second-pass item)
                # Kept as plain values (copied by copies.fresh, not copy.deepcopy's general path).
                ref = Reference(*recalled(ctx.memo, ("gradient", self.id, ctx.salt, id(reference)),
                                          (inputs, douts),
                                          lambda: _plain(run_reference(reference, self.step, inputs, douts))))
            if self.forward and [o.shape for o in ref.outputs] != list(self.shapes(inputs)):
                raise AssertionError(f"{self.id}: out_shapes disagree with the reference's outputs")
            return ref

        return _Case(inputs, douts, None, run) if deferred else _Case(inputs, douts, run())

    def public_case(self, reference: dict[str, Callable[..., Any]], rng: np.random.Generator) -> PublicCase:
        case = self._reference_case(reference, rng)
        assert case.ref is not None
        return PublicCase({"inputs": case.inputs, "upstream": case.douts}, [case.ref.outputs, case.ref.value])

    def _case(self, ctx: Context, rng: np.random.Generator) -> _Case:
        if ctx.reference is not None:
            return self._reference_case(ctx.reference, rng, ctx, deferred=True)
        if ctx.public_cases and self.id in ctx.public_cases:
            pc = ctx.public_cases[self.id]
            douts = [np.asarray(d, dtype=np.float64) for d in pc.inputs["upstream"]]
            outputs = [np.asarray(o, dtype=np.float64) for o in pc.expected[0]]
            return _Case(pc.inputs["inputs"], douts, Reference(outputs, pc.expected[1]))
        inputs = self.inputs(rng)
        return _Case(inputs, self.upstream(rng, inputs), None)

    # -------------------------------------------------------------------- run
    def run(self, ctx: Context) -> list[CheckResult]:
        rng = ctx.rng(self.id)
        numeric_items = {p.name: self._item(p, Kind.GRADIENT) for p in self.params}
        memo_key = f"{self.id}:{','.join(ctx.substitute)}"
        if ctx.salt:  # the second pass: the reference items only, on the first run's cache
            return self._again(ctx, *ctx.memo[memo_key]) if memo_key in ctx.memo else []
        case = self._case(ctx, rng)
        reference_items = {p.name: self._item(p, Kind.BACKWARD) for p in self.params
                           } if self.points_reference and (case.ref is not None or case.later is not None) else {}
        every = list(numeric_items.values()) + list(reference_items.values())

        trial = run_student(ctx, self.step, case.inputs, case.douts)
        if trial.failure is None and case.later is not None:  # the reference runs only when it is needed
            case.ref = case.later()
        if trial.failure is not None:
            assert trial.outcome is not None
            for r in every:
                r.output = trial.output
                r.details.update(trial.warnings)
                r.details.update(error_details(trial.outcome))
                r.details["call"] = str(trial.outcome.status)
                r.failed(*trial.failure)
                r.mistakes.extend(m for m in trial.mistakes if m not in r.mistakes)
            return every
        # Agreeing with the student's own forward counts only where that forward (a
        # layer's outputs, a loss's value) is right: a backward that differentiates a
        # wrong forward waits for it (policy rule 2), unless it is right anyway.
        right = case.ref is not None and forward_is_right(trial, case.ref)
        self._judge(ctx, rng, trial, case.ref, right, self.params, numeric_items, reference_items)
        failing = [p for p in self.params if _on_forward(p, numeric_items, reference_items)]
        if failing and case.ref is not None and not right:
            found = where_forward_is_right(ctx, self.step, case.inputs, case.douts)
            waiting = [r for p in failing for r in (numeric_items[p.name], reference_items.get(p.name))
                       if r is not None and _depends_on_forward(r)]
            for r in waiting:
                r.messages.clear()
                r.mistakes.clear()
            if found is None:
                wait_for_forward(waiting, self.step, forward_precision(ctx, self.step, trial, case.ref.outputs)
                                 if waiting else None)
            else:
                trial, case.ref = found
                case.inputs = trial.inputs
                for r in waiting:
                    r.details["variant"] = True
                self._judge(ctx, rng, trial, case.ref, True, failing, numeric_items, reference_items, variant=True)
                right = True
        if right and self.forward is not None:
            self._wait_if_float32(ctx, trial, numeric_items, reference_items)
        if trial.cache is not None and reference_items:  # for the second call (policy rule 5)
            expected = {p.name: self._reference_grad(case.ref, p) for p in self.params}
            ctx.memo[memo_key] = (trial.cache, case.douts, expected, trial.inputs)
        policy.settle_trivial(every)
        if ctx.explain:
            explain(self, ctx, rng, trial, numeric_items)
        return every

    def _wait_if_float32(self, ctx: Context, trial: Trial, numeric_items: dict[str, CheckResult],
                         reference_items: dict[str, CheckResult]) -> None:
        """A forward right within the tolerance that computes in float32 inside
        (mistake 31, found by :func:`~.precision.rounding_probe`): its numerical gradient
        is rounding noise and the true derivative is measured on float32 results, so the
        backward cannot be judged on it; the items that failed on it (against the
        forward's own derivative, or against the true one where only that counts: a
        variant of the inputs, the reference's building blocks) wait, as where the
        forward's values fall outside the tolerance, instead of failing with
        localisations of that noise."""
        def on_it(r: CheckResult | None) -> bool:
            return r is not None and (_depends_on_forward(r) or r.details.get("verdict") == "wrong")

        failing = [p for p in self.params if on_it(numeric_items[p.name]) or on_it(reference_items.get(p.name))]
        if not any(numeric_items[p.name].details.get("verdict") in ("mismatch", "wrong") for p in failing) \
                or not rounding_probe(ctx, self.forward_spec(trial.inputs), trial.inputs):
            return
        waiting = [r for p in failing for r in (numeric_items[p.name], reference_items.get(p.name))
                   if r is not None and on_it(r)]
        for r in waiting:
            r.messages.clear()
            r.mistakes.clear()
        wait_for_forward(waiting, self.step, "float32")

    # ------------------------------------------------------------------ judge
    def _item(self, p: Param, kind: Kind) -> CheckResult:
        key = "title.gradient" if kind == Kind.GRADIENT else "title.backward_reference"
        title = (msg(key + "_of", func=self.func, grad=p.grad, label=self.label) if self.label
                 else msg(key, func=self.func, grad=p.grad))
        if kind == Kind.GRADIENT:
            res = CheckResult(f"{self.id}.{p.grad}", self.exercise, self.func, kind, title, self.points_numeric)
        else:
            res = CheckResult(f"{self.id}.{p.grad}.reference", self.exercise, self.func, kind, title,
                              self.points_reference)
        res.details.update({"group": self.id, "grad": p.grad})
        if self.label:
            res.details["label"] = self.label
        return res

    def _grads(self, trial: Trial) -> dict[str, Any]:
        return {p.name: extract(trial.value, self.grad_path(p))[0] for p in self.params}

    def _judge(self, ctx: Context, rng: np.random.Generator, trial: Trial, ref: Reference | None, right: bool,
               params: list[Param], numeric_items: dict[str, CheckResult],
               reference_items: dict[str, CheckResult], variant: bool = False) -> None:
        """Judge the items of ``params`` on ``trial``; ``right``: the student's forward is
        right there, ``variant``: only at that point (a variant of rule 3), not around it."""
        inputs, weights = trial.inputs, self.weights(trial.douts)
        grads = self._grads(trial)
        for p in params:
            for r in (numeric_items[p.name], reference_items.get(p.name)):
                if r is not None:
                    r.output = trial.output
                    r.details.update(trial.warnings)
        # the numerical items: every direction of every parameter in one batch of calls
        directions: dict[str, list[np.ndarray]] = {}
        arrays: dict[str, np.ndarray] = {}
        for p in params:
            value = self.param_value(inputs, p)
            ga = self._usable(p, grads[p.name], value, numeric_items[p.name])
            if ga is not None:
                arrays[p.name] = ga
                directions[p.name] = [numeric.unit(rng, value.shape) for _ in range(numeric.DIRECTIONS)]
        batch = [numeric.Direction(p.argname, v, p.path) for p in params if p.name in directions
                 for v in directions[p.name]]
        # The numerical derivatives of the student's own forward decide only where that
        # forward is right around the inputs: not where it is wrong, nor on a variant of
        # the inputs (right at that point: moving a zeroed bias or a symmetrised weight
        # leaves the variant), so there a gradient can only be "right" (the true
        # derivative) and they are not measured. Nor are they with the reference's
        # building blocks and a right forward: the gradient can only be "right" there too
        # (and each of its own derivatives would cost a callback per block, per call).
        shortcut = ref is not None and (not right or variant or bool(ctx.substitute))
        diffs = iter([None] * len(batch) if shortcut else
                     numeric.differences(ctx, self.forward_spec(inputs), inputs, batch))
        measured: dict[str, tuple[list[Any], list[Any], list[Any] | None]] = {}
        for p in params:
            if p.name not in directions:
                continue
            ref_grad = self._reference_grad(ref, p)
            num = [numeric.derivative(next(diffs), weights) for _ in directions[p.name]]
            ana = [numeric.along(arrays[p.name], v) for v in directions[p.name]]
            refs = [float(np.sum(ref_grad * v)) for v in directions[p.name]] if ref_grad is not None else None
            measured[p.name] = (ana, num, refs)
        without_reference = ref is None and measured and all(
            n is not None and abs(n) <= TOL.nonzero for _, ns, _ in measured.values() for n in ns)
        inputs_digest: bytes | None = None  # digested once for every parameter's memo key
        for name, (ana, num, refs) in measured.items():
            res = numeric_items[name]
            p = next(q for q in params if q.name == name)
            res.details["rel_error"] = max((abs(a - n) / max(abs(a), abs(n), TOL.directional_floor)
                                            for a, n in zip(ana, num, strict=True) if a is not None and n is not None),
                                           default=None)
            res.details["trivial"] = refs is not None and not np.any(refs)
            if without_reference:
                verdict = "degenerate"
            elif refs is None:  # a self-check without the public case: nothing tells a right forward
                verdict = policy.numeric_verdict(ana, num, None)
            else:
                own = right and not shortcut
                verdict = policy.numeric_verdict(ana, num, refs, forward_right=own)
                if verdict not in ("consistent", "right"):
                    if inputs_digest is None:
                        inputs_digest = digest(inputs)
                    correct = self._correct_derivatives(ctx, inputs, weights, p, directions[name], refs,
                                                        inputs_digest)
                    verdict = policy.numeric_verdict(ana, num, refs, correct, forward_right=own)
                    if verdict == "waiting" and right:  # the forward is right here: the gradient is not
                        verdict = "wrong"
                        res.details["rel_error"] = max((abs(a - c) / max(abs(a), abs(c), TOL.directional_floor)
                                                        for a, c in zip(ana, correct, strict=True)
                                                        if a is not None and c is not None), default=0.0)
            res.details["verdict"] = verdict
            if verdict in ("consistent", "right"):
                res.passed()
            elif verdict == "waiting":
                res.failed()  # made pending below, unless a variant of the inputs decides it
            elif verdict == "wrong":
                res.failed(msg("gradient.mismatch_true", func=self.func, grad=p.grad, err=res.details["rel_error"]))
            elif verdict == "degenerate":
                res.failed(msg("gradient.degenerate", func=self.func, grad=p.grad,
                               forward=self.forward or self.func, param=p.name))
            elif any(n is None for n in num):
                res.failed(msg("gradient.forward_failed", forward=self.forward or self.func))
            else:
                res.failed(msg("gradient.mismatch", func=self.func, grad=p.grad, err=res.details["rel_error"]))
        # the reference items
        rounding: list[bool] = []  # the forward found imprecise (probed once, when needed)
        for p in params:
            item = reference_items.get(p.name)
            if item is None:
                continue
            res = item
            expected = self._reference_grad(ref, p)
            assert expected is not None
            res.details["trivial"] = not np.any(expected)
            cmp = compare(grads[p.name], expected)
            res.details["rel_error"] = cmp.worst_rel_error if cmp.problem not in ("type", "shape") else None
            res.details["problem"] = cmp.problem
            if cmp.ok:
                res.passed()
            elif cmp.problem == "shape":
                res.failed(msg("gradient.shape", func=self.func, grad=p.grad,
                               got=str(cmp.received_shape), want=str(cmp.expected_shape)))
                said, named = diagnose_shape(cmp.received_shape or (), cmp.expected_shape or (), p.grad,
                                             gradient=True)
                res.messages.extend(said + [msg(f"mistake.{m}.found") for m in named])
                res.mistakes.extend(m for m in named if m not in res.mistakes)
            elif cmp.problem == "type":
                res.failed(msg("gradient.missing", func=self.func, grad=p.grad))
            else:
                res.failed(msg("backward.mismatch", func=self.func, grad=p.grad, err=cmp.worst_rel_error,
                               where=where(cmp.worst_index, p.axes)))
                arithmetic = low_precision(grads[p.name], expected)
                if not arithmetic and cmp.problem == "values" and cmp.worst_rel_error <= ROUNDING_ONLY \
                        and self.forward is not None:
                    if not rounding:
                        rounding.append(rounding_probe(ctx, self.forward_spec(inputs), inputs))
                    arithmetic = "float32" if rounding[0] else None
                if arithmetic:  # the cause, first
                    res.messages.insert(0, msg("diagnosis.low_precision", func=self.func, output=p.grad,
                                               arithmetic=arithmetic))
                    res.mistakes.append(Mistake.LOW_PRECISION)

    def _correct_derivatives(self, ctx: Context, inputs: Inputs, weights: list[np.ndarray], p: Param,
                             directions: list[np.ndarray], refs: list[float],
                             inputs_digest: bytes) -> list[float | None]:
        """The true derivatives along ``directions``: the numerical derivatives of the
        reference's forward (official), or the public case's gradient (self-check);
        ``inputs_digest``: :func:`~.memo.digest` of ``inputs``."""
        if ctx.reference is None:
            return list(refs)
        fn = ctx.reference[self.forward or self.func]
        spec = self.forward_spec(inputs)
        moves = [numeric.Direction(p.argname, v, p.path) for v in directions]
        diffs = remembered(ctx.memo, "differences", fn, (spec.func, spec.shapes, spec.cache, inputs_digest,
                                                         [(d.arg, d.v, d.path) for d in moves]),
                           lambda: numeric.trusted_differences(fn, spec, inputs, moves))
        return [numeric.derivative(d, weights) for d in diffs]

    def _reference_grad(self, ref: Reference | None, p: Param) -> np.ndarray | None:
        if ref is None:
            return None
        g, found = extract(ref.value, self.grad_path(p))
        return np.asarray(g, dtype=np.float64) if found else None

    def _usable(self, p: Param, g: Any, value: np.ndarray, res: CheckResult) -> np.ndarray | None:
        """The student's gradient as float64 when it has the parameter's shape and is
        finite; otherwise ``res`` fails saying why."""
        ga = array_of(g, value.shape)
        if ga is not None and np.all(np.isfinite(ga)):
            return ga
        cmp = compare(g, value)
        if cmp.problem == "type":
            res.failed(msg("gradient.missing", func=self.func, grad=p.grad))
        elif cmp.problem == "shape":
            got, want = cmp.received_shape or (), value.shape
            res.failed(msg("gradient.shape", func=self.func, grad=p.grad, got=str(got), want=str(want)))
            said, named = diagnose_shape(got, want, p.grad, gradient=True)
            res.messages.extend(said)
            res.mistakes.extend(m for m in named if m not in res.mistakes)
            res.messages.extend(msg(f"mistake.{m}.found") for m in res.mistakes)
        else:
            res.failed(msg("gradient.nonfinite", func=self.func, grad=p.grad))
        return None

    # ----------------------------------------------------------- second pass
    def _again(self, ctx: Context, cache: Any, douts: list[np.ndarray],
               expected: dict[str, Any], inputs: Inputs) -> list[CheckResult]:
        """The backward called once more on the cache of its first right forward, made
        from ``inputs`` (made again there when the process that held it was restarted;
        a result off by rounding only is probed for float32 there, as on the first
        call, so it is not taken for state kept between calls)."""
        out: list[CheckResult] = []
        rounding: list[bool] = []
        outcome = call_backward_again(ctx, self.step, cache, inputs, douts)
        for p in self.params:
            res = self._item(p, Kind.BACKWARD)
            if not outcome.ok:
                out.append(failed_call(res, self.func, outcome))
                continue
            got, _ = extract(outcome.value, self.grad_path(p))
            cmp = compare(got, np.asarray(expected[p.name], dtype=np.float64))
            out.append(res.passed() if cmp.ok else res.failed(
                msg("backward.mismatch", func=self.func, grad=p.grad, err=cmp.worst_rel_error,
                    where=where(cmp.worst_index, p.axes))))
            arithmetic = None if cmp.ok else low_precision(got, expected[p.name])
            if not cmp.ok and not arithmetic and cmp.problem == "values" and cmp.worst_rel_error <= ROUNDING_ONLY \
                    and self.forward is not None:
                if not rounding:
                    rounding.append(rounding_probe(ctx, self.forward_spec(inputs), inputs))
                arithmetic = "float32" if rounding[0] else None
            if arithmetic:
                res.messages.insert(0, msg("diagnosis.low_precision", func=self.func, output=p.grad,
                                           arithmetic=arithmetic))
                res.mistakes.append(Mistake.LOW_PRECISION)
        return out


def _plain(ref: Reference) -> tuple[list[np.ndarray], Any]:
    return ref.outputs, ref.value


def _depends_on_forward(r: CheckResult) -> bool:
    """A failed item whose verdict rests on the forward's values (not a gradient
    missing or of the wrong shape, which is wrong whatever the forward does)."""
    return r.status != Status.PASSED and (r.details.get("verdict") in ("mismatch", "degenerate", "waiting")
                                          or r.details.get("problem") in ("values", "nonfinite"))


def _on_forward(p: Param, numeric_items: dict[str, CheckResult], reference_items: dict[str, CheckResult]) -> bool:
    return any(r is not None and _depends_on_forward(r) for r in (numeric_items[p.name], reference_items.get(p.name)))


