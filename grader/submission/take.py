"""Taking the snapshot: a folder, a single ``.py`` file, a notebook or a ``.zip``
read once into a :class:`~.snapshot.Snapshot` (the rules are :mod:`.snapshot`'s;
:mod:`.folder` walks a folder, :mod:`.archive` reads a zip)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..untrusted import clean
from .folder import read_file_at, walk_folder
from .notices import Notice, Skips
from .snapshot import CODE_SUFFIXES, IntakeLimits, Snapshot, SnapshotFile, display, escaped, order


def take_snapshot(source: Path | str, limits: IntakeLimits | None = None) -> Snapshot:
    """Read ``source`` (a folder, a ``.py`` file, a notebook or a ``.zip``) once.

    Never raises for what the submission contains; never follows a link, including
    the submission itself when it is one (its parent folders are the operator's)."""
    limits = limits or IntakeLimits()
    source = Path(source)
    shown = display(source.name or str(source))
    try:
        info = os.lstat(source)
    except OSError:
        return Snapshot(source, "missing", notices=[Notice("submission.not_found", {"path": display(str(source))})])
    if stat.S_ISLNK(info.st_mode):
        return Snapshot(source, "missing", notices=[Notice("intake.source_link", {"path": shown})])
    if stat.S_ISDIR(info.st_mode):
        files, notices = walk_folder(source, limits)
        return Snapshot(source, "folder", order(files), notices)
    if not stat.S_ISREG(info.st_mode):
        return Snapshot(source, "missing", notices=[Notice("intake.source_special", {"path": shown})])
    skips = Skips()
    if source.name.lower().endswith(".zip"):
        data = read_file_at(None, str(source), shown, limits.max_archive_bytes, skips)
        if data is None:
            return Snapshot(source, "missing", notices=skips.notices())
        from .archive import read_zip  # zipfile (~10 ms) only for a .zip submission

        files, notices = read_zip(data, shown, limits)
        return Snapshot(source, "zip", order(files), skips.notices() + notices)
    if not source.name.endswith(CODE_SUFFIXES):
        return Snapshot(source, "missing", notices=[Notice("intake.source_kind", {"path": shown})])
    data = read_file_at(None, str(source), shown, limits.cap(source.name), skips)
    files = [SnapshotFile(clean(source.name), data)] if data is not None else []
    if files and escaped(source.name):
        skips.add("intake.bad_name", shown)
    return Snapshot(source, "file", tuple(files), skips.notices())
