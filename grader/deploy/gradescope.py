"""Gradescope: the autograder zip, and grading inside it.

``build`` writes the zip an instructor uploads: ``setup.sh`` and ``run_autograder``
(rendered from ``templates/deploy/gradescope/``), the rnngrade wheel and the course's
``solutions/``. Gradescope unpacks it into ``/autograder/source``, runs ``setup.sh``
once, and for each submission ``run_autograder``, which calls ``rnngrade gradescope
run``, i.e. :func:`run`: official grading of ``/autograder/submission`` for the
student named in ``submission_metadata.json``, with the strongest sandbox the
container allows, into ``/autograder/results/results.json``.

Gradescope shows students only results.json, so the feedback is *in* it: each test's
``output`` is HTML (``test_output_format: html``; messages escaped first, then code
and numbers marked up, as in the HTML report), and the top-level ``output`` is a
summary (score per exercise, named mistakes, notices, the sandbox level and the
versions that graded). Sizes are capped by the settings below (Gradescope's own
documentation names no hard limit; these keep a page readable and the file far below
a megabyte whatever a submission prints).
"""

from __future__ import annotations

import json
import os
import stat
import zipfile
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from .. import __version__, versions
from ..display import shown
from ..fileio import write_atomic
from ..i18n import LANGS, msg, render
from ..results import Result
from . import render as render_template

# Caps (characters of HTML or JSON text).
TEST_OUTPUT_CHARS = 6_000  # one test's feedback
STUDENT_OUTPUT_CHARS = 1_500  # what the student's code printed, within that
SUMMARY_CHARS = 40_000  # the top-level output
RESULTS_CHARS = 900_000  # the whole results.json; over it, extra_data details are dropped

COURSE_FILE = "course.toml"  # in the zip: the assignment it grades (gradescope build --assignment)
ROOT_ENV = "RNNGRADE_AUTOGRADER_ROOT"
DEFAULT_ROOT = Path("/autograder")
VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
FORMATS = ("text", "html", "simple_format", "md", "ansi")


class GradescopeError(Exception):
    """The autograder cannot be built (no solutions, no wheel)."""


# ------------------------------------------------------------------ results.json
def _html_message(message: Any, lang: str) -> Markup:
    from ..report.html import rich

    try:
        return rich(render(message, lang))
    except Exception:  # a text missing from the catalogues must not cost the student the feedback
        return Markup("<code>{}</code>").format(getattr(message, "key", message))


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "\n…"


def test_html(check: Any, lang: str) -> str:
    """One graded item's feedback as HTML, within ``TEST_OUTPUT_CHARS``."""
    parts = [Markup("<p>{}</p>").format(_html_message(m, lang)) for m in check.messages]
    traceback = check.details.get("traceback")
    if traceback:
        parts.append(Markup("<pre>{}</pre>").format(_clip(str(traceback).rstrip(), 2_000)))
    if check.output:
        parts.append(Markup("<p>{}</p><pre>{}</pre>").format(render(msg("report.student_output"), lang),
                                                             _clip(check.output, STUDENT_OUTPUT_CHARS)))
    html = str(Markup("").join(parts))
    while len(html) > TEST_OUTPUT_CHARS and parts:
        parts.pop()  # whole elements only: the HTML stays well formed
        html = str(Markup("").join(parts)) + str(escape("…"))
    return html


def summary_html(result: Result, lang: str) -> str:
    """The top-level output: what was graded, the score per exercise, mistakes, notices."""
    from ..results.text import load_messages

    def t(key: str, **p: Any) -> str:

        return render(msg(key, **p), lang)

    rows = Markup("").join(
        Markup("<tr><td>{}</td><td>{} / {}</td></tr>").format(render(e.exercise.title, lang), _num(e.points),
                                                             _num(e.max_points))
        for e in result.exercises)
    parts = [
        Markup("<p><strong>{}</strong></p>").format(t("report.mode_official" if result.official
                                                      else "report.mode_selfcheck")),
        Markup("<p>{}</p>").format(t("report.total", score=_num(result.score), max_score=_num(result.max_score))),
        Markup("<table><tbody>{}</tbody></table>").format(rows),
    ]
    mistakes = result.mistakes()
    if mistakes:
        items = Markup("").join(Markup("<li>{}</li>").format(
            t("report.mistake_title", id=m, name=msg(f"mistake.{m}.name"))) for m in mistakes)
        parts.append(Markup("<p>{}</p><ul>{}</ul>").format(t("report.mistakes_found"), items))
    notices = load_messages(result)
    if notices:
        parts.append(Markup("<ul>{}</ul>").format(
            Markup("").join(Markup("<li>{}</li>").format(_html_message(n, lang)) for n in notices)))
    level = result.isolation or "-"
    try:
        level = t(f"isolation.{result.isolation}")
    except Exception:
        pass
    graded_with = t("deploy.versions_value", python=result.versions.get("python", "?"),
                    numpy=result.versions.get("numpy", "?"))
    parts.append(Markup("<p><small>{} · {} · rnngrade {}</small></p>").format(level, graded_with, result.version))
    html = str(Markup("").join(parts))
    return html if len(html) <= SUMMARY_CHARS else str(Markup("").join(parts[:3]))


def _num(x: float) -> str:
    """Points as students read them (the JSON fields keep the exact values)."""
    return shown(x)


def autograder_results(result: Result, lang: str) -> dict[str, Any]:
    """results.json for Gradescope with the feedback rendered for students (HTML), capped.
    Each test keeps its visibility (Gradescope shows an ``after_due_date`` test after the
    due date); the summary shows only what the student may see now."""
    from ..assignments.stage import student_view
    from ..results.gradescope import to_gradescope

    data = to_gradescope(result, lang)
    checks = result.checks
    for i, test in enumerate(data["tests"]):
        if i < len(checks):
            test["output"] = test_html(checks[i], lang)
        else:  # extra tests other stages added as plain text
            test["output"] = str(Markup("<pre>{}</pre>").format(_clip(str(test.get("output") or ""),
                                                                        TEST_OUTPUT_CHARS - 20)))
        test["output_format"] = "html"
    data["output"] = summary_html(student_view(result), lang)
    data["output_format"] = "html"
    data["test_output_format"] = "html"
    if len(json.dumps(data, ensure_ascii=False)) > RESULTS_CHARS:
        for test in data["tests"]:
            extra = test.get("extra_data")
            if isinstance(extra, dict):
                extra.pop("details", None)
                extra["messages"] = {lang: extra.get("messages", {}).get(lang, [])}
    return data


class NoStudentId(GradescopeError):
    """``submission_metadata.json`` is missing or names no submitter: an official grade
    would be seeded with a made-up id, so none is made; ``message`` says what to do."""

    def __init__(self, message: Any) -> None:
        self.message = message
        super().__init__(message.key)


def student_id(metadata: dict[str, Any]) -> str:
    """A stable id of the submitter (the first one of a group): Gradescope's student id
    (``sid``) where the course has one, else the e-mail, else the user id. Raises
    :class:`NoStudentId` when the metadata names no submitter (never the submission's
    own id, which changes with every submission, nor "anonymous")."""
    ids = student_aliases(metadata)
    if not ids:
        raise NoStudentId(msg("deploy.gradescope.no_submitter"))
    return ids[0]


def read_metadata(root: Path) -> dict[str, Any]:
    """``root/submission_metadata.json``, which Gradescope always writes; raises
    :class:`NoStudentId` when it is missing or unreadable."""
    path = root / "submission_metadata.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NoStudentId(msg("deploy.gradescope.no_metadata", path=str(path),
                              why=type(exc).__name__)) from None
    if not isinstance(data, dict):
        raise NoStudentId(msg("deploy.gradescope.no_metadata", path=str(path), why="not a JSON object"))
    return data


def handed_in(metadata: dict[str, Any]) -> Any:
    """When Gradescope received the submission (``created_at``), or None."""
    from ..assignments.handins import GRADESCOPE, HandIn, parse_time

    when = parse_time(str(metadata.get("created_at") or ""))
    return HandIn(when, GRADESCOPE) if when is not None else None


def course_assignment(source: Path) -> Any:
    """The assignment the zip was built for (``source/course.toml``), or the default one."""
    from ..assignments.config import Assignment, load
    from ..assignments.material import known

    path = source / COURSE_FILE
    if not path.is_file():
        return Assignment()
    return load(path, known(source / "solutions")).assignment()


def student_aliases(metadata: dict[str, Any]) -> tuple[str, ...]:
    """Every id Gradescope knows for the submitter (the first one of a group), in the
    order :func:`student_id` prefers them (student id, e-mail, user id): a quiz sheet
    made for any of them is the student's own."""
    users = metadata.get("users") if isinstance(metadata.get("users"), list) else []
    user = users[0] if users and isinstance(users[0], dict) else {}
    return tuple(str(user[key]) for key in ("sid", "email", "id") if user.get(key) not in (None, ""))


def run(root: Path | str | None = None, lang: str = "zh") -> dict[str, Any]:
    """Inside Gradescope: grade ``<root>/submission`` and write ``<root>/results/results.json``.

    With a course file in the zip (``gradescope build --assignment NAME``), the submission
    is graded for that assignment, and its late policy applies to Gradescope's time of the
    submission (``created_at``; then switch Gradescope's own late penalty off).

    Raises :class:`NoStudentId` (and writes nothing) without a submitter in
    ``submission_metadata.json``."""
    from ..api import grade

    root = Path(root or os.environ.get(ROOT_ENV) or DEFAULT_ROOT)
    metadata = read_metadata(root)  # no submitter, no grade: never one seeded with a made-up id
    student = student_id(metadata)
    assignment = course_assignment(root / "source")
    result = grade(root / "submission", solutions=root / "source" / "solutions", student=student,
                   assignment=assignment, handed_in=handed_in(metadata),
                   aliases=student_aliases(metadata))
    data = autograder_results(result, lang)
    (root / "results").mkdir(parents=True, exist_ok=True)
    write_atomic(root / "results" / "results.json", json.dumps(data, ensure_ascii=False))
    return data


# ------------------------------------------------------------------ the zip
def _add(z: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
    z.writestr(info, data)


def build(solutions: Path, out: Path, wheel: Path, lang: str = "zh", assignment: Any = None) -> list[str]:
    """Write the autograder zip; returns the names in it. For an ``assignment`` of a course
    file, the zip also holds its settings as ``course.toml`` (:func:`course_assignment`)."""
    if lang not in LANGS:
        raise GradescopeError(f"unknown language {lang!r}")
    solutions, wheel = Path(solutions), Path(wheel)
    if not (solutions.is_dir() and any(solutions.glob("*.py"))):
        raise GradescopeError(f"no reference solutions in {solutions}")
    if not (wheel.is_file() and wheel.name.startswith("rnngrade-") and wheel.suffix == ".whl"):
        raise GradescopeError(f"not an rnngrade wheel: {wheel}")
    params = {"version": __version__, "python": versions.PINNED_PYTHON, "numpy": versions.PINNED_NUMPY,
              "uv": versions.PINNED_UV, "wheel": wheel.name, "lang": lang}
    names = []
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(tmp, "w") as z:
        for name in ("setup.sh", "run_autograder"):
            _add(z, name, render_template(f"gradescope/{name}.j2", **params).encode(), executable=True)
            names.append(name)
        _add(z, wheel.name, wheel.read_bytes())
        names.append(wheel.name)
        if assignment is not None and not assignment.is_default:
            from ..assignments import public
            from ..assignments.material import quiz_selection
            from ..quiz.bank import load_bank

            ids = None
            if assignment.questions is not None and (solutions / "quiz").is_dir():
                ids = quiz_selection(assignment).apply(load_bank(solutions / "quiz", with_key=True)).ids()
            _add(z, COURSE_FILE, public.render(assignment, ids, with_extensions=True).encode())
            names.append(COURSE_FILE)
        for path in sorted(solutions.rglob("*")):
            rel = path.relative_to(solutions)
            if path.is_file() and "__pycache__" not in rel.parts and not path.is_symlink():
                name = "solutions/" + rel.as_posix()
                _add(z, name, path.read_bytes())
                names.append(name)
    tmp.replace(out)
    return names
