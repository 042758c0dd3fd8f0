"""The LMS exports never write a file no LMS can use (tryout finding 14: ``--moodle``
without a Moodle roster wrote a header-only file and exited 0), and never put one
system's numbers into another's id column (a Moodle participant number in Canvas's
``ID``, or a Canvas user id as a Moodle ``Participant``, would name other people)."""

from __future__ import annotations

import csv
import io

import pytest
from click.testing import CliRunner

from grader.batch.intake import intake
from grader.cli import main
from grader.gradebook import Gradebook, Record
from grader.gradebook.export import ExportError, write_canvas, write_moodle
from grader.i18n import render


def _record(book: Gradebook, key: str, score: float) -> None:
    book.record(Record(student=key, fingerprint="f", grader_key="k", score=score, max_score=8.0, load_status="loaded",
                       isolation="bubblewrap", graded_at="2025-01-01T00:00:00+00:00", seconds=1.0,
                       results={"tests": []}, source=f"{key}/", student_id=key))


def _roster(book: Gradebook, kind: str, students: list[tuple[str, str]]) -> None:
    book.set_roster(kind, [], [{"student": s, "name": s.title(), "lms_id": n, "handin": "", "row": {}}
                               for s, n in students])


def _cells(path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.mark.parametrize("kind", [None, "plain", "canvas", "github-classroom"])
def test_moodle_without_participant_numbers_is_refused_and_writes_nothing(tmp_path, kind):
    with Gradebook(tmp_path / "g.sqlite") as book:
        _record(book, "s001", 4.0)
        if kind:
            _roster(book, kind, [("s001", "123" if kind == "canvas" else "")])
        with pytest.raises(ExportError) as info:
            write_moodle(book, tmp_path / "moodle.csv")
    assert not (tmp_path / "moodle.csv").exists()
    text = render(info.value.message, "en")
    assert "participant number" in text and "--roster worksheet.csv" in text  # why, and what to do
    assert "参与人编号" in render(info.value.message, "zh")


def test_a_moodle_download_alone_still_gives_a_worksheet(tmp_path):
    folder = tmp_path / "class"
    (folder / "Zhang San_1001_assignsubmission_file_").mkdir(parents=True)
    found = intake(folder)
    with Gradebook(tmp_path / "g.sqlite") as book:
        book.set_roster(found.roster.kind, found.roster.columns, found.roster.stored())
        _record(book, found.entries[0].key, 4.0)
        report = write_moodle(book, tmp_path / "moodle.csv", points=8)
    assert report.graded == 1 and _cells(tmp_path / "moodle.csv")[1][:3] == ["Participant 1001", "Zhang San", "4"]


def test_canvas_never_takes_another_systems_number_as_its_id(tmp_path):
    with Gradebook(tmp_path / "g.sqlite") as book:
        _roster(book, "moodle", [("zs@example.edu", "1001")])  # a Moodle worksheet's participant number
        _record(book, "zs@example.edu", 4.0)
        write_canvas(book, tmp_path / "canvas.csv", "HW", sis_ids=True)
    row = _cells(tmp_path / "canvas.csv")[2]
    assert row[:3] == ["Zs@Example.Edu", "", "zs@example.edu"]  # no Canvas ID; the graded id as SIS User ID


def test_canvas_without_a_roster_is_the_documented_fallback_and_empty_is_refused(tmp_path):
    with Gradebook(tmp_path / "g.sqlite") as book:
        with pytest.raises(ExportError) as info:
            write_canvas(book, tmp_path / "empty.csv", "HW")
        assert "no rows" in render(info.value.message, "en") and not (tmp_path / "empty.csv").exists()
        _record(book, "s001", 6.0)
        with pytest.raises(ExportError) as refused:  # no Canvas roster: refused unless told the ids are SIS ids
            write_canvas(book, tmp_path / "canvas.csv", "HW", points=100)
        assert "--canvas-sis-ids" in render(refused.value.message, "en")
        assert not (tmp_path / "canvas.csv").exists()
        report = write_canvas(book, tmp_path / "canvas.csv", "HW", points=100, sis_ids=True)
    assert report.graded == 1 and _cells(tmp_path / "canvas.csv")[2] == ["", "", "s001", "", "", "75"]


def test_the_cli_exits_2_with_the_reason_and_still_writes_the_other_exports(tmp_path):
    with Gradebook(tmp_path / "g.sqlite") as book:
        _roster(book, "plain", [("s001", "")])
        _record(book, "s001", 4.0)
    result = CliRunner().invoke(main, ["gradebook", str(tmp_path / "g.sqlite"), "--moodle", str(tmp_path / "m.csv"),
                                       "--csv", str(tmp_path / "grades.csv"), "--lang", "en"])
    assert result.exit_code == 2
    assert "No Moodle worksheet written" in result.stderr and "Wrote" not in result.stderr
    assert not (tmp_path / "m.csv").exists() and (tmp_path / "grades.csv").is_file()
