"""How the child process is confined: probe the strongest level this machine offers.

Levels, strongest first (see ``shared/sandbox.md``):

``bubblewrap``
    New PID, network, IPC and UTS namespaces; read-only system folders; only the
    Python installation, the harness and the submission are visible; private
    ``/tmp`` and work folder; the child drops to an unprivileged uid when started as
    root. The reference solutions and hidden tests are simply not in its file system.
``landlock``
    Where bubblewrap cannot run (Docker's default seccomp profile, Ubuntu >= 23.10
    runners) but the kernel has Landlock (Linux >= 5.13): the child confines itself
    before loading student code, so it can read only the Python installation, the
    system folders and the submission, write only its work folder, open no TCP
    connection (Landlock ABI >= 4) and signal no process outside itself (ABI >= 6).
``portable``
    A plain subprocess with resource limits, a new session and a scrubbed
    environment. It cannot hide files from a child running as the same user, so
    official grading should use bubblewrap; the report states the level.

The probe result is cached per process; ``RNNGRADE_ISOLATION=landlock`` or
``=portable`` forces a weaker level (useful where bubblewrap exists but is broken).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SANDBOX_UID = 65534  # "nobody"
HARNESS_IN_SANDBOX = "/rnngrade/child.py"
SUBMISSION_IN_SANDBOX = "/rnngrade/submission"
WORKDIR_IN_SANDBOX = "/rnngrade/work"


@dataclass(frozen=True)
class Isolation:
    level: str  # "bubblewrap" or "portable"
    hides_files: bool
    drops_privileges: bool


def _python_roots() -> list[Path]:
    """Folders the interpreter and numpy need, bound read-only into the sandbox."""
    roots = {Path(sys.base_prefix), Path(sys.prefix), Path(np.__file__).parent.parent}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        p = sysconfig.get_paths().get(key)
        if p:
            roots.add(Path(p))
    exe = Path(sys.executable)
    roots.add(exe.parent)
    try:
        roots.add(exe.resolve().parent.parent)
    except OSError:
        pass
    # Keep only outermost folders, and never a system folder bound anyway.
    keep: list[Path] = []
    for r in sorted(roots, key=lambda p: len(p.parts)):
        if any(r == k or k in r.parents for k in keep):
            continue
        keep.append(r)
    return keep


_SYSTEM_DIRS = ("/usr", "/bin", "/lib", "/lib64", "/lib32", "/sbin")
_ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "localtime", "passwd", "group")


def bubblewrap_command(harness: Path, submission: Path, workdir: Path, resp_fd: int) -> list[str]:
    """The bwrap command line that runs the harness on a submission."""
    cmd = [
        shutil.which("bwrap") or "bwrap",
        "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
        "--die-with-parent", "--new-session",
        "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
        "--perms", "0755", "--dir", "/etc",
    ]
    for d in _SYSTEM_DIRS:
        if os.path.exists(d):
            cmd += ["--ro-bind", d, d] if not os.path.islink(d) else ["--symlink", os.readlink(d), d]
    for f in _ETC_FILES:
        if os.path.exists(f"/etc/{f}"):
            cmd += ["--ro-bind", f"/etc/{f}", f"/etc/{f}"]
    made: set[str] = {"/", "/etc", "/tmp", "/proc", "/dev", *(_SYSTEM_DIRS)}
    for root in _python_roots():
        if str(root).startswith(_SYSTEM_DIRS):
            continue
        for parent in reversed(root.parents):
            if str(parent) not in made:
                cmd += ["--perms", "0755", "--dir", str(parent)]
                made.add(str(parent))
        cmd += ["--ro-bind", str(root), str(root)]
        made.add(str(root))
    cmd += [
        "--perms", "0755", "--dir", "/rnngrade",
        "--ro-bind", str(harness), HARNESS_IN_SANDBOX,
        "--ro-bind", str(submission), SUBMISSION_IN_SANDBOX,
        "--bind", str(workdir), WORKDIR_IN_SANDBOX,
        "--chdir", WORKDIR_IN_SANDBOX,
        "--setenv", "HOME", WORKDIR_IN_SANDBOX,
        sys.executable, "-I", "-B", HARNESS_IN_SANDBOX, str(resp_fd),
    ]
    return cmd


def landlock_abi() -> int:
    """The kernel's Landlock ABI version (0 when Landlock is unavailable)."""
    if not sys.platform.startswith("linux"):
        return 0
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        abi = libc.syscall(444, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    except (OSError, AttributeError):
        return 0
    return max(int(abi), 0)


def landlock_readable() -> list[Path]:
    """What a Landlock-confined child may read: the interpreter and its libraries,
    system folders, and a few devices (the submission is added by the caller)."""
    paths = [Path(d) for d in _SYSTEM_DIRS if os.path.exists(d)]
    paths += [Path("/etc") / f for f in _ETC_FILES if os.path.exists(f"/etc/{f}")]
    paths += [Path(d) for d in ("/dev/null", "/dev/zero", "/dev/urandom") if os.path.exists(d)]
    return paths + _python_roots()


@functools.lru_cache(maxsize=1)
def probe() -> Isolation:
    """Find the strongest isolation level that works here (cached)."""
    forced = os.environ.get("RNNGRADE_ISOLATION", "").strip().lower()
    if forced not in ("portable", "landlock") and sys.platform.startswith("linux") and shutil.which("bwrap"):
        cmd = [
            shutil.which("bwrap") or "bwrap", "--unshare-pid", "--unshare-net",
            "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true",
        ]
        try:
            ok = subprocess.run(cmd, capture_output=True, timeout=10).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        if ok:
            return Isolation("bubblewrap", hides_files=True, drops_privileges=os.getuid() == 0)
    if forced == "bubblewrap":
        raise RuntimeError("RNNGRADE_ISOLATION=bubblewrap, but bubblewrap does not work here")
    if forced != "portable" and landlock_abi() >= 1:
        return Isolation("landlock", hides_files=True, drops_privileges=False)
    if forced == "landlock":
        raise RuntimeError("RNNGRADE_ISOLATION=landlock, but this kernel has no Landlock")
    return Isolation("portable", hides_files=False, drops_privileges=False)


def child_environment() -> dict[str, str]:
    """A scrubbed environment for the child: nothing of the grader's leaks in."""
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONIOENCODING": "utf-8",
    }
    for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env
