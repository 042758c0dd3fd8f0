"""Read a Jupyter notebook's code cells from the bytes already in the snapshot,
without a kernel (the file is never read a second time).

A version 4 notebook (every Jupyter since 2015) is read as the JSON it is, cell by
cell, so one odd cell (a ``source`` that is a number, a dict, a list holding
numbers; a cell that is not an object) costs only that cell, with a notice; older
formats are upgraded with nbformat first. IPython-only lines (``%magic``,
``!shell``, ``%%cell`` magics) cannot run as Python: they are blanked out (line
numbers stay those of the notebook) and counted, and the caller reports them in
one notice with a few examples, however many there are.

Jupyter shows no cell numbers, so a cell is named by its number among the code cells
(markdown cells do not count) and its first line: the label ``hw.ipynb [cell 4:
%matplotlib inline]`` is the cell's file name while it runs, and :func:`place` turns
it into a message in the reader's language ("hw.ipynb, code cell 4
(`%matplotlib inline`)").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..i18n import Message, msg
from ..untrusted import clean

SAMPLE_LINES = 3  # dropped IPython lines quoted in the notice
LINE_CHARS = 80
FIRST_LINE_CHARS = 40  # of a cell's first line in its label
LABEL = re.compile(r"^(?P<file>.+?\.ipynb) \[cell (?P<number>\d+)(?:: (?P<first>.*))?\]$", re.S)


class NotebookError(Exception):
    """The file is not a notebook that can be read."""


@dataclass
class NotebookCells:
    cells: list[dict[str, Any]]  # {"label": "name.ipynb [cell 3: import numpy as np]", "source": str}
    dropped: list[Message] = field(default_factory=list)  # a sample: code cell 3, "%matplotlib inline"
    dropped_count: int = 0  # IPython lines (and %% cells) dropped in all
    odd: list[Message] = field(default_factory=list)  # cells skipped for their form (a number as source)
    cells_cut: int = 0  # code cells beyond the limit, not run


def _what(value: Any) -> str:
    """The JSON type of an unexpected value, as a student would call it."""
    for kind, name in ((bool, "boolean"), ((int, float), "number"), (dict, "object"), (list, "list"),
                       (str, "string"), (type(None), "null")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _parse(data: bytes) -> dict[str, Any]:
    try:
        nb = json.loads(data)
    except (ValueError, RecursionError) as exc:  # bad JSON or encoding, 5,000-digit numbers, deep nesting
        raise NotebookError(f"{type(exc).__name__}: {str(exc)[:200]}") from exc
    if not isinstance(nb, dict):
        raise NotebookError(f"the file holds a JSON {_what(nb)}, not a notebook")
    major = nb.get("nbformat", 4)
    if type(major) is int and major < 4:
        nb = _upgrade(data)
    elif major != 4:
        raise NotebookError(f"unsupported notebook format {str(major)[:20]}")
    if not isinstance(nb.get("cells"), list):
        raise NotebookError("the notebook has no list of cells")
    return nb


def _upgrade(data: bytes) -> dict[str, Any]:
    import nbformat  # imported here: only old notebooks need it

    try:
        return dict(nbformat.reads(data.decode("utf-8"), as_version=4))
    except Exception as exc:  # nbformat raises many kinds on a corrupt file
        raise NotebookError(f"{type(exc).__name__}: {str(exc)[:200]}") from exc


def read_code_cells(data: bytes, display: str, max_cells: int = 2_000) -> NotebookCells:
    """Code cells of the notebook held in ``data``, in order, IPython lines removed.

    Raises :class:`NotebookError` only when the file as a whole is not a notebook."""
    nb = _parse(data)
    out = NotebookCells(cells=[])
    code = 0  # the number of a code cell among the code cells, as a student counts them
    for position, cell in enumerate(nb["cells"], start=1):
        if not isinstance(cell, dict):
            out.odd.append(msg("fixb.nb_odd_any", position=position, what=msg(f"fixb.json_{_what(cell)}")))
            continue
        if cell.get("cell_type") != "code":
            continue
        code += 1
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        if not isinstance(source, str):
            out.odd.append(msg("fixb.nb_odd_code", number=code, what=msg(f"fixb.json_{_what(source)}")))
            continue
        if source.lstrip().startswith("%%"):  # a cell magic: the whole cell is IPython's
            _drop(out, code, source.strip().splitlines()[0])
            continue
        if len(out.cells) >= max_cells:
            out.cells_cut += 1
            continue
        out.cells.append({"label": label(display, code, source), "source": _strip_ipython(source, code, out)})
    return out


def first_line(source: str) -> str:
    """The first line of a cell that is not blank, shortened."""
    line = clean(next((ln.strip() for ln in source.splitlines() if ln.strip()), ""))
    return line if len(line) <= FIRST_LINE_CHARS else line[:FIRST_LINE_CHARS - 1] + "…"


def label(display: str, number: int, source: str) -> str:
    """The name of code cell ``number`` of notebook ``display`` (its file name while it runs)."""
    first = first_line(source)
    return f"{display} [cell {number}: {first}]" if first else f"{display} [cell {number}]"


def place(where: Any) -> Any:
    """``where`` (a file name, or a cell's label) as the report says it: a cell's label
    becomes a message naming the notebook, the code cell's number and its first line;
    anything else is returned as it is."""
    if not isinstance(where, str):
        return where
    found = LABEL.match(where)
    if found is None:
        return where
    if found.group("first"):
        return msg("fixb.nb_cell", file=found.group("file"), number=int(found.group("number")),
                   first=found.group("first"))
    return msg("fixb.nb_cell_bare", file=found.group("file"), number=int(found.group("number")))


def _drop(out: NotebookCells, number: int, line: str) -> None:
    out.dropped_count += 1
    if len(out.dropped) < SAMPLE_LINES:
        out.dropped.append(msg("fixb.nb_cell_line", number=number, line=clean(line.strip()[:LINE_CHARS])))


def _strip_ipython(source: str, number: int, out: NotebookCells) -> str:
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            _drop(out, number, stripped)
            lines.append("")  # keep line numbers aligned with the notebook
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"
