"""Helpers for tests: build submissions (from scratch or as mutants of the
reference) and read verdicts. Shared by every test module; import, don't copy."""

from __future__ import annotations

import shutil
from pathlib import Path

from grader import paths
from grader.api import grade
from grader.results import Result
from grader.specs import all_exercises

SOLUTIONS = paths.SOLUTIONS


def write_submission(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (relative path -> text) under ``root``; returns ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def mutant(root: Path, edits: dict[str, list[tuple[str, str]]], base: Path = SOLUTIONS) -> Path:
    """A copy of the reference solutions with textual edits: {file: [(old, new), ...]}.

    Every ``old`` must occur in the file, so a mutant can never silently equal the
    reference after the reference changes."""
    root.mkdir(parents=True, exist_ok=True)
    for path in base.glob("*.py"):
        shutil.copy(path, root / path.name)
    for name, pairs in edits.items():
        path = root / name
        text = path.read_text(encoding="utf-8")
        for old, new in pairs:
            assert old in text, f"mutation target not found in {name}: {old!r}"
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
    return root


def reference_plus(root: Path, code: str, file: str = "layers.py") -> Path:
    """A copy of the reference with ``code`` (dedented) appended to ``file``: an
    attack or a redefinition whose effect is then the only difference."""
    import textwrap

    mutant(root, {})
    path = root / file
    path.write_text(path.read_text(encoding="utf-8") + "\n" + textwrap.dedent(code), encoding="utf-8")
    return root


def exercises_named(*names: str):
    wanted = set(names)
    found = [e for e in all_exercises() if e.name in wanted]
    assert {e.name for e in found} == wanted, f"unknown exercises: {wanted - {e.name for e in found}}"
    return found


def grade_official(submission: Path | str, *exercise_names: str, student: str = "test-student", **kw) -> Result:
    """Official grading (with the reference), optionally of some exercises only."""
    ex = exercises_named(*exercise_names) if exercise_names else None
    return grade(submission, solutions=SOLUTIONS, student=student, exercises=ex, **kw)


def grade_fast(submission: Path | str, *exercise_names: str, student: str = "test-student", **kw) -> Result:
    """Official grading of *trusted* code (the reference and its mutants) in this
    process, with the child's semantics but no sandbox, and any exception inside a
    check or probe raised: the mutant tables run in milliseconds this way. Hostile
    and broken submissions go through :func:`grade_official` (the real sandbox)."""
    return grade_official(submission, *exercise_names, student=student, trusted_in_process=True, strict=True, **kw)


def statuses(result: Result) -> dict[str, str]:
    return {c.id: c.status for c in result.checks}


def failed_ids(result: Result) -> set[str]:
    return {c.id for c in result.checks if c.status != "passed"}


def mistakes_of(result: Result) -> set[str]:
    return {m for c in result.checks for m in c.mistakes}


def make_chain(root: Path, depth: int, leaf: str | None = None) -> None:
    """Folders ``root/d/d/.../d`` ``depth`` levels deep (os.makedirs would recurse), with
    an empty file ``leaf`` at the bottom."""
    import os

    fd = os.open(root, os.O_RDONLY)
    for _ in range(depth):
        os.mkdir("d", dir_fd=fd)
        inner = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = inner
    if leaf:
        os.close(os.open(leaf, os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=fd))
    os.close(fd)


def remove_chain(root: Path) -> None:
    """Remove what :func:`make_chain` made below ``root``, without recursing (pytest's
    own clean-up of old temp folders would hit the recursion limit)."""
    import os

    fd, depth = os.open(root, os.O_RDONLY), 0
    while True:
        try:
            inner = os.open("d", os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
        except FileNotFoundError:
            break
        os.close(fd)
        fd, depth = inner, depth + 1
    for _ in range(depth):
        for name in os.listdir(fd):
            os.unlink(name, dir_fd=fd)
        parent = os.open("..", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        os.rmdir("d", dir_fd=parent)
        fd = parent
    os.close(fd)


class ProcessWatch:
    """Watches ``/proc`` from a thread for processes whose command line holds ``token``
    (a daemon that ``exec``s ``sleep <token>`` is visible from the host whatever PID
    namespace it runs in): whether one was ever seen, and which are alive now. A
    liveness check: a test asserts that a process it saw running is gone, instead of
    sleeping and then finding that something did *not* happen."""

    def __init__(self, token: str) -> None:
        import threading

        self.token = token.encode()
        self.seen = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ProcessWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            if self.alive():
                self.seen = True
            self._stop.wait(0.01)

    def alive(self) -> list[int]:
        """Processes running ``sleep <token>`` now (a zombie's command line is empty)."""
        import os

        found = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    args = f.read().split(b"\0")
            except OSError:
                continue
            if self.token in args:
                found.append(int(pid))
        return found


def daemon_token() -> str:
    """A sleep duration no other process on the machine uses: the daemon's name."""
    import random

    return f"{300 + random.random():.9f}"
