"""The capstone's curves as plain plot data, for the report (drawn by
:func:`grader.report.svg.line_plot`).

One plot is a dict like an experiment's (``grader/experiments/model.py``)::

    {"id", "title", "desc", "x_label", "y_label": Message, "log_y": bool,
     "width": int, "series": [{"label": Message, "x": [...], "y": [...]}]}

Four panels: the held-out accuracy after each epoch and the mean training loss of
each epoch for RNN vs LSTM vs GRU, and on the long paragraphs the loss and the
gradient norm of each step with and without clipping. At most four series each (the
first four colours of the report's palette contrast at least 3:1 with white), and
``WIDTH`` user units wide, so the SVG is drawn at its own size, 11 px text and all,
on a phone (a 360 px screen leaves 336 px inside the report's margins).
"""

from __future__ import annotations

import math
from typing import Any

from ..i18n import Message, msg
from .train import CELLS

WIDTH = 336
PREFIX = "capstone.plot."  # every plot text's key starts with it


def _numbers(values: list[Any]) -> list[float | None]:
    return [float(v) if isinstance(v, (int, float)) and math.isfinite(v) else None for v in values]


def _series(label: Message, y: list[Any], start: int = 0) -> dict[str, Any]:
    return {"label": label, "x": list(range(start, start + len(y))), "y": _numbers(y)}


def _plot(pid: str, series: list[dict[str, Any]], desc: Message, x_label: str, log_y: bool = False) -> dict[str, Any]:
    return {"id": pid, "title": msg(f"{PREFIX}{pid}_title"), "desc": desc, "x_label": msg(f"{PREFIX}{x_label}"),
            "y_label": msg(f"{PREFIX}{pid}_y_label"), "log_y": log_y, "width": WIDTH, "series": series}


def _fmt(v: Any) -> str:
    return f"{v:.3f}" if isinstance(v, (int, float)) and math.isfinite(v) else "-"


def capstone_plots(runs: dict[str, dict[str, Any]], threshold: float, max_norm: float | None) -> list[dict[str, Any]]:
    """The plots of the runs that were made (``TrainRun.to_dict()`` values)."""
    plots: list[dict[str, Any]] = []
    cells = [c for c in CELLS if "heldout_accuracy" in runs.get(c, {})]
    if cells:
        epochs = max(len(runs[c]["heldout_accuracy"]) for c in cells)
        acc = [_series(msg(f"capstone.run.{c}"), runs[c]["heldout_accuracy"]) for c in cells]
        acc.append(_series(msg(f"{PREFIX}threshold", threshold=f"{threshold:g}"), [threshold] * epochs))
        best = {c: _fmt(runs[c].get("best_accuracy")) for c in CELLS if c in cells}
        plots.append(_plot("accuracy", acc, msg(f"{PREFIX}accuracy_desc", threshold=f"{threshold:g}",
                                                best=", ".join(f"{c.upper()} {v}" for c, v in best.items())),
                           "epoch"))
        loss = [_series(msg(f"capstone.run.{c}"), runs[c]["epoch_losses"], start=1) for c in cells]
        last = {c: _fmt((runs[c]["epoch_losses"] or [None])[-1]) for c in cells}
        plots.append(_plot("loss", loss, msg(f"{PREFIX}loss_desc",
                                             last=", ".join(f"{c.upper()} {v}" for c, v in last.items())), "epoch"))
    long = [n for n in ("long_clipped", "long_unclipped") if "losses" in runs.get(n, {})]
    if long:
        steps = [_series(msg(f"{PREFIX}series_{n}"), runs[n]["losses"], start=1) for n in long]
        peaks = {n: _fmt(max((v for v in _numbers(runs[n]["losses"]) if v is not None), default=math.nan))
                 for n in long}
        plots.append(_plot("long_loss", steps, msg(f"{PREFIX}long_loss_desc", clipped=peaks.get("long_clipped", "-"),
                                                   unclipped=peaks.get("long_unclipped", "-")), "step"))
        norms = [_series(msg(f"{PREFIX}series_{n}"), runs[n]["grad_norms"], start=1) for n in long]
        if max_norm is not None:
            n_steps = max(len(runs[n]["grad_norms"]) for n in long)
            norms.append(_series(msg(f"{PREFIX}bound", v=f"{max_norm:g}"), [max_norm] * n_steps, start=1))
        highest = {n: _fmt(max((v for v in _numbers(runs[n]["grad_norms"]) if v is not None), default=math.nan))
                   for n in long}
        bound = f"{max_norm:g}" if max_norm is not None else "-"
        plots.append(_plot("long_norm", norms, msg(f"{PREFIX}long_norm_desc", v=bound,
                                                   clipped=highest.get("long_clipped", "-"),
                                                   unclipped=highest.get("long_unclipped", "-")),
                           "step", log_y=True))
    return plots


def predictions(runs: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per probe sentence: its text, language and label, the probability of
    "positive" each cell's model gives it, and after each of its tokens (the last
    probability of a run is None where its scores were not finite)."""
    rows: list[dict[str, Any]] = []
    cells = [c for c in CELLS if runs.get(c, {}).get("predictions")]
    for i, first in enumerate(runs[cells[0]]["predictions"] if cells else []):
        row = {"text": first["text"], "lang": first["lang"], "label": first["label"], "tokens": first["tokens"],
               "p": {}, "right": {}, "prefix": {}}
        for c in cells:
            pred = runs[c]["predictions"][i]
            p = pred["p_positive"]
            row["p"][c] = p
            row["right"][c] = None if p is None else (p > 0.5) == (first["label"] == 1)
            row["prefix"][c] = pred["prefix_p_positive"]
        rows.append(row)
    return rows
