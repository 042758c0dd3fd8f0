"""The first message of a failed item is its cause.

A student who reads only the first message of a failed exercise must know what to
change. The checks and probes say what failed, where, and why; this module puts
the *why* first, after all checks have run, in one place:

* a function that was never loaded because its file stopped loading (a syntax
  error, a missing module, a failed import of another file) says so instead of
  "not found" (:func:`explain_lost`);
* an item that names a known mistake starts with the mistake's explanation, and an
  item of the same function and gradient that fails without naming one (the
  comparison with the reference beside the numerical check that found the
  mistake) starts with it too (:func:`cause_first`);
* :func:`exercise_cause` is the exercise's first cause, for summaries;
* in a self-check, a composite whose building block fails is not charged with the
  block's named mistake: the block is its cause (:func:`relay_block_mistakes`).

Nothing here changes a verdict or a point: only the order and wording of messages.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..i18n import Message, msg
from .model import CheckResult, Status, is_side_note
from .policy import CORRECTNESS_KINDS

if TYPE_CHECKING:
    from .engine import ExerciseResult

# Messages that state a cause (beside those of named mistakes, ``mistake.N.found``).
CAUSE_KEYS = frozenset({
    "diagnosis.starter", "diagnosis.starter_raised", "diagnosis.numpy_api_call", "diagnosis.not_loaded",
    "diagnosis.cache_consumed", "diagnosis.second_call_failed", "diagnosis.low_precision",
    "diagnosis.pending_low_precision", "diagnosis.pending_forward_named", "policy.pending_forward",
    "policy.pending_loss", "policy.later_call", "policy.later_call_failed", "policy.later_call_unrun",
    "policy.right_with_blocks",
    "call.not_implemented",
})


def is_cause(m: Message) -> bool:
    return m.key in CAUSE_KEYS or (m.key.startswith("mistake.") and m.key.endswith(".found"))


def _found(r: CheckResult) -> list[Message]:
    return [m for m in r.messages if m.key.startswith("mistake.") and m.key.endswith(".found")]


def cause_first(results: list[CheckResult]) -> None:
    """Put each failed item's cause first (see the module docstring)."""
    for r in results:
        if r.status != Status.FAILED or not r.mistakes or r.details.get("cause_first"):
            continue  # the check put its diagnosis first already
        if r.messages and is_cause(r.messages[0]) and not r.messages[0].key.startswith("mistake."):
            continue  # already opens with its cause (a call that failed, a later call...)
        named = [m for m in _found(r) if m.key.split(".")[1] in r.mistakes]
        if named:
            r.messages = named + [m for m in r.messages if m not in named]
    # The same gradient of the same function, failing without a name beside one that has it.
    by_grad: dict[tuple[str, str], CheckResult] = {}
    for r in results:
        if r.status == Status.FAILED and r.mistakes:
            for grad in _wrong_outputs(r):
                by_grad.setdefault((r.func, grad), r)
    for r in results:
        source = next((by_grad[(r.func, g)] for g in _wrong_outputs(r) if (r.func, g) in by_grad), None)
        if source is None or source is r or r.status != Status.FAILED or r.mistakes:
            continue
        if r.messages and is_cause(r.messages[0]):
            continue
        named = [m for m in _found(source) if m.key.split(".")[1] in source.mistakes]
        r.messages = named + r.messages
        r.mistakes.extend(source.mistakes)
    # A composite that fails for no reason of its own while a building block fails: the
    # block first ("fix that first: it is often the same mistake").
    for r in results:
        if r.status == Status.FAILED and not r.mistakes and r.messages and not is_cause(r.messages[0]):
            note = next((m for m in r.messages if m.key == "check.builds_on"), None)
            if note is not None:
                r.messages = [note] + [m for m in r.messages if m is not note]


def _wrong_outputs(r: CheckResult) -> list[str]:
    """The gradients or outputs an item found wrong (its gradient, or its failing
    outputs), by the input they belong to: ``dW1``, ``grads['W1']`` and ``W1`` alike."""
    grad = r.details.get("grad")
    if isinstance(grad, str):
        return [_input_of(grad)]
    rows = r.details.get("outputs")
    return [_input_of(str(row.get("name"))) for row in rows if isinstance(row, dict) and not row.get("ok")] \
        if isinstance(rows, list) else []


def _input_of(name: str) -> str:
    if "[" in name:
        name = name.split("[", 1)[1].strip("'\"]")
        return name
    return name[1:] if len(name) > 1 and name[0] == "d" and (name[1].isupper() or name[1] in "xbhcgy_") else name


def explain_lost(results: Iterable[CheckResult], load_errors: list[dict[str, Any]]) -> None:
    """An item whose function was never loaded, because the file defining it stopped
    loading, says why first (instead of "not found")."""
    lost: dict[str, dict[str, Any]] = {}
    for e in load_errors:
        for name in e.get("lost") or []:
            lost.setdefault(str(name), e)
    if not lost:
        return
    for r in results:
        if r.status == Status.PASSED:
            continue
        for k, m in enumerate(r.messages):
            if m.key != "call.missing":
                continue
            err = lost.get(str(m.params.get("func")))
            if err is not None:
                r.messages[k] = msg("diagnosis.not_loaded", func=m.params.get("func"), where=err.get("where"),
                                    line=err.get("line") or "?", why=_why(err))
                if k:
                    r.messages.insert(0, r.messages.pop(k))
                break


def _why(e: dict[str, Any]) -> Message:
    kind = e.get("kind")
    if kind == "syntax":
        return msg("diagnosis.why.syntax")
    if kind == "missing_module":
        return msg("diagnosis.why.missing_module", missing=e.get("missing"))
    if kind == "import":
        return msg("diagnosis.why.import", imported=e.get("imported"))
    return msg("diagnosis.why.error", type=e.get("type"))


def name_pending(results: list[CheckResult]) -> None:
    """A backward's items that wait for a wrong forward say why the forward is wrong
    when its own checks name a known mistake (the pending reason is said once, first,
    in the exercise: it must be the cause, not only the consequence)."""
    named: dict[str, str] = {}
    for r in results:
        if r.status == Status.FAILED and r.mistakes and r.func not in named:
            named[r.func] = r.mistakes[0]
    for r in results:
        if r.status != Status.PENDING or not r.messages or r.messages[0].key != "policy.pending_forward":
            continue
        forward = str(r.messages[0].params.get("forward"))
        if forward in named:
            m = named[forward]
            r.messages[0] = msg("diagnosis.pending_forward_named", func=r.messages[0].params.get("func"),
                                forward=forward, id=m, mistake=msg(f"mistake.{m}.name"))


def exercise_cause(er: ExerciseResult) -> Message | None:
    """The first cause of a failed exercise: the reason its items are not counted
    yet, else the first failed item's first message (a cause, by :func:`cause_first`)."""
    # A side item waiting for its function's results (policy rule 6) is a consequence,
    # never the cause: said only when nothing else is.
    notes = [n for n in er.notes if not is_side_note(n)]
    if notes:
        return notes[0]
    failed = [r for r in er.results if r.status == Status.FAILED and r.messages]
    named = [r for r in failed if r.mistakes]
    first = (named or failed)[:1]
    if first:
        return first[0].messages[0]
    return er.notes[0] if er.notes else None


def relay_block_mistakes(results: list[ExerciseResult]) -> None:
    """A self-check (no reference blocks to substitute, rule 4): a composite whose
    building block fails, and names a known mistake, is not charged with that mistake
    itself: its items drop it (and its explanation), so that the block is its cause
    ("Also failing: ... fix that first", :func:`~.policy.point_to_foundations`). Its own
    mistakes, those the blocks do not name, stay; if the block's mistake is in its own
    code too, it is named once the block is fixed. Nothing changes a verdict or a point."""
    by_name = {er.exercise.name: er for er in results}
    for er in results:
        inherited: set[str] = set()
        for name in er.exercise.builds_on:
            block = by_name.get(name)
            if block is not None:
                inherited |= {str(m) for r in block.results
                              if r.status == Status.FAILED and r.kind in CORRECTNESS_KINDS for m in r.mistakes}
        if not inherited:
            continue
        for r in er.results:
            gone = [str(m) for m in r.mistakes if str(m) in inherited]
            if not gone:
                continue
            r.mistakes = [m for m in r.mistakes if str(m) not in inherited]
            found = {f"mistake.{m}.found" for m in gone}
            r.messages = [m for m in r.messages if m.key not in found]
            r.details["block_mistakes"] = gone
