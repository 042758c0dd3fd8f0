"""Mistake 31 (float32) is named only for results that agree with the reference to
float32's precision but not to float64's: a constant 0.5 is exactly a float32 number,
but it is a wrong answer, not a rounding one (tryout finding 3)."""

from __future__ import annotations

import numpy as np
import pytest
from support import grade_fast, mutant

from grader.checks.precision import low_precision
from grader.i18n import render

CONSTANT = {"layers.py": [("    out = np.empty_like(x, dtype=np.float64)\n    pos = x >= 0\n",
                           "    return np.full_like(x, 0.5), np.full_like(x, 0.5)\n    pos = x >= 0\n")]}


def test_a_constant_output_is_not_float32(tmp_path):
    result = grade_fast(mutant(tmp_path / "m", CONSTANT), "sigmoid")
    assert not any("31" in c.mistakes for c in result.checks)
    for c in result.checks:
        for m in c.messages:
            text = render(m, "en")
            assert "float32" not in text and "7th digit" not in text, (c.id, text)
    assert any(c.status == "failed" for c in result.checks if c.func == "sigmoid_forward")


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_low_precision_needs_agreement_with_the_reference(dtype):
    rng = np.random.default_rng(0)
    want = rng.standard_normal((4, 5))
    rounded = want.astype(dtype)
    assert low_precision(rounded, want) == np.dtype(dtype).name
    if dtype is np.float32:  # computed in float32, converted back: still found
        assert low_precision(rounded.astype(np.float64), want) == "float32"
    wrong = np.full_like(want, 0.5)
    assert low_precision(wrong, want) is None  # float32 numbers, but far off
    assert low_precision(wrong.astype(dtype), want) is None  # a float32 dtype, but far off
    assert low_precision([rounded], [want]) == np.dtype(dtype).name
    assert low_precision([wrong.astype(dtype)], [want]) is None
