"""How the sandboxed child confines itself, before any student code runs.

Runs *inside* the child: ``child.py`` loads this file by path from its own folder
(bubblewrap binds it there), so it must stay standalone: standard library and
ctypes only, no numpy, nothing of the grader. :func:`apply` takes the parent's
request and returns what was actually achieved; the child sends that to the parent
before loading the submission, and stops instead of running student code if a
requested step failed.

The steps, in order (each needs what the previous one still has):

1. Landlock (Linux >= 5.13): the kernel confines file access to a few folders,
   forbids TCP (ABI >= 4), abstract unix sockets and signals outside the sandbox
   (ABI >= 6); the work folder may not hold new device nodes, FIFOs or sockets.
2. ``PR_SET_NO_NEW_PRIVS``: no exec can ever grant privileges again (setuid
   binaries, file capabilities), which also lets an unprivileged process install
   Landlock and seccomp.
3. Started as root: every capability leaves the bounding set, the ambient set is
   cleared, then supplementary groups, gid and uid all become an unprivileged id
   (``setgroups([])``, ``setresgid``, ``setresuid``), and the remaining capability
   sets are cleared with ``capset``.
4. seccomp (x86_64 and arm64): a filter written here in classic BPF refuses
   ``socket()`` of every family (the harness talks over inherited pipes and needs
   none: no UDP, unix-path, packet or netlink socket), io_uring (it can open
   sockets past the filter), ``ptrace`` and ``process_vm_*``, new namespaces
   (``unshare``, ``setns``, ``clone`` with namespace flags; ``clone3`` answers
   ENOSYS so libc falls back to ``clone``), mounts, ``bpf``, ``perf_event_open``,
   ``userfaultfd`` and the kernel keyring. System calls of another architecture (the
   32-bit entry points) are refused outright.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import struct
import sys
from collections.abc import Iterable
from typing import Any

# ---------------------------------------------------------------------- prctl
_PR_CAPBSET_READ, _PR_CAPBSET_DROP = 23, 24
_PR_SET_NO_NEW_PRIVS, _PR_GET_NO_NEW_PRIVS = 38, 39
_PR_GET_SECCOMP, _PR_SET_SECCOMP = 21, 22
_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
_CAP_VERSION_3 = 0x20080522


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _prctl(libc: ctypes.CDLL, *args: int) -> int:
    return libc.prctl(*[ctypes.c_ulong(a) for a in args] + [ctypes.c_ulong(0)] * (5 - len(args)))


# -------------------------------------------------------------------- Landlock
_SYS_CREATE, _SYS_ADD_RULE, _SYS_RESTRICT = 444, 445, 446  # same on x86_64 and arm64
_FS_EXECUTE, _FS_WRITE_FILE, _FS_READ_FILE, _FS_READ_DIR = 1, 2, 4, 8
_FS_MAKE_CHAR, _FS_MAKE_SOCK, _FS_MAKE_FIFO, _FS_MAKE_BLOCK = 1 << 6, 1 << 9, 1 << 10, 1 << 11
_FS_TRUNCATE, _FS_IOCTL_DEV = 1 << 14, 1 << 15
_FS_FILE_ONLY = _FS_EXECUTE | _FS_WRITE_FILE | _FS_READ_FILE | _FS_TRUNCATE | _FS_IOCTL_DEV
# The work folder may not receive device nodes, FIFOs or sockets.
_FS_NOT_IN_WORKDIR = _FS_MAKE_CHAR | _FS_MAKE_BLOCK | _FS_MAKE_SOCK | _FS_MAKE_FIFO


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def landlock(libc: ctypes.CDLL, read_paths: Iterable[str], write_paths: Iterable[str]) -> int:
    """Confine this process's file access; returns the Landlock ABI applied, or 0."""
    try:
        abi = libc.syscall(_SYS_CREATE, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    except (OSError, AttributeError):
        return 0
    if abi < 1:
        return 0
    handled = (1 << 13) - 1
    if abi >= 2:
        handled |= 1 << 13  # REFER
    if abi >= 3:
        handled |= _FS_TRUNCATE
    if abi >= 5:
        handled |= _FS_IOCTL_DEV
    attr = _RulesetAttr(handled, 3 if abi >= 4 else 0, 3 if abi >= 6 else 0)
    size = 24 if abi >= 6 else (16 if abi >= 4 else 8)
    ruleset = libc.syscall(_SYS_CREATE, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        return 0
    readable = _FS_EXECUTE | _FS_READ_FILE | _FS_READ_DIR
    rules = [(p, readable) for p in read_paths] + [(p, handled & ~_FS_NOT_IN_WORKDIR) for p in write_paths]
    for path, access in rules:
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            continue
        if not os.path.isdir(path):
            access &= _FS_FILE_ONLY
        rule = _PathBeneath(access, fd)
        libc.syscall(_SYS_ADD_RULE, ruleset, 1, ctypes.byref(rule), ctypes.c_uint32(0))
        os.close(fd)
    _prctl(libc, _PR_SET_NO_NEW_PRIVS, 1)  # required by landlock_restrict_self
    ok = libc.syscall(_SYS_RESTRICT, ruleset, ctypes.c_uint32(0)) == 0
    os.close(ruleset)
    return abi if ok else 0


# ---------------------------------------------------------------- capabilities
class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def capabilities(libc: ctypes.CDLL) -> tuple[int, int, int, int]:
    """(effective, permitted, inheritable, bounding) of this process, as bit masks."""
    header, data = _CapHeader(_CAP_VERSION_3, 0), (_CapData * 2)()
    if libc.capget(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capget failed")
    eff, prm, inh = ((getattr(data[1], f) << 32) | getattr(data[0], f) for f in ("effective", "permitted",
                                                                                    "inheritable"))
    bounding = 0
    for cap in range(64):
        on = _prctl(libc, _PR_CAPBSET_READ, cap)
        if on < 0:
            break
        bounding |= on << cap
    return eff, prm, inh, bounding


def drop_root(libc: ctypes.CDLL, uid: Any, clear_only: bool = False) -> None:
    """Leave root: clear the bounding and ambient sets, become ``uid`` (group too,
    no supplementary groups), clear every remaining capability. With
    ``clear_only``, stay uid 0 but hold no capability. Raises OSError on failure.
    ``uid`` is the request's value as sent (None with ``clear_only``)."""
    for cap in range(64):
        if _prctl(libc, _PR_CAPBSET_DROP, cap) != 0:
            if ctypes.get_errno() == errno.EINVAL:
                break  # past the last capability this kernel knows
            raise OSError(ctypes.get_errno(), f"cannot drop capability {cap} from the bounding set")
    _prctl(libc, _PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL)
    if not clear_only:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    header, data = _CapHeader(_CAP_VERSION_3, 0), (_CapData * 2)()
    if libc.capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


# ---------------------------------------------------------------------- seccomp
_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7, "arm64": 0xC00000B7}
# name: (x86_64, arm64)
_SYSCALLS = {
    "socket": (41, 198), "ptrace": (101, 117), "process_vm_readv": (310, 270), "process_vm_writev": (311, 271),
    "io_uring_setup": (425, 425), "io_uring_enter": (426, 426), "io_uring_register": (427, 427),
    "unshare": (272, 97), "setns": (308, 268), "clone": (56, 220), "clone3": (435, 435),
    "mount": (165, 40), "umount2": (166, 39), "pivot_root": (155, 41), "open_tree": (428, 428),
    "move_mount": (429, 429), "fsopen": (430, 430), "fsmount": (432, 432), "bpf": (321, 280),
    "perf_event_open": (298, 241), "userfaultfd": (323, 282), "keyctl": (250, 219), "add_key": (248, 217),
    "request_key": (249, 218),
}
_ENOSYS_CALLS = ("io_uring_setup", "io_uring_enter", "io_uring_register", "clone3")  # callers fall back
# CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET (NEWTIME exists only for clone3/unshare)
_CLONE_NAMESPACES = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000
_X32_BIT = 0x40000000

_LD_W_ABS, _JEQ_K, _JGE_K, _JSET_K, _RET_K = 0x20, 0x15, 0x35, 0x45, 0x06
_RET_ALLOW, _RET_ERRNO = 0x7FFF0000, 0x00050000
_OFF_NR, _OFF_ARCH, _OFF_ARG0 = 0, 4, 16  # struct seccomp_data (little-endian: low word of args[0])


def seccomp_supported() -> bool:
    return platform.machine() in _AUDIT_ARCH


def seccomp_program() -> list[tuple[int, int, int, int]]:
    """The filter as (code, jt, jf, k) instructions for this machine's architecture."""
    machine = platform.machine()
    column = 0 if machine == "x86_64" else 1
    prog = [
        (_LD_W_ABS, 0, 0, _OFF_ARCH),
        (_JEQ_K, 1, 0, _AUDIT_ARCH[machine]),
        (_RET_K, 0, 0, _RET_ERRNO | errno.EPERM),  # a foreign architecture's entry point
        (_LD_W_ABS, 0, 0, _OFF_NR),
    ]
    if machine == "x86_64":
        prog += [(_JGE_K, 0, 1, _X32_BIT), (_RET_K, 0, 0, _RET_ERRNO | errno.ENOSYS)]  # the x32 ABI
    for name, numbers in _SYSCALLS.items():
        if name == "clone":
            continue
        err = errno.ENOSYS if name in _ENOSYS_CALLS else errno.EPERM
        prog += [(_JEQ_K, 0, 1, numbers[column]), (_RET_K, 0, 0, _RET_ERRNO | err)]
    prog += [
        (_JEQ_K, 0, 3, _SYSCALLS["clone"][column]),
        (_LD_W_ABS, 0, 0, _OFF_ARG0),
        (_JSET_K, 0, 1, _CLONE_NAMESPACES),
        (_RET_K, 0, 0, _RET_ERRNO | errno.EPERM),
        (_RET_K, 0, 0, _RET_ALLOW),
    ]
    return prog


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def install_seccomp(libc: ctypes.CDLL) -> None:
    """Install the filter (no_new_privs must be set). Raises OSError on failure."""
    prog = seccomp_program()
    raw = ctypes.create_string_buffer(b"".join(struct.pack("<HBBI", *ins) for ins in prog))
    fprog = _SockFprog(len(prog), ctypes.cast(raw, ctypes.c_void_p))
    if _prctl(libc, _PR_SET_SECCOMP, 2, ctypes.addressof(fprog)) != 0:  # SECCOMP_MODE_FILTER
        raise OSError(ctypes.get_errno(), "seccomp filter refused")


# ------------------------------------------------------------------------ apply
def apply(request: dict[str, Any]) -> dict[str, Any]:
    """Confine this process as ``request`` asks; returns what was achieved.

    ``request``: ``landlock`` ({"read": [...], "write": [...]} or None), ``uids``
    (when root, become the first of these unprivileged ids that the kernel accepts;
    a user namespace may map only some), ``harden`` (clear capabilities when root,
    no_new_privs, seccomp where supported), ``strict`` (a Landlock that cannot be
    applied is a failure, not a weaker level). The answer lists ``failed`` steps;
    the caller must not run student code if any failed."""
    report: dict[str, Any] = {"landlock": 0, "seccomp": False, "failed": [], "uid": os.getuid(), "gid": os.getgid(),
              "groups": len(os.getgroups()), "caps": None, "no_new_privs": False}
    if not sys.platform.startswith("linux"):
        if request.get("harden") or request.get("uids") or request.get("landlock"):
            report["failed"].append(f"confinement is Linux-only ({sys.platform})")
        return report
    libc = _libc()
    spec = request.get("landlock")
    if spec:
        report["landlock"] = landlock(libc, spec["read"], spec["write"])
        if not report["landlock"] and request.get("strict"):
            report["failed"].append("landlock")
    harden = request.get("harden")
    uids = list(request.get("uids") or [])
    if os.geteuid() == 0 and (uids or harden):
        error: Exception | None = None
        for uid in uids or [None]:
            try:
                drop_root(libc, uid, clear_only=uid is None)
                error = None
                break
            except (OSError, OverflowError, TypeError, ValueError) as exc:
                error = exc
        if error is not None:
            report["failed"].append(f"privileges: {error}")
    if harden:
        _prctl(libc, _PR_SET_NO_NEW_PRIVS, 1)
        if seccomp_supported():
            try:
                install_seccomp(libc)
                report["seccomp"] = True
            except OSError as exc:
                report["failed"].append(f"seccomp: {exc}")
    report["uid"], report["gid"] = os.getuid(), os.getgid()
    report["groups"] = len(os.getgroups())
    try:
        eff, prm, inh, bnd = capabilities(libc)
        report["caps"] = {"effective": eff, "permitted": prm, "inheritable": inh, "bounding": bnd}
    except (OSError, AttributeError):
        report["caps"] = None
    report["no_new_privs"] = _prctl(libc, _PR_GET_NO_NEW_PRIVS) == 1
    return report
