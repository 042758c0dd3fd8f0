"""What is left of a child when it ends: every process it started, found and killed.

Killing the child's process group is not enough: a daemon that double-forks and calls
``setsid`` leaves the group, and one that keeps forking and exiting (a *hopper*: the
attack review's finding 10) changes its pid faster than a single look at ``/proc``
can catch it. Three means, from the strongest, all used where available:

1. **A cgroup** (:class:`ChildGroup`, cgroup v2): the child is moved into a cgroup of
   its own before it runs any student code; everything it forks stays there, however
   it changes pid, session or group, and ``cgroup.kill`` kills all of it at once (or,
   on kernels before 5.14, the cgroup is frozen and its processes killed). A grader
   killed outright (a batch worker) leaves its child's cgroup behind: the next grader
   of the same PID namespace kills what runs there and removes it.
2. **Its uid** (:func:`kill_uid`): where the child runs under a uid of its own (root
   grader, a uid dropped to ``SANDBOX_UID_BASE`` + the grader's pid), a process of that
   uid sends SIGKILL to every process of that uid.
3. **The sweep** (:func:`sweep_escaped`): the grader is the subreaper of its children,
   so orphans come back to it; ``/proc`` is read again and again until several
   consecutive passes find nothing, each found process killed with its whole group.

Bubblewrap adds a PID namespace that dies with the child (``--die-with-parent``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

PREFIX = "rnngrade-"  # a child's cgroup: rnngrade-<pid namespace>-<grader pid>-<random>
QUIET_PASSES = 3  # consecutive passes that find nothing before the sweep ends
SWEEP_SECONDS = 2.0  # and at most this long
CGROUP_WAIT = 2.0  # seconds to wait for a killed cgroup to empty


# ------------------------------------------------------------------ 1. cgroup v2
def _cgroup2_root() -> Path | None:
    """The mount point of the cgroup v2 hierarchy (None if there is none)."""
    try:
        with open("/proc/self/mountinfo", encoding="utf-8") as f:
            for line in f:
                fields = line.split()
                if " - cgroup2 " in line and len(fields) > 4:
                    return Path(fields[4])
    except OSError:
        return None
    return None


def _own_cgroup() -> str | None:
    """This process's cgroup in the v2 hierarchy ("0::/path")."""
    try:
        with open("/proc/self/cgroup", encoding="utf-8") as f:
            for line in f:
                if line.startswith("0::"):
                    return line[3:].strip()
    except OSError:
        return None
    return None


class ChildGroup:
    """A cgroup of its own for one child and everything it forks."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def create(cls) -> ChildGroup | None:
        """A new cgroup below this process's own, or None where cgroup v2 is not there
        or not writable (then the uid and the sweep do the work)."""
        root, own = _cgroup2_root(), _own_cgroup()
        if root is None or own is None:
            return None
        parent = root / own.lstrip("/")
        path = parent / f"{_owner_prefix()}{os.getpid()}-{os.urandom(4).hex()}"
        try:
            path.mkdir()
        except OSError:
            return None
        _clear_orphans(parent)
        return cls(path)

    def add(self, pid: int) -> bool:
        """Move ``pid`` into the group (before it runs student code)."""
        try:
            (self.path / "cgroup.procs").write_text(f"{pid}\n")
            return True
        except OSError:
            return False

    def pids(self) -> list[int]:
        try:
            return [int(p) for p in (self.path / "cgroup.procs").read_text().split()]
        except (OSError, ValueError):
            return []

    def signal(self) -> bool:
        """SIGKILL to every process in the group at once (``cgroup.kill``, Linux 5.14),
        not waiting for them to end; False where the kernel has no ``cgroup.kill``."""
        try:
            (self.path / "cgroup.kill").write_text("1\n")
            return True
        except OSError:
            return False

    def kill(self) -> bool:
        """Kill every process in the group, then remove it; True when it was found empty
        (every process it held has ended) within :data:`CGROUP_WAIT` seconds."""
        deadline = time.monotonic() + CGROUP_WAIT
        if not self.signal():  # before Linux 5.14: freeze, kill each, thaw
            with contextlib.suppress(OSError):
                (self.path / "cgroup.freeze").write_text("1\n")
            for pid in self.pids():
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                (self.path / "cgroup.freeze").write_text("0\n")
        while self.pids() and time.monotonic() < deadline:
            for pid in self.pids():
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.002)
        try:
            empty = not (self.path / "cgroup.procs").read_text().split()
        except FileNotFoundError:  # removed already: the kernel removes only an empty cgroup
            empty = not self.path.exists()
        except OSError:
            empty = False
        with contextlib.suppress(OSError):
            self.path.rmdir()
        return empty


def namespace_id() -> int:
    """This process's PID namespace (its inode; 0 where it cannot be read): a grader
    clears only what graders whose pids it can see left behind."""
    try:
        return os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return 0


def _owner_prefix() -> str:
    """``rnngrade-<pid namespace>-``: a grader clears only cgroups of graders whose pids
    it can see (another container's grader may share the cgroup folder)."""
    return f"{PREFIX}{namespace_id()}-"


def _clear_orphans(parent: Path) -> None:
    """The cgroups of graders that died without removing them (a batch worker killed
    outright): whatever still runs there is killed, and they are removed."""
    for entry in orphans(parent, _owner_prefix()):
        ChildGroup(entry).kill()


def orphans(parent: Path, prefix: str) -> list[Path]:
    """Entries of ``parent`` named ``<prefix><pid>-…`` whose process ``pid`` is gone (not
    this one): what a grader killed outright left behind (cgroups, spools)."""
    try:
        entries = [e for e in parent.iterdir() if e.name.startswith(prefix)]
    except OSError:
        return []
    found = []
    for entry in entries:
        try:
            owner = int(entry.name[len(prefix):].split("-")[0])
        except ValueError:
            continue
        if owner != os.getpid() and not alive(owner):
            found.append(entry)
    return found


def alive(pid: int) -> bool:
    """Is there a process ``pid`` (in this PID namespace)?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ----------------------------------------------------------------------- 2. uid
def kill_uid(uid: int) -> None:
    """SIGKILL to every process of ``uid`` (a uid of this grader's children only), sent
    by a process of that uid: ``kill(-1)`` reaches all of them at once, however often
    they change pid."""
    if os.geteuid() != 0 or uid in (0, os.getuid()):
        return
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child ends with os._exit
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


# ------------------------------------------------------------------- 3. the sweep
# Children of ours in a session of their own that are not a child's leftovers: a batch
# worker's fork server (grader.sandbox.zygote), which runs no student code.
KEPT: set[int] = set()


def _escaped(me: int, my_sid: int) -> list[tuple[int, int, bool]]:
    """(pid, process group, ended) of the processes re-parented to us that left our
    session; ended ones are zombies to collect."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read().decode(errors="replace")
            fields = stat.rsplit(")", 1)[1].split()
            state, ppid, pgid, sid = fields[0], int(fields[1]), int(fields[2]), int(fields[3])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == me and sid != my_sid and int(entry) not in KEPT:
            found.append((int(entry), pgid, state in ("Z", "X")))
    return found


def sweep_escaped(quiet_passes: int = QUIET_PASSES) -> None:
    """Kill processes re-parented to us that left our session (double fork + setsid),
    with their process groups, and collect them, until ``quiet_passes`` passes in
    a row find none, alive or ended (one, to collect what ended, where nothing can be
    alive: every process of the child known ended, its cgroup found empty).

    The group of an ended one is killed too: a process that forks and exits at once
    has a newer pid than any listing of ``/proc`` shows, but it is still in the group
    of its ended ancestors (the kernel signals every member at once). And a pass
    that still finds ended ones is not quiet: someone alive keeps leaving them."""
    if not os.path.isdir("/proc"):
        return
    me, my_sid, my_pgid = os.getpid(), os.getsid(0), os.getpgid(0)
    quiet, deadline = 0, time.monotonic() + SWEEP_SECONDS
    while quiet < quiet_passes and time.monotonic() < deadline:
        found = _escaped(me, my_sid)
        quiet = 0 if found else quiet + 1
        for pgid in {pgid for _, pgid, _ in found} - {my_pgid, 0}:
            with contextlib.suppress(OSError):
                os.killpg(pgid, signal.SIGKILL)
        for pid, _, ended in found:
            if not ended:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError, OSError):  # ours to collect, now or at the next pass
                os.waitpid(pid, os.WNOHANG)
