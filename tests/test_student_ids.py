"""Student ids are never chosen silently (tryout finding 18): ``rnngrade quiz --init``
without an id and without input says what to do; a self-check shows the id on the
answer sheet rather than "anonymous"; an official grade without a given id says
loudly which id it used; ``rnngrade gradescope run`` without a submitter grades
nothing rather than seed an official grade with a made-up id."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import SOLUTIONS

from grader import paths
from grader.cli import main
from grader.deploy import gradescope
from grader.identity import ANONYMOUS, GIVEN, NONE, SHEET, identify
from grader.submission import take_snapshot

BANK = str(paths.EXERCISES / "quiz")
RELU = "import numpy as np\n\ndef relu_forward(x):\n    return np.maximum(x, 0), x\n"


def _submission(tmp_path: Path, sheet_for: str | None) -> Path:
    folder = tmp_path / "hw"
    folder.mkdir(parents=True)
    (folder / "layers.py").write_text(RELU)
    if sheet_for is not None:
        result = CliRunner().invoke(main, ["quiz", str(folder / "quiz_answers.toml"), "--init", "--student",
                                           sheet_for, "--bank", BANK, "--lang", "en"])
        assert result.exit_code == 0, result.output
    return folder


@pytest.mark.parametrize("typed", ["", "\n", "  \n"])
def test_quiz_init_without_an_id_or_input_says_what_to_do(tmp_path, typed):
    sheet = tmp_path / "quiz_answers.toml"
    result = CliRunner().invoke(main, ["quiz", str(sheet), "--init", "--bank", BANK, "--lang", "en"], input=typed)
    assert result.exit_code == 2
    assert "No student id was given" in result.output and "rnngrade quiz --init --student ID" in result.output
    assert not sheet.exists()


def test_the_sheets_id_is_the_one_used_when_none_is_given(tmp_path):
    folder = _submission(tmp_path, "s2024001")
    who = identify(take_snapshot(folder), None)
    assert (who.student, who.source) == ("s2024001", SHEET)
    assert identify(take_snapshot(folder), "s9").source == GIVEN
    bare = _submission(tmp_path / "b", None)
    assert identify(take_snapshot(bare), None).student == ANONYMOUS and identify(take_snapshot(bare), None).source == NONE


def test_a_self_check_report_shows_the_id_on_the_answer_sheet(tmp_path):
    folder = _submission(tmp_path, "s2024001")
    result = CliRunner().invoke(main, ["grade", str(folder), "--html", str(tmp_path / "r.html"),
                                       "--results", str(tmp_path / "r.json"), "--lang", "en"])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["extra_data"]["student"] == "s2024001"
    assert "s2024001" in (tmp_path / "r.html").read_text() and "anonymous" not in result.output
    assert result.stderr == ""  # a self-check: nothing to warn about


@pytest.mark.parametrize("sheet_for, key, student", [("s2024001", "identity.from_sheet", "s2024001"),
                                                     (None, "identity.anonymous_official", "anonymous")])
def test_an_official_grade_without_a_given_id_says_so_loudly(tmp_path, sheet_for, key, student):
    folder = _submission(tmp_path, sheet_for)
    result = CliRunner().invoke(main, ["grade", str(folder), "--solutions", str(SOLUTIONS), "--results",
                                       str(tmp_path / "r.json"), "--lang", "en", "--allow-unisolated"])
    assert result.exit_code == 0, result.output
    assert "No student id was given" in result.stderr and f"“{student}”" in result.stderr
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["extra_data"]["student"] == student
    assert "No student id was given" in data["output"]
    given = CliRunner().invoke(main, ["grade", str(folder), "--solutions", str(SOLUTIONS), "--student", "s7",
                                      "--lang", "en", "--allow-unisolated"])
    assert given.exit_code == 0 and given.stderr == ""


@pytest.mark.parametrize("metadata", [None, "not json", {"id": 123, "users": []}])
def test_gradescope_run_without_a_submitter_grades_nothing(tmp_path, metadata):
    root = tmp_path / "autograder"
    shutil.copytree(_submission(tmp_path, "s2024001"), root / "submission")
    (root / "source" / "solutions").mkdir(parents=True)
    if metadata is not None:
        text = metadata if isinstance(metadata, str) else json.dumps(metadata)
        (root / "submission_metadata.json").write_text(text)
    result = CliRunner().invoke(main, ["gradescope", "run", "--root", str(root), "--lang", "en"])
    assert result.exit_code == 2
    assert "Nothing was graded" in result.stderr or "nothing is graded without it" in result.stderr
    assert not (root / "results" / "results.json").exists()
    with pytest.raises(gradescope.NoStudentId):
        gradescope.run(root, "en")
