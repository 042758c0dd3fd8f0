"""Public test cases stored with the exercises: inputs and the reference's outputs.

They let a student self-check value checks without the reference solutions. The
file is JSON (reviewable, diffable, no pickle): arrays are stored as
``{"__array__": dtype, "shape": [...], "data": [...]}``.

**Byte-identical on every machine.** numpy picks its ``exp``/``tanh`` code path and
OpenBLAS its kernels by CPU, so the reference's outputs (and inputs computed with
numpy) may differ in the last bits from one machine to another (3.8e-13 relative was
the largest difference seen between two code paths). Every stored float is rounded:

* inputs, *before* the reference runs (so a stored case is exactly self-consistent),
  by :func:`round_inputs` to ``INPUT_BITS`` significant bits and no finer than
  ``2**-INPUT_FINEST_BITS``. A binary grid keeps simple results of the inputs (a
  half, a sum) off the decimal rounding midpoints of the outputs. Short decimals
  (constants such as ``eps = 1e-5``) are kept as they are;
* expected values by :func:`round_outputs` to ``SIGNIFICANT`` significant decimal
  digits and no finer than ``10**-FINEST_DIGITS``, i.e. by at most 5e-10 relative or
  5e-13 absolute, far inside the checks' tolerance (``rtol`` 1e-6, ``atol`` 1e-9).

A difference of a few units in the last place then changes a rounded value only when
that value lies within that distance of a rounding boundary: about one chance in
10**6 per value (a test nudges every reference output by one unit in the last place,
and another generates on numpy's baseline code paths). The sign of a zero is dropped.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .checks.model import PublicCase

FILENAME = "public_cases.json"
SIGNIFICANT = 10
FINEST_DIGITS = 12
INPUT_BITS = 34
INPUT_FINEST_BITS = 40


def _decimal(x: float) -> float:
    if not math.isfinite(x) or x == 0.0:
        return x + 0.0  # -0.0 -> 0.0
    # Python's float formatting is correctly rounded on every platform.
    return round(float(f"{x:.{SIGNIFICANT - 1}e}"), FINEST_DIGITS) + 0.0


def _binary(x: float) -> float:
    if not math.isfinite(x) or x == 0.0:
        return x + 0.0
    if float(f"{x:.12g}") == x:
        return x  # a short decimal (eps = 1e-5, momentum = 0.9): a constant, the same everywhere
    _, exponent = math.frexp(x)
    step = max(exponent - INPUT_BITS, -INPUT_FINEST_BITS)
    return math.ldexp(round(math.ldexp(x, -step)), step) + 0.0  # exact: powers of two only


def _map_floats(v: Any, f: Callable[[float], float]) -> Any:
    if isinstance(v, np.ndarray):
        if v.dtype.kind != "f":
            return v
        return np.array([f(float(x)) for x in v.reshape(-1)], dtype=v.dtype).reshape(v.shape)
    if isinstance(v, np.floating):
        return type(v)(f(float(v)))
    if isinstance(v, float):
        return f(v)
    if isinstance(v, dict):
        return {k: _map_floats(x, f) for k, x in v.items()}
    if isinstance(v, tuple):
        return tuple(_map_floats(x, f) for x in v)
    if isinstance(v, list):
        return [_map_floats(x, f) for x in v]
    return v


def round_inputs(v: Any) -> Any:
    """``v`` with every float on the inputs' binary grid; same types and shapes."""
    return _map_floats(v, _binary)


def round_outputs(v: Any) -> Any:
    """``v`` with every float rounded to ``SIGNIFICANT`` decimal digits; same types and shapes."""
    return _map_floats(v, _decimal)


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
