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
