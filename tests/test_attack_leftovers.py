"""Finding 10 of the attack review: a daemon that keeps changing its pid (fork, parent
exits, again) survived the portable level's sweep, which read /proc once. Now the
child gets a cgroup of its own where cgroup v2 is writable, a child under a uid of its
own is killed by uid, and the sweep repeats until several passes in a row find
nothing, killing each escaped process with its whole group.

Each hopper holds an flock that every process of its chain shares: the lock is free
exactly when no process of the chain is left, so the test asks the kernel instead of
counting pids."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from support import grade_official, write_submission

from grader.sandbox import reaper
from grader.sandbox.isolation import at_level
from grader.sandbox.session import Limits

HOPPER = '''
import fcntl
import os
import time

LOCK = {lock!r}
RESESSION = {resession!r}  # a new session at every hop: no process group to kill


def _hop():
    fd = os.open(LOCK, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # shared by every fork of the chain
    os.write(fd, str(os.getpid()).encode())
    end = time.time() + 8
    while time.time() < end:
        try:
            pid = os.fork()
        except OSError:
            time.sleep(0.001)
            continue
        if pid:
            os._exit(0)
        if RESESSION:
            os.setsid()
    os._exit(0)


if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        _hop()
    os._exit(0)
os.wait()
time.sleep(0.2)  # let the chain start hopping before grading begins


def sigmoid_forward(x):
    raise NotImplementedError
'''


def lock_file() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="rnngrade-hop-"))
    folder.chmod(0o755)
    path = folder / "lock"
    path.write_bytes(b"")
    path.chmod(0o666)  # the child may run under a uid of its own
    return path


def chain_gone(path: Path, seconds: float = 2.0) -> bool:
    """True once no process holds the chain's lock (polled: killed processes take a
    moment to close their files)."""
    deadline = time.monotonic() + seconds
    fd = os.open(path, os.O_RDWR)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return False
                time.sleep(0.02)
    finally:
        os.close(fd)


@pytest.mark.parametrize("means", ["cgroup", "sweep"])
def test_a_hopping_daemon_does_not_outlive_a_portable_grade(tmp_path, monkeypatch, means):
    if means == "cgroup":
        probe = reaper.ChildGroup.create()
        if probe is None:
            pytest.skip("cgroup v2 is not writable here")
        probe.kill()
    else:
        monkeypatch.setattr(reaper.ChildGroup, "create", classmethod(lambda cls: None))
    lock = lock_file()
    try:
        code = HOPPER.format(lock=str(lock), resession=means == "cgroup")
        root = write_submission(tmp_path / "s", {"hop.py": code})
        grade_official(root, "sigmoid", isolation=at_level("portable"), allow_unisolated=True,
                       limits=Limits(total_seconds=20))
        assert lock.read_bytes(), "the hopper never started"
        assert chain_gone(lock), "the hopping daemon outlived the grade"
    finally:
        shutil.rmtree(lock.parent, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="killing by uid needs root")
def test_every_process_of_the_childs_own_uid_is_killed():
    uid = 2_100_000_000 + os.getpid()
    sleepers = [subprocess.Popen(["/bin/sleep", "30"], user=uid, group=uid, start_new_session=True)
                for _ in range(3)]
    try:
        reaper.kill_uid(uid)
        assert [p.wait(timeout=5) for p in sleepers] == [-9, -9, -9]
    finally:
        for p in sleepers:
            if p.poll() is None:
                p.kill()
                p.wait()


def test_the_cgroup_of_a_grader_that_died_is_cleared_by_the_next_one():
    """A batch worker killed outright never removes its child's cgroup: the next grader
    kills what still runs there and removes it."""
    probe = reaper.ChildGroup.create()
    if probe is None:
        pytest.skip("cgroup v2 is not writable here")
    dead = subprocess.Popen(["/bin/true"])
    dead.wait()  # a pid that no process has now
    orphan = probe.path.with_name(f"{reaper._owner_prefix()}{dead.pid}-0000")
    other = probe.path.with_name(f"{reaper.PREFIX}1-{dead.pid}-0000")  # a grader of another pid namespace
    other.mkdir()
    orphan.mkdir()
    sleeper = subprocess.Popen(["/bin/sleep", "30"])
    try:
        assert reaper.ChildGroup(orphan).add(sleeper.pid)
        fresh = reaper.ChildGroup.create()
        assert fresh is not None and not orphan.exists()
        assert other.exists()  # whose pids this grader cannot see: left alone
        assert sleeper.wait(timeout=5) == -9
        fresh.kill()
    finally:
        probe.kill()
        other.rmdir()
        if sleeper.poll() is None:
            sleeper.kill()
            sleeper.wait()
