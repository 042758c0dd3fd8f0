"""The class dashboard: one self-contained HTML page from a gradebook.

Score distribution, per-exercise means, the checks the class fails most, the
named mistakes by how many students make them, and an item analysis of the quiz
(difficulty and discrimination). Same form as the student report: inline CSS and
SVG, no script, every text from the catalogues, everything escaped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import __version__
from ..fileio import write_atomic
from ..gradebook import Gradebook
from ..i18n import msg, render
from ..quiz.grading import quiz_exercise
from ..specs import all_exercises
from ..untrusted import clean
from . import svg
from .html import _environment


def render_dashboard(book: Gradebook, lang: str) -> str:
    def t(key: str, **params: Any) -> str:
        return render(msg(key, **params), lang)

    students = book.students(graded_only=True)
    fractions = [100 * s["score"] / s["max_score"] if s["max_score"] else 0.0 for s in students]
    per_ex = book.exercise_scores()
    maxima = book.exercise_maxima()
    titles = {e.name: render(e.title, lang) for e in [*all_exercises(), quiz_exercise()]}
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
    template = _environment().get_template("dashboard.html.j2")
    return clean(template.render(  # the sink boundary (grader.untrusted)
        t=t, lang=lang, html_lang="zh-CN" if lang == "zh" else "en", version=__version__,
        students=students, mean=sum(fractions) / len(fractions) if fractions else 0.0,
        median=sorted(fractions)[len(fractions) // 2] if fractions else 0.0, chart=chart,
        exercise_means=means, hardest=book.check_pass_rates(kinds_excluded=("quiz",))[:15],
        mistakes=mistakes, quiz=book.quiz_items(),
    ))


def write_dashboard(book: Gradebook, path: Path | str, lang: str) -> None:
    write_atomic(Path(path), render_dashboard(book, lang))
