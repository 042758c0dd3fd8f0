"""The ``rnngrade`` command: a thin layer over the library API.

Each subcommand parses options, calls one library function and prints.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__
from .i18n import LANGS, default_lang, msg, render


@click.group(help="Auto-grader for the RNN/LSTM course unit: grade submissions, "
                  "generate the student release, write reports.")
@click.version_option(__version__, prog_name="rnngrade")
def main() -> None:
    pass


@main.command(help="Grade one submission (a .py file, a notebook or a folder; default: exercises/). "
                   "Without --solutions this is a self-check with public checks only; with it, "
                   "official grading against the reference on inputs drawn for --student.")
@click.argument("submission", required=False, type=click.Path(path_type=Path))
@click.option("--solutions", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of reference solutions (instructors and CI only).")
@click.option("--results", "results_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write Gradescope-format results.json here.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the HTML feedback report here.")
@click.option("--lang", type=click.Choice(LANGS), default=None,
              help="Language of the feedback (default: from the locale).")
@click.option("--student", default="anonymous", show_default=True,
              help="Student id; seeds the hidden inputs of official grading.")
@click.option("--junit", "junit_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write JUnit XML here (for CI systems that display test reports).")
@click.option("--classroom", "classroom_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write results for GitHub Classroom's autograding reporter (see docs/ci.md); "
                   "inside GitHub Actions the base64 form is added to $GITHUB_OUTPUT as `result`.")
@click.option("-v", "--verbose", is_flag=True, help="List passed checks too.")
@click.option("--allow-unisolated", is_flag=True,
              help="Grade officially even where only the portable sandbox level exists (the child could then read "
                   "the reference); the results say the grade is not isolated.")
def grade(submission: Path | None, solutions: Path | None, results_path: Path | None,
          html_path: Path | None, lang: str | None, student: str, junit_path: Path | None,
          classroom_path: Path | None, verbose: bool, allow_unisolated: bool) -> None:
    from . import paths
    from .api import grade as grade_submission
    from .report.terminal import summary
    from .sandbox.isolation import ConfinementError, IsolationRefused

    lang = lang or default_lang()
    try:
        result = grade_submission(submission or paths.EXERCISES, solutions=solutions, student=student,
                                  allow_unisolated=allow_unisolated)
    except IsolationRefused as exc:
        click.echo(click.style(render(msg("isolation.refused", level=exc.level), lang), fg="red"), err=True)
        sys.exit(2)
    except ConfinementError as exc:
        click.echo(click.style(render(msg("isolation.confinement_failed", reason=str(exc)), lang), fg="red"),
                   err=True)
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
@click.option("--solutions", default=None, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Reference solutions (default: the project's solutions/).")
@click.option("--out", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="Target folder (default: the project's exercises/).")
def generate(solutions: Path | None, out: Path | None) -> None:
    from . import paths
    from .generate import generate as generate_release

    written = generate_release(solutions or paths.SOLUTIONS, out or paths.EXERCISES)
    for name in written:
        click.echo(name)


@main.command(help="Check the assignment before release: the reference earns full marks, the stubs "
                   "nothing, every graded function exists, and exercises/ is what `generate` makes.")
@click.option("--solutions", default=None, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--exercises", default=None, type=click.Path(exists=True, file_okay=False, path_type=Path))
def validate(solutions: Path | None, exercises: Path | None) -> None:
    from . import paths
    from .validate import validate as validate_assignment

    problems = validate_assignment(solutions or paths.SOLUTIONS, exercises or paths.EXERCISES)
    for p in problems:
        click.echo(click.style("✘ " + p, fg="red"))
    if problems:
        sys.exit(1)
    click.echo(click.style("✔ assignment is consistent", fg="green"))


@main.command(help="Grade a whole class: every sub-folder, .py file or notebook of CLASS_DIR is one "
                   "student (named by it). Runs in parallel, records a SQLite gradebook in OUT, writes each "
                   "student's report and results.json, and skips what is already graded (resumable).")
@click.argument("class_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--solutions", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of reference solutions.")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder: gradebook.sqlite, reports/, results/.")
@click.option("-j", "--jobs", type=int, default=None, help="Parallel workers (default: all cores).")
@click.option("--lang", type=click.Choice(LANGS), default=None, help="Language of the reports.")
@click.option("--force", is_flag=True, help="Re-grade everything, even unchanged submissions.")
@click.option("--dask", "dask_scheduler", default=None, metavar="ADDRESS",
              help="Grade on a Dask cluster (scheduler address, or 'local'); needs rnngrade[dask] and a "
                   "file system the workers share.")
@click.option("--allow-unisolated", is_flag=True,
              help="Grade even where only the portable sandbox level exists (see `grade --help`).")
def batch(class_dir: Path, solutions: Path, out: Path, jobs: int | None, lang: str | None, force: bool,
          dask_scheduler: str | None, allow_unisolated: bool) -> None:
    from .batch import discover, grade_class
    from .sandbox.isolation import IsolationRefused, probe

    lang = lang or default_lang()
    if not probe().isolated and not allow_unisolated:
        click.echo(click.style(render(msg("isolation.refused", level=probe().level), lang), fg="red"), err=True)
        sys.exit(2)
    total = len(discover(class_dir))
    with click.progressbar(length=total, label=render(msg("batch.progress"), lang), show_pos=True,
                           show_eta=True) as bar:
        try:
            summary = grade_class(class_dir, out, solutions=solutions, jobs=jobs, lang=lang, force=force,
                                  progress=lambda student, status: bar.update(1), dask=dask_scheduler,
                                  allow_unisolated=allow_unisolated)
        except IsolationRefused as exc:
            click.echo(click.style(render(msg("isolation.refused", level=exc.level), lang), fg="red"), err=True)
            sys.exit(2)
    click.echo(render(msg("batch.summary", graded=len(summary.graded), skipped=len(summary.skipped),
                          failed=len(summary.failed), out=str(out)), lang))
    for student, why in summary.failed.items():
        click.echo(click.style(f"  {student}: {why}", fg="red"), err=True)
    if summary.failed:
        sys.exit(1)


@main.command(help="Export a class gradebook (written by `rnngrade batch`) as CSV or an HTML dashboard, "
                   "or print class statistics.")
@click.argument("gradebook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write one row per student: total, per-exercise points, named mistakes.")
@click.option("--dashboard", "dashboard_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the class dashboard (HTML): score distribution, hardest checks, mistakes, quiz items.")
@click.option("--lang", type=click.Choice(LANGS), default=None)
def gradebook(gradebook: Path, csv_path: Path | None, dashboard_path: Path | None, lang: str | None) -> None:
    from .gradebook import Gradebook

    lang = lang or default_lang()
    with Gradebook(gradebook) as book:
        if csv_path:
            book.export_csv(csv_path)
            click.echo(render(msg("report.written", path=str(csv_path)), lang))
        if dashboard_path:
            from .report.dashboard import write_dashboard

            write_dashboard(book, dashboard_path, lang)
            click.echo(render(msg("report.written", path=str(dashboard_path)), lang))
        if csv_path or dashboard_path:
            return
        students = book.students()
        click.echo(render(msg("batch.students", n=len(students)), lang))
        for row in book.check_pass_rates()[:10]:
            click.echo(f"  {row['pass_rate']:6.0%}  {row['check']}")
        for mistake, count in book.mistake_counts().items():
            click.echo("  " + render(msg("batch.mistake_count", id=mistake, name=msg(f"mistake.{mistake}.name"),
                                         count=count), lang))


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
              help="Question bank folder (default: exercises/quiz).")
@click.option("--solutions", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Instructors: with --init, fill in the key's answers for --student (to test a setup).")
def quiz(sheet: Path | None, init: bool, student: str | None, lang: str | None, revisit: bool, force: bool,
         bank: Path | None, solutions: Path | None) -> None:
    from . import paths
    from .api import ASSIGNMENT
    from .quiz import SHEET_NAME
    from .quiz.interactive import run

    status = run(sheet or paths.EXERCISES / SHEET_NAME, bank or paths.EXERCISES / "quiz", student,
                 lang or default_lang(), ASSIGNMENT, init=init, force=force, revisit=revisit,
                 key_folder=solutions / "quiz" if solutions else None)
    sys.exit(status)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
