"""A batch worker's fork server ("zygote"): each student's sandboxed child forked warm.

Starting a child from nothing (bubblewrap, the interpreter, numpy, the harness) costs
~80 ms of CPU per student. A batch worker instead starts, once, one bubblewrap sandbox
running :mod:`grader.sandbox.forkserver`, which imports numpy and the harness and then
forks each student's child from that ready state, giving it namespaces, mounts and
(through the ordinary harness) the confinement of a fresh child: the threat model is
in docs/security.md ("The batch fork server").

The server is started by ``python -I -B`` inside its own bubblewrap, never forked from
the worker: the worker holds the reference solutions and hidden inputs, the server
holds nothing but the harness and an empty spool. The worker's side:

* :class:`Zygote`: the server process, its control socket and the spool (a private
  folder, bound into the server only), where each student's submission and work
  folders are made; :meth:`Zygote.spawn` asks for one child and returns a
  :class:`ForkedChild`, the Popen-like handle :class:`~grader.sandbox.session.Sandbox`
  uses (a pidfd: the child's pid is in the server's PID namespace);
* :func:`grader.sandbox.prelaunch.forked`: in a batch worker that has a server
  (:func:`start`), a sandbox whose child is forked, its ``root`` an empty folder of
  the spool for the caller to fill (as :func:`~grader.sandbox.prelaunch.prelaunch` does
  for a fresh child); None otherwise.

Anything unexpected (the server gone, a refused or late answer) closes the server and
the child is started the ordinary way; the next student gets a new server (at most
:data:`MAX_FAILURES` in a row, then the worker keeps the ordinary path). Only at the
bubblewrap level and as root (the forked children must be able to leave root as a
fresh child does); ``RNNGRADE_ZYGOTE=0`` turns it off.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO, Any

from . import isolation as iso
from . import reaper
from .harness import harness

READY_SECONDS = 30.0  # for the server's imports, on a loaded machine
ANSWER_SECONDS = 15.0  # for one fork (the server's own setup deadline is 10 s)
MAX_FAILURES = 3  # servers that failed in a row before a worker stops starting them
_OFF = ("0", "no", "off", "false")


SPOOL_PREFIX = "rnngrade-spool-"  # rnngrade-spool-<pid namespace>-<worker pid>-<random>, in the temp folder


class ZygoteError(RuntimeError):
    """The fork server could not start or could not fork a child."""


def wanted() -> bool:
    """Should a batch worker use a fork server here? (bubblewrap, root, Linux with
    pidfds, not turned off by ``RNNGRADE_ZYGOTE=0``)."""
    if os.environ.get("RNNGRADE_ZYGOTE", "").strip().lower() in _OFF:
        return False
    if not sys.platform.startswith("linux") or os.geteuid() != 0 or not hasattr(os, "pidfd_open"):
        return False
    try:
        return iso.probe().level == "bubblewrap"
    except RuntimeError:
        return False


class ForkedChild:
    """A child the server forked, as :class:`subprocess.Popen` is used by the sandbox:
    ``pid`` (in this process's PID namespace; -1 if it could not be read), the three
    standard streams, :meth:`kill`, :meth:`wait`, :meth:`poll`. The child is PID 1 of
    its own PID namespace: killing it ends every process it made."""

    def __init__(self, pidfd: int, stdin: IO[bytes], stdout: IO[bytes], stderr: IO[bytes]) -> None:
        self.pidfd = pidfd
        self.pid = _pid_of(pidfd)
        self.stdin, self.stdout, self.stderr = stdin, stdout, stderr
        self.returncode: int | None = None

    def kill(self) -> None:
        if self.pidfd >= 0:
            with contextlib.suppress(ProcessLookupError, OSError):
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)

    def poll(self) -> int | None:
        if self.returncode is None and self.pidfd >= 0:
            ready, _, _ = select.select([self.pidfd], [], [], 0)
            if ready:
                self._ended()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        if self.returncode is None and self.pidfd >= 0:
            ready, _, _ = select.select([self.pidfd], [], [], timeout)
            if not ready:
                raise subprocess.TimeoutExpired("forked child", timeout or 0)
            self._ended()
        return self.returncode

    def _ended(self) -> None:
        self.returncode = -signal.SIGKILL  # its status belongs to the server, which reaps it
        os.close(self.pidfd)
        self.pidfd = -1


def _pid_of(pidfd: int) -> int:
    """The pid a pidfd refers to, as this process sees it (/proc's fdinfo)."""
    try:
        with open(f"/proc/self/fdinfo/{pidfd}", encoding="ascii") as f:
            for line in f:
                if line.startswith("Pid:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return -1


class Zygote:
    """One fork server and its spool (see the module docstring)."""

    def __init__(self) -> None:
        _clear_orphans()
        self.spool = Path(tempfile.mkdtemp(prefix=f"{SPOOL_PREFIX}{reaper.namespace_id()}-{os.getpid()}-"))
        os.chmod(self.spool, 0o700)
        self.forks = 0
        self._ready = False
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._sock = ours
        script = harness()
        try:
            self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(
                iso.zygote_command(script, self.spool, theirs.fileno()),
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                pass_fds=(theirs.fileno(),), env=iso.child_environment(None), cwd="/",
                start_new_session=True, close_fds=True,
            )
        except OSError as exc:
            ours.close()
            shutil.rmtree(self.spool, ignore_errors=True)
            raise ZygoteError(f"the fork server could not be started: {exc}") from exc
        finally:
            theirs.close()
        reaper.KEPT.add(self._proc.pid)  # not a child's leftover for the sweep to kill

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def holds(self, folder: Path) -> bool:
        """Is ``folder`` a folder of this server's spool (where a forked child can bind it)?"""
        return Path(folder).parent == self.spool and self.alive

    def folder(self, prefix: str, mode: int) -> Path:
        """A new empty folder in the spool."""
        path = Path(tempfile.mkdtemp(prefix=prefix, dir=self.spool))
        os.chmod(path, mode)
        return path

    def _wait_ready(self) -> None:
        if self._ready:
            return
        message = self._receive(READY_SECONDS)[0]
        if json.loads(message or b"{}").get("ready") is not True:
            raise ZygoteError("the fork server did not start")
        self._ready = True

    def _receive(self, seconds: float) -> tuple[bytes, list[int]]:
        ready, _, _ = select.select([self._sock], [], [], seconds)
        if not ready:
            raise ZygoteError("the fork server did not answer in time")
        message, fds, _, _ = socket.recv_fds(self._sock, 4096, 2)
        return message, fds

    def spawn(self, submission: Path, workdir: Path, resp_w: int) -> ForkedChild:
        """Fork a child for ``submission`` (read-only) and ``workdir``, both folders of
        the spool, answering on ``resp_w``. Raises :class:`ZygoteError` (and closes the
        server: when in doubt, a new one) if anything goes wrong."""
        ends: list[int] = []
        mine: list[int] = []
        try:
            if not self.alive:
                raise ZygoteError("the fork server is not running")
            if submission.parent != self.spool or workdir.parent != self.spool:
                raise ZygoteError("the folders are not in the spool")
            self._wait_ready()
            in_r, in_w = os.pipe()
            out_r, out_w = os.pipe()
            err_r, err_w = os.pipe()
            ends, mine = [in_r, out_w, err_w], [in_w, out_r, err_r]
            request = json.dumps({"sub": submission.name, "work": workdir.name}).encode()
            socket.send_fds(self._sock, [request], [in_r, out_w, err_w, resp_w])
            message, fds = self._receive(ANSWER_SECONDS)
            answer = json.loads(message or b"{}")
            if answer.get("ok") is not True or len(fds) != 1:
                for fd in fds:
                    os.close(fd)
                raise ZygoteError(f"the fork server could not fork: {str(answer.get('error'))[:300]}")
            child = ForkedChild(fds[0], os.fdopen(in_w, "wb", buffering=0), os.fdopen(out_r, "rb", buffering=0),
                                os.fdopen(err_r, "rb", buffering=0))
            mine = []
            self.forks += 1
            return child
        except (OSError, ValueError) as exc:
            self.close()
            raise ZygoteError(f"the fork server failed: {type(exc).__name__}: {exc}") from exc
        except ZygoteError:
            self.close()
            raise
        finally:
            for fd in ends + mine:
                with contextlib.suppress(OSError):
                    os.close(fd)

    def close(self, remove: bool = False) -> None:
        """Stop the server (every child it forked ends with it). The spool stays while
        it holds folders (a sandbox may go on with an ordinary child on the same
        folders) unless ``remove``."""
        proc, self._proc = self._proc, None
        if proc is not None:
            with contextlib.suppress(OSError):
                self._sock.send(b"")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            proc.wait()
            reaper.KEPT.discard(proc.pid)
        self._sock.close()
        if remove:
            shutil.rmtree(self.spool, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                self.spool.rmdir()


def _clear_orphans() -> None:
    """Remove the spools of workers that died without removing them (killed outright):
    only those of this PID namespace whose worker is gone (another container's grader
    may share the temp folder)."""
    for entry in reaper.orphans(Path(tempfile.gettempdir()), f"{SPOOL_PREFIX}{reaper.namespace_id()}-"):
        shutil.rmtree(entry, ignore_errors=True)


# ------------------------------------------------------------- a batch worker's server
# This process's server, how many failed in a row, the spools of those replaced.
_current: dict[str, Any] = {"pid": None, "zygote": None, "failures": 0, "spools": []}


def start() -> None:
    """Start this process's fork server now, if it should have one (:func:`wanted`):
    it imports numpy while the worker waits for its first student."""
    if not wanted():
        return
    _current.update(pid=os.getpid(), zygote=None, failures=0, spools=[])
    _renew()


def _renew() -> Zygote | None:
    if _current["pid"] != os.getpid() or _current["failures"] >= MAX_FAILURES:
        return None
    zygote = _current["zygote"]
    if zygote is not None and zygote.alive:
        return zygote
    if zygote is not None:
        zygote.close()
        _current["spools"].append(zygote.spool)
        _current["failures"] += 1
        _current["zygote"] = None
        if _current["failures"] >= MAX_FAILURES:
            return None
    try:
        _current["zygote"] = Zygote()
    except (ZygoteError, OSError):  # a temp folder or socket that cannot be made: no server
        _current["failures"] += 1
        return None
    return _current["zygote"]


def current() -> Zygote | None:
    """This process's fork server (a new one if the last one ended), or None."""
    return _renew()


def succeeded() -> None:
    """A child was forked: the count of failed servers in a row starts again."""
    _current["failures"] = 0


def stop() -> None:
    """Stop this process's fork server (a batch worker, when it ends)."""
    zygote = _current["zygote"]
    if _current["pid"] == os.getpid():
        if zygote is not None:
            zygote.close(remove=True)
        for spool in _current["spools"]:
            shutil.rmtree(spool, ignore_errors=True)
    _current.update(pid=None, zygote=None, spools=[])

