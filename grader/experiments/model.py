"""The plain data an experiment leaves in ``result.extras["experiments"]``.

One experiment is a dict::

    {"id": "gradient_flow", "title": Message, "explanation": Message,
     "status": "ok" | "failed", "problem": Message | None,
     "functions": ["rnn_forward", ...],          # the student's functions it ran
     "plots": [{"id", "title", "desc", "x_label", "y_label": Message,
                "log_y": bool, "series": [{"label": Message, "x": [...], "y": [...]}]}],
     "figures": {...}}                            # the key numbers, for the text and tests

Only numbers, strings, lists, dicts and :class:`~grader.i18n.Message` values: the
report renders it in either language, and nothing of the student's objects is kept.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ..calls import CallOutcome
from ..checks.compare import array_of
from ..checks.model import outcome_problem
from ..i18n import Message, msg

OK, FAILED = "ok", "failed"


class ExperimentFailed(Exception):
    """A student function did not do what the experiment needs; carries the reason."""

    def __init__(self, problem: Message) -> None:
        super().__init__(problem.key)
        self.problem = problem


def numbers(values: Iterable[float]) -> list[float | None]:
    """Plain floats for a series; non-finite values become None (a gap in the plot)."""
    return [float(v) if math.isfinite(float(v)) else None for v in values]


def series(label: Message, x: Sequence[float], y: Iterable[float]) -> dict[str, Any]:
    return {"label": label, "x": [float(v) for v in x], "y": numbers(y)}


def plot(pid: str, prefix: str, series_: list[dict[str, Any]], log_y: bool, desc: Message) -> dict[str, Any]:
    """One panel; its texts are ``{prefix}.{pid}_title``, ``{prefix}.x_label`` and
    ``{prefix}.{pid}_y_label`` in the catalogue."""
    return {"id": pid, "title": msg(f"{prefix}.{pid}_title"), "desc": desc,
            "x_label": msg(f"{prefix}.x_label"), "y_label": msg(f"{prefix}.{pid}_y_label"),
            "log_y": log_y, "series": series_}


def experiment(eid: str, functions: list[str]) -> dict[str, Any]:
    return {"id": eid, "title": msg(f"experiment.{eid}.title"), "explanation": None, "status": OK,
            "problem": None, "functions": functions, "plots": [], "figures": {}}


def failed(result: dict[str, Any], problem: Message) -> dict[str, Any]:
    result.update(status=FAILED, problem=msg("experiment.failed", problem=problem), plots=[], explanation=None)
    return result


def require_ok(func: str, outcome: CallOutcome) -> Any:
    """The value of a call that must have worked, else :class:`ExperimentFailed`."""
    if not outcome.ok:
        raise ExperimentFailed(outcome_problem(func, outcome))
    return outcome.value


def require_array(func: str, value: Any, what: str, shape: tuple[int, ...]) -> np.ndarray:
    """A float64 copy of a returned array of exactly ``shape``, else :class:`ExperimentFailed`."""
    arr = array_of(value, shape)  # the shape is checked before anything is converted
    if arr is None:
        got = str(value.shape) if isinstance(value, np.ndarray) else "-"
        raise ExperimentFailed(msg("experiment.bad_return", func=func, what=what, got=got, want=str(shape)))
    return arr


def part(value: Any, index: int) -> Any:
    """``value[index]`` of a returned tuple or list, or None."""
    if isinstance(value, (tuple, list)) and -len(value) <= index < len(value):
        return value[index]
    return None
