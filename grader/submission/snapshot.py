"""The snapshot: what a student handed in, read once, safely, into memory.

Everything later stages know about a submission comes from its :class:`Snapshot`:
the code the sandbox loads, the notebook cells, the quiz answer sheet and the
fingerprint that says whether a batch must grade it again. The live folder is read
exactly once, by :func:`.take.take_snapshot`, under the rules of :class:`IntakeLimits`:

* only regular files are opened, never through a link: every folder is opened
  relative to its parent's descriptor with ``O_NOFOLLOW`` and every file with
  ``O_NOFOLLOW | O_NONBLOCK``, then checked with ``fstat``, so a symlink (to a
  reference module, ``/proc/self/environ`` or ``/dev/zero``), a FIFO, a socket or a
  device is skipped, never read and never waited for;
* a file with several hard links is skipped (it may be a name for a file outside
  the submission);
* at most ``cap + 1`` bytes are read from a file, and a file whose size is over its
  cap is not read at all (a 2 GB sparse file costs one ``fstat``);
* the walk is iterative and breadth-first (shallow code first) and bounded in
  depth, in directory entries examined and in files and bytes kept, so neither a
  folder 1,100 levels deep nor one 10,000 files wide can raise or stall;
* a ``.zip`` is read in memory with its own limits (see :mod:`.archive`).

Whatever is skipped is said, once per reason, in :attr:`Snapshot.notices`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..untrusted import clean
from .notices import Notice

CODE_SUFFIXES = (".py", ".ipynb")
# Data files that influence grading, kept by exact name (the quiz's answer sheet;
# a test checks this matches grader.quiz.SHEET_NAME).
KEPT_NAMES = frozenset({"quiz_answers.toml"})
SKIP_DIRS = frozenset({"__pycache__", ".git", ".venv", "venv", "env", ".ipynb_checkpoints", "node_modules",
                       "site-packages", ".tox", ".mypy_cache", ".pytest_cache", "__MACOSX"})
SKIP_FILES = frozenset({"setup.py", "conftest.py"})


@dataclass(frozen=True)
class IntakeLimits:
    """Every cap of the intake, in one place (documented in docs/security.md)."""

    max_depth: int = 12  # folders below the submission's top that are read
    max_entries: int = 20_000  # directory entries (or zip members) examined in all
    max_files: int = 200  # files kept (code, notebooks, answer sheets)
    max_file_bytes: int = 2 << 20  # one .py file or answer sheet
    max_notebook_bytes: int = 16 << 20  # one notebook (plots embedded in outputs make them large)
    max_total_bytes: int = 32 << 20  # all files kept together
    max_notebook_cells: int = 2_000  # code cells run from one notebook
    max_archive_bytes: int = 64 << 20  # a .zip hand-in itself
    max_ratio: int = 100  # uncompressed / compressed size of one zip member (bombs)

    def cap(self, name: str) -> int:
        return self.max_notebook_bytes if name.endswith(".ipynb") else self.max_file_bytes


@dataclass(frozen=True)
class SnapshotFile:
    """One file of the submission: its path relative to the submission (POSIX form;
    for a single-file hand-in, its name) and its bytes."""

    path: str
    data: bytes

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).name

    @property
    def depth(self) -> int:
        """Folders between the submission's top and this file."""
        return self.path.count("/")


@dataclass
class Snapshot:
    """What was handed in, as read once: files (shallowest first, then by path) and
    the notices about what was skipped."""

    source: Path  # as given (not resolved: a link is never followed)
    kind: str  # "folder", "file", "zip", or "missing" when nothing could be read
    files: tuple[SnapshotFile, ...] = ()
    notices: list[Notice] = field(default_factory=list)

    @property
    def fingerprint(self) -> str:
        """A digest of every file kept (path and bytes, length-prefixed): the same
        content gives the same fingerprint wherever it lies, and any change to a file
        that can influence grading changes it. ``"-"`` when nothing was handed in."""
        if self.kind == "missing":
            return "-"
        digest = hashlib.sha256(b"rnngrade-snapshot-1\0")
        for f in sorted(self.files, key=lambda f: f.path):
            path = f.path.encode("utf-8", "surrogateescape")
            digest.update(len(path).to_bytes(8, "big") + path + len(f.data).to_bytes(8, "big") + f.data)
        return digest.hexdigest()[:16]

    @property
    def paths(self) -> list[str]:
        return [f.path for f in self.files]

    def get(self, path: str) -> SnapshotFile | None:
        return next((f for f in self.files if f.path == path), None)

    def named(self, name: str) -> list[SnapshotFile]:
        """Files called ``name`` anywhere in the submission, shallowest first."""
        return [f for f in self.files if f.name == name]


def wanted(name: str) -> bool:
    """Is a file of this name part of what is graded?"""
    if name.startswith(".") or name in SKIP_FILES:
        return False
    return name.endswith(CODE_SUFFIXES) or name in KEPT_NAMES


def skipped_dir(name: str) -> bool:
    return name.startswith(".") or name in SKIP_DIRS


def display(name: str) -> str:
    """A path as a notice shows it: cleaned (:func:`grader.untrusted.clean`) and cut."""
    return clean(name)[:200]


def escaped(name: str) -> bool:
    """Does this name need :func:`grader.untrusted.clean` (bytes that are not UTF-8,
    control or bidi characters)? Such a file is still graded, under its cleaned name
    (``caf\\xe9.py``), so a Chinese file name unpacked in GBK costs the student
    nothing; one notice says which names were escaped."""
    return clean(name) != name


def order(files: list[SnapshotFile]) -> tuple[SnapshotFile, ...]:
    """Shallow files first, so a top-level module is loaded before a nested copy."""
    return tuple(sorted(files, key=lambda f: (f.depth, f.path)))
