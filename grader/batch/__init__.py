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

A batch grades one assignment of the course file (``assignment``; the gradebook
remembers which and refuses another). Each student is graded with their manual
adjustments from the gradebook and their hand-in time (``handed_in``: a source of
:mod:`grader.assignments.handins`), so the late penalty and the adjustments are in the
report and results.json; both are part of what decides whether a student is graded
again, so an adjustment made with ``rnngrade adjust`` reaches the report on the next
run. ``only`` grades some students again, whatever is recorded.

Over 400 lines: one job, grading a class (entries, fingerprints, the local pool or Dask,
recording each outcome, resuming); the intake, the roster, the pool and the summary are
their own modules.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import hashlib
import itertools
import json
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..assignments import handins
from ..assignments.config import Assignment
from ..assignments.handins import HandIn
from ..fileio import write_atomic
from ..gradebook import Gradebook, Record
from ..gradebook.status import RowStatus
from ..sandbox.isolation import IsolationRefused, probe
from ..seed import DEFAULT_ASSIGNMENT
from ..submission import Notice, Snapshot, take_snapshot
from ..untrusted import clean
from .intake import Entry, Intake, file_name, intake, stage
from .pool import DIED, ERROR, OK, TIMEOUT, Outcome, WorkerPool
from .roster import Roster, RosterError, read_roster

__all__ = ["BatchError", "BatchStopped", "BatchSummary", "CourseTask", "Entry", "RosterError", "discover",
           "file_name", "grade_class", "grader_key", "intake", "read_roster", "selected_keys"]

STUDENT_SECONDS = 600.0  # default limit for grading one student, everything included


class BatchError(Exception):
    """The batch cannot start: another assignment's gradebook, unknown ``only`` ids, an
    unreadable file of hand-in times. Said before anything is graded."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


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
    late: list[str] = field(default_factory=list)  # keys of hand-ins graded with a late penalty
    no_time: list[str] = field(default_factory=list)  # keys graded without a hand-in time (no penalty possible)
    not_graded: list[str] = field(default_factory=list)  # keys of hand-ins the roster does not know (no row)

    def failures(self) -> dict[str, int]:
        """How many rows failed, by status (``timeout``, ``worker_died``, ``grader_error``)."""
        counts: dict[str, int] = {}
        for why in self.failed.values():
            status = why.split(":", 1)[0]
            counts[status] = counts.get(status, 0) + 1
        return counts


def discover(folder: Path | str, roster: Roster | None = None) -> list[Entry]:
    """One entry per hand-in (see :mod:`.intake`), sorted by key."""
    return intake(folder, roster).entries


# What of the grader's own files shapes an output (its code, texts and templates).
_GRADER_SUFFIXES = (".py", ".toml", ".j2", ".css", ".js")


def grader_key(solutions: Path | None, assignment: Assignment | None = None, **options: Any) -> str:
    """Changes whenever a re-run would write different outputs for the same hand-in:
    the grader (its version, and its code, texts and templates, so a changed checkout
    counts even without a new version), the reference, the assignment's settings, and
    ``options``, everything else that shapes a report or results file (the language,
    whether an unisolated grade was allowed). A re-run then grades everything again."""
    from ..package_data import templates

    digest = hashlib.sha256(__version__.encode())
    for root in (Path(__file__).resolve().parents[1], templates()):
        for path in sorted(root.rglob("*")):
            if path.suffix in _GRADER_SUFFIXES and "__pycache__" not in path.parts and path.is_file():
                digest.update(os.fsencode(path.relative_to(root).as_posix()) + b"\0" + path.read_bytes())
    if solutions is not None:
        for path in sorted(Path(solutions).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(os.fsencode(path.relative_to(solutions).as_posix()) + path.read_bytes())
    if assignment is not None and not assignment.is_default:
        # One student's extension regrades that student only (CourseTask.key), not the class.
        digest.update(repr(dataclasses.replace(assignment, extensions={})).encode())
    digest.update(json.dumps(options, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:12]


@dataclass(frozen=True)
class CourseTask:
    """What a worker needs of the course to grade one student (plain, picklable data)."""

    assignment: Assignment
    adjustments: tuple[Any, ...] = ()  # grader.assignments.adjustments.Adjustment
    handed_in: HandIn | None = None
    aliases: tuple[str, ...] = ()  # the student's other ids in the roster (a quiz sheet made for one is theirs)

    def key(self, student: str, now: _dt.datetime | None = None) -> str:
        """What of it decides whether ``student``'s graded row is still current: the
        adjustments, the hand-in time, the student's due date, and whether that due date
        and the quiz's ``answers_after`` have passed (a report made before shows less),
        and the student's other ids (they decide whether a quiz sheet is graded)."""
        now = now or _dt.datetime.now(_dt.UTC)
        due = self.assignment.due_for(student)
        after = self.assignment.answers_after
        text = repr((sorted((a.id, a.scope, a.target, a.mode, a.value, a.comment) for a in self.adjustments),
                     self.handed_in.time.isoformat() if self.handed_in else "",
                     self.handed_in.source if self.handed_in else "",
                     due.isoformat() if due else "", bool(due and now >= due), bool(after and now >= after))
                    + ((sorted(self.aliases),) if self.aliases else ()))
        return hashlib.sha256(text.encode()).hexdigest()[:8]

    @property
    def carries(self) -> bool:
        """Anything a worker must be told (else it grades as without a course file)."""
        return (not self.assignment.is_default or bool(self.adjustments) or self.handed_in is not None
                or bool(self.aliases))


def _grade_one(student: str, snapshot: Snapshot, solutions: str | None, lang: str,
               allow_unisolated: bool = False, course: CourseTask | None = None,
               experiments: bool = False) -> dict[str, Any]:
    """Runs in a worker (a local process or a Dask worker): grade one submission from
    the snapshot the parent took and return everything to store. The parent alone
    reads the class folder and writes files, so workers on other machines need to
    read the solutions, never the submissions, and never write. ``course``: the
    assignment, the student's adjustments and hand-in time (a replacement of this
    function is handed it only when the batch has one). ``experiments``: run them too
    (for the report)."""
    from ..api import grade
    from ..assignments.stage import lateness_of, student_view
    from ..report.html import render_html
    from ..results.gradescope import gradescope_json
    from ..sandbox.prelaunch import discard, forked

    course = course or CourseTask(Assignment())
    launched = forked()  # forked by this worker's fork server, where it has one
    try:
        result = grade(snapshot, solutions=solutions, student=student, allow_unisolated=allow_unisolated,
                       assignment=course.assignment, handed_in=course.handed_in, adjustments=course.adjustments,
                       aliases=course.aliases, experiments=experiments, launched=launched)
    finally:
        discard(launched)
    data, text = gradescope_json(result, lang)
    late = any(line.get("kind") == "late" for line in result.adjustments)
    found = lateness_of(course.assignment, student, course.handed_in) if result.official else None
    return {"student": student, "fingerprint": result.fingerprint, "score": data["score"],
            "max_score": data["extra_data"]["max_score"], "load_status": result.load_status,
            "isolation": result.isolation, "graded_at": result.graded_at, "seconds": result.seconds,
            "results": data, "results_json": text, "html": render_html(student_view(result), lang),
            "handed_in": result.handed_in,
            "lateness": found.to_dict() if found is not None else None, "late": late,
            "result": result.to_dict()}


class _Recorder:
    """The parent's side of a batch: store each outcome as it arrives."""

    def __init__(self, book: Gradebook, key: str, out: Path, summary: BatchSummary, lang: str, official: bool,
                 progress: Callable[[str, str], None] | None, assignment: str = "") -> None:
        self.book, self.key, self.out, self.summary, self.progress = book, key, out, summary, progress
        self.lang, self.official, self.assignment = lang, official, assignment
        self.fingerprints: dict[str, str] = {}
        self.keys: dict[str, str] = {}  # entry key -> the grader key its row is recorded with

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

    def graded(self, entry: Entry, rec: dict[str, Any]) -> None:
        results_path, report_path = self.paths(entry)
        # The worker's text of the results (the same dict, compact), or one made here
        # (a replacement of _grade_one, a Dask worker of an older grader).
        text = rec.pop("results_json", None)
        if not isinstance(text, str):
            text = json.dumps(rec["results"], ensure_ascii=False, separators=(",", ":"))
        write_atomic(results_path, text)
        write_atomic(report_path, rec.pop("html"))
        # The row keeps the fingerprint this process decides on (the same function, so a
        # re-run compares like with like), whatever the worker reports.
        rec.update(student=entry.key, student_id=entry.student, source=entry.source,
                   fingerprint=self.fingerprints.get(entry.key, rec["fingerprint"]),
                   report=report_path.relative_to(self.out).as_posix())
        if rec.pop("late", False):
            self.summary.late.append(entry.key)
        self.book.record(Record(grader_key=self.keys.get(entry.key, self.key), results_text=text, **rec))
        self.summary.graded.append(entry.key)
        self._tell(entry.key, "graded")

    def failed(self, entry: Entry, status: RowStatus, detail: str) -> None:
        """A row and a report for a student whose grading failed; graded again next run."""
        from ..report.html import render_html
        from ..results import Result
        from ..results.gradescope import to_gradescope

        detail = clean(detail)[:300]
        now = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
        result = Result(student=entry.student, assignment=self.assignment or DEFAULT_ASSIGNMENT,
                        official=self.official, exercises=[],
                        notices=[Notice(f"batch.failed.{status.value}", {"detail": detail})],
                        fingerprint=self.fingerprints.get(entry.key, "-"), graded_at=now, version=__version__)
        data = to_gradescope(result, self.lang)
        results_path, report_path = self.paths(entry)
        write_atomic(results_path, json.dumps(data, ensure_ascii=False, separators=(",", ":")))
        write_atomic(report_path, render_html(result, self.lang))
        self.book.record(Record(student=entry.key, fingerprint=result.fingerprint, grader_key=self.key, score=0.0,
                                max_score=0.0, load_status="not_graded", isolation="", graded_at=now, seconds=0.0,
                                results=data, status=status.value, detail=detail, source=entry.source,
                                student_id=entry.student, result=result.to_dict(),
                                report=report_path.relative_to(self.out).as_posix()))
        self.summary.failed[entry.key] = f"{status.value}: {detail}"
        self._tell(entry.key, "failed")

    def _tell(self, key: str, status: str) -> None:
        if self.progress is None:
            return
        try:
            self.progress(key, status)
        except OSError:  # the terminal went away (a closed pipe): grading goes on, silently
            self.progress = None


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
    grade_one: Callable[..., dict[str, Any]] | None = None,
    allow_unisolated: bool = False,
    assignment: Assignment | None = None,
    only: Sequence[str] | None = None,
    handed_in: str | Path = handins.LMS,
    timezone: _dt.tzinfo | None = None,
    grade_unmatched: bool = False,
    capstone: bool | None = None,
    experiments: bool = False,
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
    tests and extensions; same signature as :func:`_grade_one`, which is handed its
    ``course`` argument only when the batch has an assignment, an adjustment or a
    hand-in time to pass on).

    ``assignment``: the course file's assignment to grade (default: the whole course);
    ``only``: grade these students again (gradebook keys or student ids), and no other;
    ``handed_in``: where hand-in times come from (``lms``, ``mtime``, ``none`` or a CSV
    file, :mod:`grader.assignments.handins`; read only when the assignment has a due
    date), ``timezone`` for times written without an offset.

    With a roster, a hand-in it does not know is reported (``summary.not_graded``,
    ``intake.csv``) and not graded, since any id made up for it would draw another
    student's quiz variant and hidden inputs; ``grade_unmatched`` grades it under its
    own name all the same. ``experiments`` runs the experiments for every student (drawn
    in the reports; they score nothing and cost about a fifth of a grade, so a batch
    leaves them out unless asked). A matched student's other ids in the roster
    (:meth:`~.roster.Roster.aliases`) are passed to grading as aliases: a quiz sheet
    made under one of them is the student's own.

    Raises :class:`BatchStopped` on SIGTERM and lets KeyboardInterrupt through, both
    after stopping every worker; :class:`RosterError` for an unreadable roster, or one
    that matches none of the hand-ins (after writing ``intake.csv``);
    :class:`BatchError`, before anything is graded, for a gradebook of another
    assignment, ids in ``only`` that name no hand-in or one the roster does not know
    (without ``grade_unmatched``), or an unreadable file of times;
    :class:`~grader.sandbox.isolation.IsolationRefused`, before anything is graded,
    for official grading where the child would not be isolated, unless
    ``allow_unisolated`` (each result then says the grade is not isolated).
    ``capstone``: run the capstone's training stage for every student (about 2-4 s of a
    worker each), or not; ``None`` (the default) as the assignment says (its
    ``capstone`` setting, off unless the course file turns it on). It becomes the
    assignment's setting, so switching it changes the grader key and re-grades everyone."""
    out = Path(out)
    solutions = Path(solutions).resolve() if solutions is not None else None
    if solutions is not None and not allow_unisolated:
        isolation = probe()
        if not isolation.isolated:
            raise IsolationRefused(isolation.level)
    if roster is not None and not isinstance(roster, Roster):
        roster = read_roster(roster, roster_id)
    assignment = assignment or Assignment()
    if capstone is not None and capstone != assignment.capstone:
        assignment = dataclasses.replace(assignment, capstone=capstone)
    if assignment.due is None and str(handed_in) not in (handins.LMS, handins.NONE):
        raise BatchError([f"--handed-in {handed_in}: the assignment {assignment.name!r} has no due date, so hand-in "
                          "times decide nothing (set due in course.toml)"])
    _check_gradebook(out / "gradebook.sqlite", assignment.name)
    key = grader_key(solutions, assignment, lang=lang, allow_unisolated=allow_unisolated,
                     **({"experiments": True} if experiments else {}))
    summary = BatchSummary()
    found = intake(folder, roster, staging=out / "intake")
    summary.intake = found
    selected = selected_keys(found.entries, only)
    times = _hand_in_times(found, handed_in, timezone) if assignment.due is not None else {}
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / "intake.csv", found.report_csv(grade_unmatched))
    problems = found.roster_problems()
    if problems:
        raise RosterError(problems)
    entries = found.to_grade(grade_unmatched)
    graded_keys = {e.key for e in entries}
    summary.not_graded = [e.key for e in found.entries if e.key not in graded_keys]
    if selected is not None and selected - graded_keys:  # a regrade of nothing would look like one done
        raise BatchError([f"--only: {key!r} is not in the roster, so it is not graded (--grade-unmatched grades it "
                          "under its own name)" for key in sorted(selected - graded_keys)])
    target = grade_one or (functools.partial(_grade_one, experiments=True) if experiments else _grade_one)
    with Gradebook(out / "gradebook.sqlite") as book, _stop_on_sigterm(summary):
        book.set_assignment(assignment.name)
        if found.roster is not None:
            book.set_roster(found.roster.kind, found.roster.columns, found.roster.stored(),
                            {"implicit": found.roster.implicit})
        recorder = _Recorder(book, key, out, summary, lang, solutions is not None, progress, assignment.name)
        for entry in entries:
            remarks = stage(entry)
            if remarks:
                found.notes.setdefault(entry.key, []).extend(remarks)
        if any(found.notes.values()):
            write_atomic(out / "intake.csv", found.report_csv(grade_unmatched))
        entries = [e for e in entries if selected is None or e.key in selected]
        if assignment.due is not None and assignment.late is not None:
            summary.no_time = [e.key for e in entries if e.key not in times]
        by_key = {e.key: e for e in entries}
        extra = (str(solutions) if solutions else None, lang, allow_unisolated)
        aliases = found.roster.aliases() if found.roster is not None and not found.roster.implicit else {}
        unmatched = set(found.unmatched)  # graded under their own names (--grade-unmatched): nobody's aliases
        courses = {e.key: CourseTask(assignment, tuple(book.adjustments(e.key)), times.get(e.key),
                                     aliases.get(e.student, ()) if e.key not in unmatched else ())
                   for e in entries}
        tasks = _to_grade(entries, book, recorder, force or selected is not None, extra, courses)
        if dask:
            _run_dask(tasks, by_key, recorder, target, jobs or os.cpu_count() or 1, dask)
            return summary
        pool = WorkerPool(jobs or os.cpu_count() or 1, target, student_timeout, zygote=True)
        pool.run(tasks, lambda k, outcome: recorder.outcome(by_key[k], outcome, student_timeout))
    return summary


def _check_gradebook(path: Path, assignment: str) -> None:
    """A gradebook holds one assignment's grades: refuse to mix another's into it."""
    if not path.is_file():
        return
    with Gradebook(path) as book:
        recorded = book.assignment()
        if recorded is None and book.students():
            recorded = DEFAULT_ASSIGNMENT  # graded before gradebooks recorded their assignment
    if recorded is not None and recorded != assignment:
        raise BatchError([f"{path} holds the grades of assignment {recorded!r}, not {assignment!r}: give another "
                          f"--out for {assignment!r}"])


def selected_keys(entries: list[Entry], only: Sequence[str] | None) -> set[str] | None:
    """The keys of the entries ``only`` names (by key or by student id)."""
    if only is None:
        return None
    keys = {e.key for e in entries}
    by_student: dict[str, list[str]] = {}
    for e in entries:
        by_student.setdefault(e.student, []).append(e.key)
    chosen: set[str] = set()
    unknown = []
    for name in only:
        if name in keys:
            chosen.add(name)
        elif name in by_student:
            chosen.update(by_student[name])
        else:
            unknown.append(name)
    if unknown:
        import difflib

        problems = []
        for u in unknown:
            close = difflib.get_close_matches(u, sorted(keys), n=2)
            problems.append(f"--only: no hand-in of {u!r} in the class folder"
                            + (f" (did you mean {', '.join(close)}?)" if close else ""))
        raise BatchError(problems)
    return chosen


def _hand_in_times(found: Intake, source: str | Path, tz: _dt.tzinfo | None) -> dict[str, HandIn]:
    """Entry key -> hand-in time, from the chosen source (see :mod:`grader.assignments.handins`)."""
    source = str(source)
    if source == handins.NONE:
        return {}
    if source == handins.MTIME:
        out = {}
        for e in found.entries:
            when = handins.newest_mtime([p for p, _, _ in e.stage] if e.stage else [e.path])
            if when is not None:
                out[e.key] = HandIn(when, handins.MTIME)
        return out
    if source == handins.LMS:
        rows = {s.student: s.row for s in found.roster.students} if found.roster is not None else {}
        out = {}
        for e in found.entries:
            when = handins.lms_time(rows.get(e.student, {}), tz)
            if when is not None:
                out[e.key] = HandIn(when, handins.LMS)
        return out
    try:
        by_id = handins.read_times(source, tz)
    except handins.HandinTimesError as exc:
        raise BatchError(exc.problems) from None
    return {e.key: by_id.get(e.key) or by_id[e.student] for e in found.entries if e.key in by_id or e.student in by_id}


def _to_grade(entries: list[Entry], book: Gradebook, recorder: _Recorder, force: bool,
              extra: tuple[Any, ...], courses: dict[str, CourseTask]) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """The tasks ``(key, (student, snapshot, *extra[, course]))`` of the entries to grade,
    each snapshot taken when the pool asks for the next task (so only those being graded
    are held in memory); an entry is skipped when its content, the grader and its
    options (:func:`grader_key`), its course task (:meth:`CourseTask.key`) and the id it
    is graded as are unchanged and its reports exist."""
    for entry in entries:
        snap = take_snapshot(entry.path)
        recorder.fingerprints[entry.key] = snap.fingerprint
        course = courses[entry.key]
        key = f"{recorder.key}.{course.key(entry.student)}" if course.carries else recorder.key
        recorder.keys[entry.key] = key
        reports_exist = all(p.is_file() for p in recorder.paths(entry))
        if not force and reports_exist and book.is_current(entry.key, snap.fingerprint, key, entry.student):
            recorder.summary.skipped.append(entry.key)
            recorder._tell(entry.key, "skipped")
        else:
            yield entry.key, (entry.student, snap, *extra, *([course] if course.carries else []))


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


def _run_dask(tasks: Iterator[tuple[str, tuple[Any, ...]]], by_key: dict[str, Entry], recorder: _Recorder,
              target: Callable[..., dict[str, Any]], jobs: int, scheduler: str) -> None:
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
            keys: dict[str, Any] = {}
            pending = dask_completed()

            def submit(task: tuple[str, tuple[Any, ...]]) -> None:
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
