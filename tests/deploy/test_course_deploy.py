"""Deploying one assignment of a course file: its student bundle (its cases, its
questions, its public settings, never other students' extensions), the student's
self-check and quiz in it, the Gradescope zip that grades for it with its late policy;
and without a course file, the same files as always."""

from __future__ import annotations

import datetime as _dt
import json
import tomllib
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from course_support import course_file, course_folder
from deploykit import REPO

from grader.assignments.config import Assignment
from grader.assignments.material import quiz_selection
from grader.cli import main
from grader.deploy.release import bundle_files
from grader.quiz.bank import load_bank
from grader.quiz.sheet import read_sheet
from grader.quiz.variants import fingerprint, variants_for


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    return course_folder(tmp_path_factory.mktemp("course") / "course")


@pytest.fixture(scope="module")
def week1_bundle(course, wheel_file, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("release")
    result = CliRunner().invoke(main, ["release", "--course", str(course), "--assignment", "week1", "--wheel",
                                       str(wheel_file), "--out", str(out), "--no-ci"])
    assert result.exit_code == 0, result.output
    assert (out / "week1-student.zip").is_file()
    return out / "week1-student"


def test_an_assignments_bundle_holds_its_cases_its_questions_and_its_public_settings(week1_bundle):
    settings = tomllib.loads((week1_bundle / "course.toml").read_text(encoding="utf-8"))
    [a] = settings["assignment"]
    assert a["name"] == "week1" and a["exercises"] == ["relu", "affine"] and a["questions"] == ["bp_layers",
                                                                                                   "models_cnn_use"]
    assert settings["course"]["salt"] == "2025-autumn" and "extensions" not in a and a["points"]["affine"] == 20
    cases = json.loads((week1_bundle / "exercises" / "public_cases.json").read_text())
    assert {cid.split(".")[0] for cid in cases} == {"relu", "affine"}
    bank = load_bank(week1_bundle / "exercises" / "quiz", with_key=False)
    assert bank.ids() == ["bp_layers", "models_cnn_use"]
    readme = (week1_bundle / "README.md").read_text(encoding="utf-8")
    assert "Week 1: the BP network" in readme and "第一周：BP神经网络" in readme and "2025-03-08 23:59" in readme
    assert "2 questions" in readme and "ReLU activation, Affine (fully connected) layer" in readme


def test_the_students_quiz_and_self_check_in_the_bundle_are_those_of_the_assignment(week1_bundle, monkeypatch):
    monkeypatch.chdir(week1_bundle)
    monkeypatch.delenv("RNNGRADE_COURSE", raising=False)
    runner = CliRunner()
    sheet = week1_bundle / "exercises" / "quiz_answers.toml"
    made = runner.invoke(main, ["quiz", "--init", "--student", "alice", "--lang", "en"])
    assert made.exit_code == 0, made.output
    week1 = course_file().assignment("week1")
    key = quiz_selection(week1).apply(load_bank(REPO / "solutions" / "quiz", with_key=True))
    read = read_sheet(sheet, key.ids())
    assert set(read.answers) <= set(key.ids()) and read.variant == fingerprint(variants_for(key, "alice",
                                                                                            week1.identity))
    checked = runner.invoke(main, ["grade", "--lang", "en"])
    assert checked.exit_code == 0, checked.output
    assert "ReLU" in checked.output and "Affine" in checked.output and "LSTM" not in checked.output
    sheet.unlink()


def test_other_students_extensions_never_reach_a_bundle(course):
    week3 = course_file().assignment("week3")
    files = bundle_files(course / "solutions", assignment=week3, with_ci=False)
    assert week3.extensions and "alice" not in files["course.toml"] and "extensions" not in files["course.toml"]
    assert tomllib.loads(files["course.toml"])["assignment"][0]["visibility"] == {"after_due": ["backward"]}


def test_without_a_course_file_the_bundle_is_what_it_always_was():
    default = bundle_files(REPO / "solutions")
    assert "course.toml" not in default and default == bundle_files(REPO / "solutions", assignment=Assignment())
    assert "This assignment" not in default["README.md"] and "本次作业" not in default["README.md"]


def test_the_gradescope_zip_of_an_assignment_grades_for_it_with_its_late_policy(course, wheel_file, wheel_env,
                                                                               tmp_path):
    from test_gradescope import _fake_autograder, _run_autograder

    out = tmp_path / "autograder.zip"
    built = CliRunner().invoke(main, ["gradescope", "build", "--course", str(course), "--assignment", "week3",
                                      "--wheel", str(wheel_file), "--out", str(out), "--lang", "en"])
    assert built.exit_code == 0, built.output
    with zipfile.ZipFile(out) as z:
        settings = tomllib.loads(z.read("course.toml").decode())
    assert settings["assignment"][0]["name"] == "week3" and "alice" in settings["assignment"][0]["extensions"]
    late = _dt.datetime(2025, 3, 24, 9, 0, tzinfo=_dt.timezone(_dt.timedelta(hours=8)))  # 2 days after the due date
    metadata = {"id": 1, "created_at": late.isoformat(), "users": [{"email": "carol@example.edu", "sid": "carol"}]}
    root = _fake_autograder(tmp_path, out, wheel_env, course / "solutions", metadata)
    data = _run_autograder(root)
    extra = data["extra_data"]
    assert extra["assignment"] == "week3" and extra["student"] == "carol"
    assert {t["tags"][0] for t in data["tests"] if "id" in t["extra_data"]} == {"lstm", "lstm_step", "quiz"}
    [penalty] = extra["adjustments"]
    assert penalty["kind"] == "late" and penalty["days"] == 2 and penalty["percent"] == 20
    assert data["score"] == pytest.approx(extra["graded_score"] * 0.8)
    assert all(0 <= t["score"] <= t["max_score"] for t in data["tests"])
    backward = [t for t in data["tests"] if t["tags"][1:2] == ["backward"]]
    assert backward and {t["visibility"] for t in backward} == {"after_due_date"}
    # alice's extension is in the zip: the same time is on time for her
    metadata["users"] = [{"email": "alice@example.edu", "sid": "alice"}]
    (root / "submission_metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
    again = _run_autograder(root)
    assert again["extra_data"]["adjustments"] == [] and again["score"] == again["extra_data"]["graded_score"]
