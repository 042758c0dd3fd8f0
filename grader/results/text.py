"""Plain-text renderings shared by results.json and the terminal summary."""

from __future__ import annotations

from typing import Any

from ..checks import errors
from ..checks.model import CheckResult
from ..display import shown, signed
from ..i18n import Message, msg
from ..i18n import render_lenient as render
from ..results import Result
from ..submission.notebook import place

STUDENT_OUTPUT_CHARS = 2000


def load_error_messages(e: dict[str, Any]) -> list[Any]:
    """What stopped one file (or notebook cell) from loading, in the student's words:
    Python's own explanation of a syntax error with the line, an import of another
    of the student's files that failed, a module the grader does not have, the
    functions that were lost (see ``grader/sandbox/child.py``)."""
    kind, where, line = e.get("kind"), place(e.get("where")), e.get("line")
    cell = isinstance(where, Message)  # a notebook cell: the other cells were graded
    out: list[Any] = []
    if kind == "syntax":
        text = str(e.get("text") or "").strip()
        message = e.get("message") or ""
        syntax, bare = ("fixb.syntax_cell", "fixb.syntax_cell_no_text") if cell else \
            ("load.syntax", "load.syntax_no_text")
        out.append(msg(syntax, where=where, line=line, message=message, text=text) if text and line
                   else msg(bare, where=where, message=message))
        if "codec can't decode" in message or "Non-UTF-8 code" in message:
            out.append(msg("load.encoding"))
        elif "null bytes" in message:
            out.append(msg("load.null_bytes"))
    elif kind == "exit":
        out.append(msg("submission.exited", where=where))
    elif kind == "import":
        out.append(msg("load.import_failed", where=where, line=line or "?", imported=e.get("imported"),
                       type=e.get("type")))
    elif kind == "missing_module":
        out.append(msg("load.missing_module", where=where, line=line or "?", missing=e.get("missing")))
    else:
        api = errors.numpy_api(e)
        if api is not None:
            out.append(msg("submission.load_error", where=where, type=e.get("type"), message=api))
        elif line:
            out.append(msg("load.error", where=where, line=line, type=e.get("type"), message=e.get("message")))
        else:
            out.append(msg("submission.load_error", where=where, type=e.get("type"), message=e.get("message")))
    lost = e.get("lost")
    if lost and kind != "syntax":
        out.append(msg("load.lost", names=", ".join(str(n) for n in lost)))
    return out


def notice_message(key: str, params: dict[str, Any]) -> Message:
    """A notice as a message; a notebook cell it names is said in the reader's language."""
    return msg(key, **{k: place(v) if k == "where" else v for k, v in params.items()})


def load_failed_message(result: Result) -> Message | None:
    """Why the code could not be loaded, in words, or None: loaded, or a "Loading stopped
    in …" notice already says where and why (said once, not twice)."""
    if result.load_status == "loaded" or any(n.key.startswith("load.stopped.") for n in result.notices):
        return None
    status = result.load_status if result.load_status in ("timeout", "crashed", "output_limit") else "other"
    return msg("submission.load_failed_reason", reason=msg(f"load.reason.{status}"))


def load_messages(result: Result) -> list[Any]:
    """Messages about loading the submission (syntax errors, exits, notebooks)."""
    out = [notice_message(n.key, n.params) for n in result.notices]
    # A file's own error before the files that failed importing it (its consequence).
    for e in sorted(result.load_errors, key=lambda e: e.get("kind") == "import"):
        out.extend(load_error_messages(e))
    failed = load_failed_message(result)
    if failed is not None:
        out.append(failed)
    for ex in result.exercises:
        for func, others in ex.alternatives.items():
            out.append(msg("submission.graded_from", func=func, file=ex.graded_from[func],
                           others=", ".join(others)))
    return out


def notices_text(result: Result, lang: str) -> str:
    return "\n".join(render(m, lang) for m in load_messages(result))


def check_output(r: CheckResult, lang: str) -> str:
    lines = [render(m, lang) for m in r.messages]
    tb = r.details.get("traceback")
    if tb:
        lines.append(tb.rstrip())
    if r.output:
        lines.append(render(msg("report.student_output"), lang))
        lines.append(r.output[:STUDENT_OUTPUT_CHARS])
    return "\n".join(lines)


def adjustment_message(line: dict[str, Any]) -> Message:
    """One line of the course stage (a manual adjustment or the late penalty) as a message."""
    points = signed(line.get("points", 0.0))
    if line.get("kind") == "late":
        return msg("course.late_line", handed_in=_minutes(str(line.get("handed_in", ""))),
                   due=_minutes(str(line.get("due", ""))), days=line.get("days", 0),
                   percent=shown(line.get("percent", 0)), points=points)
    value = line.get("value", 0.0)
    what = msg(f"course.target_{line.get('scope', 'total')}_{line.get('mode', 'add')}", target=line.get("target", ""),
               value=shown(value) if line.get("mode") == "set" else signed(value))
    by, at, comment = line.get("by") or "-", _minutes(str(line.get("at", ""))), line.get("comment", "")
    if not line.get("applied", True):
        return msg("course.adjust_not_applied", what=what, by=by, at=at, points=points, comment=comment)
    if line.get("capped"):  # the item (exercise, total) stays between 0 and its maximum
        where = msg(f"fixb.where_{line.get('scope', 'total')}", target=line.get("target", ""))
        return msg(f"fixb.adjust_capped_{line['capped']}", what=what, by=by, at=at, points=points, where=where,
                   limit=shown(line.get("limit", 0.0)), comment=comment)
    if line.get("mode") == "add":  # the points asked are the points applied: said once
        return msg("fixb.adjust_line_add", what=what, by=by, at=at, comment=comment)
    return msg("course.adjust_line", what=what, by=by, at=at, points=points, comment=comment)


def _minutes(stamp: str) -> str:
    """``2025-03-09T08:00:00+00:00`` as ``2025-03-09 08:00 UTC`` (other offsets kept)."""
    if len(stamp) >= 16 and stamp[10] == "T":
        offset = stamp[19:]
        return stamp[:10] + " " + stamp[11:16] + (" UTC" if offset in ("+00:00", "Z", "") else " " + offset)
    return stamp


def adjustment_title(line: dict[str, Any]) -> Message:
    """A short title of one line (a test's name in results.json)."""
    if line.get("kind") == "late":
        return msg("course.late_test", days=line.get("days", 0), percent=shown(line.get("percent", 0)))
    value = line.get("value", 0.0)
    return msg("course.adjustment_test", what=msg(
        f"course.target_{line.get('scope', 'total')}_{line.get('mode', 'add')}", target=line.get("target", ""),
        value=shown(value) if line.get("mode") == "set" else signed(value)))
