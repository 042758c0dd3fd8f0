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
2. **A gradient is right for its own forward, or right.** A numerical item passes
   when the gradient agrees with the numerical derivative of the student's own
   forward pass and that forward really depends on the input (its derivative does
   not vanish where the reference's does not), or - where the forward's output is
   right - when it agrees with the reference's derivative (:func:`numeric_verdict`).
3. **A backward is judged where its forward is right** (:mod:`.backward`): when the
   forward disagrees with the reference, the items run again on variants of the
   inputs (biases zeroed, square weights symmetrised, both); where none agrees,
   the failing items are *pending*: 0 points, not a failure, the reason said once,
   first, in the exercise (:func:`pending_notes`).
4. **A composite is judged on its own merits** (:func:`blocks_to_substitute`,
   :func:`keep_better`): when it fails and a building block fails its own checks,
   its checks run again with those blocks computed by the reference; an item right
   then keeps its points, with a note that it fails only through the block.
5. **A later call must be right too** (:func:`charge_later_calls`): every
   comparison with the reference runs a second time at the end, after all other
   calls; a function wrong then loses its value points (state kept between calls),
   unless its no-mutation check already charged that.
6. **Side properties count only beside results** (:func:`gate_side_checks`): no
   mutation, stability and edge cases (where doing nothing is right) earn points
   only for a function that gets some of its own results right in a comparison
   with the reference (or, for a function that has none, always); until then a
   passed side item is not counted yet (pending), not failed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..i18n import Message, msg
from .model import CheckResult, Kind, Status
from .numeric import consistent, vanishes

if TYPE_CHECKING:
    from .engine import Exercise, ExerciseResult

NO_MUTATION_POINTS = 0.5  # every graded function's "inputs unchanged, same answer twice" item
# A later call that returned, or raised, is judged; one that timed out, crashed or found
# the process gone is charged where that happened, not again here.
JUDGED_CALLS = frozenset({"ok", "error", "not_implemented"})

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
             "shared among its outputs; nothing without the primary output; trivial outputs only beside "
             "a right non-trivial one"),
    KindRule(Kind.BACKWARD, "one gradient against the reference's, on the student's own cache",
             "judged where the forward's output is right, else pending"),
    KindRule(Kind.GRADIENT, "one gradient against the numerical gradient of the student's own forward",
             "needs a forward that depends on the input; judged where the forward is right, else pending"),
    KindRule(Kind.PROPERTY, "a property of the results that needs no reference", "always"),
    KindRule(Kind.EDGE, "an edge case whose right answer is to change nothing", "only beside a right result"),
    KindRule(Kind.MUTATION, "inputs unchanged, the same answer twice", "only beside a right result"),
    KindRule(Kind.STABILITY, "no overflow or NaN for large inputs", "only beside a right result"),
)


# ----------------------------------------------------------------------- 1. values
def value_credit(points: float, matched: Sequence[bool], trivial: Sequence[bool],
                 primary_missing: bool) -> float:
    """Points of a value check whose outputs ``matched`` (the first is primary)."""
    n = len(matched)
    if primary_missing or n == 0 or not any(m and not t for m, t in zip(matched, trivial, strict=True)):
        return 0.0
    if n == 1:
        return points if matched[0] else 0.0
    return round(points * sum(matched) / n, 4)


# --------------------------------------------------------------------- 2. gradients
def numeric_verdict(analytic: Sequence[float | None], numeric: Sequence[float | None],
                    reference: Sequence[float] | None, correct: Sequence[float | None] | None = None) -> str:
    """``"consistent"``, ``"right"``, ``"degenerate"`` or ``"mismatch"`` for one
    gradient's directional derivatives (the first two pass).

    ``numeric`` are the numerical derivatives of the student's forward, ``reference``
    the reference's gradient along the same directions; ``correct``, given only where
    the student's forward output is right, the numerical derivatives of the
    reference's forward (in a self-check, the public case's gradient)."""
    degenerate = reference is not None and vanishes(numeric, reference)
    if consistent(analytic, numeric) and not degenerate:
        return "consistent"
    if correct is not None and consistent(analytic, correct):
        return "right"
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
    return [msg("policy.pending_note", reason=reason, points=f"{p:g}")
            for reason, p in zip(reasons, points, strict=True)]


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
        if block in done and broken(done[block]):
            names += [f for f in done[block].exercise.functions if f not in names]
    return tuple(n for n in names if n not in er.exercise.functions)


def keep_better(results: list[CheckResult], again: list[CheckResult], blocks: Sequence[str]) -> None:
    """Where the run with the building blocks substituted earned more, keep it: the
    item is right and fails only through the blocks."""
    by_id = {r.id: r for r in again}
    for k, r in enumerate(results):
        s = by_id.get(r.id)
        if s is None or s.points <= r.points:
            continue
        s.messages.insert(0, msg("policy.right_with_blocks", func=s.func, blocks=", ".join(blocks)))
        s.details["substituted"] = list(blocks)
        results[k] = s


# -------------------------------------------------------------- 5. later calls
def charge_later_calls(results: list[CheckResult], again: list[CheckResult]) -> None:
    """A function whose comparison with the reference fails on the deferred second
    call (where it passed first) loses the points of all its value items."""
    by_id = {r.id: r for r in again}
    drifted: list[str] = []
    for r in results:
        s = by_id.get(r.id)
        if s is not None and r.kind in RESULT_KINDS and r.points > 0 and s.status == Status.FAILED \
                and s.points < r.points and s.details.get("call", "ok") in JUDGED_CALLS and r.func not in drifted:
            drifted.append(r.func)
    not_repeatable = {r.func for r in results if r.kind == Kind.MUTATION and r.details.get("repeatable") is False}
    for r in results:
        if r.func in drifted and r.func not in not_repeatable and r.kind in RESULT_KINDS and r.points > 0:
            r.failed()
            r.messages.insert(0, msg("policy.later_call", func=r.func))


# ----------------------------------------------------------- 6. side properties
def gate_side_checks(results: list[CheckResult]) -> None:
    """Side items that passed, of a function that has comparisons with the reference
    and earns nothing in any of them, are not counted yet (pending, 0 points): they
    count once some of its results are right. When those comparisons are pending, the
    side items wait with them, for the same reason."""
    compared: dict[str, bool] = {}
    waiting: dict[str, Message] = {}
    for r in results:
        if r.kind in RESULT_KINDS:
            compared[r.func] = compared.get(r.func, False) or r.points > 0
            if r.status == Status.PENDING and r.messages:
                waiting.setdefault(r.func, r.messages[0])
    for r in results:
        if r.kind in SIDE_KINDS and r.status == Status.PASSED and compared.get(r.func) is False:
            # Passed, but worth nothing yet: not counted (neutral), never a failure.
            r.points = 0.0
            r.pending(waiting.get(r.func) or msg("policy.side_waits", func=r.func))


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


# ------------------------------------------------------------- docs/scoring.md
TABLE_KINDS = (Kind.VALUE, Kind.BACKWARD, Kind.GRADIENT, Kind.PROPERTY, Kind.EDGE, Kind.MUTATION, Kind.STABILITY)


def kinds_table() -> str:
    """The kinds of items and how each counts, as the Markdown table of docs/scoring.md."""
    rows = ["| kind | what it checks | how it counts |", "|---|---|---|"]
    rows += [f"| `{r.kind}` | {r.checks} | {r.counts} |" for r in KIND_RULES]
    return "\n".join(rows)


def points_table(exercises: Sequence[Exercise]) -> str:
    """The points of every exercise by kind (official grading), as the Markdown table
    of docs/scoring.md; a test keeps the document equal to it."""

    def fmt(x: float) -> str:
        return f"{x:g}" if x else "-"

    rows = ["| exercise | " + " | ".join(f"`{k}`" for k in TABLE_KINDS) + " | total |",
            "|---|" + "---:|" * (len(TABLE_KINDS) + 1)]
    totals = dict.fromkeys(TABLE_KINDS, 0.0)
    for ex in exercises:
        by_kind = dict.fromkeys(TABLE_KINDS, 0.0)
        for check in ex.checks:
            for kind, points in check.points_by_kind().items():
                by_kind[kind] += points
        for k in TABLE_KINDS:
            totals[k] += by_kind[k]
        rows.append(f"| {ex.name} | " + " | ".join(fmt(by_kind[k]) for k in TABLE_KINDS)
                    + f" | {fmt(sum(by_kind.values()))} |")
    rows.append("| **all** | " + " | ".join(f"**{fmt(totals[k])}**" for k in TABLE_KINDS)
                + f" | **{fmt(sum(totals.values()))}** |")
    return "\n".join(rows)
