"""Starting a sandboxed child process: its work folder, its pipes, its command line, its
cgroup. No request is sent (:class:`~grader.sandbox.session.Sandbox` does that).

Apart from the session, and importing nothing heavy (no numpy, nothing of the grader
beyond the sandbox's process helpers), so that a command can start its children within
a few milliseconds of its own start (:mod:`grader.sandbox.prelaunch`), before it
imports numpy and the grading code.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import isolation as iso
from . import reaper
from .harness import harness

if TYPE_CHECKING:  # the fork server's client, imported where a batch worker has one
    from .zygote import ForkedChild, Zygote

PIPE_BYTES = 1 << 20  # capacity asked for each pipe to the child (Linux's default is 64 KB)


def set_subreaper() -> None:
    """Orphaned grandchildren of ours get re-parented to us so we can sweep them."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
            libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 0: children cannot read our memory
        except OSError:
            pass


def widen(fd: int) -> None:
    """Ask for a larger pipe (F_SETPIPE_SZ): fewer wake-ups of both sides per large
    frame. Where the system refuses (a lower pipe-max-size), the pipe stays as it was."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_BYTES)
    except (OSError, ImportError):
        pass


def expected() -> iso.Isolation:
    """The level :func:`~grader.sandbox.isolation.probe` will find, known at once: where
    bubblewrap is installed and not turned off, its level, its check (can it make its
    namespaces here?) started but not waited for (``probe`` collects it, and finds the
    level it really is); elsewhere ``probe``'s. For a command's first children
    (grader.sandbox.prelaunch), used only where they run at the level ``probe`` gives."""
    forced = os.environ.get("RNNGRADE_ISOLATION", "").strip().lower()
    if (iso.bubblewrap_status.cache_info().currsize == 0 and not iso.PENDING and forced not in ("portable", "landlock")
            and sys.platform.startswith("linux") and shutil.which("bwrap")):
        try:
            iso.PENDING.append(iso.start_bubblewrap_check())
        except OSError:
            return iso.probe()
        return iso.at_level("bubblewrap")
    return iso.probe()


@dataclass
class Started:
    """A child process just started: ``proc`` (a :class:`subprocess.Popen`, or the fork
    server's :class:`~grader.sandbox.zygote.ForkedChild`), the read end of its answer
    pipe ``resp_r`` (its request pipe is ``proc.stdin``), its work folder, its cgroup
    (None where there is none) and whether the fork server made it."""

    proc: subprocess.Popen[bytes] | ForkedChild
    resp_r: int
    workdir: str
    group: reaper.ChildGroup | None
    forked: bool


def start_child(root: Path, isolation: iso.Isolation, zygote: Zygote | None = None) -> Started:
    """A child on the submission folder ``root`` at ``isolation``'s level (forked by
    ``zygote`` where it holds ``root``), waiting for its first request."""
    set_subreaper()
    workdir = tempfile.mkdtemp(prefix="rnngrade-work-")
    try:
        os.chmod(workdir, 0o777)
        resp_r, resp_w = os.pipe()
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    widen(resp_r)  # an answer of megabytes (the experiments' weights) in 16 reads, not 256
    bwrap = isolation.level == "bubblewrap"
    proc: subprocess.Popen[bytes] | ForkedChild | None = None
    try:
        if bwrap and zygote is not None and zygote.holds(root):
            proc, workdir = _fork(zygote, root, workdir, resp_w)
        forked = proc is not None
        if proc is None:
            script = harness()  # compiled once, not at every start
            if bwrap:
                cmd = iso.bubblewrap_command(script, root, Path(workdir), resp_w)
            else:
                cmd = [sys.executable, "-I", "-B", str(script), str(resp_w)]
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=(resp_w,),
                cwd=workdir,
                env=iso.child_environment(None if bwrap else workdir),
                start_new_session=True,
                close_fds=True,
            )
    except BaseException:
        os.close(resp_r)
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    finally:
        os.close(resp_w)
    group = None
    try:
        assert proc.stdin is not None  # stdin is a pipe (PIPE above, or the server's)
        widen(proc.stdin.fileno())
        # Everything the child will fork stays in a cgroup of its own (it runs no student
        # code before its load request), so a hopping daemon cannot outlive it.
        group = reaper.ChildGroup.create()
        if group is not None and not group.add(proc.pid):
            group.kill()
            group = None
    except BaseException:  # an interrupt (Ctrl-C) here: the child stopped, nothing left behind
        proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=2)  # never blocks the interrupt for long
        if group is not None:
            group.kill()
        os.close(resp_r)
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    return Started(proc, resp_r, workdir, group, forked)


def _fork(zygote: Zygote, root: Path, workdir: str, resp_w: int) -> tuple[ForkedChild | None, str]:
    """The child forked by the fork server (grader.sandbox.zygote), its work folder
    moved into the spool; None without a server, or where it failed (the child is
    then started the ordinary way, the folders being ordinary folders too)."""
    from .zygote import ZygoteError

    try:
        moved = zygote.folder("work-", 0o777)
    except OSError:
        return None, workdir
    shutil.rmtree(workdir, ignore_errors=True)
    try:
        return zygote.spawn(root, moved, resp_w), str(moved)
    except ZygoteError:
        return None, str(moved)
