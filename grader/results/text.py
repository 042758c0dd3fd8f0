"""Plain-text renderings shared by results.json and the terminal summary."""

from __future__ import annotations

from ..checks.model import CheckResult
from ..i18n import msg
from ..i18n import render_lenient as render
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
