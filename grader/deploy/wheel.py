"""Build the rnngrade wheel that an autograder or a student bundle installs."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..i18n import Message, msg, render


class WheelError(Exception):
    """No wheel could be built (no source checkout, or the build failed).

    ``message`` is the catalogue text to show, where there is one."""

    def __init__(self, text: str, message: Message | None = None) -> None:
        super().__init__(text)
        self.message = message


@dataclass(frozen=True)
class Source:
    """A checkout of rnngrade to build the wheel from; ``how``: ``running`` (the
    rnngrade that runs is an editable install or a checkout), ``course`` (the course
    folder is in a checkout) or ``cwd`` (the current folder is)."""

    root: Path
    how: str


def is_checkout(folder: Path) -> bool:
    """Whether ``folder`` is a checkout of rnngrade: its pyproject.toml names the project."""
    pyproject = folder / "pyproject.toml"
    if not pyproject.is_file() or not (folder / "grader").is_dir():
        return False
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return data.get("project", {}).get("name") == "rnngrade"


def checkout_above(start: Path) -> Path | None:
    """The nearest folder from ``start`` upwards that is a checkout of rnngrade."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if is_checkout(folder):
            return folder
    return None


def find_source(course_root: Path | None = None, cwd: Path | None = None) -> Source:
    """The rnngrade source to build a wheel from: a checkout holding the course folder,
    else one holding ``cwd`` (upwards), else the running package's own checkout (an
    editable install); the instructor who works in a checkout ships that checkout.

    Raises :class:`WheelError` saying what to do when there is none."""
    from ..package_data import source_checkout

    for start, how in ((course_root, "course"), (cwd or Path.cwd(), "cwd")):
        if start is not None and (found := checkout_above(start)) is not None:
            return Source(found, how)
    root = source_checkout()
    if root is not None:
        return Source(root, "running")
    message = msg("fixb.wheel_no_source", cwd=str((cwd or Path.cwd()).resolve()))
    raise WheelError(render(message, "en"), message)


def source_tree() -> Path:
    """The rnngrade source this package runs from (an editable install or a checkout)."""
    return find_source().root


def build_wheel(source: Path, out: Path, isolated: bool = True) -> Path:
    """``pip wheel`` of ``source`` into ``out``; returns the wheel.

    ``isolated=False`` builds with this environment's setuptools and needs no network."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp, str(source)]
        if not isolated:
            cmd[4:4] = ["--no-build-isolation", "--no-index"]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wheels = sorted(Path(tmp).glob("rnngrade-*.whl"))
        if proc.returncode != 0 or len(wheels) != 1:
            raise WheelError(f"building the wheel failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        target = out / wheels[0].name
        target.write_bytes(wheels[0].read_bytes())
    return target
