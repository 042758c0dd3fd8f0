"""A small TOML writer for the files this package writes (answer sheets, the student
bank). The standard library reads TOML (:mod:`tomllib`) but does not write it.

Supports what those files hold: strings, booleans, integers, finite floats and
date-times as values, lists of them, nested tables, and dotted keys for small
sub-tables (``text.zh = "..."``). The output is deterministic and reads back with
:mod:`tomllib` to the same data (tests check the round trip).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import re
from typing import Any

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def key(name: str) -> str:
    return name if _BARE.match(name) else string(name)


def string(text: str) -> str:
    # JSON string escapes are valid TOML basic-string escapes; TOML also forbids a raw DEL.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError("only finite floats are written")
        return repr(v)
    if isinstance(v, str):
        return string(v)
    if isinstance(v, _dt.datetime):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{key(k)} = {value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def dotted(prefix: str, table: dict[str, Any]) -> list[str]:
    """``prefix.k = v`` lines for a table of plain values and sub-tables."""
    lines = []
    for k, v in table.items():
        name = f"{prefix}.{key(k)}" if prefix else key(k)
        if isinstance(v, dict) and v:
            lines.extend(dotted(name, v))
        else:
            lines.append(f"{name} = {value(v)}")
    return lines


def comment(text: str, indent: str = "") -> list[str]:
    """``text`` as comment lines (every line prefixed, so nothing can escape the comment)."""
    return [f"# {indent}{line}".rstrip() for line in text.splitlines() or [""]]
