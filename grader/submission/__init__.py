"""Turn what a student handed in into something the sandbox can load.

A submission is a ``.py`` file, a ``.ipynb`` notebook, a ``.zip``, or a folder of
them (any layout, CS231n's ``cs231n/layers.py`` included). The public API:

* :func:`take_snapshot` reads it once, safely, into a :class:`Snapshot` (the files'
  relative paths and bytes, the notices about what was skipped, the fingerprint);
  see :mod:`.snapshot` for the rules (no link followed, regular files only, caps);
* :func:`prepare` builds on a snapshot (taken here, or handed over by a batch):
  it writes the ``.py`` files into a private folder the child loads from, reads
  notebooks from the snapshot's bytes and lists the modules to load.

Every later stage (the code, the quiz sheet, the fingerprint) reads the snapshot,
never the live folder. Problems are notices, never exceptions, so the report can
always be written.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..calls import ModuleEntry
from ..i18n import msg
from ..untrusted import clean
from .notebook import NotebookError, read_code_cells
from .notices import Notice, Skips
from .snapshot import SKIP_DIRS, IntakeLimits, Snapshot, SnapshotFile
from .take import take_snapshot

__all__ = ["SKIP_DIRS", "IntakeLimits", "Notice", "PreparedSubmission", "Snapshot", "SnapshotFile",
           "fingerprint", "prepare", "take_snapshot"]


@dataclass
class PreparedSubmission:
    snapshot: Snapshot  # what was handed in, read once
    root: Path  # private folder the child loads from (the snapshot's .py files)
    modules: list[ModuleEntry]
    notices: list[Notice]  # the snapshot's notices, then the notebooks'

    @property
    def source(self) -> Path:
        return self.snapshot.source

    @property
    def fingerprint(self) -> str:
        return self.snapshot.fingerprint

    @property
    def files(self) -> list[str]:
        return self.snapshot.paths

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _module_name(rel: str) -> str:
    parts = list(PurePosixPath(rel).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1] or ["__init__"]
    return ".".join(p.replace("-", "_").replace(" ", "_") for p in parts)


def fingerprint(source: Path | str | Snapshot) -> str:
    """The fingerprint of a submission (see :attr:`Snapshot.fingerprint`)."""
    snap = source if isinstance(source, Snapshot) else take_snapshot(source)
    return snap.fingerprint


def _write_private(root: Path, f: SnapshotFile) -> None:
    """Write one file below ``root`` (paths come from the intake: relative, no ``..``)."""
    target = root.joinpath(*PurePosixPath(f.path).parts)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    with os.fdopen(fd, "wb") as out:
        out.write(f.data)


def private_root() -> Path:
    """A new private folder for a submission's code (the child reads it, the parent writes it)."""
    root = Path(tempfile.mkdtemp(prefix="rnngrade-sub-"))
    os.chmod(root, 0o755)
    return root


def prepare(source: Path | str | Snapshot, limits: IntakeLimits | None = None,
            root: Path | None = None) -> PreparedSubmission:
    """List the modules of a submission and write its code where the child loads it.

    ``source`` is a path (read here with :func:`take_snapshot`) or a snapshot already
    taken. ``root``: the empty folder of :func:`private_root` to write into (a sandbox
    launched before the submission was read binds it already); default: a new one.
    Never raises for bad content."""
    limits = limits or IntakeLimits()
    snap = source if isinstance(source, Snapshot) else take_snapshot(source, limits)
    notices = list(snap.notices)
    if root is None or any(Path(root).iterdir()):
        root = private_root()
    modules: list[ModuleEntry] = []
    clashes = Skips()
    for f in snap.files:
        if f.path.endswith(".py"):
            try:
                _write_private(root, f)
            except OSError as exc:  # a zip may hold both "a.py" and "a.py/b.py"
                conflict = exc.errno in (errno.EEXIST, errno.ENOTDIR, errno.EISDIR)
                # otherwise: a name that escaping made longer than the file system allows
                clashes.add("intake.path_conflict" if conflict else "intake.unreadable", f.path)
                continue
            modules.append(ModuleEntry(module=_module_name(f.path), relpath=f.path))
        elif f.path.endswith(".ipynb"):
            entry = _notebook(f, limits, notices)
            if entry is not None:
                modules.append(entry)
    notices += clashes.notices()
    for dirpath, dirnames, _ in os.walk(root):
        for d in dirnames:
            os.chmod(Path(dirpath) / d, 0o755)
    if not modules and snap.kind != "missing":
        notices.append(Notice("submission.no_code", {"path": clean(snap.source.name)}))
    return PreparedSubmission(snap, root, modules, notices)


def _notebook(f: SnapshotFile, limits: IntakeLimits, notices: list[Notice]) -> ModuleEntry | None:
    try:
        nb = read_code_cells(f.data, f.path, limits.max_notebook_cells)
    except NotebookError as exc:
        notices.append(Notice("submission.bad_notebook", {"file": f.path, "error": clean(str(exc))}))
        return None
    if nb.dropped_count:
        notices.append(Notice("notebook.magic_dropped", {"file": f.path, "count": nb.dropped_count,
                                                         "lines": list(nb.dropped)}))
    if nb.odd:
        cells = nb.odd[:5] + ([msg("fixb.nb_more")] if len(nb.odd) > 5 else [])
        notices.append(Notice("notebook.odd_cells", {"file": f.path, "count": len(nb.odd), "cells": cells}))
    if nb.cells_cut:
        notices.append(Notice("notebook.too_many_cells", {"file": f.path, "count": nb.cells_cut,
                                                          "limit": limits.max_notebook_cells}))
    return ModuleEntry(module="notebook_" + _module_name(f.path).replace(".", "_"), relpath=f.path, cells=nb.cells)
