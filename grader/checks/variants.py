"""The two most common beginner bugs, found by the reference on changed inputs.

A forgotten bias (``x @ W`` without ``+ b``, mistake 32) computes exactly what the
right formula computes with that bias set to 0; a weight read the wrong way round
(``prev_h @ Wh.T`` with a square ``Wh``, mistake 33) exactly what it computes with
that weight transposed. So when a value check fails, the reference runs (in the
parent, on private copies) on the check's inputs with each bias zeroed and with each
square weight transposed, and a student's outputs that equal one of those name the
mistake and the argument. (A non-square weight read transposed fails with a shape
error instead, explained by :mod:`grader.checks.errors`.)

Names follow the exercises' conventions (``b``, ``b1``, ``bx``, ``b_f``; ``W``,
``Wh``, ``w``), also inside a dict argument (``params['b1']``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..i18n import Message, msg
from ..mistakes import Mistake
from .compare import close

Finding = tuple[list[Message], list[str]]
Inputs = dict[str, Any]

BIAS_NAME = re.compile(r"b(\d*|x|h|_f|_b)")  # b, b1, bx, b_f: biases
WEIGHT_NAME = re.compile(r"[Ww]\w*")  # w, W1, Wh, Wh_f: weights


def named_arrays(inputs: Inputs) -> list[tuple[str, tuple[Any, ...], np.ndarray]]:
    """(argument, path, array) of every array argument and every array in a dict argument."""
    out: list[tuple[str, tuple[Any, ...], np.ndarray]] = []
    for arg, v in inputs.items():
        if isinstance(v, np.ndarray):
            out.append((arg, (), v))
        elif isinstance(v, dict):
            out += [(arg, (k,), a) for k, a in v.items() if isinstance(a, np.ndarray)]
    return out


def replaced(inputs: Inputs, changes: list[tuple[str, tuple[Any, ...], np.ndarray]]) -> Inputs:
    new = dict(inputs)
    for arg, path, value in changes:
        if path:
            new[arg] = dict(new[arg])
            new[arg][path[0]] = value
        else:
            new[arg] = value
    return new



def changed_inputs(inputs: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(mistake, argument shown, changed inputs): each bias zeroed, each square
    weight transposed."""
    named = named_arrays(inputs)
    for arg, path, value in named:
        label = f"{arg}['{path[0]}']" if path else arg
        key = str(path[0] if path else arg)
        if value.ndim == 1 and BIAS_NAME.fullmatch(key) and np.any(value):
            yield Mistake.BIAS_MISSING, label, replaced(inputs, [(arg, path, np.zeros_like(value))])
        elif value.ndim == 2 and value.shape[0] == value.shape[1] and WEIGHT_NAME.fullmatch(key) \
                and not np.allclose(value, value.T):
            yield Mistake.WEIGHT_TRANSPOSED, label, replaced(inputs, [(arg, path, value.T.copy())])


def diagnose(model: Callable[[dict[str, Any]], list[Any]], inputs: dict[str, Any], got: list[Any],
             expected: list[Any], func: str = "") -> Finding:
    """Name mistake 32 or 33 when the student's outputs ``got`` equal ``model``
    (the reference's outputs as a function of the inputs) on changed inputs."""
    for mistake, label, changed in changed_inputs(inputs):
        try:
            with np.errstate(all="ignore"):
                want = model(changed)
        except Exception:  # the reference does not accept these inputs: no finding
            continue
        if len(want) != len(got) or all(close(w, e, scaled=True) for w, e in zip(want, expected, strict=True)):
            continue
        if all(close(g, w, scaled=True) for g, w in zip(got, want, strict=True)):
            key = "variants.bias_zero" if mistake == Mistake.BIAS_MISSING else "variants.transposed"
            return [msg(key, func=func, name=label), msg(f"mistake.{mistake}.found")], [mistake]
    return [], []
