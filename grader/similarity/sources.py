"""Read the code of one submission as text, in the trusted parent, without running it.

A submission is what ``rnngrade batch`` takes per student: a ``.py`` file, a
notebook, a ``.zip`` or a folder of them in any layout. It is read exactly as the
grader reads it, through :func:`grader.submission.take_snapshot` (or a snapshot
already taken): the same files, skipped folders and caps, shallow files first, no
link followed, only regular files opened, an archive read in memory. Nothing is
ever imported or executed: the similarity check only reads text.

Hostile content cannot stop the class from being compared: what the intake skipped
is said by its own notices (the same texts as in a grade report), and on top of it
the code of one student is capped in all, binary files are skipped with a note, and
a notebook that cannot be read gets a note too. Notes are
:class:`~grader.i18n.Message` values for the page, never exceptions.
"""

from __future__ import annotations

import io
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from ..i18n import Message, msg
from ..submission import Snapshot, SnapshotFile, take_snapshot
from ..untrusted import clean

MAX_SUBMISSION_BYTES = 8 << 20  # all code files of one student together (lexing is the cost)
CODE_SUFFIXES = (".py", ".ipynb")


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


def read_submission(source: Path | str | Snapshot) -> SubmissionText:
    """Every code file and notebook cell of the submission at ``source`` (a path, read
    here with :func:`~grader.submission.take_snapshot`, or a snapshot already taken);
    never raises for what the submission contains."""
    snap = source if isinstance(source, Snapshot) else take_snapshot(source)
    out = SubmissionText(notes=[msg(n.key, **n.params) for n in snap.notices])
    budget = MAX_SUBMISSION_BYTES
    code = [f for f in snap.files if f.path.endswith(CODE_SUFFIXES)]
    for module, f in enumerate(code):
        if len(f.data) > budget:
            out.notes.append(msg("similarity.note.submission_too_large", file=f.path,
                                 limit_kb=MAX_SUBMISSION_BYTES >> 10))
            break
        budget -= len(f.data)
        if b"\0" in f.data:
            out.notes.append(msg("similarity.note.binary", file=f.path))
            continue
        if f.path.endswith(".ipynb"):
            out.sources.extend(_notebook_cells(f, module, out.notes))
        else:
            out.sources.append(Source(f.path, decode(f.data), module))
    if not out.sources and not out.notes:
        out.notes.append(msg("similarity.note.no_code"))
    return out


def _notebook_cells(f: SnapshotFile, module: int, notes: list[Message]) -> list[Source]:
    """The notebook's code cells, read by :mod:`grader.submission.notebook` exactly as
    for grading (IPython magics and shell lines dropped)."""
    from ..submission.notebook import NotebookError, read_code_cells

    try:
        cells = read_code_cells(f.data, f.path)
    except NotebookError as exc:
        notes.append(msg("similarity.note.bad_notebook", file=f.path, error=clean(str(exc))[:200]))
        return []
    return [Source(cell["label"], cell["source"], module) for cell in cells.cells]
