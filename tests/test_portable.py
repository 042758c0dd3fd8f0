"""The portable sandbox level (no bubblewrap: macOS, Docker, Ubuntu runners) still
contains hangs, exits, floods and memory hogs, and still grades correctly."""

from __future__ import annotations

from support import SOLUTIONS, grade_official, reference_plus, statuses, write_submission

from grader.sandbox.isolation import Isolation
from grader.sandbox.session import Limits

PORTABLE = Isolation("portable", hides_files=False, drops_privileges=False)
FAST = Limits(call_seconds=1.0, total_seconds=30.0, load_seconds=5.0)


def _grade(root, *names):
    return grade_official(root, *names, limits=FAST, isolation=PORTABLE)


def test_reference_full_marks_in_portable_mode():
    result = _grade(SOLUTIONS, "relu", "affine", "net")
    assert result.isolation == "portable"
    assert result.score == result.max_score


def test_hang_flood_and_memory_in_portable_mode(tmp_path):
    root = reference_plus(tmp_path / "sub", """
        import sys
        def tanh_forward(x):
            while True:
                pass
        def relu_forward(x):
            sys.stdout.write("y" * (64 << 20))
            return x, x
        def sigmoid_forward(x):
            return np.ones((20 * 1024**3) // 8)[: x.size].reshape(x.shape), None
    """)
    result = _grade(root, "tanh", "relu", "sigmoid", "affine")
    st = statuses(result)
    assert st["tanh.forward"] == st["relu.forward"] == st["sigmoid.forward"] == "failed"
    assert all(v == "passed" for k, v in st.items() if k.startswith("affine."))


def test_os_exit_at_import_in_portable_mode(tmp_path):
    root = write_submission(tmp_path / "sub", {"layers.py": "import os\nos._exit(3)\n"})
    result = _grade(root, "relu")
    assert result.score == 0 and result.load_status != "loaded"


def test_escaped_daemons_are_swept_in_portable_mode(tmp_path):
    import time

    marker = tmp_path / "daemon-alive"
    root = reference_plus(tmp_path / "sub", f"""
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(1.0)
                open({str(marker)!r}, "w").write("still here")
                os._exit(0)
            os._exit(0)
    """)
    result = _grade(root, "relu")
    assert result.score == result.max_score
    time.sleep(1.5)
    assert not marker.exists()
