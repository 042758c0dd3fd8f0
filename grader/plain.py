"""Plain data: grading values as JSON and back, losslessly.

A :class:`~grader.results.Result` is stored (the gradebook), sent between processes
(a batch's workers) and rendered later in any language (the dashboard), so it holds
only plain values: numbers, strings, lists, dicts and :class:`~grader.i18n.Message`
(a catalogue key and its parameters), never rendered text or live objects.
:func:`encode` turns such a value into JSON-compatible data and :func:`decode`
turns it back into an equal value. The few things JSON has no form for are tagged
with a one-key object whose key starts with ``$``:

==================  ==========================================
``{"$msg": key, "params": {...}}``   a :class:`Message`
``{"$tuple": [...]}``                a tuple (a shape prints as ``(3, 4)``)
``{"$float": "nan"|"inf"|"-inf"}``   a float JSON cannot spell
``{"$dict": {...}}``                 a dict whose own keys start with ``$``
``{"$pairs": [[k, v], ...]}``        a dict with keys that are not strings
==================  ==========================================

numpy scalars become Python numbers and numpy arrays nested lists (values kept,
the array type not: no grading value needs it back). Anything else is a bug in
whatever stored it: ``encode`` raises :class:`TypeError` rather than storing a
``repr`` that could not come back.
"""

from __future__ import annotations

import enum
import math
from typing import Any

from .i18n import Message

_TAGS = ("$msg", "$tuple", "$float", "$dict", "$pairs")


def encode(value: Any) -> Any:
    """``value`` as JSON-compatible data (see the module docstring)."""
    if value is None or isinstance(value, (bool, str)):
        return str(value) if isinstance(value, enum.Enum) else value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if math.isfinite(value):
            return float(value)
        return {"$float": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
    if isinstance(value, Message):
        return {"$msg": value.key, "params": {str(k): encode(v) for k, v in value.params.items()}}
    if isinstance(value, tuple):
        return {"$tuple": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            out = {k: encode(v) for k, v in value.items()}
            return {"$dict": out} if any(k.startswith("$") for k in value) else out
        return {"$pairs": [[encode(k), encode(v)] for k, v in value.items()]}
    if hasattr(value, "dtype") and hasattr(value, "tolist"):  # numpy scalar or array
        return encode(value.tolist())
    if isinstance(value, enum.Enum):
        return encode(value.value)
    raise TypeError(f"not plain data: {type(value).__name__}")


def decode(data: Any) -> Any:
    """The value :func:`encode` made ``data`` from."""
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    if len(data) <= 2 and "$msg" in data:
        return Message(str(data["$msg"]), {str(k): decode(v) for k, v in (data.get("params") or {}).items()})
    if len(data) == 1:
        (tag, inner), = data.items()
        if tag == "$tuple":
            return tuple(decode(v) for v in inner)
        if tag == "$float":
            return float(inner)
        if tag == "$dict":
            return {k: decode(v) for k, v in inner.items()}
        if tag == "$pairs":
            return {_hashable(decode(k)): decode(v) for k, v in inner}
    return {k: decode(v) for k, v in data.items()}


def _hashable(v: Any) -> Any:
    return tuple(_hashable(x) for x in v) if isinstance(v, list) else v


def message(data: Any) -> Message:
    """A message from its encoded form, or from the ``{"key", "params"}`` form of
    :meth:`Message.to_dict` (results.json, older gradebooks)."""
    if isinstance(data, dict) and "$msg" in data:
        return decode(data)
    if isinstance(data, dict) and isinstance(data.get("key"), str):
        return Message(data["key"], {str(k): _legacy(v) for k, v in (data.get("params") or {}).items()})
    raise ValueError(f"not a message: {data!r:.80}")


def _legacy(v: Any) -> Any:
    if isinstance(v, dict) and isinstance(v.get("key"), str) and set(v) <= {"key", "params"}:
        return message(v)
    if isinstance(v, list):
        return [_legacy(x) for x in v]
    return v
