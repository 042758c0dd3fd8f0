"""Run exercise specs against a sandboxed submission.

The engine knows nothing of particular exercises: it is handed a list of
:class:`Exercise` values (built in :mod:`grader.specs`) and runs their checks in
order. A check that raises (a bug in a spec, never in student code, which runs in
the child) is recorded as a failed item with a grader-error message rather than
aborting the whole grade.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field

from ..i18n import Message, msg
from .model import Check, CheckResult, Context


@dataclass
class Exercise:
    """One exercise: the functions a student writes and the checks that grade them."""

    name: str  # e.g. "affine"
    title: Message
    module: str  # solution module file, e.g. "layers.py"
    functions: list[str]
    checks: list[Check]
    section: str = ""  # lecture section key (see course/README.md)
    builds_on: tuple[str, ...] = ()  # exercises whose functions this one usually calls

    def __post_init__(self) -> None:
        for c in self.checks:
            c.exercise = self.name

    def max_points(self) -> float:
        return sum(c.max_points() for c in self.checks)


@dataclass
class ExerciseResult:
    exercise: Exercise
    results: list[CheckResult] = field(default_factory=list)
    graded_from: dict[str, str] = field(default_factory=dict)  # function -> file
    alternatives: dict[str, list[str]] = field(default_factory=dict)  # other definitions

    @property
    def points(self) -> float:
        return round(sum(r.points for r in self.results), 4)

    @property
    def max_points(self) -> float:
        return round(sum(r.max_points for r in self.results), 4)


def run_check(check: Check, ctx: Context) -> list[CheckResult]:
    try:
        return check.run(ctx)
    except Exception:  # a grader bug: record it, keep grading
        res = CheckResult(check.id, check.exercise, check.func, "error",
                          msg("title.grader_error", func=check.func), check.max_points())
        res.details["grader_traceback"] = traceback.format_exc(limit=8)
        return [res.failed(msg("grader.internal_error"))]


# Kinds that say whether a function computes the right thing; a mutation check
# ("inputs left unchanged") is only worth points for a function that gets
# something right.
_CORRECTNESS_KINDS = ("value", "backward", "gradient")


def gate_side_checks(results: list[CheckResult]) -> None:
    """Zero the no-mutation points of a function none of whose results is right.

    Leaving the inputs alone is a virtue only of a function that computes
    something: a body that returns zeros must not collect these points. A function
    with one wrong output keeps them (one mistake costs only its own items). The
    check gains one line saying why it earned nothing."""
    judged: dict[str, list[bool]] = {}
    for r in results:
        if r.kind in _CORRECTNESS_KINDS:
            judged.setdefault(r.func, []).append(r.status == "passed")
    wrong = {func for func, verdicts in judged.items() if not any(verdicts)}
    for r in results:
        if r.kind == "mutation" and r.status == "passed" and r.func in wrong:
            r.failed(msg("check.needs_correct_values", func=r.func))


def run_exercises(exercises: list[Exercise], ctx: Context,
                  functions: dict[str, list[str]]) -> list[ExerciseResult]:
    out = []
    for ex in exercises:
        er = ExerciseResult(ex)
        for f in ex.functions:
            if f in functions:
                er.graded_from[f] = functions[f][0]
                if len(functions[f]) > 1:
                    er.alternatives[f] = functions[f][1:]
        for check in ex.checks:
            er.results.extend(run_check(check, ctx))
        gate_side_checks(er.results)
        out.append(er)
    point_to_foundations(out)
    return out


def point_to_foundations(results: list[ExerciseResult]) -> None:
    """Tell a student whose LSTM over a sequence fails that their one-step LSTM
    fails too: fixing the building block first usually fixes both."""
    broken = {er.exercise.name: er for er in results
              if any(r.status != "passed" and r.kind in _CORRECTNESS_KINDS for r in er.results)}
    for er in results:
        under = [broken[name] for name in er.exercise.builds_on if name in broken]
        if not under:
            continue
        note = msg("check.builds_on", exercises=[b.exercise.title for b in under])
        for r in er.results:
            if r.status != "passed" and r.kind != "mutation":
                r.messages.append(note)
