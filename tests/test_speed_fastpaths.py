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


def test_declared_ranges_read_directly_are_those_importlib_metadata_reads():
    import importlib.metadata

    from grader import versions

    direct = versions._from_dist_info()
    assert direct is not None
    assert direct == versions.Declared(importlib.metadata.metadata("rnngrade")["Requires-Python"],
                                       versions._numpy_spec(importlib.metadata.requires("rnngrade") or []))


def test_declared_ranges_leave_doubtful_cases_to_importlib_metadata(tmp_path, monkeypatch):
    import sys

    from grader import versions

    for where in ("a", "b"):  # two installations on the path: which one wins is importlib's to say
        info = tmp_path / where / "rnngrade-9.9.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: rnngrade\nRequires-Python: >=3.99\n"
                                       "Requires-Dist: numpy>=9\n\nbody\n")
        monkeypatch.setattr(sys, "path", [*sys.path, str(tmp_path / where)])
    assert versions._from_dist_info() is None
    monkeypatch.setattr(sys, "path", [str(tmp_path / "a")])
    assert versions._from_dist_info() == versions.Declared(">=3.99", ">=9")
    (tmp_path / "a" / "rnngrade-9.9.dist-info" / "METADATA").write_text("Name: rnngrade\n\nRequires-Python: >=1\n")
    assert versions._from_dist_info() is None  # a header after the blank line is the body, not a header


def test_init_symmetry_counts_distinct_rows_as_np_unique_does():
    from grader.specs.stability import init_symmetry

    w = np.array([[0.0, 1.0], [-0.0, 1.0], [np.nan, 2.0], [np.nan, 2.0]])
    problems, _ = init_symmetry(w, {"shape": (4, 2)})
    rows = len(np.unique(w, axis=0))
    cols = len(np.unique(w, axis=1))
    assert (rows < 4 or cols < 2) == bool(problems)


def test_the_clipping_experiments_plain_run_is_made_once_and_handed_out_fresh(monkeypatch):
    from grader.experiments import clipping

    clipping._plain_run.cache_clear()
    made = []
    real = clipping.train
    monkeypatch.setattr(clipping, "train", lambda clip=None: made.append(clip) or real(clip))
    first = clipping._plain()
    first[0].append(-1.0)  # a caller's own copy
    second = clipping._plain()
    assert made == [None] and second == real() and len(second[0]) == clipping.STEPS
    clipping._plain_run.cache_clear()
