"""What a wrong shape says: the message beside "has shape (a, b), expected (c, d)".

Shapes are checked strictly, and a wrong shape usually has a recognisable cause:

* the expected shape with an extra axis of length 1 - ``keepdims=True`` or a
  reshape to ``(1, D)`` (mistake 25);
* the expected 2-D shape the other way round - a transposed product; for the
  gradient of a weight, the weight read transposed (mistake 33);
* the right number of entries in another shape - a gradient not reshaped back to
  its input's shape (mistake 29);
* a vector of another length where a gradient of a bias is due - summed over the
  wrong axis (mistake 29).

Anything else is only stated: no "(1, D) is not (D,)" beside shapes that have
nothing to do with it.
"""

from __future__ import annotations

import math

from ..i18n import Message, msg
from ..mistakes import Mistake

Finding = tuple[list[Message], list[str]]


def _weight(name: str) -> bool:
    """A weight or its gradient by name: w, W1, Wh, dWx, grads['W2'], params['W1']."""
    bare = name.split("[")[-1].strip("'\"]") if "[" in name else name
    bare = bare[1:] if bare[:1] == "d" and bare[1:2] in ("w", "W") else bare
    return bare[:1] in ("w", "W")


def diagnose_shape(got: tuple[int, ...], want: tuple[int, ...], name: str, gradient: bool = False) -> Finding:
    """The cause a wrong shape ``got`` of ``name`` (``want`` expected) points to.

    ``gradient``: ``name`` is a gradient of a function's input (then a reshaped or
    wrongly summed result is mistake 29)."""
    got, want = tuple(got), tuple(want)
    if got == want:
        return [], []
    if len(got) > len(want) and tuple(s for s in got if s != 1) == tuple(s for s in want if s != 1):
        return [msg("shape.keepdims", want=str(want))], [Mistake.KEEPDIMS_SHAPE]
    if len(got) == len(want) == 2 and got == want[::-1]:
        if _weight(name):
            return [msg("shape.transposed", want=str(want))], [Mistake.WEIGHT_TRANSPOSED]
        return [msg("shape.transposed", want=str(want))], []
    if math.prod(got) == math.prod(want):
        return [msg("shape.reshaped", want=str(want))], [Mistake.WRONG_AXIS_OR_RESHAPE] if gradient else []
    if gradient and len(got) == len(want) == 1:
        return [msg("shape.other_length", want=str(want))], [Mistake.WRONG_AXIS_OR_RESHAPE]
    return [], []
