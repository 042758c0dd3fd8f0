"""The fork server ("zygote") that runs *inside* a batch worker's bubblewrap sandbox.

Started once per batch worker as ``python -I -B forkserver.py <control fd>`` (see
:mod:`grader.sandbox.zygote` for the worker's side and docs/security.md for the threat
model). It imports numpy and compiles the child harness once, then for each student
forks a child that gets, before any student code runs, what a child started by its own
bubblewrap gets: new mount, PID, IPC, network, UTS and cgroup namespaces, a fresh
``/tmp``, ``/dev/shm`` and ``/proc``, only that student's submission (read-only) and
work folder, the spool of every other student unmounted, then the ordinary harness
(``child.py`` run as ``__main__``), which applies the limits and confines itself
(confine.py) on its load request exactly as a fresh child does.

It never runs student code, and never holds anything secret: the worker sends it a
folder name and four pipe ends, nothing else. Like child.py it is standalone (the
standard library, numpy, and confine.py loaded from its own folder).

Per student, three processes (bubblewrap's own layout: a reaper as PID 1, the harness
as PID 2):

* **S** (forked by the server): ``unshare(CLONE_NEWPID)``, forks C, reports C's pid,
  exits. (A process can enter a new PID namespace for its children only once, hence S.)
* **C**, PID 1 of the student's PID namespace: new mount/IPC/net/UTS/cgroup namespaces,
  the mounts, then it waits for the load request to arrive on stdin (so the worker can
  move it into the child's cgroup first) and forks D; it then drops every capability
  and only reaps. When C ends, the kernel kills every process left in the namespace.
* **D**, PID 2: the harness, as ``python child.pyc <resp fd>`` would run it.

Control protocol (a SOCK_SEQPACKET socket): the worker sends a JSON request
``{"sub": name, "work": name}`` with four descriptors (the child's stdin, stdout,
stderr and response pipe ends); the server answers ``{"ok": true, "pid": n}`` with a
pidfd of C, or ``{"ok": false, "error": text}``. An empty message or end of file
stops the server.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import marshal
import os
import re
import select
import signal
import socket
import struct
import sys
import types
from typing import Any

SPOOL = "/rnngrade/spool"
SUBMISSION = "/rnngrade/submission"
WORKDIR = "/rnngrade/work"
SETUP_SECONDS = 10.0

_CLONE_NEWNS, _CLONE_NEWCGROUP, _CLONE_NEWUTS = 0x00020000, 0x02000000, 0x04000000
_CLONE_NEWIPC, _CLONE_NEWPID, _CLONE_NEWNET = 0x08000000, 0x20000000, 0x40000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 32, 4096, 16384, 1 << 18
_MNT_DETACH = 2
_PR_SET_CHILD_SUBREAPER, _PR_SET_NO_NEW_PRIVS = 36, 38
_PROC_READ_ONLY = ("sys", "sysrq-trigger", "irq", "bus")  # as bubblewrap's --proc covers them

_libc = ctypes.CDLL(None, use_errno=True)
_HERE = os.path.dirname(os.path.abspath(__file__))
_SUFFIX = ".pyc" if __file__.endswith(".pyc") else ".py"


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _bytes(text: str | None) -> bytes | None:
    return text.encode() if text is not None else None


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(_libc.mount(_bytes(source), _bytes(target), _bytes(fstype), ctypes.c_ulong(flags), _bytes(data)),
           f"mount {target}")


def _sibling(name: str) -> types.ModuleType:
    import importlib.util

    spec: Any = importlib.util.spec_from_file_location("_rnngrade_" + name, os.path.join(_HERE, name + _SUFFIX))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _harness_code() -> tuple[str, types.CodeType]:
    """The harness's code object, compiled or read once (what ``python child.pyc`` runs)."""
    path = os.path.join(_HERE, "child" + _SUFFIX)
    with open(path, "rb") as f:
        data = f.read()
    if _SUFFIX == ".pyc":
        return path, marshal.loads(data[16:])
    return path, compile(data, path, "exec", dont_inherit=True)


def _warm() -> None:
    """Import once what every child imports (child.py's own imports)."""
    import builtins  # noqa: F401
    import contextlib  # noqa: F401
    import importlib.util  # noqa: F401
    import math  # noqa: F401
    import resource  # noqa: F401
    import time  # noqa: F401
    import traceback  # noqa: F401
    import warnings  # noqa: F401
    import weakref  # noqa: F401
    from collections.abc import Callable, Iterator  # noqa: F401

    import numpy  # noqa: F401


def _name(value: Any) -> str:
    """A folder name in the spool, as sent by the worker: one plain path component."""
    if not isinstance(value, str) or not value or "/" in value or value in (".", "..") or "\0" in value:
        raise ValueError("bad spool name")
    return value


# ---------------------------------------------------------------- the child (C, D)
def _mounts_under_tmp() -> list[tuple[str, int]]:
    """The read-only binds bubblewrap made under ``/tmp`` (the interpreter's and numpy's
    folders, where the installation lives in the temp folder, e.g. a checkout cloned
    there with its virtualenv), each opened (``O_PATH``) before a fresh ``/tmp`` covers
    them, parents first. Without them the child would miss every module not imported
    yet (numpy's lazily loaded ``numpy.random``, say)."""
    points = []
    with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            fields = line.split()
            point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[4])
            if point.startswith("/tmp/"):
                points.append(point)
    return [(point, os.open(point, os.O_PATH | os.O_CLOEXEC)) for point in points]


def _bind_again(kept: list[tuple[str, int]]) -> None:
    """The binds of :func:`_mounts_under_tmp` on the fresh ``/tmp``, read-only as before."""
    for point, fd in kept:
        source = f"/proc/self/fd/{fd}"
        if os.path.isdir(source):
            os.makedirs(point, mode=0o755, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(point), mode=0o755, exist_ok=True)
            with open(point, "a", encoding="utf-8"):
                pass
        _mount(source, point, None, _MS_BIND)
        _mount(None, point, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)
        os.close(fd)


def _namespaces_and_mounts(sub: str, work: str) -> None:
    """In C, PID 1 of its new PID namespace: the rest of the namespaces and its file system."""
    _check(_libc.unshare(_CLONE_NEWNS | _CLONE_NEWIPC | _CLONE_NEWNET | _CLONE_NEWUTS), "unshare")
    _libc.unshare(_CLONE_NEWCGROUP)  # as bubblewrap's --unshare-cgroup-try: where the kernel has it
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE)  # nothing of this child's mounts leaves it
    kept = _mounts_under_tmp()
    _mount("tmpfs", "/tmp", "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=0755")
    _bind_again(kept)
    if os.path.isdir("/dev/shm"):
        _mount("tmpfs", "/dev/shm", "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=0755")
    # /proc of this child's own PID namespace, never the server's.
    _check(_libc.umount2(b"/proc", _MNT_DETACH), "umount /proc")
    _mount("proc", "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)
    for part in _PROC_READ_ONLY:
        path = f"/proc/{part}"
        if os.path.exists(path):
            _mount(path, path, None, _MS_BIND | _MS_REC)
            _mount(None, path, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)
    # Only this student's folders, then the spool goes (its binds stay).
    _mount(f"{SPOOL}/{sub}", SUBMISSION, None, _MS_BIND | _MS_REC)
    _mount(None, SUBMISSION, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)
    _mount(f"{SPOOL}/{work}", WORKDIR, None, _MS_BIND | _MS_REC)
    _mount(None, WORKDIR, None, _MS_REMOUNT | _MS_BIND | _MS_NOSUID | _MS_NODEV)
    _check(_libc.umount2(SPOOL.encode(), _MNT_DETACH), "umount the spool")
    if os.listdir(SPOOL):
        raise OSError("the spool is still visible")
    os.chdir(WORKDIR)


def _place(fds: list[int], status_fd: int) -> int:
    """Put the child's pipes on 0-3 and the status pipe on 4; close everything else."""
    moved = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in [*fds, status_fd]]  # above every target first
    for target, fd in enumerate(moved):
        os.dup2(fd, target, inheritable=target < 4)
    os.closerange(5, os.sysconf("SC_OPEN_MAX") if os.sysconf("SC_OPEN_MAX") > 0 else 4096)
    return 4


def _run_child(request: dict[str, Any], fds: list[int], status_w: int, harness: tuple[str, types.CodeType],
               confine: types.ModuleType) -> None:
    """C: never returns."""
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        status = _place(fds, status_w)
        try:
            os.setsid()
            _namespaces_and_mounts(_name(request.get("sub")), _name(request.get("work")))
        except Exception as exc:  # noqa: BLE001 - reported to the server, then to the worker
            os.write(status, b"F" + str(exc)[:200].encode("utf-8", "replace"))
            os._exit(1)
        os.write(status, b"K")
        os.close(status)
        # The worker moves C into the child's cgroup before it sends the load request:
        # D, forked only once that request is there, starts inside it.
        poller = select.poll()
        poller.register(0, select.POLLIN)
        poller.poll()
        pid = os.fork()
        if pid == 0:
            _run_harness(harness)
        for fd in range(4):
            os.close(fd)
        confine.drop_root(confine._libc(), None, clear_only=True)
        confine._prctl(confine._libc(), _PR_SET_NO_NEW_PRIVS, 1)
        while True:  # the reaper: every orphan of the namespace comes here
            try:
                done, status_code = os.waitpid(-1, 0)
            except ChildProcessError:
                break
            if done == pid:
                code = os.waitstatus_to_exitcode(status_code)
                code = 128 - code if code < 0 else code
                break
    except BaseException:  # noqa: BLE001 - C must never return into the server's loop
        pass
    os._exit(code)


def _run_harness(harness: tuple[str, types.CodeType]) -> None:
    """D: run the harness as ``python -I -B child.pyc 3`` would."""
    try:
        os.setsid()
        path, code = harness
        if "numpy.random" in sys.modules:  # a fresh child's numpy draws its own seed
            sys.modules["numpy.random"].seed()
        main = types.ModuleType("__main__")
        main.__file__ = path
        main.__builtins__ = __builtins__  # type: ignore[attr-defined]
        main.__cached__ = None  # type: ignore[attr-defined]  # as python sets them for a script
        sys.modules["__main__"] = main
        sys.argv[:] = [path, "3"]
        exec(code, main.__dict__)  # noqa: S102 - the grader's own harness; it ends with os._exit
    finally:
        os._exit(1)


# ---------------------------------------------------------------------- the server
def _fork(request: dict[str, Any], fds: list[int], harness: tuple[str, types.CodeType],
          confine: types.ModuleType) -> tuple[int, int]:
    """Fork one student's child; returns (pid of C here, pidfd of C)."""
    r, w = os.pipe()
    s = os.fork()
    if s == 0:  # S
        try:
            os.close(r)
            _check(_libc.unshare(_CLONE_NEWPID), "unshare pid")
            c = os.fork()
            if c == 0:
                _run_child(request, fds, w, harness, confine)
            os.write(w, struct.pack("<q", c))
        finally:
            os._exit(0)
    os.close(w)
    data, late = b"", False
    try:
        while True:
            ready, _, _ = select.select([r], [], [], SETUP_SECONDS)
            if not ready:
                late = True
                break
            chunk = os.read(r, 512)
            if not chunk:
                break
            data += chunk
    finally:
        os.close(r)
        os.waitpid(s, 0)
    if len(data) < 8:
        raise OSError("the child was not forked")
    (c,) = struct.unpack("<q", data[:8])
    pidfd = os.pidfd_open(c)  # C is our child now (we are a subreaper), not yet reaped
    status = data[8:]
    if status != b"K" or late:
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        os.close(pidfd)
        why = "it did not finish in time" if late else status[1:].decode("utf-8", "replace")
        raise OSError(f"the child's setup failed: {why}")
    return c, pidfd


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def serve(control: socket.socket) -> None:
    harness = _harness_code()
    confine = _sibling("confine")
    _warm()
    _libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    control.send(json.dumps({"ready": True}).encode())
    while True:
        _reap()
        try:
            message, fds, _, _ = socket.recv_fds(control, 4096, 8)
        except OSError:
            return
        if not message:
            for fd in fds:
                os.close(fd)
            return
        pidfd = -1
        try:
            if len(fds) != 4:
                raise ValueError("four descriptors expected")
            request = json.loads(message)
            pid, pidfd = _fork(request, fds, harness, confine)
            reply: dict[str, Any] = {"ok": True, "pid": pid}
        except Exception as exc:  # noqa: BLE001 - one failed fork is the worker's to judge
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
        finally:
            for fd in fds:
                os.close(fd)
        try:
            socket.send_fds(control, [json.dumps(reply).encode()], [pidfd] if pidfd >= 0 else [])
        except OSError:
            return
        finally:
            if pidfd >= 0:
                os.close(pidfd)


if __name__ == "__main__":
    try:
        serve(socket.socket(fileno=int(sys.argv[1])))
    finally:
        os._exit(0)
