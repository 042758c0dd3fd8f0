"""The course folder: where a course's material is, never next to the installed package.

A course folder holds ``exercises/`` (the student release: stubs, notebook, public
cases, student quiz bank), on instructors' machines ``solutions/`` (the reference and
the quiz key), and optionally the course file ``course.toml`` (assignments, dates,
weights: :mod:`grader.assignments`). It is, in this order:

1. the folder given explicitly (``--course DIR``);
2. the folder in the environment variable ``RNNGRADE_COURSE``;
3. the current directory, or its nearest parent, that has ``exercises/`` or
   ``solutions/`` (so a student may work inside ``exercises/``);
4. otherwise the default course's public release bundled with the package (no
   solutions): a student who only installed rnngrade still self-checks against
   the public cases and answers the quiz.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from . import package_data

ENV = "RNNGRADE_COURSE"
EXERCISES = "exercises"
SOLUTIONS = "solutions"
COURSE_FILE = "course.toml"


class CourseError(Exception):
    """The course folder asked for does not exist or lacks what the command needs."""


@dataclass(frozen=True)
class Course:
    """Where one course's material is.

    ``root`` is None for the bundled default course; ``solutions`` is None where the
    course has no reference (students' machines, the bundled course)."""

    root: Path | None
    exercises: Path
    solutions: Path | None

    @property
    def bundled(self) -> bool:
        return self.root is None

    @property
    def course_file(self) -> Path | None:
        """The course file, where the course folder has one."""
        if self.root is None or not (self.root / COURSE_FILE).is_file():
            return None
        return self.root / COURSE_FILE

    def describe(self) -> str:
        return str(self.root) if self.root is not None else "(the default course bundled with rnngrade)"

    def need_solutions(self) -> Path:
        if self.solutions is None:
            raise CourseError(f"no {SOLUTIONS}/ in the course folder {self.describe()}: run this in the "
                              f"instructor's course folder, or give --course DIR or --solutions DIR")
        return self.solutions

    def need_folder(self) -> Path:
        """The course folder itself (commands that write into it refuse the bundled course)."""
        if self.root is None:
            raise CourseError(f"no course folder here (no {EXERCISES}/ or {SOLUTIONS}/ in {Path.cwd()} or "
                              f"its parents): run this in a course folder or give --course DIR "
                              f"(or set {ENV})")
        return self.root


def _is_course(folder: Path) -> bool:
    return (folder / EXERCISES).is_dir() or (folder / SOLUTIONS).is_dir()


def at(folder: Path | str) -> Course:
    """The course in ``folder`` (which must exist)."""
    root = Path(folder).resolve()
    if not root.is_dir():
        raise CourseError(f"course folder not found: {folder}")
    solutions = root / SOLUTIONS
    return Course(root, root / EXERCISES, solutions if solutions.is_dir() else None)


def bundled() -> Course:
    return Course(None, package_data.bundled_exercises(), None)


def locate(explicit: Path | str | None = None, cwd: Path | str | None = None,
           environ: dict[str, str] | None = None) -> Course:
    """The course to use (see the module's docstring for the order)."""
    if explicit is not None:
        return at(explicit)
    env = (environ if environ is not None else os.environ).get(ENV)
    if env:
        return at(env)
    here = Path(cwd or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if _is_course(folder):
            return at(folder)
    return bundled()


def public_folder() -> Path:
    """The public release to self-check against when none is given (library default)."""
    return locate().exercises
