"""The reference's results kept per grade for the same draw (grader.checks.memo.recalled):
only the very same inputs share a result, each caller gets its own copy, and a grade
gives what computing every time gives."""

from __future__ import annotations

import numpy as np
import pytest
from support import grade_fast, mutant

from grader.checks import memo

A = np.arange(6.0).reshape(2, 3)


@pytest.mark.parametrize("a, b", [
    (A, A.astype(np.float32)), (A, A.reshape(3, 2)), (A, A + 1e-300 * 0 + np.eye(2, 3) * 1e-12),
    (np.zeros(2), np.array([0.0, -0.0])), (0.0, -0.0), (1, True), (1, 1.0), ([A], (A,)),
    ({"x": A, "y": 1}, {"y": 1, "x": A}), ({"x": A}, {"x": A, "y": 1}), ([1, 2], [1, 2, 3]), ("a", "b"),
    (np.random.default_rng(0), np.random.default_rng(0)), (np.float64(1.0), 1.0), (None, 0),
])
def test_different_values_are_never_the_same(a, b):
    assert not memo.same(a, b)
    assert memo.digest(a) != memo.digest(b) or isinstance(a, np.random.Generator)


@pytest.mark.parametrize("a", [A, {"x": A, "n": 3, "s": "relu", "f": 0.5, "none": None},
                               [A, (A.T, np.float32(2.0))], np.array([np.nan, 1.0]), 1e-300, "x"])
def test_equal_values_are_the_same(a):
    import copy

    b = copy.deepcopy(a)
    assert memo.same(a, b)
    assert memo.digest(a) == memo.digest(b)


def test_recalled_computes_once_per_draw_and_hands_out_copies():
    kept: dict = {}
    asked = []

    def compute():
        asked.append(1)
        return {"out": np.ones(3)}

    first = memo.recalled(kept, ("value", "c"), {"x": A.copy()}, compute)
    first["out"][:] = 7.0  # a check working in place on what it got
    again = memo.recalled(kept, ("value", "c"), {"x": A.copy()}, compute)
    assert len(asked) == 1 and again["out"].tolist() == [1.0, 1.0, 1.0]
    memo.recalled(kept, ("value", "c"), {"x": A + 1.0}, compute)  # another draw under the same key
    memo.recalled(kept, ("value", "d"), {"x": A.copy()}, compute)  # another key
    assert len(asked) == 3


def test_inputs_changed_after_being_kept_only_miss():
    kept: dict = {}
    x = A.copy()
    memo.recalled(kept, ("k",), {"x": x}, lambda: 1)
    x[0, 0] = 99.0  # the caller's array changed in place after the value was computed
    assert memo.recalled(kept, ("k",), {"x": A.copy()}, lambda: 2) == 2  # the same draw again: computed
    assert memo.recalled(kept, ("k",), {"x": A.copy()}, lambda: 3) == 2  # and kept from then on


def _plain(result):
    return [er.to_dict() for er in result.exercises]


@pytest.mark.parametrize("which", ["broken blocks", "mutant"])
def test_a_grade_is_the_same_when_the_reference_is_asked_every_time(monkeypatch, tmp_path, which):
    # Broken blocks (lstm_step_forward and relu_forward wrong, their composites right):
    # composites run with broken blocks, with the reference's, explained, and in the second
    # pass (the stubs of exercises/, once used here, no longer ask the reference anything:
    # their calls fail first); a mutant: an LSTM whose step and sequence are both wrong.
    edits = {"rnn_layers.py": [("next_c = f * prev_c + i * g", "next_c = f * prev_c - i * g")]}
    if which == "broken blocks":
        edits["layers.py"] = [("return np.maximum(0.0, x), x", "return np.maximum(0.0, x) + 0.5, x")]
    else:
        edits["rnn_layers.py"].append(("h[:, t] = prev_h", "h[:, t] = prev_c"))
    sub = mutant(tmp_path / "m", edits)
    names = ("lstm_step", "lstm", "affine", "relu", "residual")
    asked = []
    real = memo.recalled

    def counted(kept, key, inputs, compute):
        return real(kept, key, inputs, lambda: asked.append(key) or compute())

    monkeypatch.setattr(memo, "recalled", counted)
    for module in ("grader.checks.kinds", "grader.checks.gradient"):
        monkeypatch.setattr(f"{module}.recalled", counted)
    short = _plain(grade_fast(sub, *names))
    n_short = len(asked)
    asked.clear()
    every_time = (lambda kept, key, inputs, compute: asked.append(key) or compute())
    for module in ("grader.checks.kinds", "grader.checks.gradient"):
        monkeypatch.setattr(f"{module}.recalled", every_time)
    long = _plain(grade_fast(sub, *names))
    assert short == long
    assert n_short < len(asked)
