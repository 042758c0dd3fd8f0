"""The class gradebook: one SQLite file, written only by the parent of a batch.

Each submission is recorded in one transaction (its row and all its check rows),
so a batch that crashes half-way loses nothing already recorded and never records
anything twice; re-running it skips what is already graded with the same grader
and the same submission content.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..untrusted import clean, clean_tree

SCHEMA_VERSION = 1
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
    results_json TEXT NOT NULL
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
"""


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
            if row is None:
                self.db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            elif int(row[0]) > SCHEMA_VERSION:
                raise RuntimeError(f"{self.path} was written by a newer rnngrade (schema {row[0]})")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def is_current(self, student: str, fingerprint: str, grader_key: str) -> bool:
        row = self.db.execute("SELECT fingerprint, grader_key FROM submissions WHERE student = ?",
                              (student,)).fetchone()
        return row == (fingerprint, grader_key)

    def record(self, rec: Record) -> None:
        """Store one submission and its checks atomically (replacing an older grade).

        Every string is cleaned first (:mod:`grader.untrusted`): a name or a message
        that no UTF-8 writer accepts must not cost the class its gradebook."""
        rec = Record(**{**rec.__dict__, "student": clean(rec.student), "results": clean_tree(rec.results)})
        with self.db:
            self.db.execute("DELETE FROM checks WHERE student = ?", (rec.student,))
            self.db.execute(
                "INSERT OR REPLACE INTO submissions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (rec.student, rec.fingerprint, rec.grader_key, rec.score, rec.max_score, rec.load_status,
                 rec.isolation, rec.graded_at, rec.seconds, json.dumps(rec.results, ensure_ascii=False)),
            )
            self.db.executemany(
                "INSERT INTO checks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(rec.student, t["extra_data"]["id"], t["tags"][0], t["tags"][1], t["score"], t["max_score"],
                  t["status"], ",".join(t["extra_data"].get("mistakes", [])), t["name"])
                 for t in rec.results["tests"] if "id" in t.get("extra_data", {})],
            )

    # ------------------------------------------------------------------ reading
    def students(self) -> list[dict[str, Any]]:
        cur = self.db.execute("SELECT student, score, max_score, fingerprint, graded_at, load_status "
                              "FROM submissions ORDER BY student")
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
        totals = {s["student"]: s["score"] for s in self.students()}
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
        return [(r["score"], r["max_score"]) for r in self.students()]

    def export_csv(self, path: Path | str) -> None:
        """One row per student: total, maximum, per-exercise points, named mistakes."""
        per_ex = self.exercise_scores()
        exercises = sorted({e for scores in per_ex.values() for e in scores})
        mistakes: dict[str, set[str]] = {}
        for student, ms in self.db.execute("SELECT student, mistakes FROM checks WHERE mistakes != ''"):
            mistakes.setdefault(student, set()).update(ms.split(","))
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["student", "score", "max_score", *exercises, "mistakes", "fingerprint", "graded_at"])
            for s in self.students():
                writer.writerow([clean(x) if isinstance(x, str) else x for x in [
                    s["student"], s["score"], s["max_score"],
                    *[per_ex.get(s["student"], {}).get(e, 0) for e in exercises],
                    " ".join(sorted(mistakes.get(s["student"], set()), key=int)),
                    s["fingerprint"], s["graded_at"]]])


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
