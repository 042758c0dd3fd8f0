"""The ``rnngrade`` command: a thin layer over the library API.

Each subcommand parses options, calls one library function and prints.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

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


def _need(course, what: str) -> Path:
    from .course import CourseError

    try:
        return course.need_solutions() if what == "solutions" else course.need_folder()
    except CourseError as exc:
        raise click.UsageError(str(exc)) from exc


@click.group(help="Auto-grader for the RNN/LSTM course unit: grade submissions, "
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
              help="Student id; seeds the hidden inputs of official grading (default: anonymous; with "
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
@click.option("--no-capstone", "no_capstone", is_flag=True,
              help="Skip the capstone's training stage (a few seconds): a quicker grade whose capstone points stay "
                   "pending.")
def grade(submission: Path | None, sample: bool, course_dir: Path | None, solutions: Path | None,
          results_path: Path | None, html_path: Path | None, lang: str | None, student: str | None,
          junit_path: Path | None, classroom_path: Path | None, verbose: bool, allow_unisolated: bool,
          no_capstone: bool) -> None:
    from .api import grade as grade_submission
    from .report.terminal import summary
    from .sandbox.isolation import ConfinementError, IsolationRefused
    from .untrusted import clean

    lang = lang or default_lang()
    course = _course(course_dir)
    if sample:
        if submission is not None:
            raise click.UsageError("give either SUBMISSION or --sample, not both")
        from .package_data import sample_submission

        submission, student = sample_submission(), student or "sample"
    elif submission is None:
        _need(course, "folder")  # a self-check of the bundled stubs would grade nothing
        submission = course.exercises
    try:
        result = grade_submission(submission, solutions=solutions, student=student or "anonymous",
                                  public=course.exercises, allow_unisolated=allow_unisolated,
                                  capstone=not no_capstone)
    except IsolationRefused as exc:
        click.echo(click.style(render(msg("isolation.refused", level=exc.level), lang), fg="red"), err=True)
        sys.exit(2)
    except ConfinementError as exc:
        click.echo(click.style(render(msg("isolation.confinement_failed", reason=clean(str(exc))), lang),
                               fg="red"), err=True)
        sys.exit(2)
    click.echo(summary(result, lang, verbose))
    if results_path:
        from .results.gradescope import write_results

        write_results(result, results_path, lang)
        click.echo(render(msg("report.written", path=str(results_path)), lang))
    if html_path:
        from .report.html import write_html

        write_html(result, html_path, lang)
        click.echo(render(msg("report.written", path=str(html_path)), lang))
    if junit_path:
        from .results.junit import write_junit

        write_junit(result, junit_path, lang)
        click.echo(render(msg("report.written", path=str(junit_path)), lang))
    if classroom_path:
        import os

        from .results.classroom import write_classroom

        encoded = write_classroom(result, classroom_path, lang)
        if os.environ.get("GITHUB_OUTPUT"):
            with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as f:
                f.write(f"result={encoded}\n")
        click.echo(render(msg("report.written", path=str(classroom_path)), lang))


@main.command(help="Write the student release (stubs and public test cases) from the solutions.")
@course_option
@click.option("--solutions", default=None, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Reference solutions (default: the course's solutions/).")
@click.option("--out", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="Target folder (default: the course's exercises/).")
def generate(course_dir: Path | None, solutions: Path | None, out: Path | None) -> None:
    from .generate import generate as generate_release

    course = _course(course_dir)
    if out is None:
        _need(course, "folder")
    written = generate_release(solutions or _need(course, "solutions"), out or course.exercises)
    for name in written:
        click.echo(name)


@main.command(help="Check the assignment before release: the reference earns full marks, the stubs "
                   "nothing, every graded function exists, and exercises/ is what `generate` makes.")
@course_option
@click.option("--solutions", default=None, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--exercises", default=None, type=click.Path(exists=True, file_okay=False, path_type=Path))
def validate(course_dir: Path | None, solutions: Path | None, exercises: Path | None) -> None:
    from .validate import validate as validate_assignment

    course = _course(course_dir)
    if exercises is None:
        _need(course, "folder")
    problems = validate_assignment(solutions or _need(course, "solutions"), exercises or course.exercises)
    for p in problems:
        click.echo(click.style("✘ " + p, fg="red"))
    if problems:
        sys.exit(1)
    click.echo(click.style("✔ assignment is consistent", fg="green"))


@main.command(help="Grade a whole class: every sub-folder, .py file, notebook or .zip of CLASS_DIR is one "
                   "student (named by it, or mapped by --roster; Canvas and Moodle download names are understood). "
                   "Runs in parallel, records a SQLite gradebook in OUT, writes each student's report and "
                   "results.json and OUT/intake.csv, and skips what is already graded (resumable: after Ctrl-C "
                   "or a crash, run it again). See docs/batch.md.")
@click.argument("class_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--solutions", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of reference solutions.")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder: gradebook.sqlite, reports/, results/, intake.csv.")
@click.option("-j", "--jobs", type=int, default=None, help="Parallel workers (default: all cores).")
@click.option("--lang", type=click.Choice(LANGS), default=None, help="Language of the reports.")
@click.option("--force", is_flag=True, help="Re-grade everything, even unchanged submissions.")
@click.option("--roster", "roster_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Class roster CSV: Canvas's gradebook export, Moodle's grading worksheet, or a CSV with an id "
                   "column (and optionally name, handin). Hand-ins are graded as the roster's students.")
@click.option("--roster-id", default=None, metavar="COLUMN",
              help="The roster column holding the student id grading uses (default: see docs/batch.md).")
@click.option("--student-timeout", type=float, default=600.0, show_default=True, metavar="SECONDS",
              help="Longest one student may take in all; beyond it that student's row says so.")
@click.option("--dask", "dask_scheduler", default=None, metavar="ADDRESS",
              help="Grade on a Dask cluster (scheduler address, or 'local'); needs rnngrade[dask]. Workers are "
                   "sent each submission's snapshot; they must see the solutions folder at the same path.")
@click.option("--allow-unisolated", is_flag=True,
              help="Grade even where only the portable sandbox level exists (see `grade --help`).")
@click.option("--no-capstone", "no_capstone", is_flag=True,
              help="Skip the capstone's training stage (its points stay pending in every result); it takes a "
                   "worker about 2-4 s per student.")
def batch(class_dir: Path, solutions: Path, out: Path, jobs: int | None, lang: str | None, force: bool,
          roster_path: Path | None, roster_id: str | None, student_timeout: float, dask_scheduler: str | None,
          allow_unisolated: bool, no_capstone: bool) -> None:
    from .batch import BatchStopped, RosterError, grade_class, intake, read_roster
    from .sandbox.isolation import IsolationRefused, probe
    from .untrusted import clean

    lang = lang or default_lang()
    isolation = probe()
    if not isolation.isolated and not allow_unisolated:  # said before the class folder is read
        click.echo(click.style(render(msg("isolation.refused", level=isolation.level), lang), fg="red"), err=True)
        sys.exit(2)
    try:
        roster = read_roster(roster_path, roster_id) if roster_path else None
    except RosterError as exc:
        click.echo(click.style(render(msg("batch.run.roster_error", error=clean(str(exc))), lang), fg="red"), err=True)
        sys.exit(2)
    total = len(intake(class_dir, roster, staging=out / "intake").entries)
    try:
        with click.progressbar(length=total, label=render(msg("batch.progress"), lang), show_pos=True,
                               show_eta=True) as bar:
            summary = grade_class(class_dir, out, solutions=solutions, jobs=jobs, lang=lang, force=force,
                                  progress=lambda key, status: bar.update(1), dask=dask_scheduler, roster=roster,
                                  student_timeout=student_timeout or None, allow_unisolated=allow_unisolated,
                                  capstone=not no_capstone)
    except IsolationRefused as exc:
        click.echo(click.style(render(msg("isolation.refused", level=exc.level), lang), fg="red"), err=True)
        sys.exit(2)
    except (KeyboardInterrupt, BatchStopped) as exc:
        signum = exc.signum if isinstance(exc, BatchStopped) else signal.SIGINT
        graded = len(exc.summary.graded) if isinstance(exc, BatchStopped) else "?"
        click.echo("", err=True)
        click.echo(render(msg("batch.run.stopped", signal=signal.Signals(signum).name, graded=graded,
                              out=str(out)), lang), err=True)
        sys.exit(128 + signum)
    click.echo(render(msg("batch.summary", graded=len(summary.graded), skipped=len(summary.skipped),
                          failed=len(summary.failed), out=str(out)), lang))
    found = summary.intake
    if found is not None and (found.unmatched or found.missing or found.duplicates or found.ignored):
        click.echo(render(msg("batch.run.intake", entries=len(found.entries), unmatched=len(found.unmatched),
                              missing=len(found.missing), duplicates=len(found.duplicates),
                              ignored=len(found.ignored), path=str(out / "intake.csv")), lang))
    sources = {e.key: e.source for e in found.entries} if found else {}
    for key, why in summary.failed.items():
        click.echo(click.style(clean(render(msg("batch.run.failed_line", key=key, source=sources.get(key, ""),
                                                why=why), lang)), fg="red"), err=True)
    if summary.failed:
        sys.exit(1)


@main.command(help="Export a class gradebook (written by `rnngrade batch`) as CSV, as Canvas's or Moodle's "
                   "grade import file, or as an HTML dashboard; or print class statistics.")
@click.argument("gradebook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write one row per student: total, per-exercise points, named mistakes, status.")
@click.option("--canvas", "canvas_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write Canvas's gradebook import CSV (Grades > Import).")
@click.option("--moodle", "moodle_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write Moodle's grading worksheet with the grades (assignment > Upload grading worksheet).")
@click.option("--assignment", default="rnngrade", show_default=True,
              help="Canvas: the assignment column, e.g. 'RNN homework (12345)' to update assignment 12345.")
@click.option("--points", type=float, default=None,
              help="Scale scores to this many points (the assignment's points in the LMS; Moodle: default the "
                   "worksheet's Maximum Grade).")
@click.option("--dashboard", "dashboard_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the class dashboard (HTML): score distribution, hardest checks, mistakes, quiz items.")
@click.option("--lang", type=click.Choice(LANGS), default=None)
def gradebook(gradebook: Path, csv_path: Path | None, canvas_path: Path | None, moodle_path: Path | None,
              assignment: str, points: float | None, dashboard_path: Path | None, lang: str | None) -> None:
    from .gradebook import Gradebook
    from .gradebook.export import write_canvas, write_moodle

    lang = lang or default_lang()
    with Gradebook(gradebook) as book:
        if csv_path:
            book.export_csv(csv_path)
            click.echo(render(msg("report.written", path=str(csv_path)), lang))
        for path, write in ((canvas_path, lambda p: write_canvas(book, p, assignment, points)),
                            (moodle_path, lambda p: write_moodle(book, p, points))):
            if path:
                report = write(path)
                click.echo(render(msg("batch.export.written", path=str(path), graded=report.graded,
                                      blank=len(report.blank), missing=len(report.not_in_file)), lang))
        if dashboard_path:
            from .report.dashboard import write_dashboard

            write_dashboard(book, dashboard_path, lang)
            click.echo(render(msg("report.written", path=str(dashboard_path)), lang))
        if csv_path or dashboard_path or canvas_path or moodle_path:
            return
        students = book.students(graded_only=True)
        click.echo(render(msg("batch.students", n=len(students)), lang))
        for row in book.check_pass_rates()[:10]:
            click.echo(f"  {row['pass_rate']:6.0%}  {row['check']}")
        for mistake, count in book.mistake_counts().items():
            click.echo("  " + render(msg("batch.mistake_count", id=mistake, name=msg(f"mistake.{mistake}.name"),
                                         count=count), lang))


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
        with click.progressbar(length=total, label=render(msg("similarity.progress"), lang), show_pos=True,
                               file=sys.stderr) as bar:
            result = compare_class(class_dir, starter=starter or (_course(course_dir).exercises,), reference=solutions,
                                   functions=[f for f in known if f in functions] if functions else None,
                                   common=common, jobs=jobs or os.cpu_count() or 1,
                                   progress=lambda student: bar.update(1))
    except ClassFolderError as exc:
        raise click.ClickException(render(exc.message, lang)) from None
    for line in terminal_lines(result, lang, top, min_score):
        click.echo(line)
    for path, write in ((html_path, lambda p: write_html(result, p, lang, min_score=min_score)),
                        (csv_path, lambda p: write_csv(result, p, min_score)),
                        (json_path, lambda p: write_json(result, p, min_score))):
        if path:
            write(path)
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
def quiz(sheet: Path | None, init: bool, student: str | None, lang: str | None, revisit: bool, force: bool,
         bank: Path | None, course_dir: Path | None, solutions: Path | None) -> None:
    from .api import ASSIGNMENT
    from .quiz import SHEET_NAME
    from .quiz.interactive import run

    course = _course(course_dir)
    # The sheet sits with the student's exercises; with the bundled course (nothing
    # to write into), in the current folder.
    default_sheet = Path(SHEET_NAME) if course.bundled else course.exercises / SHEET_NAME
    status = run(sheet or default_sheet, bank or course.exercises / "quiz", student,
                 lang or default_lang(), ASSIGNMENT, init=init, force=force, revisit=revisit,
                 key_folder=solutions / "quiz" if solutions else None)
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
              help="The rnngrade wheel to ship (default: built from the rnngrade source this runs from).")
@click.option("--lang", type=click.Choice(LANGS), default="zh", show_default=True,
              help="Language of the feedback students read in Gradescope.")
def gradescope_build(course_dir: Path | None, solutions: Path | None, out: Path, wheel: Path | None,
                     lang: str) -> None:
    import tempfile

    from .deploy.gradescope import GradescopeError, build
    from .deploy.wheel import WheelError

    solutions = solutions or _need(_course(course_dir), "solutions")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            wheel = _wheel_or_build(wheel, tmp)
            names = build(solutions, out, wheel, lang)
    except (GradescopeError, WheelError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{out}: {len(names)} files (setup.sh, run_autograder, {wheel.name}, solutions/)")


@gradescope.command("run", help="Inside Gradescope: grade ROOT/submission with ROOT/source/solutions and write "
                                "ROOT/results/results.json (ROOT: $RNNGRADE_AUTOGRADER_ROOT or /autograder).")
@click.option("--root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None)
@click.option("--lang", type=click.Choice(LANGS), default="zh", show_default=True)
def gradescope_run(root: Path | None, lang: str) -> None:
    from .deploy.gradescope import run
    from .sandbox.isolation import ConfinementError, IsolationRefused
    from .untrusted import clean

    try:
        data = run(root, lang)
    except IsolationRefused as exc:  # an image where neither bubblewrap nor Landlock works: fail closed, say why
        click.echo(click.style(render(msg("isolation.refused", level=exc.level), lang), fg="red"), err=True)
        sys.exit(2)
    except ConfinementError as exc:
        click.echo(click.style(render(msg("isolation.confinement_failed", reason=clean(str(exc))), lang),
                               fg="red"), err=True)
        sys.exit(2)
    click.echo(f"score {data['score']} / {data['extra_data']['max_score']} "
               f"({data['extra_data']['isolation']}, student {data['extra_data']['student']})")


def _wheel_or_build(wheel: Path | None, tmp: str) -> Path:
    from .deploy.wheel import build_wheel, source_tree

    return wheel or build_wheel(source_tree(), Path(tmp))


@main.command(help="Write the student bundle (a folder and a zip): exercises/, the notebook, public cases, the "
                   "student quiz bank, a bilingual README, requirements.txt pinning rnngrade and numpy, the rnngrade "
                   "wheel and the self-check CI files. No reference, no quiz key, no hidden input.")
@course_option
@click.option("--solutions", default=None, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Reference solutions (default: the course's solutions/).")
@click.option("--out", default=Path("release"), show_default=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--wheel", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="The rnngrade wheel to ship (default: built from the rnngrade source this runs from).")
@click.option("--lang", type=click.Choice(LANGS), default="zh", show_default=True,
              help="Language of the self-check in the CI files.")
@click.option("--no-ci", is_flag=True, help="Leave out the GitHub/GitLab self-check files.")
def release(course_dir: Path | None, solutions: Path | None, out: Path, wheel: Path | None, lang: str,
            no_ci: bool) -> None:
    import tempfile

    from .deploy.release import write
    from .deploy.wheel import WheelError

    solutions = solutions or _need(_course(course_dir), "solutions")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder, archive = write(solutions, out, _wheel_or_build(wheel, tmp), lang, with_ci=not no_ci)
    except WheelError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(render(msg("report.written", path=str(folder)), default_lang()))
    click.echo(render(msg("report.written", path=str(archive)), default_lang()))


@main.command("ci", help="Write the GitHub Actions or GitLab CI files: OUT/student/ (the assignment repository's "
                         "public self-check, no secret) and OUT/instructor/ (official grading of the class from the "
                         "private course repository). See docs/ci.md.")
@click.argument("platform", type=click.Choice(["github", "gitlab"]))
@click.option("--out", default=Path("ci"), show_default=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--lang", type=click.Choice(LANGS), default="zh", show_default=True)
def ci_files(platform: str, out: Path, lang: str) -> None:
    from .deploy.ci import write

    for path in write(platform, out, lang):
        click.echo(str(path))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
