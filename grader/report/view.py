"""What the HTML report shows, arranged for reading: a language-independent view
of a :class:`~grader.results.Result`.

The template only lays out what this module prepares. Decisions about content
live here, where they are tested without a browser:

* the gradient items of one backward (ids ``<check>.<grad>`` and
  ``<check>.<grad>.reference``) become one table, one row per parameter;
* a named mistake is pulled out of the messages into its own call-out, with the
  catalogue's name and the "found" text that explains it;
* expected and received arrays are shown only for public self-check cases, never
  in official grading (hidden inputs), whatever ``details`` holds;
* student output and tracebacks are capped; grader-internal tracebacks are never
  shown (they could reveal hidden test code).

Texts stay :class:`~grader.i18n.Message` values here; the template renders them in
the report's language.

Over 400 lines: it prepares every part of the report (exercise items and their cause
groups, gradient tables, arrays, the quiz, the summary and what to fix first). It
should be split by part (view/items, view/quiz, view/summary); left for after the
report merge, which rewrote it, has settled.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from typing import Any

from ..checks.model import FAILED, PASSED, PENDING, CheckResult, Kind
from ..display import shown
from ..i18n import Message, has, msg
from ..results import Result
from ..results.text import adjustment_message, load_error_messages, load_failed_message, load_messages, notice_message

OUTPUT_CHARS = 3000  # student output shown per check (the rest is counted, not shown)
TRACEBACK_CHARS = 3000
WARNING_CHARS = 300
ARRAY_CELLS = 60  # largest array drawn cell by cell (the check kinds store no larger ones)


# ------------------------------------------------------------------ pieces
@dataclass
class Capped:
    """Text from the submission, cut to a limit; ``cut`` characters were left out."""

    text: str
    cut: int = 0


def capped(text: str, limit: int) -> Capped | None:
    if not text:
        return None
    if len(text) <= limit:
        return Capped(text)
    return Capped(text[:limit], len(text) - limit)


@dataclass
class MistakeView:
    id: str
    name: Message | None  # None when the catalogue has no name for this id
    found: list[Message] = field(default_factory=list)
    again: bool = False  # already explained by an item above in the same exercise: named only


@dataclass
class ArrayView:
    """A small array as rows of formatted cells; ``wrong`` marks differing cells.

    ``slices`` holds (label index or None, rows) so 3-D arrays show as 2-D slices."""

    shape: tuple[int, ...]
    slices: list[tuple[int | None, list[list[str]], list[list[bool]]]]

    @property
    def shape_text(self) -> str:
        return str(tuple(self.shape))


@dataclass
class OutputRow:
    """One compared output of a value check."""

    name: str
    ok: bool
    rel_error: float | None
    where: list[Message]
    expected: ArrayView | None = None
    received: ArrayView | None = None
    n_wrong: int = 0
    n_total: int = 0
    diff: ArrayView | None = None  # yours - expected (public cases only)
    pattern: Message | None = None  # what the difference shows (grader.report.diff)


@dataclass
class GradientRow:
    """One parameter of a backward: numerical check and (official) reference check."""

    grad: str
    numeric: CheckResult | None = None
    reference: CheckResult | None = None
    notes: list[Message] = field(default_factory=list)  # where the numerical check found it wrong

    @property
    def ok(self) -> bool:
        return all(c.status == PASSED for c in (self.numeric, self.reference) if c is not None)

    @property
    def points(self) -> float:
        return round(sum(c.points for c in (self.numeric, self.reference) if c is not None), 4)

    @property
    def max_points(self) -> float:
        return round(sum(c.max_points for c in (self.numeric, self.reference) if c is not None), 4)

    @property
    def probe(self) -> dict[str, Any]:
        d = self.numeric.details if self.numeric is not None else {}
        return {k: d[k] for k in ("probed", "probed_wrong", "worst_index", "wrong_blocks") if k in d}

    @property
    def probe_said(self) -> bool:
        """The "where" cell lists the probe's findings (joined with ";"), not notes."""
        return not self.notes and bool(self.probe.get("probed"))

    @property
    def where(self) -> list[Message]:
        """Where the numerical check found this gradient wrong: its notes, else what the
        probe found (entries wrong, the worst, the gate blocks)."""
        if self.notes:
            return list(self.notes)
        p = self.probe
        if not p.get("probed"):
            return []
        out = [msg("report.probe_summary", wrong=p.get("probed_wrong", 0), probed=p["probed"])]
        if p.get("worst_index") is not None:
            out.append(msg("report.probe_worst", index="`[" + ", ".join(str(i) for i in p["worst_index"]) + "]`"))
        if p.get("wrong_blocks"):
            out.append(msg("report.probe_blocks", blocks="`" + ", ".join(str(b) for b in p["wrong_blocks"]) + "`"))
        return out


@dataclass
class Item:
    """One block of an exercise: a single check, or the gradient table of a backward."""

    anchor: str
    kind: str  # value, gradient, mutation, property, backward, error, quiz, ...
    func: str
    title: Message | None  # None for a gradient group (the template titles it)
    status: str
    points: float
    max_points: float
    messages: list[Message] = field(default_factory=list)
    mistakes: list[MistakeView] = field(default_factory=list)
    outputs: list[OutputRow] = field(default_factory=list)
    gradients: list[GradientRow] = field(default_factory=list)
    hidden: bool = False  # inputs drawn for the student and not shown
    traceback: Capped | None = None
    output: Capped | None = None
    warnings: list[str] = field(default_factory=list)  # Python warnings raised in the student's code
    count: int = 1  # graded items shown here (a gradient table shows several)
    patterns: list[tuple[list[str], Message]] = field(default_factory=list)  # outputs sharing a difference pattern
    label: str = ""  # a gradient table of one of several setups of the function ("relu, softmax")

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    @property
    def pending(self) -> bool:
        """Not counted yet; the reason is the exercise's note, said once, first."""
        return self.status == PENDING

    @property
    def shown(self) -> list[OutputRow]:
        """Outputs whose values may be shown (public cases): the difference view."""
        return [o for o in self.outputs if o.expected is not None and o.received is not None]

    @property
    def largest_error(self) -> float | None:
        errs = [o.rel_error for o in self.outputs if o.rel_error is not None]
        return max(errs) if errs else None

    @property
    def with_reference(self) -> bool:
        """A gradient table with a column for the comparison with the reference."""
        return any(g.reference is not None for g in self.gradients)


@dataclass
class QuizItem:
    number: int
    anchor: str
    status: str
    points: float
    max_points: float
    question: Any
    answer: Any
    correct: Any
    explanation: Any
    options: list[Any] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    state: str = ""  # correct, partial, wrong, empty, malformed, unverifiable (grader/quiz/grading.py)

    @property
    def group(self) -> str:
        """How the report lists it: wrong (shown), empty (one line), right, recorded
        (a self-check cannot tell: checked when graded officially), unreadable."""
        if self.state == "empty":
            return "empty"
        if self.state == "unverifiable":
            return "recorded"
        if self.state == "malformed":
            return "unreadable"  # not a wrong answer: shown, with why it could not be read
        return "right" if self.status == PASSED else "wrong"


@dataclass
class CauseGroup:
    """Failed items of one exercise that share their first message, their cause (a
    function not implemented, not found, crashed): the cause is said once, then the
    items it costs, by title."""

    anchor: str
    cause: Message
    titles: list[Message]
    points: float
    max_points: float
    not_loaded: bool = False  # a function not found while a file of the submission failed to load
    traceback: Capped | None = None
    output: Capped | None = None


@dataclass
class ExerciseView:
    name: str
    anchor: str
    title: Message
    points: float
    max_points: float
    items: list[Item]
    graded_from: dict[str, str]
    n_checks: int
    n_passed: int
    notes: list[Message] = field(default_factory=list)  # items not counted yet, and why
    causes: list[CauseGroup] = field(default_factory=list)  # shared causes of failed items, each said once
    foundations: list[Message] = field(default_factory=list)  # failing building blocks, said once (not per item)
    n_failed: int = 0
    n_pending: int = 0
    # A self-check runs the student's own building blocks inside this exercise: where
    # they fail (``foundations``), the failures here mostly repeat theirs, so one is
    # shown and the others are folded until the blocks are fixed.
    blocks_first: bool = False

    @property
    def state(self) -> str:
        if not self.max_points and self.n_checks:
            # Nothing counts here (a self-check of a counted quiz: its answers are recorded,
            # unreadable or unanswered ones said as such): neutral, never a failure.
            return "not_judged"
        if self.max_points and self.points >= self.max_points and not self.n_failed:
            return "full"
        return "partial" if self.points > 0 else "none"

    @property
    def failed(self) -> list[Item]:
        return [i for i in self.items if i.status == FAILED]

    @property
    def pending(self) -> list[Item]:
        return [i for i in self.items if i.status == PENDING]

    @property
    def passed(self) -> list[Item]:
        return [i for i in self.items if i.status == PASSED]

    @property
    def n_shown_passed(self) -> int:
        """Graded items in the collapsed list of passed ones."""
        return sum(i.count for i in self.passed)

    @property
    def n_shown_pending(self) -> int:
        return sum(i.count for i in self.pending)

    @property
    def failed_shown(self) -> list[Item]:
        """The failed items shown open: all of them, or where the building blocks fail
        in a self-check (``blocks_first``) those that name a known mistake, else the first."""
        failed = self.failed
        if not self.blocks_first:
            return failed
        return [i for i in failed if i.mistakes] or failed[:1]

    @property
    def failed_folded(self) -> list[Item]:
        shown = {id(i) for i in self.failed_shown}
        return [i for i in self.failed if id(i) not in shown]

    @property
    def n_folded_failed(self) -> int:
        return sum(i.count for i in self.failed_folded)


@dataclass
class FixEntry:
    """One line of "fix these first": an exercise (or several with the same cause),
    its first cause and the known mistakes it shows, linking to where it is explained."""

    anchor: str
    exercises: list[tuple[str, Message]]  # (anchor, title)
    cause: Message | None
    mistakes: list[MistakeView] = field(default_factory=list)
    points: float = 0.0
    max_points: float = 0.0


@dataclass
class LoadProblem:
    """A file of the submission that did not load: where, and the line to look at."""

    message: Message
    file: str = ""
    line: int | None = None
    source: str = ""
    more: list[Message] = field(default_factory=list)  # what follows (the functions lost, an encoding)


@dataclass
class ReportView:
    result: Result
    exercises: list[ExerciseView]
    quiz: ExerciseView | None
    quiz_items: list[QuizItem]
    mistakes: list[tuple[MistakeView, str]]  # with the anchor of the first item showing it
    load_messages: list[Message]
    load_output: Capped | None
    experiments: list[Any]
    n_checks: int
    n_passed: int
    # The course stage: manual adjustments and the late penalty, each (text, points).
    adjustments: list[tuple[Message, float]] = field(default_factory=list)
    fix_first: list[FixEntry] = field(default_factory=list)  # failing exercises, in the order to fix them
    load_problems: list[LoadProblem] = field(default_factory=list)  # files that did not load (said first)
    notices: list[Message] = field(default_factory=list)  # the rest of load_messages
    n_failed: int = 0
    n_pending: int = 0
    totals_note: Message | None = None  # a self-check: why its total differs from the official one
    about: list[tuple[str, Any, str]] = field(default_factory=list)  # (label key, value, how to show it)


# ------------------------------------------------------------------ helpers
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


@functools.lru_cache(maxsize=4096)
def anchor(text: str) -> str:
    """An id attribute value made only of safe characters."""
    return _UNSAFE.sub("-", text).strip("-") or "x"


def fmt_number(x: Any, digits: int = 6) -> str:
    """A number as the report prints it (``nan`` and ``inf`` spelled out)."""
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, (int, float)):
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return f"{x:.{digits}g}"
    return str(x)


def _grid(value: Any) -> tuple[list[Any], tuple[int, ...]] | None:
    """A nested list of numbers and its shape, or None when it is not rectangular."""
    shape: list[int] = []
    v = value
    while isinstance(v, list):
        shape.append(len(v))
        if not v:
            break
        v = v[0]
    try:
        import numpy as np

        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if arr.shape != tuple(shape):
        return None
    return arr.tolist(), tuple(shape)


def array_view(value: Any, wrong: Any = None) -> ArrayView | None:
    """Cells of a small array (0-3 dimensions), or None when it cannot be drawn."""
    grid = _grid(value)
    if grid is None:
        return None
    data, shape = grid
    size = math.prod(shape) if shape else 1
    if size > ARRAY_CELLS or len(shape) > 3:
        return None
    mask = None
    if wrong is not None:
        g = _grid(wrong)
        if g is not None and g[1] == shape:
            mask = g[0]

    def block(d: Any, m: Any) -> tuple[list[list[str]], list[list[bool]]]:
        if not isinstance(d, list):  # scalar
            return [[fmt_number(d)]], [[bool(m)]]
        if not d or not isinstance(d[0], list):  # vector: one row
            return [[fmt_number(x) for x in d]], [[bool(m[j]) if m else False for j in range(len(d))]]
        return ([[fmt_number(x) for x in row] for row in d],
                [[bool(m[i][j]) if m else False for j in range(len(row))] for i, row in enumerate(d)])

    if len(shape) == 3:
        slices: list[tuple[int | None, list[list[str]], list[list[bool]]]] = [
            (i, *block(data[i], mask[i] if mask else None)) for i in range(shape[0])]
    else:
        slices = [(None, *block(data, mask))]
    return ArrayView(shape, slices)


def _mistake_views(ids: list[str], messages: list[Message]) -> tuple[list[MistakeView], list[Message]]:
    """Named mistakes with their explanation; the remaining messages."""
    views: list[MistakeView] = []
    rest = list(messages)
    for mid in ids:
        found = [m for m in rest if m.key == f"mistake.{mid}.found"]
        rest = [m for m in rest if m.key != f"mistake.{mid}.found"]
        if not found and has(f"mistake.{mid}.found") and not _needs_params(f"mistake.{mid}.found"):
            found = [msg(f"mistake.{mid}.found")]
        if has(f"mistake.{mid}.hint"):
            found.append(msg(f"mistake.{mid}.hint"))
        name = msg(f"mistake.{mid}.name") if has(f"mistake.{mid}.name") else None
        views.append(MistakeView(mid, name, _dedupe(found)))
    return views, rest


def _needs_params(key: str) -> bool:
    import string

    from ..i18n import catalog

    return any(f for _, f, _, _ in string.Formatter().parse(catalog()[key]["en"]) if f)


def _dedupe(messages: list[Message]) -> list[Message]:
    seen: list[Message] = []
    for m in messages:
        if m not in seen:
            seen.append(m)
    return seen


def _ordered_ids(results: list[CheckResult]) -> list[str]:
    out: list[str] = []
    for r in results:
        out += [m for m in r.mistakes if m not in out]
    return out


def text_view(cells: Any, wrong: Any = None) -> ArrayView | None:
    """An :class:`ArrayView` of cells already formatted (0-3 dimensions)."""
    import numpy as np

    cells = np.asarray(cells, dtype=object)
    if cells.ndim > 3 or cells.size > ARRAY_CELLS:
        return None
    mask = np.asarray(wrong, dtype=bool) if wrong is not None else np.zeros(cells.shape, dtype=bool)
    if mask.shape != cells.shape:
        mask = np.zeros(cells.shape, dtype=bool)

    def block(c: Any, m: Any) -> tuple[list[list[str]], list[list[bool]]]:
        if c.ndim == 0:
            return [[str(c.item())]], [[bool(m)]]
        if c.ndim == 1:
            return [[str(x) for x in c]], [[bool(x) for x in m]]
        return [[str(x) for x in row] for row in c], [[bool(x) for x in row] for row in m]

    if cells.ndim == 3:
        slices: list[tuple[int | None, list[list[str]], list[list[bool]]]] = [
            (i, *block(cells[i], mask[i])) for i in range(cells.shape[0])]
    else:
        slices = [(None, *block(cells, mask))]
    return ArrayView(tuple(cells.shape), slices)


def _counts_from_messages(c: CheckResult) -> dict[str, tuple[int, int]]:
    """(entries wrong, entries) per output, from the value messages (hidden inputs too)."""
    out = {}
    for m in c.messages:
        if m.key in ("value.mismatch", "value.nonfinite") and isinstance(m.params.get("n_wrong"), int):
            out[str(m.params.get("output"))] = (m.params["n_wrong"], int(m.params.get("n_total") or 0))
    return out


def _output_rows(c: CheckResult, show_values: bool) -> list[OutputRow]:
    rows = []
    counts = _counts_from_messages(c)
    for row in c.details.get("outputs", []) or []:
        if not isinstance(row, dict):
            continue
        where_ = row.get("where") or []
        out = OutputRow(
            name=str(row.get("name", "")),
            ok=bool(row.get("ok")),
            rel_error=row.get("rel_error") if isinstance(row.get("rel_error"), (int, float)) else None,
            where=[w for w in where_ if isinstance(w, Message)],
        )
        out.n_wrong, out.n_total = counts.get(out.name, (0, 0))
        if show_values and not out.ok and "expected" in row and "received" in row:
            from . import diff  # public cases only: an official report never needs it

            out.expected = array_view(row["expected"], row.get("wrong"))
            out.received = array_view(row["received"], row.get("wrong"))
            if out.expected is not None:
                out.n_total = math.prod(out.expected.shape)
            w = row.get("wrong")
            g = _grid(w) if w is not None else None
            if g is not None:
                import numpy as np

                out.n_wrong = int(np.sum(np.asarray(g[0], dtype=bool)))
            d = diff.difference(row["expected"], row["received"])
            if d is not None:
                mask = g[0] if g is not None else None
                import numpy as np

                out.diff = text_view(diff.aligned(d.values, None if mask is None else np.asarray(mask, dtype=bool)),
                                     mask)
                out.pattern = d.pattern
            else:
                out.pattern = diff.pattern(row["expected"], row["received"])
        rows.append(out)
    return rows


def _patterns(rows: list[OutputRow]) -> list[tuple[list[str], Message]]:
    """Each difference pattern once, with the outputs that show it."""
    out: list[tuple[list[str], Message]] = []
    for r in rows:
        if r.pattern is None:
            continue
        same = next((names for names, p in out if p == r.pattern), None)
        if same is None:
            out.append(([r.name], r.pattern))
        else:
            same.append(r.name)
    return out


# Messages an item's table of outputs already says (relative error, where, how many).
_IN_OUTPUTS = ("value.mismatch", "value.nonfinite")


def _outputs_said(messages: list[Message], rows: list[OutputRow]) -> list[Message]:
    names = {r.name for r in rows}
    return [m for m in messages if not (m.key in _IN_OUTPUTS and m.params.get("output") in names)]


def _shows_values(result: Result, c: CheckResult) -> bool:
    """Expected values may be shown only for a public case in a self-check."""
    return not result.official and c.details.get("hidden_inputs") is False


def _single(result: Result, c: CheckResult) -> Item:
    mistakes, rest = _mistake_views(list(c.mistakes), list(c.messages) if c.status != PENDING else [])
    show = _shows_values(result, c)
    outputs = _output_rows(c, show)
    if len(outputs) > 1 and c.status != PASSED:  # one output: its message says it all, no table
        rest = _outputs_said(rest, outputs)
    return Item(
        anchor=anchor(f"check-{c.id}"), kind=c.kind, func=c.func, title=c.title, status=c.status,
        points=c.points, max_points=c.max_points, messages=_dedupe(rest), mistakes=mistakes,
        outputs=outputs, patterns=_patterns(outputs),
        hidden=bool(c.details.get("hidden_inputs")) or (result.official and "outputs" in c.details),
        traceback=capped(str(c.details.get("traceback") or ""), TRACEBACK_CHARS),
        output=capped(c.output, OUTPUT_CHARS), warnings=_warnings([c]),
    )


def _warnings(results: list[CheckResult]) -> list[str]:
    seen: list[str] = []
    for c in results:
        ws = c.details.get("warnings")
        for w in ws if isinstance(ws, list) else []:
            text = str(w)[:WARNING_CHARS]
            if text not in seen:
                seen.append(text)
    return seen[:10]


def _gradient_key(c: CheckResult) -> tuple[str, str, bool] | None:
    """(group id, gradient name, is reference item) of a gradient item."""
    if c.kind not in (Kind.GRADIENT, Kind.BACKWARD):
        return None
    grad = c.details.get("grad")
    if grad is None and isinstance(c.title, Message):
        grad = c.title.params.get("grad")
    if not isinstance(grad, str):
        return None
    is_ref = c.kind == Kind.BACKWARD
    suffix = f".{grad}.reference" if is_ref else f".{grad}"
    group = c.details.get("group")
    if not isinstance(group, str):
        if not c.id.endswith(suffix):
            return None
        group = c.id[: -len(suffix)]
    return group, grad, is_ref


def _gradient_group(result: Result, group: str, members: list[CheckResult]) -> Item:
    rows: dict[str, GradientRow] = {}
    for c in members:
        key = _gradient_key(c)
        assert key is not None
        row = rows.setdefault(key[1], GradientRow(key[1]))
        if key[2]:
            row.reference = c
        else:
            row.numeric = c
    failed = [c for c in members if c.status == FAILED]
    pending = [c for c in members if c.status == PENDING]
    mistakes, rest = _mistake_views(_ordered_ids(members), [m for c in failed for m in c.messages])
    rest = _table_said(rest, members, rows)
    tb = next((str(c.details["traceback"]) for c in members if c.details.get("traceback")), "")
    outputs = _dedupe_text([c.output for c in members])
    return Item(
        anchor=anchor(f"check-{group}"), kind="gradient", func=members[0].func, title=None,
        status=FAILED if failed else PENDING if pending else PASSED,
        points=round(sum(c.points for c in members), 4), max_points=round(sum(c.max_points for c in members), 4),
        messages=_dedupe(rest), mistakes=mistakes, gradients=list(rows.values()),
        traceback=capped(tb, TRACEBACK_CHARS), output=capped(outputs, OUTPUT_CHARS), warnings=_warnings(members),
        count=len(members), label=str(members[0].details.get("label") or ""),
    )


_IN_TABLE = ("gradient.mismatch", "gradient.where", "gradient.blocks")


def _table_said(messages: list[Message], members: list[CheckResult], rows: dict[str, GradientRow]) -> list[Message]:
    """Messages minus what the gradient table shows: relative errors, and where each
    numerical check failed (moved into its row). A reference mismatch stays when the
    numerical check of that gradient passed (then it is the only clue)."""
    for c in members:
        key = _gradient_key(c)
        if key is not None and not key[2] and c.status != PASSED:
            rows[key[1]].notes = [m for m in c.messages if m.key in ("gradient.where", "gradient.blocks")]
    numeric_failed = {k[1] for c in members if (k := _gradient_key(c)) and not k[2] and c.status != PASSED}
    out = []
    for m in messages:
        if m.key in _IN_TABLE:
            continue
        if m.key in ("backward.mismatch", "public.backward_mismatch") and m.params.get("grad") in numeric_failed:
            continue
        out.append(m)
    return out


def _dedupe_text(texts: list[str]) -> str:
    seen: list[str] = []
    for t in texts:
        if t and t not in seen:
            seen.append(t)
    return "\n".join(seen)


# First messages that say a function did not run at all: the items they cost carry
# nothing of their own, so the cause is said once with the list of those items.
# The diagnosis's words for a call that did not run (grader.checks.errors, causes) count too.
SHARED_CAUSE_KEYS = frozenset({"gradient.forward_failed", "mutation.needs_forward", "diagnosis.not_loaded",
                               "diagnosis.starter", "diagnosis.starter_raised", "diagnosis.numpy_api_call"})
NOT_LOADED_KEYS = frozenset({"call.missing", "diagnosis.not_loaded"})


def _shared_cause(c: CheckResult) -> Message | None:
    if c.status != FAILED or not c.messages:
        return None
    first = c.messages[0]
    return first if first.key.startswith("call.") or first.key in SHARED_CAUSE_KEYS else None


def cause_groups(result: Result, results: list[CheckResult]) -> tuple[list[CauseGroup], list[CheckResult]]:
    """Failed items that share a first message saying their function did not run
    (two or more of them), grouped; the other items, in order."""
    by_cause: list[tuple[Message, list[CheckResult]]] = []  # messages are not hashable (dict params)
    for c in results:
        cause = _shared_cause(c)
        if cause is not None:
            same = next((members for m, members in by_cause if m == cause), None)
            if same is None:
                by_cause.append((cause, [c]))
            else:
                same.append(c)
    grouped = {id(c) for _, members in by_cause if len(members) > 1 for c in members}
    load_failed = bool(result.load_errors) or result.load_status != "loaded"
    groups = []
    for cause, members in by_cause:
        if len(members) < 2:
            continue
        tb = next((str(c.details["traceback"]) for c in members if c.details.get("traceback")), "")
        groups.append(CauseGroup(
            anchor=anchor(f"cause-{members[0].id}"), cause=cause, titles=[c.title for c in members],
            points=round(sum(c.points for c in members), 4), max_points=round(sum(c.max_points for c in members), 4),
            not_loaded=load_failed and cause.key in NOT_LOADED_KEYS,
            traceback=capped(tb, TRACEBACK_CHARS),
            output=capped(_dedupe_text([c.output for c in members]), OUTPUT_CHARS),
        ))
    return groups, [c for c in results if id(c) not in grouped]


def exercise_items(result: Result, results: list[CheckResult]) -> list[Item]:
    """The blocks of one exercise in check order; gradient items grouped per backward."""
    groups: dict[str, list[CheckResult]] = {}
    order: list[tuple[str, Any]] = []
    for c in results:
        key = _gradient_key(c)
        if key is None:
            order.append(("single", c))
            continue
        if key[0] not in groups:
            groups[key[0]] = []
            order.append(("group", key[0]))
        groups[key[0]].append(c)
    items = []
    for what, value in order:
        if what == "single":
            items.append(_single(result, value))
        else:
            items.append(_gradient_group(result, value, groups[value]))
    return items


def _quiz_items(ex_results: list[CheckResult]) -> list[QuizItem]:
    """Questions with answer, key and explanation; messages repeating those are dropped."""
    out = []
    for n, c in enumerate(ex_results, start=1):
        d = c.details
        correct = d.get("correct_answer", d.get("expected_answer"))
        explanation = d.get("explanation")

        def repeats(m: Message, correct: Any = correct, explanation: Any = explanation) -> bool:
            if explanation is not None and m == explanation:
                return True
            if isinstance(explanation, Message) and explanation.params and m.params == explanation.params:
                return True  # the same explanation with its own label
            return correct is not None and any(v == correct for v in m.params.values())

        options = d.get("options")
        out.append(QuizItem(
            number=n, anchor=anchor(f"quiz-{c.id}"), status=c.status, points=c.points, max_points=c.max_points,
            question=d.get("question", c.title), answer=d.get("answer"), correct=correct,
            explanation=explanation, options=list(options) if isinstance(options, (list, tuple)) else [],
            messages=[m for m in c.messages if not repeats(m)], state=str(d.get("state") or ""),
        ))
    return out


FOUNDATION_KEYS = ("check.builds_on",)  # "also failing: <building block>", added to every failed item


def _lift_foundations(view: ExerciseView) -> None:
    """Say "also failing: the building block" once for the exercise, not on every
    item; explain a known mistake at its first item, and only name it at the next."""
    explained: set[str] = set()
    for item in [*view.failed, *view.pending, *view.passed]:
        for m in item.messages:
            if m.key in FOUNDATION_KEYS and m not in view.foundations:
                view.foundations.append(m)
        item.messages = [m for m in item.messages if m.key not in FOUNDATION_KEYS]
        for mv in item.mistakes:
            mv.again = mv.id in explained
            explained.add(mv.id)


# ------------------------------------------------------------ the first screen
def _is_quiz(er: Any) -> bool:
    return er.exercise.name == "quiz" or bool(er.results and all(c.kind == Kind.QUIZ for c in er.results))


def fix_order(exercises: list[Any]) -> list[Any]:
    """The exercises with a failed item, each after the failing building blocks it
    uses (``builds_on``): fixing a block often fixes what is built on it. Otherwise
    in the course's order; the quiz last."""
    failing = [er for er in exercises if any(c.status == FAILED for c in er.results)]
    by_name = {er.exercise.name: er for er in failing}
    order: list[Any] = []
    seen: set[str] = set()

    def visit(er: Any) -> None:
        if er.exercise.name in seen:
            return
        seen.add(er.exercise.name)
        for block in er.exercise.builds_on:
            if block in by_name:
                visit(by_name[block])
        order.append(er)

    for er in failing:
        if not _is_quiz(er):
            visit(er)
    return order + [er for er in failing if _is_quiz(er)]


def first_cause(er: Any) -> Message | None:
    """What to look at first in a failing exercise: the first message (its cause) of
    the first failed item that names a known mistake, else of the first failed item."""
    failed = [c for c in er.results if c.status == FAILED]
    if not failed:
        return None
    if _is_quiz(er):
        states = [c.details.get("state") for c in failed]
        unreadable = states.count("malformed")
        wrong, empty = sum(s not in ("empty", "malformed") for s in states), states.count("empty")
        if not unreadable and not wrong:  # e.g. a self-check: nothing judged, only gaps to fill
            return msg("feedback.fix.quiz_unanswered", n=empty, numbers=[
                str(n) for n, c in enumerate(er.results, start=1) if c.details.get("state") == "empty"])
        if not unreadable:
            return msg("feedback.fix.quiz", wrong=wrong, empty=empty)
        return msg("feedback.fix.quiz_states", wrong=sum(s in ("wrong", "partial") for s in states),
                   unreadable=unreadable, empty=states.count("empty"))
    chosen = next((c for c in failed if c.mistakes), failed[0])
    return chosen.messages[0] if chosen.messages else chosen.title


# Causes that say a whole function did not run: exercises failing only for one of
# these make one line together ("not implemented yet: a, b, c").
MERGED_CAUSES = {"call.not_implemented": "feedback.fix.not_implemented", "call.missing": "feedback.fix.missing",
                 "diagnosis.not_loaded": "feedback.fix.missing_not_loaded"}


def fix_first(exercises: list[Any], load_failed: bool) -> list[FixEntry]:
    entries: list[FixEntry] = []
    merged: dict[str, FixEntry] = {}
    for er in fix_order(exercises):
        failed = [c for c in er.results if c.status == FAILED]
        ids = _ordered_ids(failed)
        cause = first_cause(er)
        target = anchor("quiz" if _is_quiz(er) else f"ex-{er.exercise.name}")
        causes = {c.messages[0].key if c.messages else "" for c in failed}
        if not ids and len(causes) == 1 and (key := causes.pop()) in MERGED_CAUSES:
            if key not in merged:
                text = MERGED_CAUSES[key] + ("_not_loaded" if key == "call.missing" and load_failed else "")
                merged[key] = FixEntry(target, [], msg(text))
                entries.append(merged[key])
            entry = merged[key]
            entry.exercises.append((target, er.exercise.title))
            entry.points = round(entry.points + er.points, 4)
            entry.max_points = round(entry.max_points + er.max_points, 4)
            continue
        mistakes, _ = _mistake_views(ids, [])
        entries.append(FixEntry(target, [(target, er.exercise.title)], cause, mistakes, er.points, er.max_points))
    return entries


_PROBLEM_NOTICES = ("load.", "submission.no_code", "submission.not_found", "submission.bad_notebook",
                    "feedback.no_code")


def load_problems(result: Result) -> tuple[list[LoadProblem], list[Message]]:
    """Files that did not load (with the line to look at), and the other notices."""
    problems: list[LoadProblem] = []
    # A file's own error before the files that failed importing it (its consequence).
    for e in sorted(result.load_errors, key=lambda e: e.get("kind") == "import"):
        where = str(e.get("file") or e.get("where") or "")
        line = int(str(e["line"])) if str(e.get("line", "")).isdigit() else None
        said = load_error_messages(e)
        source = str(e.get("source") or "")
        bare = {"load.syntax": "load.syntax_no_text", "fixb.syntax_cell": "fixb.syntax_cell_no_text"}
        if source and said[0].key in bare:  # the line is shown below it: not quoted twice
            said[0] = msg(bare[said[0].key], where=said[0].params["where"], message=said[0].params["message"])
        problems.append(LoadProblem(said[0], where, line, source, said[1:]))
    failed = load_failed_message(result)
    if failed is not None:
        problems.append(LoadProblem(failed))
    notices: list[Message] = []
    for n in result.notices:
        if n.key.startswith(_PROBLEM_NOTICES):
            problems.append(LoadProblem(notice_message(n.key, n.params)))
        else:
            notices.append(notice_message(n.key, n.params))
    for er in result.exercises:
        for func, others in er.alternatives.items():
            notices.append(msg("submission.graded_from", func=func, file=er.graded_from[func],
                               others=", ".join(others)))
    return problems, notices


def totals_note(result: Result) -> Message | None:
    """A self-check's total against the official one, when they differ."""
    if result.official or result.official_max is None or result.official_max == result.max_score:
        return None
    quiz = any(_is_quiz(er) or er.exercise.name == "quiz" for er in result.exercises)
    return msg("feedback.selfcheck_totals" + ("_quiz" if quiz else ""), max_score=shown(result.max_score),
               official_max=shown(result.official_max))


def build(result: Result) -> ReportView:
    """The report's content for ``result``."""
    exercises: list[ExerciseView] = []
    quiz: ExerciseView | None = None
    quiz_items: list[QuizItem] = []
    for er in result.exercises:
        ex = er.exercise
        is_quiz = _is_quiz(er)
        causes, rest = ([], []) if is_quiz else cause_groups(result, er.results)
        view = ExerciseView(
            name=ex.name, anchor=anchor(f"ex-{ex.name}"), title=ex.title, points=er.points,
            max_points=er.max_points, items=[] if is_quiz else exercise_items(result, rest),
            graded_from=dict(er.graded_from), n_checks=len(er.results),
            n_passed=sum(c.status == PASSED for c in er.results), notes=list(getattr(er, "notes", [])),
            causes=causes, n_failed=sum(c.status == FAILED for c in er.results),
            n_pending=sum(c.status == PENDING for c in er.results),
        )
        _lift_foundations(view)
        view.blocks_first = not result.official and bool(view.foundations)
        if is_quiz and quiz is None:
            quiz, quiz_items = view, _quiz_items(er.results)
        else:
            exercises.append(view)
    found: list[tuple[MistakeView, str]] = []
    for ev in exercises:
        for item in ev.items:
            for mv in item.mistakes:
                if all(mv.id != f.id for f, _ in found):
                    found.append((mv, item.anchor))
    found.sort(key=lambda p: (int(p[0].id) if p[0].id.isdigit() else 10**9, p[0].id))
    experiments = result.extras.get("experiments") or []
    problems, notices = load_problems(result)
    return ReportView(
        result=result, exercises=exercises, quiz=quiz, quiz_items=quiz_items, mistakes=found,
        load_messages=load_messages(result), load_output=capped(result.load_output, OUTPUT_CHARS),
        experiments=list(experiments) if isinstance(experiments, (list, tuple)) else [],
        n_checks=sum(e.n_checks for e in exercises), n_passed=sum(e.n_passed for e in exercises),
        adjustments=[(adjustment_message(line), float(line.get("points", 0.0))) for line in result.adjustments],
        fix_first=fix_first(result.exercises, bool(problems)), load_problems=problems, notices=notices,
        n_failed=sum(e.n_failed for e in exercises), n_pending=sum(e.n_pending for e in exercises),
        totals_note=totals_note(result), about=about(result),
    )


def about(result: Result) -> list[tuple[str, Any, str]]:
    """How the grading was done, for the bottom of the report: (label key, value, kind),
    kind one of text, code (a path), files, num, time, message (a Message)."""
    rows: list[tuple[str, Any, str]] = [
        ("report.student", result.student, "text"),
        ("report.mode_label", msg("report.mode_official_short" if result.official else "report.mode_selfcheck_short"),
         "message")]
    if result.submission:
        rows.append(("feedback.graded_folder", result.submission, "code"))
    if result.files:
        rows.append(("report.files", list(result.files), "files"))
    rows += [("report.graded_at", result.graded_at, "time"), ("report.version", result.version, "num")]
    if result.versions:
        rows.append(("deploy.versions_label", msg("deploy.versions_value", python=result.versions.get("python", ""),
                                                  numpy=result.versions.get("numpy", "")), "message"))
    rows.append(("report.fingerprint", result.fingerprint or "-", "num"))
    known = result.isolation in ("bubblewrap", "landlock", "portable")
    rows.append(("report.isolation", msg(f"isolation.{result.isolation}") if known else (result.isolation or "-"),
                 "message" if known else "text"))
    return rows
