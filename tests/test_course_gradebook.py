"""The gradebook of a course: adjustments kept with who and when, the settled score, the
upgrade of older gradebooks, and the comments in the LMS files."""

from __future__ import annotations

import csv
import io
import sqlite3

import pytest

from grader.assignments.adjustments import Adjustment
from grader.assignments.late import Lateness
from grader.batch.roster import read_roster
from grader.gradebook import SCHEMA_VERSION, AdjustmentError, Gradebook, Record
from grader.gradebook.export import comments, write_canvas, write_moodle, write_plain

CANVAS_WITH_NOTES = (
    "Student,ID,SIS User ID,SIS Login ID,Section,Notes,RNN homework (555)\n"
    "    Points Possible,,,,,,100\n"
    '"Smith, John",123,2023001,jsmith,Sec 1,asked for feedback,\n'
    '"Doe, Jane",77,2023002,jdoe,Sec 1,,\n'
)


def _record(book: Gradebook, key: str, points: dict[str, tuple[float, float]], lateness: dict | None = None) -> None:
    tests = [{"name": cid, "score": p, "max_score": m, "status": "passed" if p == m else "failed", "output": "",
              "tags": [cid.split(".")[0], "value"], "extra_data": {"id": cid, "mistakes": []}}
             for cid, (p, m) in points.items()]
    score = sum(p for p, _ in points.values())
    book.record(Record(student=key, fingerprint="f", grader_key="k", score=score,
                       max_score=sum(m for _, m in points.values()), load_status="loaded", isolation="bubblewrap",
                       graded_at="2025-03-10T00:00:00+00:00", seconds=1.0, results={"tests": tests},
                       student_id=key, lateness=lateness))


LATE = Lateness("2025-03-10T10:00:00+08:00", "2025-03-08T23:59:00+08:00", "csv", 2, 20.0).to_dict()


def test_adjustments_are_kept_with_who_and_when_and_settle_the_score(tmp_path):
    with Gradebook(tmp_path / "g.sqlite") as book:
        _record(book, "alice", {"relu.forward": (2, 2), "relu.grad": (0, 2), "affine.forward": (3, 6)})
        made = book.adjust(Adjustment("check", "relu.grad", "set", 2, "the test was too strict", "ta.wang",
                                      student="alice"))
        assert made.id == 1 and made.author == "ta.wang" and made.at.endswith("+00:00")
        assert book.students()[0]["score"] == 7
        book.adjust(Adjustment("total", "", "add", -1, "late quiz sheet", "ta.li", student="alice"))
        assert book.students()[0]["score"] == 6
        book.withdraw(1, "prof", "the test was right")
        assert book.students()[0]["score"] == 4
        assert [a.id for a in book.adjustments("alice")] == [2]
        assert [a.id for a in book.adjustments("alice", withdrawn=True)] == [1, 2]
        assert book.withdrawals()[1][1:] == ("prof", "the test was right")
        # a later grade of alice keeps them: recorded again, settled again
        _record(book, "alice", {"relu.forward": (2, 2), "relu.grad": (2, 2), "affine.forward": (6, 6)}, LATE)
        assert book.students()[0]["score"] == pytest.approx(10 * 0.8 - 1)
        with pytest.raises(AdjustmentError, match="no student 'bob'"):
            book.adjust(Adjustment("total", "", "add", 1, "x", student="bob"))
        with pytest.raises(AdjustmentError, match="no exercise 'lstm'"):
            book.adjust(Adjustment("exercise", "lstm", "add", 1, "x", student="alice"))


def test_plain_csv_says_the_adjustments_and_the_late_penalty(tmp_path):
    with Gradebook(tmp_path / "g.sqlite") as book:
        _record(book, "alice", {"relu.forward": (2, 2), "relu.grad": (0, 2)}, LATE)
        _record(book, "=bob", {"relu.forward": (2, 2), "relu.grad": (2, 2)})
        book.adjust(Adjustment("check", "relu.grad", "add", 1, "=HYPERLINK(\"x\")", "ta", student="alice"))
        write_plain(book, tmp_path / "plain.csv", "zh")
        assert comments(book, "=bob") == ""
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO((tmp_path / "plain.csv").read_text()))}
    alice = rows["alice"]
    # the exercise column holds the adjustment of its check (the late penalty is the total's)
    assert float(alice["score"]) == pytest.approx(3 * 0.8) and alice["relu"] == "3.0"
    assert alice["late_days"] == "2" and float(alice["late_penalty"]) == pytest.approx(-0.6)
    assert float(alice["adjustments"]) == 1 and "迟交扣分" in alice["comments"]
    assert alice["handed_in"] == "" and "'=bob" in rows  # formulas stay text, in every cell
    assert not any(c.startswith("=") for r in rows.values() for c in r.values())


def test_canvas_notes_and_moodle_feedback_carry_the_comments(tmp_path):
    (tmp_path / "canvas.csv").write_text(CANVAS_WITH_NOTES)
    roster = read_roster(tmp_path / "canvas.csv")
    with Gradebook(tmp_path / "g.sqlite") as book:
        book.set_roster(roster.kind, roster.columns, roster.stored())
        _record(book, "2023001", {"relu.forward": (2, 2), "relu.grad": (0, 2)})
        _record(book, "2023002", {"relu.forward": (2, 2), "relu.grad": (2, 2)})
        book.adjust(Adjustment("exercise", "relu", "add", 1, "partial credit for the idea", "ta", student="2023001"))
        report = write_canvas(book, tmp_path / "import.csv", "RNN homework (555)", 100)
    rows = list(csv.reader(io.StringIO((tmp_path / "import.csv").read_text())))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Notes", "RNN homework (555)"]
    assert rows[2][5].startswith("asked for feedback | ") and "partial credit for the idea" in rows[2][5]
    assert rows[2][6] == "75" and rows[3][5] == "" and rows[3][6] == "100" and report.graded == 2
    # without a Notes column nothing but the grade is written: an unknown column would be a new assignment
    with Gradebook(tmp_path / "g.sqlite") as book:
        book.set_roster("plain", ["id"], [{"student": s, "name": s, "lms_id": "", "handin": "", "row": {}}
                                          for s in ("2023001", "2023002")])
        write_canvas(book, tmp_path / "plain-import.csv", "HW", sis_ids=True)
        book.set_roster("moodle", [], [{"student": "2023001", "name": "John", "lms_id": "9", "handin": "", "row": {}}])
        write_moodle(book, tmp_path / "moodle.csv")
    assert list(csv.reader(io.StringIO((tmp_path / "plain-import.csv").read_text())))[0][-1] == "HW"
    moodle = list(csv.DictReader(io.StringIO((tmp_path / "moodle.csv").read_text())))
    assert "partial credit for the idea" in moodle[0]["Feedback comments"] and moodle[0]["Grade"] == "3"


def test_a_schema_2_gradebook_is_upgraded_in_place(tmp_path):
    path = tmp_path / "v2.sqlite"
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO meta VALUES ('schema_version', '2');
        CREATE TABLE submissions (student TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, grader_key TEXT NOT NULL,
            score REAL NOT NULL, max_score REAL NOT NULL, load_status TEXT NOT NULL, isolation TEXT NOT NULL,
            graded_at TEXT NOT NULL, seconds REAL NOT NULL, results_json TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'graded', detail TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL DEFAULT '', student_id TEXT NOT NULL DEFAULT '');
        CREATE TABLE checks (student TEXT NOT NULL, check_id TEXT NOT NULL, exercise TEXT NOT NULL,
            kind TEXT NOT NULL, points REAL NOT NULL, max_points REAL NOT NULL, status TEXT NOT NULL,
            mistakes TEXT NOT NULL, title TEXT NOT NULL, PRIMARY KEY (student, check_id));
        INSERT INTO submissions VALUES ('alice', 'fp', 'gk', 5, 8, 'loaded', 'bubblewrap', 't', 1, '{}',
                                        'graded', '', 'alice/', 'alice');
        INSERT INTO checks VALUES ('alice', 'relu.forward', 'relu', 'value', 5, 8, 'failed', '', 'relu');
    """)
    db.commit()
    db.close()
    with Gradebook(path) as book:
        [row] = book.students()
        assert row["score"] == 5 and row["handed_in"] == "" and book.lateness("alice") is None
        assert book.is_current("alice", "fp", "gk") and book.assignment() is None
        assert book.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (
            str(SCHEMA_VERSION),)
        book.adjust(Adjustment("check", "relu.forward", "add", 2, "regraded by hand", "ta", student="alice"))
        assert book.students()[0]["score"] == 7


def test_a_newer_gradebook_is_refused(tmp_path):
    path = tmp_path / "new.sqlite"
    with Gradebook(path) as book:
        book.db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
        book.db.commit()
    with pytest.raises(RuntimeError, match="newer rnngrade"):
        Gradebook(path)
