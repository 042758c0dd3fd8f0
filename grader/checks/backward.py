"""Judge a backward pass where its forward pass is right (policy rule 3).

A backward pass gets the cache of the student's own forward pass. When that forward
is wrong on the inputs of a check, the cache holds wrong values, and whether the
backward is right cannot be known from them: a correct ``affine_backward`` after an
``affine_forward`` that forgets ``+ b`` would be charged for the forward's bug. So a
check on a backward pass first compares the forward's outputs with the reference's
(the public case's in a self-check). Where they disagree, :func:`where_forward_is_right`
tries variants of the inputs on which common forward bugs make no difference -
biases zeroed (a forgotten ``+ b``), square weight matrices symmetrised (a
transposed ``Wh``), both - and the backward is judged on the first variant where
the forward agrees. Where none agrees, its failing items are *pending*.

Also here: :class:`BackwardValueCheck`, a backward's gradients against the
reference's, each side with its own cache.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..calls import Call, CallOutcome, CallStatus, Earlier, Handle
from ..i18n import Message, msg
from ..mistakes import Mistake
from . import errors, numeric
from .compare import array_of, compare, matches
from .copies import fresh
from .kinds import Inputs, Output, ValueCheck, call_reference, extract, failed_call
from .model import CheckResult, Context, PublicCase, error_details, outcome_problem, warning_details
from .precision import ROUNDING_ONLY, low_precision, rounding_probe
from .scaling import averaged
from .variants import BIAS_NAME, WEIGHT_NAME, named_arrays, replaced


@dataclass(frozen=True)
class Step:
    """What a backward check calls. Layer form: ``forward(**inputs)`` returns its
    outputs then a cache (kept by the caller), and ``backward(*douts, cache)`` the
    gradients. Loss form (``forward`` is None): ``backward(**inputs)`` returns
    ``(loss, grads)`` and the loss is the only "output"."""

    backward: str
    forward: str | None = None
    n_outputs: int = 1  # the forward's outputs before its cache


@dataclass
class Reference:
    """The reference's run on the same inputs and upstream gradients."""

    outputs: list[np.ndarray]
    value: Any  # what the reference backward returned (loss form: the loss function)


@dataclass
class Trial:
    """One run of the student's forward and backward on given inputs."""

    inputs: Inputs
    douts: list[np.ndarray]
    outputs: list[Any] | None = None  # the forward's outputs as decoded
    value: Any = None  # what the backward returned
    cache: Handle | None = None
    outcome: CallOutcome | None = None  # the call that failed, or the backward's
    failure: list[Message] | None = None
    mistakes: list[str] = field(default_factory=list)  # known mistakes the failure points to
    output: str = ""
    warnings: dict[str, Any] = field(default_factory=dict)


def run_student(ctx: Context, step: Step, inputs: Inputs, douts: list[np.ndarray]) -> Trial:
    trial = Trial(inputs, douts)
    if step.forward is None:
        o = ctx.call(step.backward, tuple(inputs.values()))
        trial.outcome, trial.output, trial.warnings = o, o.output, warning_details(o)
        if not o.ok:
            trial.failure = [outcome_problem(step.backward, o), *_explained(trial, o)]
        elif not isinstance(o.value, (tuple, list)) or len(o.value) < 2:
            trial.failure = [msg("gradient.bad_loss_return", func=step.backward)]
        else:
            trial.outputs, trial.value = [o.value[0]], o.value
        return trial
    # The forward and the backward on its cache in one round trip (calls.Earlier): the
    # backward runs only if the forward returned its outputs and a cache, as below.
    f, b = ctx.call_many([Call(step.forward, tuple(inputs.values()), keep=(-1,)),
                          Call(step.backward, tuple(douts) + (Earlier(0),), chain_len=step.n_outputs + 1)])
    trial.outcome, trial.output, trial.warnings = f, f.output, warning_details(f)
    if not f.ok:
        trial.failure = [outcome_problem(step.forward, f), *_explained(trial, f),
                         msg("gradient.forward_failed", forward=step.forward)]
        return trial
    if not isinstance(f.value, tuple) or len(f.value) != step.n_outputs + 1 or not isinstance(f.value[-1], Handle):
        trial.failure = [msg("call.bad_forward_return", func=step.forward)]
        return trial
    trial.outputs, trial.cache = list(f.value[:-1]), f.value[-1]
    trial.outcome, trial.output, trial.warnings = b, f.output + b.output, warning_details(f, b)
    if b.ok:
        trial.value = b.value
    else:
        trial.failure = [outcome_problem(step.backward, b), *_explained(trial, b)]
    return trial


def _explained(trial: Trial, outcome: CallOutcome) -> list[Message]:
    """What a failed call's error points to (known mistakes are noted on ``trial``)."""
    if outcome.status != "error":
        return []
    said, named = errors.explain(outcome.error or {}, trial.inputs)
    trial.mistakes.extend(m for m in named if m not in trial.mistakes)
    return said


def run_reference(reference: dict[str, Callable[..., Any]], step: Step, inputs: Inputs,
                  douts: list[np.ndarray]) -> Reference:
    if step.forward is None:
        value = call_reference(reference[step.backward], inputs)
        return Reference([np.asarray(value[0], dtype=np.float64)], value)
    out = call_reference(reference[step.forward], inputs)
    value = reference[step.backward](*fresh(douts), out[-1])
    return Reference([np.asarray(o, dtype=np.float64) for o in out[:-1]], value)


def forward_is_right(trial: Trial, ref: Reference) -> bool:
    """The student's forward outputs equal the reference's (value tolerances), in
    float64: outputs computed in float32 (mistake 31, :func:`~.precision.low_precision`)
    fall within the tolerance on some draws and not on others, so their backward is
    never judged on them (its items wait, the cause said once) instead of being judged
    by the luck of the draw."""
    if trial.outputs is None or len(trial.outputs) < len(ref.outputs):
        return False
    if low_precision(list(trial.outputs)):
        return False
    return all(matches(got, want) for got, want in zip(trial.outputs, ref.outputs, strict=False))


def input_variants(inputs: Inputs) -> list[Inputs]:
    """The inputs with biases zeroed, with square weights symmetrised, and both."""
    named = named_arrays(inputs)
    biases = [(a, p, np.zeros_like(v)) for a, p, v in named
              if v.ndim == 1 and BIAS_NAME.fullmatch(str(p[0] if p else a))]
    squares = [(a, p, (v + v.T) / 2) for a, p, v in named
               if v.ndim == 2 and v.shape[0] == v.shape[1] and WEIGHT_NAME.fullmatch(str(p[0] if p else a))]
    out = [replaced(inputs, biases)] if biases else []
    if squares:
        out.append(replaced(inputs, squares))
    if biases and squares:
        out.append(replaced(inputs, biases + squares))
    return out


def where_forward_is_right(ctx: Context, step: Step, inputs: Inputs,
                           douts: list[np.ndarray]) -> tuple[Trial, Reference] | None:
    """The student's and the reference's runs on the first variant of ``inputs``
    where the student's forward agrees with the reference (None if there is none,
    or no reference to tell)."""
    if ctx.reference is None:
        return None
    for variant in input_variants(inputs):
        ref = run_reference(ctx.reference, step, variant, douts)
        trial = run_student(ctx, step, variant, douts)
        if trial.failure is None and forward_is_right(trial, ref):
            return trial, ref
    return None


def forward_precision(ctx: Context, step: Step, trial: Trial, ref_outputs: list[np.ndarray] | None) -> str | None:
    """``"float32"`` (or the arithmetic found) when the student's forward is wrong on
    ``trial``'s inputs only because it computes in lower precision than float64
    (mistake 31): its outputs are float32, or they are off by rounding only and the
    forward is not smooth at float64's scale (:func:`~.precision.rounding_probe`)."""
    if trial.outputs is None or step.forward is None:
        return None
    found = low_precision(list(trial.outputs), ref_outputs)  # float32 only where it agrees to float32's precision
    if found or ref_outputs is None:
        return found
    errors_ = [compare(got, want) for got, want in zip(trial.outputs, ref_outputs, strict=False)]
    if not errors_ or any(c.problem not in (None, "values") for c in errors_) \
            or max(c.worst_rel_error for c in errors_) > ROUNDING_ONLY:
        return None
    spec = numeric.Forward(step.forward, tuple(np.shape(w) for w in ref_outputs))
    return "float32" if rounding_probe(ctx, spec, trial.inputs) else None


def pending_reason(step: Step, arithmetic: str | None = None) -> Message:
    """Why a backward's items wait: its forward (a loss: its value) is wrong on these
    inputs (because it computes in float32, when ``arithmetic`` says so: mistake 31)."""
    if arithmetic:
        return msg("diagnosis.pending_low_precision", func=step.backward, forward=step.forward or step.backward,
                   arithmetic=arithmetic)
    if step.forward is None:
        return msg("policy.pending_loss", func=step.backward)
    return msg("policy.pending_forward", func=step.backward, forward=step.forward)


def wait_for_forward(results: list[CheckResult], step: Step, arithmetic: str | None) -> None:
    """Make ``results`` pending for :func:`pending_reason`. A reason that names mistake
    31 is that mistake found: the items record it (the forward's own value item may
    have passed on its inputs, within the tolerance by the luck of the draw), so the
    class statistics and the mutant tables count what the report says."""
    reason = pending_reason(step, arithmetic)
    for r in results:
        r.pending(reason)
        if arithmetic and Mistake.LOW_PRECISION not in r.mistakes:
            r.mistakes.append(Mistake.LOW_PRECISION)


def call_backward_again(ctx: Context, step: Step, cache: Any, inputs: Inputs, douts: list[np.ndarray]) -> CallOutcome:
    """The backward once more on the cache of its first run (policy rule 5). When that
    cache belonged to a process since restarted (another function crashed it), the
    forward makes a new one first; if even that fails, the call did not run."""
    outcome = ctx.call(step.backward, tuple(douts) + (cache,))
    if outcome.status != CallStatus.STALE:
        return outcome
    trial = run_student(ctx, step, inputs, douts)
    if trial.outcome is None or (trial.failure is not None and trial.value is None and trial.outputs is None):
        return CallOutcome(CallStatus.UNAVAILABLE, error={"reason": "forward"})
    return trial.outcome


# ---------------------------------------------------------------------------
def averaged_gradients(inputs: Inputs, value: Any, expected: list[Any]) -> tuple[list[Message], list[str]]:
    """Mistake 35: a wrong gradient that is exactly 1/N (1/T through time) of the
    right one, averaged where the lecture sums (the inputs are a backward check's)."""
    if not isinstance(value, (tuple, list)) or "forward" not in inputs:
        return [], []
    for got, want in zip(value, expected, strict=False):
        want = np.asarray(want, dtype=np.float64)
        got_ = array_of(got, want.shape)
        if got_ is None or matches(got_, want) or not np.any(want):
            continue
        scale = float(np.sum(got_ * want) / np.sum(want * want))
        if matches(got_, want * scale):
            named = averaged(inputs["forward"], [scale], loss=False)
            if named is not None:
                return [msg(f"mistake.{named[0]}.found", ratio=named[1])], [named[0]]
    return [], []


def _or_averaged(diagnose: Callable[..., Any] | None) -> Callable[..., Any]:
    """A backward check's diagnosis, then (if it names nothing) mistake 35."""
    def both(inputs: Inputs, value: Any, expected: list[Any]) -> tuple[list[Message], list[str]]:
        said, named = diagnose(inputs, value, expected) if diagnose is not None else ([], [])
        return (said, named) if named else averaged_gradients(inputs, value, expected)
    return both


class BackwardValueCheck(ValueCheck):
    """A backward's gradients vs the reference's, each side using its own cache.

    ``inputs`` builds the forward's inputs, ``upstream(rng, forward_outputs)`` the
    upstream gradients (shaped after the reference's outputs). The student's
    backward receives the cache of the student's own forward, judged where that
    forward is right (see the module's docstring)."""

    gradients = True

    def __init__(self, id: str, func: str, inputs: Callable[[np.random.Generator], Inputs],
                 upstream: Callable[[np.random.Generator, Any], Inputs], outputs: list[Output], points: float,
                 forward: str, title: Message | None = None, diagnose: Callable[..., Any] | None = None,
                 on_error: Callable[..., Any] | None = None) -> None:
        super().__init__(id, func, inputs, outputs, points, title=title, diagnose=_or_averaged(diagnose),
                         on_error=on_error)
        self.upstream = upstream
        self.forward = forward
        self.step = Step(func, forward)

    def functions(self) -> tuple[str, ...]:
        return (self.func, self.forward)

    def _reference_case(self, reference: dict[str, Callable[..., Any]], rng: np.random.Generator
                        ) -> tuple[Inputs, list[Any], list[np.ndarray]]:
        f_in = self.inputs(rng)
        ref_out = call_reference(reference[self.forward], f_in)
        douts = self.upstream(rng, ref_out)
        value = reference[self.func](*fresh(list(douts.values())), ref_out[-1])
        expected = [np.asarray(extract(value, o.path)[0], dtype=np.float64) for o in self.outputs]
        outputs = [np.asarray(o, dtype=np.float64) for o in ref_out[:-1]]
        return {"forward": f_in, "upstream": douts}, expected, outputs

    def public_case(self, reference: dict[str, Callable[..., Any]], rng: np.random.Generator) -> PublicCase:
        inputs, expected, outputs = self._reference_case(reference, rng)
        return PublicCase({**inputs, "forward_outputs": outputs}, expected)

    def _case(self, ctx: Context) -> tuple[Inputs, list[Any], list[np.ndarray] | None] | None:
        if ctx.reference is not None:
            return self._reference_case(ctx.reference, ctx.rng(self.id))
        if ctx.public_cases and self.id in ctx.public_cases:
            pc = ctx.public_cases[self.id]
            inputs = {k: v for k, v in pc.inputs.items() if k != "forward_outputs"}
            return inputs, pc.expected, pc.inputs.get("forward_outputs")
        return None

    def run(self, ctx: Context) -> list[CheckResult]:
        res = self.new_result()
        memo_key = f"{self.id}:{','.join(ctx.substitute)}"
        if ctx.salt and memo_key in ctx.memo:
            return [self._again(ctx, res, *ctx.memo[memo_key])]
        case = self._case(ctx)
        if case is None or ctx.salt:
            return []
        inputs, expected, ref_outputs = case
        res.details["hidden_inputs"] = ctx.reference is not None
        douts = list(inputs["upstream"].values())
        trial = run_student(ctx, self.step, inputs["forward"], douts)
        self._judge_trial(ctx, res, trial, inputs, expected)
        right = ref_outputs is not None and forward_is_right(trial, Reference(list(ref_outputs), None))
        if res.points < res.max_points and not right and trial.outputs is not None:
            found = where_forward_is_right(ctx, self.step, inputs["forward"], douts)
            if found is not None:
                trial, ref = found
                res = self.new_result()
                res.details["hidden_inputs"] = ctx.reference is not None
                res.details["variant"] = True
                expected = [np.asarray(extract(ref.value, o.path)[0], dtype=np.float64) for o in self.outputs]
                inputs = {"forward": trial.inputs, "upstream": inputs["upstream"]}
                self._judge_trial(ctx, res, trial, inputs, expected)
                right = True
            else:
                wait_for_forward([res], self.step, forward_precision(ctx, self.step, trial, ref_outputs))
        if trial.cache is not None and trial.failure is None:  # for the second call (policy rule 5)
            ctx.memo[memo_key] = (trial.cache, douts, inputs, expected)
        return [res]

    def _judge_trial(self, ctx: Context, res: CheckResult, trial: Trial, inputs: Inputs, expected: list[Any]) -> None:
        res.output = trial.output
        res.details.update(trial.warnings)
        if trial.failure is not None:
            assert trial.outcome is not None
            if trial.outputs is None:  # the forward failed, or returned no cache
                res.details.update(error_details(trial.outcome))
                res.details["call"] = str(trial.outcome.status)
                res.failed(*trial.failure)
                res.mistakes.extend(m for m in trial.mistakes if m not in res.mistakes)
            else:
                failed_call(res, self.func, trial.outcome, self.on_error, inputs["forward"])
            return
        self.judge(ctx, res, inputs, trial.value, expected)

    def _again(self, ctx: Context, res: CheckResult, cache: Handle, douts: list[np.ndarray], inputs: Inputs,
               expected: list[Any]) -> CheckResult:
        """The second call: the backward again on the cache of its first right forward."""
        outcome = call_backward_again(ctx, self.step, cache, inputs["forward"], douts)
        if not outcome.ok:
            return failed_call(res, self.func, outcome, self.on_error)
        return self.judge(ctx, res, inputs, outcome.value, expected)
