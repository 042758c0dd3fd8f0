"""The commands with a course file: --assignment everywhere, one clear message for a bad
course file or an unknown assignment, and the whole course where nothing is chosen."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from course_support import course_folder

from grader.cli import main
from grader.generate import render_release
from grader.quiz.sheet import read_sheet


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return course_folder(tmp_path_factory.mktemp("cli") / "course")


def _run(*args, cwd=None):
    return CliRunner().invoke(main, [*args])


def test_generate_and_validate_for_one_assignment_or_the_whole_course(course, tmp_path):
    week1 = tmp_path / "week1"
    made = _run("generate", "--course", str(course), "--assignment", "week1", "--out", str(week1))
    assert made.exit_code == 0, made.output
    cases = json.loads((week1 / "public_cases.json").read_text())
    assert {c.split(".")[0] for c in cases} == {"relu", "affine"}
    ok = _run("validate", "--course", str(course), "--assignment", "week1", "--exercises", str(week1))
    assert ok.exit_code == 0 and "consistent" in ok.output, ok.output
    wrong = _run("validate", "--course", str(course), "--assignment", "week3", "--exercises", str(week1))
    assert wrong.exit_code == 1 and "public_cases.json is not what `rnngrade generate` makes" in wrong.output
    whole = tmp_path / "whole"
    assert _run("generate", "--course", str(course), "--out", str(whole)).exit_code == 0  # several: the whole course
    assert (whole / "public_cases.json").read_text() == render_release(course / "solutions")["public_cases.json"]


def test_a_bad_course_file_or_assignment_stops_every_command_with_one_line_each(course, tmp_path):
    broken = course_folder(tmp_path / "broken", text='[[assignment]]\nname = "w"\nexercises = ["lstmm"]\n'
                                                      'late = { per_day = 500 }\n', exercises=False)
    for command in (["grade", "--course", str(broken)], ["generate", "--course", str(broken)],
                    ["course", "--course", str(broken)], ["quiz", "--course", str(broken), "--init"]):
        result = _run(*command)
        assert result.exit_code == 2, (command, result.output)
        lines = [ln for ln in result.output.splitlines() if ln.strip()]
        assert lines == [ln for ln in lines if ln.startswith("course.toml: ")] and len(lines) == 2, result.output
        assert "exercises: no exercise 'lstmm'" in result.output and "late.per_day" in result.output
    unknown = _run("grade", "--course", str(course), "--assignment", "week9")
    assert unknown.exit_code == 2 and "has no assignment 'week9'" in unknown.output


def test_the_course_command_shows_each_assignments_points(course):
    shown = _run("course", "--course", str(course), "--assignment", "week1")
    assert shown.exit_code == 0, shown.output
    assert "| affine |" in shown.output and "| 20 |" in shown.output and "quiz: 2 questions, 4 points" in shown.output
    assert "week3" not in shown.output
    both = _run("course", "--course", str(course))
    assert "extensions: 2 students" in both.output and "shown after the due date: backward" in both.output


def test_the_quiz_sheet_of_an_assignment(course, tmp_path):
    sheet = tmp_path / "sheet.toml"
    made = _run("quiz", str(sheet), "--init", "--student", "alice", "--course", str(course), "--assignment", "week1",
                "--lang", "en")
    assert made.exit_code == 0, made.output
    read = read_sheet(sheet, ["bp_layers", "models_cnn_use"])
    assert read.student == "alice" and "assignment = \"week1\"" in sheet.read_text(encoding="utf-8")


def test_ci_files_for_an_assignment(course, tmp_path):
    done = _run("ci", "github", "--out", str(tmp_path / "ci"), "--course", str(course), "--assignment", "week3")
    assert done.exit_code == 0, done.output
    workflow = (tmp_path / "ci" / "instructor" / ".github" / "workflows" / "rnngrade-grade-class.yml").read_text()
    assert "--lang zh --assignment week3" in workflow and "--csv grades.csv --assignment week3" in workflow
    plain = _run("ci", "gitlab", "--out", str(tmp_path / "plain"))
    assert "--assignment" not in (tmp_path / "plain" / "instructor" / ".gitlab-ci.yml").read_text()
    assert _run("ci", "github", "--out", str(tmp_path / "x"), "--course", str(course), "--assignment",
                "week9").exit_code == 2
    assert plain.exit_code == 0
