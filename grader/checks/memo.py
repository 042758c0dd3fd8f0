"""What the reference computed once in a grade, kept for the same computation again.

Checks that run twice (the deferred second pass, a probe after its check) ask the
trusted reference the same question with the same inputs; :func:`remembered` answers
the second time from ``Context.memo``. The key is a digest of everything the answer
depends on (the function, and every array's dtype, shape and bytes, every other
value's type and text, in order), so only the very same computation is shared; each
caller gets a private copy (:func:`~grader.checks.copies.fresh`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from .copies import fresh

T = TypeVar("T")


def digest(value: Any) -> bytes:
    """A digest of a plain value (arrays, numbers, text, and containers of them)."""
    h = hashlib.blake2b(digest_size=20)
    _feed(h, value)
    return h.digest()


def _feed(h: Any, v: Any) -> None:
    if isinstance(v, np.ndarray):
        h.update(f"a{v.dtype.str}{v.shape}".encode())
        h.update(np.ascontiguousarray(v).tobytes() if v.dtype.kind != "O" else repr(v.tolist()).encode())
    elif isinstance(v, dict):
        h.update(f"d{len(v)}".encode())
        for k, x in v.items():
            _feed(h, k)
            _feed(h, x)
    elif isinstance(v, (list, tuple)):
        h.update(f"{type(v).__name__[0]}{len(v)}".encode())
        for x in v:
            _feed(h, x)
    else:
        text = repr(v).encode()
        h.update(f"{type(v).__name__}:{len(text)}:".encode())
        h.update(text)


def remembered(memo: dict[Any, Any], tag: str, fn: Callable[..., Any], parts: Any, compute: Callable[[], T]) -> T:
    """``compute()``, or a copy of what it gave in this grade for the same ``tag``,
    ``fn`` and ``parts``."""
    key = ("reference", tag, id(fn), digest(parts))
    if key in memo:
        kept: T = fresh(memo[key][1])
        return kept
    value = compute()
    memo[key] = (fn, fresh(value))  # fn kept alive with it: its id stays its own
    return value
