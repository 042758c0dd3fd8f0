"""The Landlock level (no bubblewrap, but a kernel with Landlock: Docker's default
seccomp profile, Ubuntu >= 23.10 CI runners): the child confines itself before any
student code runs."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest
from support import SOLUTIONS, grade_official, reference_plus, statuses

from grader.sandbox.isolation import at_level, landlock_abi
from grader.sandbox.session import Limits

pytestmark = pytest.mark.skipif(landlock_abi() < 1, reason="this kernel has no Landlock (Linux >= 5.13 with "
                                "Landlock enabled); the bubblewrap and portable levels are tested elsewhere")

LANDLOCK = at_level("landlock")
FAST = Limits(call_seconds=2.0, total_seconds=30.0, load_seconds=5.0)


def _grade(root, *names):
    return grade_official(root, *names, limits=FAST, isolation=LANDLOCK, allow_unisolated=True)


def _with(tmp_path: Path, code: str) -> Path:
    return reference_plus(tmp_path / "sub", code)


def test_reference_full_marks_under_landlock():
    result = _grade(SOLUTIONS, "relu", "affine", "lstm_step")
    assert result.isolation == "landlock"
    assert result.score == result.max_score


def test_files_outside_the_submission_are_invisible(tmp_path):
    secret = str(SOLUTIONS / "layers.py")
    outside = tmp_path / "written-from-the-sandbox"
    attack = f"""
    def _readable(path):
        try:
            open(path).read()
            return True
        except OSError:
            return False
    def relu_forward(x):
        out = np.maximum(0.0, x)
        return (out if _readable({secret!r}) else out + 1.0), x
    def tanh_forward(x):
        out = np.tanh(x)
        return (out if _readable("/etc/passwd") else out + 1.0), out  # the control: allowed
    def sigmoid_forward(x):
        out = 1 / (1 + np.exp(-x))
        try:
            open({str(outside)!r}, "w").write("x")
            wrote = True
        except OSError:
            wrote = False
        return (out if wrote else out + 1.0), out
    """
    result = _grade(_with(tmp_path, attack), "relu", "tanh", "sigmoid")
    st = statuses(result)
    assert st["tanh.forward"] == "passed"
    assert st["relu.forward"] == "failed"
    assert st["sigmoid.forward"] == "failed"
    assert not outside.exists()


@pytest.mark.skipif(landlock_abi() < 4, reason="Landlock ABI < 4 cannot restrict TCP")
def test_no_tcp_connections(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    port = server.getsockname()[1]
    try:
        attack = f"""
        import socket
        def relu_forward(x):
            try:
                socket.create_connection(("127.0.0.1", {port}), timeout=0.5).close()
                reached = True
            except OSError:
                reached = False
            out = np.maximum(0.0, x)
            return (out if reached else out + 1.0), x
        """
        result = _grade(_with(tmp_path, attack), "relu")
    finally:
        server.close()
    assert statuses(result)["relu.forward"] == "failed"


@pytest.mark.skipif(landlock_abi() < 6, reason="Landlock ABI < 6 cannot scope signals")
def test_cannot_signal_processes_outside_the_sandbox(tmp_path):
    bystander = subprocess.Popen(["sleep", "30"])
    try:
        attack = f"""
        import os, signal
        def relu_forward(x):
            try:
                os.kill({bystander.pid}, signal.SIGKILL)
            except OSError:
                pass
            return np.maximum(0.0, x), x
        """
        _grade(_with(tmp_path, attack), "relu")
        assert bystander.poll() is None, "the submission killed a process outside its sandbox"
    finally:
        bystander.kill()
        bystander.wait()
