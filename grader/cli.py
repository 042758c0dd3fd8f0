"""The ``rnngrade`` command: a thin layer over the library API.

Each subcommand parses options, calls one library function and prints.

Over 400 lines: one job, the command surface (25 commands, each a few lines of option
parsing over a library call). To be split into a package by command group once the
report and speed branches, which both edit it now, are merged.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Any

import click

from . import __version__
from .i18n import LANGS, default_lang, msg, render

# Every command that reads course material takes --course (see grader/course.py).
course_option = click.option(
    "--course", "course_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
    help="Course folder (with exercises/ and, for instructors, solutions/). Default: $RNNGRADE_COURSE, else the "
         "current folder or its nearest parent that has one, else the default course bundled with rnngrade.")


def _course(course_dir: Path | None):
    from .course import CourseError, locate

    try:
        return locate(course_dir)
    except CourseError as exc:
        raise click.UsageError(str(exc)) from exc


# Every command that grades, releases or exports for one assignment takes --assignment
# (grader/assignments: the course file, course.toml, in the course folder).
assignment_option = click.option(
    "--assignment", "assignment_name", default=None, metavar="NAME", envvar="RNNGRADE_ASSIGNMENT",
    help="The assignment of the course file (course.toml in the course folder) to use: its exercises, questions, "
         "weights and dates. Default: $RNNGRADE_ASSIGNMENT, else the course file's only assignment (without a course "
         "file: the whole course, as always).")


class ProblemList(click.ClickException):
    """Problems found before anything is done (a malformed course file, no such assignment,
    a batch that cannot start): every problem, one per line; exit status 2."""

    exit_code = 2

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(problems))

    def show(self, file=None) -> None:  # noqa: ANN001 - click's signature
        for problem in self.problems:  # each already says where (the file, the key)
            click.echo(click.style(problem, fg="red"), file=file, err=file is None)


def _assignment(course, name: str | None, solutions: Path | None = None):
    """The assignment ``name`` of the course's course file (or the default assignment)."""
    from .assignments import CourseFileError
    from .assignments.material import assignment_of

    try:
        return assignment_of(course, name, solutions)
    except CourseFileError as exc:
        raise ProblemList(exc.problems) from None


def _assignment_or_whole(course, name: str | None, solutions: Path | None = None):
    """For generate and validate: the assignment ``name``; without a name, the course
    file's only assignment, or the whole course (every exercise and question: the
    instructor's exercises/) when it has several."""
    from .assignments import CourseFileError
    from .assignments.config import Assignment
    from .assignments.material import course_file_of

    try:
        course_file = course_file_of(course, solutions)  # checked even when the whole course is meant
        if name is None and len(course_file.assignments) > 1:
            return Assignment()
        return course_file.assignment(name)
    except CourseFileError as exc:
        raise ProblemList(exc.problems) from None


class _Silent:
    """A progress bar that shows nothing (see :func:`_progress`)."""

    def __enter__(self) -> _Silent:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def update(self, steps: int) -> None:
        pass


def _progress(length: int, label: str, err: bool = False, **options):
    """A progress bar on a terminal, on stdout (or stderr with ``err``); nothing at all
    when that stream is a file or a pipe (a CI log), where a bar's label would land, out
    of place and without its line, among the command's other lines."""
    stream = sys.stderr if err else sys.stdout
    if not stream.isatty():
        return _Silent()
    return click.progressbar(length=length, label=label, file=stream, **options)


def _need(course, what: str) -> Path:
    from .course import CourseError

    try:
        return course.need_solutions() if what == "solutions" else course.need_folder()
    except CourseError as exc:
        raise click.UsageError(str(exc)) from exc


def _printers():
    """(style of stdout, echo, fail) for this run's terminals: echo prints to stdout,
    fail to stderr in red; colour only on a terminal and never with NO_COLOR, marks
    and text the output encoding can carry (grader.report.terminal.Style)."""
    from .report.terminal import style_for

    out, err = style_for(sys.stdout), style_for(sys.stderr)

    def echo(text: str) -> None:
        click.echo(out.fit(text), color=out.color)

    def fail(text: str) -> None:
        click.echo(err.fit(err.paint(text, fg="red")), err=True, color=err.color)

    return out, echo, fail


class _Main(click.Group):
    """The command group; run as a program (no ``args`` given: the command line), a
    command that has written everything leaves without the interpreter's teardown
    (:mod:`grader.quick_exit`). A test's ``CliRunner`` passes ``args`` and keeps the
    ordinary exit."""

    def main(self, args: Any = None, *rest: Any, **kwargs: Any) -> Any:
        if args is not None or not kwargs.get("standalone_mode", True):
            return super().main(args, *rest, **kwargs)
        from . import quick_exit

        quick_exit.as_program()
        try:
            return super().main(args, *rest, **kwargs)
        except SystemExit as exc:
            if quick_exit.requested() and quick_exit.possible():
                quick_exit.leave(exc.code)
            raise


@click.group(cls=_Main, help="Auto-grader for the RNN/LSTM course unit: grade submissions, "
                             "generate the student release, write reports.")
@click.version_option(__version__, prog_name="rnngrade")
def main() -> None:
    pass


@main.command(help="Grade one submission (a .py file, a notebook, a .zip or a folder; default: the course's "
                   "exercises/). Without --solutions this is a self-check with public checks only; with it, "
                   "official grading against the reference on inputs drawn for --student.")
@click.argument("submission", required=False, type=click.Path(path_type=Path))
@click.option("--sample", is_flag=True,
              help="Grade the sample submission bundled with rnngrade (student `sample`) instead of SUBMISSION.")
@course_option
@click.option("--solutions", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of reference solutions (instructors and CI only).")
@click.option("--results", "results_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write Gradescope-format results.json here.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the HTML feedback report here.")
@click.option("--lang", type=click.Choice(LANGS), default=None,
              help="Language of the feedback (default: from the locale).")
@click.option("--student", default=None,
              help="Student id; seeds the hidden inputs of official grading and decides the quiz variant (default: "
                   "the id on the submission's answer sheet, else anonymous, which official grading warns about; with "
                   "--sample: sample).")
@click.option("--junit", "junit_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write JUnit XML here (for CI systems that display test reports).")
@click.option("--classroom", "classroom_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write results for GitHub Classroom's autograding reporter (see docs/ci.md); "
                   "inside GitHub Actions the base64 form is added to $GITHUB_OUTPUT as `result`.")
@click.option("-v", "--verbose", is_flag=True, help="List passed checks too.")
@click.option("--allow-unisolated", is_flag=True,
              help="Grade officially even where only the portable sandbox level exists (the child could then read "
                   "the reference); the results say the grade is not isolated.")
@click.option("--alias", "aliases", multiple=True, metavar="ID",
              help="Another id of the same student (repeatable; e.g. the e-mail beside the student number): a quiz "
                   "sheet made for it is graded against the variant it was made for, as a batch does with a roster's "
                   "other ids. A sheet made for any other id is refused.")
@assignment_option
@click.option("--handed-in", "handed_in", default=None, metavar="TIME",
              help="When the submission was handed in (ISO 8601, e.g. 2025-03-09T08:00:00+08:00): the assignment's "
                   "late policy applies to official grading (see docs/course.md).")
@click.option("--capstone/--no-capstone", "capstone", default=None,
              help="Run the capstone's training stage (a few seconds: your sentiment model trained with your layers, "
                   "its curves in the report and its training points in the grade), or not. Default: as the "
                   "assignment says (course file: capstone = true), else off.")
def grade(submission: Path | None, sample: bool, course_dir: Path | None, solutions: Path | None,
          results_path: Path | None, html_path: Path | None, lang: str | None, student: str | None,
          junit_path: Path | None, classroom_path: Path | None, verbose: bool, allow_unisolated: bool,
          aliases: tuple[str, ...], assignment_name: str | None, handed_in: str | None,
          capstone: bool | None) -> None:
    from .sandbox.prelaunch import discard, take
    from .split import wanted as split_wanted

    # The sandboxed child starts first and gets ready while this process imports the
    # grader and reads the course and the submission (grader/sandbox/prelaunch.py); where
    # the grade will be split over two cores (grader/split.py), the helper's child too.
    # Run as the program (grader.entry), they were launched before the command line was.
    launched = take(second=split_wanted())
    click.get_current_context().call_on_close(lambda: discard(launched))
    from .api import grade as grade_submission
    from .assignments.stage import student_view
    from .report.terminal import nothing_graded, summary
    from .sandbox.isolation import ConfinementError, IsolationRefused
    from .untrusted import clean

    lang = lang or default_lang()
    style, echo, fail = _printers()
    course = _course(course_dir)
    assignment = _assignment(course, assignment_name, solutions)
    handin = _handed_in(handed_in, course, solutions)
    if sample:
        if submission is not None:
            raise click.UsageError("give either SUBMISSION or --sample, not both")
        from .package_data import sample_submission

        submission, student = sample_submission(), student or "sample"
    elif submission is None:
        _need(course, "folder")  # a self-check of the bundled stubs would grade nothing
        submission = course.exercises
    elif not submission.exists() and not submission.is_symlink():  # a typo: say so, and where the exercises are
        folder = None if course.bundled else course.exercises
        fail(render(msg("feedback.tty.did_you_mean" if folder else "feedback.tty.not_found",
                        path=clean(str(submission)), folder=str(folder)), lang))
        sys.exit(2)
    from .identity import identify
    from .submission import take_snapshot

    snapshot = take_snapshot(submission)  # read once: its answer sheet may hold the only id
    who = identify(snapshot, student)
    _settle_collector()
    try:
        result = grade_submission(snapshot, solutions=solutions, student=who.student,
                                  public=course.exercises, allow_unisolated=allow_unisolated, assignment=assignment,
                                  handed_in=handin, aliases=aliases,
                                  experiments=html_path is not None,  # only the HTML report shows them
                                  launched=launched, capstone=capstone,
                                  split=True,  # two cores for one grade where there are (grader/split.py)
                                  idle=_report_imports(results_path, html_path))
    except IsolationRefused as exc:
        fail(render(exc.message(), lang))
        sys.exit(2)
    except ConfinementError as exc:
        fail(render(msg("isolation.confinement_failed", reason=clean(str(exc))), lang))
        sys.exit(2)
    notice = who.notice(official=solutions is not None)
    if notice is not None:  # an official grade whose id nobody gave: said in the results and here
        result.notices.append(notice)
        fail(render(msg(notice.key, **notice.params), lang))
    echo(summary(result, lang, verbose, style))
    if results_path:
        from .results.gradescope import write_results

        write_results(result, results_path, lang)
        echo(render(msg("report.written", path=str(results_path)), lang))
    shown = student_view(result)  # what the student may see now: items after the due date held back
    if html_path:
        from .report.html import write_html

        write_html(shown, html_path, lang)
        echo(render(msg("report.written", path=str(html_path)), lang))
    if junit_path:
        from .results.junit import write_junit

        write_junit(shown, junit_path, lang)
        echo(render(msg("report.written", path=str(junit_path)), lang))
    if classroom_path:
        import os

        from .results.classroom import write_classroom

        encoded = write_classroom(shown, classroom_path, lang)
        if os.environ.get("GITHUB_OUTPUT"):
            with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as f:
                f.write(f"result={encoded}\n")
        echo(render(msg("report.written", path=str(classroom_path)), lang))
    from . import quick_exit

    if quick_exit.is_program():
        # Everything is written: a Ctrl-C now could only interrupt the children's and the
        # folders' clean-up (and turn a finished grade into "Aborted!").
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    quick_exit.request()  # the process may leave without its teardown
    if nothing_graded(result):  # the reports are written (a 0); the exit status says nothing was graded
        sys.exit(1)


def _settle_collector() -> None:
    """Run as the program, a grade starts with Python's cyclic garbage collector off
    (grader.entry: its start is imports, which make no garbage worth a collection): here,
    before grading, everything made so far (the modules, the course, the snapshot) lives
    until the exit, so it is frozen out of every later collection (``gc.freeze``) and
    the collector turned on again. A full collection otherwise walked all of it in the
    middle of the report (~14 ms of the command's 0.5 s). In a test's ``CliRunner`` the
    collector is on, and nothing is done."""
    import gc

    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def _report_imports(results_path: Path | None, html_path: Path | None):
    """What the grade may do while it waits for its split's helper: import the modules
    that write the reports asked for (the same imports as below, done earlier), and load
    the report's templates."""
    def imports() -> None:
        if results_path:
            import grader.results.gradescope  # noqa: F401
        if html_path:
            from .report.html import warm

            warm()
    return imports


@main.command(help="Write the student release (stubs and public test cases) from the solutions; with --assignment, "
                   "that assignment's public cases and questions only (without it, a course file with several "
                   "assignments gets the whole course).")
@course_option
@click.option("--solutions", default=None, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Reference solutions (default: the course's solutions/).")
@click.option("--out", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="Target folder (default: the course's exercises/).")
@assignment_option
@click.option("--force", is_flag=True,
              help="Overwrite files that hold work (implemented functions, changed notebook cells) and delete files "
                   "generate no longer makes, the quiz answer sheet included. Without it, nothing of that is touched.")
def generate(course_dir: Path | None, solutions: Path | None, out: Path | None, assignment_name: str | None,
             force: bool) -> None:
    from .assignments.material import assignment_exercises, quiz_selection
    from .generate import StudentWorkError
    from .generate import generate as generate_release

    lang = default_lang()
    _, echo, fail = _printers()
    course = _course(course_dir)
    if out is None:
        _need(course, "folder")
    source, target = solutions or _need(course, "solutions"), out or course.exercises
    assignment = _assignment_or_whole(course, assignment_name, source)
    try:
        release = generate_release(source, target, assignment_exercises(assignment), quiz_selection(assignment),
                                   force=force)
    except StudentWorkError as exc:
        files = "; ".join(f"{rel} ({', '.join(names[:4])}{', ...' if len(names) > 4 else ''})"
                          for rel, names in exc.files.items())
        fail(render(msg("feedback.generate.refused", folder=str(target), files=files), lang))
        sys.exit(1)
    echo(render(msg("generate.written", n=len(release.written), out=str(target), solutions=str(source)), lang))
    for name in release.written:
        echo(f"  {name}")
    if release.kept:
        echo(render(msg("feedback.generate.kept", files=", ".join(release.kept)), lang))


@main.command(help="Check the assignment before release: the reference earns full marks, the stubs "
                   "nothing, every graded function exists, and exercises/ is what `generate` makes (for --assignment "
                   "NAME: that assignment's exercises, questions and weights).")
@course_option
@click.option("--solutions", default=None, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Reference solutions (default: the course's solutions/).")
@click.option("--exercises", default=None, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The student release to check (default: the course's exercises/).")
@assignment_option
@click.option("--lang", type=click.Choice(LANGS), default=None, help="Language of the output (default: locale).")
def validate(course_dir: Path | None, solutions: Path | None, exercises: Path | None, assignment_name: str | None,
             lang: str | None) -> None:
    from .validate import validate as validate_assignment

    lang = lang or default_lang()
    course = _course(course_dir)
    if exercises is None:
        _need(course, "folder")
    solutions = solutions or _need(course, "solutions")
    assignment = _assignment_or_whole(course, assignment_name, solutions)
    problems = validate_assignment(solutions, exercises or course.exercises, assignment=assignment)
    for p in problems:
        click.echo(click.style("✘ " + render(getattr(p, "message", p), lang), fg="red"))
    if problems:
        sys.exit(1)
    click.echo(click.style("✔ " + render(msg("validate.consistent"), lang), fg="green"))


@main.command(help="Grade a whole class: every sub-folder, .py file, notebook or .zip of CLASS_DIR is one "
                   "student (named by it, or mapped by --roster; Canvas and Moodle download names are understood). "
                   "Runs in parallel, records a SQLite gradebook in OUT, writes each student's report and "
                   "results.json and OUT/intake.csv, and skips what is already graded (resumable: after Ctrl-C "
                   "or a crash, run it again). Exit status: 0 when every hand-in has its row (rows whose grading "
                   "failed included, listed as warnings), 1 when hand-ins the roster does not know were not graded, "
                   "2 when the batch could not run. See docs/batch.md.")
@click.argument("class_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--solutions", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of reference solutions.")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder: gradebook.sqlite, reports/, results/, intake.csv.")
@click.option("-j", "--jobs", type=int, default=None, help="Parallel workers (default: all cores).")
@click.option("--lang", type=click.Choice(LANGS), default=None, help="Language of the reports.")
@click.option("--force", is_flag=True, help="Re-grade everything, even unchanged submissions.")
@click.option("--roster", "roster_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Class roster CSV: Canvas's gradebook export, Moodle's grading worksheet, GitHub Classroom's roster "
                   "or assignment grades, or a CSV with an id column (and optionally name, handin, login); recognised "
                   "by its header. Hand-ins are graded as the roster's students (see docs/batch.md).")
@click.option("--roster-id", default=None, metavar="COLUMN",
              help="The roster column holding the student id grading uses (default: see docs/batch.md).")
@click.option("--student-timeout", type=float, default=600.0, show_default=True, metavar="SECONDS",
              help="Longest one student may take in all; beyond it that student's row says so.")
@click.option("--dask", "dask_scheduler", default=None, metavar="ADDRESS",
              help="Grade on a Dask cluster (scheduler address, or 'local'); needs rnngrade[dask]. Workers are "
                   "sent each submission's snapshot; they must see the solutions folder at the same path.")
@click.option("--allow-unisolated", is_flag=True,
              help="Grade even where only the portable sandbox level exists (see `grade --help`).")
@click.option("--grade-unmatched", is_flag=True,
              help="With --roster, also grade hand-ins the roster does not know, under their own names (their quiz "
                   "variants and hidden inputs are then not the students'). By default they are reported, not graded.")
@course_option
@assignment_option
@click.option("--only", multiple=True, metavar="ID",
              help="Grade only this student again (a gradebook key or a student id; repeatable), whatever is "
                   "recorded: a regrade. The others are left as they are.")
@click.option("--handed-in", "handed_in", default="lms", show_default=True, metavar="SOURCE",
              help="Where hand-in times come from, for the assignment's late policy: lms (Moodle's worksheet as the "
                   "roster), mtime (the hand-in's newest file), none, or a CSV file with id and time columns. "
                   "See docs/course.md.")
@click.option("--capstone/--no-capstone", "capstone", default=None,
              help="Run the capstone's training stage for every student (about 2-4 s of a worker each), or not. "
                   "Default: as the assignment says (course file: capstone = true), else off; off, its items are no "
                   "part of the grade.")
@click.option("--experiments", is_flag=True,
              help="Also run the experiments (gradient flow, initialisation, clipping) with each student's code and "
                   "draw them in the reports. They score nothing and cost about a fifth of each grade, so a batch "
                   "leaves them out unless asked.")
def batch(class_dir: Path, solutions: Path, out: Path, jobs: int | None, lang: str | None, force: bool,
          roster_path: Path | None, roster_id: str | None, student_timeout: float, dask_scheduler: str | None,
          allow_unisolated: bool, grade_unmatched: bool, course_dir: Path | None, assignment_name: str | None,
          only: tuple[str, ...], handed_in: str, experiments: bool,
          capstone: bool | None) -> None:
    from .assignments import CourseFileError
    from .assignments.material import course_file_of
    from .batch import BatchError, BatchStopped, RosterError, grade_class, intake, read_roster, selected_keys
    from .batch.summary import CANNOT_RUN, exit_status, summary_lines
    from .sandbox.isolation import IsolationRefused, probe
    from .untrusted import clean

    lang = lang or default_lang()
    course = _course(course_dir)
    try:
        course_file = course_file_of(course, solutions)
        assignment = course_file.assignment(assignment_name)
    except CourseFileError as exc:
        raise ProblemList(exc.problems) from None
    isolation = probe()
    if not isolation.isolated and not allow_unisolated:  # said before the class folder is read
        refusal = IsolationRefused(isolation.level)
        click.echo(click.style(render(refusal.message(), lang), fg="red"), err=True)
        sys.exit(CANNOT_RUN)
    try:
        roster = read_roster(roster_path, roster_id) if roster_path else None
        found = intake(class_dir, roster, staging=out / "intake")
        entries = found.to_grade(grade_unmatched)
        if only:
            chosen = selected_keys(found.entries, only) or set()
            entries = [e for e in entries if e.key in chosen]
        with _progress(len(entries), render(msg("batch.progress"), lang), show_pos=True, show_eta=True) as bar:
            summary = grade_class(class_dir, out, solutions=solutions, jobs=jobs, lang=lang, force=force,
                                  progress=lambda key, status: bar.update(1), dask=dask_scheduler, roster=roster,
                                  student_timeout=student_timeout or None, allow_unisolated=allow_unisolated,
                                  assignment=assignment, only=only or None, handed_in=handed_in,
                                  timezone=course_file.timezone, grade_unmatched=grade_unmatched,
                                  experiments=experiments, capstone=capstone)
    except RosterError as exc:
        click.echo(click.style(render(msg("batch.run.roster_error", error=clean(str(exc))), lang), fg="red"), err=True)
        sys.exit(CANNOT_RUN)
    except BatchError as exc:
        raise ProblemList(exc.problems) from None
    except IsolationRefused as exc:
        click.echo(click.style(render(exc.message(), lang), fg="red"), err=True)
        sys.exit(CANNOT_RUN)
    except (KeyboardInterrupt, BatchStopped) as exc:
        signum = exc.signum if isinstance(exc, BatchStopped) else signal.SIGINT
        name = signal.Signals(signum).name
        click.echo("", err=True)
        if isinstance(exc, BatchStopped):
            said = msg("batch.run.stopped", signal=name, graded=len(exc.summary.graded), out=str(out))
        else:  # interrupted before the batch kept count
            said = msg("batch.run.stopped_uncounted", signal=name, out=str(out))
        click.echo(render(said, lang), err=True)
        sys.exit(128 + signum)
    colour = {"info": None, "warning": "yellow", "error": "red"}
    for line in summary_lines(summary, out, handed_in):
        click.echo(click.style(clean(render(line.text, lang)), fg=colour[line.level]), err=line.level != "info")
    sys.exit(exit_status(summary))


@main.command(help="Export a class gradebook (written by `rnngrade batch`) as CSV, as Canvas's or Moodle's "
                   "grade import file, or as an HTML dashboard; without an export option, print the class statistics "
                   "(mean, median, spread, distribution, per-exercise means, hardest checks and quiz questions, known "
                   "mistakes). An LMS export with nothing the LMS could match is refused (exit status 2).")
@click.argument("gradebook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write one row per student: total, per-exercise points, named mistakes, status.")
@click.option("--canvas", "canvas_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write Canvas's gradebook import CSV (Grades > Import).")
@click.option("--moodle", "moodle_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write Moodle's grading worksheet with the grades (assignment > Upload grading worksheet).")
@click.option("--canvas-sis-ids", is_flag=True,
              help="Canvas without Canvas's own gradebook export as the roster: the graded ids (folder names, roster "
                   "ids) are the students' SIS User IDs in Canvas; write them there (else the export is refused).")
@click.option("--canvas-column", default=None, metavar="TITLE",
              help="Canvas: the assignment column, e.g. 'RNN homework (12345)' to update assignment 12345 (default: "
                   "the assignment's title; rnngrade without a course file).")
@click.option("--points", type=float, default=None,
              help="Scale scores to this many points (the assignment's points in the LMS; Moodle: default the "
                   "worksheet's Maximum Grade).")
@click.option("--dashboard", "dashboard_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the class dashboard (HTML): score distribution, hardest checks, mistakes, quiz items.")
@click.option("--lang", type=click.Choice(LANGS), default=None)
@course_option
@assignment_option
def gradebook(gradebook: Path, csv_path: Path | None, canvas_path: Path | None, moodle_path: Path | None,
              canvas_sis_ids: bool, canvas_column: str | None, points: float | None, dashboard_path: Path | None,
              lang: str | None, course_dir: Path | None, assignment_name: str | None) -> None:
    from .gradebook import Gradebook
    from .gradebook.export import ExportError, write_canvas, write_moodle

    lang = lang or default_lang()
    assignment = None
    if assignment_name is not None:
        from .assignments import CourseFileError
        from .assignments.config import NAME
        from .assignments.material import course_file_of

        try:
            assignment = course_file_of(_course(course_dir)).assignment(assignment_name)
        except CourseFileError as exc:
            problems = list(exc.problems)
            if not NAME.match(assignment_name):
                problems.append("(the title of the Canvas column is given with --canvas-column)")
            raise ProblemList(problems) from None
    refused = False
    with Gradebook(gradebook) as book:
        recorded = book.assignment()
        if assignment is not None and recorded is not None and recorded != assignment.name:
            raise ProblemList([f"{gradebook} holds the grades of assignment {recorded!r}, not "
                                     f"{assignment.name!r}"])
        if canvas_column is None:
            canvas_column = assignment.title_in("en") if assignment is not None and not assignment.is_default \
                else "rnngrade"
        if csv_path:
            book.export_csv(csv_path, lang)
            click.echo(render(msg("report.written", path=str(csv_path)), lang))
        for path, write in ((canvas_path, lambda p: write_canvas(book, p, canvas_column, points, lang,
                                                                  sis_ids=canvas_sis_ids)),
                            (moodle_path, lambda p: write_moodle(book, p, points, lang=lang))):
            if path:
                try:
                    report = write(path)
                except ExportError as exc:  # nothing an LMS could match: no file, say why, exit 2
                    click.echo(click.style(render(exc.message, lang), fg="red"), err=True)
                    refused = True
                    continue
                click.echo(render(msg("batch.export.written", path=str(path), graded=report.graded,
                                      blank=len(report.blank), missing=len(report.not_in_file)), lang))
        if dashboard_path:
            from .report.dashboard import write_dashboard

            write_dashboard(book, dashboard_path, lang)
            click.echo(render(msg("report.written", path=str(dashboard_path)), lang))
        if refused:
            sys.exit(2)
        if csv_path or dashboard_path or canvas_path or moodle_path:
            return
        from .gradebook.stats import class_statistics
        from .quiz.grading import quiz_exercise
        from .report.class_summary import cause_lines, class_summary_lines
        from .specs import all_exercises

        exercises = [*all_exercises(), quiz_exercise()]
        stats = class_statistics(book, order=[e.name for e in exercises])
        _, echo, _ = _printers()
        for line in class_summary_lines(stats, lang, {e.name: render(e.title, lang) for e in exercises}):
            echo(line)
        for line in cause_lines(book.failed_checks(), lang):  # one line per cause, not per check
            echo(line)


@main.command(help="Adjust a student's score by hand (a regrade by a TA): set or add points to one graded item "
                   "(--check ID, as in the report), one exercise (--exercise NAME, or quiz) or the total (--total), "
                   "always with a comment the student reads. The gradebook keeps who made it and when; every later "
                   "batch applies it again, every export and the student's report show it. --list shows them, "
                   "--withdraw ID takes one back (it stays in the history). See docs/course.md.")
@click.argument("gradebook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("student", required=False)
@click.option("--check", "check_id", metavar="ID", help="The graded item (its id in the report, e.g. lstm.grad.dWx).")
@click.option("--exercise", metavar="NAME", help="The exercise (e.g. lstm, or quiz).")
@click.option("--total", is_flag=True, help="The whole score (after the late penalty).")
@click.option("--set", "set_to", type=float, metavar="POINTS", help="Make it worth this many points.")
@click.option("--add", type=float, metavar="POINTS", help="Add these points (negative: take them away).")
@click.option("-m", "--comment", default=None, help="Why (the student reads it).")
@click.option("--by", default=None, help="Who makes it (default: $RNNGRADE_USER, else the login name).")
@click.option("--list", "list_them", is_flag=True, help="List the adjustments (of STUDENT, or all), withdrawn too.")
@click.option("--withdraw", type=int, default=None, metavar="ID", help="Withdraw adjustment ID (with --comment).")
@click.option("--lang", type=click.Choice(LANGS), default=None)
def adjust(gradebook: Path, student: str | None, check_id: str | None, exercise: str | None, total: bool,
           set_to: float | None, add: float | None, comment: str | None, by: str | None, list_them: bool,
           withdraw: int | None, lang: str | None) -> None:
    import getpass
    import os

    from .assignments.adjustments import ADD, SET, Adjustment
    from .gradebook import AdjustmentError, Gradebook
    from .results.text import adjustment_message
    from .untrusted import clean

    lang = lang or default_lang()
    author = by or os.environ.get("RNNGRADE_USER") or getpass.getuser()
    with Gradebook(gradebook) as book:
        if list_them:
            gone = book.withdrawals()
            for a in book.adjustments(student, withdrawn=True):
                what = a.target or "total"
                line = f"#{a.id}  {a.student}  {a.scope} {what}  {a.mode} {a.value:g}  {a.author}  {a.at}  {a.comment}"
                if a.id in gone:
                    line += "  " + render(msg("course.adjust_withdrawn", at=gone[a.id][0], by=gone[a.id][1],
                                              why=gone[a.id][2]), lang)
                click.echo(clean(line))
            return
        if withdraw is not None:
            if not comment:
                raise click.UsageError("--withdraw needs --comment: say why")
            try:
                a = book.withdraw(withdraw, author, comment)
            except AdjustmentError as exc:
                raise click.ClickException(str(exc)) from None
            click.echo(render(msg("course.adjust_withdrew", id=a.id, student=a.student,
                                  score=_score_of(book, a.student)), lang))
            return
        scopes = [("check", check_id), ("exercise", exercise), ("total", "" if total else None)]
        chosen = [(scope, target) for scope, target in scopes if target is not None]
        if student is None or len(chosen) != 1 or (set_to is None) == (add is None) or not comment:
            raise click.UsageError("give STUDENT, one of --check ID, --exercise NAME or --total, one of --set POINTS "
                                   "or --add POINTS, and --comment TEXT (or --list, or --withdraw ID)")
        scope, target = chosen[0]
        try:
            made = book.adjust(Adjustment(scope, target, SET if set_to is not None else ADD,
                                          set_to if set_to is not None else float(add or 0.0), comment, author,
                                          student=student))
        except (AdjustmentError, ValueError) as exc:
            raise click.ClickException(str(exc)) from None
        settled = book.settlement(made.student)
        applied = next((ln for ln in (settled.lines if settled else []) if ln.get("id") == made.id), None)
        said = adjustment_message(applied) if applied is not None else msg("fixb.adjust_pending")
        click.echo(clean(render(msg("fixb.adjust_made", id=made.id, student=made.student, line=said,
                                    score=_score_of(book, made.student)), lang)))


def _score_of(book, student: str) -> str:
    row = next((r for r in book.students() if r["student"] == student), None)
    if row is None or row["status"] != "graded":
        return "-"
    from .display import shown

    return f"{shown(row['score'])} / {shown(row['max_score'])}"


@main.command("course", help="Check the course file (course.toml) and show its assignments: exercises and questions, "
                             "points by kind with the weights applied, dates, late policy, extensions, visibility. "
                             "See docs/course.md.")
@course_option
@assignment_option
def course_command(course_dir: Path | None, assignment_name: str | None) -> None:
    from .assignments import CourseFileError
    from .assignments.material import assignment_exercises, course_file_of, quiz_selection
    from .checks.policy import points_table, weighted
    from .display import shown
    from .quiz.bank import BankError, load_bank

    course = _course(course_dir)
    try:
        course_file = course_file_of(course)
        chosen = [course_file.assignment(assignment_name)] if assignment_name else list(course_file.assignments)
    except CourseFileError as exc:
        raise ProblemList(exc.problems) from None
    click.echo(f"{course_file.path or 'no course file: the default course'}"
               + (f" (salt {course_file.salt!r})" if course_file.salt else ""))
    folder = course.solutions or course.exercises
    try:
        bank = load_bank(folder / "quiz", with_key=course.solutions is not None) if (folder / "quiz").is_dir() else None
    except BankError:
        bank = None
    for a in chosen:
        click.echo("")
        click.echo(click.style(f"{a.name}" + (f": {a.title_in('en')} / {a.title_in('zh')}" if a.title else ""),
                               bold=True))
        for label, when in (("release", a.release), ("due", a.due), ("answers after", a.answers_after)):
            if when is not None:
                click.echo(f"  {label}: {when.isoformat()}")
        if a.late is not None:
            late = a.late
            click.echo(f"  late: {late.per_day:g} % a day, at most {late.cap:g} %, grace {late.grace_minutes:g} min")
        if a.extensions:
            n = len(a.extensions)
            click.echo(f"  extensions: {n} student{'s' if n != 1 else ''}")
        for level, selectors in a.visibility.to_table().items():
            click.echo(f"  shown {'after the due date' if level == 'after_due' else 'never'}: {', '.join(selectors)}")
        click.echo(points_table(assignment_exercises(a), a.weights))
        if bank is not None and a.questions != ():
            chosen_bank = quiz_selection(a).apply(bank)
            items = [("quiz", q.points) for q in chosen_bank.questions]
            quiz_points = sum(weighted(p, f) for (_, p), f in zip(items, a.weights.factors("quiz", items), strict=True))
            practice = {z.policy.practice for z in chosen_bank.quizzes}
            n, s = len(items), lambda count: "" if count == 1 else "s"
            click.echo(f"  quiz: {n} question{s(n)}, {shown(quiz_points)} point{s(quiz_points)}"
                       + (" (practice: not counted by students' self-checks)" if practice == {True} else ""))


@main.command(help="Compare the code of every pair of students in CLASS_DIR (the class folder `rnngrade batch` "
                   "grades) and list the most similar pairs, function by function, after names, comments, layout, "
                   "the starter code and the reference are taken out. Evidence for a human, never a verdict: "
                   "see docs/similarity.md.")
@click.argument("class_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--solutions", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The reference solutions: code that matches them is not counted.")
@click.option("--starter", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="The release the students started from (default: the course's exercises/); repeatable.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the page with the most similar pairs side by side here.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write one row per pair that shares code here.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write every pair with its per-function shares here.")
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True,
              help="Pairs listed in the terminal (the HTML page shows 50 in detail).")
@click.option("--min-score", type=click.FloatRange(0, 1), default=0.1, show_default=True,
              help="Leave out pairs scoring below this (0 to 1) from every output; below 0.1, pairs share "
                   "a few fingerprints by chance. 0 lists every pair that shares any.")
@click.option("--function", "functions", multiple=True, metavar="NAME",
              help="Compare only this graded function (repeatable; default: all of them).")
@click.option("--common", type=click.IntRange(min=2), default=None,
              help="Code shared by more students than this is common and ignored "
                   "(default: 10, or a twentieth of a larger class).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes that read the submissions (default: all cores).")
@course_option
@click.option("--lang", type=click.Choice(LANGS), default=None, help="Language of the outputs.")
def similarity(class_dir: Path, solutions: Path | None, starter: tuple[Path, ...], html_path: Path | None,
               csv_path: Path | None, json_path: Path | None, top: int, min_score: float,
               functions: tuple[str, ...], common: int | None, jobs: int | None, lang: str | None,
               course_dir: Path | None) -> None:
    import os

    from .similarity import ClassFolderError, class_entries, compare_class, graded_functions
    from .similarity.render import terminal_lines, write_csv, write_html, write_json

    lang = lang or default_lang()
    known = graded_functions()
    unknown = [f for f in functions if f not in known]
    if unknown:
        raise click.BadParameter(render(msg("similarity.error.unknown_function", names=", ".join(unknown),
                                            known=", ".join(known)), lang), param_hint="--function")
    try:
        total = len(class_entries(class_dir))
        with _progress(total, render(msg("similarity.progress"), lang), err=True, show_pos=True) as bar:
            result = compare_class(class_dir, starter=starter or (_course(course_dir).exercises,), reference=solutions,
                                   functions=[f for f in known if f in functions] if functions else None,
                                   common=common, jobs=jobs or os.cpu_count() or 1,
                                   progress=lambda student: bar.update(1))
    except ClassFolderError as exc:
        raise click.ClickException(render(exc.message, lang)) from None
    for line in terminal_lines(result, lang, top, min_score):
        click.echo(line)
    written: list[Path] = []
    if html_path:
        write_html(result, html_path, lang, min_score=min_score)
        written.append(Path(html_path))
    if csv_path:
        written += write_csv(result, csv_path, min_score)
    if json_path:
        write_json(result, json_path, min_score)
        written.append(Path(json_path))
    for path in written:
        click.echo(render(msg("report.written", path=str(path)), lang))


@main.command(help="Answer the concept quiz: asks the questions of your own variant in the terminal and saves "
                   "the answer sheet after every answer (stop any time, run again to resume). With --init, "
                   "only write the blank sheet, every question as a comment, to fill in with an editor.")
@click.argument("sheet", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--init", is_flag=True, help="Write a blank answer sheet and exit.")
@click.option("--student", default=None, help="Your student id (it decides your variant; default: the sheet's).")
@click.option("--lang", type=click.Choice(LANGS), default=None, help="Language of the questions (default: locale).")
@click.option("--all", "revisit", is_flag=True, help="Go through every question, not only unanswered ones.")
@click.option("--force", is_flag=True, help="Start a new sheet even if one exists (or belongs to another id).")
@click.option("--bank", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Question bank folder (default: the course's exercises/quiz).")
@course_option
@click.option("--solutions", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Instructors: with --init, fill in the key's answers for --student (to test a setup).")
@assignment_option
def quiz(sheet: Path | None, init: bool, student: str | None, lang: str | None, revisit: bool, force: bool,
         bank: Path | None, course_dir: Path | None, solutions: Path | None, assignment_name: str | None) -> None:
    from .assignments.material import quiz_selection
    from .quiz import SHEET_NAME
    from .quiz.interactive import run

    course = _course(course_dir)
    assignment = _assignment(course, assignment_name, solutions)
    # The sheet sits with the student's exercises; with the bundled course (nothing
    # to write into), in the current folder.
    default_sheet = Path(SHEET_NAME) if course.bundled else course.exercises / SHEET_NAME
    status = run(sheet or default_sheet, bank or course.exercises / "quiz", student,
                 lang or default_lang(), assignment.identity, init=init, force=force, revisit=revisit,
                 key_folder=solutions / "quiz" if solutions else None, selection=quiz_selection(assignment))
    sys.exit(status)


@main.group(help="Gradescope: build the autograder zip; `run` is what its run_autograder calls.")
def gradescope() -> None:
    pass


@gradescope.command("build", help="Write the Gradescope autograder zip: setup.sh (pinned Python, numpy, "
                                  "rnngrade), run_autograder, the rnngrade wheel and the course's solutions/.")
@course_option
@click.option("--solutions", default=None, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Reference solutions (default: the course's solutions/).")
@click.option("--out", default=Path("autograder.zip"), show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="The zip to write.")
@click.option("--wheel", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="The rnngrade wheel to ship (default: built from the rnngrade checkout holding the course folder or "
                   "the current folder, else from the source this rnngrade runs from).")
@click.option("--lang", type=click.Choice(LANGS), default="zh", show_default=True,
              help="Language of the feedback students read in Gradescope.")
@assignment_option
def gradescope_build(course_dir: Path | None, solutions: Path | None, out: Path, wheel: Path | None,
                     lang: str, assignment_name: str | None) -> None:
    import tempfile

    from .deploy.gradescope import GradescopeError, build
    from .deploy.wheel import WheelError

    course = _course(course_dir)
    solutions = solutions or _need(course, "solutions")
    assignment = _assignment(course, assignment_name, solutions)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            wheel = _wheel_or_build(wheel, tmp, course)
            names = build(solutions, out, wheel, lang, assignment)
    except WheelError as exc:
        raise _wheel_failure(exc) from exc
    except GradescopeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{out}: {len(names)} files (setup.sh, run_autograder, {wheel.name}, solutions/)")


@gradescope.command("run", help="Inside Gradescope: grade ROOT/submission with ROOT/source/solutions and write "
                                "ROOT/results/results.json (ROOT: $RNNGRADE_AUTOGRADER_ROOT or /autograder).")
@click.option("--root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None)
@click.option("--lang", type=click.Choice(LANGS), default="zh", show_default=True)
def gradescope_run(root: Path | None, lang: str) -> None:
    from .assignments import CourseFileError
    from .deploy.gradescope import NoStudentId, run
    from .sandbox.isolation import ConfinementError, IsolationRefused
    from .untrusted import clean

    try:
        data = run(root, lang)
    except NoStudentId as exc:  # no submitter: no official grade under a made-up id
        click.echo(click.style(render(exc.message, lang), fg="red"), err=True)
        sys.exit(2)
    except IsolationRefused as exc:  # an image where neither bubblewrap nor Landlock works: fail closed, say why
        click.echo(click.style(render(exc.message(), lang), fg="red"), err=True)
        sys.exit(2)
    except CourseFileError as exc:
        raise ProblemList(exc.problems) from None
    except ConfinementError as exc:
        click.echo(click.style(render(msg("isolation.confinement_failed", reason=clean(str(exc))), lang),
                               fg="red"), err=True)
        sys.exit(2)
    click.echo(f"score {data['score']} / {data['extra_data']['max_score']} "
               f"({data['extra_data']['isolation']}, student {data['extra_data']['student']})")


def _handed_in(text: str | None, course, solutions: Path | None):
    """``--handed-in TIME`` as a hand-in (a time without an offset: the course's timezone)."""
    if text is None:
        return None
    from .assignments import CourseFileError
    from .assignments.handins import GIVEN, HandIn, parse_time
    from .assignments.material import course_file_of

    try:
        tz = course_file_of(course, solutions).timezone
    except CourseFileError as exc:
        raise ProblemList(exc.problems) from None
    when = parse_time(text, tz)
    if when is None:
        raise click.BadParameter(f"{text!r} is not a time such as 2025-03-09T08:00:00+08:00", param_hint="--handed-in")
    return HandIn(when, GIVEN)


def _wheel_or_build(wheel: Path | None, tmp: str, course) -> Path:
    """``--wheel FILE``, else a wheel built from the rnngrade checkout found (said on stderr)."""
    from .deploy.wheel import build_wheel, find_source

    if wheel is not None:
        return wheel
    source = find_source(course.root)
    click.echo(render(msg(f"fixb.wheel_source_{source.how}", path=str(source.root)), default_lang()), err=True)
    return build_wheel(source.root, Path(tmp))


def _wheel_failure(exc) -> click.ClickException:
    return click.ClickException(render(exc.message, default_lang()) if exc.message is not None else str(exc))


@main.command(help="Write the student bundle (a folder and a zip): exercises/, the notebook, public cases, the "
                   "student quiz bank, a bilingual README, requirements.txt pinning rnngrade and numpy, the rnngrade "
                   "wheel and the self-check CI files. No reference, no quiz key, no hidden input.")
@course_option
@click.option("--solutions", default=None, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Reference solutions (default: the course's solutions/).")
@click.option("--out", default=Path("release"), show_default=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--wheel", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="The rnngrade wheel to ship (default: built from the rnngrade checkout holding the course folder or "
                   "the current folder, else from the source this rnngrade runs from).")
@click.option("--lang", type=click.Choice(LANGS), default="zh", show_default=True,
              help="Language of the self-check in the CI files.")
@click.option("--no-ci", is_flag=True, help="Leave out the GitHub/GitLab self-check files.")
@assignment_option
def release(course_dir: Path | None, solutions: Path | None, out: Path, wheel: Path | None, lang: str,
            no_ci: bool, assignment_name: str | None) -> None:
    import tempfile

    from .deploy.release import write
    from .deploy.wheel import WheelError

    course = _course(course_dir)
    solutions = solutions or _need(course, "solutions")
    assignment = _assignment(course, assignment_name, solutions)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder, archive = write(solutions, out, _wheel_or_build(wheel, tmp, course), lang, with_ci=not no_ci,
                                    assignment=assignment)
    except WheelError as exc:
        raise _wheel_failure(exc) from exc
    click.echo(render(msg("report.written", path=str(folder)), default_lang()))
    click.echo(render(msg("report.written", path=str(archive)), default_lang()))


@main.command("ci", help="Write the GitHub Actions or GitLab CI files: OUT/student/ (the assignment repository's "
                         "public self-check, no secret) and OUT/instructor/ (official grading of the class from the "
                         "private course repository). See docs/ci.md.")
@click.argument("platform", type=click.Choice(["github", "gitlab"]))
@click.option("--out", default=Path("ci"), show_default=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--lang", type=click.Choice(LANGS), default="zh", show_default=True)
@course_option
@assignment_option
def ci_files(platform: str, out: Path, lang: str, course_dir: Path | None, assignment_name: str | None) -> None:
    from .deploy.ci import write

    assignment = None
    if assignment_name is not None:  # checked against the course file: the workflow must not fail later
        assignment = _assignment(_course(course_dir), assignment_name).name
    for path in write(platform, out, lang, assignment):
        click.echo(str(path))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
