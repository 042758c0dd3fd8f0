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

**Only what the composite's check can need** (:class:`BlockScope`, one per
substituting call). Stand-ins that computed the reference on *any* arguments would
be an oracle: a student could ask them about another check's hidden inputs. So a
block is computed only when its weight and bias arguments are the composite call's
own arrays (bitwise), and every other array argument is made of what that call
legitimately holds: whole rows, or segments of rows, of the call's own arguments or
of values the stand-ins returned during the call (the hidden-state chain), zeros, or
the sum of one of those and a value the stand-ins returned (``dh[:, t] + dprev_h``);
no axis longer and no array larger than the call's own. Anything else is refused,
and a refused callback fails the whole call, even if the student's code catches the
error: the composite is then judged with the student's own blocks. Nothing the
stand-ins return leaves the call: its printed output, warnings and error text are
dropped (:meth:`BlockScope.settle`).
"""

from __future__ import annotations

import inspect
import re
import secrets
from collections.abc import Callable, Iterator
from typing import Any, cast

import numpy as np

from ..calls import BlockError, Call, CallOutcome, CallStatus, Handle, Token
from ..sandbox import wire
from .copies import fresh

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
    """Computes substituted building blocks with ``reference`` (name -> function).

    :meth:`serving` gives the stand-ins of one substituting call (what the grader
    uses); :meth:`serve` computes a block on any arguments within the size limits
    (the scope calls it once it has admitted them)."""

    def __init__(self, reference: dict[str, Callable[..., Any]]) -> None:
        self.reference = reference
        self._caches: dict[str, Any] = {}
        self._bytes = 0
        self._parameters: dict[str, list[str]] = {}

    def serve(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        fn = self.reference.get(name)
        if fn is None:
            raise BlockError(f"no reference for {name}")
        if name.endswith("_backward") and not (args and isinstance(args[-1], Token)):
            raise BlockError(f"{name} needs the cache that the grader's forward block returned")
        if len(self._caches) >= MAX_TOKENS or self._bytes >= MAX_CACHE_BYTES:  # before computing anything
            raise BlockError("too many calls of the building blocks")
        args = tuple(self._resolve(a, name) for a in args)
        kwargs = {k: self._resolve(v, name) for k, v in kwargs.items()}
        self.admit(name, args, kwargs)
        try:
            value = fn(*fresh(args), **fresh(kwargs))
        except Exception as exc:  # the arguments do not fit the block
            raise BlockError(f"{name}: {type(exc).__name__}: {exc}") from None
        if name.endswith("_forward") and isinstance(value, tuple) and value:
            value = value[:-1] + (self._keep(value[-1]),)
        return value

    def serving(self, call: Call) -> BlockScope:
        """The stand-ins of ``call``: they compute only what ``call`` can need."""
        return BlockScope(self, call)

    def parameters(self, name: str) -> list[str]:
        """The argument names of the reference's block ``name`` (empty when unknown)."""
        if name not in self._parameters:
            fn = self.reference.get(name)
            try:
                self._parameters[name] = list(inspect.signature(fn).parameters) if fn is not None else []
            except (TypeError, ValueError):
                self._parameters[name] = []
        return self._parameters[name]
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


# ------------------------------------------------------------- one substituting call
_WEIGHT_ARG = re.compile(r"[Ww]\w*|b(\d*|x|h|_f|_b)")  # w, Wx, W1, Wh_f; b, b1, bx, b_f: the call's own arrays
RECENT = 8  # values the stand-ins returned that a sum argument may add to a part of the call's own
_SUM_RTOL = 1e-12  # (a + q) - q is a only up to rounding


def _numbers(v: Any) -> Iterator[np.ndarray]:
    """Every numeric array (a number as a 0-d array) inside a plain value, as it is."""
    if isinstance(v, np.ndarray):
        if v.dtype.kind in "biuf":
            yield v
    elif isinstance(v, (bool, int, float)):
        yield np.asarray(float(v))
    elif isinstance(v, (tuple, list)):
        for x in v:
            yield from _numbers(x)
    elif isinstance(v, dict):
        for x in v.values():
            yield from _numbers(x)


def _float(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype=np.float64) + 0.0  # -0.0 and 0.0 alike


def _floats(v: Any) -> list[np.ndarray]:
    """Every numeric array inside a plain value, as float64."""
    return [_float(a) for a in _numbers(v)]


def _rows(a: np.ndarray) -> np.ndarray:
    return a.reshape(1, 1) if a.ndim == 0 else a.reshape(-1, a.shape[-1])


class BlockScope:
    """The stand-ins of one substituting call (a :data:`~grader.calls.Serve`): each
    callback is admitted only if the call can legitimately need it (see the module's
    docstring), then computed by the server. ``refused`` keeps why the first refused
    callback was refused; :meth:`settle` then fails the call."""

    def __init__(self, server: BlockServer, call: Call) -> None:
        self.server = server
        self.func = call.func
        self.own = _floats((call.args, call.kwargs))
        self._own_bytes = {(a.shape, a.tobytes()) for a in self.own}
        self.returned: list[np.ndarray] = []
        self.refused: str | None = None
        # width -> (the row segments of that width, how many of own + returned they cover):
        # grown only when a check needs that width, each array windowed once per width.
        self._segments: dict[int, tuple[set[bytes], int]] = {}
        self._whole: dict[int, tuple[set[bytes], int]] = {}  # the same for whole rows only
        self._own_windows: dict[int, np.ndarray | None] = {}
        self._ndim, self._axis, self._size = 0, 1, 1
        self._bound(self.own)

    def __call__(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if self.refused is not None:
            raise BlockError(f"{name}: an earlier call of the grader's building blocks was refused")
        try:
            self._admit(name, args, kwargs)
        except BlockError as exc:
            self.refused = str(exc)
            raise
        try:
            value = self.server.serve(name, args, kwargs)
        except BlockError as exc:
            self.refused = str(exc)
            raise
        self._grow(_floats(value))
        return value

    def settle(self, outcome: CallOutcome) -> CallOutcome:
        """The call's outcome as the grader may use it: failed when a callback was
        refused; never with the call's printed output, warnings or error text, which
        could carry what the stand-ins returned out of the call."""
        if self.refused is not None:
            return CallOutcome(CallStatus.ERROR, error={"kind": "blocks", "type": "", "message": "", "traceback": ""},
                               seconds=outcome.seconds)
        outcome.output, outcome.warnings = "", []
        if outcome.error:
            outcome.error = {"kind": str(outcome.error.get("kind", "")), "type": str(outcome.error.get("type", "")),
                             "message": "", "traceback": ""}
        return outcome

    # ------------------------------------------------------------------ admit
    def _admit(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        params = self.server.parameters(name)
        named = list(zip(params, args, strict=False)) + list(kwargs.items())
        if len(args) > len(params) or any(k not in params for k in kwargs):
            raise BlockError(f"{name} takes the arguments {', '.join(params)}")
        for param, value in named:
            if isinstance(value, (Token, Handle)) or value is None or isinstance(value, str):
                continue  # the server checks caches; None and text carry no numbers to compute on
            weight = bool(_WEIGHT_ARG.fullmatch(param))
            arrays = list(_numbers(value))
            for a in arrays:  # before any conversion: a huge argument costs nothing
                self._check_size(name, param, a)
            for a in map(_float, arrays):
                if weight:
                    if (a.shape, a.tobytes()) not in self._own_bytes:
                        raise BlockError(f"{name}: {param} must be one of the arrays {self.func} was given")
                elif not self._derived(a):
                    raise BlockError(f"{name}: {param} is not made of what {self.func} was given or the "
                                     f"grader's building blocks returned during this call")

    def _bound(self, arrays: list[np.ndarray]) -> None:
        """The largest arrays a block may be given: those of the call's own arguments and
        of what the stand-ins returned (the reference's results on admitted arguments)."""
        for a in arrays:
            if a.ndim:
                self._ndim, self._axis = max(self._ndim, a.ndim), max(self._axis, *a.shape)
                self._size = max(self._size, a.size)

    def _check_size(self, name: str, param: str, a: np.ndarray) -> None:
        if a.ndim > max(self._ndim, 1) or any(n > self._axis for n in a.shape) or a.size > self._size:
            raise BlockError(f"{name}: {param} of shape {a.shape} is larger than anything {self.func} was given")

    def _derived(self, a: np.ndarray) -> bool:
        """``a`` is zeros, or each of its rows is a segment of a row of the call's own
        arrays or of what the stand-ins returned, or it is such an array of its shape
        plus a value the stand-ins returned."""
        if a.size == 0 or not np.any(a):
            return True
        rows = _rows(a)
        keys = _row_bytes(rows)
        # Whole rows first (what a block is usually given: x[:, t], the previous h), then
        # every segment: the same answer, the windows computed only when needed.
        if self._whole_rows_of(rows.shape[1]).issuperset(keys) or \
                self._segments_of(rows.shape[1]).issuperset(keys):
            return True
        return any(self._own_plus(rows, _rows(q)) for q in self._recent(a.shape))

    def _recent(self, shape: tuple[int, ...]) -> list[np.ndarray]:
        same = [q for q in reversed(self.returned) if q.shape == shape and np.any(q)]
        return same[:RECENT]

    def _own_plus(self, rows: np.ndarray, q: np.ndarray) -> bool:
        """Every row of ``rows - q`` is a segment of a row of the call's own arrays (up
        to rounding)."""
        width = rows.shape[1]
        if width not in self._own_windows:
            own = [w for w in (_window_rows(a, width) for a in self.own) if len(w)]
            self._own_windows[width] = np.concatenate(own) if own else None
        pool = self._own_windows[width]
        if pool is None:
            return False
        diff = rows - q
        scale = np.abs(rows) + np.abs(q)
        for d, s in zip(diff, scale, strict=True):
            close = np.all(np.abs(pool - d) <= _SUM_RTOL * (s + np.abs(pool)) + 1e-300, axis=1)
            if not close.any():
                return False
        return True

    def _whole_rows_of(self, width: int) -> set[bytes]:
        found, done = self._whole.get(width, (set(), 0))
        pool = self.own + self.returned
        for a in pool[done:]:
            if a.size and _rows(a).shape[1] == width:
                found.update(_row_bytes(_rows(a)))
        self._whole[width] = (found, len(pool))
        return found

    def _segments_of(self, width: int) -> set[bytes]:
        found, done = self._segments.get(width, (set(), 0))
        pool = self.own + self.returned
        for a in pool[done:]:
            found |= _windows(a, width)
        self._segments[width] = (found, len(pool))
        return found

    def _grow(self, arrays: list[np.ndarray]) -> None:
        self.returned += arrays
        self._bound(arrays)


def _window_rows(a: np.ndarray, width: int) -> np.ndarray:
    """Every segment of ``width`` consecutive entries of a row of ``a``, one per row."""
    if a.size == 0:  # (4, 0) has no rows to reshape into
        return np.empty((0, width))
    rows = _rows(a)
    if rows.shape[1] < width:
        return np.empty((0, width))
    if rows.shape[1] == width:  # whole rows, the common case
        return rows
    return rows[:, _offsets(rows.shape[1], width)].reshape(-1, width)


_OFFSETS: dict[tuple[int, int], np.ndarray] = {}


def _offsets(length: int, width: int) -> np.ndarray:
    """Column indices of every window of ``width`` in a row of ``length``: (windows, width)."""
    key = (length, width)
    if key not in _OFFSETS:
        if len(_OFFSETS) > 4096:  # bounded by MAX_AXIS squared anyway; keep it small
            _OFFSETS.clear()
        _OFFSETS[key] = np.arange(length - width + 1)[:, None] + np.arange(width)[None, :]
    return _OFFSETS[key]


def _row_bytes(rows: np.ndarray) -> list[bytes]:
    """The bytes of each row of a 2-D array (as ``row.tobytes()``), in one pass."""
    if rows.size == 0:
        return [b""] * len(rows)
    rows = np.ascontiguousarray(rows)
    keys = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel().tolist()
    return cast("list[bytes]", keys)  # a void item's tolist() is its bytes (a structured one's would be a tuple)


def _windows(a: np.ndarray, width: int) -> set[bytes]:
    """The bytes of every segment of ``width`` consecutive entries of a row of ``a``."""
    return set(_row_bytes(_window_rows(a, width)))
