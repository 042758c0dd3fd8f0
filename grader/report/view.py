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
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..checks.model import FAILED, PASSED, PENDING, CheckResult, Kind
from ..i18n import Message, has, msg
from ..results import Result
from ..results.text import adjustment_message, load_messages

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

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    @property
    def pending(self) -> bool:
        """Not counted yet; the reason is the exercise's note, said once, first."""
        return self.status == PENDING


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

    @property
    def state(self) -> str:
        if self.max_points and self.points >= self.max_points:
            return "full"
        return "partial" if self.points > 0 else "none"


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


# ------------------------------------------------------------------ helpers
def anchor(text: str) -> str:
    """An id attribute value made only of safe characters."""
    out = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "-" for ch in text)
    return out.strip("-") or "x"


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


def _grid(value: Any) -> tuple[list, tuple[int, ...]] | None:
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
        slices = [(i, *block(data[i], mask[i] if mask else None)) for i in range(shape[0])]
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


def _output_rows(c: CheckResult, show_values: bool) -> list[OutputRow]:
    rows = []
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
        if show_values and not out.ok and "expected" in row and "received" in row:
            out.expected = array_view(row["expected"], row.get("wrong"))
            out.received = array_view(row["received"], row.get("wrong"))
            if out.expected is not None:
                out.n_total = math.prod(out.expected.shape)
            w = row.get("wrong")
            g = _grid(w) if w is not None else None
            if g is not None:
                import numpy as np

                out.n_wrong = int(np.sum(np.asarray(g[0], dtype=bool)))
        rows.append(out)
    return rows


def _shows_values(result: Result, c: CheckResult) -> bool:
    """Expected values may be shown only for a public case in a self-check."""
    return not result.official and c.details.get("hidden_inputs") is False


def _single(result: Result, c: CheckResult) -> Item:
    mistakes, rest = _mistake_views(list(c.mistakes), list(c.messages) if c.status != PENDING else [])
    show = _shows_values(result, c)
    return Item(
        anchor=anchor(f"check-{c.id}"), kind=c.kind, func=c.func, title=c.title, status=c.status,
        points=c.points, max_points=c.max_points, messages=_dedupe(rest), mistakes=mistakes,
        outputs=_output_rows(c, show),
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
        if m.key == "backward.mismatch" and m.params.get("grad") in numeric_failed:
            continue
        out.append(m)
    return out


def _dedupe_text(texts: list[str]) -> str:
    seen: list[str] = []
    for t in texts:
        if t and t not in seen:
            seen.append(t)
    return "\n".join(seen)


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
            messages=[m for m in c.messages if not repeats(m)],
        ))
    return out


def build(result: Result) -> ReportView:
    """The report's content for ``result``."""
    exercises: list[ExerciseView] = []
    quiz: ExerciseView | None = None
    quiz_items: list[QuizItem] = []
    for er in result.exercises:
        ex = er.exercise
        is_quiz = ex.name == "quiz" or (er.results and all(c.kind == Kind.QUIZ for c in er.results))
        view = ExerciseView(
            name=ex.name, anchor=anchor(f"ex-{ex.name}"), title=ex.title, points=er.points,
            max_points=er.max_points, items=[] if is_quiz else exercise_items(result, er.results),
            graded_from=dict(er.graded_from), n_checks=len(er.results),
            n_passed=sum(c.status == PASSED for c in er.results), notes=list(getattr(er, "notes", [])),
        )
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
    return ReportView(
        result=result, exercises=exercises, quiz=quiz, quiz_items=quiz_items, mistakes=found,
        load_messages=load_messages(result), load_output=capped(result.load_output, OUTPUT_CHARS),
        experiments=list(experiments) if isinstance(experiments, (list, tuple)) else [],
        n_checks=sum(e.n_checks for e in exercises), n_passed=sum(e.n_passed for e in exercises),
        adjustments=[(adjustment_message(line), float(line.get("points", 0.0))) for line in result.adjustments],
    )
