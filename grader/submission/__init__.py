"""Turn what a student handed in into something the sandbox can load.

A submission is a ``.py`` file, a ``.ipynb`` notebook, or a folder of them (any
layout, CS231n's ``cs231n/layers.py`` included). :func:`prepare` copies the source
files into a private read-only snapshot, reads notebooks with nbformat, and lists
the modules to load. Problems (a corrupt notebook, an unreadable file) are recorded
as notices, never raised, so the report can still be written.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..sandbox.session import ModuleEntry
from ..untrusted import clean
from .notebook import NotebookError, read_code_cells

MAX_FILE_BYTES = 2 << 20
MAX_FILES = 200
SKIP_DIRS = {"__pycache__", ".git", ".venv", "venv", "env", ".ipynb_checkpoints", "node_modules",
             "site-packages", ".tox", ".mypy_cache", ".pytest_cache"}
SKIP_FILES = {"setup.py", "conftest.py"}


@dataclass
class Notice:
    """Something about the submission itself worth telling the student."""

    key: str  # message-catalogue key
    params: dict = field(default_factory=dict)


@dataclass
class PreparedSubmission:
    source: Path  # what the student handed in
    root: Path  # private snapshot the child loads from
    modules: list[ModuleEntry]
    notices: list[Notice]
    fingerprint: str
    files: list[str]

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _module_name(rel: Path) -> str:
    parts = list(rel.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1] or ["__init__"]
    return ".".join(p.replace("-", "_").replace(" ", "_") for p in parts)


def _candidates(source: Path) -> list[Path]:
    if source.is_file():
        return [source]
    found = []
    for dirpath, dirnames, filenames in os.walk(source):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith((".py", ".ipynb")) and name not in SKIP_FILES and not name.startswith("."):
                found.append(Path(dirpath) / name)
    return found


def fingerprint(source: Path | str) -> str:
    """A short hash of every file of the submission (code, notebooks, answer sheets).

    The same content gives the same fingerprint wherever it lies, so a class can be
    re-graded incrementally and a report names exactly what it graded."""
    source = Path(source)
    if not source.exists():
        return "-"
    base = source.parent if source.is_file() else source
    paths = [source] if source.is_file() else []
    if source.is_dir():
        for dirpath, dirnames, filenames in os.walk(source):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
            paths += [Path(dirpath) / f for f in sorted(filenames) if not f.startswith(".")]
    digest = hashlib.sha256()
    for path in sorted(paths)[: MAX_FILES * 2]:
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                continue
            data = path.read_bytes()
        except OSError:
            continue
        digest.update(os.fsencode(path.relative_to(base).as_posix()) + b"\0" + data + b"\0")
    return digest.hexdigest()[:12]


def prepare(source: Path | str) -> PreparedSubmission:
    """Snapshot ``source`` and list its modules; never raises for bad content."""
    source = Path(source).resolve()
    notices: list[Notice] = []
    root = Path(tempfile.mkdtemp(prefix="rnngrade-sub-"))
    os.chmod(root, 0o755)
    modules: list[ModuleEntry] = []
    files: list[str] = []
    if not source.exists():
        notices.append(Notice("submission.not_found", {"path": clean(str(source))}))
        return PreparedSubmission(source, root, [], notices, "-", [])
    base = source.parent if source.is_file() else source
    cands = _candidates(source)
    if len(cands) > MAX_FILES:
        notices.append(Notice("submission.too_many_files", {"count": len(cands), "limit": MAX_FILES}))
        cands = cands[:MAX_FILES]
    # Shallow files first, so a top-level module is loaded before a nested copy.
    cands.sort(key=lambda p: (len(p.relative_to(base).parts), str(p.relative_to(base))))
    for path in cands:
        # A file name is outside text: the snapshot, the child and every report use its
        # cleaned form (a name that is not UTF-8 or holds control characters is escaped).
        display = clean(path.relative_to(base).as_posix())
        rel = Path(display)
        try:
            data = path.read_bytes()
        except OSError as exc:
            notices.append(Notice("submission.unreadable", {"file": display, "error": clean(str(exc)[:200])}))
            continue
        if len(data) > MAX_FILE_BYTES:
            notices.append(Notice("submission.file_too_large", {"file": display, "limit_kb": MAX_FILE_BYTES >> 10}))
            continue
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        files.append(display)
        if path.suffix == ".py":
            modules.append(ModuleEntry(module=_module_name(rel), relpath=display))
            continue
        try:
            nb = read_code_cells(path, display)
        except NotebookError as exc:
            notices.append(Notice("submission.bad_notebook", {"file": display, "error": clean(str(exc))}))
            continue
        for line in nb.dropped:
            notices.append(Notice("submission.magic_dropped", {"file": display, "line": clean(line)}))
        modules.append(ModuleEntry(module="notebook_" + _module_name(rel).replace(".", "_"),
                                   relpath=display, cells=nb.cells))
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            os.chmod(Path(dirpath) / d, 0o755)
        for f in filenames:
            os.chmod(Path(dirpath) / f, 0o644)
    if not modules:
        notices.append(Notice("submission.no_code", {"path": clean(source.name)}))
    return PreparedSubmission(source, root, modules, notices, fingerprint(source), files)
