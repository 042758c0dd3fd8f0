"""Grade a whole class in parallel, resumably.

A class folder holds one entry per student: a folder, a ``.py`` file or a notebook,
named by the student id. Submissions are graded by a local process pool (each worker
imports numpy and the grader once) or, with ``dask=``, by a Dask cluster. The parent
alone writes the gradebook (one transaction per student) and every report, so a
crash loses nothing already graded and a re-run skips submissions whose content and
grader are unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..fileio import write_atomic
from ..gradebook import Gradebook, Record
from ..submission import SKIP_DIRS, fingerprint


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
    """One entry per student: sub-folders, ``.py`` files and notebooks, sorted."""
    entries = []
    for path in sorted(Path(folder).iterdir()):
        if path.name.startswith(".") or path.name in SKIP_DIRS:
            continue
        if path.is_dir() or path.suffix in (".py", ".ipynb"):
            entries.append(Entry(path.stem if path.is_file() else path.name, path))
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


def _grade_one(student: str, path: str, solutions: str | None, lang: str) -> dict:
    """Runs in a worker (a local process or a Dask worker): grade one submission and
    return everything to store. The parent alone writes files, so workers on other
    machines need to read the submissions and solutions, never to write."""
    from ..api import grade
    from ..report.html import render_html
    from ..results.gradescope import to_gradescope

    result = grade(path, solutions=solutions, student=student)
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
) -> BatchSummary:
    """Grade every submission in ``folder`` into ``out`` (gradebook, reports, results).

    ``dask`` runs the grading on a Dask cluster instead of local processes: a
    scheduler address (``tcp://host:8786``) or ``"local"`` for a local cluster of
    ``jobs`` workers. Workers must see ``folder`` and ``solutions`` at the same paths
    (a shared file system); only this process writes ``out``."""
    out = Path(out)
    solutions = Path(solutions).resolve() if solutions is not None else None
    key = grader_key(solutions)
    summary = BatchSummary()
    todo: list[Entry] = []
    with Gradebook(out / "gradebook.sqlite") as book:
        for entry in discover(folder):
            if not force and book.is_current(entry.student, fingerprint(entry.path), key):
                summary.skipped.append(entry.student)
                if progress:
                    progress(entry.student, "skipped")
            else:
                todo.append(entry)
        jobs = max(1, jobs or os.cpu_count() or 1)
        recorder = _Recorder(book, key, out, summary, progress)
        sol = str(solutions) if solutions else None
        if dask:
            if todo:
                _run_dask(todo, recorder, sol, lang, jobs, dask)
            return summary
        while todo:
            left = _run_pool(todo, recorder, sol, lang, jobs)
            jobs = max(1, jobs - 1) if left else jobs
            todo = left
    return summary


def _run_pool(todo: list[Entry], recorder: _Recorder, solutions: str | None, lang: str, jobs: int) -> list[Entry]:
    """Grade ``todo``; returns the entries still to do if a worker died (pool rebuilt)."""
    remaining = {e.student: e for e in todo}
    try:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(_grade_one, e.student, str(e.path), solutions, lang): e for e in todo}
            for future in as_completed(futures):
                entry = futures[future]
                try:
                    rec = future.result()
                except BrokenProcessPool:
                    raise
                except Exception as exc:  # a grader bug on one submission: report, go on
                    recorder.failed(entry.student, f"{type(exc).__name__}: {exc}")
                else:
                    recorder.graded(rec)
                remaining.pop(entry.student, None)
    except BrokenProcessPool:
        # A worker process died (not a submission: those run in their own sandbox).
        # Re-run what is left in a fresh pool, one fewer than before.
        left = list(remaining.values())
        if jobs == 1:
            for e in left:
                recorder.failed(e.student, "worker process died")
            return []
        return left
    return []


def _run_dask(todo: list[Entry], recorder: _Recorder, solutions: str | None, lang: str, jobs: int,
              scheduler: str) -> None:
    """The same batch on a Dask cluster (optional extra ``rnngrade[dask]``)."""
    try:
        from distributed import Client, LocalCluster
        from distributed import as_completed as dask_completed
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise RuntimeError("--dask needs the optional extra: pip install 'rnngrade[dask]'") from exc
    cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None) \
        if scheduler == "local" else None
    try:
        with Client(cluster if cluster is not None else scheduler) as client:
            futures = {client.submit(_grade_one, e.student, str(e.path), solutions, lang, pure=False): e
                       for e in todo}
            for future in dask_completed(list(futures)):
                entry = futures[future]
                try:
                    rec = future.result()
                except Exception as exc:  # a grader bug, or a worker lost: report, go on
                    recorder.failed(entry.student, f"{type(exc).__name__}: {exc}")
                else:
                    recorder.graded(rec)
    finally:
        if cluster is not None:
            cluster.close()
