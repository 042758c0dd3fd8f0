"""A child launched before the submission is read (grader/sandbox/prelaunch.py, issue 15):
it grades exactly as a child started afterwards, is dropped when it runs at another
level than the grade needs, and leaves nothing behind, whatever the command does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from support import SOLUTIONS

from grader import paths
from grader.api import grade
from grader.sandbox import isolation as iso
from grader.sandbox.prelaunch import discard, prelaunch

SAMPLE = paths.EXAMPLES / "sample_submission"
ROOT = Path(__file__).resolve().parents[1]


def _verdicts(result):
    return [(c.id, str(c.status), c.points, sorted(c.mistakes)) for c in result.checks]


def test_a_launched_child_grades_as_a_fresh_one(sample_official_result):
    launched = prelaunch()
    assert launched is not None and launched.alive and not any(launched.root.iterdir())
    try:
        with_it = grade(SAMPLE, solutions=SOLUTIONS, student="sample", launched=launched, allow_unisolated=True)
        assert launched.generation == 1 and launched.load_report is not None  # this child did the grading
    finally:
        discard(launched)
    without = sample_official_result  # a fresh child's grade of the same submission
    assert _verdicts(with_it) == _verdicts(without)
    assert with_it.score == without.score and with_it.isolation == without.isolation
    assert not launched.root.exists()


def test_a_child_at_another_level_is_not_used(monkeypatch):
    launched = prelaunch()
    assert launched is not None
    try:
        other = iso.at_level("portable") if launched.isolation.level != "portable" else iso.probe()
        if other == launched.isolation:  # only the portable level exists here: nothing else to compare with
            return
        result = grade(SAMPLE, solutions=SOLUTIONS, student="sample", launched=launched, isolation=other,
                       allow_unisolated=True)
        assert result.isolation == other.level
        assert launched.load_report is None and not launched.alive  # stopped, never loaded anything
    finally:
        discard(launched)


def _cli(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, TMPDIR=str(tmp))
    return subprocess.run([sys.executable, "-m", "grader", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_the_cli_leaves_no_folder_behind(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    ok = _cli(tmp, "grade", str(SAMPLE), "--solutions", str(SOLUTIONS), "--student", "sample",
              "--allow-unisolated", "--html", str(tmp_path / "r.html"))
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "r.html").is_file()
    usage = _cli(tmp, "grade", str(SAMPLE), "--sample")  # refused after the child was launched
    assert usage.returncode == 2
    assert list(tmp.iterdir()) == []


def test_the_program_launches_children_only_for_a_grade():
    from grader.entry import grades

    assert grades(["grade"]) and grades(["grade", "sub.py", "--html", "r.html"])
    assert grades(["grade", "--", "--help"])  # a submission named --help
    assert not grades([]) and not grades(["--help"]) and not grades(["batch", "class/"])
    assert not grades(["grade", "--help"]) and not grades(["grade", "sub.py", "-h"])
    assert not grades(["--version", "grade"])


def test_the_program_grades_with_its_start_frozen_out_of_collections():
    """grader.entry turns the collector off for a grade's start; the grade freezes what
    was made by then and turns it on again. From a test (collector on): nothing."""
    import gc

    from grader.cli import _settle_collector

    frozen = gc.get_freeze_count()
    _settle_collector()
    assert gc.isenabled() and gc.get_freeze_count() == frozen
    gc.disable()
    try:
        _settle_collector()
        assert gc.isenabled() and gc.get_freeze_count() > frozen
    finally:
        gc.unfreeze()
        gc.enable()
