"""The parent's side of the wire format spoken with the sandboxed child.

Everything the child sends is untrusted. :class:`FrameReader` parses frames
incrementally and validates every field before it touches numpy: bounded header,
dtype kinds ``b i u f c`` only (no object, structured or void dtypes), a shape whose
element count matches the declared byte count, and a size cap. Arrays are rebuilt
with ``np.frombuffer`` and copied, so the parent only ever holds plain ndarrays it
decoded itself. Nothing is ever unpickled.

The format itself is described in :mod:`grader.sandbox.child`; its limits (depth,
sizes, counts) are in :mod:`grader.sandbox.wire`, which the child imports too.
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..calls import BlockError, Earlier, Handle, Serve, Token
from ..untrusted import clean
from . import wire as W
from .wire import MAX_ARRAYS, MAX_DEPTH, MAX_HEADER_BYTES, MAX_NDIM

_DTYPE_RE = re.compile(r"^[<>|=][biufc][0-9]{1,2}$")


class ProtocolError(Exception):
    """The child sent something that is not a valid frame."""


@dataclass(frozen=True)
class Frame:
    header: dict[str, Any]
    arrays: list[np.ndarray]
    skipped: int = 0  # array bytes read past and dropped (a frame over the reader's allowance)


_DTYPES: dict[str, np.dtype] = {}  # dtype strings already found allowed (at most a few hundred match the pattern)
_NATIVE: dict[np.dtype, np.dtype] = {}  # ... and each one's native byte order


def _allowed_dtype(dtype_s: Any) -> np.dtype:
    """The dtype a wire string names, if it is an allowed one (a plain number)."""
    if type(dtype_s) is str and dtype_s in _DTYPES:  # an exact str: a subclass could fake its hash
        return _DTYPES[dtype_s]
    if not isinstance(dtype_s, str) or not _DTYPE_RE.match(dtype_s):
        raise ProtocolError(f"dtype {str(dtype_s)[:40]!r} is not allowed")
    try:
        dtype = np.dtype(dtype_s)
    except TypeError as exc:
        raise ProtocolError("unknown dtype") from exc
    if dtype.kind not in "biufc" or dtype.fields is not None or dtype.subdtype is not None:
        raise ProtocolError("dtype kind not allowed")
    _DTYPES[str(dtype_s)] = dtype
    return dtype


def _check_array_spec(spec: Any) -> tuple[np.dtype, tuple[int, ...], int]:
    if not isinstance(spec, dict):
        raise ProtocolError("array spec is not an object")
    dtype_s, shape, nbytes = spec.get("dtype"), spec.get("shape"), spec.get("nbytes")
    dtype = _allowed_dtype(dtype_s)
    if not isinstance(shape, list) or len(shape) > MAX_NDIM:
        raise ProtocolError("bad shape")
    count = 1
    for s in shape:
        if type(s) is not int or not 0 <= s < 1 << 40:
            raise ProtocolError("bad shape entry")
        count *= s
    if type(nbytes) is not int or nbytes != count * dtype.itemsize:
        raise ProtocolError("byte count does not match shape")
    return dtype, tuple(shape), nbytes


class FrameReader:
    """Incremental parser: feed bytes, take complete frames.

    ``allowance`` is how many array bytes the next frame may carry and be kept (the
    caller sets it before waiting for each answer). A frame over it is read past
    without being kept: its arrays are dropped as they arrive and :meth:`take` gives
    the frame with no arrays and ``skipped`` set, so an answer far larger than its
    caller expects costs no memory. A frame over ``max_frame_bytes`` is a protocol
    violation."""

    def __init__(self, max_frame_bytes: int) -> None:
        self.max_frame_bytes = max_frame_bytes
        self.allowance = max_frame_bytes
        self._buf = bytearray()
        self._header: dict[str, Any] | None = None
        self._specs: list[tuple[np.dtype, tuple[int, ...], int]] = []
        self._need = 0
        self._skip = 0  # bytes of the current frame's arrays still to drop
        self._skipping = False  # the current frame is over the allowance

    def feed(self, data: bytes) -> None:
        self._buf += data
        self._parse_header()
        if self._skip:
            dropped = min(self._skip, len(self._buf))
            del self._buf[:dropped]
            self._skip -= dropped
        if len(self._buf) > self.max_frame_bytes + MAX_HEADER_BYTES + 4:
            raise ProtocolError("frame exceeds the size cap")

    def _parse_header(self) -> None:
        if self._header is not None or len(self._buf) < 4:
            return
        (hlen,) = struct.unpack(">I", self._buf[:4])
        if hlen > MAX_HEADER_BYTES:
            raise ProtocolError("header too large")
        if len(self._buf) < 4 + hlen:
            return
        raw = self._buf[4 : 4 + hlen]
        try:
            if hlen > 1 and raw[0] == 0x7B and raw[1]:  # "{" then not a NUL: json.loads would read it as UTF-8
                header = json.loads(raw.decode("utf-8", "surrogatepass"))  # as json.loads decodes bytes
            else:
                header = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise ProtocolError("header is not valid JSON") from exc
        if not isinstance(header, dict):
            raise ProtocolError("header is not an object")
        specs = header.get("arrays", [])
        if not isinstance(specs, list) or len(specs) > MAX_ARRAYS:
            raise ProtocolError("bad array list")
        self._specs = [_check_array_spec(s) for s in specs]
        self._need = sum(n for _, _, n in self._specs)
        if self._need > self.max_frame_bytes:
            raise ProtocolError("frame exceeds the size cap")
        del self._buf[: 4 + hlen]
        self._header = header
        if self._need > self.allowance:
            self._skip, self._skipping = self._need, True

    def take(self) -> Frame | None:
        """Return the next complete frame, or None if more bytes are needed."""
        self._parse_header()
        if self._header is None:
            return None
        if self._skipping:  # read past, not kept
            if self._skip:
                dropped = min(self._skip, len(self._buf))
                del self._buf[:dropped]
                self._skip -= dropped
            if self._skip:
                return None
            frame = Frame(self._header, [], skipped=self._need)
            self._header, self._specs, self._need, self._skipping = None, [], 0, False
            return frame
        if len(self._buf) < self._need:
            return None
        arrays, pos = [], 0
        for dtype, shape, nbytes in self._specs:
            view = np.frombuffer(self._buf, dtype=dtype, count=nbytes // dtype.itemsize, offset=pos)
            native = _NATIVE.get(dtype)
            if native is None:
                native = _NATIVE[dtype] = dtype.newbyteorder("=")
            arrays.append(view.reshape(shape).astype(native, copy=True))  # one copy, no slices
            del view  # release the buffer before it is resized
            pos += nbytes
        del self._buf[: self._need]
        frame = Frame(self._header, arrays)
        self._header, self._specs, self._need = None, [], 0
        return frame


def decode_value(v: Any, arrays: list[np.ndarray], generation: int, depth: int = 0) -> Any:
    """Rebuild a value from its wire form, validating as it goes."""
    if depth > MAX_DEPTH:
        raise ProtocolError("value nested too deeply")
    t = type(v)
    if t is float or t is int:  # the common forms first, by exact type (what json.loads makes)
        return v
    if t is dict and len(v) == 1:  # one key: the order of the tests below does not matter
        if "a" in v:
            i = v["a"]
            if type(i) is not int or not 0 <= i < len(arrays):
                raise ProtocolError("bad array reference")
            return arrays[i]
        items = v.get("t")
        if type(items) is list:
            if len(items) > W.MAX_SEQUENCE:
                raise ProtocolError("bad sequence")
            return tuple([decode_value(x, arrays, generation, depth + 1) for x in items])
    return _decode_value(v, arrays, generation, depth)


def _decode_value(v: Any, arrays: list[np.ndarray], generation: int, depth: int) -> Any:
    """:func:`decode_value` for the forms its fast path leaves."""
    if v is None or isinstance(v, (bool, int, float)):
        return v
    if isinstance(v, str):
        return clean(v[: W.MAX_STRING])
    if isinstance(v, dict) and len(v) <= 2:
        if "a" in v:
            i = v["a"]
            if type(i) is not int or not 0 <= i < len(arrays):
                raise ProtocolError("bad array reference")
            return arrays[i]
        if "h" in v:
            if type(v["h"]) is not int:
                raise ProtocolError("bad handle")
            return Handle(
                v["h"], clean(str(v.get("type", "object"))[: W.MAX_TYPE_NAME]), generation
            )
        if "p" in v:
            if not isinstance(v["p"], str) or not 0 < len(v["p"]) <= W.MAX_TOKEN:
                raise ProtocolError("bad token")
            return Token(v["p"])
        for key, kind in (("l", list), ("t", tuple)):
            if key in v:
                if not isinstance(v[key], list) or len(v[key]) > W.MAX_SEQUENCE:
                    raise ProtocolError("bad sequence")
                items = [decode_value(x, arrays, generation, depth + 1) for x in v[key]]
                return items if kind is list else tuple(items)
        if "d" in v and isinstance(v["d"], dict) and len(v["d"]) <= W.MAX_DICT:
            return {
                clean(str(k)[: W.MAX_KEY]): decode_value(x, arrays, generation, depth + 1)
                for k, x in v["d"].items()
            }
    raise ProtocolError("unknown value form")


_PLAIN = frozenset({float, int, str, bool, type(None)})  # sent as they are (np.float64, a float subclass, is not)


def _listed(v: np.ndarray, arrays: list[np.ndarray], shared: dict[int, int] | None, reused: set[int] | None,
            as_is: bool) -> dict[str, int]:
    """``{"a": i}`` for an array of a frame: listed once per object where ``shared``
    tracks them (a second use adds its index to ``reused``); ``as_is``: the array
    itself, else a private C-ordered copy."""
    if shared is not None:
        if id(v) in shared:
            if reused is not None:
                reused.add(shared[id(v)])
            return {"a": shared[id(v)]}
        shared[id(v)] = len(arrays)
    arrays.append(v if as_is else np.array(v, order="C", copy=True))
    return {"a": len(arrays) - 1}


def encode_value(v: Any, arrays: list[np.ndarray], shared: dict[int, int] | None = None,
                 reused: set[int] | None = None, copy: bool = True) -> Any:
    """Wire form of a trusted argument built by the parent.

    With ``shared`` (id of an array -> its index, for one request whose calls hold
    every array alive), an array object met again is sent once and referenced twice;
    its index goes into ``reused``, which the request lists so that the child hands
    each use a copy of its own (the calls of a numerical gradient share every input
    but the one they move). ``copy=False``: a plain ndarray is listed as it is, for a
    caller that encodes the frame (:func:`encode_frame`, which takes its bytes) before
    anything can change it; otherwise every array listed is a private copy."""
    t = type(v)
    if t is np.ndarray:
        return _listed(v, arrays, shared, reused, as_is=not copy)
    if t in _PLAIN:
        return v
    if t is tuple:
        return {"t": [encode_value(x, arrays, shared, reused, copy) for x in v]}
    if isinstance(v, Handle):
        return {"h": v.id}
    if isinstance(v, Token):
        return {"p": v.id, "s": v.skeleton}
    if isinstance(v, Earlier):  # what an earlier call of the same request kept (calls.Earlier)
        return {"e": [v.call, v.item]}
    if isinstance(v, np.ndarray):  # a subclass: listed as a plain copy
        return _listed(v, arrays, shared, reused, as_is=False)
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, tuple):
        return {"t": [encode_value(x, arrays, shared, reused, copy) for x in v]}
    if isinstance(v, list):
        return {"l": [encode_value(x, arrays, shared, reused, copy) for x in v]}
    if isinstance(v, dict):
        return {"d": {k: encode_value(x, arrays, shared, reused, copy) for k, x in v.items()}}
    return v


_JSON = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode  # compact; trusted values only


def encode_frame(header: dict[str, Any], arrays: list[np.ndarray]) -> bytes:
    header = dict(header)
    header["arrays"] = [
        {"dtype": a.dtype.str, "shape": list(a.shape), "nbytes": a.nbytes} for a in arrays
    ]
    hbytes = _JSON(header).encode()
    return b"".join([struct.pack(">I", len(hbytes)), hbytes] + [_raw(a) for a in arrays])


def _raw(a: np.ndarray) -> memoryview | bytes:
    """An array's bytes in C order, without a copy where it is C-contiguous and not empty
    (the frame's join copies them once)."""
    if a.flags.c_contiguous and a.size:
        return memoryview(a).cast("B")  # type: ignore[arg-type]  # numpy types ndarray.__buffer__ from Python 3.12
    return a.tobytes()


def callback_answer(serve: Serve, name: str, args: Any, kwargs: Any) -> tuple[dict[str, Any], list[np.ndarray]]:
    """The answer to a building block's callback (header and arrays): the block's
    plain result as ``serve`` computes it in the parent, or why there is none."""
    if not isinstance(args, (list, tuple)) or not isinstance(kwargs, dict):
        return {"status": "error", "message": "the arguments could not be read"}, []
    try:
        value = serve(name, tuple(args), kwargs)
    except BlockError as exc:
        return {"status": "error", "message": str(exc)[: W.MAX_MESSAGE]}, []
    arrays: list[np.ndarray] = []
    return {"status": "ok", "value": encode_value(value, arrays)}, arrays
