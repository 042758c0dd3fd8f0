"""Run exercise specs against a submission, through any caller.

The engine knows nothing of particular exercises: it is handed a list of
:class:`Exercise` values (built in :mod:`grader.specs`) and a :class:`Context`
whose caller is a sandbox or, in tests of trusted code, an in-process caller. It
runs every check, then applies the scoring policy (:mod:`grader.checks.policy`),
which decides every point:

1. each exercise's checks, in order; a composite that fails while one of its
   building blocks fails runs its failing checks again with those blocks computed
   by the reference, and keeps what is right then (explaining only what stays wrong);
2. a deferred second pass over every comparison with the reference, after all
   other calls;
3. side properties gated on results, pending items explained once per exercise,
   pointers from a composite to its failing building blocks;
4. every failed item's cause put first (:mod:`grader.checks.causes`).

A check that raises (a bug in a spec, never in student code, which runs in the
child) is recorded as a failed item with a grader-error message rather than
aborting the whole grade.
"""

from __future__ import annotations

import dataclasses
import traceback
from dataclasses import dataclass, field
from typing import Any

from ..i18n import Message, msg
from ..plain import decode, encode
from . import causes, policy, replay
from .model import Check, CheckResult, Context, Kind, Status


@dataclass
class Exercise:
    """One exercise: the functions a student writes and the checks that grade them."""

    name: str  # e.g. "affine"
    title: Message
    module: str  # solution module file, e.g. "layers.py"
    functions: list[str]
    checks: list[Check]
    section: str = ""  # the lecture section it exercises (the quiz's lecture map uses the same keys)
    builds_on: tuple[str, ...] = ()  # exercises whose functions this one usually calls
    # Of those, the ones the reference cannot stand in for: the composite passes them
    # something that lives in the child (a random Generator whose stream is the point),
    # so they are named when they fail ("fix that first") but never substituted.
    not_substituted: tuple[str, ...] = ()
    # The functions of those exercises (filled in by the specs' registry): all of them are
    # computed by the reference when a composite is re-checked (policy rule 4).
    block_functions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for c in self.checks:
            c.exercise = self.name

    def max_points(self) -> float:
        return sum(c.max_points() for c in self.checks)

    def info(self) -> ExerciseInfo:
        """What a result keeps of this exercise: plain data, no checks."""
        return ExerciseInfo(self.name, self.title, self.module, tuple(self.functions), self.section,
                            tuple(self.builds_on), tuple(self.not_substituted))


@dataclass(frozen=True)
class ExerciseInfo:
    """An exercise as its result remembers it: names and texts, not the live checks
    (a result is plain data, stored and rendered long after the specs ran)."""

    name: str
    title: Message
    module: str = ""
    functions: tuple[str, ...] = ()
    section: str = ""
    builds_on: tuple[str, ...] = ()
    not_substituted: tuple[str, ...] = ()  # blocks never replaced by the reference's (Exercise)


@dataclass
class ExerciseResult:
    exercise: ExerciseInfo  # given an Exercise, keeps its info()
    results: list[CheckResult] = field(default_factory=list)
    graded_from: dict[str, str] = field(default_factory=dict)  # function -> file
    alternatives: dict[str, list[str]] = field(default_factory=dict)  # other definitions
    notes: list[Message] = field(default_factory=list)  # said once, first (pending items' reasons)

    def __post_init__(self) -> None:
        if isinstance(self.exercise, Exercise):
            self.exercise = self.exercise.info()

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-compatible data (:mod:`grader.plain`); :meth:`from_dict` reads it."""
        ex = self.exercise
        return {"name": ex.name, "title": encode(ex.title), "module": ex.module, "functions": list(ex.functions),
                "section": ex.section, "builds_on": list(ex.builds_on),
                "not_substituted": list(ex.not_substituted),
                "results": [r.to_dict() for r in self.results], "graded_from": dict(self.graded_from),
                "alternatives": {k: list(v) for k, v in self.alternatives.items()},
                "notes": [encode(n) for n in self.notes]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExerciseResult:
        info = ExerciseInfo(data["name"], decode(data["title"]), data.get("module", ""),
                            tuple(data.get("functions", ())), data.get("section", ""),
                            tuple(data.get("builds_on", ())), tuple(data.get("not_substituted", ())))
        return cls(info, [CheckResult.from_dict(r) for r in data.get("results", [])],
                   dict(data.get("graded_from", {})),
                   {k: list(v) for k, v in (data.get("alternatives") or {}).items()},
                   [decode(n) for n in data.get("notes", [])])

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
        if ctx.strict:
            raise
        res = CheckResult(check.id, check.exercise, check.func, Kind.ERROR,
                          msg("title.grader_error", func=check.func), check.max_points())
        res.details["grader_traceback"] = traceback.format_exc(limit=8)
        return [res.failed(msg("grader.internal_error"))]


def _run_exercise(ex: Exercise, ctx: Context, functions: dict[str, list[str]],
                  done: dict[str, ExerciseResult]) -> ExerciseResult:
    er = ExerciseResult(ex.info())
    for f in ex.functions:
        if f in functions:
            er.graded_from[f] = functions[f][0]
            if len(functions[f]) > 1:
                er.alternatives[f] = functions[f][1:]
    # A composite whose building blocks fail may be right with the reference's blocks:
    # its checks run without explanations first, and only what stays wrong is explained.
    rescue = ctx.reference is not None and ctx.blocks is not None and any(
        policy.broken(done[name]) for name in ex.builds_on if name in done and name not in ex.not_substituted)
    # The first run's requests are kept, so that explaining what stays wrong asks the
    # student's code nothing twice (grader.checks.replay).
    recorders = [replay.Recorder(ctx.caller) for _ in ex.checks] if rescue else []
    per_check = [run_check(check, dataclasses.replace(ctx, explain=False, caller=recorders[k]) if rescue else ctx)
                 for k, check in enumerate(ex.checks)]
    blocks = policy.blocks_to_substitute(ExerciseResult(ex.info(), [r for rs in per_check for r in rs]), done)
    if blocks and rescue:
        # Every building block, not only the failing ones, so that every value the
        # composite hands a stand-in comes from its own arguments or from another
        # stand-in (what the block server admits, grader.checks.blocks).
        every = policy.every_block(ex, blocks, done)
        with_blocks = ctx.substituting(every)
        for check, results in zip(ex.checks, per_check, strict=True):
            if any(r.points < r.max_points for r in results):
                policy.keep_better(results, run_check(check, with_blocks), blocks, every)
    if rescue:
        for k, check in enumerate(ex.checks):
            if any(r.status != Status.PASSED and not r.details.get("substituted") for r in per_check[k]):
                explained = {r.id: r for r in run_check(check, dataclasses.replace(
                    ctx, caller=recorders[k].replayer()))}
                per_check[k] = [r if r.details.get("substituted") else explained.get(r.id, r) for r in per_check[k]]
    er.results = [r for rs in per_check for r in rs]
    return er


def _second_pass(exercises: list[Exercise], results: list[ExerciseResult], ctx: Context) -> None:
    """Every comparison with the reference once more, after all other calls."""
    again = ctx.again()
    for ex, er in zip(exercises, results, strict=True):
        later: list[CheckResult] = []
        for check in ex.checks:
            if not getattr(check, "second_pass", False):
                continue
            # Each item is called again the way it earned its points: with the student's
            # own building blocks, or with the reference's (policy rule 4).
            # Only where an item can still lose its points (policy.charged_later): a stub, an
            # item that failed, a side item are not asked again.
            modes: dict[tuple[str, ...], set[str]] = {}
            charged: set[tuple[str, ...]] = set()
            for r in er.results:
                if r.id == check.id or r.id.startswith(check.id + "."):
                    mode = tuple(r.details.get("substituted") or ())
                    modes.setdefault(mode, set()).add(r.id)
                    if policy.charged_later(r):
                        charged.add(mode)
            for blocks, ids in modes.items():
                if blocks not in charged:
                    continue
                run_again = again.substituting(blocks) if blocks else again
                second = [s for s in run_check(check, run_again) if s.id in ids]
                if any(s.details.get("not_run") for s in second):
                    # The process had died in another function's call: once more, on a fresh one.
                    retried = {s.id: s for s in run_check(check, run_again)}
                    second = [retried.get(s.id, s) if s.details.get("not_run") else s for s in second]
                later += second
        policy.charge_later_calls(er.results, later)


def running_order(exercises: list[Exercise]) -> list[Exercise]:
    """``exercises`` with every building block among them moved before the composites
    that build on it (otherwise in the order given), so that a composite can be judged
    with the reference's blocks (policy rule 4) in whatever order an assignment lists
    its exercises."""
    by_name = {ex.name: ex for ex in exercises}
    order: list[Exercise] = []
    placed: set[str] = set()

    def visit(ex: Exercise, path: tuple[str, ...]) -> None:
        if ex.name in placed or ex.name in path:
            return
        for block in ex.builds_on:
            if block in by_name:
                visit(by_name[block], path + (ex.name,))
        placed.add(ex.name)
        order.append(ex)

    for ex in exercises:
        visit(ex, ())
    return order


def run_exercises(exercises: list[Exercise], ctx: Context,
                  functions: dict[str, list[str]]) -> list[ExerciseResult]:
    """Grade ``exercises``; the results come back in the order given (they are graded
    building blocks first, :func:`running_order`)."""
    done: dict[str, ExerciseResult] = {}
    for ex in running_order(exercises):
        done[ex.name] = run_first(ex, ctx, functions, done)
    out = [done[ex.name] for ex in exercises]
    second_pass(exercises, out, ctx)
    finish(out, ctx)
    return out


# The steps of run_exercises, for a grade split over two processes (grader.split): each
# process runs the first pass of its exercises and then its own second pass (after all
# other calls in its child); finish() runs once on the merged results.
def run_first(ex: Exercise, ctx: Context, functions: dict[str, list[str]],
              done: dict[str, ExerciseResult]) -> ExerciseResult:
    """The first pass of one exercise; ``done`` holds the first-pass results of the
    exercises it builds on (``ex.builds_on``) that are graded."""
    return _run_exercise(ex, ctx, functions, done)


def second_pass(exercises: list[Exercise], results: list[ExerciseResult], ctx: Context) -> None:
    """The deferred second pass of ``exercises`` (their first-pass ``results``), in place."""
    _second_pass(exercises, results, ctx)


def finish(out: list[ExerciseResult], ctx: Context) -> None:
    """What spans exercises, once, on every exercise's results after both passes."""
    if not ctx.official:  # no reference blocks were substituted: a failing block is the composite's cause
        causes.relay_block_mistakes(out)
    for er in out:
        policy.gate_side_checks(er.results, final=ctx.official)
        causes.name_pending(er.results)
        er.notes = policy.pending_notes(er.results)
    policy.point_to_foundations(out)
    for er in out:
        causes.cause_first(er.results)
