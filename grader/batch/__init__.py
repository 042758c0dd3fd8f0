"""Grade a whole class in parallel, resumably, whatever any one submission does.

A class folder holds one hand-in per student: a folder, a ``.py`` file, a notebook or
a ``.zip`` archive named by the student, or the files of an LMS download (Canvas,
Moodle); a roster maps hand-ins to student ids (:mod:`.intake`, :mod:`.roster`).
Each hand-in is read once, by the parent, into its snapshot
(:func:`grader.submission.take_snapshot`: no link followed, regular files only, caps);
its fingerprint decides whether it must be graded again, and workers grade that
snapshot, never the class folder. Snapshots are taken as workers become free, so
memory stays bounded by the number of workers. Submissions are graded by a local
pool of processes that knows which student each one is grading (:mod:`.pool`) or,
with ``dask=``, by a Dask cluster. The parent alone writes the gradebook (one
transaction per student) and every report, so a crash loses nothing already graded
and a re-run skips submissions whose content, grader and reports are unchanged.

One student's failure of any kind never stops or corrupts the others: a grader
exception, a grading process killed (the OOM killer) or broken, a student taking
longer than ``student_timeout`` each become that student's gradebook row with a
:class:`~grader.gradebook.status.RowStatus` saying why, and a report saying it to the
student; the next run grades that student again. SIGTERM and Ctrl-C stop the batch
at once, leave no worker behind, keep everything recorded so far, and
:class:`BatchStopped` says that a re-run resumes.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import itertools
import json
import os
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..fileio import write_atomic
from ..gradebook import Gradebook, Record
from ..gradebook.status import RowStatus
from ..sandbox.isolation import IsolationRefused, probe
from ..submission import Notice, Snapshot, take_snapshot
from ..untrusted import clean
from .intake import Entry, Intake, file_name, intake, stage
from .pool import DIED, ERROR, OK, TIMEOUT, Outcome, WorkerPool
from .roster import Roster, RosterError, read_roster

__all__ = ["BatchStopped", "BatchSummary", "Entry", "RosterError", "discover", "file_name", "grade_class",
           "grader_key", "intake", "read_roster"]

STUDENT_SECONDS = 600.0  # default limit for grading one student, everything included


class BatchStopped(Exception):
    """The batch was stopped by a signal; everything graded so far is recorded."""

    def __init__(self, signum: int, summary: BatchSummary):
        self.signum = signum
        self.summary = summary
        super().__init__(signal.Signals(signum).name)


@dataclass
class BatchSummary:
    graded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # key -> "status: detail" (graded again next run)
    intake: Intake | None = None


def discover(folder: Path | str, roster: Roster | None = None) -> list[Entry]:
    """One entry per hand-in (see :mod:`.intake`), sorted by key."""
    return intake(folder, roster).entries


def grader_key(solutions: Path | None, capstone: bool = True) -> str:
    """Changes when the grader or the reference changes, or the capstone stage is
    switched on or off: then everything is re-graded."""
    digest = hashlib.sha256(__version__.encode() + (b"" if capstone else b"\0no-capstone"))
    if solutions is not None:
        for path in sorted(Path(solutions).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(os.fsencode(path.relative_to(solutions).as_posix()) + path.read_bytes())
    return digest.hexdigest()[:12]


def _grade_one(student: str, snapshot: Snapshot, solutions: str | None, lang: str,
               allow_unisolated: bool = False, capstone: bool = True) -> dict:
    """Runs in a worker (a local process or a Dask worker): grade one submission from
    the snapshot the parent took and return everything to store. The parent alone
    reads the class folder and writes files, so workers on other machines need to
    read the solutions, never the submissions, and never write."""
    from ..api import grade
    from ..report.html import render_html
    from ..results.gradescope import to_gradescope

    result = grade(snapshot, solutions=solutions, student=student, allow_unisolated=allow_unisolated,
                   capstone=capstone)
    data = to_gradescope(result, lang)
    return {"student": student, "fingerprint": result.fingerprint, "score": data["score"],
            "max_score": data["extra_data"]["max_score"], "load_status": result.load_status,
            "isolation": result.isolation, "graded_at": result.graded_at, "seconds": result.seconds,
            "results": data, "html": render_html(result, lang)}


class _Recorder:
    """The parent's side of a batch: store each outcome as it arrives."""

    def __init__(self, book: Gradebook, key: str, out: Path, summary: BatchSummary, lang: str, official: bool,
                 progress: Callable[[str, str], None] | None) -> None:
        self.book, self.key, self.out, self.summary, self.progress = book, key, out, summary, progress
        self.lang, self.official = lang, official
        self.fingerprints: dict[str, str] = {}

    def paths(self, entry: Entry) -> tuple[Path, Path]:
        name = file_name(entry.key)
        return self.out / "results" / f"{name}.json", self.out / "reports" / f"{name}.html"

    def outcome(self, entry: Entry, outcome: Outcome, timeout: float | None) -> None:
        if outcome.status == OK:
            self.graded(entry, outcome.value)
        elif outcome.status == TIMEOUT:
            self.failed(entry, RowStatus.TIMEOUT, f"{timeout:g} s")
        elif outcome.status == DIED:
            self.failed(entry, RowStatus.WORKER_DIED, outcome.detail)
        else:
            assert outcome.status == ERROR
            self.failed(entry, RowStatus.GRADER_ERROR, outcome.detail)

    def graded(self, entry: Entry, rec: dict) -> None:
        results_path, report_path = self.paths(entry)
        write_atomic(results_path, json.dumps(rec["results"], ensure_ascii=False, indent=1))
        write_atomic(report_path, rec.pop("html"))
        # The row keeps the fingerprint this process decides on (the same function, so a
        # re-run compares like with like), whatever the worker reports.
        rec.update(student=entry.key, student_id=entry.student, source=entry.source,
                   fingerprint=self.fingerprints.get(entry.key, rec["fingerprint"]))
        self.book.record(Record(grader_key=self.key, **rec))
        self.summary.graded.append(entry.key)
        self._tell(entry.key, "graded")

    def failed(self, entry: Entry, status: RowStatus, detail: str) -> None:
        """A row and a report for a student whose grading failed; graded again next run."""
        from ..report.html import render_html
        from ..results import Result
        from ..results.gradescope import to_gradescope

        detail = clean(detail)[:300]
        now = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
        result = Result(student=entry.student, assignment=_assignment(), official=self.official, exercises=[],
                        notices=[Notice(f"batch.failed.{status.value}", {"detail": detail})],
                        fingerprint=self.fingerprints.get(entry.key, "-"), graded_at=now, version=__version__)
        data = to_gradescope(result, self.lang)
        results_path, report_path = self.paths(entry)
        write_atomic(results_path, json.dumps(data, ensure_ascii=False, indent=1))
        write_atomic(report_path, render_html(result, self.lang))
        self.book.record(Record(student=entry.key, fingerprint=result.fingerprint, grader_key=self.key, score=0.0,
                                max_score=0.0, load_status="not_graded", isolation="", graded_at=now, seconds=0.0,
                                results=data, status=status.value, detail=detail, source=entry.source,
                                student_id=entry.student))
        self.summary.failed[entry.key] = f"{status.value}: {detail}"
        self._tell(entry.key, "failed")

    def _tell(self, key: str, status: str) -> None:
        if self.progress is None:
            return
        try:
            self.progress(key, status)
        except OSError:  # the terminal went away (a closed pipe): grading goes on, silently
            self.progress = None


def _assignment() -> str:
    from ..api import ASSIGNMENT

    return ASSIGNMENT


def grade_class(
    folder: Path | str,
    out: Path | str,
    solutions: Path | str | None = None,
    jobs: int | None = None,
    lang: str = "zh",
    force: bool = False,
    progress: Callable[[str, str], None] | None = None,
    dask: str | None = None,
    roster: Roster | Path | str | None = None,
    roster_id: str | None = None,
    student_timeout: float | None = STUDENT_SECONDS,
    grade_one: Callable[..., dict] | None = None,
    allow_unisolated: bool = False,
    capstone: bool = True,
) -> BatchSummary:
    """Grade every hand-in of ``folder`` into ``out`` (gradebook, reports, results,
    ``intake.csv``).

    ``roster``: a roster CSV (or a read :class:`Roster`) mapping hand-ins to student ids;
    ``roster_id`` names the column holding the id grading uses. ``student_timeout``:
    seconds one student may take in all (None: no limit). ``dask`` runs the grading on
    a Dask cluster instead of local processes: a scheduler address
    (``tcp://host:8786``) or ``"local"`` for a local cluster of ``jobs`` workers; workers
    must see ``solutions`` at the same path (they are sent the snapshots, never read
    the class folder); only this process reads ``folder`` and writes ``out``.
    ``grade_one`` replaces the function that grades one submission in a worker (for
    tests and extensions; same signature as :func:`_grade_one`).

    Raises :class:`BatchStopped` on SIGTERM and lets KeyboardInterrupt through, both
    after stopping every worker; :class:`RosterError` for an unreadable roster;
    :class:`~grader.sandbox.isolation.IsolationRefused`, before anything is graded,
    for official grading where the child would not be isolated, unless
    ``allow_unisolated`` (each result then says the grade is not isolated).
    ``capstone=False`` skips the capstone stage (its items are then pending in every
    result; about 2-4 s of a worker per student otherwise)."""
    out = Path(out)
    solutions = Path(solutions).resolve() if solutions is not None else None
    if solutions is not None and not allow_unisolated:
        isolation = probe()
        if not isolation.isolated:
            raise IsolationRefused(isolation.level)
    if roster is not None and not isinstance(roster, Roster):
        roster = read_roster(roster, roster_id)
    key = grader_key(solutions, capstone)
    summary = BatchSummary()
    found = intake(folder, roster, staging=out / "intake")
    summary.intake = found
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / "intake.csv", found.report_csv())
    target = grade_one or _grade_one
    with Gradebook(out / "gradebook.sqlite") as book, _stop_on_sigterm(summary):
        if found.roster is not None:
            book.set_roster(found.roster.kind, found.roster.columns, found.roster.stored(),
                            {"implicit": found.roster.implicit})
        recorder = _Recorder(book, key, out, summary, lang, solutions is not None, progress)
        for entry in found.entries:
            remarks = stage(entry)
            if remarks:
                found.notes.setdefault(entry.key, []).extend(remarks)
        if any(found.notes.values()):
            write_atomic(out / "intake.csv", found.report_csv())
        by_key = {e.key: e for e in found.entries}
        extra = (str(solutions) if solutions else None, lang, allow_unisolated, capstone)
        tasks = _to_grade(found.entries, book, recorder, force, extra)
        if dask:
            _run_dask(tasks, by_key, recorder, target, jobs or os.cpu_count() or 1, dask)
            return summary
        pool = WorkerPool(jobs or os.cpu_count() or 1, target, student_timeout)
        pool.run(tasks, lambda k, outcome: recorder.outcome(by_key[k], outcome, student_timeout))
    return summary


def _to_grade(entries: list[Entry], book: Gradebook, recorder: _Recorder, force: bool,
              extra: tuple) -> Iterator[tuple[str, tuple]]:
    """The tasks ``(key, (student, snapshot, *extra))`` of the entries to grade, each
    snapshot taken when the pool asks for the next task (so only those being graded
    are held in memory); unchanged entries whose reports exist are skipped."""
    for entry in entries:
        snap = take_snapshot(entry.path)
        recorder.fingerprints[entry.key] = snap.fingerprint
        reports_exist = all(p.is_file() for p in recorder.paths(entry))
        if not force and reports_exist and book.is_current(entry.key, snap.fingerprint, recorder.key):
            recorder.summary.skipped.append(entry.key)
            recorder._tell(entry.key, "skipped")
        else:
            yield entry.key, (entry.student, snap, *extra)


class _stop_on_sigterm:
    """Within a batch, SIGTERM raises :class:`BatchStopped` in the main thread, so the
    pool is stopped and the gradebook closed as for Ctrl-C (a no-op off the main thread)."""

    def __init__(self, summary: BatchSummary) -> None:
        self.summary = summary
        self.previous: Any = None

    def _handler(self, signum: int, frame: Any) -> None:
        raise BatchStopped(signum, self.summary)

    def __enter__(self) -> _stop_on_sigterm:
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGTERM, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)


def _run_dask(tasks: Iterator[tuple[str, tuple]], by_key: dict[str, Entry], recorder: _Recorder,
              target: Callable[..., dict], jobs: int, scheduler: str) -> None:
    """The same batch on a Dask cluster (optional extra ``rnngrade[dask]``), at most
    two submissions per worker in flight (each carries its snapshot)."""
    try:
        from distributed import Client, LocalCluster
        from distributed import as_completed as dask_completed
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise RuntimeError("--dask needs the optional extra: pip install 'rnngrade[dask]'") from exc
    first = next(tasks, None)
    if first is None:
        return
    cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None) \
        if scheduler == "local" else None
    try:
        with Client(cluster if cluster is not None else scheduler) as client:
            window = 2 * max(jobs, len(client.scheduler_info().get("workers", {})))
            keys: dict = {}
            pending = dask_completed()

            def submit(task: tuple[str, tuple]) -> None:
                future = client.submit(target, *task[1], pure=False)
                keys[future] = task[0]
                pending.add(future)

            submit(first)
            for task in itertools.islice(tasks, window - 1):
                submit(task)
            for future in pending:
                entry = by_key[keys.pop(future)]
                try:
                    rec = future.result()
                except Exception as exc:  # noqa: BLE001 - a grader bug, or a worker lost: that student's row
                    lost = type(exc).__name__ in ("KilledWorker", "CommClosedError", "FutureCancelledError")
                    recorder.outcome(entry, Outcome(DIED if lost else ERROR,
                                                    detail=f"{type(exc).__name__}: {clean(str(exc))[:300]}"), None)
                else:
                    recorder.graded(entry, rec)
                for task in itertools.islice(tasks, 1):
                    submit(task)
    finally:
        if cluster is not None:
            cluster.close()
