"""A traceback always shows where the student's own code went wrong (review
follow-up): the frames of the student's files, with their paths and lines, survive
the cap however long the exception's message (an assert that prints an array)."""

from __future__ import annotations

from support import grade_official, write_submission

from grader.sandbox.session import Limits

FAST = Limits(call_seconds=2.0, total_seconds=30.0, load_seconds=10.0)


def test_a_long_message_keeps_the_students_frames(tmp_path):
    root = write_submission(tmp_path / "sub", {
        "hw/__init__.py": "",
        "hw/checks.py": "def check(x):\n    assert x.shape == (1,), 'bad input: ' + repr(x.tolist()) * 200\n",
        "hw/layers.py": "import numpy as np\nfrom hw.checks import check\n\n\ndef relu_forward(x):\n"
                        "    check(x)\n    return np.maximum(0, x), x\n",
    })
    result = grade_official(root, "relu", limits=FAST)
    forward = next(c for c in result.checks if c.id == "relu.forward")
    tb = forward.details["traceback"]
    assert 'File "hw/layers.py", line 6, in relu_forward' in tb  # the call in the student's function
    assert 'File "hw/checks.py", line 2, in check' in tb  # ... and the line that raised
    assert "AssertionError: bad input" in tb and len(tb) <= 4000
