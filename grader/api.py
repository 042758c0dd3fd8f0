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
from .checks.blocks import BlockServer
from .checks.engine import Exercise, run_exercises
from .checks.model import Context
from .experiments import run_experiments
from .quiz.grading import run_quiz
from .reference import load_reference
from .results import Result
from .sandbox.inprocess import InProcessCaller
from .sandbox.isolation import Isolation
from .sandbox.session import Limits, Sandbox
from .specs import all_exercises, wanted_functions
from .submission import prepare

ASSIGNMENT = "rnn-lstm"


def student_seed(student: str, assignment: str = ASSIGNMENT) -> int:
    """Seed of a student's hidden inputs: fixed by student id and assignment."""
    digest = hashlib.sha256(f"{assignment}\0{student}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


PUBLIC_SEED = student_seed("public")


def grade(
    submission: str | Path,
    solutions: str | Path | None = None,
    student: str = "anonymous",
    public: str | Path | None = None,
    exercises: list[Exercise] | None = None,
    limits: Limits | None = None,
    assignment: str = ASSIGNMENT,
    isolation: Isolation | None = None,
    trusted_in_process: bool = False,
    strict: bool = False,
) -> Result:
    """Grade ``submission`` (a .py file, a notebook or a folder).

    With ``solutions`` (a folder of reference modules) grading is official: value
    checks use inputs drawn from the student's seed and the reference's outputs.
    Without, only checks that need no reference run, plus the public cases stored
    in ``public`` (default: the project's ``exercises/``).

    ``trusted_in_process`` runs the code in this process instead of a sandbox
    (:class:`~grader.sandbox.inprocess.InProcessCaller`): only for code you trust,
    such as the reference and its mutants in tests. ``strict`` lets an exception
    inside a check or a probe propagate instead of being recorded (tests)."""
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
    caller = InProcessCaller if trusted_in_process else Sandbox
    sandbox = caller(prepared.root, prepared.modules, wanted_functions(exercises), limits, isolation)
    try:
        report = sandbox.start()
        result.isolation = sandbox.isolation.level
        result.load_status = report.status
        result.load_output = report.output
        result.load_errors = [dict(e, module=m["path"]) for m in report.modules for e in m["errors"]]
        seed = student_seed(student, assignment) if reference is not None else PUBLIC_SEED
        ctx = Context(sandbox, reference, seed, public_cases=cases, official=reference is not None,
                      blocks=BlockServer(reference).serve if reference is not None else None, strict=strict)
        result.exercises = run_exercises(exercises, ctx, report.functions)
        # Stages that need the live sandbox after the checks (experiments) go here.
        result.extras["experiments"] = run_experiments(ctx, sandbox.wanted)
        result.restarts = sandbox.restarts
    finally:
        sandbox.close()
        prepared.cleanup()
    # Stages that need no sandbox (the concept quiz) go here.
    run_quiz(result, submission, solutions=solutions, public=public, exercises=exercises)
    result.seconds = time.perf_counter() - start
    return result
