"""The library API: grade one submission. The CLI and the tests call this.

    result = grader.grade("examples/sample_submission", solutions="solutions")

Wiring only: prepare the submission, start the sandbox, run the exercise specs
with the reference (or the stored public cases), and return a :class:`Result`.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import time
from pathlib import Path

from . import __version__, public_cases, versions
from .capstone.stage import run_stage
from .checks.blocks import BlockServer
from .checks.engine import Exercise, run_exercises
from .checks.model import Context
from .course import public_folder
from .experiments import run_experiments
from .quiz.grading import run_quiz
from .reference import load_reference
from .results import Result
from .sandbox.inprocess import InProcessCaller
from .sandbox.isolation import Isolation, IsolationRefused, probe
from .sandbox.session import Limits, Sandbox
from .specs import all_exercises, wanted_functions
from .submission import Notice, Snapshot, prepare

ASSIGNMENT = "rnn-lstm"


def student_seed(student: str, assignment: str = ASSIGNMENT) -> int:
    """Seed of a student's hidden inputs: fixed by student id and assignment."""
    digest = hashlib.sha256(f"{assignment}\0{student}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


PUBLIC_SEED = student_seed("public")


def load_stopped_notice(status: str, where: str) -> Notice:
    """Where loading the submission stopped (a module or a notebook cell), and why."""
    key = status if status in ("timeout", "crashed", "output_limit") else "other"
    return Notice(f"load.stopped.{key}", {"where": where, "status": status})


def _note_isolation(result: Result, isolation: Isolation, allow_unisolated: bool) -> None:
    """Record the level the child actually ran at (Landlock may have failed in the
    child); an official grade that is not isolated is refused or says so."""
    result.isolation = isolation.level
    result.isolated = isolation.isolated
    if result.official and not isolation.isolated:
        if not allow_unisolated:
            raise IsolationRefused(isolation.level)
        result.notices.append(Notice("isolation.not_isolated", {"level": isolation.level}))


def grade(
    submission: str | Path | Snapshot,
    solutions: str | Path | None = None,
    student: str = "anonymous",
    public: str | Path | None = None,
    exercises: list[Exercise] | None = None,
    limits: Limits | None = None,
    assignment: str = ASSIGNMENT,
    isolation: Isolation | None = None,
    allow_unisolated: bool = False,
    trusted_in_process: bool = False,
    strict: bool = False,
    capstone: bool = True,
) -> Result:
    """Grade ``submission`` (a .py file, a notebook, a .zip or a folder; or its
    :class:`~grader.submission.Snapshot`, taken once by the caller, as a batch does).

    With ``solutions`` (a folder of reference modules) grading is official: value
    checks use inputs drawn from the student's seed and the reference's outputs.
    Without, only checks that need no reference run, plus the public cases stored
    in ``public`` (default: the course folder's ``exercises/``, see :mod:`grader.course`).

    Official grading refuses to run where the child would not be isolated (the
    portable level, see :mod:`grader.sandbox.isolation`) and raises
    :class:`~grader.sandbox.isolation.IsolationRefused`, unless the instructor passes
    ``allow_unisolated=True``; the result then says the grade is not isolated.

    ``trusted_in_process`` runs the code in this process instead of a sandbox
    (:class:`~grader.sandbox.inprocess.InProcessCaller`): only for code you trust,
    such as the reference and its mutants in tests. Asking for it is the explicit
    permission to grade unisolated (the result says the grade is not isolated).
    ``strict`` lets an exception inside a check or a probe propagate instead of
    being recorded (tests).

    ``capstone``: run the capstone stage (:mod:`grader.capstone.stage`: the student's
    sentiment model trained in the sandbox, about 2-4 s) after the checks, with the
    whole assignment or when ``exercises`` names it. On by default, in official
    grading (its items are points of the assignment) and in a self-check (the student
    sees the curves official grading will judge); ``False`` leaves its items pending
    and costs nothing."""
    start = time.perf_counter()
    allow_unisolated = allow_unisolated or trusted_in_process
    if not trusted_in_process:
        isolation = isolation or probe()
        if solutions is not None and not isolation.isolated and not allow_unisolated:
            raise IsolationRefused(isolation.level)
    exercises = exercises if exercises is not None else all_exercises()
    reference = load_reference(solutions) if solutions is not None else None
    public_dir = Path(public or public_folder())
    cases = None if reference is not None else public_cases.load(public_dir)
    prepared = prepare(submission)
    if reference is None and cases is None:
        # Said, not silent: without them a self-check runs no value check at all.
        prepared.notices.append(Notice("deploy.no_public_cases", {"folder": str(public_dir)}))
    result = Result(
        student=student, assignment=assignment, official=reference is not None, exercises=[],
        notices=list(prepared.notices), fingerprint=prepared.fingerprint, files=prepared.files,
        graded_at=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"), version=__version__,
        versions=versions.running(),
    )
    for name, version, declared in versions.outside_range(result.versions):
        result.notices.append(Notice("deploy.version_outside", {"name": name, "version": version,
                                                                "range": declared}))
    wanted = wanted_functions(exercises)
    if trusted_in_process:
        sandbox: Sandbox | InProcessCaller = InProcessCaller(prepared.root, prepared.modules, wanted)
    else:
        sandbox = Sandbox(prepared.root, prepared.modules, wanted, limits, isolation,
                          strict=solutions is not None and not allow_unisolated)
    try:
        report = sandbox.start()
        _note_isolation(result, sandbox.isolation, allow_unisolated)
        result.load_status = report.status
        result.load_output = report.output
        result.load_errors = [dict(e, module=m["path"]) for m in report.modules for e in m["errors"]]
        if not report.ok and report.where:
            result.notices.append(load_stopped_notice(report.status, report.where))
        seed = student_seed(student, assignment) if reference is not None else PUBLIC_SEED
        ctx = Context(sandbox, reference, seed, public_cases=cases, official=reference is not None,
                      blocks=BlockServer(reference).serve if reference is not None else None, strict=strict)
        result.exercises = run_exercises(exercises, ctx, report.functions)
        # Stages that need the live sandbox after the checks (experiments) go here.
        result.extras["experiments"] = run_experiments(ctx, sandbox.wanted)
        # The capstone last: the longest stage, so a child it loses costs nothing else.
        run_stage(result, ctx, exercises, enabled=capstone)
        result.restarts = sandbox.restarts
    finally:
        sandbox.close()
        prepared.cleanup()
    # Stages that need no sandbox (the concept quiz) go here.
    run_quiz(result, prepared.snapshot, solutions=solutions, public=public, exercises=exercises)
    result.seconds = time.perf_counter() - start
    return result
