"""The class gradebook: one SQLite file, written only by the parent of a batch.

Over 400 lines: one job, the gradebook's schema (with its in-place upgrades from every
earlier version), its writes and its queries; exports and statistics are their own
modules.

Each submission is recorded in one transaction (its row and all its check rows),
so a batch that crashes half-way loses nothing already recorded and never records
anything twice; re-running it skips what is already graded with the same grader
and the same submission content.

A row is keyed by the batch's unique id of the hand-in (``student``: the roster's
student id, or the hand-in's name, made unique when two hand-ins collide); it also
keeps the id the grading was seeded with (``student_id``), the hand-in's names in the
class folder (``source``) and a status from :class:`~.status.RowStatus`: a
submission whose grading failed is a row that says why, with no score, and is graded
again on the next run. A class roster, when the batch had one, is stored too
(``roster`` table), so the exports (:mod:`.export`) can write an LMS's import file
with every student of the class.

Schema 4 unifies two lines of work that each called themselves "schema 3":

- the course: a gradebook holds the grades of one assignment (``meta`` ``assignment``; a
  batch refuses to mix two). Each row keeps when the hand-in was handed in and its
  lateness, and the ``adjustments`` table keeps every manual adjustment with its comment,
  who made it and when (a withdrawn one stays, marked, so the history is complete).
  Adjustments live apart from the graded rows, so a batch re-run that grades a student
  again keeps them and applies them to the new grade; a row's ``score`` is always the final
  score, :func:`grader.assignments.adjustments.settle` of its checks, its active
  adjustments and its lateness;
- plain results: each submission keeps its :class:`~grader.results.Result` as plain data
  (message keys and parameters, :meth:`~grader.results.Result.to_dict`) and the path of its
  HTML report; each check its title and the first message of a failure (its cause) as
  message keys, not text: the dashboard renders any language from the same gradebook and
  groups failures by cause. Rows recorded before have none of these (their text is in the
  batch's language); they are shown as they were stored until graded again.

Older gradebooks (schema 1, 2, and either "3": :func:`shape_of` tells them apart by their
columns) are upgraded in place: every column and table they lack is added, nothing they
hold is changed, and ``meta`` ``upgraded_from`` says what they were.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..assignments.adjustments import Adjustment, Item, Settlement, now_utc, settle
from ..assignments.late import Lateness
from ..untrusted import clean, clean_tree, json_is_clean
from .status import RowStatus

SCHEMA_VERSION = 4
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS submissions (
    student TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    grader_key TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    load_status TEXT NOT NULL,
    isolation TEXT NOT NULL,
    graded_at TEXT NOT NULL,
    seconds REAL NOT NULL,
    results_json TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'graded',
    detail TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '',
    student_id TEXT NOT NULL DEFAULT '',
    handed_in TEXT NOT NULL DEFAULT '',
    lateness TEXT NOT NULL DEFAULT '',
    result_json TEXT NOT NULL DEFAULT '',
    report TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS checks (
    student TEXT NOT NULL REFERENCES submissions(student) ON DELETE CASCADE,
    check_id TEXT NOT NULL,
    exercise TEXT NOT NULL,
    kind TEXT NOT NULL,
    points REAL NOT NULL,
    max_points REAL NOT NULL,
    status TEXT NOT NULL,
    mistakes TEXT NOT NULL,
    title TEXT NOT NULL,
    title_json TEXT NOT NULL DEFAULT '',
    cause_json TEXT NOT NULL DEFAULT '',
    func TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (student, check_id)
);
CREATE TABLE IF NOT EXISTS adjustments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    student TEXT NOT NULL,
    scope TEXT NOT NULL,
    target TEXT NOT NULL,
    mode TEXT NOT NULL,
    value REAL NOT NULL,
    comment TEXT NOT NULL,
    author TEXT NOT NULL,
    created_at TEXT NOT NULL,
    withdrawn_at TEXT NOT NULL DEFAULT '',
    withdrawn_by TEXT NOT NULL DEFAULT '',
    withdrawn_why TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS roster (
    student TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    lms_id TEXT NOT NULL,
    handin TEXT NOT NULL,
    row_json TEXT NOT NULL
);
"""
# Columns added by later schemas (older gradebooks get them on opening): table -> column -> default.
# The ``adjustments`` table (schema 3 of the course) is made by _SCHEMA's CREATE TABLE IF NOT EXISTS.
_ADDED_COLUMNS = {
    "submissions": {"status": "'graded'", "detail": "''", "source": "''", "student_id": "''",  # schema 2
                    "handed_in": "''", "lateness": "''",  # schema 3 (the course)
                    "result_json": "''", "report": "''"},  # schema 3 (plain results)
    "checks": {"title_json": "''", "cause_json": "''", "func": "''"},  # schema 3 (plain results)
}


class AdjustmentError(ValueError):
    """An adjustment the gradebook cannot take (an unknown student or target, no comment)."""



def shape_of(db: sqlite3.Connection) -> str | None:
    """What an existing gradebook is, told by its columns (both lines of work wrote
    ``schema_version`` 3): "1", "2", "3 (course)" (hand-in times, lateness,
    adjustments), "3 (plain results)" (the Result, the report, check titles and causes
    as message keys), or None for a new or current (4) one."""
    have = {r[1] for r in db.execute("PRAGMA table_info(submissions)")}
    if not have:
        return None
    checks = {r[1] for r in db.execute("PRAGMA table_info(checks)")}
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    course = {"handed_in", "lateness"} <= have and "adjustments" in tables
    plain = {"result_json", "report"} <= have and {"title_json", "cause_json"} <= checks
    if course and plain:
        return None
    if course:
        return "3 (course)"
    if plain:
        return "3 (plain results)"
    return "2" if "status" in have else "1"


@dataclass(frozen=True)
class Record:
    """What the gradebook stores of one graded submission."""

    student: str
    fingerprint: str
    grader_key: str
    score: float
    max_score: float
    load_status: str
    isolation: str
    graded_at: str
    seconds: float
    results: dict[str, Any]  # the Gradescope results.json content
    status: str = RowStatus.GRADED.value
    detail: str = ""  # why, when the status is not "graded"
    source: str = ""  # the hand-in's names in the class folder
    student_id: str = ""  # the id the grading was seeded with (default: ``student``)
    handed_in: str = ""  # when it was handed in (ISO 8601), where known
    lateness: dict[str, Any] | None = None  # grader.assignments.late.Lateness.to_dict(), where a due date applies
    result: dict[str, Any] | None = None  # the Result as plain data (Result.to_dict): rendered in any language
    report: str = ""  # the student's HTML report, relative to the gradebook's folder
    results_text: str = ""  # ``results`` as JSON (ensure_ascii=False), when the caller has it: not dumped again


class Gradebook:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(self.path))
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.execute("PRAGMA journal_mode = WAL")
        shape = shape_of(self.db)  # before the schema's tables are added to an older file
        with self.db:
            self.db.executescript(_SCHEMA)
            row = self.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if row is not None and int(row[0]) > SCHEMA_VERSION:
                raise RuntimeError(f"{self.path} was written by a newer rnngrade (schema {row[0]})")
            if shape is not None and (row is None or int(row[0]) < SCHEMA_VERSION):
                # an older gradebook: upgraded in place below, and said so
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('upgraded_from', ?)", (shape,))
            for table, columns in _ADDED_COLUMNS.items():
                have = {r[1] for r in self.db.execute(f"PRAGMA table_info({table})")}
                for column, default in columns.items():
                    if column not in have:  # an older gradebook: upgrade in place
                        self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT NOT NULL DEFAULT {default}")
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))

    def upgraded_from(self) -> str | None:
        """What this gradebook was before it was upgraded in place (see :func:`shape_of`;
        None: made by this schema)."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'upgraded_from'").fetchone()
        return row[0] if row is not None else None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def is_current(self, student: str, fingerprint: str, grader_key: str, student_id: str | None = None) -> bool:
        """Graded already, from this content, by this grader, as this id (``student_id``:
        the id the grading was seeded with, when the roster may have changed it); a
        failed row never is."""
        row = self.db.execute("SELECT fingerprint, grader_key, status, student_id FROM submissions WHERE student = ?",
                              (student,)).fetchone()
        if row is None or row[:3] != (fingerprint, grader_key, RowStatus.GRADED.value):
            return False
        return student_id is None or clean(student_id) == row[3]

    def record(self, rec: Record) -> None:
        """Store one submission and its checks atomically (replacing an older grade).

        Every string is cleaned first (:mod:`grader.untrusted`): a name or a message
        that no UTF-8 writer accepts must not cost the class its gradebook."""
        if rec.results_text and json_is_clean(rec.results_text):
            results, results_json = rec.results, rec.results_text
        else:
            results, results_json = _clean_json(rec.results)
        result, result_json = _clean_json(rec.result, allow_nan=False) if rec.result is not None else (None, "")
        rec = Record(**{**rec.__dict__, "student": clean(rec.student), "results": results,
                        "detail": clean(rec.detail), "source": clean(rec.source),
                        "student_id": clean(rec.student_id or rec.student), "handed_in": clean(rec.handed_in),
                        "lateness": clean_tree(rec.lateness) if rec.lateness else None,
                        "result": result, "report": clean(rec.report), "results_text": ""})
        status = RowStatus(rec.status)
        plain = _checks_of(rec.result)
        with self.db:
            self.db.execute("DELETE FROM checks WHERE student = ?", (rec.student,))
            self.db.execute(
                "INSERT OR REPLACE INTO submissions (student, fingerprint, grader_key, score, max_score, "
                "load_status, isolation, graded_at, seconds, results_json, status, detail, source, student_id, "
                "handed_in, lateness, result_json, report) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (rec.student, rec.fingerprint, rec.grader_key, rec.score, rec.max_score, rec.load_status,
                 rec.isolation, rec.graded_at, rec.seconds, results_json,
                 status.value, rec.detail, rec.source, rec.student_id, rec.handed_in,
                 json.dumps(rec.lateness, ensure_ascii=False) if rec.lateness else "", result_json, rec.report),
            )
            if not status.graded:
                return  # a failed row has no checks: nothing of it enters the statistics
            rows = []
            for t in rec.results["tests"]:
                if "id" not in t.get("extra_data", {}):
                    continue
                title, cause, func = plain.get(t["extra_data"]["id"], ("", "", t["extra_data"].get("function", "")))
                status = t["extra_data"].get("status") or t.get("status", "failed")  # ours: pending too
                rows.append((rec.student, t["extra_data"]["id"], t["tags"][0], t["tags"][1], t["score"],
                             t["max_score"], status, ",".join(t["extra_data"].get("mistakes", [])), t["name"],
                             title, cause, func or ""))
            self.db.executemany("INSERT INTO checks (student, check_id, exercise, kind, points, max_points, status, "
                                "mistakes, title, title_json, cause_json, func) "
                                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            if rec.lateness or self.adjustments(rec.student):
                # The score is the settled one whatever the grading process knew (an
                # adjustment may have been made while it graded).
                self._store_score(rec.student)

    # ------------------------------------------------------------------ the assignment
    def assignment(self) -> str | None:
        """The assignment whose grades this gradebook holds (None: not recorded yet)."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'assignment'").fetchone()
        return row[0] if row is not None else None

    def set_assignment(self, name: str) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('assignment', ?)", (clean(name),))

    # ------------------------------------------------------------------ adjustments
    def adjust(self, adjustment: Adjustment) -> Adjustment:
        """Record a manual adjustment of one student's score (see
        :mod:`grader.assignments.adjustments`) and settle that student's score; returns it
        with its id and time. Raises :class:`AdjustmentError` for a student the gradebook
        does not know, or a check or exercise that student's grade does not have."""
        student = clean(adjustment.student)
        known = {r[0] for r in self.db.execute("SELECT student FROM submissions UNION SELECT student FROM roster")}
        if student not in known:
            raise AdjustmentError(f"no student {student!r} in this gradebook")
        graded = self.db.execute("SELECT status FROM submissions WHERE student = ?", (student,)).fetchone()
        if graded is not None and graded[0] == RowStatus.GRADED.value and adjustment.scope != "total":
            column = "check_id" if adjustment.scope == "check" else "exercise"
            have = [r[0] for r in self.db.execute(f"SELECT DISTINCT {column} FROM checks WHERE student = ? "
                                                  f"ORDER BY {column}", (student,))]
            if adjustment.target not in have:
                import difflib

                close = difflib.get_close_matches(adjustment.target, have, n=3, cutoff=0.5)
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                raise AdjustmentError(f"{student}'s grade has no {adjustment.scope} {adjustment.target!r}{hint}")
        at = adjustment.at or now_utc()
        with self.db:
            cur = self.db.execute(
                "INSERT INTO adjustments (student, scope, target, mode, value, comment, author, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (student, adjustment.scope, clean(adjustment.target), adjustment.mode, float(adjustment.value),
                 clean(adjustment.comment), clean(adjustment.author), at))
            self._store_score(student)
        return Adjustment(adjustment.scope, clean(adjustment.target), adjustment.mode, float(adjustment.value),
                          clean(adjustment.comment), clean(adjustment.author), at, cur.lastrowid, student)

    def withdraw(self, adjustment_id: int, by: str, why: str) -> Adjustment:
        """Withdraw an adjustment (it stays in the history, marked) and settle the score again."""
        row = self.db.execute("SELECT student, withdrawn_at FROM adjustments WHERE id = ?", (adjustment_id,)).fetchone()
        if row is None:
            raise AdjustmentError(f"no adjustment {adjustment_id}")
        if row[1]:
            raise AdjustmentError(f"adjustment {adjustment_id} was withdrawn already ({row[1]})")
        if not why.strip():
            raise AdjustmentError("say why the adjustment is withdrawn (--comment)")
        with self.db:
            self.db.execute("UPDATE adjustments SET withdrawn_at = ?, withdrawn_by = ?, withdrawn_why = ? WHERE id = ?",
                            (now_utc(), clean(by), clean(why), adjustment_id))
            self._store_score(row[0])
        return next(a for a in self.adjustments(row[0], withdrawn=True) if a.id == adjustment_id)

    def adjustments(self, student: str | None = None, withdrawn: bool = False) -> list[Adjustment]:
        """Adjustments in the order made (of one student, or all); ``withdrawn``: those too."""
        where, args = [], []
        if student is not None:
            where.append("student = ?")
            args.append(student)
        if not withdrawn:
            where.append("withdrawn_at = ''")
        sql = ("SELECT id, student, scope, target, mode, value, comment, author, created_at FROM adjustments"
               + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id")
        return [Adjustment(scope, target, mode, value, comment, author, at, i, s)
                for i, s, scope, target, mode, value, comment, author, at in self.db.execute(sql, args)]

    def withdrawals(self) -> dict[int, tuple[str, str, str]]:
        """Withdrawn adjustments: id -> (when, by whom, why)."""
        return {i: (at, by, why) for i, at, by, why in self.db.execute(
            "SELECT id, withdrawn_at, withdrawn_by, withdrawn_why FROM adjustments WHERE withdrawn_at != ''")}

    def lateness(self, student: str) -> Lateness | None:
        row = self.db.execute("SELECT lateness FROM submissions WHERE student = ?", (student,)).fetchone()
        return Lateness.from_dict(json.loads(row[0])) if row is not None and row[0] else None

    def settlement(self, student: str) -> Settlement | None:
        """How a graded row's score is made: its checks, adjustments and late penalty
        (None for a row without a grade)."""
        row = self.db.execute("SELECT status FROM submissions WHERE student = ?", (student,)).fetchone()
        if row is None or row[0] != RowStatus.GRADED.value:
            return None
        items = [Item(c, e, p, m) for c, e, p, m in self.db.execute(
            "SELECT check_id, exercise, points, max_points FROM checks WHERE student = ? ORDER BY rowid", (student,))]
        return settle(items, self.adjustments(student), self.lateness(student))

    def _store_score(self, student: str) -> None:
        settled = self.settlement(student)
        if settled is not None:
            self.db.execute("UPDATE submissions SET score = ? WHERE student = ?", (settled.score, student))

    # ------------------------------------------------------------------ the roster
    def set_roster(self, kind: str, columns: list[str], students: list[dict[str, Any]],
                   extra: dict[str, Any] | None = None) -> None:
        """Store the class roster (replacing an earlier one): ``students`` are dicts with
        ``student``, ``name``, ``lms_id``, ``handin`` and ``row`` (the row as read)."""
        with self.db:
            self.db.execute("DELETE FROM roster")
            self.db.executemany("INSERT OR REPLACE INTO roster VALUES (?, ?, ?, ?, ?)", [
                (clean(s["student"]), clean(s.get("name", "")), clean(s.get("lms_id", "")), clean(s.get("handin", "")),
                 json.dumps(clean_tree(s.get("row", {})), ensure_ascii=False)) for s in students])
            info = {"kind": kind, "columns": clean_tree(columns), **clean_tree(extra or {})}
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('roster', ?)", (json.dumps(info, ensure_ascii=False),))

    def roster(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """(roster info: kind, columns, ...; the roster's students in file order), or
        ({}, []) when the batch had no roster."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'roster'").fetchone()
        if row is None:
            return {}, []
        students = [{"student": s, "name": n, "lms_id": i, "handin": h, "row": json.loads(r)}
                    for s, n, i, h, r in self.db.execute("SELECT student, name, lms_id, handin, row_json "
                                                         "FROM roster ORDER BY rowid")]
        return json.loads(row[0]), students

    # ------------------------------------------------------------------ reading
    def students(self, graded_only: bool = False) -> list[dict[str, Any]]:
        """Every row (``graded_only``: those with a grade), with its status and report."""
        where = "WHERE status = 'graded' " if graded_only else ""
        cur = self.db.execute("SELECT student, score, max_score, fingerprint, graded_at, load_status, status, "
                              f"detail, source, student_id, handed_in, report FROM submissions {where}"
                              "ORDER BY student")
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

    def exercise_maxima(self) -> dict[str, float]:
        """The most points an exercise gave in this gradebook."""
        return {e: round(m, 4) for e, m in self.db.execute(
            "SELECT exercise, MAX(total) FROM (SELECT student, exercise, SUM(max_points) AS total FROM checks "
            "GROUP BY student, exercise) GROUP BY exercise")}

    def exercise_scores(self) -> dict[str, dict[str, float]]:
        """student -> exercise -> its points, with the adjustments of its checks and of
        the exercise applied (the late penalty and the total's adjustments apply to the
        total only)."""
        out: dict[str, dict[str, float]] = {}
        for student, exercise, points in self.db.execute(
                "SELECT student, exercise, SUM(points) FROM checks GROUP BY student, exercise"):
            out.setdefault(student, {})[exercise] = round(points, 4)
        for student in {a.student for a in self.adjustments()} & set(out):
            settled = self.settlement(student)
            if settled is not None:
                out[student].update({e: round(p, 4) + 0.0 for e, p in settled.exercises.items()})
        return out

    def check_pass_rates(self, kinds_excluded: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        """Every check with its pass rate, hardest first."""
        marks = ",".join("?" * len(kinds_excluded)) or "''"
        cur = self.db.execute(
            "SELECT check_id, exercise, MIN(title), MAX(title_json), COUNT(*), SUM(status = 'passed'), "
            "AVG(points / NULLIF(max_points, 0)) FROM checks "
            f"WHERE kind NOT IN ({marks}) GROUP BY check_id "
            "ORDER BY SUM(status = 'passed') * 1.0 / COUNT(*), check_id", kinds_excluded)
        return [{"check": c, "exercise": e, "title": t, "title_json": tj, "n": n, "passed": p,
                 "pass_rate": p / n if n else 0.0, "mean_fraction": f or 0.0}
                for c, e, t, tj, n, p, f in cur.fetchall()]

    def result(self, student: str) -> Any:
        """The stored :class:`~grader.results.Result` of ``student`` (None: not stored, as
        in rows of schema 1 and 2)."""
        row = self.db.execute("SELECT result_json FROM submissions WHERE student = ?", (student,)).fetchone()
        if row is None or not row[0]:
            return None
        from ..results import Result

        return Result.from_dict(json.loads(row[0]))

    def failed_checks(self) -> list[dict[str, Any]]:
        """Every failed check of every graded student: what the causes of failure are
        grouped from (``title`` and ``cause`` are encoded messages, or "" in old rows)."""
        cur = self.db.execute(
            "SELECT c.student, c.check_id, c.exercise, c.kind, c.func, c.mistakes, c.title, c.title_json, "
            "c.cause_json, c.max_points - c.points FROM checks c JOIN submissions s ON s.student = c.student "
            "WHERE c.status = 'failed' AND s.status = 'graded' ORDER BY c.student, c.rowid")
        return [{"student": st, "check": cid, "exercise": ex, "kind": k, "func": f,
                 "mistakes": m.split(",") if m else [], "title_text": t, "title": tj, "cause": cj, "lost": lost}
                for st, cid, ex, k, f, m, t, tj, cj, lost in cur.fetchall()]

    def quiz_items(self) -> list[dict[str, Any]]:
        """Item analysis of the quiz: difficulty (mean fraction of the points) and
        discrimination (correlation of the item's score with the rest of the
        student's score; near 0 or negative flags a question worth reviewing)."""
        totals = {s["student"]: s["score"] for s in self.students(graded_only=True)}
        items: dict[str, dict[str, Any]] = {}
        for student, cid, title, title_json, points, max_points in self.db.execute(
                "SELECT student, check_id, title, title_json, points, max_points FROM checks WHERE kind = 'quiz'"):
            item = items.setdefault(cid, {"check": cid, "title": title, "title_json": title_json, "scores": [],
                                          "rest": []})
            item["scores"].append(points / max_points if max_points else 0.0)
            item["rest"].append(totals.get(student, 0.0) - points)
        out = []
        for item in items.values():
            xs, ys = item.pop("scores"), item.pop("rest")
            item["n"] = len(xs)
            item["difficulty"] = sum(xs) / len(xs) if xs else 0.0
            item["discrimination"] = _correlation(xs, ys)
            out.append(item)
        return sorted(out, key=lambda i: (i["discrimination"] if i["discrimination"] is not None else 2, i["check"]))

    def mistake_counts(self) -> dict[str, int]:
        counts: dict[str, set[str]] = {}
        for student, mistakes in self.db.execute("SELECT student, mistakes FROM checks WHERE mistakes != ''"):
            for m in mistakes.split(","):
                counts.setdefault(m, set()).add(student)
        return dict(sorted(((m, len(s)) for m, s in counts.items()), key=lambda kv: (-kv[1], int(kv[0]))))

    def scores(self) -> list[tuple[float, float]]:
        return [(r["score"], r["max_score"]) for r in self.students(graded_only=True)]

    def export_csv(self, path: Path | str, lang: str = "en") -> None:
        """One row per student: total, maximum, per-exercise points, named mistakes,
        adjustments (:func:`grader.gradebook.export.write_plain`)."""
        from .export import write_plain

        write_plain(self, path, lang)


def _clean_json(value: Any, **dumps: Any) -> tuple[Any, str]:
    """``clean_tree(value)`` and its JSON (``ensure_ascii=False``): the tree is walked
    and cleaned only when its JSON says a string needs it (a batch's results were
    cleaned already, and walking them cost more than the rest of recording)."""
    text = json.dumps(value, ensure_ascii=False, **dumps)
    if json_is_clean(text):
        return value, text
    value = clean_tree(value)
    return value, json.dumps(value, ensure_ascii=False, **dumps)


# json.dumps(value, ensure_ascii=False), without making an encoder per call (a
# gradebook row has a few hundred small titles and causes to encode).
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


def _checks_of(result: dict[str, Any] | None) -> dict[str, tuple[str, str, str]]:
    """check id -> (its title, the first message of a failure: its cause, its function),
    the messages as encoded JSON (:mod:`grader.plain`), from a Result's plain data."""
    if not result:
        return {}
    out = {}
    for er in result.get("exercises", []):
        for r in er.get("results", []):
            messages = r.get("messages") or []
            cause = messages[0] if r.get("status") == "failed" and messages else None
            out[r["id"]] = (_ENCODE(r.get("title")), _ENCODE(cause) if cause is not None else "",
                            str(r.get("func", "")))
    return out


def _correlation(xs: list[float], ys: list[float]) -> float | None:
    """Pearson correlation, or None when either side does not vary."""
    n = len(xs)
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / (sxx * syy) ** 0.5
