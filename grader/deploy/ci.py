"""GitHub Actions and GitLab CI files, for both sides of a course.

The *student's* side (the assignment's repository, a GitHub Classroom template or a
GitLab project) runs only the public self-check: no secret, no reference. A student
can edit it, so what it reports is feedback. Official grading is the *instructor's*
side: a workflow of the private course repository clones the students' repositories
with the instructor's token (a secret of that repository only), runs ``rnngrade batch``
with the solutions, and keeps grades.csv and the reports.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import __version__, versions
from . import render

PLATFORMS = ("github", "gitlab")

# file in the repository -> template under templates/deploy/
STUDENT_FILES = {
    "github": {".github/workflows/rnngrade-selfcheck.yml": "github/rnngrade-selfcheck.yml.j2"},
    "gitlab": {".gitlab-ci.yml": "gitlab/student.gitlab-ci.yml.j2"},
}
INSTRUCTOR_FILES = {
    "github": {".github/workflows/rnngrade-grade-class.yml": "github/rnngrade-grade-class.yml.j2"},
    "gitlab": {".gitlab-ci.yml": "gitlab/instructor.gitlab-ci.yml.j2"},
}


def _params(lang: str, assignment: str | None = None) -> dict[str, Any]:
    return {"version": __version__, "python": versions.PINNED_PYTHON, "numpy": versions.PINNED_NUMPY,
            "lang": lang, "assignment": assignment or ""}


def student_files(platforms: tuple[str, ...] = PLATFORMS, lang: str = "zh") -> dict[str, str]:
    """The student's CI files, by path in the assignment's repository."""
    return {path: render(template, **_params(lang))
            for p in platforms for path, template in STUDENT_FILES[p].items()}


def instructor_files(platform: str, lang: str = "zh", assignment: str | None = None) -> dict[str, str]:
    """The instructor's CI file, by path in the course repository; for one ``assignment``
    of the course file, its batch and exports take ``--assignment`` (the student's side
    needs none: the assignment's release carries its course.toml)."""
    return {path: render(template, **_params(lang, assignment))
            for path, template in INSTRUCTOR_FILES[platform].items()}


def write(platform: str, out: Path, lang: str = "zh", assignment: str | None = None) -> list[Path]:
    """``out/student/...`` and ``out/instructor/...`` for one platform; returns the files."""
    written = []
    sides = (("student", student_files((platform,), lang)),
             ("instructor", instructor_files(platform, lang, assignment)))
    for side, files in sides:
        for rel, text in files.items():
            path = Path(out) / side / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
