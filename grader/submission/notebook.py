"""Read a Jupyter notebook's code cells with nbformat, without a kernel.

IPython-only lines (``%magic``, ``!shell``) cannot run as Python: they are dropped,
and the caller is told which, so the report can warn the student.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


class NotebookError(Exception):
    """The file is not a notebook nbformat can read."""


@dataclass
class NotebookCells:
    cells: list[dict]  # {"label": "name.ipynb [cell 3]", "source": str}
    dropped: list[str] = field(default_factory=list)  # "cell 3: %matplotlib inline"


def read_code_cells(path: Path, display: str) -> NotebookCells:
    """Code cells of ``path`` in order, with IPython magics and shell lines removed."""
    import nbformat  # imported here: only notebooks need it

    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as exc:  # nbformat raises many kinds on a corrupt file
        raise NotebookError(f"{type(exc).__name__}: {str(exc)[:300]}") from exc
    out = NotebookCells(cells=[])
    for number, cell in enumerate(nb.get("cells", []), start=1):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        if source.lstrip().startswith("%%"):
            out.dropped.append(f"cell {number}: {source.strip().splitlines()[0][:80]}")
            continue
        lines = []
        for line in source.splitlines():
            stripped = line.lstrip()
            if stripped.startswith(("%", "!")):
                out.dropped.append(f"cell {number}: {stripped[:80]}")
                lines.append("")  # keep line numbers aligned with the notebook
            else:
                lines.append(line)
        out.cells.append({"label": f"{display} [cell {number}]", "source": "\n".join(lines) + "\n"})
    return out
