"""The command line, driven in-process with click's runner."""

from __future__ import annotations

import json

from click.testing import CliRunner

from grader import paths
from grader.cli import main

GRADESCOPE_STATUS = {"passed", "failed"}
GRADESCOPE_VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


def assert_gradescope(data: dict) -> None:
    """The fields Gradescope's autograder reads, with their types."""
    assert isinstance(data["score"], (int, float))
    assert data["visibility"] in GRADESCOPE_VISIBILITY
    assert data["stdout_visibility"] in GRADESCOPE_VISIBILITY
    assert isinstance(data["output"], str) and isinstance(data["execution_time"], (int, float))
    assert data["tests"], "no tests"
    total = 0.0
    for t in data["tests"]:
        assert isinstance(t["name"], str) and t["name"]
        assert isinstance(t["score"], (int, float)) and isinstance(t["max_score"], (int, float))
        assert 0 <= t["score"] <= t["max_score"]
        # Gradescope's status is optional: an item not counted (pending) has none, never "failed".
        ours = t.get("extra_data", {}).get("status")
        assert t["status"] in GRADESCOPE_STATUS if ours != "pending" else "status" not in t
        if ours in GRADESCOPE_STATUS:
            assert t["status"] == ours
        assert t["visibility"] in GRADESCOPE_VISIBILITY
        assert isinstance(t["output"], str)
        total += t["score"]
    assert abs(total - data["score"]) < 1e-6


def test_help_explains_every_command():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("grade", "generate"):
        assert command in result.output
    for command in ("grade", "generate"):
        sub = CliRunner().invoke(main, [command, "--help"])
        assert sub.exit_code == 0 and "Usage" in sub.output


def test_grade_reference_full_marks(tmp_path):
    out = tmp_path / "r.json"
    html = tmp_path / "r.html"
    result = CliRunner().invoke(main, ["grade", str(paths.SOLUTIONS), "--solutions", str(paths.SOLUTIONS),
                                       "--results", str(out), "--html", str(html), "--lang", "en"])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert_gradescope(data)
    assert data["score"] == data["extra_data"]["max_score"] > 0
    assert all(t["status"] == "passed" for t in data["tests"])
    assert html.read_text().startswith("<!DOCTYPE html>")
    assert "Score:" in result.output


def test_grade_stubs_zero_and_not_implemented(tmp_path):
    out = tmp_path / "r.json"
    result = CliRunner().invoke(main, ["grade", str(paths.EXERCISES), "--solutions", str(paths.SOLUTIONS),
                                       "--results", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert_gradescope(data)
    assert data["score"] == 0
    for t in data["tests"]:
        if "quiz" in t.get("tags", []):
            continue
        assert "not implemented" in t["output"], t


def test_grade_in_chinese_and_student_seed(tmp_path):
    out = tmp_path / "r.json"
    result = CliRunner().invoke(main, ["grade", str(paths.EXAMPLES / "sample_submission"), "--solutions",
                                       str(paths.SOLUTIONS), "--results", str(out), "--lang", "zh",
                                       "--student", "s123"])
    assert result.exit_code == 0, result.output
    assert "得分" in result.output
    data = json.loads(out.read_text())
    assert data["extra_data"]["student"] == "s123"
    assert 0 < data["score"] < data["extra_data"]["max_score"]


def test_generate_into_a_folder(tmp_path):
    result = CliRunner().invoke(main, ["generate", "--out", str(tmp_path / "release")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "release" / "layers.py").is_file()
    assert "BEGIN SOLUTION" not in (tmp_path / "release" / "layers.py").read_text()


def test_validate_passes_on_the_project_and_fails_on_a_broken_reference(tmp_path):
    from support import mutant

    from grader.validate import validate

    assert CliRunner().invoke(main, ["validate"]).exit_code == 0
    broken = mutant(tmp_path / "sol", {"layers.py": [("    db = dout.sum(axis=0)\n", "    db = dout.sum(axis=0) * 2\n")]})
    problems = validate(broken, paths.EXERCISES, students=("v",))
    assert any("reference fails affine.grad.db" in p for p in problems)


def test_terminal_summary_says_a_shared_cause_once(stubs_selfcheck_result):
    from grader.report.terminal import summary

    text = summary(stubs_selfcheck_result, "en")
    assert text.count("sigmoid_forward is not implemented yet") == 1
    assert "(5 checks fail for this reason)" in text


def test_github_classroom_results_and_step_output(tmp_path, monkeypatch):
    import base64

    out = tmp_path / "classroom.json"
    gh_output = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(gh_output))
    result = CliRunner().invoke(main, ["grade", str(paths.EXAMPLES / "sample_submission"), "--solutions",
                                       str(paths.SOLUTIONS), "--student", "sample", "--classroom", str(out),
                                       "--lang", "en"])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    # What autograding-grading-reporter reads: status, max_score, tests[].{name,status,message,score}
    assert data["version"] == 1 and data["status"] == "fail"
    assert {t["status"] for t in data["tests"]} == {"pass", "fail"}
    assert all(isinstance(t["name"], str) and isinstance(t["score"], (int, float)) for t in data["tests"])
    total = sum(t["score"] for t in data["tests"])
    assert 0 < total < data["max_score"]
    line = gh_output.read_text().strip()
    assert line.startswith("result=")
    assert json.loads(base64.b64decode(line[len("result="):])) == data
