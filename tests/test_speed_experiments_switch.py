"""Experiments run only where a report shows them (issue 15): they score nothing, and
cost about a fifth of a grade. ``grade()`` leaves them out unless asked (``experiments=True``); the CLI
runs them only with ``--html``; a batch only with ``--experiments``, which is part of
what decides whether a graded row is current (its reports differ)."""

from __future__ import annotations

import shutil

from support import SOLUTIONS, grade_fast

from grader.batch import grade_class

STABILITY = ("clip", "init", "l2")


def test_grade_without_experiments_leaves_them_out_and_scores_the_same():
    with_them = grade_fast(SOLUTIONS, *STABILITY, experiments=True)
    without = grade_fast(SOLUTIONS, *STABILITY)  # off unless asked
    assert [e["id"] for e in with_them.extras["experiments"]] == ["initialisation", "clipping"]
    assert "experiments" not in without.extras
    assert [(c.id, c.status, c.points) for c in without.checks] == [(c.id, c.status, c.points)
                                                                   for c in with_them.checks]


def test_batch_draws_experiments_only_when_asked(tmp_path):
    folder = tmp_path / "class"
    shutil.copytree(SOLUTIONS, folder / "alice", ignore=shutil.ignore_patterns("__pycache__", "quiz"))
    out = tmp_path / "out"
    first = grade_class(folder, out, solutions=SOLUTIONS, jobs=1, lang="en", allow_unisolated=True)
    report = (out / "reports").glob("*.html")
    html = next(report).read_text(encoding="utf-8")
    assert first.graded == ["alice"] and 'class="experiments' not in html
    asked = grade_class(folder, out, solutions=SOLUTIONS, jobs=1, lang="en", allow_unisolated=True,
                        experiments=True)
    assert asked.graded == ["alice"], "a row graded without experiments is not current for a batch that wants them"
    html = next((out / "reports").glob("*.html")).read_text(encoding="utf-8")
    assert 'class="experiments' in html
