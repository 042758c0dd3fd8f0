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


# ------------------------------------------------ substituting calls keep to them too
def test_tokens_and_skeletons_keep_to_the_wire_limits():
    """A token's id and its cache's skeleton cross the wire: the parent refuses an id
    beyond wire.MAX_TOKEN, the block server issues ids within it and skeletons no deeper
    or longer than the child reads, and the child's zeros never exceed MAX_STAND_IN."""
    from grader.calls import Token
    from grader.checks.blocks import BlockServer, skeleton
    from grader.sandbox import child
    from grader.sandbox.protocol import ProtocolError, decode_value

    assert decode_value({"p": "t" * wire.MAX_TOKEN}, [], 1) == Token("t" * wire.MAX_TOKEN)
    for bad in ("t" * (wire.MAX_TOKEN + 1), "", 7):
        try:
            decode_value({"p": bad}, [], 1)
        except ProtocolError:
            continue
        raise AssertionError(f"token id {bad!r} accepted")

    deep = np.zeros(2)
    for _ in range(wire.MAX_SKELETON_DEPTH + 2):
        deep = (deep,)
    level, depth = skeleton(deep), 0
    while isinstance(level, dict) and "t" in level:
        level, depth = level["t"][0], depth + 1
    assert depth == wire.MAX_SKELETON_DEPTH and level is None
    assert skeleton(tuple(range(wire.MAX_SEQUENCE + 1))) is None

    ref = {"f_forward": lambda x: (x * 2, (x, np.ones((3, 4))))}
    _, token = BlockServer(ref).serve("f_forward", (np.ones(2),), {})
    assert 0 < len(token.id) <= wire.MAX_TOKEN

    many = child._Token("t", {"t": [{"z": [2]}] * (wire.MAX_SEQUENCE + 10)})
    assert len(many) == wire.MAX_SEQUENCE
    zeros = child._stand_in({"z": [2, 3]})
    assert zeros.shape == (2, 3) and not zeros.any() and not zeros.flags.writeable
    assert child._stand_in({"z": [wire.MAX_STAND_IN + 1]}) is None


def test_a_block_called_with_more_arguments_than_a_frame_carries_fails_only_that_call(tmp_path):
    """The proxy refuses a callback the parent would have to reject: the student's call
    raises (a wrong answer), the child lives on, and the next call works."""
    from grader.calls import CallStatus
    from grader.checks.blocks import BlockServer

    code = f"""
    def step_forward(x):
        return x + 1.0, None
    def run_forward(x):
        return step_forward(*[x] * {wire.MAX_SEQUENCE + 1})
    def plain(x):
        return x * 3.0
    """
    serve = BlockServer({"step_forward": lambda x: (x + 1.0, None)}).serve
    with _sandbox(tmp_path, code, ["run_forward", "plain"]) as sb:
        many = sb.call_many([Call("run_forward", (np.ones(2),), substitute=("step_forward",))], serve)[0]
        after = sb.call(Call("plain", (np.ones(2),)))
        assert many.status == CallStatus.ERROR and many.error["type"] == "TypeError"
        assert after.ok and np.array_equal(after.value, [3.0, 3.0]) and sb.restarts == 0
