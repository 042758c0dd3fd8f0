"""Plain-text renderings shared by results.json and the terminal summary."""

from __future__ import annotations

from ..checks.model import CheckResult
from ..i18n import msg, render
from ..results import Result

STUDENT_OUTPUT_CHARS = 2000


def load_messages(result: Result) -> list:
    """Messages about loading the submission (syntax errors, exits, notebooks)."""
    out = [msg(n.key, **n.params) for n in result.notices]
    for e in result.load_errors:
        if e.get("kind") == "syntax":
            out.append(msg("submission.syntax_error", where=e.get("where"), line=e.get("line")))
        elif e.get("kind") == "exit":
            out.append(msg("submission.exited", where=e.get("where")))
        else:
            out.append(msg("submission.load_error", where=e.get("where"), type=e.get("type"),
                           message=e.get("message")))
    if result.load_status != "loaded":
        out.append(msg("submission.load_failed", status=result.load_status))
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


def adjustment_message(line: dict):
    """One line of the course stage (a manual adjustment or the late penalty) as a message."""
    points = f"{line.get('points', 0.0):+g}"
    if line.get("kind") == "late":
        return msg("course.late_line", handed_in=_minutes(str(line.get("handed_in", ""))),
                   due=_minutes(str(line.get("due", ""))), days=line.get("days", 0),
                   percent=f"{line.get('percent', 0):g}", points=points)
    value = line.get("value", 0.0)
    what = msg(f"course.target_{line.get('scope', 'total')}_{line.get('mode', 'add')}", target=line.get("target", ""),
               value=f"{value:g}" if line.get("mode") == "set" else f"{value:+g}")
    key = "course.adjust_line" if line.get("applied", True) else "course.adjust_not_applied"
    return msg(key, what=what, by=line.get("by") or "-", at=_minutes(str(line.get("at", ""))), points=points,
               comment=line.get("comment", ""))


def _minutes(stamp: str) -> str:
    """``2025-03-09T08:00:00+00:00`` as ``2025-03-09 08:00 UTC`` (other offsets kept)."""
    if len(stamp) >= 16 and stamp[10] == "T":
        offset = stamp[19:]
        return stamp[:10] + " " + stamp[11:16] + (" UTC" if offset in ("+00:00", "Z", "") else " " + offset)
    return stamp


def adjustment_title(line: dict):
    """A short title of one line (a test's name in results.json)."""
    if line.get("kind") == "late":
        return msg("course.late_test", days=line.get("days", 0), percent=f"{line.get('percent', 0):g}")
    value = line.get("value", 0.0)
    return msg("course.adjustment_test", what=msg(
        f"course.target_{line.get('scope', 'total')}_{line.get('mode', 'add')}", target=line.get("target", ""),
        value=f"{value:g}" if line.get("mode") == "set" else f"{value:+g}"))
