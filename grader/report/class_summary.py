"""The class statistics in the terminal (``rnngrade gradebook GRADEBOOK`` without an
export option): how many students, mean, median, spread, the distribution as a bar
chart, the mean of each exercise, the checks and quiz questions the class finds
hardest, the known mistakes by how many students make them, and the causes of
failure that affect the most students (one line per cause, :func:`cause_lines`). Every text is from
the catalogues; each count says "1 student", not "1 students"."""

from __future__ import annotations

import unicodedata
from typing import Any

from ..display import shown
from ..gradebook.stats import BINS, ClassStatistics, scores_message
from ..i18n import Message, msg, render
from ..untrusted import clean

BAR = 30  # characters of the longest bar
TITLE = 72  # characters of a check title


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _short(text: str, width: int = TITLE) -> str:
    """``text`` on one line, cut to ``width`` terminal columns (a CJK character takes two)."""
    text = " ".join(clean(text).split())
    if _width(text) <= width:
        return text
    out, used = [], 0
    for c in text:
        w = _width(c)
        if used + w > width - 1:
            break
        out.append(c)
        used += w
    return "".join(out) + "…"


def class_summary_lines(stats: ClassStatistics, lang: str, titles: dict[str, str] | None = None) -> list[str]:
    """``titles``: exercise name -> its title in ``lang``."""
    def t(key: str, **params: Any) -> str:
        return render(msg(key, **params), lang)

    titles = titles or {}
    if stats.failed:
        why = [msg(f"batch.failure_kind.{k}", n=n) for k, n in sorted(stats.failed.items())]
        lines = [t("gradebook.rows_failed", n=stats.rows, graded=stats.graded, failed=sum(stats.failed.values()),
                   why=why)]
    else:
        lines = [t("gradebook.rows", n=stats.rows, graded=stats.graded)]
    if not stats.graded:
        return lines
    lines.append(render(scores_message(stats), lang))
    lines += ["", t("gradebook.distribution")]
    most = max(stats.distribution) or 1
    step = 100 // BINS
    for i, count in enumerate(stats.distribution):
        label = f"{i * step:>3}–{(i + 1) * step}%"
        lines.append(f"  {label:<9}{count:>4}  {'█' * round(BAR * count / most)}")
    if stats.exercises:
        lines += ["", t("gradebook.exercises")]
        names = [_short(titles.get(e.exercise, e.exercise), 40) for e in stats.exercises]
        width = max(_width(n) for n in names)
        for name, e in zip(names, stats.exercises, strict=True):
            lines.append(f"  {_pad(name, width)}  {e.mean:6.1f} / {shown(e.max_points):<6} {100 * e.fraction:4.0f}%")
    if stats.hardest_checks:
        lines += ["", t("gradebook.hardest")]
        lines += [f"  {c['pass_rate']:5.0%}  {_short(c['title'] or c['check'])}" for c in stats.hardest_checks]
    if stats.hardest_questions:
        lines += ["", t("gradebook.hardest_quiz")]
        lines += [f"  {q['difficulty']:5.0%}  {_short(q['title'] or q['check'])}" for q in stats.hardest_questions]
    if stats.mistakes:
        lines += ["", t("gradebook.mistakes")]
        lines += ["  " + t("batch.mistake_count", id=m, name=msg(f"mistake.{m}.name"), count=n)
                  for m, n in stats.mistakes.items()]
    return lines


def cause_lines(failed: list[dict[str, Any]], lang: str, limit: int = 10) -> list[str]:
    """The ``limit`` causes of failure that affect the most students, one line each
    (``failed``: :meth:`~grader.gradebook.Gradebook.failed_checks`; a cause shared by
    many checks is said once, :func:`grader.report.dashboard.root_causes`)."""
    from .dashboard import root_causes

    causes = root_causes(failed)[:limit]
    if not causes:
        return []
    lines = ["", render(msg("dashboard.stats_causes"), lang)]
    for cause in causes:
        label = render(cause.label, lang) if isinstance(cause.label, Message) else str(cause.label)
        line = render(msg("dashboard.stats_cause", students=len(cause.students), checks=len(cause.checks),
                          label=_short(label, 140)), lang)
        if cause.consequences:
            line += " " + render(msg("fixb.stats_consequences", n=len(cause.consequences)), lang)
        lines.append("  " + line)
    return lines
