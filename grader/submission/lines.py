"""Where a submission failed to load: the file (or notebook cell), the line and the
text of that line, read from the snapshot the parent took (never from the child,
never from the live folder), so the report can show the line a student has to fix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ..calls import ModuleEntry
from .snapshot import Snapshot

SOURCE_CHARS = 240  # of the line shown; the rest is cut with "…"
_FRAME = re.compile(r'^\s*File "(?P<file>[^"\n]*)", line (?P<line>\d+)', re.MULTILINE)


def _line_number(error: dict[str, Any]) -> int | None:
    """The line of the student's file where loading stopped: a syntax error's own
    line, else the deepest traceback frame in the file that was loading."""
    if error.get("kind") == "syntax":
        try:
            return int(error.get("line"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
    where = str(error.get("where") or "")
    found = [int(m.group("line")) for m in _FRAME.finditer(str(error.get("traceback") or ""))
             if m.group("file") == where]
    return found[-1] if found else None


def _text_line(text: str, number: int) -> str | None:
    lines = text.splitlines()
    if not 1 <= number <= len(lines):
        return None
    line = lines[number - 1].strip()
    return line if len(line) <= SOURCE_CHARS else line[:SOURCE_CHARS] + "…"


def locate(errors: Iterable[dict[str, Any]], snapshot: Snapshot,
           modules: Iterable[ModuleEntry]) -> list[dict[str, Any]]:
    """``errors`` (the child's load errors, each with ``module``: the path in the
    submission) with ``file``, ``line`` (a number) and ``source`` (that line's text)
    added where they can be found."""
    cells = {str(c.get("label")): str(c.get("source") or "") for m in modules for c in (m.cells or [])}
    out = []
    for error in errors:
        error = dict(error)
        number = _line_number(error)
        where = str(error.get("where") or "")
        module = str(error.get("module") or "")
        if where in cells:  # a notebook cell
            error["file"], text = where, cells[where]
        else:
            error["file"] = module or where
            f = snapshot.get(module) if module else None
            text = f.data.decode("utf-8", errors="replace") if f is not None else ""
        if number is not None:
            error["line"] = number
            source = _text_line(text, number)
            if source:
                error["source"] = source
        out.append(error)
    return out
