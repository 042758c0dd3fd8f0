"""``rnngrade release``: the student bundle, as a folder and a zip.

Contents: ``exercises/`` exactly as ``rnngrade generate`` makes it (stubs, notebook,
public cases, student quiz bank), a bilingual ``README.md``, ``requirements.txt``
pinning rnngrade and numpy (:mod:`grader.versions`), the rnngrade wheel in ``wheels/``
(the requirements file points pip there), and the student's self-check CI files; for
an assignment of a course file, also ``course.toml`` with its public settings (which
exercises and questions, the seed's name and salt, weights, dates, late policy).
Nothing else: no reference, no quiz key, no hidden input (hidden inputs are drawn at
grading time from the student's seed and never stored). The zip is reproducible
(sorted names, fixed timestamps).
"""

from __future__ import annotations

import datetime as _dt
import shutil
import stat
import zipfile
from pathlib import Path

from .. import __version__, i18n, versions
from ..assignments import public
from ..assignments.config import Assignment
from ..assignments.material import assignment_exercises, quiz_selection
from ..generate import render_release
from ..quiz.bank import load_bank
from ..specs import all_exercises
from . import ci, render

BUNDLE_NAME = "{assignment}-student"
COURSE_FILE = "course.toml"


def bundle_files(solutions: Path, lang: str = "zh", with_ci: bool = True,
                 assignment: Assignment | None = None) -> dict[str, str]:
    """Every text file of the bundle, by relative path (the wheel is added by :func:`write`).

    For an ``assignment`` of a course file: its exercises' public cases, its questions,
    and ``course.toml`` with its public settings (:mod:`grader.assignments.public`);
    without one (or the default assignment), the whole course as always."""
    assignment = assignment or Assignment()
    selection = quiz_selection(assignment)
    exercises = render_release(Path(solutions), assignment_exercises(assignment), selection)
    files = {f"exercises/{rel}": text for rel, text in exercises.items()}
    quiz_dir = Path(solutions) / "quiz"
    bank = selection.apply(load_bank(quiz_dir, with_key=True)) if quiz_dir.is_dir() else None
    questions = len(bank.questions) if bank is not None else 0
    spec = versions.declared()
    params = {"version": __version__, "numpy": versions.PINNED_NUMPY, "python_range": spec.python,
              "questions": questions, "ci": with_ci, "assignment": assignment.name,
              "title_zh": "循环神经网络 RNN 与 LSTM · 编程作业", "title_en": "RNN and LSTM · programming assignment",
              "course": None}
    if not assignment.is_default:
        titles = {e.name: e.title for e in all_exercises()}
        params["course"] = {
            "title_zh": assignment.title_in("zh"), "title_en": assignment.title_in("en"),
            "release": _when(assignment.release), "due": _when(assignment.due),
            "late": assignment.late,
            "exercises_zh": [i18n.render(titles[n], "zh") for n in assignment.exercise_names(list(titles))],
            "exercises_en": [i18n.render(titles[n], "en") for n in assignment.exercise_names(list(titles))],
        }
        ids = bank.ids() if bank is not None and assignment.questions is not None else None
        files[COURSE_FILE] = public.render(assignment, ids)
    files["README.md"] = render("release/README.md.j2", **params)
    files["requirements.txt"] = render("release/requirements.txt.j2", **params)
    if with_ci:
        files.update(ci.student_files(lang=lang))
    return files


def _when(moment: _dt.datetime | None) -> str:
    return moment.isoformat(timespec="minutes").replace("T", " ") if moment is not None else ""


def write(solutions: Path, out: Path, wheel: Path, lang: str = "zh", with_ci: bool = True,
          assignment: Assignment | None = None) -> tuple[Path, Path]:
    """Write ``out/<name>/`` and ``out/<name>.zip``; returns both."""
    assignment = assignment or Assignment()
    name = BUNDLE_NAME.format(assignment=assignment.name)
    folder, archive = Path(out) / name, Path(out) / f"{name}.zip"
    files = {rel: text.encode() for rel, text in bundle_files(solutions, lang, with_ci, assignment).items()}
    files[f"wheels/{Path(wheel).name}"] = Path(wheel).read_bytes()
    if folder.exists():
        shutil.rmtree(folder)
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    tmp = archive.with_name(archive.name + ".tmp")
    with zipfile.ZipFile(tmp, "w") as z:
        for rel in sorted(files):
            info = zipfile.ZipInfo(f"{name}/{rel}", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o644 | stat.S_IFREG) << 16
            z.writestr(info, files[rel])
    tmp.replace(archive)
    return folder, archive
