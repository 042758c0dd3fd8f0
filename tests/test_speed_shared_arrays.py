"""An array the calls of one request share is sent once (issue 15: a numerical
gradient's calls share every input but the one they move), and yet every call, and
every use within a call, gets its own copy in the child, as when each was sent alone."""

from __future__ import annotations

import numpy as np
import pytest

from grader.calls import Call
from grader.sandbox import protocol
from grader.sandbox.session import Sandbox
from grader.submission import prepare

SOURCE = """
import numpy as np

def bump(x, y=None):
    x += 1.0                      # mutates what it was given
    return float(x.sum()), (None if y is None else float(y.sum()))
"""


@pytest.fixture()
def box(tmp_path):
    (tmp_path / "m.py").write_text(SOURCE)
    prepared = prepare(tmp_path / "m.py")
    sandbox = Sandbox(prepared.root, prepared.modules, ["bump"])
    assert sandbox.start().ok
    yield sandbox
    sandbox.close()
    prepared.cleanup()


def test_each_call_gets_its_own_copy_of_a_shared_array(box):
    x = np.zeros(3)
    out = box.call_many([Call("bump", (x,)), Call("bump", (x,)), Call("bump", (x, x))])
    assert [o.value for o in out] == [(3.0, None), (3.0, None), (3.0, 0.0)]
    assert not x.any()  # the parent's own array untouched


def test_a_shared_array_travels_once():
    x, y = np.zeros(4), np.ones(4)
    arrays: list[np.ndarray] = []
    shared: dict[int, int] = {}
    reused: set[int] = set()
    wire = [protocol.encode_value(v, arrays, shared, reused) for v in ((x, y), (x + 1, y), [y, {"k": y}])]
    assert len(arrays) == 3 and reused == {1}
    assert wire[2] == {"l": [{"a": 1}, {"d": {"k": {"a": 1}}}]}
    plain: list[np.ndarray] = []
    protocol.encode_value([y, y], plain)
    assert len(plain) == 2  # without ``shared``: one array per use, as before
