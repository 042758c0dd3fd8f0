"""Stopping a class batch (issue 11, item 9): SIGTERM leaves no worker or sandbox
process behind, Ctrl-C stops promptly and says that a re-run resumes, and the re-run
does resume. These run ``rnngrade batch`` as a real process and signal it, as a
scheduler or a terminal would (a few seconds each: they wait for real grading)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import SOLUTIONS

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process tree from /proc")

FAST = "def relu_forward(x):\n    return x, None\n"
SLOW = "import time\ntime.sleep(60)\n" + FAST  # import takes longer than the test waits


def _batch(folder: Path, out: Path, **popen) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "grader.cli", "batch", str(folder), "--solutions", str(SOLUTIONS),
           "--out", str(out), "-j", "2", "--lang", "en"]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, **popen)


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    fields = f.read().decode(errors="replace").rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                tree.setdefault(int(fields[1]), []).append(int(entry))
    return tree


def _descendants(pid: int) -> set[int]:
    tree, found, todo = _children(), set(), [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().decode(errors="replace").rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def _class(tmp_path: Path, students: dict[str, str]) -> Path:
    folder = tmp_path / "class"
    folder.mkdir(exist_ok=True)
    for name, code in students.items():
        (folder / f"{name}.py").write_text(code)
    return folder


def _graded(out: Path) -> int:
    try:
        db = sqlite3.connect(out / "gradebook.sqlite")
        try:
            return db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def test_sigterm_stops_the_batch_and_leaves_no_process_behind(tmp_path):
    folder = _class(tmp_path, {f"s{i}": SLOW for i in range(4)})
    proc = _batch(folder, tmp_path / "out")
    try:
        # Two workers, each with the sandbox child of the student it grades.
        assert _wait_for(lambda: len(_descendants(proc.pid)) >= 4, 30), "the workers never got busy"
        spawned = _descendants(proc.pid)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "Run the same command again to resume" in err
    assert _wait_for(lambda: not any(_alive(p) for p in spawned), 10), \
        f"left behind: {[p for p in spawned if _alive(p)]}"


def test_ctrl_c_stops_promptly_says_how_to_resume_and_the_rerun_resumes(tmp_path):
    folder = _class(tmp_path, {"a1": FAST, "a2": FAST, "z1": SLOW, "z2": SLOW})
    out = tmp_path / "out"
    proc = _batch(folder, out, start_new_session=True)
    try:
        assert _wait_for(lambda: _graded(out) == 2 and len(_descendants(proc.pid)) >= 4, 60), "no progress"
        spawned = _descendants(proc.pid)
        start = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: the whole foreground group
        _, err = proc.communicate(timeout=20)
        stopped_in = time.monotonic() - start
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 128 + signal.SIGINT, err
    assert stopped_in < 8, f"took {stopped_in:.1f} s to stop"
    assert "Stopped by SIGINT" in err and "Run the same command again to resume" in err
    assert "Aborted!" not in err and "Traceback" not in err
    assert _wait_for(lambda: not any(_alive(p) for p in spawned), 10)
    # The re-run skips what was graded and grades the rest.
    _class(tmp_path, {"z1": FAST, "z2": FAST})
    again = _batch(folder, out)
    stdout, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert "2 graded, 2 unchanged (skipped)" in stdout
