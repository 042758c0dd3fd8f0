"""Class statistics from a gradebook: what ``rnngrade gradebook`` prints without an
export option (and what any other summary of a class can reuse).

Scores are percentages of each student's maximum, so classes graded with different
maxima (an assignment's subset of exercises) compare. Only rows with a grade count;
rows whose grading failed are counted by status beside them.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from ..display import shown
from ..i18n import Message, msg
from .status import RowStatus

BINS = 10  # the distribution in steps of 10 percent; the last bin includes 100 %


@dataclass
class ExerciseMean:
    exercise: str
    mean: float  # mean points over the graded students
    max_points: float  # the exercise's maximum

    @property
    def fraction(self) -> float:
        return self.mean / self.max_points if self.max_points else 0.0


@dataclass
class ClassStatistics:
    rows: int  # every row of the gradebook
    graded: int
    failed: dict[str, int] = field(default_factory=dict)  # status -> rows (timeout, worker_died, grader_error)
    max_points: list[float] = field(default_factory=list)  # the distinct maxima of the graded rows
    mean: float = 0.0  # percent
    median: float = 0.0
    stdev: float = 0.0  # population standard deviation, percent
    lowest: float = 0.0
    highest: float = 0.0
    distribution: list[int] = field(default_factory=lambda: [0] * BINS)  # students per 10 % bin
    exercises: list[ExerciseMean] = field(default_factory=list)
    hardest_checks: list[dict[str, Any]] = field(default_factory=list)  # code checks, lowest pass rate first
    hardest_questions: list[dict[str, Any]] = field(default_factory=list)  # quiz items, lowest mean score first
    mistakes: dict[str, int] = field(default_factory=dict)  # known mistake id -> students


def class_statistics(book: Any, top: int = 10, order: list[str] | None = None) -> ClassStatistics:
    """The statistics of ``book`` (a :class:`~grader.gradebook.Gradebook`); ``top``: how
    many of the hardest checks and questions to keep; ``order``: exercise names in the
    course's order (others follow, by name)."""
    rows = book.students()
    graded = [r for r in rows if r["status"] == RowStatus.GRADED.value]
    stats = ClassStatistics(rows=len(rows), graded=len(graded))
    for r in rows:
        if r["status"] != RowStatus.GRADED.value:
            stats.failed[r["status"]] = stats.failed.get(r["status"], 0) + 1
    if not graded:
        return stats
    percents = [100 * r["score"] / r["max_score"] if r["max_score"] else 0.0 for r in graded]
    stats.max_points = sorted({r["max_score"] for r in graded})
    stats.mean = statistics.fmean(percents)
    stats.median = statistics.median(percents)
    stats.stdev = statistics.pstdev(percents)
    stats.lowest, stats.highest = min(percents), max(percents)
    for p in percents:
        stats.distribution[min(int(p // (100 / BINS)), BINS - 1)] += 1
    per_ex = book.exercise_scores()
    maxima = book.exercise_maxima()
    rank = {name: i for i, name in enumerate(order or [])}
    names = sorted(maxima, key=lambda e: (rank.get(e, len(rank)), e))
    stats.exercises = [ExerciseMean(e, statistics.fmean(per_ex.get(r["student"], {}).get(e, 0.0) for r in graded),
                                    maxima[e]) for e in names]
    stats.hardest_checks = book.check_pass_rates(kinds_excluded=("quiz",))[:top]
    stats.hardest_questions = sorted(book.quiz_items(), key=lambda q: (q["difficulty"], q["check"]))[:top]
    stats.mistakes = book.mistake_counts()
    return stats


def maximum_message(stats: ClassStatistics) -> Message:
    """What the class's percents are percents of: one maximum in points, or each student's own."""
    if len(stats.max_points) == 1:
        return msg("gradebook.max_points", points=shown(stats.max_points[0]))
    return msg("gradebook.max_points_vary")


def scores_message(stats: ClassStatistics) -> Message:
    """The class's mean, median, spread and range, each in percent of the maximum: the
    same numbers, with the same units, in the terminal and on the dashboard."""
    return msg("fixb.scores", maximum=maximum_message(stats), mean=f"{stats.mean:.1f}", median=f"{stats.median:.1f}",
               sd=f"{stats.stdev:.1f}", low=f"{stats.lowest:.1f}", high=f"{stats.highest:.1f}")
