"""``rnngrade grade`` leaves without the interpreter's teardown once everything is
written (grader/quick_exit.py): the same exit status, every output flushed, every
atexit callback run, no temporary folder and no process left behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from grader import quick_exit

ROOT = Path(__file__).resolve().parents[1]

# Runs the command line as a child and adopts whatever it leaves running (a child
# subreaper): after the command's exit, every process it left is a child of this one.
# Those are given 5 s to end (a sandbox dies with its parent); the ones still there are
# reported. The command's output goes to files, not pipes: a process left holding a
# pipe would otherwise keep the wait for the command going until it ended itself.
ADOPT = r"""
import ctypes, json, os, subprocess, sys, time
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
io = os.environ["ADOPT_IO"]
with open(os.path.join(io, "out"), "w") as out, open(os.path.join(io, "err"), "w") as err:
    rc = subprocess.call(COMMAND + sys.argv[1:], stdout=out, stderr=err, stdin=subprocess.DEVNULL)
def parent_of(p):
    try:  # a process may end between the listing and the read (other tests run beside this one)
        with open(f"/proc/{p}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[1]
    except (OSError, IndexError):
        return None
left, deadline = [], time.monotonic() + 5
while True:
    try:
        pid, _ = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        break  # nothing left
    if pid == 0:
        if time.monotonic() > deadline:
            left = [p for p in os.listdir("/proc") if p.isdigit() and parent_of(p) == str(os.getpid())]
            break
        time.sleep(0.01)
print(json.dumps({"rc": rc, "left": left}))
"""
# The program as a user runs it (grader.entry: a grade's children launched first).
CLI = ADOPT.replace("COMMAND", '[sys.executable, "-m", "grader"]')

RELU = """import numpy as np


def relu_forward(x):
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    return dout * (cache > 0)
"""


def adopt(tmp_path: Path, script: str, *args: str) -> dict:
    tmp, io = tmp_path / "tmp", tmp_path / "io"
    tmp.mkdir()
    io.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp), "NO_COLOR": "1", "ADOPT_IO": str(io)}
    done = subprocess.run([sys.executable, "-c", script, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    out["out"], out["err"] = (io / "out").read_text(), (io / "err").read_text()
    out["tmp"] = sorted(p.name for p in tmp.iterdir())
    return out


def run_cli(tmp_path: Path, *args: str) -> dict:
    return adopt(tmp_path, CLI, *args)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a child subreaper is Linux's")
def test_the_watch_sees_a_process_left_behind(tmp_path):
    """The watch itself: a command that leaves a process running (and holding nothing of
    its output) is caught."""
    script = ADOPT.replace("COMMAND", '["sh", "-c", "sleep 30 </dev/null >/dev/null 2>&1 & echo $!"]').replace(
        "time.monotonic() + 5", "time.monotonic() + 0.2")
    run = adopt(tmp_path, script)
    try:
        assert run["rc"] == 0 and run["left"] == [run["out"].strip()]
    finally:
        os.kill(int(run["out"].strip()), 9)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a child subreaper is Linux's")
def test_a_grade_leaves_with_its_status_its_output_and_nothing_behind(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "act.py").write_text(RELU)
    html = tmp_path / "r.html"
    run = run_cli(tmp_path, "grade", str(folder), "--html", str(html), "--lang", "en")
    assert run["rc"] == 0, run["err"]
    assert run["out"].rstrip().endswith(f"Wrote {html}")  # the last line, flushed
    assert "</html>" in html.read_text(encoding="utf-8")
    assert run["tmp"] == [] and run["left"] == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a child subreaper is Linux's")
def test_nothing_graded_still_exits_1_after_the_quick_way(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    run = run_cli(tmp_path, "grade", str(empty), "--lang", "en")
    assert run["rc"] == 1 and "Nothing was graded" in run["out"]
    assert run["tmp"] == [] and run["left"] == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a child subreaper is Linux's")
def test_children_launched_for_a_grade_the_command_line_refuses_are_stopped(tmp_path):
    """The program launches a grade's children before click parses the arguments
    (grader.entry); arguments click refuses end the program before the grade takes them."""
    run = run_cli(tmp_path, "grade", "--no-such-option")
    assert run["rc"] == 2 and "no-such-option" in run["err"]
    assert run["tmp"] == [] and run["left"] == []


# The program interrupted (Ctrl-C) while it launches a grade's children, before click runs:
# the children are started, then the interrupt arrives.
INTERRUPTED = r"""
import sys
from grader.sandbox import session
def launched(cls, *args, **kwargs):
    raise KeyboardInterrupt
session.Sandbox.launched = classmethod(launched)
sys.argv = ["rnngrade"] + sys.argv[1:]
from grader.entry import main
main()
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a child subreaper is Linux's")
def test_an_interrupt_while_the_children_are_launched_leaves_nothing(tmp_path):
    script = ADOPT.replace("COMMAND", f"[sys.executable, '-c', {INTERRUPTED!r}]")
    run = adopt(tmp_path, script, "grade", "--sample")
    assert run["rc"] == 1 and run["err"].strip() == "Aborted!"  # as click says it, no traceback
    assert run["tmp"] == [] and run["left"] == []


def test_a_finished_grade_run_as_the_program_ignores_a_late_interrupt(tmp_path, monkeypatch):
    """Once everything is written, Ctrl-C could only cut the clean-up short; a test's
    CliRunner (not the program) keeps its interrupts."""
    import signal

    from click.testing import CliRunner

    from grader.cli import main

    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "act.py").write_text(RELU)
    before = signal.getsignal(signal.SIGINT)
    try:
        CliRunner().invoke(main, ["grade", str(folder), "--lang", "en"])
        assert signal.getsignal(signal.SIGINT) is before
        monkeypatch.setattr(quick_exit, "_program", True)
        result = CliRunner().invoke(main, ["grade", str(folder), "--lang", "en"])
        assert result.exit_code == 0, result.output
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)


LEAVE = r"""
import atexit, sys, tempfile
from pathlib import Path
from grader import quick_exit
kept = tempfile.TemporaryDirectory()  # removed by weakref.finalize's atexit callback
Path(kept.name, "f").write_text("x")
atexit.register(lambda: Path(sys.argv[1]).write_text(kept.name))
sys.stdout.write("buffered, no newline")  # a pipe: held in the buffer until flushed
quick_exit.leave("a message for stderr")
"""


def test_leave_runs_the_atexit_callbacks_flushes_and_exits_as_the_interpreter_would(tmp_path):
    marker = tmp_path / "marker"
    done = subprocess.run([sys.executable, "-c", LEAVE, str(marker)], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 1  # a non-integer code: printed, status 1
    assert done.stdout == "buffered, no newline" and done.stderr.strip() == "a message for stderr"
    assert marker.exists() and not Path(marker.read_text()).exists()


def test_status_of_follows_the_interpreter():
    assert quick_exit.status_of(None) == 0 and quick_exit.status_of(0) == 0
    assert quick_exit.status_of(3) == 3 and quick_exit.status_of(-1) == 255 and quick_exit.status_of(True) == 1


def test_a_running_thread_keeps_the_ordinary_exit():
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    worker.start()
    try:
        assert not quick_exit.possible()
    finally:
        stop.set()
        worker.join()
    daemon = threading.Thread(target=stop.wait, daemon=True)  # already set: ends at once
    daemon.start()
    daemon.join()
    assert quick_exit.possible()


def test_a_cli_runner_keeps_the_ordinary_exit(tmp_path, monkeypatch):
    """In a test (``args`` given) the process must go on: the request is made, the
    exit is click's."""
    from click.testing import CliRunner

    from grader.cli import main

    monkeypatch.setattr(quick_exit, "_requested", False)
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(main, ["grade", str(empty), "--lang", "en"])
    assert result.exit_code == 1 and quick_exit.requested()
