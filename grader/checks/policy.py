"""The scoring policy, in one place. ``docs/scoring.md`` says the same in words; a
test checks that its table of points is what the specs give.

The rules, in the order the engine applies them:

1. **What earns points.** Each graded item has a kind (:class:`~.model.Kind`).
   Comparisons with the reference (``value``, ``backward``) and the numerical
   gradient check (``gradient``) are the *results* of a function; properties of
   its results (``property``) need no reference. A value check shares its points
   among its outputs (:func:`value_credit`); it earns nothing when the primary
   (first) output is missing, and outputs whose right answer is trivial (all zero,
   or an argument returned unchanged) earn their share only beside a right
   non-trivial one, so code that computes nothing earns nothing.
2. **A gradient is right for a right forward, or right.** A numerical item passes
   when the student's forward is right on the check's inputs (or on a variant of
   rule 3) and the gradient agrees with the numerical derivative of that forward,
   which really depends on the input (its derivative does not vanish where the
   reference's does not); or when the gradient agrees with the reference's
   derivative, whatever the forward (:func:`numeric_verdict`). A gradient that only
   agrees with a wrong forward waits for it (rule 3).
3. **A backward is judged where its forward is right** (:mod:`.backward`): when the
   forward disagrees with the reference, the items run again on variants of the
   inputs (biases zeroed, square weights symmetrised, both); where none agrees,
   the failing items are *pending*: 0 points, not a failure, the reason said once,
   first, in the exercise (:func:`pending_notes`). A forward that computes in float32
   (mistake 31) is never taken as right for this, even within the tolerance: its
   numerical derivatives are rounding noise.
4. **A composite is judged on its own merits** (:func:`blocks_to_substitute`,
   :func:`keep_better`): when it fails and a building block fails its own checks,
   its checks run again with those blocks computed by the reference; an item right
   then keeps its points, with a note that it fails only through the block.
5. **A later call must be right too** (:func:`charge_later_calls`): every
   comparison with the reference runs a second time at the end, after all other
   calls; a function wrong then - or crashing, timing out, flooding its output -
   loses its value points (state kept between calls), unless its no-mutation check
   already charged that. A second call that could not run because the process died
   in another function's call is tried again on a fresh process; if that is
   impossible, the item waits (pending).
6. **Side properties count only beside results** (:func:`gate_side_checks`): no
   mutation, stability and edge cases (where doing nothing is right) earn points
   only for a function that gets some of its own results right in a comparison
   with the reference (or, for a function that has none, always); until then a
   passed side item or property is not counted yet (pending), not failed.
7. **An assignment's weights** (:class:`Weights`, :func:`apply_weights`): a course file
   may multiply the points of every item of a kind, and give an exercise (the quiz
   included) a total that its items are scaled to. Applied last, to every item alike,
   so rules 1-6 decide *whether* an item earns its points and the weights only *how
   many* they are; without a course file every factor is 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..calls import CallOutcome
from ..display import shown
from ..i18n import Message, msg
from ..mistakes import Mistake
from .model import SIDE_FINAL, SIDE_REASONS, SIDE_WAITS, CheckResult, Kind, Status
from .numeric import consistent, vanishes

if TYPE_CHECKING:
    from .engine import Exercise, ExerciseResult

NO_MUTATION_POINTS = 0.5  # every graded function's "inputs unchanged, same answer twice" item
# A later call that could not run at all through no doing of its own (the process had
# died in another function's call and could not be restarted, its cache belonged to a
# process that was since restarted, the whole submission's time was spent) is not judged:
# its items wait (pending). Anything else the call did is judged, a crash, a timeout, a
# flood of output or an answer far too large included (rule 5).
NOT_RUN_CALLS = frozenset({"unavailable", "stale", "missing"})

RESULT_KINDS = frozenset({Kind.VALUE, Kind.BACKWARD})  # evidence that a function computes something
SIDE_KINDS = frozenset({Kind.MUTATION, Kind.STABILITY, Kind.EDGE})
CORRECTNESS_KINDS = frozenset({Kind.VALUE, Kind.BACKWARD, Kind.GRADIENT})


@dataclass(frozen=True)
class KindRule:
    """How one kind of item counts (the rows of docs/scoring.md's first table)."""

    kind: Kind
    checks: str
    counts: str


KIND_RULES = (
    KindRule(Kind.VALUE, "outputs against the reference (hidden inputs; the public case in a self-check)",
             "shared among its outputs; nothing without the primary output; trivial outputs and by-products "
             "in proportion to the right main outputs"),
    KindRule(Kind.BACKWARD, "one gradient against the reference's, on the student's own cache",
             "judged where the forward's output is right, else pending"),
    KindRule(Kind.GRADIENT, "one gradient against the numerical gradient of the student's own forward",
             "judged where the forward is right (on the check's inputs or a variant) and depends on the "
             "input, else pending; a gradient equal to the true one passes whatever the forward"),
    KindRule(Kind.PROPERTY, "a property of the results that needs no reference",
             "only beside a right result, else pending (init_weights, compared with no reference: its "
             "statistics are its results)"),
    KindRule(Kind.EDGE, "an edge case whose right answer is to change nothing",
             "only beside a right result, else pending"),
    KindRule(Kind.MUTATION, "inputs unchanged, the same answer twice",
             "only beside a right result, else pending"),
    KindRule(Kind.STABILITY, "no overflow or NaN for large inputs",
             "only beside a right result, else pending"),
)


# ----------------------------------------------------------------------- 1. values
def value_credit(points: float, matched: Sequence[bool], trivial: Sequence[bool],
                 primary_missing: bool, secondary: Sequence[bool] | None = None) -> float:
    """Points of a value check whose outputs ``matched`` (the first is primary).

    Each output has an equal share. The *main* outputs (neither ``trivial``, right by
    doing nothing, nor ``secondary``, a by-product such as running statistics) earn
    theirs when right; the others earn theirs in proportion to the main outputs that
    are right, so zeros, unchanged arguments and by-products earn nothing on their own
    (a batch norm that updates its running statistics and returns zeros)."""
    n = len(matched)
    side = list(secondary) if secondary is not None else [False] * n
    main = [k for k in range(n) if not trivial[k] and not side[k]] or [k for k in range(n) if not trivial[k]]
    if primary_missing or n == 0 or not main:
        return 0.0
    right = sum(1 for k in main if matched[k])
    share = right + sum(1 for k in range(n) if k not in main and matched[k]) * right / len(main)
    return round(points * share / n, 4)


# --------------------------------------------------------------------- 2. gradients
def numeric_verdict(analytic: Sequence[float | None], numeric: Sequence[float | None],
                    reference: Sequence[float] | None, correct: Sequence[float | None] | None = None,
                    forward_right: bool = True) -> str:
    """``"consistent"``, ``"right"``, ``"waiting"``, ``"degenerate"`` or ``"mismatch"``
    for one gradient's directional derivatives (the first two pass).

    ``numeric`` are the numerical derivatives of the student's forward, ``reference``
    the reference's gradient along the same directions; ``correct`` the numerical
    derivatives of the reference's forward (in a self-check, the public case's
    gradient). Agreeing with the student's own forward counts only where that
    forward is right (``forward_right``): a backward that differentiates a wrong
    forward is ``"waiting"`` for it, unless it agrees with the true derivative."""
    if forward_right:
        degenerate = reference is not None and vanishes(numeric, reference)
        if consistent(analytic, numeric) and not degenerate:
            return "consistent"
    if correct is not None and consistent(analytic, correct):
        return "right"
    if not forward_right:
        return "waiting"
    return "degenerate" if degenerate else "mismatch"


def settle_trivial(items: list[CheckResult]) -> None:
    """Items of one check whose right answer is zero (``details["trivial"]``) count
    only when a non-trivial item of the check passed."""
    if any(r.status == Status.PASSED and not r.details.get("trivial") for r in items):
        return
    for r in items:
        if r.status == Status.PASSED and r.details.get("trivial"):
            r.failed(msg("policy.trivial_alone", func=r.func))


# ----------------------------------------------------------------------- 3. pending
def pending_notes(results: Iterable[CheckResult]) -> list[Message]:
    """The reasons of the pending items of one exercise, each once, with the points
    that wait for it."""
    reasons: list[Message] = []
    points: list[float] = []
    for r in results:
        if r.status == Status.PENDING and r.messages:
            if r.messages[0] not in reasons:
                reasons.append(r.messages[0])
                points.append(0.0)
            points[reasons.index(r.messages[0])] += r.max_points - r.points
    notes = [(reason.key in SIDE_REASONS, msg("policy.pending_note", reason=reason, points=shown(p)))
             for reason, p in zip(reasons, points, strict=True)]
    # A side item that only waits for its function's results (rule 6) is a consequence:
    # the reasons that say why something is wrong come first.
    return [note for _, note in sorted(notes, key=lambda n: n[0])]


# --------------------------------------------------------------------- 4. composites
def broken(er: ExerciseResult) -> bool:
    """An exercise that does not earn full marks (a building block to substitute)."""
    return any(r.status != Status.PASSED for r in er.results)


def blocks_to_substitute(er: ExerciseResult, done: dict[str, ExerciseResult]) -> tuple[str, ...]:
    """The functions of the building blocks of ``er`` that fail their own checks,
    when ``er`` itself loses points (else nothing to substitute)."""
    if not any(r.status != Status.PASSED and r.kind in CORRECTNESS_KINDS | SIDE_KINDS for r in er.results):
        return ()
    names: list[str] = []
    for block in er.exercise.builds_on:
        if block in done and broken(done[block]) and block not in er.exercise.not_substituted:
            names += [f for f in done[block].exercise.functions if f not in names]
    return tuple(n for n in names if n not in er.exercise.functions)


def every_block(ex: Exercise, failing: Sequence[str], done: dict[str, ExerciseResult]) -> tuple[str, ...]:
    """Every building-block function of ``ex`` (the reference computes all of them
    when ``ex`` is re-checked, not only the ``failing`` ones)."""
    names = list(ex.block_functions) or [f for b in ex.builds_on if b in done and b not in ex.not_substituted
                                         for f in done[b].exercise.functions]
    names += [f for f in failing if f not in names]
    return tuple(n for n in dict.fromkeys(names) if n not in ex.functions)


def keep_better(results: list[CheckResult], again: list[CheckResult], blocks: Sequence[str],
                substituted: Sequence[str] | None = None) -> None:
    """Where the run with the building blocks substituted (``substituted``, by default
    ``blocks``) earned more, keep it: the item is right and fails only through the
    failing ``blocks``."""
    by_id = {r.id: r for r in again}
    for k, r in enumerate(results):
        s = by_id.get(r.id)
        if s is None or s.points <= r.points:
            continue
        s.messages.insert(0, msg("policy.right_with_blocks", func=s.func, blocks=", ".join(blocks)))
        s.details["substituted"] = list(substituted if substituted is not None else blocks)
        results[k] = s


# -------------------------------------------------------------- 5. later calls
def not_run(outcome: CallOutcome) -> bool:
    """A call that could not run through no doing of its own function (see
    :data:`NOT_RUN_CALLS`; a timeout only when the submission's whole time was spent)."""
    return str(outcome.status) in NOT_RUN_CALLS or (
        outcome.status == "timeout" and (outcome.error or {}).get("limit") == "total")


def charged_later(r: CheckResult) -> bool:
    """Whether the second call can change ``r``: only a result item with points loses them."""
    return r.kind in RESULT_KINDS and r.points > 0


def charge_later_calls(results: list[CheckResult], again: list[CheckResult]) -> None:
    """A function whose comparison with the reference fails on the deferred second
    call (where it passed first) loses the points of all its value items: a wrong
    answer, an error, a crash, a timeout, a flood of output alike. An item whose
    second call could not run at all (``details["not_run"]``) waits (pending)."""
    by_id = {r.id: r for r in again}
    drifted: dict[str, CheckResult] = {}  # function -> its later call's first failed item
    unrun: list[str] = []
    for r in results:
        s = by_id.get(r.id)
        if s is None or not charged_later(r) or s.status != Status.FAILED \
                or s.points >= r.points:
            continue
        if s.details.get("not_run"):
            unrun.append(r.id)
        elif r.func not in drifted:
            drifted[r.func] = s
    not_repeatable = {r.func for r in results if r.kind == Kind.MUTATION and r.details.get("repeatable") is False}
    for r in results:
        if r.func in drifted and r.func not in not_repeatable and r.kind in RESULT_KINDS and r.points > 0:
            r.failed()
            later = drifted[r.func]
            if Mistake.LOW_PRECISION in later.mistakes and later.messages:
                # Not state kept between calls: float32 results off by more on other inputs
                # (said once: not again where the first call already said it).
                if Mistake.LOW_PRECISION not in r.mistakes:
                    r.messages.insert(0, later.messages[0])
                    r.mistakes.append(Mistake.LOW_PRECISION)
            else:
                r.messages.insert(0, _later_call(later))
        elif r.id in unrun and r.func not in drifted:
            r.points = 0.0
            r.pending(msg("policy.later_call_unrun", func=r.func))


def _later_call(s: CheckResult) -> Message:
    """What a function's later call did: answered wrongly (or raised), or crashed,
    timed out, flooded its output, answered far too large (its own first message)."""
    returned = s.details.get("call", "ok") in ("ok", "error", "not_implemented") or not s.messages
    return msg("policy.later_call", func=s.func) if returned else \
        msg("policy.later_call_failed", func=s.func, problem=s.messages[0])


# ----------------------------------------------------------- 6. side properties
def gate_side_checks(results: list[CheckResult], final: bool = False) -> None:
    """Side items and properties that passed, of a function that has comparisons with
    the reference and earns nothing in any of them (an identity passes "unchanged
    below the threshold", a zero batch norm "the running statistics follow the
    momentum"), are not counted yet (pending, 0 points, never a failure): they count
    once some of its results are right. When those comparisons are pending, these
    items wait with them, for the same reason. A function with no comparison with the
    reference (init_weights) is judged by properties marked as its results; its other
    properties wait beside them. ``final`` (an official grade) says so without "yet":
    the grade is final, the item is not counted because the function's results are wrong."""
    compared: dict[str, bool] = {}
    waiting: dict[str, Message] = {}
    for r in results:
        if r.kind in RESULT_KINDS:
            compared[r.func] = compared.get(r.func, False) or r.points > 0
            if r.status == Status.PENDING and r.messages:
                waiting.setdefault(r.func, r.messages[0])
    own = {r.func for r in results if r.kind == Kind.PROPERTY and r.details.get("result")}
    for func in own - set(compared):
        compared[func] = any(r.points > 0 for r in results
                             if r.func == func and r.kind == Kind.PROPERTY and r.details.get("result"))
    gated = SIDE_KINDS | {Kind.PROPERTY}
    for r in results:
        if r.kind in gated and not r.details.get("result") and r.status == Status.PASSED \
                and compared.get(r.func) is False:
            # Passed, but worth nothing yet: not counted (neutral), never a failure.
            r.points = 0.0
            r.pending(waiting.get(r.func) or msg(SIDE_FINAL if final else SIDE_WAITS, func=r.func))


def point_to_foundations(results: list[ExerciseResult]) -> None:
    """Tell a student whose LSTM over a sequence fails that their one-step LSTM
    fails too: fixing the building block first usually fixes both."""
    failing = {er.exercise.name: er for er in results
               if any(r.status != Status.PASSED and r.kind in CORRECTNESS_KINDS for r in er.results)}
    for er in results:
        under = [failing[name] for name in er.exercise.builds_on if name in failing]
        if not under:
            continue
        note = msg("check.builds_on", exercises=[b.exercise.title for b in under])
        for r in er.results:
            if r.status == Status.FAILED and r.kind != Kind.MUTATION:
                r.messages.append(note)


# ----------------------------------------------------------------- 7. weights
@dataclass(frozen=True)
class Weights:
    """An assignment's weights (the course file's ``points`` and ``kinds`` tables).

    ``kind_factors`` multiplies the points of every item of a kind (``gradient = 0.5``;
    0 keeps an item as feedback that counts nothing); ``exercise_points`` then scales the
    items of an exercise (by name; the concept quiz is ``quiz``) so that they add up to
    the given total. Kinds not named keep their points, exercises not named their total."""

    exercise_points: Mapping[str, float] = field(default_factory=dict)
    kind_factors: Mapping[str, float] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.exercise_points) or bool(self.kind_factors)

    def factors(self, exercise: str, items: Sequence[tuple[str, float]]) -> list[float]:
        """The factor of each item ``(kind, maximum points)`` of ``exercise``."""
        by_kind = [float(self.kind_factors.get(str(kind), 1.0)) for kind, _ in items]
        total = sum(f * m for f, (_, m) in zip(by_kind, items, strict=True))
        target = self.exercise_points.get(exercise)
        scale = float(target) / total if target is not None and total > 0 else 1.0
        return [f * scale for f in by_kind]


def weighted(points: float, factor: float) -> float:
    """Points times a weight, rounded so that a scaled exercise still adds up to its total."""
    return round(points * factor, 6)


def apply_weights(results: Sequence[ExerciseResult], weights: Weights) -> None:
    """Scale every item's points and maximum by its factor (rule 7); the exercise's
    notes of pending points and any points a message states are restated in the
    weighted points."""
    if not weights:
        return
    for er in results:
        factors = weights.factors(er.exercise.name, [(r.kind, r.max_points) for r in er.results])
        if all(f == 1.0 for f in factors):
            continue
        for r, f in zip(er.results, factors, strict=True):
            r.max_points, r.points = weighted(r.max_points, f), weighted(r.points, f)
            r.messages = [_restate_points(m, f) for m in r.messages]
        er.notes = pending_notes(er.results)


def _restate_points(m: Message, factor: float) -> Message:
    """A message stating an item's points (``points``, ``max_points``), in weighted points."""
    if not any(k in m.params for k in ("points", "max_points")):
        return m
    params = dict(m.params)
    for k in ("points", "max_points"):
        try:
            params[k] = shown(weighted(float(params[k]), factor))
        except (KeyError, TypeError, ValueError):
            pass
    return msg(m.key, **params)


# ------------------------------------------------------------- docs/scoring.md
TABLE_KINDS = (Kind.VALUE, Kind.BACKWARD, Kind.GRADIENT, Kind.PROPERTY, Kind.EDGE, Kind.MUTATION, Kind.STABILITY)


def kinds_table() -> str:
    """The kinds of items and how each counts, as the Markdown table of docs/scoring.md."""
    rows = ["| kind | what it checks | how it counts |", "|---|---|---|"]
    rows += [f"| `{r.kind}` | {r.checks} | {r.counts} |" for r in KIND_RULES]
    return "\n".join(rows)


def points_table(exercises: Sequence[Exercise], weights: Weights | None = None) -> str:
    """The points of every exercise by kind (official grading), as the Markdown table
    of docs/scoring.md (a test keeps the document equal to it); with an assignment's
    ``weights``, the points that assignment gives."""

    def fmt(x: float) -> str:
        return shown(x) if x else "-"

    rows = ["| exercise | " + " | ".join(f"`{k}`" for k in TABLE_KINDS) + " | total |",
            "|---|" + "---:|" * (len(TABLE_KINDS) + 1)]
    totals = dict.fromkeys(TABLE_KINDS, 0.0)
    for ex in exercises:
        by_kind = dict.fromkeys(TABLE_KINDS, 0.0)
        items = [(kind, points) for check in ex.checks for kind, points in check.points_by_kind().items()]
        factors = weights.factors(ex.name, items) if weights else [1.0] * len(items)
        for (kind, points), f in zip(items, factors, strict=True):
            by_kind[kind] += weighted(points, f)
        for k in TABLE_KINDS:
            totals[k] += by_kind[k]
        rows.append(f"| {ex.name} | " + " | ".join(fmt(by_kind[k]) for k in TABLE_KINDS)
                    + f" | {fmt(sum(by_kind.values()))} |")
    rows.append("| **all** | " + " | ".join(f"**{fmt(totals[k])}**" for k in TABLE_KINDS)
                + f" | **{fmt(sum(totals.values()))}** |")
    return "\n".join(rows)
