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
@click.option("-v", "--verbose", is_flag=True, help="List passed checks too.")
def grade(submission: Path | None, solutions: Path | None, results_path: Path | None,
          html_path: Path | None, lang: str | None, student: str, verbose: bool) -> None:
    from . import paths
    from .api import grade as grade_submission
    from .report.terminal import summary

    lang = lang or default_lang()
    result = grade_submission(submission or paths.EXERCISES, solutions=solutions, student=student)
    click.echo(summary(result, lang, verbose))
    if results_path:
        from .results.gradescope import write_results

        write_results(result, results_path, lang)
        click.echo(render(msg("report.written", path=str(results_path)), lang))
    if html_path:
        from .report.html import write_html

        write_html(result, html_path, lang)
        click.echo(render(msg("report.written", path=str(html_path)), lang))


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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
