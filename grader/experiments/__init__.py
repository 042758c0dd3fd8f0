"""Experiments: the lecture's claims about training stability, shown with the
student's own code and drawn as plots in the report.

1. :mod:`.gradient_flow` - vanishing and exploding gradients through 50 time steps
   of the student's RNN, for several recurrent weight scales, beside a ReLU recurrence;
2. :mod:`.initialisation` - activation spread through 10 layers for "small",
   "xavier" and "he" weights from the student's ``init_weights``;
3. :mod:`.clipping` - update norms of a short training run with and without the
   student's ``clip_grad_norm``.

They run after the checks, while the sandbox is alive (:func:`run_experiments`,
called by :func:`grader.api.grade`), and leave plain data (see :mod:`.model`) in
``result.extras["experiments"]``. A student function that fails or returns
something unusable fails only its own experiment, which then says why; an
experiment whose functions are not being graded is left out.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable
from typing import Any

from ..checks.model import Context
from ..i18n import msg
from . import clipping, gradient_flow, initialisation
from .model import ExperimentFailed, experiment, failed

EXPERIMENTS: list[tuple[str, list[str], Callable[[Context], dict[str, Any]]]] = [
    (m.ID, m.FUNCTIONS, m.run) for m in (gradient_flow, initialisation, clipping)
]


def experiment_ids(available: Iterable[str]) -> list[str]:
    """The experiments :func:`run_experiments` runs for ``available``, in its order."""
    names = set(available)
    return [eid for eid, functions, _ in EXPERIMENTS if set(functions) <= names]


def run_experiments(ctx: Context, available: Iterable[str], only: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Run every experiment whose student functions are among ``available`` (the
    functions the sandbox was asked to find); one result dict per experiment. ``only``:
    those of these experiments (ids) alone (a grade split over two processes shares
    them out: :mod:`grader.split`)."""
    names = set(available)
    wanted = None if only is None else set(only)
    results = []
    for eid, functions, run in EXPERIMENTS:
        if not set(functions) <= names or wanted is not None and eid not in wanted:
            continue
        try:
            results.append(run(ctx))
        except ExperimentFailed as exc:
            results.append(failed(experiment(eid, functions), exc.problem))
        except Exception:  # a grader bug: say so in this experiment, keep the report
            res = failed(experiment(eid, functions), msg("grader.internal_error"))
            res["grader_traceback"] = traceback.format_exc(limit=8)
            results.append(res)
    return results
