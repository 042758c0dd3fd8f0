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

from . import __version__, paths, public_cases
from .checks.engine import Exercise, run_exercises
from .checks.model import Context
from .experiments import run_experiments
from .quiz.grading import run_quiz
from .reference import load_reference
from .results import Result
from .sandbox.isolation import Isolation
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


def grade(
    submission: str | Path | Snapshot,
    solutions: str | Path | None = None,
    student: str = "anonymous",
    public: str | Path | None = None,
    exercises: list[Exercise] | None = None,
    limits: Limits | None = None,
    assignment: str = ASSIGNMENT,
    isolation: Isolation | None = None,
) -> Result:
    """Grade ``submission`` (a .py file, a notebook, a .zip or a folder; or its
    :class:`~grader.submission.Snapshot`, taken once by the caller, as a batch does).

    With ``solutions`` (a folder of reference modules) grading is official: value
    checks use inputs drawn from the student's seed and the reference's outputs.
    Without, only checks that need no reference run, plus the public cases stored
    in ``public`` (default: the project's ``exercises/``)."""
    start = time.perf_counter()
    exercises = exercises if exercises is not None else all_exercises()
    reference = load_reference(solutions) if solutions is not None else None
    cases = None if reference is not None else public_cases.load(Path(public or paths.EXERCISES))
    prepared = prepare(submission)
    result = Result(
        student=student, assignment=assignment, official=reference is not None, exercises=[],
        notices=list(prepared.notices), fingerprint=prepared.fingerprint, files=prepared.files,
        graded_at=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"), version=__version__,
    )
    sandbox = Sandbox(prepared.root, prepared.modules, wanted_functions(exercises), limits, isolation)
    try:
        report = sandbox.start()
        result.isolation = sandbox.isolation.level
        result.load_status = report.status
        result.load_output = report.output
        result.load_errors = [dict(e, module=m["path"]) for m in report.modules for e in m["errors"]]
        if not report.ok and report.where:
            result.notices.append(load_stopped_notice(report.status, report.where))
        seed = student_seed(student, assignment) if reference is not None else PUBLIC_SEED
        ctx = Context(sandbox, reference, seed, public_cases=cases, official=reference is not None)
        result.exercises = run_exercises(exercises, ctx, report.functions)
        # Stages that need the live sandbox after the checks (experiments) go here.
        result.extras["experiments"] = run_experiments(ctx, sandbox.wanted)
        result.restarts = sandbox.restarts
    finally:
        sandbox.close()
        prepared.cleanup()
    # Stages that need no sandbox (the concept quiz) go here.
    run_quiz(result, prepared.snapshot, solutions=solutions, public=public, exercises=exercises)
    result.seconds = time.perf_counter() - start
    return result
