"""Read the code of one submission as text, in the trusted parent, without running it.

A submission is what ``rnngrade batch`` takes per student: a ``.py`` file, a
notebook, or a folder of them in any layout. Files are listed as the grader lists
them (the same skipped folders and files, the same caps, shallow files first), but
nothing is ever imported or executed: the similarity check only reads text.

Hostile content cannot stop the class from being compared: links and non-regular
files are never followed or opened, sizes are capped (per file, per submission),
binary files and undecodable bytes are skipped with a note, and a notebook that
nbformat cannot read gets a note too. Notes are :class:`~grader.i18n.Message`
values for the page, never exceptions.
"""

from __future__ import annotations

import io
import os
import stat
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from ..i18n import Message, msg
from ..submission import MAX_FILE_BYTES, MAX_FILES, SKIP_DIRS, SKIP_FILES

MAX_SUBMISSION_BYTES = 8 << 20  # all code files of one student together
MAX_DEPTH = 12  # folder levels below the submission


@dataclass(frozen=True)
class Source:
    """One piece of a student's code: a ``.py`` file or one notebook cell."""

    label: str  # "cs231n/rnn_layers.py" or "hw.ipynb [cell 3]"
    text: str
    module: int  # pieces with the same number form one module (a notebook's cells)


@dataclass
class SubmissionText:
    sources: list[Source] = field(default_factory=list)
    notes: list[Message] = field(default_factory=list)


def _files(root: Path, notes: list[Message]) -> list[tuple[Path, str]]:
    """Code files under ``root`` (never through a link), shallow first, capped."""
    found: list[tuple[Path, str]] = []
    stack: list[tuple[Path, str, int]] = [(root, "", 0)]
    while stack:
        folder, prefix, depth = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            notes.append(msg("similarity.note.unreadable", file=prefix or ".", error=str(exc)[:200]))
            continue
        for entry in entries:
            rel = prefix + entry.name
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                if entry.name not in SKIP_DIRS and depth < MAX_DEPTH:
                    stack.append((Path(entry.path), rel + "/", depth + 1))
            elif entry.name.endswith((".py", ".ipynb")) and entry.name not in SKIP_FILES:
                if entry.is_symlink():
                    notes.append(msg("similarity.note.link", file=rel))
                else:
                    found.append((Path(entry.path), rel))
    found.sort(key=lambda f: (f[1].count("/"), f[1]))
    if len(found) > MAX_FILES:
        notes.append(msg("similarity.note.too_many_files", count=len(found), limit=MAX_FILES))
        found = found[:MAX_FILES]
    return found


def _read_regular(path: Path, limit: int) -> bytes | None:
    """Up to ``limit + 1`` bytes of a regular file, refusing links and devices."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read(limit + 1)
    finally:
        os.close(fd)


def decode(data: bytes) -> str:
    """Text of a Python file: its declared encoding (PEP 263, BOM) or UTF-8;
    undecodable bytes become U+FFFD rather than an error."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        encoding = "utf-8"
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return data.decode("utf-8", errors="replace")


def read_submission(path: Path | str) -> SubmissionText:
    """Every code file and notebook cell of the submission at ``path``; never raises
    for what the submission contains."""
    path = Path(path)
    out = SubmissionText()
    try:
        st = path.lstat()
    except OSError as exc:
        out.notes.append(msg("similarity.note.unreadable", file=path.name, error=str(exc)[:200]))
        return out
    if stat.S_ISLNK(st.st_mode):
        out.notes.append(msg("similarity.note.link", file=path.name))
        return out
    if stat.S_ISDIR(st.st_mode):
        files = _files(path, out.notes)
    else:
        files = [(path, path.name)]
    budget = MAX_SUBMISSION_BYTES
    for module, (file, rel) in enumerate(files):
        try:
            data = _read_regular(file, MAX_FILE_BYTES)
        except OSError as exc:
            out.notes.append(msg("similarity.note.unreadable", file=rel, error=str(exc)[:200]))
            continue
        if data is None:
            out.notes.append(msg("similarity.note.not_regular", file=rel))
            continue
        if len(data) > MAX_FILE_BYTES:
            out.notes.append(msg("similarity.note.too_large", file=rel, limit_kb=MAX_FILE_BYTES >> 10))
            continue
        if len(data) > budget:
            out.notes.append(msg("similarity.note.submission_too_large", file=rel,
                                 limit_kb=MAX_SUBMISSION_BYTES >> 10))
            break
        budget -= len(data)
        if b"\0" in data:
            out.notes.append(msg("similarity.note.binary", file=rel))
            continue
        if rel.endswith(".ipynb"):
            out.sources.extend(_notebook_cells(file, rel, module, out.notes))
        else:
            out.sources.append(Source(rel, decode(data), module))
    if not out.sources and not out.notes:
        out.notes.append(msg("similarity.note.no_code"))
    return out


def _notebook_cells(file: Path, rel: str, module: int, notes: list[Message]) -> list[Source]:
    """The notebook's code cells, read by :mod:`grader.submission.notebook` exactly as
    for grading (IPython magics and shell lines dropped)."""
    from ..submission.notebook import NotebookError, read_code_cells

    try:
        cells = read_code_cells(file, rel)
    except NotebookError as exc:
        notes.append(msg("similarity.note.bad_notebook", file=rel, error=str(exc)[:200]))
        return []
    return [Source(cell["label"], cell["source"], module) for cell in cells.cells]
