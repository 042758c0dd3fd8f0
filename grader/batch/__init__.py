"""Grade a whole class in parallel, resumably.

A class folder holds one entry per student: a folder, a ``.py`` file, a notebook or a
``.zip``, named by the student id. Each is read once, by the parent, into its
snapshot (:mod:`grader.submission`); workers grade the snapshot. Submissions are
graded by a local process pool (each worker imports numpy and the grader once) or,
with ``dask=``, by a Dask cluster. The parent alone writes the gradebook (one
transaction per student) and every report, so a crash loses nothing already graded
and a re-run skips submissions whose content and grader are unchanged.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import stat
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..fileio import write_atomic
from ..gradebook import Gradebook, Record
from ..sandbox.isolation import IsolationRefused, probe
from ..submission import SKIP_DIRS, Snapshot, take_snapshot

_HAND_IN = (".py", ".ipynb", ".zip")  # single-file hand-ins, named by their stem


@dataclass(frozen=True)
class Entry:
    student: str
    path: Path


@dataclass
class BatchSummary:
    graded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # grader failures (retried on the next run)


def discover(folder: Path | str) -> list[Entry]:
    """One entry per student: sub-folders, ``.py`` files, notebooks and ``.zip``
    hand-ins, sorted. Only the class folder itself is listed (no submission's content
    is read here), and a link is listed too, so that it gets a row and a report that
    say it was not followed rather than silently vanishing."""
    entries = []
    for path in sorted(Path(folder).iterdir()):
        if path.name.startswith(".") or path.name in SKIP_DIRS:
            continue
        mode = path.lstat().st_mode
        if path.suffix in _HAND_IN and not stat.S_ISDIR(mode):  # a file, or a link, FIFO... named like one
            entries.append(Entry(path.stem, path))
        elif stat.S_ISDIR(mode) or stat.S_ISLNK(mode):
            entries.append(Entry(path.name, path))
    return entries


def grader_key(solutions: Path | None) -> str:
    """Changes when the grader or the reference changes: then everything is re-graded."""
    digest = hashlib.sha256(__version__.encode())
    if solutions is not None:
        for path in sorted(Path(solutions).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(path.relative_to(solutions).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def _safe_name(student: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in student)[:100] or "_"


def _grade_one(student: str, snapshot: Snapshot, solutions: str | None, lang: str,
               allow_unisolated: bool = False) -> dict:
    """Runs in a worker (a local process or a Dask worker): grade one submission from
    the snapshot the parent took and return everything to store. The parent alone
    reads the class folder and writes files, so workers on other machines need to
    read the solutions, never the submissions, and never write."""
    from ..api import grade
    from ..report.html import render_html
    from ..results.gradescope import to_gradescope

    result = grade(snapshot, solutions=solutions, student=student, allow_unisolated=allow_unisolated)
    data = to_gradescope(result, lang)
    return {"student": student, "fingerprint": result.fingerprint, "score": data["score"],
            "max_score": data["extra_data"]["max_score"], "load_status": result.load_status,
            "isolation": result.isolation, "graded_at": result.graded_at, "seconds": result.seconds,
            "results": data, "html": render_html(result, lang)}


class _Recorder:
    """The parent's side of a batch: store each graded submission as it arrives."""

    def __init__(self, book: Gradebook, key: str, out: Path, summary: BatchSummary,
                 progress: Callable[[str, str], None] | None) -> None:
        self.book, self.key, self.out, self.summary, self.progress = book, key, out, summary, progress

    def graded(self, rec: dict) -> None:
        name = _safe_name(rec["student"])
        write_atomic(self.out / "results" / f"{name}.json",
                     json.dumps(rec["results"], ensure_ascii=False, indent=1))
        write_atomic(self.out / "reports" / f"{name}.html", rec.pop("html"))
        self.book.record(Record(grader_key=self.key, **rec))
        self.summary.graded.append(rec["student"])
        if self.progress:
            self.progress(rec["student"], "graded")

    def failed(self, student: str, why: str) -> None:
        self.summary.failed[student] = why
        if self.progress:
            self.progress(student, "failed")


def grade_class(
    folder: Path | str,
    out: Path | str,
    solutions: Path | str | None = None,
    jobs: int | None = None,
    lang: str = "zh",
    force: bool = False,
    progress: Callable[[str, str], None] | None = None,
    dask: str | None = None,
    allow_unisolated: bool = False,
) -> BatchSummary:
    """Grade every submission in ``folder`` into ``out`` (gradebook, reports, results).

    Each submission is read once, here, into its snapshot: its fingerprint decides
    whether it must be graded again, and the same snapshot is what the worker grades
    (a few at a time, so memory stays bounded by the number of workers).

    ``dask`` runs the grading on a Dask cluster instead of local processes: a
    scheduler address (``tcp://host:8786``) or ``"local"`` for a local cluster of
    ``jobs`` workers. Workers must see ``solutions`` at the same path; only this
    process reads ``folder`` and writes ``out``. Official grading where the child
    would not be isolated raises :class:`~grader.sandbox.isolation.IsolationRefused`
    before anything is graded, unless ``allow_unisolated``."""
    out = Path(out)
    solutions = Path(solutions).resolve() if solutions is not None else None
    if solutions is not None and not allow_unisolated and not probe().isolated:
        raise IsolationRefused(probe().level)
    key = grader_key(solutions)
    summary = BatchSummary()
    with Gradebook(out / "gradebook.sqlite") as book:
        jobs = max(1, jobs or os.cpu_count() or 1)
        recorder = _Recorder(book, key, out, summary, progress)
        work = _to_grade(discover(folder), book, key, force, summary, progress)
        args = (str(solutions) if solutions else None, lang, allow_unisolated)
        if dask:
            _run_dask(work, recorder, args, jobs, dask)
            return summary
        retry: list[Work] = []
        while True:
            retry = _run_pool(itertools.chain(retry, work), recorder, args, jobs)
            if not retry:
                break
            if jobs == 1:  # the worker died again: the submissions it held fail, the rest go on
                for item in retry:
                    recorder.failed(item.entry.student, "worker process died")
                retry = []
            jobs = max(1, jobs - 1)
    return summary


@dataclass(frozen=True)
class Work:
    entry: Entry
    snapshot: Snapshot


def _to_grade(entries: list[Entry], book: Gradebook, key: str, force: bool, summary: BatchSummary,
              progress: Callable[[str, str], None] | None) -> Iterator[Work]:
    """Snapshot each entry when its turn comes; skip the unchanged ones."""
    for entry in entries:
        snap = take_snapshot(entry.path)
        if not force and book.is_current(entry.student, snap.fingerprint, key):
            summary.skipped.append(entry.student)
            if progress:
                progress(entry.student, "skipped")
        else:
            yield Work(entry, snap)


def _run_pool(work: Iterator[Work], recorder: _Recorder, args: tuple, jobs: int) -> list[Work]:
    """Grade ``work``, at most two submissions per worker in flight; returns the ones
    in flight if a worker process died (the caller rebuilds the pool)."""
    in_flight: dict[Future, Work] = {}
    unsent: list[Work] = []
    try:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            while True:
                for item in itertools.islice(work, 2 * jobs - len(in_flight)):
                    try:
                        future = pool.submit(_grade_one, item.entry.student, item.snapshot, *args)
                    except BrokenProcessPool:
                        unsent.append(item)
                        raise
                    in_flight[future] = item
                if not in_flight:
                    return []
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    item = in_flight.pop(future)
                    try:
                        rec = future.result()
                    except BrokenProcessPool:
                        in_flight[future] = item
                        raise
                    except Exception as exc:  # a grader bug on one submission: report, go on
                        recorder.failed(item.entry.student, f"{type(exc).__name__}: {exc}")
                    else:
                        recorder.graded(rec)
    except BrokenProcessPool:
        # A worker process died (not a submission: those run in their own sandbox).
        return list(in_flight.values()) + unsent


def _run_dask(work: Iterator[Work], recorder: _Recorder, args: tuple, jobs: int, scheduler: str) -> None:
    """The same batch on a Dask cluster (optional extra ``rnngrade[dask]``)."""
    try:
        from distributed import Client, LocalCluster
        from distributed import as_completed as dask_completed
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise RuntimeError("--dask needs the optional extra: pip install 'rnngrade[dask]'") from exc
    first = next(work, None)
    if first is None:
        return
    cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None) \
        if scheduler == "local" else None
    try:
        with Client(cluster if cluster is not None else scheduler) as client:
            window = 2 * max(jobs, len(client.scheduler_info().get("workers", {})))
            items: dict = {}
            pending = dask_completed()

            def submit(item: Work) -> None:
                future = client.submit(_grade_one, item.entry.student, item.snapshot, *args, pure=False)
                items[future] = item
                pending.add(future)

            submit(first)
            for item in itertools.islice(work, window - 1):
                submit(item)
            for future in pending:
                item = items.pop(future)
                try:
                    rec = future.result()
                except Exception as exc:  # a grader bug, or a worker lost: report, go on
                    recorder.failed(item.entry.student, f"{type(exc).__name__}: {exc}")
                else:
                    recorder.graded(rec)
                for more in itertools.islice(work, 1):
                    submit(more)
    finally:
        if cluster is not None:
            cluster.close()
