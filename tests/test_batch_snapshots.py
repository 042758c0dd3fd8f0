"""The batch grades the snapshots its own process took (sandbox's intake inside
batchsec's pool): workers are handed a Snapshot, never a path to read; snapshots are
taken only as workers become free, so a class of large hand-ins never sits in memory
at once; official grading where the child would not be isolated is refused before the
class folder is read."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import grader.batch as batch
from grader.batch import grade_class
from grader.batch.pool import OK, WorkerPool
from grader.gradebook import Gradebook
from grader.report.html import render_html  # noqa: F401 - imported before the workers fork
from grader.sandbox.isolation import IsolationRefused, at_level
from grader.submission import Snapshot

CODE = "def relu_forward(x):\n    return x, None\n"


def _echo(key: str) -> str:
    return key


def test_the_pool_takes_tasks_only_as_workers_become_free():
    jobs, total = 2, 12
    lock = threading.Lock()
    state = {"pulled": 0, "done": 0, "ahead": 0}

    def tasks():
        for i in range(total):
            with lock:
                state["pulled"] += 1
                state["ahead"] = max(state["ahead"], state["pulled"] - state["done"])
            yield f"t{i}", (f"t{i}",)

    def done(key, outcome):
        assert outcome.status == OK and outcome.value == key
        state["done"] += 1

    WorkerPool(jobs, _echo).run(tasks(), done)
    assert state["done"] == total
    assert state["ahead"] <= jobs + 1  # the workers' tasks and one read ahead, never the class


def _seen(student: str, snapshot: object, solutions: str | None, lang: str, allow_unisolated: bool = False,
          capstone: bool = True) -> dict:
    """A worker that only reports what it was handed."""
    assert isinstance(snapshot, Snapshot), type(snapshot)
    files = {f.path: f.data.decode() for f in snapshot.files}
    tests = [{"name": "t", "score": 1.0, "max_score": 1.0, "status": "passed", "output": repr(files),
              "tags": ["relu", "value"], "extra_data": {"id": "relu.t", "mistakes": []}}]
    return {"student": student, "fingerprint": snapshot.fingerprint, "score": float(len(files)), "max_score": 9.0,
            "load_status": "loaded", "isolation": "portable", "graded_at": "2025-01-01T00:00:00+00:00",
            "seconds": 0.01, "results": {"score": 1.0, "tests": tests, "extra_data": {"max_score": 9.0}},
            "html": f"<html>{student}</html>"}


def test_workers_are_handed_the_parents_snapshot(tmp_path, monkeypatch):
    folder = tmp_path / "class"
    for name in ("alice", "bob"):
        (folder / name).mkdir(parents=True)
        (folder / name / "layers.py").write_text(CODE)
    (folder / "bob" / "extra.py").write_text("X = 1\n")
    taken: list[str] = []
    real = batch.take_snapshot

    def spy(path):
        taken.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(batch, "take_snapshot", spy)
    summary = grade_class(folder, tmp_path / "out", jobs=2, lang="en", grade_one=_seen)
    assert sorted(summary.graded) == ["alice", "bob"] and taken == ["alice", "bob"]  # each read once
    with Gradebook(tmp_path / "out" / "gradebook.sqlite") as book:
        rows = {r["student"]: r for r in book.students()}
    assert rows["alice"]["score"] == 1.0 and rows["bob"]["score"] == 2.0
    assert rows["bob"]["fingerprint"] == real(folder / "bob").fingerprint


def test_official_grading_without_isolation_is_refused_before_the_folder_is_read(tmp_path, monkeypatch):
    from support import SOLUTIONS

    (tmp_path / "class" / "alice").mkdir(parents=True)
    monkeypatch.setattr(batch, "probe", lambda: at_level("portable"))
    monkeypatch.setattr(batch, "intake", lambda *a, **k: pytest.fail("the class folder was read"))
    with pytest.raises(IsolationRefused):
        grade_class(tmp_path / "class", tmp_path / "out", solutions=SOLUTIONS, jobs=1)
    assert not (tmp_path / "out").exists()
