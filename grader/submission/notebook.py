"""Read a Jupyter notebook's code cells from the bytes already in the snapshot,
without a kernel (the file is never read a second time).

A version 4 notebook (every Jupyter since 2015) is read as the JSON it is, cell by
cell, so one odd cell (a ``source`` that is a number, a dict, a list holding
numbers; a cell that is not an object) costs only that cell, with a notice; older
formats are upgraded with nbformat first. IPython-only lines (``%magic``,
``!shell``, ``%%cell`` magics) cannot run as Python: they are blanked out (line
numbers stay those of the notebook) and counted, and the caller reports them in
one notice with a few examples, however many there are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

SAMPLE_LINES = 3  # dropped IPython lines quoted in the notice
LINE_CHARS = 80


class NotebookError(Exception):
    """The file is not a notebook that can be read."""


@dataclass
class NotebookCells:
    cells: list[dict[str, Any]]  # {"label": "name.ipynb [cell 3]", "source": str}
    dropped: list[str] = field(default_factory=list)  # a sample: "cell 3: %matplotlib inline"
    dropped_count: int = 0  # IPython lines (and %% cells) dropped in all
    odd: list[str] = field(default_factory=list)  # "cell 4 (number)": cells skipped for their form
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
    for number, cell in enumerate(nb["cells"], start=1):
        if not isinstance(cell, dict):
            out.odd.append(f"cell {number} ({_what(cell)})")
            continue
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        if not isinstance(source, str):
            out.odd.append(f"cell {number} (source: {_what(source)})")
            continue
        if source.lstrip().startswith("%%"):  # a cell magic: the whole cell is IPython's
            _drop(out, number, source.strip().splitlines()[0])
            continue
        if len(out.cells) >= max_cells:
            out.cells_cut += 1
            continue
        out.cells.append({"label": f"{display} [cell {number}]", "source": _strip_ipython(source, number, out)})
    return out


def _drop(out: NotebookCells, number: int, line: str) -> None:
    out.dropped_count += 1
    if len(out.dropped) < SAMPLE_LINES:
        out.dropped.append(f"cell {number}: {line.strip()[:LINE_CHARS]}")


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
