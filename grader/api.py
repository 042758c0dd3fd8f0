"""The library API: grade one submission. The CLI and the tests call this.

    result = grader.grade("examples/sample_submission", solutions="solutions")

Wiring only: prepare the submission, start the sandbox, run the exercise specs
with the reference (or the stored public cases), and return a :class:`Result`.
"""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__, public_cases, versions
from . import split as _split
from .assignments import stage as course_stage
from .assignments.adjustments import Adjustment
from .assignments.config import Assignment
from .assignments.handins import HandIn
from .assignments.material import assignment_exercises, quiz_selection
from .capstone.stage import run_stage
from .checks import causes
from .checks.blocks import BlockServer
from .checks.engine import Exercise, finish, run_exercises
from .checks.model import Context, Kind
from .course import public_folder
from .quiz.grading import quiz_exercise
from .quiz.stage import QuizPart, apply_quiz, quiz_stage, wants_quiz
from .reference import load_reference
from .results import Result
from .results.selfcheck import reword
from .sandbox.isolation import Isolation, IsolationRefused, probe
from .sandbox.session import Limits, Sandbox
from .seed import DEFAULT_ASSIGNMENT, PUBLIC_SEED, inputs_seed, student_seed  # noqa: F401 - student_seed: re-exported
from .specs import wanted_functions
from .submission import Notice, Snapshot, prepare
from .submission.lines import locate

if TYPE_CHECKING:  # the in-process caller (tests only) loads the child's harness: imported when asked for
    from .sandbox.inprocess import InProcessCaller

# The seed and the assignment's identity live in a ground-floor module (grader.seed);
# their names here are kept for the callers that import them from the API.
ASSIGNMENT = DEFAULT_ASSIGNMENT


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


def _loaded(isolation: Isolation, functions: dict[str, list[str]]) -> tuple[Any, ...]:
    """What a child made of the submission: the functions it found, its isolation level.
    The split's helper must load the same in its own child, or its share is graded here."""
    return sorted((k, list(v)) for k, v in functions.items()), isolation.level, isolation.isolated


def _close_launched(launched: Sandbox) -> None:
    """Stop a launched child that this grade does not use, and the second one launched with it."""
    if launched.second is not None:
        launched.second.close()
    launched.close()


# Each experiment's time on the sample (ms, bubblewrap, development machine): a split grade
# hands the longest out first. Only an order; an experiment missing here goes last.
_EXPERIMENT_COSTS = {"initialisation": 22.0, "clipping": 16.0, "gradient_flow": 10.0}  # ms, measured


def _experiment_jobs(wanted: list[str]) -> list[tuple[str, Callable[[Context], dict[str, Any]]]]:
    """The experiments :func:`~grader.experiments.run_experiments` runs, one job each, by
    id (independent of each other: a split grade shares them out between its two children)."""
    from .experiments import experiment_ids, run_experiments

    def job(eid: str) -> Callable[[Context], dict[str, Any]]:
        return lambda on: run_experiments(on, wanted, only=(eid,))[0]

    return [(eid, job(eid)) for eid in experiment_ids(wanted)]


def _second_child(first: Sandbox) -> Callable[[], tuple[Sandbox, dict[str, list[str]], tuple[Any, ...]]]:
    """What the split's helper runs (grader.split): a second child on the submission
    ``first`` loads, at its level and with its limits; returned started, with the
    functions it found and what it loaded (:func:`_loaded`), which the parent compares
    with its own. The child launched with ``first`` (``first.second``), where there is
    one: the helper finds it ready; otherwise a new one."""

    def start() -> tuple[Sandbox, dict[str, list[str]], tuple[Any, ...]]:
        spare, other = first.second, None  # launched with ``first`` (grader.sandbox.prelaunch): ready by now
        if spare is not None and spare.alive:
            try:
                spare.take_over()  # the parent launched it: this process talks to it from now on
                other = spare
            except OSError:  # no pidfd (Linux before 5.3): a child of this process's own instead
                pass
        if other is None:
            other = Sandbox(first.root, first.modules, first.wanted, first.limits, first.isolation,
                            strict=first.strict)
        other.modules, other.wanted, other.limits, other.strict = first.modules, first.wanted, first.limits, \
            first.strict
        try:
            report = other.start()
            if not report.ok:
                raise RuntimeError(f"the second child did not load the submission: {report.status}")
        except BaseException:
            other.close()
            raise
        return other, report.functions, _loaded(other.isolation, report.functions)

    return start


def grade(
    submission: str | Path | Snapshot,
    solutions: str | Path | None = None,
    student: str = "anonymous",
    public: str | Path | None = None,
    exercises: list[Exercise] | None = None,
    limits: Limits | None = None,
    assignment: str | Assignment = ASSIGNMENT,
    isolation: Isolation | None = None,
    allow_unisolated: bool = False,
    trusted_in_process: bool = False,
    strict: bool = False,
    handed_in: HandIn | None = None,
    adjustments: Sequence[Adjustment] = (),
    aliases: Sequence[str] = (),
    capstone: bool | None = None,
    experiments: bool = False,
    launched: Sandbox | None = None,
    split: bool = False,
    idle: Callable[[], Any] | None = None,
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

    ``aliases`` are the student's other ids (a roster's e-mail or account beside the id
    grading uses; Gradescope's e-mail beside its student id): a quiz sheet made for one
    of them is graded against the variant it was made for, and one made for an id that
    is not the student's is refused (see :func:`grader.quiz.grading.sheet_variants`).

    ``experiments``: run the experiments (:mod:`grader.experiments`), which only the
    HTML report shows (they score nothing). Off unless asked: a caller that writes a
    report asks for them (the CLI with ``--html``, a batch with ``--experiments``);
    one that writes none (Gradescope's results, the validation of a course, most
    tests) saves their time.

    ``launched``: a child the caller started before (:mod:`grader.sandbox.prelaunch`),
    its folder still empty; used when it runs at the level this grade would use,
    otherwise stopped. The caller still discards it afterwards.

    ``assignment`` is an assignment of the course file (:mod:`grader.assignments`): its
    exercises (unless ``exercises`` is given) and quiz questions are graded, its name and
    the term salt seed the hidden inputs and the quiz variant, and its weights, visibility,
    late policy and the manual ``adjustments`` apply (``handed_in``: when the submission was
    handed in). A name alone is an assignment with everything and no course settings,
    which is what grading without a course file is.

    ``capstone``: run the capstone's training stage (:mod:`grader.capstone.stage`: the
    student's sentiment model trained in the sandbox, a few seconds) after the checks,
    when the assignment holds the capstone. Off by default (``None``: as the assignment
    says, its course-file setting ``capstone = true``; ``True`` / ``False`` decide here):
    off, the stage's items are not part of the grade at all (nor of its maximum); the
    report says in one line that it was not run and how to run it. The capstone's layer
    exercises are graded either way.

    ``split``: where two cores are usable and not oversubscribed (:func:`grader.split.wanted`), grade a share of
    the exercises in a forked helper with a second sandboxed child while this process
    grades the rest (:mod:`grader.split`); the grade is the same. For a command that grades
    one submission: a batch already keeps every core busy. ``idle``: the caller's own work
    that needs nothing of the grade (importing what writes its reports), done while this
    process would wait for the helper, if it does."""
    start = time.perf_counter()
    spec = assignment if isinstance(assignment, Assignment) else Assignment(name=assignment)
    allow_unisolated = allow_unisolated or trusted_in_process
    if not trusted_in_process:
        isolation = isolation or probe()
        if solutions is not None and not isolation.isolated and not allow_unisolated:
            raise IsolationRefused(isolation.level)
    quiz_wanted = wants_quiz(exercises) if exercises is not None else spec.questions != ()
    exercises = exercises if exercises is not None else assignment_exercises(spec)
    reference = load_reference(solutions) if solutions is not None else None
    public_dir = Path(public or public_folder())
    cases = None if reference is not None else public_cases.load(public_dir)
    if launched is not None and (trusted_in_process or launched.isolation != isolation or not launched.alive):
        _close_launched(launched)
        launched = None
    prepared = prepare(submission, root=launched.root if launched is not None else None)
    if launched is not None and prepared.root != launched.root:
        _close_launched(launched)
        launched = None
    wanted = wanted_functions(exercises)
    if launched is not None:
        # Told now what to load, and sent it: the child loads the submission while this
        # process makes the result, the context and the split; start() waits for the report.
        launched.modules, launched.wanted = prepared.modules, wanted
        launched.limits = limits or Limits()
        launched.strict = solutions is not None and not allow_unisolated
        if launched.second is not None and (not split or not launched.second.alive
                                            or launched.second.isolation != launched.isolation):
            launched.second.close()  # not split: a core given back at once
            launched.second = None
        # (Not the split's helper's child: its request names the helper's own uid, made there.
        # Nor a child forked by a batch worker's fork server: a worker has nothing to overlap
        # with its load, and its children's start stays as the isolation tests know it.)
        if not launched.forked:
            launched.send_load()
    if reference is None and cases is None:
        # Said, not silent: without them a self-check runs no value check at all.
        prepared.notices.append(Notice("deploy.no_public_cases", {"folder": str(public_dir)}))
    result = Result(
        student=student, assignment=spec.name, official=reference is not None, exercises=[],
        notices=list(prepared.notices), fingerprint=prepared.fingerprint, files=prepared.files,
        graded_at=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"), version=__version__,
        versions=versions.running(), submission=str(prepared.source),
    )
    for name, version, declared in versions.outside_range(result.versions):
        result.notices.append(Notice("deploy.version_outside", {"name": name, "version": version,
                                                                "range": declared}))
    if trusted_in_process:
        from .sandbox.inprocess import InProcessCaller

        sandbox: Sandbox | InProcessCaller = InProcessCaller(prepared.root, prepared.modules, wanted)
    elif launched is not None:  # started while this process prepared, and loading by now (above)
        sandbox = launched
    else:
        sandbox = Sandbox(prepared.root, prepared.modules, wanted, limits, isolation,
                          strict=solutions is not None and not allow_unisolated)
    splitter: _split.Split | None = None
    helper_restarts = 0

    def quiz() -> QuizPart:
        """The quiz stage (a pure function of the snapshot): it needs no sandbox."""
        return quiz_stage(result.student, prepared.snapshot, solutions, public,
                          [quiz_exercise()] if quiz_wanted else [], identity=spec.identity,
                          selection=quiz_selection(spec), aliases=tuple(a for a in aliases if a and a != student),
                          assignment=result.assignment)

    quizzed: list[QuizPart] = []

    def waiting() -> None:
        """What this process does while it would wait for the split's helper: the quiz,
        then the caller's ``idle``."""
        quizzed.append(quiz())
        if idle is not None:
            idle()

    try:
        seed = (inputs_seed(spec.identity.seed(student), prepared.fingerprint) if reference is not None
                else PUBLIC_SEED)
        ctx = Context(sandbox, reference, seed, public_cases=cases, official=reference is not None,
                      blocks=BlockServer(reference) if reference is not None else None, strict=strict)
        if split and isinstance(sandbox, Sandbox) and _split.wanted():
            # The same grade over two processes (grader.split): the helper is forked now, so
            # that its own child starts while this one loads the submission.
            jobs = _experiment_jobs(sandbox.wanted) if experiments else None
            splitter = _split.Split(exercises, ctx, _second_child(sandbox),
                                    experiments=None if jobs is None else [job for _, job in jobs],
                                    ready=sandbox.second is not None,
                                    experiment_costs=[_EXPERIMENT_COSTS.get(eid, 0.0) for eid, _ in jobs or []])
        spare = sandbox.second if isinstance(sandbox, Sandbox) else None
        if spare is not None:
            if splitter is not None and splitter.split:
                spare.hand_over()  # the helper talks to it now; stopped and collected at the end
            else:
                spare.close()  # not split: its core given back at once
        report = sandbox.start()
        _note_isolation(result, sandbox.isolation, allow_unisolated)
        result.load_status = report.status
        result.load_output = report.output
        result.load_errors = locate([dict(e, module=m["path"]) for m in report.modules for e in m["errors"]],
                                    prepared.snapshot, prepared.modules)
        if not report.ok and report.where:
            result.notices.append(load_stopped_notice(report.status, report.where))
        for cell in getattr(report, "skipped", []):
            result.notices.append(Notice("load.skipped_cell", {"where": cell}))
        if splitter is not None and report.ok:
            splitter.grade_mine(report.functions, _loaded(sandbox.isolation, report.functions), waiting)
            result.exercises = splitter.merge(waiting)
            if experiments:
                result.extras["experiments"] = splitter.experiments
            helper_restarts = splitter.helper_restarts
            finish(result.exercises, ctx)
            causes.explain_lost(result.checks, result.load_errors)
        else:
            if splitter is not None:  # nothing loaded: nothing to share
                splitter.close()
            result.exercises = run_exercises(exercises, ctx, report.functions)
            causes.explain_lost(result.checks, result.load_errors)
            # Stages that need the live sandbox after the checks (experiments) go here.
            if experiments:
                from .experiments import run_experiments

                result.extras["experiments"] = run_experiments(ctx, sandbox.wanted)
        # The capstone last: the longest stage, so a child it loses costs nothing else.
        run_stage(result, ctx, exercises, enabled=spec.capstone if capstone is None else capstone)
        result.restarts = sandbox.restarts + helper_restarts
    finally:
        spare = sandbox.second if isinstance(sandbox, Sandbox) else None
        if launched is not None and sandbox is launched:
            # The caller discards it (grader.sandbox.prelaunch.discard): both children are
            # sent SIGKILL now, torn down by the kernel while this process finishes (the
            # quiz, the caller's reports), and collected with the helper at the discard.
            sandbox.stop()
            if spare is not None:
                spare.stop()
            if splitter is not None:
                sandbox.at_close(splitter.close)
        else:
            if splitter is not None:
                splitter.close()
            if spare is not None:
                spare.close()  # after the helper that talked to it has ended
            sandbox.close()
        prepared.cleanup()
    # Stages that need no sandbox (the concept quiz) go here (made earlier where this
    # process waited for the split's helper).
    apply_quiz(result, quizzed[0] if quizzed else quiz())
    if not result.official:
        reword(result)  # it compared with the public cases, and says so
        result.official_max = official_maximum(exercises, public_dir, spec, quiz=quiz_wanted)
    # Last, the course's weights, visibility, late penalty and adjustments.
    course_stage.apply(result, spec, handed_in, adjustments)
    result.seconds = time.perf_counter() - start
    return result


def official_maximum(exercises: list[Exercise], public: Path, assignment: Assignment | None = None,
                     quiz: bool = True) -> float | None:
    """The most an official grade of ``exercises`` can give for ``assignment`` (default:
    the whole assignment, no weights): the specs' points and, when the ``quiz`` is graded,
    the assignment's questions from the public bank, with the assignment's weights. A
    self-check's total leaves out what only the reference grades. None when the bank
    cannot be read."""
    from .checks.policy import weighted
    from .quiz import QUIZ_EXERCISE
    from .quiz.bank import BankError, load_bank

    assignment = assignment if assignment is not None else Assignment()
    weights = assignment.weights
    total = 0.0
    for ex in exercises:
        if ex.name == QUIZ_EXERCISE:
            continue
        items = [(kind, points) for check in ex.checks for kind, points in check.points_by_kind().items()]
        factors = weights.factors(ex.name, items) if weights else [1.0] * len(items)
        total += sum(weighted(p, f) for (_, p), f in zip(items, factors, strict=True))
    if quiz and (public / "quiz").is_dir():
        try:
            bank = quiz_selection(assignment).apply(load_bank(public / "quiz", with_key=False))
        except (BankError, KeyError):
            return None
        items = [(Kind.QUIZ, q.points) for q in bank.questions]
        factors = weights.factors(QUIZ_EXERCISE, items) if weights else [1.0] * len(items)
        total += sum(weighted(p, f) for (_, p), f in zip(items, factors, strict=True))
    return round(total, 4)
