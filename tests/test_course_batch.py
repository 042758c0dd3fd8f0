"""A class graded for one assignment: late hand-ins get the configured penalty, a manual
adjustment survives every re-run and is in the CSV, the LMS files and the report,
``--only`` regrades some students, a gradebook holds one assignment."""

from __future__ import annotations

import csv
import dataclasses
import datetime as _dt
import io
import json
import os
import shutil

import pytest
from click.testing import CliRunner
from course_support import TWO_WEEKS, course_file, course_folder
from support import SOLUTIONS, mutant

from grader.assignments.adjustments import Adjustment
from grader.assignments.config import Assignment
from grader.assignments.material import quiz_selection
from grader.batch import BatchError, file_name, grade_class
from grader.cli import main
from grader.gradebook import AdjustmentError, Gradebook
from grader.gradebook.export import write_moodle
from grader.quiz.interactive import write_key_sheet

CST = _dt.timezone(_dt.timedelta(hours=8))
DUE = _dt.datetime(2025, 3, 8, 23, 59, tzinfo=CST)  # week1's due date


def _sheet(folder, student: str) -> None:
    """The key's answers to week 1's questions, for ``student``'s variant."""
    week1 = course_file().assignment("week1")
    write_key_sheet(folder / "quiz_answers.toml", student, SOLUTIONS, assignment=week1.identity,
                    selection=quiz_selection(week1))


def _at(folder, when: _dt.datetime) -> None:
    for path in folder.rglob("*"):
        os.utime(path, (when.timestamp(), when.timestamp()))


@pytest.fixture(scope="module")
def week1():
    return course_file().assignment("week1")


@pytest.fixture()
def handed(tmp_path):
    """alice hands in the reference two days late, bob on time (file times)."""
    folder = tmp_path / "class"
    for who in ("alice", "bob"):
        _sheet(mutant(folder / who, {}), who)
    _at(folder / "alice", DUE + _dt.timedelta(days=1, hours=2))
    _at(folder / "bob", DUE - _dt.timedelta(hours=3))
    return folder


def _rows(out):
    with Gradebook(out / "gradebook.sqlite") as book:
        return {r["student"]: r for r in book.students()}


def _csv(out, tmp_path, *extra):
    path = tmp_path / "grades.csv"
    result = CliRunner().invoke(main, ["gradebook", str(out / "gradebook.sqlite"), "--csv", str(path), "--lang", "en",
                                       *extra])
    assert result.exit_code == 0, result.output
    return {r["student"]: r for r in csv.DictReader(io.StringIO(path.read_text()))}


def test_a_late_hand_in_gets_the_configured_penalty(handed, tmp_path, week1):
    out = tmp_path / "out"
    summary = grade_class(handed, out, solutions=SOLUTIONS, jobs=2, lang="en", assignment=week1, handed_in="mtime")
    assert sorted(summary.graded) == ["alice", "bob"] and summary.late == ["alice"] and not summary.no_time
    rows = _rows(out)
    assert rows["bob"]["score"] == rows["bob"]["max_score"] == 31
    assert rows["alice"]["score"] == pytest.approx(31 * 0.8)  # 2 started days x 10 %
    data = json.loads((out / "results" / "alice.json").read_text())
    assert data["score"] == pytest.approx(24.8) and data["extra_data"]["adjustments"][0]["days"] == 2
    report = (out / "reports" / "alice.html").read_text()
    assert "Late penalty" in report and 'id="h-adjustments"' in report
    grades = _csv(out, tmp_path)
    assert grades["alice"]["late_days"] == "2" and float(grades["alice"]["late_penalty"]) == pytest.approx(-6.2)
    assert grades["alice"]["handed_in"].startswith("2025-03-09T") and "Late penalty" in grades["alice"]["comments"]
    assert grades["bob"]["late_days"] == "0" and grades["bob"]["comments"] == ""
    # The same class with the times from a CSV: bob now late by one day, alice not at all.
    times = tmp_path / "times.csv"
    times.write_text("id,handed_in\nalice,2025-03-08T20:00:00+08:00\nbob,2025-03-09 09:00\n")
    again = grade_class(handed, out, solutions=SOLUTIONS, jobs=2, lang="en", assignment=week1, handed_in=times,
                        timezone=CST)
    assert sorted(again.graded) == ["alice", "bob"] and again.late == ["bob"]  # other times: graded again
    rows = _rows(out)
    assert rows["alice"]["score"] == 31 and rows["bob"]["score"] == pytest.approx(27.9)


def test_without_a_time_there_is_no_penalty_and_the_batch_says_so(handed, tmp_path, week1):
    summary = grade_class(handed, tmp_path / "out", solutions=SOLUTIONS, jobs=2, lang="en", assignment=week1)
    assert sorted(summary.no_time) == ["alice", "bob"] and not summary.late  # no LMS metadata here
    assert {r["score"] for r in _rows(tmp_path / "out").values()} == {31}


def test_an_override_survives_batch_re_runs_and_is_in_the_csv_and_the_report(handed, tmp_path, week1):
    out = tmp_path / "out"
    grade_class(handed, out, solutions=SOLUTIONS, jobs=2, lang="en", assignment=week1, handed_in="none")
    with Gradebook(out / "gradebook.sqlite") as book:
        made = book.adjust(Adjustment("check", "affine.forward", "set", 0, "forward copied from the lecture notes",
                                      "ta.wang", student="bob"))
        assert made.id == 1 and made.at and book.adjustments("bob") == [made]
    forward = next(t for t in json.loads((out / "results" / "bob.json").read_text())["tests"]
                   if t["extra_data"].get("id") == "affine.forward")
    assert _rows(out)["bob"]["score"] == pytest.approx(31 - forward["max_score"])  # settled at once
    # The next run grades bob again (his adjustments changed) and writes them into his report.
    again = grade_class(handed, out, solutions=SOLUTIONS, jobs=2, lang="en", assignment=week1, handed_in="none")
    assert again.graded == ["bob"] and again.skipped == ["alice"]
    report = (out / "reports" / "bob.html").read_text()
    assert "forward copied from the lecture notes" in report and "ta.wang" in report
    assert json.loads((out / "results" / "bob.json").read_text())["score"] == pytest.approx(31 - forward["max_score"])
    # Re-runs, forced or with a changed hand-in, keep it.
    third = grade_class(handed, out, solutions=SOLUTIONS, jobs=2, lang="en", assignment=week1, handed_in="none")
    assert sorted(third.skipped) == ["alice", "bob"]
    (handed / "bob" / "notes.py").write_text("# a new file: bob's hand-in changed\n")
    grade_class(handed, out, solutions=SOLUTIONS, jobs=2, lang="en", assignment=week1, handed_in="none", force=True)
    assert _rows(out)["bob"]["score"] == pytest.approx(31 - forward["max_score"])
    grades = _csv(out, tmp_path)
    assert float(grades["bob"]["score"]) == pytest.approx(31 - forward["max_score"])
    assert float(grades["bob"]["adjustments"]) == pytest.approx(-forward["max_score"], abs=1e-4)
    assert "forward copied from the lecture notes" in grades["bob"]["comments"] and grades["alice"]["comments"] == ""
    assert "forward copied from the lecture notes" in (out / "reports" / "bob.html").read_text()


def test_only_regrades_the_students_named(handed, tmp_path, week1):
    out = tmp_path / "out"
    grade_class(handed, out, solutions=SOLUTIONS, jobs=2, lang="en", assignment=week1, handed_in="none")
    before = (out / "reports" / "alice.html").stat().st_mtime_ns
    summary = grade_class(handed, out, solutions=SOLUTIONS, jobs=2, lang="en", assignment=week1, handed_in="none",
                          only=["bob"])
    assert summary.graded == ["bob"] and summary.skipped == []  # graded although nothing changed
    assert (out / "reports" / "alice.html").stat().st_mtime_ns == before
    with pytest.raises(BatchError, match="no hand-in of 'bobb' in the class folder.*did you mean bob"):
        grade_class(handed, out, solutions=SOLUTIONS, lang="en", assignment=week1, only=["bobb"])


def test_a_gradebook_holds_one_assignment(handed, tmp_path, week1):
    out = tmp_path / "out"
    grade_class(handed, out, solutions=SOLUTIONS, jobs=2, lang="en", assignment=week1, handed_in="none",
                only=["bob"])
    with pytest.raises(BatchError, match="holds the grades of assignment 'week1', not 'week3'"):
        grade_class(handed, out, solutions=SOLUTIONS, lang="en", assignment=course_file().assignment("week3"))
    with pytest.raises(BatchError, match="holds the grades of assignment 'week1', not 'rnn-lstm'"):
        grade_class(handed, out, solutions=SOLUTIONS, lang="en")
    with pytest.raises(BatchError, match="has no due date, so hand-in times decide nothing"):
        grade_class(handed, tmp_path / "other", solutions=SOLUTIONS, lang="en", handed_in="mtime")
    with pytest.raises(BatchError, match=r"times.csv: .*No such file"):
        grade_class(handed, tmp_path / "other", solutions=SOLUTIONS, lang="en", assignment=week1,
                    handed_in=tmp_path / "times.csv")


def test_moodle_times_and_feedback_comments(tmp_path, week1):
    folder = tmp_path / "class"
    for who, n in (("Zhang San", 1001), ("Li Si", 1002)):
        sub = folder / f"{who}_{n}_assignsubmission_file_"
        sub.mkdir(parents=True)
        for f in ("layers.py", "bp_network.py"):
            shutil.copy(SOLUTIONS / f, sub / f)
        _sheet(sub, "zs@example.edu" if n == 1001 else "ls@example.edu")
    sheet = tmp_path / "worksheet.csv"
    sheet.write_text(
        "Identifier,Full name,Email address,Status,Grade,Maximum Grade,Grade can be changed,"
        "Last modified (submission),Last modified (grade),Feedback comments\n"
        "Participant 1001,Zhang San,zs@example.edu,Submitted,,100.00,Yes,\"Monday, 10 March 2025, 10:00 AM\",-,\n"
        "Participant 1002,Li Si,ls@example.edu,Submitted,,100.00,Yes,\"Saturday, 8 March 2025, 11:00 PM\",-,Good\n")
    out = tmp_path / "out"
    summary = grade_class(folder, out, solutions=SOLUTIONS, jobs=2, lang="en", roster=sheet, assignment=week1,
                          timezone=CST)
    assert summary.late == ["zs@example.edu"] and not summary.no_time  # lms: from the worksheet
    rows = _rows(out)
    assert rows["zs@example.edu"]["score"] == pytest.approx(31 * 0.8) and rows["ls@example.edu"]["score"] == 31
    with Gradebook(out / "gradebook.sqlite") as book:
        book.adjust(Adjustment("total", "", "add", 2, "bonus: clear comments", "ta", student="ls@example.edu"))
        write_moodle(book, tmp_path / "upload.csv")
    written = list(csv.DictReader(io.StringIO((tmp_path / "upload.csv").read_text())))
    assert [r["Grade"] for r in written] == ["80", "100"]  # 31 + 2 is above the maximum: the score stays at 31
    assert "Late penalty" in written[0]["Feedback comments"]
    assert written[1]["Feedback comments"].startswith("Good | ") and "bonus: clear comments" in \
        written[1]["Feedback comments"]


def test_the_adjust_command(tmp_path, handed, week1):
    out = tmp_path / "out"
    grade_class(handed, out, solutions=SOLUTIONS, jobs=2, lang="en", assignment=week1, handed_in="none")
    book = str(out / "gradebook.sqlite")
    run = lambda *a: CliRunner().invoke(main, ["adjust", book, *a, "--lang", "en"])  # noqa: E731
    made = run("alice", "--exercise", "relu", "--add", "-2", "-m", "relu_backward copied", "--by", "ta.li")
    assert made.exit_code == 0, made.output
    assert "Adjustment #1 of alice recorded: Exercise relu: -2 points, by ta.li" in made.output
    assert "The score is now 29 / 31" in made.output
    assert run("alice", "--total", "--set", "30", "-m", "capped by the syllabus").exit_code == 0
    listed = run("--list")
    assert listed.exit_code == 0 and "#1  alice  exercise relu  add -2  ta.li" in listed.output \
        and "#2  alice  total total  set 30" in listed.output
    gone = run("--withdraw", "2", "-m", "the syllabus says otherwise")
    assert gone.exit_code == 0 and "the score is now 29 / 31" in gone.output
    assert "withdrawn" in run("--list", "alice").output
    assert run("--withdraw", "2", "-m", "again").exit_code == 1  # withdrawn already
    # mistakes: an unknown student, an item the grade lacks, no comment, two targets
    unknown = run("carol", "--total", "--add", "1", "-m", "x")
    assert unknown.exit_code == 1 and "no student 'carol'" in unknown.output
    typo = run("alice", "--check", "afine.forward", "--set", "1", "-m", "x")
    assert typo.exit_code == 1 and "no check 'afine.forward' (did you mean affine.forward" in typo.output
    assert run("alice", "--total", "--add", "1").exit_code == 2
    assert run("alice", "--total", "--exercise", "relu", "--add", "1", "-m", "x").exit_code == 2
    assert run("alice", "--total", "--add", "1", "--set", "1", "-m", "x").exit_code == 2
    with Gradebook(out / "gradebook.sqlite") as gb, pytest.raises(AdjustmentError):
        gb.withdraw(99, "ta", "x")


def test_the_cli_grades_a_course_folder_for_one_assignment(tmp_path, handed):
    course = course_folder(tmp_path / "course", exercises=False)
    runner = CliRunner()
    base = ["batch", str(handed), "--solutions", str(course / "solutions"), "--out", str(tmp_path / "out"),
            "--course", str(course), "-j", "2", "--lang", "en"]
    several = runner.invoke(main, base)
    assert several.exit_code == 2 and "has 2 assignments (week1, week3): choose one with --assignment NAME" \
        in several.output
    done = runner.invoke(main, [*base, "--assignment", "week1", "--handed-in", "mtime"])
    assert done.exit_code == 0, done.output
    assert "1 hand-in was late" in done.output
    assert (tmp_path / "out" / "reports" / f"{file_name('alice')}.html").is_file()
    grades = _csv(tmp_path / "out", tmp_path, "--course", str(course), "--assignment", "week1")
    assert float(grades["alice"]["score"]) == pytest.approx(24.8)
    other = runner.invoke(main, ["gradebook", str(tmp_path / "out" / "gradebook.sqlite"), "--course", str(course),
                                 "--assignment", "week3"])
    assert other.exit_code == 2 and "holds the grades of assignment 'week1', not 'week3'" in other.output
    old_style = runner.invoke(main, ["gradebook", str(tmp_path / "out" / "gradebook.sqlite"), "--canvas",
                                     str(tmp_path / "c.csv"), "--course", str(course), "--assignment", "HW (555)"])
    assert old_style.exit_code == 2 and "--canvas-column" in old_style.output
    assert "week3" in TWO_WEEKS


def test_what_decides_that_a_students_row_is_current(week1):
    from grader.batch import CourseTask, grader_key

    base = grader_key(SOLUTIONS, week1)
    assert base != grader_key(SOLUTIONS) and base != grader_key(SOLUTIONS, course_file().assignment("week3"))
    extended = dataclasses.replace(week1, extensions={"alice": 3.0})
    assert grader_key(SOLUTIONS, extended) == base  # one student's extension does not regrade the class ...
    before, after = DUE - _dt.timedelta(days=1), DUE + _dt.timedelta(days=1)
    task, ext = CourseTask(week1), CourseTask(extended)
    assert task.key("alice", before) != ext.key("alice", before)  # ... only that student
    assert task.key("bob", before) == ext.key("bob", before)
    # A report made before the due date shows less: the first run after it grades again.
    assert task.key("bob", before) != task.key("bob", after) == task.key("bob", after + _dt.timedelta(days=9))
    adjusted = CourseTask(week1, (Adjustment("total", "", "add", 1, "x", id=1),))
    assert adjusted.key("bob", after) != task.key("bob", after)
    assert not CourseTask(Assignment()).carries and task.carries and CourseTask(Assignment(), (), None).key("x")
