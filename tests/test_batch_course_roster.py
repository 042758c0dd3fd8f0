"""A batch that has both a course assignment (late penalties, --only, the course task in
the resume key) and a roster that leaves hand-ins unmatched (not graded unless
--grade-unmatched; exit statuses; the resume key with its options and graded-as id):
the two sets of rules work together."""

from __future__ import annotations

from pathlib import Path

import pytest
from course_support import course_file

from grader.batch import BatchError, BatchSummary, CourseTask, grade_class, grader_key
from grader.batch.summary import INCOMPLETE, exit_status, summary_lines
from grader.gradebook import Gradebook
from grader.i18n import render

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"


def fake_grade(student: str, snapshot: object, solutions: str | None, lang: str, allow_unisolated: bool = False,
               course: CourseTask | None = None) -> dict:
    """Grades instantly; says s001 was late when the course task carries a hand-in time."""
    tests = [{"name": "t", "score": 1.0, "max_score": 2.0, "status": "failed", "output": "",
              "tags": ["relu", "value"], "extra_data": {"id": "relu.t", "mistakes": []}}]
    late = course is not None and course.handed_in is not None and student == "s001"
    return {"student": student, "fingerprint": "f", "score": 1.0, "max_score": 2.0, "load_status": "loaded",
            "isolation": "portable", "graded_at": "2025-01-01T00:00:00+00:00", "seconds": 0.01,
            "results": {"score": 1.0, "tests": tests, "extra_data": {"max_score": 2.0}},
            "html": f'<html lang="{lang}" data-assignment="{course.assignment.name if course else ""}"></html>',
            "late": late}


@pytest.fixture
def handed(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("alice", "bob", "mallory"):
        (folder / f"{name}.py").write_text(f"# {name}\n")
    roster = tmp_path / "roster.csv"
    roster.write_text("id,handin\ns001,alice\ns002,bob\n")
    return folder, roster


def _run(handed: tuple[Path, Path], out: Path, **options) -> BatchSummary:
    folder, roster = handed
    options = {"lang": "en", "handed_in": "mtime", **options}
    return grade_class(folder, out, jobs=2, roster=roster, grade_one=fake_grade,
                       assignment=course_file().assignment("week1"), **options)


def test_an_assignment_batch_leaves_unmatched_hand_ins_ungraded_and_resumes(handed, tmp_path):
    out = tmp_path / "out"
    first = _run(handed, out)
    assert sorted(first.graded) == ["s001", "s002"] and first.not_graded == ["mallory"]
    assert first.late == ["s001"] and first.no_time == []  # mtime: every graded hand-in has a time
    assert exit_status(first) == INCOMPLETE
    assert 'data-assignment="week1"' in (out / "reports" / "s001.html").read_text()
    with Gradebook(out / "gradebook.sqlite") as book:
        assert book.assignment() == "week1" and sorted(r["student"] for r in book.students()) == ["s001", "s002"]
    again = _run(handed, out)
    assert sorted(again.skipped) == ["s001", "s002"] and again.graded == []  # course task and options unchanged
    other_lang = _run(handed, out, lang="zh")
    assert sorted(other_lang.graded) == ["s001", "s002"]  # fixes1's options are in the key beside the course's
    both = _run(handed, out, lang="zh", grade_unmatched=True)
    assert both.graded == ["mallory"] and both.not_graded == [] and sorted(both.skipped) == ["s001", "s002"]


def test_only_names_a_hand_in_the_roster_does_not_know(handed, tmp_path):
    out = tmp_path / "out"
    _run(handed, out)
    with pytest.raises(BatchError, match=r"--only: 'mallory' .*not in the roster.*--grade-unmatched"):
        _run(handed, out, only=["mallory"])
    regraded = _run(handed, out, only=["mallory"], grade_unmatched=True)
    assert regraded.graded == ["mallory"] and regraded.skipped == []
    only_one = _run(handed, out, only=["s002"])
    assert only_one.graded == ["s002"] and only_one.not_graded == ["mallory"]


def test_the_late_and_no_time_lines_come_with_the_exit_status_summary():
    summary = BatchSummary(graded=["a", "b", "c"], late=["a"], no_time=["b", "c"], not_graded=["m"])
    lines = summary_lines(summary, "out", "lms")
    texts = [(render(line.text, "en"), line.level) for line in lines]
    assert ("1 hand-in was late: the late penalty is in its grade and report.", "info") in texts
    (no_time,) = [(t, level) for t, level in texts if "no known hand-in time" in t]
    assert no_time[0].startswith("2 hand-ins have no known hand-in time (--handed-in lms)") and no_time[1] == "warning"
    assert texts[0][0].startswith("3 graded") and texts[-1][1] == "error"  # the counts first, the ungraded last


def test_the_key_holds_the_assignment_and_the_options():
    week1, week3 = course_file().assignment("week1"), course_file().assignment("week3")
    base = grader_key(SOLUTIONS, week1, lang="en", allow_unisolated=False)
    assert base == grader_key(SOLUTIONS, week1, lang="en", allow_unisolated=False)
    assert base != grader_key(SOLUTIONS, week1, lang="zh", allow_unisolated=False)
    assert base != grader_key(SOLUTIONS, week3, lang="en", allow_unisolated=False)
    assert base != grader_key(SOLUTIONS, lang="en", allow_unisolated=False)
