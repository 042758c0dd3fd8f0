"""How the child process is confined: probe the strongest level this machine offers.

Levels, strongest first (the threat model and guarantees are in docs/security.md):

``bubblewrap``
    New PID, network, IPC and UTS namespaces; read-only system folders; only the
    Python installation, the harness and the submission are visible; private
    ``/tmp`` and work folder. The reference solutions and hidden tests are simply
    not in its file system.
``landlock``
    Where bubblewrap cannot run (Docker's default seccomp profile, Ubuntu >= 23.10
    runners) but the kernel has Landlock (Linux >= 5.13): the child confines itself
    before loading student code, so it can read only the Python installation, the
    system folders and the submission, write only its work folder (no device nodes,
    FIFOs or sockets there), open no TCP connection (Landlock ABI >= 4) and signal no
    process outside itself (ABI >= 6).
``portable``
    A plain subprocess with resource limits, a new session and a scrubbed
    environment. It cannot hide files from a child running as the same user, so it
    is not *isolated*: official grading refuses it unless explicitly allowed.

At every level the child hardens itself first (``confine.py``): started as root it
becomes an unprivileged uid with no capability left (outside bubblewrap only when an
unprivileged uid can read the Python installation), sets no_new_privs and installs a
seccomp filter (no sockets, io_uring, ptrace, namespaces). The parent checks what the
child reports and fails closed.

The probe result is cached per process; ``RNNGRADE_ISOLATION=landlock`` or
``=portable`` forces a weaker level (useful where bubblewrap exists but is broken).
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The unprivileged id a child started as root becomes: one per grading process (its
# pid above a base no real account uses), so concurrent children of a batch can
# neither signal nor trace each other nor share RLIMIT_NPROC; "nobody" where a user
# namespace does not map such ids.
SANDBOX_UID_BASE = 2_100_000_000
NOBODY = 65534
HARNESS_IN_SANDBOX = "/rnngrade/child.py"
# Standalone modules child.py loads from its own folder; bound next to it.
HARNESS_SIBLINGS = ("wire.py", "confine.py")
SUBMISSION_IN_SANDBOX = "/rnngrade/submission"
WORKDIR_IN_SANDBOX = "/rnngrade/work"
# A batch worker's fork server (grader/sandbox/forkserver.py), bound beside the harness,
# and the worker's spool of students' folders, mounted in the server only.
ZYGOTE_SCRIPT = "forkserver.py"
SPOOL_IN_SANDBOX = "/rnngrade/spool"


@dataclass(frozen=True)
class Isolation:
    level: str  # "bubblewrap", "landlock" or "portable"
    hides_files: bool
    drops_privileges: bool  # started as root, the child becomes an unprivileged uid
    hardened: bool = True  # as root no capability left; no_new_privs; seccomp (see confine.py)

    @property
    def isolated(self) -> bool:
        """Good enough for official grading: the child cannot read the reference or
        write where the grader reads, and holds no root privilege."""
        return self.level != "portable" and self.hardened and (self.drops_privileges or os.geteuid() != 0)


class IsolationRefused(RuntimeError):
    """Official grading was asked for where the child would not be isolated.

    ``reason`` says why, on this machine (:func:`refusal_reason`, unless the caller
    knows better, e.g. ``"landlock_failed"``): ``root_python_unreadable`` (as root, the
    child must leave root at this level, and the unprivileged uid cannot read the
    Python installation), ``no_isolated_level`` (neither bubblewrap nor Landlock works
    here), ``landlock_failed`` (the kernel refused the child's Landlock rules).
    :meth:`message` is the text for people, with what to do."""

    def __init__(self, level: str, reason: str | None = None, **params: Any) -> None:
        if reason is None:
            reason, params = refusal_reason(level)
        self.level, self.reason, self.params = level, reason, params
        detail = ", ".join(f"{k}={v}" for k, v in params.items())
        super().__init__(f"official grading needs an isolated sandbox; the {level} level is not isolated here "
                         f"({reason}{': ' + detail if detail else ''})")

    def message(self) -> Any:
        """The refusal as a catalogue message (:mod:`grader.i18n`)."""
        from ..i18n import msg

        params = {k: msg(f"isolation.part.{v}") if k in ("bubblewrap", "landlock") else v
                  for k, v in self.params.items()}
        return msg(f"isolation.refused_because.{self.reason}", level=self.level, **params)


def refusal_reason(level: str) -> tuple[str, dict[str, str]]:
    """Why ``level`` is not isolated on this machine: (reason, parameters) as
    :class:`IsolationRefused` takes them."""
    forced = os.environ.get("RNNGRADE_ISOLATION", "").strip().lower()
    bubblewrap = bubblewrap_status()
    if forced == "portable":
        landlock = "forced"
    elif landlock_abi() >= 1:
        landlock = "available"
    else:
        landlock = "missing" if sys.platform.startswith("linux") else "not_linux"
    # As root, Landlock (and the portable level) can isolate only a child that leaves
    # root, and the uid it becomes must be able to run this Python.
    if os.geteuid() == 0 and not unprivileged_can_run_python() and (level != "portable" or landlock == "available"):
        return "root_python_unreadable", {"path": str(unreachable_for_others() or sys.prefix)}
    return "no_isolated_level", {"bubblewrap": f"bwrap_{bubblewrap}", "landlock": f"landlock_{landlock}"}


class ConfinementError(RuntimeError):
    """The child could not confine itself as asked; it ran no student code."""


def sandbox_uids() -> list[int]:
    """Unprivileged ids for a child started as root, the preferred one first."""
    return [SANDBOX_UID_BASE + os.getpid(), NOBODY]


@functools.lru_cache(maxsize=1)
def seccomp_supported() -> bool:
    """Does the child install its seccomp filter here (see confine.py)?"""
    import platform

    return sys.platform.startswith("linux") and platform.machine() in ("x86_64", "aarch64", "arm64")


def unreachable_for_others() -> Path | None:
    """The first folder of the interpreter, its libraries or the harness that an
    unprivileged uid cannot enter or read (None: all can be)."""
    for path in [*_python_roots(), Path(__file__).parent]:
        try:
            if not path.stat().st_mode & stat.S_IROTH:
                return path
            for folder in [path, *path.parents]:
                if not folder.stat().st_mode & stat.S_IXOTH:
                    return folder
        except OSError:
            return path
    return None


@functools.lru_cache(maxsize=1)
def unprivileged_can_run_python() -> bool:
    """Can an unprivileged uid reach the interpreter, its libraries and the harness?
    (A Python installed under a private folder such as /root, mode 0700, cannot be
    used once the child leaves root outside bubblewrap, which builds its own tree.)"""
    return unreachable_for_others() is None


def at_level(level: str) -> Isolation:
    """The isolation this machine gives at ``level`` (what :func:`probe` would return
    if that level were the strongest). Started as root, the child leaves root at
    every level; outside bubblewrap only if an unprivileged uid can run Python here
    (otherwise the level is not isolated, and official grading refuses it)."""
    root = os.geteuid() == 0
    linux = sys.platform.startswith("linux")  # confine.py hardens Linux children only
    if level == "bubblewrap":
        return Isolation("bubblewrap", hides_files=True, drops_privileges=root)
    if level == "landlock":
        return Isolation("landlock", hides_files=True, drops_privileges=root and unprivileged_can_run_python())
    if level == "portable":
        return Isolation("portable", hides_files=False, hardened=linux,
                         drops_privileges=linux and root and unprivileged_can_run_python())
    raise ValueError(f"unknown isolation level {level!r}")


def _python_roots() -> list[Path]:
    """Folders the interpreter and numpy need, bound read-only into the sandbox."""
    numpy = importlib.util.find_spec("numpy")  # found, not imported: prelaunch starts children before numpy
    roots = {Path(sys.base_prefix), Path(sys.prefix), Path(str(numpy and numpy.origin)).parent.parent}
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
    """The bwrap command line that runs the harness on a submission.

    Started as root, the harness keeps only the capabilities it needs to leave root
    (set uid and gid, shrink the bounding set); confine.py then drops those too."""
    caps = ["CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP"]
    inside = str(Path(HARNESS_IN_SANDBOX).with_suffix(harness.suffix))
    return _bubblewrap_tree(harness, caps) + [
        "--ro-bind", str(submission), SUBMISSION_IN_SANDBOX,
        "--bind", str(workdir), WORKDIR_IN_SANDBOX,
        "--chdir", WORKDIR_IN_SANDBOX,
        "--setenv", "HOME", WORKDIR_IN_SANDBOX,
        sys.executable, "-I", "-B", inside, str(resp_fd),
    ]


def zygote_command(harness: Path, spool: Path, control_fd: int) -> list[str]:
    """The bwrap command line of a batch worker's fork server (grader/sandbox/forkserver.py).

    The same file system as a child's (:func:`bubblewrap_command`), but instead of one
    submission and work folder, the worker's spool (every student's folders, in turn)
    and empty mount points where each forked child binds its own. Started as root, the
    server keeps what its children need to make their own namespaces and mounts
    (``CAP_SYS_ADMIN``) besides what the harness needs to leave root; every forked
    child drops all of it (confine.py) before any student code runs."""
    caps = ["CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP", "CAP_SYS_ADMIN"]
    server = harness.with_name(Path(ZYGOTE_SCRIPT).with_suffix(harness.suffix).name)
    inside = str(Path(HARNESS_IN_SANDBOX).parent / server.name)
    return _bubblewrap_tree(harness, caps) + [
        "--ro-bind", str(server), inside,
        "--perms", "0755", "--dir", SUBMISSION_IN_SANDBOX,
        "--perms", "0755", "--dir", WORKDIR_IN_SANDBOX,
        "--bind", str(spool), SPOOL_IN_SANDBOX,
        "--chdir", "/",
        "--setenv", "HOME", WORKDIR_IN_SANDBOX,
        sys.executable, "-I", "-B", inside, str(control_fd),
    ]


def _bubblewrap_tree(harness: Path, caps: list[str]) -> list[str]:
    """bwrap, its namespaces and the file system every child sees: system folders, the
    Python installation, the harness and its siblings (not the submission)."""
    cmd = [
        shutil.which("bwrap") or "bwrap",
        "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
        "--die-with-parent", "--new-session",
    ]
    if os.geteuid() == 0:
        cmd += ["--cap-drop", "ALL"]
        for cap in caps:
            cmd += ["--cap-add", cap]
    cmd += [
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
    # The harness as given: its source or its compiled form (grader.sandbox.harness),
    # with its siblings in the same form beside it.
    inside = str(Path(HARNESS_IN_SANDBOX).with_suffix(harness.suffix))
    cmd += [
        "--perms", "0755", "--dir", "/rnngrade",
        "--ro-bind", str(harness), inside,
    ]
    for name in HARNESS_SIBLINGS:
        sibling = Path(name).with_suffix(harness.suffix).name
        cmd += ["--ro-bind", str(harness.with_name(sibling)), f"{Path(HARNESS_IN_SANDBOX).parent}/{sibling}"]
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
def bubblewrap_status() -> str:
    """``ok``, ``missing`` (not installed, or not Linux), ``broken`` (installed but it
    cannot make its namespaces here: a container's seccomp profile, unprivileged user
    namespaces turned off), or ``forced`` (``RNNGRADE_ISOLATION`` chose a weaker level)."""
    forced = os.environ.get("RNNGRADE_ISOLATION", "").strip().lower()
    if forced in ("portable", "landlock"):
        return "forced"
    if not sys.platform.startswith("linux") or not shutil.which("bwrap"):
        return "missing"
    try:
        check = PENDING.pop() if PENDING else start_bubblewrap_check()
        return "ok" if check.wait(timeout=10) == 0 else "broken"
    except (OSError, subprocess.TimeoutExpired):
        return "broken"  # (a check that hangs is bubblewrap's, which then dies with this process)


PENDING: list[subprocess.Popen[bytes]] = []  # bubblewrap's check, started ahead (grader.sandbox.launch.expected)


def start_bubblewrap_check() -> subprocess.Popen[bytes]:
    """Can bubblewrap make its namespaces here? (A process that ends at once, 0 if so.)"""
    cmd = [shutil.which("bwrap") or "bwrap", "--unshare-pid", "--unshare-net",
           "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true"]
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@functools.lru_cache(maxsize=1)
def probe() -> Isolation:
    """Find the strongest isolation level that works here (cached)."""
    forced = os.environ.get("RNNGRADE_ISOLATION", "").strip().lower()
    if bubblewrap_status() == "ok":
        return at_level("bubblewrap")
    if forced == "bubblewrap":
        raise RuntimeError("RNNGRADE_ISOLATION=bubblewrap, but bubblewrap does not work here")
    if forced != "portable" and landlock_abi() >= 1:
        return at_level("landlock")
    if forced == "landlock":
        raise RuntimeError("RNNGRADE_ISOLATION=landlock, but this kernel has no Landlock")
    return at_level("portable")


def confine_request(isolation: Isolation, strict: bool, submission: str, workdir: str) -> dict[str, Any]:
    """What the child must do to itself before loading student code (see confine.py):
    which uids to become when root, whether to harden, the Landlock rules."""
    request: dict[str, Any] = {
        "uids": sandbox_uids() if isolation.drops_privileges and os.geteuid() == 0 else [],
        "harden": isolation.hardened,
        "strict": strict,
    }
    if isolation.level == "landlock":
        request["landlock"] = {"read": [str(p) for p in landlock_readable()] + [submission], "write": [workdir]}
    return request


def check_confined(isolation: Isolation, report: dict[str, Any]) -> Isolation:
    """Check the child's report of how it confined itself, sent before any student
    code ran (so it cannot be forged). Returns the level actually in force: a
    Landlock the kernel refused means the portable level. Raises
    :class:`ConfinementError` if a requested protection is missing (fail closed), and
    :class:`IsolationRefused` if a strict child could not apply Landlock."""
    failed = report.get("failed")
    if not isinstance(failed, list) or failed:
        if failed == ["landlock"]:
            raise IsolationRefused("portable", "landlock_failed")
        raise ConfinementError(f"the sandboxed child could not confine itself: {str(failed)[:300]}")
    problems = []
    root = os.geteuid() == 0
    caps = report.get("caps")
    if root and (isolation.drops_privileges or isolation.hardened):
        if not isinstance(caps, dict) or any(caps.get(k) != 0 for k in ("effective", "permitted", "inheritable",
                                                                        "bounding")):
            problems.append("capabilities left")
    if root and isolation.drops_privileges:
        if report.get("uid") not in sandbox_uids() or report.get("gid") not in sandbox_uids() or report.get("groups"):
            problems.append("still root")
    if isolation.hardened and report.get("no_new_privs") is not True:
        problems.append("no_new_privs not set")
    if isolation.hardened and seccomp_supported() and report.get("seccomp") is not True:
        problems.append("no seccomp filter")
    if problems:
        raise ConfinementError("the sandboxed child is not confined as asked: " + ", ".join(problems))
    if isolation.level == "landlock" and not report.get("landlock"):
        return dataclasses.replace(isolation, level="portable", hides_files=False)
    return isolation


def child_environment(home: str | None = None) -> dict[str, str]:
    """A scrubbed environment for the child: nothing of the grader's leaks in. ``home``
    (its work folder) becomes HOME and TMPDIR, so caches and temporary files a
    library writes stay in the one folder the child may write and that is removed."""
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
    if home:
        env["HOME"] = env["TMPDIR"] = home
    return env
