"""Hostile and broken submissions: no unearned point, and grading always finishes
with a report. Each submission is the reference with one attack added, so any
point it loses or gains is due to the attack."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest
from support import (
    SOLUTIONS,
    ProcessWatch,
    daemon_token,
    grade_official,
    mutant,
    reference_plus,
    statuses,
    write_submission,
)

from grader.i18n import render
from grader.report.html import render_html
from grader.results.gradescope import to_gradescope
from grader.sandbox.isolation import probe
from grader.sandbox.session import Limits

FAST = Limits(call_seconds=1.0, total_seconds=30.0, load_seconds=5.0)


def _messages(result, lang="en") -> str:
    return "\n".join(render(m, lang) for c in result.checks for m in c.messages)


def _assert_reportable(result) -> None:
    """A result that can always be turned into results.json and HTML."""
    data = to_gradescope(result, "en")
    json.dumps(data)
    assert "<html" in render_html(result, "zh")


def _with_attack(tmp_path: Path, attack: str) -> Path:
    return reference_plus(tmp_path / "sub", attack)


def test_endless_loop_costs_only_that_function(tmp_path):
    root = mutant(tmp_path / "sub", {"layers.py": [
        ('def tanh_forward(x):\n', 'def tanh_forward(x):\n    while True:\n        pass\n')]})
    result = grade_official(root, "tanh", "relu", "affine", limits=FAST)
    st = statuses(result)
    tanh_fwd = [k for k in st if k.startswith("tanh.")]
    assert all(st[k] == "failed" for k in tanh_fwd)
    assert all(v == "passed" for k, v in st.items() if not k.startswith("tanh."))
    assert "did not finish within the time limit" in _messages(result)
    _assert_reportable(result)


@pytest.mark.parametrize("attack", ["import sys\nsys.exit(0)\n", "import os\nos._exit(0)\n"])
def test_exit_at_import_earns_nothing(tmp_path, attack):
    root = write_submission(tmp_path / "sub", {"layers.py": attack + (SOLUTIONS / "layers.py").read_text()})
    result = grade_official(root, "sigmoid", "affine", limits=FAST)
    assert result.score == 0
    assert result.checks and all(c.status == "failed" for c in result.checks)
    _assert_reportable(result)


def test_sys_exit_after_definitions_is_reported(tmp_path):
    root = _with_attack(tmp_path, "import sys\nsys.exit(0)\n")
    result = grade_official(root, "sigmoid", limits=FAST)
    # Everything was defined before the exit, so the functions still grade; the
    # report says what happened.
    assert any(e["kind"] == "exit" for e in result.load_errors)
    assert result.score == result.max_score


def test_monkeypatched_numpy_cannot_fool_the_parent(tmp_path):
    attack = """
    import numpy as np
    np.allclose = lambda *a, **k: True
    np.testing.assert_allclose = lambda *a, **k: None
    np.array_equal = lambda *a, **k: True
    np.isclose = lambda *a, **k: True
    def affine_forward(x, w, b):
        return np.zeros((x.shape[0], w.shape[1])), None
    """
    result = grade_official(_with_attack(tmp_path, attack), "affine", limits=FAST)
    st = statuses(result)
    assert st["affine.forward"] == "failed" and st["affine.forward_4d"] == "failed"


def test_lying_return_values_are_just_numbers(tmp_path):
    attack = """
    import numpy as np
    class Liar(np.ndarray):
        def __eq__(self, other): return True
        def __array__(self, *a, **k): return np.zeros(1)
        def __array_ufunc__(self, *a, **k): return True
        def __sub__(self, other): return np.zeros(self.shape)
        def __abs__(self): return np.zeros(self.shape)
    class Fake:
        shape = (4, 5)
        dtype = np.float64
        def __eq__(self, other): return True
        def __array__(self, *a, **k): raise RuntimeError("boom")
        def __float__(self): return 0.0
    def sigmoid_forward(x):
        return np.zeros(x.shape).view(Liar), None
    def tanh_forward(x):
        return Fake(), None
    """
    result = grade_official(_with_attack(tmp_path, attack), "sigmoid", "tanh", limits=FAST)
    st = statuses(result)
    assert st["sigmoid.forward"] == "failed"
    assert st["tanh.forward"] == "failed"
    _assert_reportable(result)


def test_nan_outputs_fail(tmp_path):
    attack = """
    import numpy as np
    def relu_forward(x):
        return np.full(x.shape, np.nan), x
    def affine_backward(dout, cache):
        x, w = cache
        nan = np.full_like
        return nan(x, np.nan), nan(w, np.nan), np.full(w.shape[1], np.nan)
    """
    result = grade_official(_with_attack(tmp_path, attack), "relu", "affine", limits=FAST)
    st = statuses(result)
    assert st["relu.forward"] == "failed"
    assert st["affine.grad.dw"] == "failed" and st["affine.grad.dw.reference"] == "failed"
    assert "NaN" in _messages(result)


def test_syntax_error_gives_a_clear_message(tmp_path):
    root = write_submission(tmp_path / "sub", {"layers.py": "def relu_forward(x)\n    return x\n"})
    result = grade_official(root, "relu", limits=FAST)
    assert result.score == 0
    text = "\n".join(render(m, "en") for m in __import__("grader.results.text", fromlist=["x"]).load_messages(result))
    assert "line 1: syntax error" in text
    assert "relu_forward was not loaded: layers.py stopped loading at line 1 (a syntax error)" in _messages(result)
    _assert_reportable(result)


def test_corrupt_notebook_is_reported_and_other_files_still_graded(tmp_path):
    root = mutant(tmp_path / "sub", {})
    (root / "broken.ipynb").write_text('{"cells": [ this is not json')
    result = grade_official(root, "relu", limits=FAST)
    assert result.score == result.max_score
    assert any(n.key == "submission.bad_notebook" for n in result.notices)
    _assert_reportable(result)


def test_huge_output_is_capped(tmp_path):
    attack = """
    import sys
    _chunk = "x" * (1 << 20)
    def relu_forward(x):
        for _ in range(100):
            sys.stdout.write(_chunk)
        import numpy as np
        return np.maximum(0.0, x), x
    """
    result = grade_official(_with_attack(tmp_path, attack), "relu", "sigmoid", limits=FAST)
    st = statuses(result)
    assert st["relu.forward"] == "failed"
    assert "printed too much output" in _messages(result)
    assert all(len(c.output) < 20_000 for c in result.checks)
    assert st["sigmoid.forward"] == "passed"  # the child was restarted for the rest


def test_huge_allocation_fails_only_that_function(tmp_path):
    attack = """
    import numpy as np
    def sigmoid_forward(x):
        big = np.ones((20 * 1024**3) // 8)
        return big[: x.size].reshape(x.shape), None
    """
    result = grade_official(_with_attack(tmp_path, attack), "sigmoid", "relu", limits=FAST)
    st = statuses(result)
    assert st["sigmoid.forward"] == "failed"
    assert "out of memory" in _messages(result)
    assert all(v == "passed" for k, v in st.items() if k.startswith("relu."))


def test_atexit_and_threads_cannot_change_results(tmp_path):
    attack = """
    import atexit, threading, time, os, json
    def _forge():
        for name in ("results.json", "/tmp/results.json"):
            try:
                with open(name, "w") as f:
                    json.dump({"score": 1000}, f)
            except OSError:
                pass
    atexit.register(_forge)
    threading.Thread(target=lambda: (time.sleep(0.05), _forge()), daemon=True).start()
    def relu_forward(x):
        return x, x
    """
    result = grade_official(_with_attack(tmp_path, attack), "relu", limits=FAST)
    assert statuses(result)["relu.forward"] == "failed"
    assert result.score < result.max_score


def test_forged_answer_frames_are_rejected(tmp_path):
    attack = """
    import os, struct, json
    def relu_forward(x):
        # Write a malformed frame straight onto the answer pipe.
        header = json.dumps({"status": "ok", "arrays": [{"dtype": "|O", "shape": [1], "nbytes": 8}]}).encode()
        for fd in range(3, 20):
            try:
                os.write(fd, struct.pack(">I", len(header)) + header + b"\\0" * 8)
            except OSError:
                pass
        return x, x
    """
    result = grade_official(_with_attack(tmp_path, attack), "relu", "sigmoid", limits=FAST)
    st = statuses(result)
    assert st["relu.forward"] == "failed"
    assert st["sigmoid.forward"] == "passed"


@pytest.mark.skipif(probe().level != "bubblewrap", reason="only the bubblewrap sandbox hides files; "
                    "install Debian's bubblewrap to run this test")
def test_child_cannot_read_solutions_or_the_grader(tmp_path):
    secret = str(SOLUTIONS / "layers.py")
    grader_file = str(Path(__file__).resolve().parents[1] / "grader" / "api.py")
    attack = f"""
    import numpy as np
    def _readable(path):
        try:
            open(path).read()
            return True
        except OSError:
            return False
    # Each function answers correctly only if it could read the file: a pass would
    # mean the file is visible. /etc/passwd is the control that must be visible.
    def relu_forward(x):
        out = np.maximum(0.0, x)
        return (out if _readable({secret!r}) else out + 1.0), x
    def tanh_forward(x):
        out = np.tanh(x)
        return (out if _readable({grader_file!r}) else out + 1.0), out
    def sigmoid_forward(x):
        out = 1 / (1 + np.exp(-x))
        return (out if _readable("/etc/passwd") else out + 1.0), out
    """
    result = grade_official(_with_attack(tmp_path, attack), "relu", "tanh", "sigmoid", limits=FAST)
    st = statuses(result)
    assert st["sigmoid.forward"] == "passed"  # the control
    assert st["relu.forward"] == "failed"
    assert st["tanh.forward"] == "failed"


@pytest.mark.skipif(probe().level != "bubblewrap", reason="network isolation needs bubblewrap")
def test_child_has_no_network(tmp_path):
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    port = server.getsockname()[1]
    try:
        control = socket.create_connection(("127.0.0.1", port), timeout=1)  # reachable from here
        control.close()
        attack = f"""
        import socket
        import numpy as np
        def relu_forward(x):
            # Correct only when the grader's listening socket can be reached.
            try:
                socket.create_connection(("127.0.0.1", {port}), timeout=0.5).close()
                reached = True
            except OSError:
                reached = False
            out = np.maximum(0.0, x)
            return (out if reached else out + 1.0), x
        """
        result = grade_official(_with_attack(tmp_path, attack), "relu", limits=FAST)
    finally:
        server.close()
    assert statuses(result)["relu.forward"] == "failed"


def test_escaped_daemons_are_killed(tmp_path):
    # The daemon leaves the child's session and becomes `sleep <token>`: seen running
    # while the grade runs, and gone (killed and reaped) the moment the grade returns.
    token = daemon_token()
    attack = f"""
    import os, time
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            try:
                os.execv("/bin/sleep", ["sleep", {token!r}])
            finally:
                os._exit(0)
        os._exit(0)
    time.sleep(0.2)  # the daemon is running before loading ends
    """
    with ProcessWatch(token) as watch:
        result = grade_official(_with_attack(tmp_path, attack), "relu", limits=FAST)
        assert watch.seen, "the daemon never ran: this test would prove nothing"
        assert watch.alive() == []
    assert result.score == result.max_score


def test_one_submission_cannot_affect_the_next(tmp_path):
    attack = """
    import os
    for path in ("/tmp/sitecustomize.py", os.path.expanduser("~/.local/lib/python3.11/site-packages/usercustomize.py")):
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            open(path, "w").write("import builtins; builtins.HACKED = True\\n")
        except OSError:
            pass
    """
    grade_official(_with_attack(tmp_path, attack), "relu", limits=FAST)
    probe_sub = write_submission(tmp_path / "probe", {"layers.py": textwrap.dedent("""
        import builtins, numpy as np
        def relu_forward(x):
            return np.maximum(0.0, x) + (1.0 if getattr(builtins, "HACKED", False) else 0.0), x
        def relu_backward(dout, cache):
            return np.where(cache > 0, dout, 0.0)
    """)})
    result = grade_official(probe_sub, "relu", limits=FAST)
    assert result.score == result.max_score


def test_missing_functions_fail_only_their_checks(tmp_path):
    text = (SOLUTIONS / "layers.py").read_text()
    text = text.replace("def tanh_forward(", "def tanh_forward_renamed(")
    root = write_submission(tmp_path / "sub", {"layers.py": text})
    result = grade_official(root, "tanh", "relu", limits=FAST)
    st = statuses(result)
    assert st["tanh.forward"] == "failed"
    assert all(v == "passed" for k, v in st.items() if k.startswith("relu."))
    assert "tanh_forward was not found" in _messages(result)


def test_wrong_shapes_are_strict(tmp_path):
    root = mutant(tmp_path / "sub", {"layers.py": [("    db = dout.sum(axis=0)\n",
                                                     "    db = dout.sum(axis=0, keepdims=True)\n")]})
    result = grade_official(root, "affine", limits=FAST)
    st = statuses(result)
    assert st["affine.grad.db"] == "failed" and st["affine.grad.db.reference"] == "failed"
    assert "25" in {m for c in result.checks for m in c.mistakes}
    assert st["affine.grad.dw"] == "passed"


def test_input_arrays_never_come_back_changed_from_a_previous_call(tmp_path):
    # A student that mutates its input cannot corrupt the parent's copy: the value
    # check's expected value is computed on the parent's own inputs.
    root = mutant(tmp_path / "sub", {"layers.py": [("    return np.maximum(0.0, x), x\n",
                                                     "    x[x < 0] = 0.0\n    return x, x\n")]})
    result = grade_official(root, "relu", limits=FAST)
    st = statuses(result)
    assert st["relu.forward"] == "passed"
    assert np.isfinite(result.score)
