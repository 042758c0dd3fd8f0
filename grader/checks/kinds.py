"""The check kinds: value and property checks, and what all kinds share (outputs
picked by path, failed calls, trivial outputs). No-mutation checks live in
:mod:`grader.checks.mutation`, gradient checks in :mod:`grader.checks.gradient`,
comparisons of a backward pass with the reference in :mod:`grader.checks.backward`.

Each kind is a dataclass (the data an exercise spec fills in) with a ``run`` method.
Inputs are built by a spec function ``inputs(rng) -> dict`` whose keys are the
function's argument names in order; outputs are picked out of the student's return
value by a *path* (``()`` for the whole value, ``(0,)`` for the first element,
``(1, "W1")`` for a dict inside a tuple). What a result is worth is decided by
:mod:`grader.checks.policy`.

Over 400 lines: the value and property checks and what every kind shares; each further
kind has its own module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..calls import Call, CallOutcome
from ..i18n import Message, msg
from ..mistakes import Mistake
from . import errors, numeric, policy, variants
from .compare import Comparison, as_float_array, compare, matches
from .copies import fresh
from .memo import recalled
from .model import (
    Check,
    CheckResult,
    Context,
    Kind,
    PublicCase,
    error_details,
    outcome_problem,
    warning_details,
)
from .precision import ROUNDING_ONLY, low_precision, rounding_probe
from .shapes import diagnose_shape

Inputs = dict[str, Any]
Path = tuple[Any, ...]


@dataclass(frozen=True)
class Output:
    """One compared part of a function's return value."""

    name: str  # as in the docstring: "out", "dx", "loss", "grads['W1']"
    path: Path = ()
    axes: tuple[str, ...] = ()  # axis names for locating an error: ("sample", "unit")
    rtol: float = 1e-6
    atol: float = 1e-9
    # A by-product of the function's job (batch norm's running statistics, the norm that
    # clip_grad_norm returns beside the clipped gradients): it earns its share only as far
    # as the item's main outputs are right (policy.value_credit).
    secondary: bool = False


def extract(value: Any, path: Path) -> tuple[Any, bool]:
    """Follow ``path`` into a decoded value; (part, found)."""
    for step in path:
        if isinstance(step, int) and isinstance(value, (tuple, list)) and -len(value) <= step < len(value):
            value = value[step]
        elif isinstance(step, str) and isinstance(value, dict) and step in value:
            value = value[step]
        else:
            return None, False
    return value, True


def where(index: tuple[int, ...] | None, axes: tuple[str, ...]) -> list[Message]:
    """'sample 2, unit 4' as messages, from an index and the axis names."""
    if index is None:
        return []
    if not index:
        return [msg("axis.scalar")]
    names = axes if len(axes) == len(index) else ("index",) * len(index)
    return [msg(f"axis.{a}", i=i) for a, i in zip(names, index, strict=False)]


def describe_mismatch(func: str, out: Output, cmp: Comparison) -> Message:
    """The first feedback line for a wrong output."""
    if cmp.problem == "type":
        return msg("value.not_array", func=func, output=out.name, got=cmp.received_dtype or "?")
    if cmp.problem == "shape":
        return msg("value.shape", func=func, output=out.name,
                   got=str(cmp.received_shape), want=str(cmp.expected_shape))
    key = "value.nonfinite" if cmp.problem == "nonfinite" else "value.mismatch"
    return msg(key, func=func, output=out.name, err=cmp.worst_rel_error,
               where=where(cmp.worst_index, out.axes), n_wrong=cmp.n_wrong, n_total=cmp.n_total)


def precision_note(func: str, out: Output, got: Any, expected: Any, cmp: Comparison) -> list[Message]:
    """Mistake 31: a wrong output computed in float32 or with integers (see
    :mod:`grader.checks.precision`)."""
    if cmp.ok or cmp.problem in ("type", "shape"):
        return []
    found = low_precision(got, expected)
    return [msg("diagnosis.low_precision", func=func, output=out.name, arithmetic=found)] if found else []


def call_reference(ref: Callable[..., Any], inputs: Inputs) -> Any:
    """Run a trusted reference function on private copies of the inputs."""
    return ref(**fresh(inputs))


def failed_call(res: CheckResult, func: str, outcome: CallOutcome,
                on_error: Callable[[dict[str, Any]], tuple[list[Message], list[str]]] | None = None,
                inputs: Inputs | None = None) -> CheckResult:
    """Fail ``res`` because a call did not return normally (why, and what it
    suggests: the check's own ``on_error``, and the known mistakes an error points
    to, given the ``inputs`` of the call or of its forward pass)."""
    res.details.update(error_details(outcome))
    res.details["call"] = str(outcome.status)
    if policy.not_run(outcome):
        res.details["not_run"] = True
    res.failed(outcome_problem(func, outcome))
    if outcome.status == "error":
        extra, mistakes = errors.explain(outcome.error or {}, inputs)
        if on_error is not None:
            more, named = on_error(outcome.error or {})
            extra, mistakes = extra + more, mistakes + [m for m in named if m not in mistakes]
        res.messages.extend(extra)
        res.mistakes.extend(m for m in mistakes if m not in res.mistakes)
    return res


def arrays_in(v: Any, path: Path = ()) -> list[tuple[Path, np.ndarray]]:
    if isinstance(v, np.ndarray):
        return [(path, v)]
    if isinstance(v, (list, tuple)):
        return [x for i, item in enumerate(v) for x in arrays_in(item, path + (i,))]
    if isinstance(v, dict):
        return [x for k, item in v.items() for x in arrays_in(item, path + (k,))]
    return []


def trivial(expected: Any, inputs: Any) -> bool:
    """An expected output a function gets right by doing nothing: all zero, or one
    of its arguments unchanged (within the value tolerance: a public case stores its
    inputs and its outputs rounded differently)."""
    e = np.asarray(expected, dtype=np.float64)
    if e.size and not np.any(e):
        return True
    return any(a.shape == e.shape and matches(a, e) for _, a in arrays_in(inputs) if a.dtype.kind in "biuf")


# ---------------------------------------------------------------------------
@dataclass
class ValueCheck(Check):
    """Student output vs the reference on the same inputs.

    With solutions, inputs are drawn from the student's seed (hidden); without,
    the stored public case is used. ``diagnose(inputs, value, expected)`` may return
    (messages, mistake ids) that name a known mistake."""

    id: str
    func: str
    inputs: Callable[[np.random.Generator], Inputs]
    outputs: list[Output]
    points: float
    title: Message | None = None
    kwargs_fixed: dict[str, Any] = field(default_factory=dict)
    diagnose: Callable[..., tuple[list[Message], list[str]]] | None = None
    exercise: str = ""
    needs_reference: bool = True
    # The function documents that it updates an argument in place (CS231n's
    # ``bn_param``): compare ``(returned value, [arguments after the call])``, so
    # an output path ``(1, 3, "running_mean")`` reads the fourth argument afterwards.
    with_args_after: bool = False
    # Turns a call that raised into (problems, mistake ids) when an error is the symptom.
    on_error: Callable[[dict[str, Any]], tuple[list[Message], list[str]]] | None = None
    # The right outputs as a function of the inputs, in the grader (a formula of
    # grader.specs.forwards): names a forgotten bias or a transposed weight in a
    # self-check too, where there is no reference (grader.checks.variants).
    model: Callable[[Inputs], list[Any]] | None = None
    second_pass = True  # compared with the reference once more at the end (policy rule 5)
    gradients = False  # the outputs are gradients of the function's inputs (a backward pass)
    kind = Kind.VALUE

    def max_points(self) -> float:
        return self.points

    def _reference_value(self, ref: Callable[..., Any], inputs: Inputs) -> Any:
        if not self.with_args_after:
            return call_reference(ref, inputs)
        args = fresh(inputs)
        value = ref(**args)
        return value, list(args.values())

    def case(self, ctx: Context) -> tuple[Inputs, list[Any]] | None:
        drawn = self._drawn(ctx)
        return None if drawn is None else (drawn[0], drawn[1]())

    def _drawn(self, ctx: Context) -> tuple[Inputs, Callable[[], list[Any]]] | None:
        """The inputs, and how to get the expected outputs: the reference runs only when
        they are needed (not for a call that failed: a stub's, say)."""
        if ctx.reference is not None:
            inputs = self.inputs(ctx.rng(self.id))
            ref = ctx.reference[self.func]

            def expected() -> list[Any]:
                value = recalled(ctx.memo, ("value", self.id, ctx.salt, id(ref)), inputs,
                                 lambda: self._reference_value(ref, inputs))
                return [extract(value, o.path)[0] for o in self.outputs]

            return inputs, expected
        if ctx.public_cases and self.id in ctx.public_cases:
            pc = ctx.public_cases[self.id]
            return pc.inputs, lambda: pc.expected
        return None

    def public_case(self, reference: dict[str, Callable[..., Any]], rng: np.random.Generator) -> PublicCase:
        inputs = self.inputs(rng)
        value = self._reference_value(reference[self.func], inputs)
        return PublicCase(inputs, [np.asarray(extract(value, o.path)[0], dtype=np.float64)
                                   for o in self.outputs])

    def call_student(self, ctx: Context, inputs: Inputs) -> tuple[CallOutcome, list[Message] | None]:
        """Call the student's function; (outcome, messages if a prerequisite failed)."""
        if self.with_args_after:
            outcome = ctx.call(self.func, tuple(inputs.values()), return_args=True)
            if outcome.ok:
                outcome.value = (outcome.value, list(outcome.args_after or []))
            return outcome, None
        return ctx.call(self.func, tuple(inputs.values())), None

    def new_result(self) -> CheckResult:
        return CheckResult(self.id, self.exercise, self.func, Kind.VALUE,
                           self.title or msg("title.value", func=self.func,
                                             outputs=", ".join(o.name for o in self.outputs)),
                           self.points)

    def run(self, ctx: Context) -> list[CheckResult]:
        res = self.new_result()
        drawn = self._drawn(ctx)
        if drawn is None:
            return []
        inputs, expected = drawn
        res.details["hidden_inputs"] = ctx.reference is not None
        outcome, trouble = self.call_student(ctx, inputs)
        res.output = outcome.output
        res.details.update(warning_details(outcome))
        if trouble:
            res.details.update(error_details(outcome))
            res.details["call"] = str(outcome.status)
            return [res.failed(*trouble)]
        if not outcome.ok:
            return [failed_call(res, self.func, outcome, self.on_error, inputs)]
        return [self.judge(ctx, res, inputs, outcome.value, expected())]

    def _model(self, ctx: Context) -> Callable[[Inputs], list[Any]] | None:
        """The right outputs as a function of the inputs: the reference's (official),
        else the spec's formula (a self-check), else None."""
        if ctx.reference is not None and self.func in ctx.reference:
            ref = ctx.reference[self.func]

            def model(changed: Inputs) -> list[Any]:
                out = self._reference_value(ref, changed)
                return [extract(out, o.path)[0] for o in self.outputs]

            return model
        return self.model

    def _rounds(self, ctx: Context, inputs: Inputs, expected: list[Any]) -> bool:
        """The function is not smooth at float64's scale (float32 inside it), probed
        when its outputs are the first items of what it returns; for a backward pass,
        its forward pass is probed (where a float32 cache comes from)."""
        forward = getattr(self, "forward", None)
        if "forward" in inputs and forward is not None:
            shapes = self._forward_shapes(ctx, inputs["forward"])
            return shapes is not None and rounding_probe(ctx, numeric.Forward(forward, shapes), inputs["forward"])
        if self.with_args_after or [o.path for o in self.outputs] != [(k,) for k in range(len(self.outputs))]:
            return False
        shapes = tuple(np.shape(e) for e in expected)
        return rounding_probe(ctx, numeric.Forward(self.func, shapes, cache=False), inputs)

    def _forward_shapes(self, ctx: Context, inputs: Inputs) -> tuple[tuple[int, ...], ...] | None:
        """The shapes of a backward check's forward outputs (the reference's, trusted)."""
        forward = getattr(self, "forward", None)
        if ctx.reference is not None and forward in ctx.reference:
            out = call_reference(ctx.reference[forward], inputs)
            return tuple(np.shape(o) for o in out[:-1]) if isinstance(out, tuple) else None
        case = (ctx.public_cases or {}).get(self.id)
        outputs = case.inputs.get("forward_outputs") if case is not None else None
        return tuple(np.shape(o) for o in outputs) if outputs is not None else None

    def judge(self, ctx: Context, res: CheckResult, inputs: Inputs, value: Any, expected: list[Any]) -> CheckResult:
        """Compare every output of ``value`` with ``expected``; the points follow
        :func:`grader.checks.policy.value_credit`."""
        rows = []
        problems: list[Message] = []
        matched: list[bool] = []
        secondary = [o.secondary for o in self.outputs]
        primary_missing = False
        for k, (out, exp) in enumerate(zip(self.outputs, expected, strict=False)):
            got, found = extract(value, out.path)
            if not found:
                problems.append(msg("value.missing_output", func=self.func, output=out.name))
                rows.append({"name": out.name, "ok": False})
                matched.append(False)
                primary_missing = primary_missing or k == 0
                continue
            cmp = compare(got, exp, out.rtol, out.atol)
            primary_missing = primary_missing or (k == 0 and cmp.problem == "type")
            measured = cmp.problem not in ("type", "shape")  # no error is measured between other shapes
            row = {"name": out.name, "ok": cmp.ok, "rel_error": cmp.worst_rel_error if measured else None,
                   "where": where(cmp.worst_index, out.axes) if measured else [], "problem": cmp.problem}
            if ctx.reference is None and cmp.problem in ("values", "nonfinite", "shape") and np.size(exp) <= 60:
                # Public case: showing expected next to received teaches, and hides nothing
                # (a wrong shape too: the report names a transposed result).
                received = as_float_array(got)
                if received is not None and received.size <= 60:
                    row["expected"] = np.asarray(exp).tolist()
                    row["received"] = received.tolist()
                    row["wrong"] = cmp.wrong_mask.tolist() if cmp.wrong_mask is not None else None
            rows.append(row)
            matched.append(cmp.ok)
            if not cmp.ok:
                problems.append(describe_mismatch(self.func, out, cmp))
                if cmp.problem == "shape":
                    said, named = diagnose_shape(cmp.received_shape or (), cmp.expected_shape or (), out.name,
                                                 gradient=self.gradients)
                    problems.extend(said + [msg(f"mistake.{m}.found") for m in named if m not in res.mistakes])
                    res.mistakes.extend(m for m in named if m not in res.mistakes)
                note = precision_note(self.func, out, got, exp, cmp)
                # Probed in the deferred second pass too (where nothing else is explained):
                # float32 off by rounding on the other inputs is not state kept between calls.
                if not note and (ctx.explain or ctx.salt) and cmp.problem == "values" \
                        and cmp.worst_rel_error <= ROUNDING_ONLY \
                        and Mistake.LOW_PRECISION not in res.mistakes and self._rounds(ctx, inputs, expected):
                    note = [msg("diagnosis.low_precision", func=self.func, output=out.name, arithmetic="float32")]
                if note and Mistake.LOW_PRECISION not in res.mistakes:
                    problems.insert(0, note[0])  # the cause, once, first
                    res.mistakes.append(Mistake.LOW_PRECISION)
        res.details["outputs"] = rows
        if not problems:
            return res.passed()
        # Which outputs a function gets right by doing nothing: only a partly right
        # answer's credit depends on it (a pass needs none); asked before any diagnosis.
        trivial_ = [trivial(exp, inputs) for _, exp in zip(self.outputs, expected, strict=False)]
        if self.diagnose is not None and ctx.explain:
            extra, mistakes = self.diagnose(inputs, value, expected)
            # A diagnosis that names a mistake is the cause: it comes first.
            if set(mistakes) - set(res.mistakes):
                problems = extra + problems
                res.details["cause_first"] = True
            else:
                problems = problems + extra
            res.mistakes.extend(m for m in mistakes if m not in res.mistakes)
        model = self._model(ctx)
        if ctx.explain and not res.mistakes and model is not None and not self.gradients \
                and any(r.get("problem") == "values" for r in rows):
            got = [extract(value, o.path)[0] for o in self.outputs]
            extra, mistakes = variants.diagnose(model, inputs, got, expected, self.func)
            problems = extra + problems
            res.mistakes.extend(mistakes)
            res.details["cause_first"] = bool(mistakes)
        res.failed(*[m for k, m in enumerate(problems) if m not in problems[:k]])
        res.points = policy.value_credit(self.points, matched, trivial_, primary_missing,
                                         secondary[: len(matched)])
        return res


# ---------------------------------------------------------------------------
Predicate = Callable[[Any, Inputs], tuple[list[Message], list[str]]]


@dataclass
class PropertyCheck(Check):
    """A property of the output that needs no reference, e.g. ``sigmoid(0) == 0.5``.

    ``predicate(value, inputs)`` returns (problems, mistake ids); no problems is a
    pass. ``errstate`` sets numpy's error handling inside the student's call (e.g.
    ``{"over": "raise"}`` to catch overflow, mistake 22); ``on_error`` turns a
    failed call into (problems, mistakes) when an error is the symptom. ``kind``
    is :attr:`Kind.STABILITY` for large inputs and :attr:`Kind.EDGE` for an edge
    case whose right answer is to change nothing (the policy gates both)."""

    id: str
    func: str
    inputs: Callable[[np.random.Generator], Inputs]
    predicate: Predicate
    points: float
    title: Message | None = None
    errstate: dict[str, Any] | None = None
    on_error: Callable[[dict[str, Any]], tuple[list[Message], list[str]]] | None = None
    exercise: str = ""
    # As in ValueCheck: the predicate gets ``(returned value, [arguments after the call])``.
    with_args_after: bool = False
    kind: Kind = Kind.PROPERTY
    # The property *is* one of the function's results (init_weights' statistics, for a
    # function with no comparison with the reference): the others wait beside it.
    result: bool = False

    def max_points(self) -> float:
        return self.points

    def run(self, ctx: Context) -> list[CheckResult]:
        res = CheckResult(self.id, self.exercise, self.func, self.kind,
                          self.title or msg("title.property", func=self.func), self.points)
        if self.result:
            res.details["result"] = True
        inputs = self.inputs(ctx.rng(self.id))
        outcome = ctx.call(self.func, tuple(inputs.values()), errstate=self.errstate,
                           return_args=self.with_args_after)
        if outcome.ok and self.with_args_after:
            outcome.value = (outcome.value, list(outcome.args_after or []))
        res.output = outcome.output
        res.details.update(warning_details(outcome))
        if not outcome.ok:
            return [failed_call(res, self.func, outcome, self.on_error, inputs)]
        problems, mistakes = self.predicate(outcome.value, inputs)
        res.mistakes += mistakes
        return [res.failed(*problems) if problems else res.passed()]


# ---------------------------------------------------------------------------
@dataclass
class RepeatedCallCheck(Check):
    """A property of several calls of one function, e.g. "the same seed gives the
    same weights, another seed other weights".

    ``inputs(rng)`` returns one argument dict per call; all calls go to the child in
    one round trip. ``predicate(values, inputs)`` gets the returned values in the
    same order and returns (problems, mistake ids); no problems is a pass."""

    id: str
    func: str
    inputs: Callable[[np.random.Generator], list[Inputs]]
    predicate: Callable[[list[Any], list[Inputs]], tuple[list[Message], list[str]]]
    points: float
    title: Message | None = None
    exercise: str = ""
    kind = Kind.PROPERTY

    def max_points(self) -> float:
        return self.points

    def run(self, ctx: Context) -> list[CheckResult]:
        res = CheckResult(self.id, self.exercise, self.func, self.kind,
                          self.title or msg("title.property", func=self.func), self.points)
        many = self.inputs(ctx.rng(self.id))
        outcomes = ctx.call_many([Call(self.func, tuple(i.values())) for i in many])
        res.output = "".join(o.output for o in outcomes)
        for o in outcomes:
            if not o.ok:
                return [failed_call(res, self.func, o)]
        problems, mistakes = self.predicate([o.value for o in outcomes], many)
        res.mistakes += mistakes
        return [res.failed(*problems) if problems else res.passed()]
