"""What ``rnngrade batch`` says when it ends, and its exit status (tryout findings 2,
4 and 17): one student whose grading failed is a row, not a failed batch (exit 0,
listed as a warning, counted by kind, never "grader failures" for a timeout); a
hand-in the roster does not know is reported and not graded under a made-up id
(exit 1) unless --grade-unmatched; a roster that matches no hand-in stops the batch
before anything is graded (exit 2)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

import grader.batch
from grader.batch import grade_class
from grader.batch.roster import RosterError
from grader.batch.summary import CANNOT_RUN, COMPLETE, INCOMPLETE
from grader.cli import main
from grader.gradebook import Gradebook


def fake_grade(student: str, snapshot: object, solutions: str | None, lang: str,
               allow_unisolated: bool = False) -> dict:
    """Grades instantly; a student named ``crash`` is a grader error."""
    if student.endswith("crash"):
        raise RuntimeError("a grader bug")
    tests = [{"name": "t", "score": 1.0, "max_score": 2.0, "status": "failed", "output": "",
              "tags": ["relu", "value"], "extra_data": {"id": "relu.t", "mistakes": []}}]
    return {"student": student, "fingerprint": "f", "score": 1.0, "max_score": 2.0, "load_status": "loaded",
            "isolation": "portable", "graded_at": "2025-01-01T00:00:00+00:00", "seconds": 0.01,
            "results": {"score": 1.0, "tests": tests, "extra_data": {"max_score": 2.0}}, "html": "<html></html>"}


@pytest.fixture
def fake_grading(monkeypatch):
    monkeypatch.setattr(grader.batch, "_grade_one", fake_grade)  # the workers fork from this process


def _class(tmp_path: Path, names: list[str]) -> Path:
    folder = tmp_path / "class"
    folder.mkdir()
    for name in names:
        (folder / f"{name}.py").write_text(f"# {name}\n")
    return folder


def _batch(tmp_path: Path, *args: str):
    (tmp_path / "solutions").mkdir(exist_ok=True)
    return CliRunner().invoke(main, ["batch", str(tmp_path / "class"), "--solutions", str(tmp_path / "solutions"),
                                     "--out", str(tmp_path / "out"), "-j", "2", "--lang", "en",
                                     "--allow-unisolated", *args])


def test_a_failed_student_is_a_row_and_the_batch_exits_0(tmp_path, fake_grading):
    _class(tmp_path, ["alice", "bob", "crash"])
    result = _batch(tmp_path)
    assert result.exit_code == COMPLETE, result.output
    assert "2 graded, 0 unchanged (skipped), 1 could not be graded (1 grader error)" in result.stdout
    assert "grader failures" not in result.output
    assert "1 hand-in could not be graded" in result.stderr and "crash (crash.py): grader_error" in result.stderr
    with Gradebook(tmp_path / "out" / "gradebook.sqlite") as book:
        assert {r["student"]: r["status"] for r in book.students()} == {
            "alice": "graded", "bob": "graded", "crash": "grader_error"}


def test_failures_are_counted_by_kind_in_both_languages():
    from grader.batch import BatchSummary
    from grader.batch.summary import summary_lines
    from grader.i18n import render

    summary = BatchSummary(graded=["a"], failed={"b": "timeout: 3 s", "c": "timeout: 3 s", "d": "worker_died: x"})
    first = summary_lines(summary, "graded")[0].text
    assert "3 could not be graded (2 timed out, 1 grading process died)" in render(first, "en")
    assert "3 份未能评分（2 份超时、1 份的评分进程被终止）" in render(first, "zh")


def test_a_hand_in_the_roster_does_not_know_is_reported_not_graded(tmp_path, fake_grading):
    _class(tmp_path, ["alice", "bob", "mallory"])
    (tmp_path / "roster.csv").write_text("id,handin\ns001,alice\ns002,bob\ns003,carol\n")
    result = _batch(tmp_path, "--roster", str(tmp_path / "roster.csv"))
    assert result.exit_code == INCOMPLETE, result.output
    assert "2 graded" in result.stdout
    assert ("3 hand-ins: 1 not in the roster (not graded), 1 roster student without a hand-in. Details: "
            in result.stdout)
    assert "1 hand-in is not in the roster and was not graded" in result.stderr
    assert "--grade-unmatched" in result.stderr and "mallory (mallory.py)" in result.stderr
    with Gradebook(tmp_path / "out" / "gradebook.sqlite") as book:
        assert sorted(r["student"] for r in book.students()) == ["s001", "s002"]
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "intake.csv").read_text())))
    (mallory,) = [r for r in rows if r["handin"] == "mallory.py"]
    assert mallory["status"] == "unmatched" and mallory["note"].startswith("not graded: not in the roster")

    again = _batch(tmp_path, "--roster", str(tmp_path / "roster.csv"), "--grade-unmatched")
    assert again.exit_code == COMPLETE, again.output
    assert "1 not in the roster (graded under its own name)" in again.stdout
    with Gradebook(tmp_path / "out" / "gradebook.sqlite") as book:
        assert sorted(r["student"] for r in book.students()) == ["mallory", "s001", "s002"]


def test_a_roster_that_matches_no_hand_in_stops_the_batch(tmp_path, fake_grading):
    _class(tmp_path, ["alice", "bob"])
    (tmp_path / "roster.csv").write_text("id,name\ns001,Alice Wang\ns002,Bob Li\n")  # no handin column
    result = _batch(tmp_path, "--roster", str(tmp_path / "roster.csv"))
    assert result.exit_code == CANNOT_RUN, result.output
    assert "matches none of the 2 hand-ins (alice.py, bob.py)" in result.stderr
    assert "handin column" in result.stderr
    assert (tmp_path / "out" / "intake.csv").is_file()  # written first, to see what was matched
    assert not (tmp_path / "out" / "gradebook.sqlite").exists()
    with pytest.raises(RosterError):
        grade_class(tmp_path / "class", tmp_path / "out2", roster=tmp_path / "roster.csv", grade_one=fake_grade)


def test_an_unusable_roster_exits_2(tmp_path, fake_grading):
    _class(tmp_path, ["alice"])
    (tmp_path / "roster.csv").write_text("matric,surname\n1,A\n")
    result = _batch(tmp_path, "--roster", str(tmp_path / "roster.csv"))
    assert result.exit_code == CANNOT_RUN and "not a roster rnngrade knows" in result.stderr


def test_an_interrupt_before_the_batch_keeps_count_says_no_count(tmp_path, monkeypatch):
    """A Ctrl-C that reaches the command as a plain KeyboardInterrupt (before the batch's
    own handlers count what was graded) says how to resume, with no made-up count."""
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(grader.batch, "grade_class", interrupted)
    _class(tmp_path, ["alice"])
    result = _batch(tmp_path)
    assert result.exit_code == 130
    assert "Stopped by SIGINT: everything graded is recorded in" in result.output and "?" not in result.output
