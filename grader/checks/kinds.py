"""The check kinds: value, mutation, property. Gradient checks live in
:mod:`grader.checks.gradient`.

Each kind is a dataclass (the data an exercise spec fills in) with a ``run`` method.
Inputs are built by a spec function ``inputs(rng) -> dict`` whose keys are the
function's argument names in order; outputs are picked out of the student's return
value by a *path* (``()`` for the whole value, ``(0,)`` for the first element,
``(1, "W1")`` for a dict inside a tuple).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..i18n import Message, msg
from ..sandbox.protocol import Handle
from .compare import Comparison, as_float_array, compare, same_bits
from .model import Check, CheckResult, Context, PublicCase, error_details, outcome_problem, warning_details

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


def precision_note(cmp: Comparison) -> list[Message]:
    """Mistake 31: float32 or integer arithmetic returned."""
    if cmp.received_dtype and cmp.received_dtype[1:] in ("f4", "f2", "i8", "i4") and not cmp.ok:
        return [msg("value.low_precision", dtype=cmp.received_dtype[1:])]
    return []


def call_reference(ref: Callable, inputs: Inputs) -> Any:
    """Run a trusted reference function on private copies of the inputs."""
    return ref(**copy.deepcopy(inputs))


def public_key(check_id: str) -> str:
    return check_id


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
    kwargs_fixed: dict = field(default_factory=dict)
    diagnose: Callable[..., tuple[list[Message], list[str]]] | None = None
    exercise: str = ""
    needs_reference: bool = True
    # The function documents that it updates an argument in place (CS231n's
    # ``bn_param``): compare ``(returned value, [arguments after the call])``, so
    # an output path ``(1, 3, "running_mean")`` reads the fourth argument afterwards.
    with_args_after: bool = False
    # Turns a call that raised into (problems, mistake ids) when an error is the symptom.
    on_error: Callable[[dict], tuple[list[Message], list[str]]] | None = None

    def max_points(self) -> float:
        return self.points

    def _reference_value(self, ref: Callable, inputs: Inputs) -> Any:
        if not self.with_args_after:
            return call_reference(ref, inputs)
        args = copy.deepcopy(inputs)
        value = ref(**args)
        return value, list(args.values())

    def case(self, ctx: Context) -> tuple[Inputs, list[Any]] | None:
        if ctx.reference is not None:
            inputs = self.inputs(ctx.rng(self.id))
            value = self._reference_value(ctx.reference[self.func], inputs)
            return inputs, [extract(value, o.path)[0] for o in self.outputs]
        if ctx.public_cases and self.id in ctx.public_cases:
            pc = ctx.public_cases[self.id]
            return pc.inputs, pc.expected
        return None

    def public_case(self, reference: dict[str, Callable], rng: np.random.Generator) -> PublicCase:
        inputs = self.inputs(rng)
        value = self._reference_value(reference[self.func], inputs)
        return PublicCase(inputs, [np.asarray(extract(value, o.path)[0], dtype=np.float64)
                                   for o in self.outputs])

    def call_student(self, ctx: Context, inputs: Inputs):
        """Call the student's function; (outcome, messages if a prerequisite failed)."""
        if self.with_args_after:
            outcome = ctx.call(self.func, tuple(inputs.values()), return_args=True)
            if outcome.ok:
                outcome.value = (outcome.value, list(outcome.args_after or []))
            return outcome, None
        return ctx.call(self.func, tuple(inputs.values())), None

    def run(self, ctx: Context) -> list[CheckResult]:
        res = CheckResult(self.id, self.exercise, self.func, "value",
                          self.title or msg("title.value", func=self.func,
                                            outputs=", ".join(o.name for o in self.outputs)),
                          self.points)
        case = self.case(ctx)
        if case is None:
            return []
        inputs, expected = case
        res.details["hidden_inputs"] = ctx.reference is not None
        outcome, trouble = self.call_student(ctx, inputs)
        res.output = outcome.output
        res.details.update(warning_details(outcome))
        if trouble:
            res.details.update(error_details(outcome))
            return [res.failed(*trouble)]
        if not outcome.ok:
            res.details.update(error_details(outcome))
            res.failed(outcome_problem(self.func, outcome))
            if self.on_error is not None and outcome.status == "error":
                extra, mistakes = self.on_error(outcome.error or {})
                res.messages.extend(extra)
                res.mistakes.extend(m for m in mistakes if m not in res.mistakes)
            return [res]
        good, rows = 0, []
        problems: list[Message] = []
        for out, exp in zip(self.outputs, expected, strict=False):
            got, found = extract(outcome.value, out.path)
            if not found:
                problems.append(msg("value.missing_output", func=self.func, output=out.name))
                rows.append({"name": out.name, "ok": False})
                continue
            cmp = compare(got, exp, out.rtol, out.atol)
            row = {"name": out.name, "ok": cmp.ok, "rel_error": cmp.worst_rel_error,
                   "where": where(cmp.worst_index, out.axes), "problem": cmp.problem}
            if ctx.reference is None and cmp.problem in ("values", "nonfinite") and np.size(exp) <= 60:
                # Public case: showing expected next to received teaches, and hides nothing.
                row["expected"] = np.asarray(exp).tolist()
                row["received"] = as_float_array(got).tolist()
                row["wrong"] = cmp.wrong_mask.tolist() if cmp.wrong_mask is not None else None
            rows.append(row)
            if cmp.ok:
                good += 1
            else:
                problems.append(describe_mismatch(self.func, out, cmp))
                note = precision_note(cmp)
                problems.extend(note)
                if note and "31" not in res.mistakes:
                    res.mistakes.append("31")
        res.details["outputs"] = rows
        if not problems:
            return [res.passed()]
        if self.diagnose is not None:
            extra, mistakes = self.diagnose(inputs, outcome.value, expected)
            problems.extend(extra)
            res.mistakes.extend(m for m in mistakes if m not in res.mistakes)
        res.failed(*problems)
        res.points = round(self.points * good / len(self.outputs), 4) if len(self.outputs) > 1 else 0.0
        return [res]


# ---------------------------------------------------------------------------
@dataclass
class MutationCheck(Check):
    """The function must leave its inputs (and upstream gradients) unchanged, and
    give the same answer when called twice with the same arguments (mistake 10).

    For a backward function, ``forward`` names the forward to call first; its cache
    is passed as the last argument, and the same cache is used for both calls."""

    id: str
    func: str
    inputs: Callable[[np.random.Generator], Inputs]
    points: float
    forward: str | None = None
    forward_inputs: Callable[[np.random.Generator], Inputs] | None = None
    exercise: str = ""

    def max_points(self) -> float:
        return self.points

    def run(self, ctx: Context) -> list[CheckResult]:
        from ..sandbox.session import Call

        res = CheckResult(self.id, self.exercise, self.func, "mutation",
                          msg("title.mutation", func=self.func), self.points)
        rng = ctx.rng(self.id)
        args: list[Any] = []
        if self.forward:
            assert self.forward_inputs is not None
            f_in = self.forward_inputs(rng)
            fwd = ctx.call(self.forward, tuple(f_in.values()), keep=(-1,))
            cache = fwd.value[-1] if fwd.ok and isinstance(fwd.value, tuple) else None
            if not isinstance(cache, Handle):
                msg_ = outcome_problem(self.forward, fwd) if not fwd.ok else msg(
                    "call.bad_forward_return", func=self.forward)
                return [res.failed(msg_, msg("mutation.needs_forward", forward=self.forward))]
        inputs = self.inputs(rng)
        args = list(inputs.values()) + ([cache] if self.forward else [])
        names = list(inputs.keys())
        first, second = ctx.call_many([Call(self.func, tuple(args), return_args=True),
                                       Call(self.func, tuple(args))])
        res.output = first.output
        res.details.update(warning_details(first))
        if not first.ok:
            res.details.update(error_details(first))
            return [res.failed(outcome_problem(self.func, first))]
        changed = []
        for name, before, after in zip(names, inputs.values(), first.args_after or [], strict=False):
            for path, arr in _arrays_in(before):
                got, found = extract(after, path)
                if found and not same_bits(got, arr):
                    changed.append(name + "".join(f"[{p!r}]" for p in path))
        problems = []
        if changed:
            problems.append(msg("mutation.changed", func=self.func, args=", ".join(changed)))
            res.mistakes.append("10")
            problems.append(msg("mistake.10.found"))
        if second.ok and not _same_value(first.value, second.value):
            problems.append(msg("mutation.not_repeatable", func=self.func))
            if "10" not in res.mistakes:
                res.mistakes.append("10")
        elif not second.ok:
            problems.append(outcome_problem(self.func, second))
        return [res.failed(*problems, msg("hint.mutation")) if problems else res.passed()]


def _arrays_in(v: Any, path: Path = ()) -> list[tuple[Path, np.ndarray]]:
    if isinstance(v, np.ndarray):
        return [(path, v)]
    if isinstance(v, (list, tuple)):
        return [x for i, item in enumerate(v) for x in _arrays_in(item, path + (i,))]
    if isinstance(v, dict):
        return [x for k, item in v.items() for x in _arrays_in(item, path + (k,))]
    return []


def _same_value(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and same_bits(a, b)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b, strict=False))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_value(a[k], b[k]) for k in a)
    if isinstance(a, Handle) and isinstance(b, Handle):
        return True
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return True
    return a == b


# ---------------------------------------------------------------------------
Predicate = Callable[[Any, Inputs], tuple[list[Message], list[str]]]


@dataclass
class PropertyCheck(Check):
    """A property of the output that needs no reference, e.g. ``sigmoid(0) == 0.5``.

    ``predicate(value, inputs)`` returns (problems, mistake ids); no problems is a
    pass. ``errstate`` sets numpy's error handling inside the student's call (e.g.
    ``{"over": "raise"}`` to catch overflow, mistake 22); ``on_error`` turns a
    failed call into (problems, mistakes) when an error is the symptom."""

    id: str
    func: str
    inputs: Callable[[np.random.Generator], Inputs]
    predicate: Predicate
    points: float
    title: Message | None = None
    errstate: dict | None = None
    on_error: Callable[[dict], tuple[list[Message], list[str]]] | None = None
    exercise: str = ""
    # As in ValueCheck: the predicate gets ``(returned value, [arguments after the call])``.
    with_args_after: bool = False

    def max_points(self) -> float:
        return self.points

    def run(self, ctx: Context) -> list[CheckResult]:
        res = CheckResult(self.id, self.exercise, self.func, "property",
                          self.title or msg("title.property", func=self.func), self.points)
        inputs = self.inputs(ctx.rng(self.id))
        outcome = ctx.call(self.func, tuple(inputs.values()), errstate=self.errstate,
                           return_args=self.with_args_after)
        if outcome.ok and self.with_args_after:
            outcome.value = (outcome.value, list(outcome.args_after or []))
        res.output = outcome.output
        res.details.update(warning_details(outcome))
        if not outcome.ok:
            res.details.update(error_details(outcome))
            problems = [outcome_problem(self.func, outcome)]
            if self.on_error is not None and outcome.status == "error":
                extra, mistakes = self.on_error(outcome.error or {})
                problems += extra
                res.mistakes += mistakes
            return [res.failed(*problems)]
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

    def max_points(self) -> float:
        return self.points

    def run(self, ctx: Context) -> list[CheckResult]:
        from ..sandbox.session import Call

        res = CheckResult(self.id, self.exercise, self.func, "property",
                          self.title or msg("title.property", func=self.func), self.points)
        many = self.inputs(ctx.rng(self.id))
        outcomes = ctx.call_many([Call(self.func, tuple(i.values())) for i in many])
        res.output = "".join(o.output for o in outcomes)
        for o in outcomes:
            if not o.ok:
                res.details.update(error_details(o))
                return [res.failed(outcome_problem(self.func, o))]
        problems, mistakes = self.predicate([o.value for o in outcomes], many)
        res.mistakes += mistakes
        return [res.failed(*problems) if problems else res.passed()]


# ---------------------------------------------------------------------------
@dataclass
class BackwardValueCheck(ValueCheck):
    """A backward's gradients vs the reference's, each side using its own cache.

    ``inputs`` builds the forward's inputs, ``upstream(rng, forward_outputs)`` the
    upstream gradients (shaped after the reference's outputs). The student's
    backward receives the cache of the student's own forward."""

    upstream: Callable[[np.random.Generator, Any], Inputs] | None = None
    forward: str = ""

    def __init__(self, id: str, func: str, inputs, upstream, outputs: list[Output], points: float,
                 forward: str, title: Message | None = None, diagnose=None, on_error=None) -> None:
        super().__init__(id, func, inputs, outputs, points, title=title, diagnose=diagnose, on_error=on_error)
        self.upstream = upstream
        self.forward = forward

    def _reference_case(self, reference: dict[str, Callable], rng: np.random.Generator):
        f_in = self.inputs(rng)
        ref_out = call_reference(reference[self.forward], f_in)
        douts = self.upstream(rng, ref_out)
        value = reference[self.func](*copy.deepcopy(list(douts.values())), ref_out[-1])
        expected = [np.asarray(extract(value, o.path)[0], dtype=np.float64) for o in self.outputs]
        return {"forward": f_in, "upstream": douts}, expected

    def case(self, ctx: Context):
        if ctx.reference is not None:
            return self._reference_case(ctx.reference, ctx.rng(self.id))
        if ctx.public_cases and self.id in ctx.public_cases:
            pc = ctx.public_cases[self.id]
            return pc.inputs, pc.expected
        return None

    def public_case(self, reference, rng) -> PublicCase:
        inputs, expected = self._reference_case(reference, rng)
        return PublicCase(inputs, expected)

    def call_student(self, ctx: Context, inputs: Inputs):
        f_in, douts = inputs["forward"], inputs["upstream"]
        fwd = ctx.call(self.forward, tuple(f_in.values()), keep=(-1,))
        if not fwd.ok:
            return fwd, [outcome_problem(self.forward, fwd), msg("gradient.forward_failed", forward=self.forward)]
        if not isinstance(fwd.value, tuple) or not isinstance(fwd.value[-1], Handle):
            return fwd, [msg("call.bad_forward_return", func=self.forward)]
        out = ctx.call(self.func, tuple(douts.values()) + (fwd.value[-1],))
        out.output = fwd.output + out.output
        out.warnings = list(fwd.warnings or []) + list(out.warnings or [])
        return out, None
