"""Read a submission folder into memory without following a link or opening
anything but a regular file (the rules are listed in :mod:`.snapshot`).

Every folder is opened relative to its parent's descriptor with ``O_NOFOLLOW``, so
replacing a folder by a link while the grader reads cannot lead it outside the
submission; every file is opened the same way and checked with ``fstat`` before a
byte is read.
"""

from __future__ import annotations

import errno
import os
import stat
from collections import deque
from pathlib import Path
from typing import Any

from ..untrusted import clean
from .notices import Notice, Skips
from .snapshot import IntakeLimits, SnapshotFile, display, escaped, skipped_dir, wanted

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


def _too_large_key(name: str) -> str:
    if name.endswith(".ipynb"):
        return "intake.notebook_too_large"
    if name.endswith(".zip"):
        return "intake.archive_too_large"
    return "intake.too_large"


def read_file_at(dir_fd: int | None, name: str, shown: str, cap: int, skips: Skips) -> bytes | None:
    """The bytes of the regular file ``name`` (relative to ``dir_fd``), at most ``cap``;
    None, with the reason added to ``skips``, for anything else."""
    try:
        fd = os.open(name, _FILE_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        skips.add("intake.link" if exc.errno == errno.ELOOP else "intake.unreadable", shown)
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            skips.add("intake.special", shown)
            return None
        if info.st_nlink > 1:
            skips.add("intake.hard_link", shown)
            return None
        key = _too_large_key(name)
        if info.st_size > cap:
            skips.add(key, shown, limit_kb=cap >> 10)
            return None
        chunks, left = [], cap + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > cap:  # it grew while we read
            skips.add(key, shown, limit_kb=cap >> 10)
            return None
        return data
    except OSError:
        skips.add("intake.unreadable", shown)
        return None
    finally:
        os.close(fd)


def _open_dir(root_fd: int, parts: tuple[str, ...]) -> int:
    """A descriptor of the folder ``parts`` below the root, each step without following links."""
    fd = os.dup(root_fd)
    for part in parts:
        try:
            child = os.open(part, _DIR_FLAGS, dir_fd=fd)
        finally:
            os.close(fd)
        fd = child
    return fd


def walk_folder(root: Path, limits: IntakeLimits) -> tuple[list[SnapshotFile], list[Notice]]:
    """Files of the folder ``root`` that are graded, breadth-first, with notices."""
    skips = Skips()
    try:
        root_fd = os.open(root, _DIR_FLAGS)
    except OSError as exc:
        key = "intake.source_link" if exc.errno == errno.ELOOP else "intake.unreadable"
        return [], [Notice(key, {"path": display(root.name), "count": 1, "files": display(root.name)})]
    files: list[SnapshotFile] = []
    total = examined = 0
    full = False
    queue: deque[tuple[str, ...]] = deque([()])
    try:
        while queue and not full:
            parts = queue.popleft()
            here = "/".join(parts)
            try:
                fd = _open_dir(root_fd, parts)
            except OSError as exc:
                skips.add("intake.link" if exc.errno == errno.ELOOP else "intake.unreadable", display(here))
                continue
            try:
                with os.scandir(fd) as it:
                    entries = []
                    for entry in it:
                        examined += 1
                        if examined > limits.max_entries:
                            full = True
                            break
                        entries.append(entry)
                    entries.sort(key=lambda e: e.name)
                    for entry in entries:
                        total += _visit(entry, fd, parts, limits, files, total, queue, skips)
            except OSError:
                skips.add("intake.unreadable", display(here or "."))
            finally:
                os.close(fd)
    finally:
        os.close(root_fd)
    notices = skips.notices()
    if full:
        notices.append(Notice("intake.too_many_entries", {"limit": limits.max_entries}))
    return files, notices


def _visit(entry: os.DirEntry[str], fd: int, parts: tuple[str, ...], limits: IntakeLimits, files: list[SnapshotFile],
           total: int, queue: deque[Any], skips: Skips) -> int:
    """Look at one directory entry; returns the bytes it added to the snapshot."""
    name = entry.name
    raw = "/".join((*parts, name))
    rel = clean(raw)  # the path every later stage uses (see snapshot.escaped)
    shown = display(raw)
    if name.startswith("."):
        return 0
    if entry.is_symlink():
        skips.add("intake.link", shown)
        return 0
    if entry.is_dir(follow_symlinks=False):
        if skipped_dir(name):
            return 0
        if len(parts) + 1 > limits.max_depth:
            skips.add("intake.too_deep", shown, limit=limits.max_depth)
        else:
            queue.append((*parts, name))
        return 0
    if not entry.is_file(follow_symlinks=False):
        skips.add("intake.special", shown)
        return 0
    if not wanted(name):
        return 0
    # Two names can clean to one path only if one of them holds a backslash.
    if "\\" in rel and any(f.path == rel for f in files):
        skips.add("intake.duplicate", shown)
        return 0
    if len(files) >= limits.max_files:
        skips.add("intake.too_many_files", shown, limit=limits.max_files)
        return 0
    data = read_file_at(fd, name, shown, limits.cap(name), skips)
    if data is None:
        return 0
    if total + len(data) > limits.max_total_bytes:
        skips.add("intake.total_too_large", shown, limit_mb=limits.max_total_bytes >> 20)
        return 0
    files.append(SnapshotFile(rel, data))
    if escaped(raw):
        skips.add("intake.bad_name", shown)
    return len(data)
