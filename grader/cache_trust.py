"""The trust rule of the caches kept beside the installed package (``rnngrade.cache/``:
report templates, the child's harness, parsed catalogues and quiz bank, split plans).

What is read from there runs or decides in the trusted parent, so it is read only from a
folder that is ours alone (not a link, owned by this user, no access for group or
others) and from a regular file, not a link, owned by this user and writable by nobody
else, checked on the file as opened. Whoever could write there could as well plant a
``.pth`` beside the package: the same trust as the package itself, never more.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO


def private_folder(path: Path) -> bool:
    """The folder ``path`` is ours alone."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid() and not st.st_mode & 0o077


def _trusted(st: os.stat_result) -> bool:
    return stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid() and not st.st_mode & 0o022


def trusted_file(path: Path) -> bool:
    """``path`` is a regular file of ours that nobody else may write (no link followed)."""
    try:
        return _trusted(os.lstat(path))
    except OSError:
        return False


def open_trusted(path: Path) -> BinaryIO | None:
    """``path`` opened for reading when the file as opened is :func:`trusted_file` (no
    link followed, its own fstat); None otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    f = os.fdopen(fd, "rb")
    if not _trusted(os.fstat(fd)):
        f.close()
        return None
    return f
