"""One student's failure of any kind never stops or corrupts the others (issue 11,
item 9): a grader exception, a grading process killed (as by the OOM killer), exiting
without an answer or sending one that cannot be pickled, a student who takes too long
(even one that ignores SIGTERM): each becomes that student's row with a clear status
and a report, the others are graded, no process is left behind, and the next run
grades the failed ones again. A deleted report is rewritten on resume.

The grading function is replaced (``grade_class(grade_one=...)``) by one that
misbehaves on cue, so each failure is exactly the one named."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest

from grader.batch import file_name, grade_class, pool
from grader.gradebook import Gradebook
from grader.gradebook.status import RowStatus
from grader.i18n import render
from grader.report.html import render_html  # noqa: F401 - imported before the workers fork

NORMAL = ["alice", "bob", "carol", "dave"]
LOG: Path | None = None  # where calls are logged: the ``calls`` fixture's, in the test's tmp_path (forked with it)


def misbehaving(student: str, snapshot: object, solutions: str | None, lang: str,
                allow_unisolated: bool = False) -> dict:
    """Grades instantly, or fails in the way the student's name says."""
    if LOG is not None:
        with open(LOG, "a") as f:
            f.write(student + "\n")
    if student == "crash":
        raise RuntimeError("a grader bug")
    if student == "oom":
        os.kill(os.getpid(), signal.SIGKILL)  # what the OOM killer does
    if student == "quits":
        os._exit(3)  # the worker goes away without an answer: a broken pipe
    if student == "hang":
        time.sleep(120)
    if student == "stubborn":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        time.sleep(120)
    if student == "unpicklable":
        return {"results": lambda: None}
    score = float(len(student))
    tests = [{"name": "t", "score": score, "max_score": 10.0, "status": "passed", "output": "",
              "tags": ["relu", "value"], "extra_data": {"id": "relu.t", "mistakes": []}}]
    return {"student": student, "fingerprint": "f", "score": score, "max_score": 10.0, "load_status": "loaded",
            "isolation": "portable", "graded_at": "2025-01-01T00:00:00+00:00", "seconds": 0.01,
            "results": {"score": score, "tests": tests, "extra_data": {"max_score": 10.0}},
            "html": f"<html>{student}</html>"}


@pytest.fixture()
def calls(tmp_path, monkeypatch):
    """The students ``misbehaving`` was called for, logged in the test's own folder."""
    log = tmp_path / "calls.log"
    monkeypatch.setitem(globals(), "LOG", log)
    return lambda: log.read_text().split() if log.exists() else []


def _class(tmp_path: Path, names: list[str]) -> Path:
    folder = tmp_path / "class"
    folder.mkdir()
    for name in names:
        (folder / f"{name}.py").write_text(f"# {name}\n")
    return folder


def test_every_kind_of_failure_is_that_students_row(tmp_path, calls, monkeypatch):
    # The grace between SIGTERM and SIGKILL is shortened: "stubborn" ignores SIGTERM
    # either way, so only the wait for the SIGKILL gets shorter, not what is checked.
    monkeypatch.setattr(pool, "GRACE_SECONDS", 0.5)
    bad = {"crash": RowStatus.GRADER_ERROR, "oom": RowStatus.WORKER_DIED, "quits": RowStatus.WORKER_DIED,
           "hang": RowStatus.TIMEOUT, "stubborn": RowStatus.TIMEOUT, "unpicklable": RowStatus.GRADER_ERROR}
    folder, out = _class(tmp_path, NORMAL + list(bad)), tmp_path / "out"
    start = time.monotonic()
    summary = grade_class(folder, out, jobs=3, lang="en", grade_one=misbehaving, student_timeout=1.0)
    assert time.monotonic() - start < 30
    assert sorted(summary.graded) == NORMAL
    assert set(summary.failed) == set(bad)
    assert multiprocessing.active_children() == []  # no worker left behind
    with Gradebook(out / "gradebook.sqlite") as book:
        rows = {r["student"]: r for r in book.students()}
        assert set(rows) == set(NORMAL) | set(bad)
        for name in NORMAL:
            assert rows[name]["status"] == "graded" and rows[name]["score"] == len(name)
        for name, status in bad.items():
            assert rows[name]["status"] == status.value, (name, rows[name])
            assert rows[name]["detail"]
        assert "signal 9 (SIGKILL)" in rows["oom"]["detail"] and "exit status 3" in rows["quits"]["detail"]
        assert "RuntimeError: a grader bug" in rows["crash"]["detail"]
        assert [r["student"] for r in book.students(graded_only=True)] == sorted(NORMAL)
    for name in NORMAL + list(bad):  # a report for everyone
        assert (out / "reports" / f"{file_name(name)}.html").is_file()
        data = json.loads((out / "results" / f"{file_name(name)}.json").read_text())
        assert data["tests"] or name in bad
    failure = json.loads((out / "results" / "oom.json").read_text())
    assert "ran out of memory" in failure["output"] and failure["score"] == 0
    report = (out / "reports" / "hang.html").read_text()
    assert "took longer than the batch allows" in report

    # The next run grades the failed ones again (and only them).
    open(LOG, "w").close()
    again = grade_class(folder, out, jobs=3, lang="en", grade_one=misbehaving, student_timeout=1.0)
    assert sorted(again.skipped) == NORMAL and set(again.failed) == set(bad)
    assert not set(calls()) & set(NORMAL)


def test_a_deleted_report_is_rewritten_on_resume(tmp_path, calls):
    folder, out = _class(tmp_path, NORMAL), tmp_path / "out"
    grade_class(folder, out, jobs=2, lang="en", grade_one=misbehaving)
    (out / "reports" / "bob.html").unlink()
    (out / "results" / "carol.json").unlink()
    open(LOG, "w").close()
    again = grade_class(folder, out, jobs=2, lang="en", grade_one=misbehaving)
    assert sorted(again.graded) == ["bob", "carol"] and sorted(again.skipped) == ["alice", "dave"]
    assert sorted(calls()) == ["bob", "carol"]
    assert (out / "reports" / "bob.html").is_file() and (out / "results" / "carol.json").is_file()


def test_a_failing_progress_display_does_not_stop_the_batch(tmp_path):
    folder, out = _class(tmp_path, NORMAL), tmp_path / "out"

    def progress(key, status):
        raise BrokenPipeError("the terminal went away")

    summary = grade_class(folder, out, jobs=2, lang="en", grade_one=misbehaving, progress=progress)
    assert sorted(summary.graded) == NORMAL


def test_failure_texts_exist_in_both_languages():
    from grader.i18n import msg

    for status in RowStatus:
        if status.graded:
            continue
        for lang in ("en", "zh"):
            assert "{detail}" not in render(msg(f"batch.failed.{status.value}", detail="x"), lang)
