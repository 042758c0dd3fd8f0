"""The class gradebook: one SQLite file, written only by the parent of a batch.

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
with every student of the class. Schema 1 gradebooks are upgraded in place.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..untrusted import clean, clean_tree
from .status import RowStatus

SCHEMA_VERSION = 2
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
    student_id TEXT NOT NULL DEFAULT ''
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
    PRIMARY KEY (student, check_id)
);
CREATE TABLE IF NOT EXISTS roster (
    student TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    lms_id TEXT NOT NULL,
    handin TEXT NOT NULL,
    row_json TEXT NOT NULL
);
"""
# Columns added to ``submissions`` by schema 2 (older gradebooks get them on opening).
_V2_COLUMNS = {"status": "'graded'", "detail": "''", "source": "''", "student_id": "''"}


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
    results: dict  # the Gradescope results.json content
    status: str = RowStatus.GRADED.value
    detail: str = ""  # why, when the status is not "graded"
    source: str = ""  # the hand-in's names in the class folder
    student_id: str = ""  # the id the grading was seeded with (default: ``student``)


class Gradebook:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(self.path))
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.execute("PRAGMA journal_mode = WAL")
        with self.db:
            self.db.executescript(_SCHEMA)
            row = self.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if row is not None and int(row[0]) > SCHEMA_VERSION:
                raise RuntimeError(f"{self.path} was written by a newer rnngrade (schema {row[0]})")
            have = {r[1] for r in self.db.execute("PRAGMA table_info(submissions)")}
            for column, default in _V2_COLUMNS.items():
                if column not in have:  # a schema 1 gradebook: upgrade in place
                    self.db.execute(f"ALTER TABLE submissions ADD COLUMN {column} TEXT NOT NULL DEFAULT {default}")
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))

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
        rec = Record(**{**rec.__dict__, "student": clean(rec.student), "results": clean_tree(rec.results),
                        "detail": clean(rec.detail), "source": clean(rec.source),
                        "student_id": clean(rec.student_id or rec.student)})
        status = RowStatus(rec.status)
        with self.db:
            self.db.execute("DELETE FROM checks WHERE student = ?", (rec.student,))
            self.db.execute(
                "INSERT OR REPLACE INTO submissions (student, fingerprint, grader_key, score, max_score, "
                "load_status, isolation, graded_at, seconds, results_json, status, detail, source, student_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (rec.student, rec.fingerprint, rec.grader_key, rec.score, rec.max_score, rec.load_status,
                 rec.isolation, rec.graded_at, rec.seconds, json.dumps(rec.results, ensure_ascii=False),
                 status.value, rec.detail, rec.source, rec.student_id),
            )
            if not status.graded:
                return  # a failed row has no checks: nothing of it enters the statistics
            self.db.executemany(
                "INSERT INTO checks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(rec.student, t["extra_data"]["id"], t["tags"][0], t["tags"][1], t["score"], t["max_score"],
                  t["status"], ",".join(t["extra_data"].get("mistakes", [])), t["name"])
                 for t in rec.results["tests"] if "id" in t.get("extra_data", {})],
            )

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
        """Every row (``graded_only``: those with a grade), with its status."""
        where = "WHERE status = 'graded' " if graded_only else ""
        cur = self.db.execute("SELECT student, score, max_score, fingerprint, graded_at, load_status, status, "
                              f"detail, source, student_id FROM submissions {where}ORDER BY student")
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

    def exercise_maxima(self) -> dict[str, float]:
        """The most points an exercise gave in this gradebook."""
        return {e: round(m, 4) for e, m in self.db.execute(
            "SELECT exercise, MAX(total) FROM (SELECT student, exercise, SUM(max_points) AS total FROM checks "
            "GROUP BY student, exercise) GROUP BY exercise")}

    def exercise_scores(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for student, exercise, points in self.db.execute(
                "SELECT student, exercise, SUM(points) FROM checks GROUP BY student, exercise"):
            out.setdefault(student, {})[exercise] = round(points, 4)
        return out

    def check_pass_rates(self, kinds_excluded: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        """Every check with its pass rate, hardest first."""
        marks = ",".join("?" * len(kinds_excluded)) or "''"
        cur = self.db.execute(
            "SELECT check_id, exercise, MIN(title), COUNT(*), SUM(status = 'passed'), "
            "AVG(points / NULLIF(max_points, 0)) FROM checks "
            f"WHERE kind NOT IN ({marks}) GROUP BY check_id "
            "ORDER BY SUM(status = 'passed') * 1.0 / COUNT(*), check_id", kinds_excluded)
        return [{"check": c, "exercise": e, "title": t, "n": n, "passed": p, "pass_rate": p / n if n else 0.0,
                 "mean_fraction": f or 0.0} for c, e, t, n, p, f in cur.fetchall()]

    def quiz_items(self) -> list[dict[str, Any]]:
        """Item analysis of the quiz: difficulty (mean fraction of the points) and
        discrimination (correlation of the item's score with the rest of the
        student's score; near 0 or negative flags a question worth reviewing)."""
        totals = {s["student"]: s["score"] for s in self.students(graded_only=True)}
        items: dict[str, dict[str, Any]] = {}
        for student, cid, title, points, max_points in self.db.execute(
                "SELECT student, check_id, title, points, max_points FROM checks WHERE kind = 'quiz'"):
            item = items.setdefault(cid, {"check": cid, "title": title, "scores": [], "rest": []})
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

    def export_csv(self, path: Path | str) -> None:
        """One row per student: total, maximum, per-exercise points, named mistakes
        (:func:`grader.gradebook.export.write_plain`)."""
        from .export import write_plain

        write_plain(self, path)


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
