"""Building blocks computed by the reference, in the parent, for substituting calls.

When a function built on others fails and one of its building blocks fails its own
checks (an LSTM over a sequence whose ``lstm_step_backward`` is wrong), the
composite's checks run again with those blocks *substituted*: the student's code
calls a proxy, the proxy asks the parent, and :meth:`BlockServer.serve` answers
with the reference's result (see :mod:`grader.calls`). The composite is then judged
on its own merits.

What crosses into the child is only what the block returns for the arguments the
student's own code passed: plain arrays and numbers. The cache a forward block
returns (its last element) stays here behind an opaque :class:`~grader.calls.Token`
(the child sees only the cache's structure, arrays as read-only zeros of their
shapes, so code that reads a shape out of a cache still runs); a backward block
accepts only a token this server issued as its cache. No
reference code, no expected value of any check, and no reference cache ever enters
the child.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Callable
from typing import Any

import numpy as np

from ..calls import BlockError, Handle, Token
from ..sandbox import wire

MAX_TOKENS = 100_000  # reference caches kept per grade
MAX_CACHE_BYTES = 256 << 20  # ... and their total size
# The arguments a block accepts. The grader's own inputs are tiny (every axis below 30);
# with at most 3 axes of at most 256, nothing the reference computes from them (a
# product, a broadcast) can exceed 256**3 numbers, so a student cannot make the trusted
# parent allocate gigabytes through a building block.
MAX_NDIM, MAX_AXIS = 3, 256


def skeleton(v: Any, depth: int = 0) -> Any:
    """A cache's structure without its values: arrays become their shapes."""
    if isinstance(v, np.ndarray):
        return {"z": list(v.shape)}
    if isinstance(v, (tuple, list)) and depth < wire.MAX_SKELETON_DEPTH and len(v) <= wire.MAX_SEQUENCE:
        return {"t": [skeleton(x, depth + 1) for x in v]}
    return None


def _nbytes(v: Any) -> int:
    if isinstance(v, np.ndarray):
        return int(v.nbytes)
    if isinstance(v, (tuple, list)):
        return sum(_nbytes(x) for x in v)
    if isinstance(v, dict):
        return sum(_nbytes(x) for x in v.values())
    return 64


class BlockServer:
    """Computes substituted building blocks with ``reference`` (name -> function)."""

    def __init__(self, reference: dict[str, Callable[..., Any]]) -> None:
        self.reference = reference
        self._caches: dict[str, Any] = {}
        self._bytes = 0

    def serve(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        fn = self.reference.get(name)
        if fn is None:
            raise BlockError(f"no reference for {name}")
        if name.endswith("_backward") and not (args and isinstance(args[-1], Token)):
            raise BlockError(f"{name} needs the cache that the grader's forward block returned")
        args = tuple(self._resolve(a, name) for a in args)
        kwargs = {k: self._resolve(v, name) for k, v in kwargs.items()}
        self.admit(name, args, kwargs)
        try:
            value = fn(*copy.deepcopy(args), **copy.deepcopy(kwargs))
        except Exception as exc:  # the arguments do not fit the block
            raise BlockError(f"{name}: {type(exc).__name__}: {exc}") from None
        if name.endswith("_forward") and isinstance(value, tuple) and value:
            value = value[:-1] + (self._keep(value[-1]),)
        return value

    def admit(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Refuse arguments (raise :class:`BlockError`) a caller of this server never
        needs; the arrays have already passed :meth:`fits`. Nothing more by default."""

    def fits(self, name: str, v: np.ndarray) -> bool:
        """An array argument small enough for the reference to compute with (see
        ``MAX_NDIM`` and ``MAX_AXIS``)."""
        return v.ndim <= MAX_NDIM and all(n <= MAX_AXIS for n in v.shape)

    def forget(self) -> None:
        """Drop every reference cache kept so far (their tokens stop working): for a
        caller that knows no later call will pass them back."""
        self._caches.clear()
        self._bytes = 0

    def _keep(self, cache: Any) -> Token:
        size = _nbytes(cache)
        if len(self._caches) >= MAX_TOKENS or self._bytes + size > MAX_CACHE_BYTES:
            raise BlockError("too many calls of the building blocks")
        token = Token(secrets.token_hex(12), skeleton(cache))
        self._caches[token.id] = cache
        self._bytes += size
        return token

    def _resolve(self, v: Any, name: str) -> Any:
        """An argument from the student's code: plain values pass, tokens become the
        caches they stand for, anything else is refused."""
        if isinstance(v, Token):
            if v.id not in self._caches:
                raise BlockError(f"{name} was given a cache it did not make")
            return self._caches[v.id]
        if isinstance(v, Handle):
            raise BlockError(f"{name} was given a {v.type_name}: only arrays, numbers and the caches of the "
                             f"grader's blocks can be passed to it")
        if isinstance(v, tuple):
            return tuple(self._resolve(x, name) for x in v)
        if isinstance(v, list):
            return [self._resolve(x, name) for x in v]
        if isinstance(v, dict):
            return {k: self._resolve(x, name) for k, x in v.items()}
        if isinstance(v, np.ndarray):
            if not self.fits(name, v):
                raise BlockError(f"{name} was given an array of shape {v.shape}, larger than the grader computes "
                                 f"for a building block")
            return v
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        raise BlockError(f"{name} was given an argument of type {type(v).__name__}")
