"""The class dashboard: one self-contained HTML page from a gradebook.

The students with links to their reports, the score distribution, per-exercise
means, the causes of failure across the class (one line per cause: a known mistake,
a function not implemented, gradients that disagree..., with the students it
affects and the checks and points it costs, not one line per check), the named
mistakes by how many students make them, and an item analysis of the quiz
(difficulty and discrimination). Same form as the student report: inline CSS and
SVG, no script, every text from the catalogues, everything escaped.

Every text comes from message keys stored in the gradebook (schema 3), so the page
renders in either language whatever language the batch wrote its reports in; rows
of older gradebooks show the text they stored.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..display import shown
from ..fileio import write_atomic
from ..gradebook import Gradebook
from ..gradebook.stats import class_statistics, scores_message
from ..i18n import Message, msg, render_lenient
from ..plain import decode
from ..quiz.grading import quiz_exercise
from ..specs import all_exercises
from ..untrusted import clean
from . import svg
from .html import environment, rich

CAUSES_SHOWN = 25  # causes listed (the rest are counted)
# Causes said shortly: the function that did not run, not the advice to each student.
SHORT_CAUSES = {"call.not_implemented": "feedback.tty.short_not_implemented",
                "call.missing": "feedback.tty.short_missing"}


@dataclass
class Cause:
    """One cause of failure across the class."""

    key: tuple[str, ...]
    label: Message | str  # what to show (an example message where the cause carries numbers)
    example: bool = False  # the label is one student's message (its numbers are that student's)
    students: set[str] = field(default_factory=set)
    checks: dict[str, Message | str] = field(default_factory=dict)  # check id -> its title
    lost: float = 0.0  # points lost, over the class
    # Checks that fail only as a consequence of this cause (a composite whose building
    # block fails with it: "also failing: ... fix that first"): check id -> its title.
    consequences: dict[str, Message | str] = field(default_factory=dict)
    consequence_students: set[str] = field(default_factory=set)
    consequence_lost: float = 0.0
    relay: bool = False  # a consequence whose own cause is in no failing row: listed after the causes


def _message(encoded: str) -> Message | None:
    if not encoded:
        return None
    try:
        value = decode(json.loads(encoded))
    except (ValueError, TypeError):
        return None
    return value if isinstance(value, Message) else None


RELAY_KEYS = ("check.builds_on",)  # a failure whose first message points at another exercise's


def _pointed(cause: Message) -> set[str]:
    """The exercises a relay points at (their titles are ``exercise.<name>`` messages)."""
    names = cause.params.get("exercises") or []
    return {m.key.split(".", 1)[1] for m in names if isinstance(m, Message) and m.key.startswith("exercise.")}


def root_causes(rows: list[dict[str, Any]]) -> list[Cause]:
    """Failed checks (:meth:`Gradebook.failed_checks`) grouped by their cause: a named
    mistake, else the kind of their first message and its function (gradients of one
    backward that disagree are one cause, whichever gradient). Rows without a stored
    cause (older gradebooks) are one cause per check. Most students first.

    A relay ("also failing: <building block>, fix that first") is no cause of its own:
    it is folded under the cause of that student's failing building block (its
    ``consequences``); a relay whose block has no failing row is listed after every
    root cause."""
    causes: dict[tuple[str, ...], Cause] = {}
    relays: list[tuple[dict[str, Any], Message, Message | str]] = []
    own: dict[tuple[str, str], list[Cause]] = {}  # (student, exercise) -> causes of its failing rows
    for r in rows:
        if r["kind"] == "quiz":
            continue  # the quiz has its own analysis
        cause = _message(r["cause"])
        title = _message(r["title"]) or r["title_text"]
        if not r["mistakes"] and cause is not None and cause.key in RELAY_KEYS:
            relays.append((r, cause, title))
            continue
        if r["mistakes"]:
            mid = r["mistakes"][0]
            key: tuple[str, ...] = ("mistake", mid)
            label: Message | str = msg("fixb.mistake_row", id=mid, name=msg(f"mistake.{mid}.name"))
            example = False
        elif cause is not None:
            func = str(cause.params.get("func") or r["func"])
            key = ("message", cause.key, func)
            short = SHORT_CAUSES.get(cause.key)
            label, example = (msg(short, func=func), False) if short else (cause, True)
        else:
            key, label, example = ("check", r["check"]), title, False
        c = causes.setdefault(key, Cause(key, label, example))
        c.students.add(r["student"])
        c.checks.setdefault(r["check"], title)
        c.lost += float(r["lost"] or 0.0)
        found = own.setdefault((r["student"], r["exercise"]), [])
        if c not in found:
            found.append(c)
    roots = sorted(causes.values(), key=lambda c: (-len(c.students), -c.lost, c.key))
    rank = {c.key: i for i, c in enumerate(roots)}
    unplaced: dict[tuple[str, ...], Cause] = {}
    for r, cause, title in relays:
        under = [c for name in sorted(_pointed(cause)) for c in own.get((r["student"], name), [])]
        if under:
            c = min(under, key=lambda c: rank[c.key])  # the cause most of the class shares
            c.consequences.setdefault(r["check"], title)
            c.consequence_students.add(r["student"])
            c.consequence_lost += float(r["lost"] or 0.0)
            continue
        key = ("relay", cause.key, str(r["func"]))
        c = unplaced.setdefault(key, Cause(key, cause, True, relay=True))
        c.students.add(r["student"])
        c.checks.setdefault(r["check"], title)
        c.lost += float(r["lost"] or 0.0)
    return roots + sorted(unplaced.values(), key=lambda c: (-len(c.students), -c.lost, c.key))


def _link(book: Gradebook, report: str, out: Path | None) -> str | None:
    """The student's report, relative to where the dashboard is written (it must exist)."""
    if not report:
        return None
    target = (book.path.parent / report).resolve()
    if not target.is_file():
        return None
    base = (out.parent if out is not None else book.path.parent).resolve()
    return Path(os.path.relpath(target, base)).as_posix()


def render_dashboard(book: Gradebook, lang: str, out: Path | str | None = None) -> str:
    """The dashboard in ``lang``; links to the students' reports are relative to
    ``out`` (the file it will be written to; default: next to the gradebook)."""
    out = Path(out) if out is not None else None

    def t(key: str, **params: Any) -> str:
        return render_lenient(msg(key, **params), lang)

    def text(value: Message | str | None) -> Any:
        """A stored message (or, from an old row, its text) as markup: escaped, code in code font."""
        if isinstance(value, Message):
            return rich(render_lenient(value, lang))
        return rich("" if value is None else str(value))

    everyone = book.students()
    students = [s for s in everyone if s["status"] == "graded"]
    fractions = [100 * s["score"] / s["max_score"] if s["max_score"] else 0.0 for s in students]
    per_ex = book.exercise_scores()
    maxima = book.exercise_maxima()
    titles = {e.name: render_lenient(e.title, lang) for e in [*all_exercises(), quiz_exercise()]}
    order = {name: i for i, name in enumerate(titles)}
    exercises = sorted({e for scores in per_ex.values() for e in scores}, key=lambda e: (order.get(e, 99), e))
    means = [{"exercise": e, "title": titles.get(e, e), "max": maxima.get(e, 0.0),
              "mean": sum(s.get(e, 0.0) for s in per_ex.values()) / max(len(per_ex), 1)} for e in exercises]
    chart = svg.histogram(fractions, [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100],
                          title=t("dashboard.histogram_title"), x_label=t("dashboard.histogram_x"),
                          y_label=t("dashboard.histogram_y"),
                          desc=t("dashboard.histogram_desc", n=len(students)))
    mistakes = [{"id": m, "name": t(f"mistake.{m}.name"), "count": c,
                 "share": c / len(students) if students else 0.0} for m, c in book.mistake_counts().items()]
    causes = root_causes(book.failed_checks())
    rows = [{"student": s["student"], "score": s["score"], "max": s["max_score"], "status": s["status"],
             "detail": s["detail"], "graded_at": s["graded_at"], "link": _link(book, s.get("report", ""), out),
             "percent": 100 * s["score"] / s["max_score"] if s["max_score"] else 0.0} for s in everyone]
    hardest = [dict(r, title=text(_message(r["title_json"]) or r["title"]))
               for r in book.check_pass_rates(kinds_excluded=("quiz",))[:15]]
    quiz = [dict(q, title=text(_message(q["title_json"]) or q["title"])) for q in book.quiz_items()]
    template = environment().get_template("dashboard.html.j2")
    return clean(template.render(  # the sink boundary (grader.untrusted)
        t=t, text=text, num=shown, lang=lang, html_lang="zh-CN" if lang == "zh" else "en", version=__version__,
        students=students, rows=rows, summary=t("fixb.dashboard_summary", n=len(students),
                                                  scores=scores_message(class_statistics(book))), chart=chart,
        exercise_means=means, causes=causes[:CAUSES_SHOWN], more_causes=max(0, len(causes) - CAUSES_SHOWN),
        hardest=hardest, mistakes=mistakes, quiz=quiz,
    ))


def write_dashboard(book: Gradebook, path: Path | str, lang: str) -> None:
    write_atomic(Path(path), render_dashboard(book, lang, Path(path)))
