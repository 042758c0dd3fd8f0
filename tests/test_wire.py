"""Both sides of the protocol keep to one set of wire limits (grader/sandbox/wire.py):
whatever a student returns, the child sends only what the parent accepts, so an
awkward answer is a wrong answer, never a protocol violation that kills the child."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np

from grader.sandbox import wire
from grader.sandbox.protocol import Handle
from grader.sandbox.session import Call, Limits, ModuleEntry, Sandbox

FAST = Limits(call_seconds=5.0, total_seconds=30.0, load_seconds=10.0)


def _sandbox(tmp_path: Path, code: str, wanted: list[str], limits: Limits = FAST) -> Sandbox:
    root = tmp_path / "sub"
    root.mkdir(parents=True)
    (root / "probe.py").write_text("import numpy as np\n" + textwrap.dedent(code))
    return Sandbox(root, [ModuleEntry("probe", "probe.py")], wanted, limits)


def _depth(v, d=0) -> int:
    if isinstance(v, (list, tuple)):
        return max([_depth(x, d + 1) for x in v] or [d])
    return d


def test_deep_wide_and_many_array_answers_stay_within_the_wire_limits(tmp_path):
    code = f"""
    def deep():
        v = np.zeros(2)
        for _ in range({wire.MAX_DEPTH + 12}):
            v = [v]
        return v
    def many():
        return [[np.full(1, float(i * 60 + j)) for j in range(60)] for i in range(6)]  # 360 arrays
    def high():
        return np.zeros((1,) * {wire.MAX_NDIM + 1})
    def wide():
        return list(range({wire.MAX_SEQUENCE + 1}))
    def ok():
        return [np.arange(3.0)]
    """
    with _sandbox(tmp_path, code, ["deep", "many", "high", "wide", "ok"]) as sb:
        deep, many, high, wide, ok = sb.call_many([Call("deep"), Call("many"), Call("high"), Call("wide"), Call("ok")])
        assert [o.status for o in (deep, many, high, wide, ok)] == ["ok"] * 5
        assert _depth(deep.value) <= wire.MAX_DEPTH
        innermost = deep.value
        while isinstance(innermost, list):
            innermost = innermost[0]
        assert isinstance(innermost, Handle)  # the rest stayed in the child
        flat = [x for row in many.value for x in row]
        arrays = [x for x in flat if isinstance(x, np.ndarray)]
        assert len(arrays) == wire.MAX_ARRAYS and all(isinstance(x, Handle) for x in flat[wire.MAX_ARRAYS:])
        assert [float(a[0]) for a in arrays] == [float(i) for i in range(wire.MAX_ARRAYS)]
        assert isinstance(high.value, Handle) and isinstance(wide.value, Handle)
        assert np.array_equal(ok.value[0], np.arange(3.0))
        assert sb.restarts == 0


def test_long_texts_are_cut_by_the_child(tmp_path):
    code = """
    import warnings
    def noisy():
        for i in range(20):
            warnings.warn("w" * 1000 + str(i))
        raise ValueError("m" * 5000)
    def named():
        return "s" * 5000
    """
    with _sandbox(tmp_path, code, ["noisy", "named"]) as sb:
        noisy, named = sb.call_many([Call("noisy"), Call("named")])
    assert noisy.status == "error" and len(noisy.error["message"]) == wire.MAX_MESSAGE
    assert named.status == "ok" and len(named.value) == wire.MAX_STRING


def test_descriptor_and_process_limits_come_from_limits(tmp_path):
    code = """
    import os
    def descriptors():
        fds = []
        try:
            for _ in range(200):
                fds.append(os.open(os.devnull, os.O_RDONLY))
        except OSError:
            pass
        for fd in fds:
            os.close(fd)
        return len(fds)
    """
    limits = Limits(call_seconds=5.0, total_seconds=30.0, load_seconds=10.0, open_files=24)
    with _sandbox(tmp_path, code, ["descriptors"], limits) as sb:
        few = sb.call(Call("descriptors"))
    with _sandbox(tmp_path / "b", code, ["descriptors"]) as sb:
        default = sb.call(Call("descriptors"))
    assert few.status == default.status == "ok"
    assert int(few.value) < 24 < int(default.value)
