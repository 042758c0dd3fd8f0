"""No-mutation checks: a function must leave its inputs (and upstream gradients)
unchanged, and give the same answer when called twice with the same arguments
(mistake 10). Worth :data:`grader.checks.policy.NO_MUTATION_POINTS` per graded
function, and only beside a right result (policy rule 6)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..calls import Call, Earlier, Handle
from ..i18n import msg
from ..mistakes import Mistake
from . import policy
from .compare import same_bits
from .kinds import Inputs, arrays_in, extract, failed_call
from .model import Check, CheckResult, Context, Kind, error_details, outcome_problem, warning_details


@dataclass
class MutationCheck(Check):
    """The function must leave its inputs (and upstream gradients) unchanged, and
    give the same answer when called twice with the same arguments (mistake 10).

    For a backward function, ``forward`` names the forward to call first; its cache
    is passed as the last argument, and the same cache is used for both calls."""

    id: str
    func: str
    inputs: Callable[[np.random.Generator], Inputs]
    points: float = policy.NO_MUTATION_POINTS
    forward: str | None = None
    forward_inputs: Callable[[np.random.Generator], Inputs] | None = None
    exercise: str = ""
    kind = Kind.MUTATION

    def max_points(self) -> float:
        return self.points

    def functions(self) -> tuple[str, ...]:
        return (self.func,) + ((self.forward,) if self.forward else ())

    def run(self, ctx: Context) -> list[CheckResult]:
        res = CheckResult(self.id, self.exercise, self.func, Kind.MUTATION,
                          msg("title.mutation", func=self.func), self.points)
        rng = ctx.rng(self.id)
        f_in = None
        if self.forward:
            assert self.forward_inputs is not None
            f_in = self.forward_inputs(rng)
        inputs = self.inputs(rng)
        names = list(inputs.keys())
        # The forward and both calls on its cache in one round trip (calls.Earlier): the
        # two calls run only if the forward returned a cache, as checked below.
        args = tuple(inputs.values()) + ((Earlier(0),) if self.forward else ())
        calls = [Call(self.func, args, return_args=True), Call(self.func, args)]
        if self.forward:
            assert f_in is not None
            calls = [Call(self.forward, tuple(f_in.values()), keep=(-1,)), *calls]
            fwd, first, second = ctx.call_many(calls)
            cache = fwd.value[-1] if fwd.ok and isinstance(fwd.value, tuple) and fwd.value else None
            if not isinstance(cache, Handle):
                msg_ = outcome_problem(self.forward, fwd) if not fwd.ok else msg(
                    "call.bad_forward_return", func=self.forward)
                res.details["call"] = str(fwd.status)
                return [res.failed(msg_, msg("mutation.needs_forward", forward=self.forward))]
        else:
            first, second = ctx.call_many(calls)
        res.output = first.output
        res.details.update(warning_details(first))
        if not first.ok:
            return [failed_call(res, self.func, first)]
        changed = []
        for name, before, after in zip(names, inputs.values(), first.args_after or [], strict=False):
            for path, arr in arrays_in(before):
                got, found = extract(after, path)
                if found and not same_bits(got, arr):
                    changed.append(name + "".join(f"[{p!r}]" for p in path))
        problems = []
        if changed:
            problems.append(msg("mutation.changed", func=self.func, args=", ".join(changed)))
            res.mistakes.append(Mistake.IN_PLACE)
            problems.append(msg(f"mistake.{Mistake.IN_PLACE}.found"))
        if second.ok and not _same_value(first.value, second.value):
            problems.append(msg("mutation.not_repeatable", func=self.func))
            res.details["repeatable"] = False
            if Mistake.IN_PLACE not in res.mistakes:
                res.mistakes.append(Mistake.IN_PLACE)
        elif not second.ok:
            res.details["repeatable"] = False
            err = second.error or {}
            if second.status == "error" and self.forward and not changed:
                # The arguments were fresh copies the second time; only the cache was the
                # same object: the first call used it up (``caches.pop()``) or changed it.
                res.details.update(error_details(second))
                res.mistakes.append(Mistake.IN_PLACE)
                return [res.failed(msg("diagnosis.cache_consumed", func=self.func, type=err.get("type", ""),
                                       message=err.get("message", "")), msg(f"mistake.{Mistake.IN_PLACE}.found"))]
            if second.status == "error" and not changed:
                res.details.update(error_details(second))
                return [res.failed(msg("diagnosis.second_call_failed", func=self.func, type=err.get("type", ""),
                                       message=err.get("message", "")))]
            problems.append(outcome_problem(self.func, second))
        return [res.failed(*problems, msg("hint.mutation")) if problems else res.passed()]


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
    return bool(a == b)
