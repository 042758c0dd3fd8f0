"""Gradebook schema 4: one schema for what two lines of work each called "schema 3" (the
course: hand-in times, lateness, adjustments, the assignment; plain results: the stored
Result, the report's path, check titles and causes as message keys). Every older shape
(1, 2, either "3") is upgraded in place, told apart by its columns, and keeps what it
holds; both halves then work on the upgraded file. Each old file is a real SQLite file
built in the old shape with the old statements."""

from __future__ import annotations

import json
import sqlite3

import pytest

from grader.assignments.adjustments import Adjustment
from grader.assignments.late import Lateness
from grader.checks.engine import ExerciseInfo, ExerciseResult
from grader.checks.model import CheckResult, Kind, Status
from grader.gradebook import _ADDED_COLUMNS, SCHEMA_VERSION, Gradebook, Record, shape_of
from grader.i18n import msg, render
from grader.results import Result
from grader.results.gradescope import to_gradescope

# ---------------------------------------------------------------- the old shapes
V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES ('schema_version', '1');
CREATE TABLE submissions (student TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, grader_key TEXT NOT NULL,
    score REAL NOT NULL, max_score REAL NOT NULL, load_status TEXT NOT NULL, isolation TEXT NOT NULL,
    graded_at TEXT NOT NULL, seconds REAL NOT NULL, results_json TEXT NOT NULL);
CREATE TABLE checks (student TEXT NOT NULL REFERENCES submissions(student) ON DELETE CASCADE,
    check_id TEXT NOT NULL, exercise TEXT NOT NULL, kind TEXT NOT NULL, points REAL NOT NULL,
    max_points REAL NOT NULL, status TEXT NOT NULL, mistakes TEXT NOT NULL, title TEXT NOT NULL,
    PRIMARY KEY (student, check_id));
INSERT INTO submissions VALUES ('alice', 'fp', 'gk', 5, 8, 'loaded', 'bubblewrap', 't', 1, '{}');
INSERT INTO checks VALUES ('alice', 'relu.forward', 'relu', 'value', 5, 8, 'failed', '', 'relu');
"""
V2 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES ('schema_version', '2');
CREATE TABLE submissions (student TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, grader_key TEXT NOT NULL,
    score REAL NOT NULL, max_score REAL NOT NULL, load_status TEXT NOT NULL, isolation TEXT NOT NULL,
    graded_at TEXT NOT NULL, seconds REAL NOT NULL, results_json TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'graded', detail TEXT NOT NULL DEFAULT '', source TEXT NOT NULL DEFAULT '',
    student_id TEXT NOT NULL DEFAULT '');
CREATE TABLE checks (student TEXT NOT NULL REFERENCES submissions(student) ON DELETE CASCADE,
    check_id TEXT NOT NULL, exercise TEXT NOT NULL, kind TEXT NOT NULL, points REAL NOT NULL,
    max_points REAL NOT NULL, status TEXT NOT NULL, mistakes TEXT NOT NULL, title TEXT NOT NULL,
    PRIMARY KEY (student, check_id));
CREATE TABLE roster (student TEXT PRIMARY KEY, name TEXT NOT NULL, lms_id TEXT NOT NULL, handin TEXT NOT NULL,
    row_json TEXT NOT NULL);
INSERT INTO submissions VALUES ('alice', 'fp', 'gk', 5, 8, 'loaded', 'bubblewrap', 't', 1, '{}',
                                'graded', '', 'alice/', 'alice');
"""
CHECK_ROW = "INSERT INTO checks VALUES ('alice', 'relu.forward', 'relu', 'value', 5, 8, 'failed', '', 'relu');\n"
# The course's "schema 3": hand-in time and lateness per row, the adjustments table, the assignment.
V3_COURSE = V2.replace("'schema_version', '2'", "'schema_version', '3'").replace(
    "student_id TEXT NOT NULL DEFAULT '');",
    "student_id TEXT NOT NULL DEFAULT '', handed_in TEXT NOT NULL DEFAULT '', lateness TEXT NOT NULL DEFAULT '');"
).replace("'graded', '', 'alice/', 'alice');", "'graded', '', 'alice/', 'alice', "
          "'2025-03-09T10:00:00+08:00', '');") + """
CREATE TABLE adjustments (id INTEGER PRIMARY KEY AUTOINCREMENT, student TEXT NOT NULL, scope TEXT NOT NULL,
    target TEXT NOT NULL, mode TEXT NOT NULL, value REAL NOT NULL, comment TEXT NOT NULL, author TEXT NOT NULL,
    created_at TEXT NOT NULL, withdrawn_at TEXT NOT NULL DEFAULT '', withdrawn_by TEXT NOT NULL DEFAULT '',
    withdrawn_why TEXT NOT NULL DEFAULT '');
INSERT INTO adjustments (student, scope, target, mode, value, comment, author, created_at)
    VALUES ('alice', 'total', '', 'add', 1, 'a kind TA', 'ta.wang', '2025-03-10T00:00:00+00:00');
INSERT INTO meta VALUES ('assignment', 'week3');
""" + CHECK_ROW
# The plain results' "schema 3": the stored Result and report per row, titles and causes as keys per check.
V3_PLAIN = V2.replace("'schema_version', '2'", "'schema_version', '3'").replace(
    "student_id TEXT NOT NULL DEFAULT '');",
    "student_id TEXT NOT NULL DEFAULT '', result_json TEXT NOT NULL DEFAULT '', report TEXT NOT NULL DEFAULT '');"
).replace("title TEXT NOT NULL,\n    PRIMARY KEY", "title TEXT NOT NULL, title_json TEXT NOT NULL DEFAULT '', "
          "cause_json TEXT NOT NULL DEFAULT '', func TEXT NOT NULL DEFAULT '',\n    PRIMARY KEY").replace(
    "'graded', '', 'alice/', 'alice');", "'graded', '', 'alice/', 'alice', :result, 'reports/alice.html');")
V3_PLAIN += """
INSERT INTO checks VALUES ('alice', 'relu.forward', 'relu', 'value', 5, 8, 'failed', '', 'relu', :title, :cause,
                           'relu_forward');
"""

SHAPES = {"1": V1, "2": V2 + CHECK_ROW, "3 (course)": V3_COURSE, "3 (plain results)": V3_PLAIN}
LATE = Lateness("2025-03-10T10:00:00+08:00", "2025-03-08T23:59:00+08:00", "csv", 2, 20.0).to_dict()


def _result(student: str, points: float) -> Result:
    """A small graded result: relu_forward's value item, right (8) or not implemented."""
    r = CheckResult("relu.forward", "relu", "relu_forward", Kind.VALUE, msg("title.value", func="relu_forward",
                                                                             outputs="out"), 8.0)
    r.points = points
    if points < 8:
        r.status = Status.FAILED
        r.messages = [msg("call.not_implemented", func="relu_forward")]
    info = ExerciseInfo("relu", msg("exercise.relu"), "layers.py", ("relu_forward",))
    return Result(student=student, assignment="week3", official=True, exercises=[ExerciseResult(info, [r])],
                  graded_at="2025-03-10T00:00:00+00:00")


def _build(path, shape: str) -> None:
    old = _result("alice", 0.0).to_dict()
    params = {"result": json.dumps(old, ensure_ascii=False), "title": json.dumps(old["exercises"][0]["results"][0]
                                                                                 ["title"]),
              "cause": json.dumps(old["exercises"][0]["results"][0]["messages"][0])}
    db = sqlite3.connect(path)
    for statement in SHAPES[shape].split(";"):
        if statement.strip():
            db.execute(statement, {k: v for k, v in params.items() if f":{k}" in statement})
    db.commit()
    db.close()


def _columns(book: Gradebook, table: str) -> set[str]:
    return {r[1] for r in book.db.execute(f"PRAGMA table_info({table})")}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_an_older_gradebook_is_told_apart_and_upgraded_in_place(tmp_path, shape):
    path = tmp_path / "old.sqlite"
    _build(path, shape)
    db = sqlite3.connect(path)
    assert shape_of(db) == shape  # told apart by its columns, whatever its schema_version says
    db.close()
    with Gradebook(path) as book:
        assert book.upgraded_from() == shape
        assert book.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (
            str(SCHEMA_VERSION),)
        assert SCHEMA_VERSION == 4
        for table, columns in _ADDED_COLUMNS.items():
            assert set(columns) <= _columns(book, table), table
        assert {"id", "student", "withdrawn_at"} <= _columns(book, "adjustments")
        assert shape_of(book.db) is None  # now the current shape
        [row] = book.students()  # what it held is kept
        assert row["student"] == "alice" and row["status"] == "graded" and book.is_current("alice", "fp", "gk")
    with Gradebook(path) as again:  # opening it again changes nothing
        assert again.upgraded_from() == shape and again.students() == [row]


def test_a_course_schema_3_keeps_its_adjustments_assignment_and_hand_in_times(tmp_path):
    path = tmp_path / "course3.sqlite"
    _build(path, "3 (course)")
    with Gradebook(path) as book:
        assert book.assignment() == "week3"
        [a] = book.adjustments("alice")
        assert (a.scope, a.mode, a.value, a.author, a.comment) == ("total", "add", 1.0, "ta.wang", "a kind TA")
        [row] = book.students()
        assert row["handed_in"] == "2025-03-09T10:00:00+08:00" and row["report"] == ""
        assert book.settlement("alice").score == 6  # its check (5) and the adjustment (+1)
        assert book.result("alice") is None  # recorded before plain results: shown as stored


def test_a_plain_results_schema_3_keeps_its_results_and_causes(tmp_path):
    path = tmp_path / "plain3.sqlite"
    _build(path, "3 (plain results)")
    with Gradebook(path) as book:
        stored = book.result("alice")
        assert stored is not None and stored.student == "alice" and stored.checks[0].id == "relu.forward"
        assert book.students()[0]["report"] == "reports/alice.html"
        [failed] = book.failed_checks()
        assert json.loads(failed["cause"])["$msg"] == "call.not_implemented" and failed["func"] == "relu_forward"
        assert book.assignment() is None and book.adjustments() == []


@pytest.mark.parametrize("shape", list(SHAPES))
def test_both_halves_work_on_an_upgraded_gradebook(tmp_path, shape):
    path = tmp_path / "old.sqlite"
    _build(path, shape)
    result = _result("bob", 0.0)
    with Gradebook(path) as book:
        book.set_assignment("week3")
        book.record(Record(student="bob", fingerprint="f", grader_key="k", score=0.0, max_score=8.0,
                           load_status="loaded", isolation="bubblewrap", graded_at=result.graded_at, seconds=1.0,
                           results=to_gradescope(result, "en"), student_id="bob", handed_in=LATE["handed_in"],
                           lateness=LATE, result=result.to_dict(), report="reports/bob.html"))
        # the course: an adjustment settles the score with the late penalty (20 %)
        book.adjust(Adjustment("check", "relu.forward", "set", 5, "partial credit for the idea", "ta", student="bob"))
        bob = next(r for r in book.students() if r["student"] == "bob")
        assert bob["score"] == pytest.approx(4.0) and bob["handed_in"] == LATE["handed_in"]
        assert book.lateness("bob").days == 2 and book.assignment() == "week3"
        # plain results: the stored Result, the report, the cause as a message key
        back = book.result("bob")
        assert back is not None and back.to_dict() == result.to_dict()
        assert bob["report"] == "reports/bob.html"
        cause = next(r for r in book.failed_checks() if r["student"] == "bob")
        assert json.loads(cause["cause"])["$msg"] == "call.not_implemented"
        title = json.loads(next(c for c in book.check_pass_rates() if c["check"] == "relu.forward")["title_json"])
        assert title["$msg"] == "title.value"
        for lang in ("en", "zh"):
            assert "relu_forward" in render(back.checks[0].title, lang)
        # the old row takes an adjustment too, settled from its own checks
        before = book.settlement("alice").score
        book.adjust(Adjustment("total", "", "add", 1, "bonus", "ta", student="alice"))
        assert next(r for r in book.students() if r["student"] == "alice")["score"] == before + 1


def test_a_new_gradebook_is_schema_4_and_was_never_upgraded(tmp_path):
    with Gradebook(tmp_path / "new.sqlite") as book:
        assert book.upgraded_from() is None and shape_of(book.db) is None
        assert book.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("4",)
