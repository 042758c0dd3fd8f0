"""Gradescope: the generated autograder zip, and its run_autograder run against a
fake /autograder tree (RNNGRADE_AUTOGRADER_ROOT) with the wheel's rnngrade."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from deploykit import REPO, clean_env, run

from grader import versions
from grader.cli import main
from grader.deploy import gradescope

SPEC_TEST_KEYS = {"score", "max_score", "status", "name", "number", "output", "output_format", "visibility",
                  "tags", "extra_data", "name_format"}


@pytest.fixture(scope="module")
def autograder_zip(wheel_file, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gs") / "autograder.zip"
    result = CliRunner().invoke(main, ["gradescope", "build", "--course", str(REPO), "--wheel", str(wheel_file),
                                       "--out", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    return out


def _fake_autograder(tmp: Path, autograder_zip: Path, wheel_env: Path, submission: Path, metadata: dict) -> Path:
    root = tmp / "autograder"
    with zipfile.ZipFile(autograder_zip) as z:
        z.extractall(root / "source")
    (root / "venv").symlink_to(wheel_env.parent)  # what setup.sh would have provisioned
    shutil.copytree(submission, root / "submission")
    (root / "submission_metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
    return root


def _run_autograder(root: Path) -> dict:
    script = root / "source" / "run_autograder"
    shutil.copy2(script, root / "run_autograder")  # as Gradescope does
    run(["bash", str(root / "run_autograder")], cwd=root, env=clean_env(RNNGRADE_AUTOGRADER_ROOT=str(root)))
    return json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))


def assert_valid_results(data: dict) -> None:
    """results.json as Gradescope's autograder specification describes it."""
    assert isinstance(data["score"], (int, float))
    assert data["output_format"] in gradescope.FORMATS and data["test_output_format"] in gradescope.FORMATS
    assert data["visibility"] in gradescope.VISIBILITIES and data["stdout_visibility"] in gradescope.VISIBILITIES
    assert isinstance(data["execution_time"], (int, float)) and isinstance(data["extra_data"], dict)
    assert data["tests"]
    for test in data["tests"]:
        assert set(test) <= SPEC_TEST_KEYS, set(test) - SPEC_TEST_KEYS
        assert isinstance(test["name"], str) and test["name"]
        # status is optional in the specification: an item not counted (ours: pending) has none.
        pending = test.get("extra_data", {}).get("status") == "pending"
        assert ("status" not in test) if pending else test["status"] in ("passed", "failed")
        assert 0 <= test["score"] <= test["max_score"]
        assert test["visibility"] in gradescope.VISIBILITIES
        assert test["output_format"] in gradescope.FORMATS and isinstance(test["output"], str)
        assert len(test["output"]) <= gradescope.TEST_OUTPUT_CHARS + 10
    assert abs(data["score"] - sum(t["score"] for t in data["tests"])) < 1e-6
    assert len(data["output"]) <= gradescope.SUMMARY_CHARS
    assert len(json.dumps(data, ensure_ascii=False)) <= gradescope.RESULTS_CHARS


def test_zip_holds_the_setup_the_wheel_and_the_solutions(autograder_zip, wheel_file):
    with zipfile.ZipFile(autograder_zip) as z:
        names = set(z.namelist())
        setup = z.read("setup.sh").decode()
        runner = z.read("run_autograder").decode()
        modes = {i.filename: i.external_attr >> 16 for i in z.infolist()}
    assert {"setup.sh", "run_autograder", wheel_file.name, "solutions/rnn_layers.py",
            "solutions/quiz/formulas.py"} <= names
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert f'PYTHON_VERSION="{versions.PINNED_PYTHON}"' in setup and f'NUMPY_VERSION="{versions.PINNED_NUMPY}"' in setup
    assert f'WHEEL="$SOURCE/{wheel_file.name}"' in setup and "bubblewrap" in setup
    assert 'rnngrade" gradescope run' in runner and "--lang en" in runner
    for script in (setup, runner):
        subprocess.run(["bash", "-n"], input=script, text=True, check=True)  # valid bash


def test_run_autograder_grades_the_submission_into_results_json(autograder_zip, wheel_env, tmp_path):
    metadata = {"id": 1, "users": [{"email": "li@example.edu", "id": 7, "name": "Li", "sid": "2024001"}]}
    root = _fake_autograder(tmp_path, autograder_zip, wheel_env, REPO / "examples" / "sample_submission", metadata)
    data = _run_autograder(root)
    assert_valid_results(data)
    extra = data["extra_data"]
    assert extra["official"] is True and extra["student"] == "2024001"
    assert extra["isolation"] in ("bubblewrap", "landlock", "portable")
    assert set(extra["versions"]) == {"python", "numpy", "rnngrade"}
    assert 0 < data["score"] < extra["max_score"]
    # The feedback students read inside Gradescope: HTML, with the named mistakes.
    assert data["output_format"] == "html" and "Official grading" in data["output"]
    assert "Known mistake" in data["output"] and "numpy" in data["output"]
    failed = [t for t in data["tests"] if t.get("status") == "failed"]
    assert failed and all(t["output"].startswith("<p>") for t in failed if t["output"])


def test_hostile_output_is_escaped_and_capped(autograder_zip, wheel_env, tmp_path):
    sub = tmp_path / "hostile"
    shutil.copytree(REPO / "exercises", sub, ignore=shutil.ignore_patterns("__pycache__", "quiz", "notebook", "*.json"))
    (sub / "layers.py").write_text(
        "def relu_forward(x):\n"
        "    print('<script>alert(1)</script>' * 20000)\n"
        "    raise ValueError('<img src=x onerror=alert(2)>')\n", encoding="utf-8")
    root = _fake_autograder(tmp_path, autograder_zip, wheel_env, sub, {"users": [{"email": "x@example.edu"}]})
    data = _run_autograder(root)
    assert_valid_results(data)
    # What Gradescope renders (extra_data is stored, never shown) holds no live markup.
    shown = " ".join([data["output"]] + [t["output"] + t["name"] for t in data["tests"]])
    assert "<script>" not in shown and "<img" not in shown
    relu = [t for t in data["tests"] if "relu_forward" in t["name"] and t.get("status") == "failed"]
    assert relu and any("&lt;img" in t["output"] or "&lt;script&gt;" in t["output"] for t in relu)
    assert data["score"] == 0 and data["extra_data"]["student"] == "x@example.edu"


def test_student_id_prefers_the_course_student_id():
    assert gradescope.student_id({"users": [{"email": "a@b", "id": 3, "sid": "S1"}]}) == "S1"
    assert gradescope.student_id({"users": [{"email": "a@b", "id": 3, "sid": None}]}) == "a@b"
    assert gradescope.student_id({"users": [{"id": 3}]}) == "3"
    for no_submitter in ({}, {"id": 99, "users": []}, {"users": [{"name": "Li"}]}):  # never "anonymous" or 99
        with pytest.raises(gradescope.NoStudentId):
            gradescope.student_id(no_submitter)


def test_build_refuses_without_solutions_or_wheel(tmp_path, wheel_file):
    with pytest.raises(gradescope.GradescopeError):
        gradescope.build(tmp_path, tmp_path / "a.zip", wheel_file)
    with pytest.raises(gradescope.GradescopeError):
        gradescope.build(REPO / "solutions", tmp_path / "a.zip", tmp_path / "nothing.whl")
    empty = tmp_path / "empty-course"
    (empty / "exercises").mkdir(parents=True)
    result = CliRunner().invoke(main, ["gradescope", "build", "--course", str(empty), "--wheel", str(wheel_file)])
    assert result.exit_code == 2 and "no solutions/" in result.output
