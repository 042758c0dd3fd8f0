"""The speed work's shortcuts decide exactly as the long ways they skip (issue 15)."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from grader.checks import compare as C
from grader.sandbox.protocol import FrameReader, ProtocolError


def _frame(dtype: str, payload: bytes) -> bytes:
    h = json.dumps({"arrays": [{"dtype": dtype, "shape": [1], "nbytes": len(payload)}]}).encode()
    return struct.pack(">I", len(h)) + h + payload


def _read(data: bytes):
    reader = FrameReader(1 << 20)
    reader.feed(data)
    return reader.take()


@pytest.mark.parametrize("refused", ["|O", "|V8", "<M8[s]", "float64"])
def test_dtypes_seen_before_do_not_open_the_door_to_others(refused):
    assert _read(_frame("<f8", b"\0" * 8)).arrays[0].dtype == np.float64  # now remembered as allowed
    assert _read(_frame("<f8", b"\0" * 8)).arrays[0].dtype == np.float64
    with pytest.raises(ProtocolError):
        _read(_frame(refused, b"\0" * 8))


def _long_way(received: np.ndarray, expected: np.ndarray) -> tuple:
    """compare()'s verdict computed the way it was before the finite shortcut."""
    a, e = received.astype(np.float64), expected.astype(np.float64)
    fin_e, fin_a = np.isfinite(e), np.isfinite(a)
    same = (np.isnan(e) == np.isnan(a)) & np.where(np.isinf(e), e == a, ~np.isinf(a))
    with np.errstate(all="ignore"):
        close = np.abs(a - e) <= C.ATOL + C.RTOL * np.abs(e)
    good = np.where(fin_e & fin_a, close, same & ~(fin_e ^ fin_a))
    err = np.where(fin_e & fin_a, C.rel_error(a, e), np.where(good, 0.0, np.inf))
    wrong = ~good
    flat = int(np.argmax(np.where(wrong, err, -1.0))) if wrong.any() else int(np.argmax(err))
    problem = None if not wrong.any() else ("nonfinite" if (~(fin_e & fin_a) & wrong).any() else "values")
    return bool(good.all()), problem, float(err.flat[flat]), flat, int(wrong.sum()), wrong.tolist()


@pytest.mark.parametrize("case", range(40))
def test_compare_gives_what_the_long_way_gives(case):
    rng = np.random.default_rng(case)
    e = rng.standard_normal((3, 4))
    a = e + rng.choice([0.0, 1e-12, 1e-3], size=e.shape) * rng.standard_normal(e.shape)
    if case % 4 == 1:
        a[rng.integers(3), rng.integers(4)] = np.nan
    if case % 4 == 2:
        e[0, 0], a[0, 0] = np.inf, np.inf if case % 8 == 2 else 1.0
    if case % 4 == 3:
        a = e.copy()
    got = C.compare(a, e)
    ok, problem, worst, flat, n_wrong, mask = _long_way(a, e)
    assert (got.ok, got.problem, got.n_wrong) == (ok, problem, n_wrong)
    assert got.worst_rel_error == worst and got.worst_index == np.unravel_index(flat, e.shape)
    assert got.wrong_mask.tolist() == mask
