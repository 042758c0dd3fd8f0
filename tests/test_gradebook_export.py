"""Grade exports (issue 11 item 9, issue 12 "grade exports"): no cell of any export
starts like a formula; Canvas's and Moodle's import files have the columns their
importers need, scaled grades, and blanks (never zeros) for students without a grade;
an older gradebook is upgraded in place."""

from __future__ import annotations

import csv
import io
import sqlite3

import pytest
from click.testing import CliRunner

from grader.batch.intake import intake
from grader.batch.roster import read_roster
from grader.cli import main
from grader.gradebook import SCHEMA_VERSION, Gradebook, Record
from grader.gradebook.export import is_formula, spreadsheet_cell, write_canvas, write_moodle, write_plain
from grader.gradebook.status import RowStatus

HOSTILE_IDS = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rcmd", "\uff1d1+1", " =1+1",
               "=cmd|' /C calc'!A0"]


def _record(book: Gradebook, key: str, score: float | None, student_id: str = "", status: str = "graded") -> None:
    tests = [{"name": "relu: value", "score": score or 0, "max_score": 8.0, "status": "passed", "output": "",
              "tags": ["relu", "value"], "extra_data": {"id": "relu.value", "mistakes": ["10"] if score else []}}]
    book.record(Record(student=key, fingerprint="abc", grader_key="k", score=score or 0.0, max_score=8.0,
                       load_status="loaded", isolation="bubblewrap", graded_at="2025-01-01T00:00:00+00:00",
                       seconds=1.0, results={"tests": tests if status == "graded" else []}, status=status,
                       detail="" if status == "graded" else "why", source=f"{key}/", student_id=student_id or key))


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("value", HOSTILE_IDS)
def test_spreadsheet_cell_disarms_formulas(value):
    cell = spreadsheet_cell(value)
    assert not is_formula(cell) and "\r" not in cell
    assert cell.startswith("'") or cell.startswith("\\x0d")  # disarmed, or the CR already shown as text
    assert spreadsheet_cell(-2.5) == -2.5 and spreadsheet_cell("alice") == "alice" and spreadsheet_cell("-") == "-"
    assert all(is_formula(v) for v in HOSTILE_IDS if not v.startswith("\r"))  # the check itself can fail


def test_no_export_starts_a_cell_like_a_formula(tmp_path):
    book_path = tmp_path / "g.sqlite"
    folder = tmp_path / "class"
    folder.mkdir()
    with Gradebook(book_path) as book:
        for i, sid in enumerate(HOSTILE_IDS):
            _record(book, sid, 4.0 + i / 10)
        book.set_roster("plain", ["id", "name"], [{"student": s, "name": s, "lms_id": "", "handin": "", "row": {}}
                                                  for s in HOSTILE_IDS])
        write_plain(book, tmp_path / "plain.csv")
        write_canvas(book, tmp_path / "canvas.csv", "=evil assignment", sis_ids=True)
        book.set_roster("moodle", [], [{"student": s, "name": s, "lms_id": str(1000 + i), "handin": "", "row": {}}
                                       for i, s in enumerate(HOSTILE_IDS)])
        write_moodle(book, tmp_path / "moodle.csv")
    for name in ("plain.csv", "canvas.csv", "moodle.csv"):
        rows = _cells((tmp_path / name).read_text(encoding="utf-8"))
        assert len(rows) > len(HOSTILE_IDS)
        for row in rows:
            for cell in row:
                assert not is_formula(cell), (name, cell)
    for sid in ("a=b", "=cmd"):
        (folder / f"{sid}.py").write_text("x = 1\n")
    for row in _cells(intake(folder).report_csv()):
        for cell in row:
            assert not is_formula(cell), cell


CANVAS_EXPORT = (
    "Student,ID,SIS User ID,SIS Login ID,Section,RNN homework (555)\n"
    "    Points Possible,,,,,100\n"
    '"Smith, John",123,2023001,jsmith,Sec 1,\n'
    '"Doe, Jane",77,2023002,jdoe,Sec 1,\n'
    '"Nobody, Ann",99,2023003,anobody,Sec 2,\n'
)


def test_canvas_import_file(tmp_path):
    (tmp_path / "canvas.csv").write_text(CANVAS_EXPORT)
    roster = read_roster(tmp_path / "canvas.csv")
    with Gradebook(tmp_path / "g.sqlite") as book:
        book.set_roster(roster.kind, roster.columns, roster.stored())
        _record(book, "2023001", 6.0)
        _record(book, "2023002", None, status=RowStatus.WORKER_DIED.value)
        _record(book, "stranger_42", 8.0)
        report = write_canvas(book, tmp_path / "import.csv", "RNN homework (555)", points=100)
    rows = _cells((tmp_path / "import.csv").read_text())
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "RNN homework (555)"]
    assert rows[1][0].strip() == "Points Possible" and rows[1][5] == "100"
    assert rows[2] == ["Smith, John", "123", "2023001", "jsmith", "Sec 1", "75"]  # 6 of 8 points: 75 of 100
    assert rows[3][5] == "" and rows[4][5] == ""  # not graded, no hand-in: blank, never 0
    assert report.graded == 1 and report.blank == {"2023002": "worker_died", "2023003": "no hand-in"}
    assert report.not_in_file == ["stranger_42"]


MOODLE_SHEET = (
    "Identifier,Full name,Email address,Status,Grade,Maximum Grade,Grade can be changed,"
    "Last modified (submission),Last modified (grade),Feedback comments\n"
    "Participant 1001,Zhang San,zs@example.edu,Submitted,,100.00,Yes,\"Monday, 1 July 2024, 10:00 AM\",-,\n"
    "Participant 1002,Li Si,ls@example.edu,Submitted,,\"50,00\",Yes,\"Monday, 1 July 2024, 10:00 AM\",-,Good\n"
    "Participant 1004,Zhao Liu,zl@example.edu,No submission,,100.00,Yes,-,-,\n"
)


def test_moodle_grading_worksheet_is_written_back_with_grades(tmp_path):
    (tmp_path / "sheet.csv").write_text(MOODLE_SHEET)
    roster = read_roster(tmp_path / "sheet.csv")
    with Gradebook(tmp_path / "g.sqlite") as book:
        book.set_roster(roster.kind, roster.columns, roster.stored())
        _record(book, "zs@example.edu", 2.0)
        _record(book, "ls@example.edu", 8.0)
        report = write_moodle(book, tmp_path / "upload.csv")
    original, written = _cells(MOODLE_SHEET), _cells((tmp_path / "upload.csv").read_text())
    assert written[0] == original[0]
    grade = original[0].index("Grade")
    assert [r[grade] for r in written[1:]] == ["25", "50", ""]  # scaled to each row's Maximum Grade
    for before, after in zip(original[1:], written[1:], strict=True):  # every other cell as downloaded
        assert [c for i, c in enumerate(before) if i != grade] == [c for i, c in enumerate(after) if i != grade]
    assert report.graded == 2 and report.blank == {"zl@example.edu": "no hand-in"}


def test_moodle_worksheet_from_download_names_alone(tmp_path):
    folder = tmp_path / "class"
    (folder / "Zhang San_1001_assignsubmission_file_").mkdir(parents=True)
    found = intake(folder)
    with Gradebook(tmp_path / "g.sqlite") as book:
        book.set_roster(found.roster.kind, found.roster.columns, found.roster.stored())
        _record(book, found.entries[0].key, 4.0)
        _record(book, "unknown", 4.0)
        report = write_moodle(book, tmp_path / "upload.csv", points=10)
    rows = _cells((tmp_path / "upload.csv").read_text())
    assert rows[0] == ["Identifier", "Full name", "Grade", "Maximum Grade", "Last modified (grade)"]
    assert rows[1][:4] == ["Participant 1001", "Zhang San", "5", "10"] and rows[1][4]
    assert report.not_in_file == ["unknown"]


def test_plain_csv_leaves_failed_rows_without_a_score(tmp_path):
    with Gradebook(tmp_path / "g.sqlite") as book:
        _record(book, "alice", 6.0)
        _record(book, "bob", None, status=RowStatus.TIMEOUT.value)
        write_plain(book, tmp_path / "plain.csv")
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO((tmp_path / "plain.csv").read_text()))}
    assert rows["alice"]["score"] == "6.0" and rows["alice"]["status"] == "graded" and rows["alice"]["mistakes"] == "10"
    assert rows["bob"]["score"] == "" and rows["bob"]["status"] == "timeout"


def test_a_schema_1_gradebook_is_upgraded_in_place(tmp_path):
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO meta VALUES ('schema_version', '1');
        CREATE TABLE submissions (student TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, grader_key TEXT NOT NULL,
            score REAL NOT NULL, max_score REAL NOT NULL, load_status TEXT NOT NULL, isolation TEXT NOT NULL,
            graded_at TEXT NOT NULL, seconds REAL NOT NULL, results_json TEXT NOT NULL);
        INSERT INTO submissions VALUES ('alice', 'fp', 'gk', 5, 8, 'loaded', 'bubblewrap', 't', 1, '{}');
    """)
    db.commit()
    db.close()
    with Gradebook(path) as book:
        [row] = book.students()
        assert row["student"] == "alice" and row["status"] == "graded" and row["score"] == 5
        assert book.is_current("alice", "fp", "gk")
        assert book.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(SCHEMA_VERSION),)
        assert row["report"] == "" and book.result("alice") is None  # the plain results' columns, empty
        assert row["handed_in"] == "" and book.adjustments("alice") == []  # the course's, empty
        assert book.upgraded_from() == "1"


def test_cli_writes_canvas_and_moodle_files(tmp_path):
    (tmp_path / "canvas.csv").write_text(CANVAS_EXPORT)
    roster = read_roster(tmp_path / "canvas.csv")
    with Gradebook(tmp_path / "g.sqlite") as book:
        book.set_roster(roster.kind, roster.columns, roster.stored())
        _record(book, "2023001", 6.0)
    result = CliRunner().invoke(main, ["gradebook", str(tmp_path / "g.sqlite"), "--canvas", str(tmp_path / "c.csv"),
                                       "--canvas-column", "HW (555)", "--points", "10", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "1 grade, 2 left blank" in result.output  # one grade, not "1 grades"
    assert _cells((tmp_path / "c.csv").read_text())[2][5] == "7.5"
