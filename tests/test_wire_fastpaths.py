"""The call path's shortcuts (issue 15, round 3) give what the plain code gave.

In process, no sandbox: the child harness's functions imported as a module, and the
parent's decoder on hand-made frames (its limits hold on the fast path too)."""

from __future__ import annotations

import linecache
import sys
import traceback
import types

import numpy as np
import pytest

from grader.sandbox import child
from grader.sandbox.protocol import FrameReader, ProtocolError, decode_value, encode_frame, encode_value

SOURCE = """\
import numpy as np

def inner(n):
    if n == 0:
        raise ValueError("deep " + "x" * 40)
    return inner(n - 1)

def outer(x):
    return np.apply_along_axis(lambda r: inner(3), 0, x)

def recurse(n):
    return recurse(n + 1)

def stub(x):
    raise NotImplementedError
"""


@pytest.fixture()
def student() -> types.ModuleType:
    name = "<student cell 7>"
    mod = types.ModuleType("wire_fastpath_student")
    linecache.cache[name] = (len(SOURCE), None, SOURCE.splitlines(True), name)
    exec(compile(SOURCE, name, "exec"), mod.__dict__)
    child._student_files.add(name)
    try:
        yield mod
    finally:
        child._student_files.discard(name)
        linecache.cache.pop(name, None)


def _plain(exc: BaseException) -> list[traceback.FrameSummary]:
    return [f for f in traceback.extract_tb(exc.__traceback__) if f.filename in child._student_files]


@pytest.mark.parametrize("call", [lambda m: m.outer(np.ones((2, 2))), lambda m: m.recurse(0),
                                  lambda m: m.stub(1), lambda m: int("x")])
def test_student_frames_are_those_of_extract_tb(student: types.ModuleType, call) -> None:
    try:
        call(student)
    except BaseException as exc:  # noqa: BLE001
        fast, plain = child._student_frames(exc.__traceback__), _plain(exc)
        assert [(f.filename, f.lineno, f.name, f.line, f.colno, f.end_colno) for f in fast] == \
            [(f.filename, f.lineno, f.name, f.line, f.colno, f.end_colno) for f in plain]
        assert traceback.format_list(fast) == traceback.format_list(plain)
        text = child._error_info(exc)["traceback"]
        frames = "".join(traceback.format_list(plain))
        assert text.endswith("".join(traceback.format_exception_only(type(exc), exc)))
        assert text == frames + "".join(traceback.format_exception_only(type(exc), exc)) or "  ...\n" in text
    else:  # pragma: no cover
        pytest.fail("no exception")


def test_student_frames_follow_a_traceback_limit(student: types.ModuleType, monkeypatch) -> None:
    """A limit counts every frame, the harness's too: the plain way then, same answer."""
    try:
        student.outer(np.ones((2, 2)))
    except ValueError as exc:
        for limit in (1, 3, -2):
            monkeypatch.setattr(sys, "tracebacklimit", limit, raising=False)
            assert child._student_frames(exc.__traceback__) == _plain(exc)


def test_student_namespaces_follow_sys_modules(student: types.ModuleType) -> None:
    """The cached answer changes as soon as a module loaded from a student file comes or goes."""
    student.__file__ = "<student cell 7>"
    assert student not in child._student_namespaces()
    sys.modules["wire_fastpath_student"] = student
    try:
        assert student in child._student_namespaces()
        assert student in child._student_namespaces()  # from the cache
    finally:
        del sys.modules["wire_fastpath_student"]
    assert student not in child._student_namespaces()


# ------------------------------------------------------------- the parent's fast paths
@pytest.mark.parametrize("value", [{"a": 2}, {"a": -1}, {"a": True}, {"a": 1.0}, {"a": "0"},
                                   {"t": [{"a": 0}] * 65}, {"t": [{"a": 5}]}])
def test_decode_fast_path_keeps_its_bounds(value) -> None:
    with pytest.raises(ProtocolError):
        decode_value(value, [np.zeros(2), np.ones(2)], 1)


def test_decode_fast_path_keeps_the_depth_bound() -> None:
    deep: object = {"a": 0}
    for _ in range(8):
        deep = {"t": [deep]}
    assert decode_value(deep, [np.zeros(1)], 1) is not None  # 8 levels: the limit
    with pytest.raises(ProtocolError):
        decode_value({"t": [deep]}, [np.zeros(1)], 1)


def test_decode_fast_path_gives_the_plain_forms() -> None:
    arrays = [np.zeros(2), np.ones(3)]
    assert decode_value(1.5, arrays, 1) == 1.5 and decode_value(3, arrays, 1) == 3
    out = decode_value({"t": [{"a": 1}, 2.0, {"l": [{"a": 0}]}, {"h": 4, "type": "Cache"}]}, arrays, 1)
    assert type(out) is tuple and out[0] is arrays[1] and out[1] == 2.0 and out[2][0] is arrays[0]
    assert out[3].id == 4 and out[3].generation == 1
    with pytest.raises(ProtocolError):  # two keys: not a form the fast path takes, nor any other
        decode_value({"q": 0, "x": 1}, arrays, 1)


def test_frames_without_copies_carry_the_same_bytes() -> None:
    """copy=False lists the caller's arrays; the frame holds the same bytes as with copies
    (a transposed, a sliced, an empty and a 0-d array, a numpy scalar, a float subclass)."""
    base = np.arange(24.0).reshape(4, 6)
    value = (base.T, base[:, ::2], np.zeros((0, 3)), np.array(2.5), np.float64(1.25), True, None, [base], {"k": base})
    frames = []
    for copy in (True, False):
        arrays: list[np.ndarray] = []
        header = {"v": encode_value(value, arrays, {}, set(), copy)}
        frames.append(encode_frame(header, arrays))
    assert frames[0] == frames[1]
    reader = FrameReader(1 << 20)
    reader.feed(frames[1])
    frame = reader.take()
    got = decode_value(frame.header["v"], frame.arrays, 1)
    assert np.array_equal(got[0], base.T) and np.array_equal(got[1], base[:, ::2]) and got[2].shape == (0, 3)
    assert got[4] == 1.25 and type(got[4]) is float and got[5] is True and got[6] is None
    assert got[7][0] is got[8]["k"]  # one array object, sent once


def test_child_reads_frames_that_arrive_together_or_in_pieces(monkeypatch) -> None:
    """The child's buffered reader: two requests in one write, then one split in bytes."""
    import os
    import threading

    frames = []
    for k in range(3):
        arrays: list[np.ndarray] = []
        frames.append(encode_frame({"id": k, "v": encode_value((np.arange(k + 2.0), np.zeros((0, 2))), arrays)},
                                   arrays))
    r, w = os.pipe()
    monkeypatch.setattr(child, "_REQ_FD", r, raising=False)
    child._inbuf.clear()

    def write() -> None:
        os.write(w, frames[0] + frames[1])
        for i in range(len(frames[2])):
            os.write(w, frames[2][i : i + 1])
        os.close(w)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        for k in range(3):
            header, arrays = child._read_frame()
            assert header["id"] == k and np.array_equal(arrays[0], np.arange(k + 2.0)) and arrays[1].shape == (0, 2)
            arrays[0][0] = 7.0  # writable, its own
        with pytest.raises(EOFError):
            child._read_frame()
    finally:
        writer.join()
        os.close(r)
        child._inbuf.clear()


def test_child_encodes_plain_arrays_as_copies_and_keeps_the_rest() -> None:
    """The child's fast path for a plain ndarray: a C-ordered private copy of the same
    dtype; an object array, one over the dimension limit or past the array limit stays
    behind a handle, as on the general path."""
    base = np.arange(12.0).reshape(3, 4)
    for v in (base, np.asfortranarray(base), base[:, ::2], base.astype(">f4"), np.array(3), np.zeros((0, 2), int)):
        out: list[np.ndarray] = []
        assert child._encode(v, out) == {"a": 0}
        assert out[0].flags.c_contiguous and out[0].dtype == v.dtype and np.array_equal(out[0], v)
        assert not np.shares_memory(out[0], v)
    for v in (np.array([object()]), np.zeros((1,) * 9)):
        out = []
        assert "h" in child._encode(v, out) and out == []
    full = [np.zeros(1)] * 256
    assert "h" in child._encode(base, full) and len(full) == 256


def test_kept_frame_texts_are_those_of_format_list(student: types.ModuleType) -> None:
    """Formatted twice (the second time from the kept texts), and again after the same
    file name got other source: always what traceback.format_list gives."""
    def texts(mod: types.ModuleType) -> tuple[list[str], list[str]]:
        try:
            mod.outer(np.ones((2, 2)))
        except ValueError as exc:
            plain = _plain(exc)
            return child._Summary(child._student_frames(exc.__traceback__)).format(), traceback.format_list(plain)
        raise AssertionError("no exception")

    for _ in range(2):
        kept, plain = texts(student)
        assert kept == plain and any("^" in t for t in plain)  # columns marked: the costly part
    name = "<student cell 7>"
    other = SOURCE.replace('raise ValueError("deep " + "x" * 40)', 'raise ValueError(str(n) + "deep")')
    linecache.cache[name] = (len(other), None, other.splitlines(True), name)
    mod = types.ModuleType("wire_fastpath_other")
    exec(compile(other, name, "exec"), mod.__dict__)
    kept, plain = texts(mod)
    assert kept == plain and any('str(n) + "deep"' in t for t in kept)
