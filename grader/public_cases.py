"""Public test cases stored with the exercises: inputs and the reference's outputs.

They let a student self-check value checks without the reference solutions. The
file is JSON (reviewable, diffable, no pickle): arrays are stored as
``{"__array__": dtype, "shape": [...], "data": [...]}`` with exact float repr.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from .checks.model import PublicCase

FILENAME = "public_cases.json"


def _encode(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return {"__array__": v.dtype.str, "shape": list(v.shape), "data": v.reshape(-1).tolist()}
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, dict):
        return {k: _encode(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_encode(x) for x in v]
    return v


def _decode(v: Any) -> Any:
    if isinstance(v, dict):
        if "__array__" in v:
            dtype = np.dtype(v["__array__"])
            if dtype.kind not in "biuf":
                raise ValueError("bad dtype in public cases")
            return np.array(v["data"], dtype=dtype).reshape(v["shape"])
        return {k: _decode(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_decode(x) for x in v]
    return v


def dumps(cases: dict[str, PublicCase]) -> str:
    data = {cid: {"inputs": _encode(c.inputs), "expected": _encode(list(c.expected))}
            for cid, c in sorted(cases.items())}
    return json.dumps(data, indent=1, sort_keys=False, allow_nan=True) + "\n"


def load(folder: Path) -> dict[str, PublicCase] | None:
    """The stored cases in ``folder``, or None if there are none (or they are unreadable)."""
    path = Path(folder) / FILENAME
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {cid: PublicCase(_decode(c["inputs"]), _decode(c["expected"])) for cid, c in data.items()}
    except (ValueError, KeyError, TypeError):
        return None
