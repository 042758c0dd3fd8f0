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
    _feed(h.update, value, {})
    return h.digest()


_SCALARS = frozenset({int, float, bool, str, complex, type(None)})


def _feed(update: Callable[[Any], None], v: Any, seen: dict[int, int]) -> None:
    # Exact types first (nearly every value); subclasses as their base, as before.
    t = type(v)
    if t in _SCALARS:
        text = repr(v)
        update(f"{t.__name__}:{len(text)}:{text}".encode())
    elif t is np.ndarray or isinstance(v, np.ndarray):
        # An array object met before in this value is fed as a reference to its first
        # place (the calls of a numerical gradient share all their inputs but one):
        # equal digests still mean equal contents, placed alike.
        first = seen.get(id(v))
        if first is not None:
            update(f"\x00r{first};".encode())
            return
        seen[id(v)] = len(seen)
        if v.dtype.kind == "O":
            update(f"a{v.dtype.str}{v.shape}".encode())
            update(repr(v.tolist()).encode())
            return
        update(f"a{v.dtype.str}{v.shape}".encode())
        if v.size:  # the bytes themselves, no copy where the array is contiguous
            update(v.data if t is np.ndarray and v.flags.c_contiguous else np.ascontiguousarray(v).data)
    elif t is dict or isinstance(v, dict):
        update(f"d{len(v)}".encode())
        for k, x in v.items():
            _feed(update, k, seen)
            _feed(update, x, seen)
    elif t is list or t is tuple or isinstance(v, (list, tuple)):
        update(f"{t.__name__[0]}{len(v)}".encode())
        for x in v:
            _feed(update, x, seen)
    else:
        text = repr(v)
        update(f"{t.__name__}:{len(text)}:{text}".encode())


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


def recalled(memo: dict[Any, Any], key: tuple[Any, ...], inputs: Any, compute: Callable[[], T]) -> T:
    """``compute()``, or a copy of what it gave in this grade under ``key`` for the very
    same ``inputs`` (compared exactly: types, every array's dtype, shape and bytes).

    For a check whose inputs are drawn again from the same seed each time it runs (a
    composite's run with the reference's blocks, its explanation, a second-pass item
    called once per way it earned its points): ``key`` names the draw, and the inputs
    are compared rather than hashed, which costs less than computing the digest."""
    kept = memo.get(key)
    if kept is not None and same(kept[0], inputs):
        again: T = fresh(kept[1])
        return again
    value = compute()
    # The inputs themselves are kept: were they changed in place later, they would only
    # stop matching the same draw made again (a miss), never match another one.
    memo[key] = (inputs, fresh(value))
    return value


_EXACT = frozenset({int, bool, str, bytes, type(None)})


def same(a: Any, b: Any) -> bool:
    """``a`` and ``b`` are the same plain value: the same types throughout, numbers and
    text equal (floats by their text: 0.0 and -0.0 differ), arrays of the same dtype,
    shape and bytes. Anything else (an object, a random generator) is never the same."""
    t = type(a)
    if t is not type(b):
        return False
    if t is np.ndarray:
        return a.dtype == b.dtype and a.shape == b.shape and a.dtype.kind in "biufc" and a.tobytes() == b.tobytes()
    if t in _EXACT:
        return bool(a == b)
    if t is float or t is complex:
        return repr(a) == repr(b)
    if t is dict:
        return len(a) == len(b) and all(ka == kb and type(ka) is type(kb) and same(a[ka], b[kb])
                                        for ka, kb in zip(a, b, strict=True))
    if t is list or t is tuple:
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.generic):
        return a.dtype == b.dtype and a.dtype.kind in "biufc" and a.tobytes() == b.tobytes()
    return False
