"""The harness that runs *inside* the sandbox, in the untrusted child process.

It is started as ``python -I -B child.py`` and must stay self-contained: it imports
only the standard library, numpy and two standalone modules shipped next to it
(``wire.py``, the wire-format limits shared with the parent, and ``confine.py``,
Landlock, leaving root and seccomp), never the ``grader`` package, so nothing of the
grader (checks, expected values, reference code) is loaded next to student code.

Its job is small: apply resource limits and confine itself, load the submission's
modules and notebook cells (telling the parent where it is, so a hang can be
located), then serve calls ("call ``affine_forward`` with these arrays") until stdin
closes, substituting building blocks when a call asks for it. It never compares,
scores or judges anything; whatever it sends back is decoded and validated by the
parent, which treats it as untrusted input. (One file over 400 lines on purpose:
it is the whole harness, started alone, importing nothing of the grader. Imported
as a module it does nothing, so the in-process caller runs the same code; only
``main()`` talks to the parent over the pipes and confines the process.)

Wire format (both directions): a frame is ``u32 big-endian header length``, a JSON
header, then the raw bytes of the arrays listed in ``header["arrays"]`` (each
``{"dtype": str, "shape": [int], "nbytes": int}``), back to back. Values inside the
header are encoded as plain JSON scalars, ``{"a": i}`` (array i), ``{"h": id}``
(an object kept in this process), ``{"p": id, "s": skeleton}`` (a reference cache
the parent keeps during a substituting call; the child sends back ``{"p": id}``),
``{"l": [...]}``, ``{"t": [...]}`` and ``{"d": {...}}`` for lists, tuples and dicts.
A call may list handles under ``"release"``: the child forgets those objects once the
call is answered (the parent never passes them again, so a training run that keeps its
parameters here does not pile up one copy per step).
During a substituting call the child may send ``{"callback": name, "args": ...,
"kwargs": ...}`` frames before its answer; the parent answers each with
``{"status": "ok", "value": ...}`` or ``{"status": "error", "message": ...}``.
A request may list ``"shared"`` array indices, referenced by more than one use (sent
once): each use gets its own copy (``_Shared``).
Every size, count and depth is bounded by ``wire.py``, on both sides.
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":
    # Requests arrive on stdin; keep a private copy of the descriptor and give student
    # code an empty stdin, so input() or sys.stdin.read() cannot swallow requests.
    _REQ_FD = os.dup(0)
    _RESP_FD = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    _devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(_devnull, 0)
    os.close(_devnull)

import builtins  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import linecache  # noqa: E402  (loaded by traceback anyway)
import math  # noqa: E402  (also pre-imported for student code before privileges drop)
import resource  # noqa: E402
import struct  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import types  # noqa: E402
import warnings  # noqa: E402
import weakref  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from typing import Any  # noqa: E402  (already loaded by numpy; annotations only)

import numpy as np  # noqa: E402


def _sibling(name: str) -> types.ModuleType:
    """A standalone module shipped next to this file (bubblewrap binds it there).

    Loaded by path: ``python -I`` does not put this folder on ``sys.path``, and student
    code must not be able to import the harness's helpers by a plain name."""
    import importlib.util

    # Run compiled (grader.sandbox.harness), its siblings are compiled beside it too.
    suffix = ".pyc" if __file__.endswith(".pyc") else ".py"
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), name + suffix)
    spec: Any = importlib.util.spec_from_file_location("_rnngrade_" + name, path)  # a file that is there
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


W = _sibling("wire")  # wire-format limits, shared with the parent
C = _sibling("confine")  # Landlock, dropping root, seccomp
_MAX_TRACEBACK = W.MAX_ERROR_FIELD
_handles: dict[int, Any] = {}
_next_handle = [1]
_student_files: set[str] = set()
_student_modules: list[types.ModuleType] = []  # every module loaded from the submission
# How a building block's proxy reaches the parent: (header, arrays) -> (header, arrays).
# main() sets it to a round trip on the pipes; an in-process caller to a function.
_callback: list[Callable[[dict[str, Any], list[np.ndarray]], tuple[dict[str, Any], list[np.ndarray]]] | None] = [None]
_substituted: set[str] = set()  # names whose proxies may run now (during a substituting call)
# How the loader says which module or cell starts loading: main() sets it to a frame
# on the pipe; the in-process caller leaves it unset (nothing there can hang unseen).
_progress: list[Callable[[dict[str, Any]], None] | None] = [None]


# --------------------------------------------------------------------------- wire
_inbuf = bytearray()  # bytes read from the parent and not parsed yet (a read takes what is there)


def _fill(n: int) -> None:
    """Read until at least ``n`` bytes are buffered: usually one read for a whole request."""
    while len(_inbuf) < n:
        b = os.read(_REQ_FD, min(max(n - len(_inbuf), 1 << 16), 1 << 20))
        if not b:
            raise EOFError
        _inbuf.extend(b)


def _read_frame() -> tuple[dict[str, Any], list[np.ndarray]]:
    _fill(4)
    (hlen,) = struct.unpack_from(">I", _inbuf)
    _fill(4 + hlen)
    header = json.loads(_inbuf[4 : 4 + hlen])
    specs = header.get("arrays", [])
    pos = 4 + hlen
    _fill(pos + sum(spec["nbytes"] for spec in specs))
    arrays = []
    for spec in specs:
        dtype, nbytes = np.dtype(spec["dtype"]), spec["nbytes"]
        # One copy, out of the buffer (the view is dropped at once: the buffer can shrink).
        arrays.append(np.frombuffer(_inbuf, dtype=dtype, count=nbytes // dtype.itemsize, offset=pos)
                      .reshape(spec["shape"]).copy())
        pos += nbytes
    del _inbuf[:pos]
    return header, arrays


def _raw(a: np.ndarray) -> memoryview | bytes:
    """An array's bytes for the frame, without a copy where it is C-contiguous and not empty."""
    if a.flags.c_contiguous and a.size:
        return memoryview(a).cast("B")  # type: ignore[arg-type]  # numpy types ndarray.__buffer__ from Python 3.12
    return a.tobytes()


# Compact headers; no check for cycles: every header is built fresh by this harness.
_JSON = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode


def _write_frame(header: dict[str, Any], arrays: list[np.ndarray]) -> None:
    header["arrays"] = [
        {"dtype": a.dtype.str, "shape": list(a.shape), "nbytes": a.nbytes} for a in arrays
    ]
    hbytes = _JSON(header).encode()
    parts = [struct.pack(">I", len(hbytes)), hbytes] + [_raw(a) for a in arrays]
    data = b"".join(parts)
    view = memoryview(data)
    while view:
        n = os.write(_RESP_FD, view)
        view = view[n:]


class _Token:
    """A reference cache that the parent keeps (see the substituting calls below).
    Its values stay in the parent; indexing it gives its structure, arrays as
    read-only zeros of their shapes (enough to read a shape from it)."""

    __slots__ = ("_id", "_parts")

    def __init__(self, token_id: str, skeleton: Any = None) -> None:
        self._id = token_id
        parts = skeleton.get("t") if isinstance(skeleton, dict) else None
        self._parts = list(parts)[: W.MAX_SEQUENCE] if isinstance(parts, list) else []

    def __len__(self) -> int:
        return len(self._parts)

    def __getitem__(self, k: Any) -> Any:
        return _stand_in(self._parts[k])

    def __iter__(self) -> Iterator[Any]:
        return iter([_stand_in(p) for p in self._parts])

    def __repr__(self) -> str:
        return "<the grader's cache>"


def _stand_in(skeleton: Any, depth: int = 0) -> Any:
    if isinstance(skeleton, list):  # a slice of parts
        return [_stand_in(s, depth) for s in skeleton]
    if isinstance(skeleton, dict) and isinstance(skeleton.get("z"), list) and depth < W.MAX_SKELETON_DEPTH:
        shape = [int(n) for n in skeleton["z"][: W.MAX_NDIM]]
        if math.prod(shape) <= W.MAX_STAND_IN:
            z = np.zeros(shape)
            z.flags.writeable = False
            return z
    if isinstance(skeleton, dict) and isinstance(skeleton.get("t"), list) and depth < W.MAX_SKELETON_DEPTH:
        return tuple(_stand_in(s, depth + 1) for s in skeleton["t"][: W.MAX_SEQUENCE])
    return None


def _decode(v: Any, arrays: list[np.ndarray]) -> Any:
    if isinstance(v, dict):
        if "a" in v:
            return arrays[v["a"]]
        if "p" in v:
            return _Token(str(v["p"])[: W.MAX_TOKEN], v.get("s"))
        if "h" in v:
            if v["h"] not in _handles:
                raise _HarnessError("unknown handle")
            return _handles[v["h"]]
        if "l" in v:
            return [_decode(x, arrays) for x in v["l"]]
        if "t" in v:
            return tuple(_decode(x, arrays) for x in v["t"])
        if "d" in v:
            return {k: _decode(x, arrays) for k, x in v["d"].items()}
        raise _HarnessError("bad value")
    return v


class _Shared(list[np.ndarray]):
    """A request's arrays where those listed in ``shared`` (sent once, referenced by
    several uses) are handed out as copies, so that no call sees what another did to
    its arguments; the others are handed out as they are (each has one use)."""

    def __init__(self, arrays: list[np.ndarray], shared: list[Any]) -> None:
        super().__init__(arrays)
        self.shared = {i for i in shared if type(i) is int}

    def __getitem__(self, i: Any) -> Any:
        a = list.__getitem__(self, i)
        return a.copy() if i in self.shared else a


def _keep(obj: Any) -> dict[str, Any]:
    hid = _next_handle[0]
    _next_handle[0] += 1
    _handles[hid] = obj
    return {"h": hid, "type": type(obj).__name__[: W.MAX_TYPE_NAME]}


def _encode(v: Any, arrays: list[np.ndarray], depth: int = 0) -> Any:
    """Turn a student's return value into wire form. Plain arrays and numbers travel;
    anything else, and anything beyond the wire limits, stays here behind a handle."""
    if type(v) is np.ndarray:  # the common answer first: a plain array of numbers
        dtype = v.dtype
        if dtype.kind in "biufc" and dtype.fields is None and v.ndim <= W.MAX_NDIM and len(arrays) < W.MAX_ARRAYS:
            try:
                arrays.append(v.copy(order="C"))  # one copy, taken now, in C order
            except Exception:
                return _keep(v)
            return {"a": len(arrays) - 1}
    if type(v) is _Token:
        return {"p": v._id}
    if v is None or isinstance(v, (bool, str)):
        return v if not isinstance(v, str) else v[: W.MAX_STRING]
    if isinstance(v, (int, float, complex, np.generic, np.ndarray)):
        if len(arrays) >= W.MAX_ARRAYS:
            return _keep(v)
        try:
            arr = np.array(v, copy=True).view(np.ndarray)  # one copy, taken now
            if not arr.flags.c_contiguous:  # C order (0-d arrays stay 0-d)
                arr = arr.copy(order="C")
        except Exception:
            return _keep(v)
        if arr.dtype.kind not in "biufc" or arr.dtype.fields is not None or arr.ndim > W.MAX_NDIM:
            return _keep(v)
        arrays.append(arr)
        return {"a": len(arrays) - 1}
    if depth >= W.MAX_DEPTH:  # its items would lie deeper than the parent accepts
        return _keep(v)
    if type(v) in (list, tuple) and len(v) <= W.MAX_SEQUENCE:
        key = "l" if type(v) is list else "t"
        return {key: [_encode(x, arrays, depth + 1) for x in v]}
    if type(v) is dict and len(v) <= W.MAX_DICT and all(type(k) is str for k in v):
        return {"d": {k[: W.MAX_KEY]: _encode(x, arrays, depth + 1) for k, x in v.items()}}
    return _keep(v)


class _HarnessError(Exception):
    pass


# ------------------------------------------------------------------ tracebacks
# The standard library's own steps of ``traceback.extract_tb`` (Python 3.11 to 3.13),
# so that only the student's frames are summarised: extracting every frame (the
# harness's, numpy's) finds each one's column positions (a walk over its code up to
# the instruction: long in the harness's own _call) and looks up and re-checks each
# file's lines, only to drop them; ~250 failing calls in a grade of the stubs.
_code_position = getattr(traceback, "_get_code_position", None)
_extract_frames = getattr(traceback.StackSummary, "_extract_from_extended_frame_gen", None)


def _student_positions(tb: types.TracebackType | None) -> Iterator[tuple[Any, tuple[Any, ...]]]:
    """``traceback._walk_tb_with_full_positions(tb)`` restricted to the student's frames."""
    assert _code_position is not None
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename in _student_files:
            positions = _code_position(code, tb.tb_lasti)
            yield tb.tb_frame, ((tb.tb_lineno,) + tuple(positions[1:]) if positions[0] is None else positions)
        tb = tb.tb_next


def _student_frames(tb: types.TracebackType | None) -> list[traceback.FrameSummary]:
    """``[f for f in traceback.extract_tb(tb) if f.filename in _student_files]``,
    the same summaries (line, columns, code), without summarising the other frames."""
    if _code_position is None or _extract_frames is None or getattr(sys, "tracebacklimit", None) is not None:
        # A limit counts every frame, the dropped ones too: the plain way then.
        return [f for f in traceback.extract_tb(tb) if f.filename in _student_files]
    return list(_extract_frames(_student_positions(tb)))


class _Summary(traceback.StackSummary):
    """A summary of the student's frames whose formatted frames are kept: Python
    3.11+ parses each frame's code with ``ast`` to place its ``^^^`` marks, ~70 us
    a frame, and a grade of the stubs formats the same ``raise NotImplementedError``
    frames ~250 times. A frame's text depends only on what the key holds (its place,
    columns, function, the source lines it spans as linecache has them now, the
    formatting options); a frame with locals is formatted each time."""

    _texts: dict[tuple[Any, ...], Any] = {}

    def format_frame_summary(self, frame_summary: traceback.FrameSummary, **kwargs: Any) -> Any:
        fs = frame_summary
        first, last = fs.lineno, fs.end_lineno
        if fs.locals is not None or first is None or (last is not None and not 0 <= last - first <= 20):
            return super().format_frame_summary(fs, **kwargs)
        lines = tuple(linecache.getline(fs.filename, n) for n in range(first, (last or first) + 1))
        key = (fs.filename, first, last, fs.colno, fs.end_colno, fs.name, getattr(fs, "_line", None), lines,
               tuple(sorted(kwargs.items())))
        text = self._texts.get(key)
        if text is None:
            text = super().format_frame_summary(fs, **kwargs)
            if len(self._texts) >= 1024:
                self._texts.clear()
            self._texts[key] = text
        return text


def _student_traceback(exc: BaseException) -> str:
    """Format an exception, keeping only frames from the student's own files (path,
    line, code). The exception's own text is capped first and the outermost frames go
    first, so a long message (an array in an assert, a huge repr) never pushes the
    student's frames out of the capped traceback."""
    frames = _Summary(_student_frames(exc.__traceback__)).format()  # traceback.format_list, frames kept
    last = "".join(traceback.format_exception_only(type(exc), exc))
    if len(last) > W.MAX_MESSAGE:
        last = last[: W.MAX_MESSAGE].rstrip("\n") + " [...]\n"
    kept, room = [], _MAX_TRACEBACK - len(last) - 8
    for frame in reversed(frames):  # innermost first: where it went wrong
        if len(frame) > room:
            kept.append("  ...\n")
            break
        kept.append(frame)
        room -= len(frame)
    return "".join(reversed(kept)) + last


def _error_info(exc: BaseException) -> dict[str, Any]:
    kind = "error"
    if isinstance(exc, NotImplementedError):
        kind = "not_implemented"
    elif isinstance(exc, MemoryError):
        kind = "memory"
    elif isinstance(exc, RecursionError):
        kind = "recursion"
    elif isinstance(exc, SystemExit):
        kind = "exit"
    return {
        "kind": kind,
        "type": type(exc).__name__[: W.MAX_TYPE_NAME],
        "message": str(exc)[: W.MAX_MESSAGE] if not isinstance(exc, SystemExit) else repr(exc.code)[: W.MAX_STRING],
        "traceback": _student_traceback(exc),
    }


# --------------------------------------------------------------------- loading
def _apply_limits(limits: dict[str, Any]) -> None:
    pairs = [
        (resource.RLIMIT_AS, limits.get("memory_bytes")),
        (resource.RLIMIT_CPU, limits.get("cpu_seconds")),
        (resource.RLIMIT_FSIZE, limits.get("file_bytes")),
        (resource.RLIMIT_NOFILE, limits.get("open_files")),
        (resource.RLIMIT_NPROC, limits.get("processes")),
        (resource.RLIMIT_CORE, 0),
    ]
    for which, value in pairs:
        if value is None:
            continue
        try:
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):
            pass


def _confine(header: dict[str, Any]) -> None:
    """Limits, then confinement (see confine.py), before any student code runs. The
    parent learns what was achieved in a frame the student cannot forge (nothing of
    theirs has run yet); if a requested step failed, this process stops here."""
    _apply_limits(header.get("limits", {}))
    report = C.apply(header.get("confine") or {})
    _write_frame(dict(report, status="confined"), [])
    if report["failed"]:
        os._exit(3)


# Student modules are loaded through Python's own import system, as ``python`` would
# load them from the submission's folder: a finder placed first on ``sys.meta_path``
# knows every .py file of the submission by its dotted name (``cs231n.layers``), so
# packages get a real ``__path__`` (``from cs231n import optim``, relative imports),
# folders without ``__init__.py`` are namespace packages, and a module is executed
# when it is first imported (a module importing its siblings gets them loaded first,
# whatever their names). A file beside others in a plain folder is also found by its
# bare name (``from layers import *`` in ``hw/bp_network.py``), as when that folder
# is the current directory. Names the standard library or an installed package owns
# stay theirs (the submission's folder comes after them, as on ``sys.path``); a file
# with such a name, or one whose name is not an identifier (``hw-1.py``), is still
# loaded, as a module nobody can import. Code objects carry the student's own path
# (``cs231n/layers.py``, not where the sandbox put it), for tracebacks and errors.
class _Table:
    """What the finder knows: the submission's files and folders by dotted name."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[str, str]] = {}  # dotted name -> (path, display)
        self.packages: set[str] = set()  # dotted names of files that are a package's __init__.py
        self.folders: dict[str, str] = {}  # dotted name -> path of a folder without __init__.py
        self.siblings: dict[str, str] = {}  # bare name -> dotted name of a module in a plain folder
        self.shadowed: set[str] = set()  # top-level names owned by the standard library or a package
        self.failed: dict[str, BaseException] = {}  # dotted name -> the exception that stopped it loading
        self.executed: dict[str, types.ModuleType] = {}  # dotted name -> module object (also when it failed part way)


_table: list[Any] = [_Table()]  # the in-process caller swaps its own in and out (None before it loads)
_loading: list[str] = []  # the files being loaded, the innermost last (imports nest)


def _importable(name: str) -> bool:
    return all(part.isidentifier() for part in name.split("."))


def _build_table(entries: list[dict[str, Any]]) -> _Table:
    """The finder's table for the .py entries of the submission."""
    import importlib.machinery

    table = _Table()
    roots = {e["path"][: len(e["path"]) - len(e["display"])].rstrip("/") for e in entries}
    others = [p for p in sys.path if p not in roots and p != ""]
    for entry in entries:
        if "cells" in entry or not _importable(entry["module"]):
            continue
        name = entry["module"]
        table.files.setdefault(name, (entry["path"], entry["display"]))
        if entry["display"].endswith("__init__.py"):
            table.packages.add(name)
    for name in list(table.files):
        parts = name.split(".")
        path, display = table.files[name]
        rel = display.split("/")
        base = path[: len(path) - len(display)].rstrip("/")
        for k in range(1, len(parts)):
            prefix = ".".join(parts[:k])
            if prefix not in table.files and prefix not in table.folders and len(rel) > k:
                table.folders[prefix] = "/".join([base] + rel[:k])
    for name in table.files:
        parent = name.rpartition(".")[0]
        bare = name.rpartition(".")[2]
        if parent and parent in table.folders and name not in table.packages \
                and bare not in table.files and bare not in table.folders:
            table.siblings.setdefault(bare, name)
    tops = {n.partition(".")[0] for n in list(table.files) + list(table.folders) + list(table.siblings)}
    for top in tops:
        if top in sys.modules or top in sys.builtin_module_names:
            table.shadowed.add(top)
            continue
        try:
            if importlib.machinery.PathFinder.find_spec(top, others) is not None:
                table.shadowed.add(top)
        except (ImportError, ValueError, OSError):
            table.shadowed.add(top)
    return table


def _owner(name: str) -> bool:
    return name.partition(".")[0] not in _table[0].shadowed


class _SubmissionFinder:
    """A meta path finder for the submission's modules (see above)."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        import importlib.machinery
        import importlib.util

        table = _table[0]
        if not _owner(name):
            return None
        if name in table.files:
            file, display = table.files[name]
            loader = _SubmissionLoader(name, file, display)
            search = [os.path.dirname(file)] if name in table.packages else None
            # The loaders are duck-typed (create_module/exec_module), as the import system accepts.
            return importlib.util.spec_from_file_location(name, file, loader=loader,  # type: ignore[arg-type]
                                                          submodule_search_locations=search)
        if name in table.folders:
            spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
            spec.submodule_search_locations = [table.folders[name]]
            return spec
        if name in table.siblings:
            return importlib.machinery.ModuleSpec(name, _AliasLoader(table.siblings[name]))  # type: ignore[arg-type]
        return None

    def invalidate_caches(self) -> None:
        pass


_FINDER = _SubmissionFinder()


class _AliasLoader:
    """A module of a plain folder imported by its bare name: the same module object."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.spec: Any = None

    def create_module(self, spec: Any) -> types.ModuleType:
        import importlib

        module = importlib.import_module(self.target)
        self.spec = module.__spec__
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        module.__spec__ = self.spec  # it keeps its own name and spec


class _SubmissionLoader:
    """Loads one .py file of the submission: compiled from its bytes (no bytecode
    cache) under the student's own path, saying where loading is, and recording
    what stopped it (see :func:`_record_error`)."""

    def __init__(self, name: str, path: str, display: str) -> None:
        self.name, self.path, self.display = name, path, display

    def create_module(self, spec: Any) -> None:
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        table = _table[0]
        if self.name in table.failed:  # plain Python would run it again and fail the same way
            raise table.failed[self.name]
        module.__file__ = self.path
        table.executed[self.name] = module
        _student_files.add(self.display)
        _loading.append(self.display)
        _report_progress(self.display)
        try:
            with open(self.path, "rb") as f:
                source = f.read()
            _remember_source(self.display, source)
            code = compile(source, self.display, "exec", dont_inherit=True)
            exec(code, module.__dict__)
        except BaseException as exc:  # noqa: BLE001 - student code may raise anything
            table.failed[self.name] = exc
            _record_error(self.display, exc, module)
            raise
        finally:
            _loading.pop()
            if _loading:  # back in the module that imported this one: a hang there is its own
                _report_progress(_loading[-1])

    def is_package(self, fullname: str) -> bool:
        return fullname in _table[0].packages


# ------------------------------------------------------------------ load errors
_errors: dict[str, list[dict[str, Any]]] = {}  # display -> list of error dicts, in the order they happened
_origin: dict[int, str] = {}  # id(exception) -> display of the file whose code raised it
_sources: dict[str, bytes] = {}  # display -> source bytes (for the functions a failed load lost)


def _remember_source(display: str, source: bytes) -> None:
    import linecache

    _sources[display] = source
    try:
        text = source.decode("utf-8")
    except UnicodeDecodeError:
        return
    linecache.cache[display] = (len(text), None, text.splitlines(True), display)


def _record_error(display: str, exc: BaseException, module: types.ModuleType | None) -> None:
    """Say why loading ``display`` stopped: its own error (a syntax error, an
    exception, a missing module), or a failed import of another of the student's
    files (then that file's error is reported there, and this one points at it)."""
    origin = _origin.setdefault(id(exc), display)
    info = _error_info(exc)
    info["where"] = display
    if origin != display:
        info["kind"] = "import"
        info["imported"] = origin
        info["line"] = _line_in(exc, display)
    elif isinstance(exc, SyntaxError) and not _raised_in_code(exc):
        info["kind"] = "syntax"
        info["line"] = exc.lineno
        info["column"] = exc.offset
        info["text"] = (exc.text or "").rstrip("\n")[: W.MAX_STRING] if isinstance(exc.text, str) else ""
        info["message"] = str(exc.msg)[: W.MAX_MESSAGE]
        info["traceback"] = "".join(traceback.format_exception_only(type(exc), exc))[-_MAX_TRACEBACK:]
    else:
        info["line"] = _line_in(exc, display)
        missing = getattr(exc, "name", None) if isinstance(exc, ModuleNotFoundError) else None
        if missing and not _owned_by_submission(missing):
            info["kind"] = "missing_module"
            info["missing"] = str(missing)[: W.MAX_STRING]
    lost = _lost_definitions(display, module)
    if lost:
        info["lost"] = lost
    seen = _errors.setdefault(display, [])
    if all((e.get("kind"), e.get("message"), e.get("line")) != (info.get("kind"), info.get("message"),
                                                              info.get("line")) for e in seen):
        seen.append(info)


def _raised_in_code(exc: SyntaxError) -> bool:
    """A SyntaxError raised by running code (compile() or exec() of a string), not
    one that stopped a file from being read."""
    return any(f.filename in _student_files for f in traceback.extract_tb(exc.__traceback__)) and \
        exc.filename not in _student_files


def _owned_by_submission(name: str) -> bool:
    table = _table[0]
    top = name.partition(".")[0]
    return top in table.files or top in table.folders or top in table.siblings


def _line_in(exc: BaseException, display: str) -> int | None:
    """The line of ``display`` where ``exc`` passed last (None if it never did)."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == display:
            line = frame.lineno
    return line


def _lost_definitions(display: str, module: types.ModuleType | None) -> list[str]:
    """Functions the file defines at its top level that a failed load left
    undefined (the wanted ones first), from its source."""
    import ast

    source = _sources.get(display)
    if source is None:
        return []
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return _defined_by_scan(source, module)
    names = [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    namespace = module.__dict__ if module is not None else {}
    return _wanted_first([n for n in dict.fromkeys(names) if n not in namespace])


def _defined_by_scan(source: bytes, module: types.ModuleType | None) -> list[str]:
    """Top-level ``def`` names of a file Python cannot parse, found line by line."""
    names = []
    for raw in source.splitlines()[:20000]:
        line = raw.decode("utf-8", "replace")
        if line.startswith(("def ", "async def ")):
            name = line.split("def ", 1)[1].split("(", 1)[0].strip()
            if name.isidentifier():
                names.append(name)
    namespace = module.__dict__ if module is not None else {}
    return _wanted_first([n for n in dict.fromkeys(names) if n not in namespace])


_wanted: list[tuple[str, ...]] = [()]


def _wanted_first(names: list[str]) -> list[str]:
    wanted = set(_wanted[0])
    ordered = [n for n in names if n in wanted] + [n for n in names if n not in wanted]
    return [n[: W.MAX_KEY] for n in ordered[: W.MAX_LOST]]


# --------------------------------------------------------------------- loading
def _load_cells(entry: dict[str, Any]) -> types.ModuleType:
    """Run the code cells of one notebook as one module, cell by cell: an error costs
    only its own cell. Returns the module."""
    name = entry["module"]
    mod = types.ModuleType(name)
    mod.__file__ = entry["path"]
    mod.__path__ = []
    if name not in sys.modules:
        sys.modules[name] = mod
    _table[0].executed[name] = mod
    for cell in entry["cells"]:
        label = cell["label"]
        _student_files.add(label)
        _report_progress(label)
        src = cell["source"]
        try:
            _remember_source(label, src.encode("utf-8", "surrogatepass") if isinstance(src, str) else src)
            code = compile(src, label, "exec", dont_inherit=True)
            exec(code, mod.__dict__)
        except BaseException as exc:  # noqa: BLE001 - student code may raise anything
            _record_error(label, exc, mod)
            if isinstance(exc, KeyboardInterrupt):
                break
    return mod


def _load_private(entry: dict[str, Any]) -> types.ModuleType:
    """A file nobody can import (its name is not an identifier, or the standard
    library owns it): executed as a module of its own, not in ``sys.modules``."""
    name, display = entry["module"], entry["display"]
    mod = types.ModuleType(name)
    mod.__file__ = entry["path"]
    mod.__package__ = name.rpartition(".")[0]
    _table[0].executed["\0" + display] = mod
    _student_files.add(display)
    _report_progress(display)
    try:
        with open(entry["path"], "rb") as f:
            source = f.read()
        _remember_source(display, source)
        exec(compile(source, display, "exec", dont_inherit=True), mod.__dict__)
    except BaseException as exc:  # noqa: BLE001
        _record_error(display, exc, mod)
    return mod


def _load_entry(entry: dict[str, Any]) -> types.ModuleType:
    """Load one entry of the submission (a .py file or a notebook); its module (also
    when loading stopped part way: what was defined before stays usable)."""
    import importlib

    display = entry["display"]
    if "cells" in entry:
        mod = _load_cells(entry)
    elif _importable(entry["module"]) and _owner(entry["module"]):
        name = entry["module"]
        mod = _table[0].executed.get(name)
        if mod is None:
            try:
                mod = importlib.import_module(name)
            except BaseException as exc:  # noqa: BLE001 - the loader recorded it where it happened
                if name not in _table[0].executed:  # it never ran: its package's __init__ failed
                    _record_error(display, exc, None)
            mod = _table[0].executed.get(name) or mod or types.ModuleType(name)
    else:
        mod = _load_private(entry)
    return mod


def _unwritten(fn: Any) -> bool:
    """True for a function whose body is still starter code: only ``pass``, a
    docstring or string, names bound to None, constants or its own arguments, and
    a ``return`` of those (CS231n's ``out = None ... pass ... return out, cache``) or
    of names it never assigns, or ``raise NotImplementedError``. Decided from its
    source; False when unknown."""
    import ast

    code = getattr(fn, "__code__", None)
    if code is None:
        return False
    tree = _tree(code.co_filename)
    if tree is None:
        return False
    node = next((n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                 and n.name == fn.__name__ and n.lineno <= code.co_firstlineno <= (n.end_lineno or n.lineno)
                 and (not n.decorator_list or n.lineno == code.co_firstlineno)), None)
    if node is None:
        return False
    body = list(node.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    nothing = set()  # names bound to None
    assigned = {a.arg for a in node.args.args + node.args.kwonlyargs + node.args.posonlyargs}
    assigned |= {a.arg for a in (node.args.vararg, node.args.kwarg) if a is not None}
    placeholder = False
    for stmt in body:
        if isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
            placeholder = True
        elif isinstance(stmt, ast.Raise):
            exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
            if not (isinstance(exc, ast.Name) and exc.id == "NotImplementedError"):
                return False
            placeholder = True
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            value = stmt.value
            if value is None or not _inert(value):
                return False
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            names: list[Any] = [t for tgt in targets
                                for t in (tgt.elts if isinstance(tgt, (ast.Tuple, ast.List)) else [tgt])]
            if not all(isinstance(t, ast.Name) for t in names):
                return False
            values = value.elts if isinstance(value, (ast.Tuple, ast.List)) and len(names) > 1 else [value] * len(names)
            for t, v in zip(names, values, strict=False):
                assigned.add(t.id)
                if isinstance(v, ast.Constant) and v.value is None:
                    nothing.add(t.id)
                else:
                    nothing.discard(t.id)
        elif isinstance(stmt, ast.Return):
            value = stmt.value
            if value is not None and not _inert(value):
                return False
            parts = value.elts if isinstance(value, (ast.Tuple, ast.List)) else [value]
            if value is None or any((isinstance(p, ast.Constant) and p.value is None) or
                                    (isinstance(p, ast.Name) and (p.id in nothing or p.id not in assigned))
                                    for p in parts):
                placeholder = True  # None, or a name never assigned (a NameError)
        else:
            return False
    return placeholder


_trees: dict[str, Any] = {}  # display -> the parsed source (None when it cannot be parsed)


def _tree(display: str) -> Any:
    """The syntax tree of a loaded file or cell, parsed once."""
    import ast

    if display not in _trees:
        source = _sources.get(display)
        try:
            _trees[display] = ast.parse(source) if source is not None else None
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            _trees[display] = None
    return _trees[display]


def _inert(node: Any) -> bool:
    """An expression that computes nothing: constants, names, ``x.shape``, tuples,
    lists and dicts of those."""
    import ast

    if isinstance(node, (ast.Constant, ast.Name)):
        return True
    if isinstance(node, ast.Attribute):
        return isinstance(node.value, ast.Name) and node.attr == "shape"
    if isinstance(node, (ast.Tuple, ast.List)):
        return all(_inert(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is None or _inert(k) for k in node.keys) and all(_inert(v) for v in node.values)
    return False


def _report_progress(where: str) -> None:
    """Tell the parent which module or notebook cell starts loading now, so that a
    load that hangs or crashes is reported with the place it happened."""
    if _progress[0] is not None:
        _progress[0]({"status": "loading", "where": str(where)[: W.MAX_WHERE]})


# function -> not written yet (decided when loaded)
_unwritten_cache: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


def _is_stub(fn: Any) -> bool:
    """A function that is not written yet: it only raises NotImplementedError, or its
    body is still starter code (see :func:`_unwritten`)."""
    try:
        return _unwritten_cache[fn]
    except (KeyError, TypeError):
        pass
    code = getattr(fn, "__code__", None)
    flag = bool(code is not None and "NotImplementedError" in code.co_names and len(code.co_code) < 40) \
        or _unwritten(fn)
    try:
        _unwritten_cache[fn] = flag
    except TypeError:  # not weakly referenceable
        pass
    return flag


def _find_functions(modules: list[tuple[types.ModuleType, str]], wanted: list[str]) -> dict[str, list[Any]]:
    """For every wanted name, the modules that define it, best candidate first."""
    found = {}
    for name in wanted:
        defs = []
        for mod, display in modules:
            obj = mod.__dict__.get(name)
            if callable(obj):
                own = getattr(obj, "__module__", None) == mod.__name__
                defs.append((obj, display, own))
        # Prefer a function defined in the module over one it imported, and a real
        # implementation over a stub left next to it; keep load order otherwise.
        defs.sort(key=lambda d: (not d[2], _is_stub(d[0])))
        seen: list[tuple[Any, str]] = []
        for obj, display, _own in defs:
            if all(obj is not o for o, _ in seen):
                seen.append((obj, display))
        if seen:
            found[name] = seen
    return found


# ------------------------------------------------------------ substituting calls
# While the parent checks a function built on others (an LSTM over the steps of
# lstm_step_forward), it may ask for some of those building blocks to be computed
# by the reference: for that one call, every binding of each listed name in the
# submission's modules is replaced by a proxy that sends the arguments to the
# parent and returns its plain answer. The parent keeps the reference's caches and
# sends tokens in their place, and serves a callback only while a substituting call
# that listed the name is running: a proxy kept and called later gets nothing.
def _trampoline(*args: Any, __rnngrade_block__: Any = None, **kwargs: Any) -> Any:
    return __rnngrade_block__(*args, **kwargs)


def _block_proxy(name: str) -> Callable[..., Any]:
    def block(*args: Any, **kwargs: Any) -> Any:
        if name not in _substituted or _callback[0] is None:
            raise RuntimeError(f"{name} is computed by the grader only while it checks another function")
        if len(args) > W.MAX_SEQUENCE or len(kwargs) > W.MAX_DICT:  # more than the parent accepts
            raise TypeError(f"{name} takes at most {W.MAX_SEQUENCE} arguments here")
        arrays: list[np.ndarray] = []
        header = {"callback": name, "args": {"t": [_encode(a, arrays, 1) for a in args]},
                  "kwargs": {"d": {str(k)[: W.MAX_KEY]: _encode(v, arrays, 1) for k, v in kwargs.items()}}}
        answer, out = _callback[0](header, arrays)
        if answer.get("status") != "ok":
            raise RuntimeError(f"the grader could not compute {name}: {answer.get('message', '')}")
        return _decode(answer.get("value"), out)

    block.__name__ = block.__qualname__ = name
    return block


# The last answer of _student_namespaces and what it was computed from (sys.modules'
# modules, the submission's modules, how many student files were known).
_namespaces_cache: list[Any] = [None, []]


def _student_namespaces() -> list[types.ModuleType]:
    """The submission's modules, and any other module loaded from one of its files.

    Scanning ``sys.modules`` (a thousand modules, numpy's) costs ~0.2 ms per
    substituting call; the answer is kept while the same modules are loaded (the
    same objects in ``sys.modules`` in the same order, the same submission modules,
    no new student file)."""
    loaded = tuple(sys.modules.values())
    # By identity (ids of objects the key keeps alive): an object in sys.modules could
    # define its own ==.
    key = (tuple(map(id, loaded)), tuple(map(id, _student_modules)), len(_student_files), loaded,
           tuple(_student_modules))
    cached_key, cached = _namespaces_cache
    if cached_key is not None and cached_key[:3] == key[:3]:
        return list(cached)
    seen = {id(m) for m in _student_modules}
    mods = list(_student_modules)
    for mod in loaded:
        if id(mod) not in seen and getattr(mod, "__file__", None) in _student_files:
            seen.add(id(mod))
            mods.append(mod)
    _namespaces_cache[:] = [key, mods]
    return list(mods)


@contextlib.contextmanager
def _substituting(names: list[str], target: Any) -> Iterator[None]:
    """Replace the building blocks ``names`` by proxies for one call of ``target``:
    module globals (also names imported into other modules) are rebound, and a
    plain function's code is swapped so that references held elsewhere (a dict of
    activations, a default argument) reach the proxy too. The called function
    itself is never touched. Everything is restored afterwards."""
    undo: list[tuple[Any, ...]] = []
    patched = set()
    namespaces = _student_namespaces()
    try:
        for name in names:
            proxy = _block_proxy(name)
            for mod in namespaces:
                namespace = mod.__dict__
                obj = namespace.get(name)
                if not callable(obj) or obj is target:
                    continue
                undo.append((namespace, name, obj))
                namespace[name] = proxy
                if type(obj) is types.FunctionType and obj.__closure__ is None and id(obj) not in patched:
                    patched.add(id(obj))
                    undo.append((obj, obj.__code__, obj.__defaults__, obj.__kwdefaults__))
                    obj.__code__ = _trampoline.__code__
                    obj.__defaults__ = None
                    obj.__kwdefaults__ = {"__rnngrade_block__": proxy}
            _substituted.add(name)
        yield
    finally:
        _substituted.clear()
        for entry in reversed(undo):
            if len(entry) == 3:
                entry[0][entry[1]] = entry[2]
            else:
                fn, code, defaults, kwdefaults = entry
                fn.__code__, fn.__defaults__, fn.__kwdefaults__ = code, defaults, kwdefaults


def _pipe_callback(header: dict[str, Any], arrays: list[np.ndarray]) -> tuple[dict[str, Any], list[np.ndarray]]:
    _flush()
    _write_frame(header, arrays)
    return _read_frame()


# ----------------------------------------------------------------------- serve
def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


_ERRSTATE = {"all": "warn"}  # numpy's error state during a call, unless the call says otherwise


def _call(fn: Any, call: dict[str, Any], arrays: list[np.ndarray]) -> tuple[dict[str, Any], list[np.ndarray]]:
    args = [_decode(a, arrays) for a in call.get("args", [])]
    kwargs = {k: _decode(v, arrays) for k, v in call.get("kwargs", {}).items()}
    keep = call.get("keep", [])
    start = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            names = call.get("substitute")
            with np.errstate(**call.get("errstate", _ERRSTATE)), \
                    (_substituting(names, fn) if names else contextlib.nullcontext()):
                result = fn(*args, **kwargs)
    except BaseException as exc:  # noqa: BLE001
        if isinstance(exc, KeyboardInterrupt):
            raise
        return {"status": "error", "error": _error_info(exc)}, []
    elapsed = time.perf_counter() - start
    out_arrays: list[np.ndarray] = []
    if keep and isinstance(result, (tuple, list)):
        keep = {k % len(result) for k in keep} if result else set()
        value = {
            "t": [
                _keep(x) if i in keep else _encode(x, out_arrays, 1) for i, x in enumerate(result)
            ]
        }
    else:
        value = _encode(result, out_arrays)
    header = {
        "status": "ok",
        "value": value,
        "seconds": elapsed,
        "warnings": [str(w.message)[: W.MAX_WARNING_CHARS] for w in caught[: W.MAX_WARNINGS]],
    }
    if call.get("return_args"):
        header["args_after"] = [_encode(a, out_arrays, 1) for a in args[: W.MAX_ARGS_AFTER]]
    return header, out_arrays


def _load_submission(header: dict[str, Any]) -> tuple[dict[str, list[Any]], list[dict[str, Any]], dict[str, list[str]]]:
    """Load every module of the submission; (functions by name, load reports, the
    definitions to list per name)."""
    entries = header["modules"]
    _wanted[0] = tuple(header.get("wanted", []))
    _errors.clear()
    _origin.clear()
    _sources.clear()
    _trees.clear()
    _table[0] = _build_table(entries)
    install_finder()
    modules = []
    for entry in entries:
        mod = _load_entry(entry)
        modules.append((mod, entry["display"]))
        if all(mod is not m for m in _student_modules):
            _student_modules.append(mod)
    reports = []
    for entry in entries:
        places = [c["label"] for c in entry["cells"]] if "cells" in entry else [entry["display"]]
        errors = [e for place in places for e in _errors.get(place, [])]
        reports.append({"module": entry["module"], "path": entry["display"], "errors": errors[: W.MAX_MODULE_ERRORS]})
    functions = _find_functions(modules, header.get("wanted", []))
    # Report the graded definition first, then only the other *real* ones: a stub
    # left beside an implementation (a .py stub next to a notebook) is no news.
    listed = {k: [v[0][1]] + [d for o, d in v[1:] if not _is_stub(o)] for k, v in functions.items()}
    return functions, reports, listed


def install_finder() -> None:
    """Put the submission's finder first on ``sys.meta_path`` (once)."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def remove_finder() -> None:
    while _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)


def _serve_call(functions: dict[str, list[Any]], call: dict[str, Any],
                arrays: list[np.ndarray]) -> tuple[dict[str, Any], list[np.ndarray]]:
    """The answer (header, arrays) to one call of a request. Afterwards the handles the
    call lists under "release" are forgotten (the parent will not pass them again)."""
    try:
        cands = functions.get(call["func"])
        if not cands:
            return {"status": "missing"}, []
        fn = cands[0][0]
        try:
            header, out = _call(fn, call, arrays)
        except _HarnessError as exc:
            err: dict[str, Any] | None = {"kind": "harness", "type": "", "message": str(exc), "traceback": ""}
            return {"status": "error", "error": err}, []
        if _is_stub(fn) and (header.get("error") or {}).get("kind") != "not_implemented":
            # Starter code (CS231n's ``pass`` bodies): whatever it returned or raised
            # (None, a NameError on a name it never assigned) says it is not written yet.
            err = header.get("error")
            said = f"{err.get('type')}: {err.get('message')}" if err else "None"
            return {"status": "error", "error": {"kind": "not_implemented", "type": "starter",
                                                 "message": said[: W.MAX_MESSAGE], "traceback": ""}}, []
        return header, out
    finally:
        for hid in call.get("release") or []:
            if type(hid) is int:
                _handles.pop(hid, None)


def _kept(answer: dict[str, Any], ref: list[Any], chain_len: Any) -> dict[str, Any] | None:
    """The handle reference ``ref`` ([call, item]) names in an earlier answer of the
    request, or None: that call did not return normally a tuple (of ``chain_len``
    items) whose item was kept (grader.calls.kept_item, on the wire form)."""
    if answer.get("status") != "ok" or not isinstance(answer.get("value"), dict):
        return None
    items = answer["value"].get("t")
    if not isinstance(items, list) or not items or (chain_len is not None and len(items) != chain_len):
        return None
    k = ref[1]
    if type(k) is not int or not -len(items) <= k < len(items):
        return None
    item = items[k]
    return {"h": item["h"]} if isinstance(item, dict) and "h" in item else None


def _chained(call: dict[str, Any], answers: list[dict[str, Any]]) -> dict[str, Any] | None:
    """``call`` with its references to earlier calls of the request ({"e": [call, item]},
    top-level arguments) replaced by the handles those calls kept; None when one gave
    nothing to use (the call is not made: "skipped")."""
    def resolve(v: Any) -> Any:
        if not (isinstance(v, dict) and "e" in v):
            return v
        ref = v["e"]
        if not isinstance(ref, list) or len(ref) != 2 or type(ref[0]) is not int or not 0 <= ref[0] < len(answers):
            return None
        return _kept(answers[ref[0]], ref, call.get("chain_len"))

    args, kwargs = call.get("args", []), call.get("kwargs", {})
    if not any(isinstance(v, dict) and "e" in v for v in (*args, *kwargs.values())):
        return call
    new_args = [resolve(a) for a in args]
    new_kwargs = {k: resolve(v) for k, v in kwargs.items()}
    for old, new in zip((*args, *kwargs.values()), (*new_args, *new_kwargs.values()), strict=True):
        if isinstance(old, dict) and "e" in old and new is None:
            return None
    return dict(call, args=new_args, kwargs=new_kwargs)


def _pipe_progress(header: dict[str, Any]) -> None:
    _write_frame(header, [])


def main() -> None:
    _callback[0] = _pipe_callback
    _progress[0] = _pipe_progress
    header, _ = _read_frame()
    assert header["op"] == "load"
    _confine(header)
    submission_root = header.get("root")
    if submission_root and submission_root not in sys.path:
        sys.path.append(submission_root)  # appended: the standard library wins
    functions, reports, listed = _load_submission(header)
    _flush()
    _write_frame({"status": "loaded", "modules": reports, "functions": listed}, [])
    # Student code may replace builtins; the harness keeps what it needs.
    _print = builtins.print  # noqa: F841
    while True:
        try:
            request, arrays = _read_frame()
        except EOFError:
            break
        rid = request.get("id")
        if request.get("shared"):
            arrays = _Shared(arrays, request["shared"])
        answers: list[dict[str, Any]] = []
        for call in request["calls"]:
            chained = _chained(call, answers)
            resp, out = _serve_call(functions, chained, arrays) if chained is not None else ({"status": "skipped"}, [])
            answers.append(resp)
            resp["id"] = rid
            _flush()
            _write_frame(resp, out)
    _flush()


if __name__ == "__main__":
    try:
        main()
    except (EOFError, BrokenPipeError):
        pass
    # Skip interpreter shutdown (atexit hooks, __del__ of student objects): nothing
    # after the last answer may run.
    os._exit(0)
