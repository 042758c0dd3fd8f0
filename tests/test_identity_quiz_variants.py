"""fixes1's rule for a grade without ``--student`` (the id on the answer sheet) and
diagnosis's rule for quiz sheets (read only against the variant they were made for)
make one rule: the id taken from a sheet is exactly the id the sheet was made for, so
an official grade without ``--student`` grades the sheet against its own variant, and
``rnngrade grade --alias`` gives a student's other ids as a batch's roster does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import SOLUTIONS

from grader import paths
from grader.cli import main
from grader.identity import SHEET, identify
from grader.submission import take_snapshot

BANK = str(paths.EXERCISES / "quiz")


def _sheet_only(tmp_path: Path, made_for: str) -> Path:
    """A hand-in holding a sheet made with ``rnngrade quiz --init --student MADE_FOR``."""
    folder = tmp_path / "hw"
    folder.mkdir(parents=True)
    result = CliRunner().invoke(main, ["quiz", str(folder / "quiz_answers.toml"), "--init", "--student", made_for,
                                       "--bank", BANK, "--lang", "en"])
    assert result.exit_code == 0, result.output
    return folder


def _quiz_states(results: Path) -> set[str]:
    data = json.loads(results.read_text())
    return {t["extra_data"]["details"].get("state", "") for t in data["tests"] if "quiz" in t.get("tags", [])}


@pytest.mark.parametrize("made_for", ["s2024001", " s2024001", "s2024001 ", "x" * 100])
def test_the_id_taken_from_a_sheet_is_the_one_it_was_made_for(tmp_path, made_for):
    who = identify(take_snapshot(_sheet_only(tmp_path, made_for)), None)
    assert (who.student, who.source) == (made_for, SHEET)


@pytest.mark.parametrize("made_for", ["s2024001", " s2024001"])
def test_an_official_grade_without_student_reads_the_sheet_against_its_own_variant(tmp_path, made_for):
    folder = _sheet_only(tmp_path, made_for)
    results = tmp_path / "r.json"
    result = CliRunner().invoke(main, ["grade", str(folder), "--solutions", str(SOLUTIONS), "--allow-unisolated",
                                       "--results", str(results), "--lang", "en"])
    assert result.exit_code == 0, result.output
    states = _quiz_states(results)
    assert states and "refused" not in states, states  # empty answers, but read, never refused
    assert "made for" not in results.read_text()


def test_grade_alias_makes_a_sheet_made_under_another_id_the_students_own(tmp_path):
    folder = _sheet_only(tmp_path, "alice@uni.edu")
    refused, accepted = tmp_path / "refused.json", tmp_path / "accepted.json"
    base = ["grade", str(folder), "--solutions", str(SOLUTIONS), "--allow-unisolated", "--student", "2023001",
            "--lang", "en"]
    assert CliRunner().invoke(main, [*base, "--results", str(refused)]).exit_code == 0
    assert _quiz_states(refused) == {"refused"}
    result = CliRunner().invoke(main, [*base, "--alias", "alice@uni.edu", "--alias", "ali",
                                       "--results", str(accepted)])
    assert result.exit_code == 0, result.output
    assert "refused" not in _quiz_states(accepted)
    assert "another id of yours" in json.loads(accepted.read_text())["output"]
