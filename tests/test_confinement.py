"""A child started as root holds nothing of root at any level: no capability (not
even in the bounding set), no_new_privs, a seccomp filter that refuses every
socket family, io_uring and new namespaces, no device nodes, no /dev/kmsg, no
signal to a process outside; at Landlock and bubblewrap levels an unprivileged uid.

Each probe runs inside a real sandbox child; the control runs the same probe in a
child that is not hardened, as root, and shows every weakness, so a probe that
cannot detect its weakness would fail there."""

from __future__ import annotations

import os
import socket
import subprocess
import textwrap
from pathlib import Path

import numpy as np
import pytest

from grader.sandbox import isolation as iso
from grader.sandbox.isolation import ConfinementError, Isolation, at_level, landlock_abi, probe
from grader.sandbox.session import Call, Limits, ModuleEntry, Sandbox
from grader.submission import prepare

ROOT = os.geteuid() == 0
FAST = Limits(call_seconds=10.0, total_seconds=30.0, load_seconds=10.0)
CONTROL = Isolation("portable", hides_files=False, drops_privileges=False, hardened=False)

NAMES = ["uid", "gid", "eff", "bnd", "nnp", "seccomp", "mknod", "fifo", "kmsg", "udp", "unix", "packet", "netlink",
         "inet_raw", "io_uring", "userns", "signal", "threads", "fork"]

PROBE = textwrap.dedent('''
    import ctypes, os, socket, stat, threading
    import numpy as np

    _libc = ctypes.CDLL(None, use_errno=True)

    class _H(ctypes.Structure):
        _fields_ = [("v", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class _D(ctypes.Structure):
        _fields_ = [("e", ctypes.c_uint32), ("p", ctypes.c_uint32), ("i", ctypes.c_uint32)]

    def _ok(fn):
        try:
            fn()
            return 1.0
        except Exception:
            return 0.0

    def _caps():
        h, d = _H(0x20080522, 0), (_D * 2)()
        _libc.capget(ctypes.byref(h), d)
        return float(d[0].e | d[1].e | d[0].p | d[1].p)

    def _bounding():
        return float(sum(1 for c in range(64) if _libc.prctl(23, c, 0, 0, 0) == 1))

    def _udp(port):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(b"from-the-sandbox", ("127.0.0.1", port))
        s.close()

    def _unix(path):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(2)
        s.connect(path)
        s.close()

    def _raw(family, kind, proto=0):
        socket.socket(family, kind, proto).close()

    def _io_uring():
        params = ctypes.create_string_buffer(120)
        fd = _libc.syscall(425, 4, params)
        if fd < 0:
            raise OSError(ctypes.get_errno(), "io_uring_setup")
        os.close(fd)

    def _in_child(fn):
        pid = os.fork()
        if pid == 0:
            try:
                fn()
                os._exit(0)
            except BaseException:
                os._exit(1)
        return os.waitpid(pid, 0)[1] == 0

    def _userns():
        if not _in_child(lambda: os.unshare(0x10000000) if hasattr(os, "unshare") else
                         _check(_libc.syscall(272 if os.uname().machine == "x86_64" else 97, 0x10000000))):
            raise OSError("unshare")

    def _check(rc):
        if rc != 0:
            raise OSError(ctypes.get_errno(), "failed")

    def _thread():
        box = []
        t = threading.Thread(target=lambda: box.append(1))
        t.start()
        t.join()
        if box != [1]:
            raise RuntimeError("thread")

    def _fork():
        if not _in_child(lambda: None):
            raise OSError("fork")

    def probe(port, path, pid):
        return np.array([
            float(os.getuid()), float(os.getgid()), _caps(), _bounding(),
            float(_libc.prctl(39, 0, 0, 0, 0)), float(_libc.prctl(21, 0, 0, 0, 0)),
            _ok(lambda: os.mknod("dev-null-copy", stat.S_IFCHR | 0o600, os.makedev(1, 3))),
            _ok(lambda: os.mkfifo("a-fifo")),
            _ok(lambda: open("/dev/kmsg", "rb").close()),
            _ok(lambda: _udp(port)),
            _ok(lambda: _unix(path)),
            _ok(lambda: _raw(17, socket.SOCK_RAW)),  # AF_PACKET
            _ok(lambda: _raw(16, socket.SOCK_RAW, 0)),  # AF_NETLINK, NETLINK_ROUTE
            _ok(lambda: _raw(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)),
            _ok(_io_uring),
            _ok(_userns),
            _ok(lambda: os.kill(pid, 0)),
            _ok(_thread),
            _ok(_fork),
        ])
''')


class Host:
    """Things outside the sandbox a child must not reach."""

    def __init__(self, folder: Path) -> None:
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.udp.setblocking(False)
        self.unix_path = str(folder / "host.sock")
        self.unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.unix.bind(self.unix_path)
        os.chmod(self.unix_path, 0o777)
        self.unix.listen(8)
        self.unix.setblocking(False)
        self.bystander = subprocess.Popen(["sleep", "60"])

    def received_udp(self) -> bool:
        got = False
        while True:
            try:
                got |= self.udp.recv(100) == b"from-the-sandbox"
            except BlockingIOError:
                return got

    def accepted_unix(self) -> bool:
        got = False
        while True:
            try:
                conn, _ = self.unix.accept()
                conn.close()
                got = True
            except BlockingIOError:
                return got

    def close(self) -> None:
        self.bystander.kill()
        self.bystander.wait()
        self.udp.close()
        self.unix.close()


@pytest.fixture
def host(tmp_path_factory):
    folder = tmp_path_factory.mktemp("host")
    os.chmod(folder, 0o755)
    h = Host(folder)
    yield h
    h.close()


def run_probe(isolation: Isolation, host: Host, tmp: Path) -> dict[str, float]:
    root = tmp / "sub"
    root.mkdir(parents=True, exist_ok=True)
    (root / "probe.py").write_text(PROBE)
    prepared = prepare(root)  # a private copy an unprivileged uid can read, as in grading
    try:
        with Sandbox(prepared.root, prepared.modules, ["probe"], FAST, isolation) as sb:
            assert sb.load_report is not None and sb.load_report.ok, sb.load_report
            assert not sb.load_report.modules[0]["errors"], sb.load_report
            out = sb.call(Call("probe", (host.udp.getsockname()[1], host.unix_path, host.bystander.pid)))
    finally:
        prepared.cleanup()
    assert out.status == "ok", out
    assert isinstance(out.value, np.ndarray) and out.value.shape == (len(NAMES),)
    return dict(zip(NAMES, out.value.tolist(), strict=True))


LEVELS = [
    pytest.param("bubblewrap", marks=pytest.mark.skipif(probe().level != "bubblewrap",
                                                         reason="bubblewrap does not run here")),
    pytest.param("landlock", marks=pytest.mark.skipif(landlock_abi() < 1, reason="this kernel has no Landlock")),
    "portable",
]


def _dmesg_restricted() -> bool:
    try:
        return Path("/proc/sys/kernel/dmesg_restrict").read_text().strip() == "1"
    except OSError:
        return False


@pytest.mark.parametrize("level", LEVELS)
def test_a_hardened_child_holds_no_privilege_and_reaches_nothing(level, host, tmp_path):
    isolation = at_level(level)
    r = run_probe(isolation, host, tmp_path)
    assert r["eff"] == 0 and r["bnd"] == 0, "capabilities left"
    assert r["nnp"] == 1
    if iso.seccomp_supported():
        assert r["seccomp"] == 2  # SECCOMP_MODE_FILTER
        for family in ("udp", "unix", "packet", "netlink", "inet_raw"):
            assert r[family] == 0, family
        assert r["io_uring"] == 0 and r["userns"] == 0
    assert not host.received_udp() and not host.accepted_unix()
    assert r["mknod"] == 0
    assert r["threads"] == 1 and r["fork"] == 1  # the filter leaves what Python needs
    if level != "portable" or isolation.drops_privileges or _dmesg_restricted():
        assert r["kmsg"] == 0
    if level == "landlock":
        assert r["fifo"] == 0  # no FIFO (or socket, or device) in the work folder
        if landlock_abi() >= 6:
            assert r["signal"] == 0
    if level == "bubblewrap":
        assert r["signal"] == 0  # another PID namespace
    if ROOT and isolation.drops_privileges:
        assert r["uid"] not in (0.0,) and r["uid"] in iso.sandbox_uids() and r["gid"] == r["uid"]
        assert r["signal"] == 0


@pytest.mark.skipif(not ROOT, reason="the uid is dropped only when the grader runs as root (CI does)")
@pytest.mark.parametrize("level", LEVELS)
def test_a_child_started_as_root_runs_as_an_unprivileged_uid(level, host, tmp_path):
    isolation = at_level(level)
    if not isolation.drops_privileges:
        assert level != "bubblewrap"
        assert not iso.unprivileged_can_run_python()
        assert not isolation.isolated or level == "portable"  # so official grading refuses it
        pytest.skip(f"other users cannot enter {iso.unreachable_for_others()}, where the Python installation lies, "
                    "so outside bubblewrap the child cannot leave root here; official grading at this level is "
                    "refused instead")
    r = run_probe(isolation, host, tmp_path)
    assert r["uid"] != 0 and r["gid"] != 0


@pytest.mark.skipif(not ROOT, reason="the control shows what root could do: run as root (CI does)")
def test_control_the_same_probe_in_an_unhardened_child_as_root_sees_every_weakness(host, tmp_path):
    r = run_probe(CONTROL, host, tmp_path)
    assert r["uid"] == 0 and r["eff"] != 0 and r["bnd"] != 0 and r["nnp"] == 0 and r["seccomp"] == 0
    assert r["mknod"] == 1 and r["fifo"] == 1 and r["kmsg"] == 1
    assert r["udp"] == 1 and host.received_udp()
    assert r["unix"] == 1 and host.accepted_unix()
    assert r["packet"] == 1 and r["netlink"] == 1 and r["inet_raw"] == 1 and r["userns"] == 1
    assert r["signal"] == 1 and r["threads"] == 1 and r["fork"] == 1


def test_the_filter_is_what_refuses_sockets(host, tmp_path):
    """Same as the control but hardened: only the filter (and the capabilities it
    lost) differ, so sockets that need no privilege (UDP, netlink) show the filter."""
    hardened = Isolation("portable", hides_files=False, drops_privileges=False, hardened=True)
    r = run_probe(hardened, host, tmp_path)
    if not iso.seccomp_supported():
        pytest.skip("no seccomp filter on this architecture")
    assert r["udp"] == 0 and r["netlink"] == 0 and r["unix"] == 0 and not host.received_udp()


def test_a_child_that_cannot_confine_itself_runs_no_student_code(tmp_path, monkeypatch):
    if not ROOT:
        pytest.skip("dropping root is asked for only when running as root")
    marker = tmp_path / "student-code-ran"
    root = tmp_path / "sub"
    root.mkdir()
    (root / "m.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    monkeypatch.setattr(iso, "sandbox_uids", lambda: [-5])  # an id setresuid refuses
    asked = Isolation("portable", hides_files=False, drops_privileges=True)
    with pytest.raises(ConfinementError):
        Sandbox(root, [ModuleEntry("m", "m.py")], [], FAST, asked).start()
    assert not marker.exists()


def test_the_parent_refuses_a_child_that_reports_less_than_asked(tmp_path):
    sb = Sandbox(tmp_path, [], [], FAST, at_level("bubblewrap"))
    good = {"failed": [], "landlock": 0, "uid": iso.sandbox_uids()[0], "gid": iso.sandbox_uids()[0], "groups": 0,
            "caps": {"effective": 0, "permitted": 0, "inheritable": 0, "bounding": 0}, "no_new_privs": True,
            "seccomp": True}
    sb._check_confined(dict(good))
    for bad in ({"failed": ["seccomp: refused"]}, {"caps": dict(good["caps"], bounding=1 << 21)},
                {"no_new_privs": False}, {"seccomp": False}, {"failed": None}):
        if ROOT or "caps" not in bad:
            with pytest.raises(ConfinementError):
                sb._check_confined(dict(good, **bad))
    if ROOT:
        with pytest.raises(ConfinementError):
            sb._check_confined(dict(good, uid=0))
    with pytest.raises(iso.IsolationRefused):
        sb._check_confined(dict(good, failed=["landlock"]))


@pytest.mark.skipif(not ROOT, reason="only a grader running as root must leave root")
def test_a_level_whose_child_would_keep_root_is_not_isolated(monkeypatch):
    from support import SOLUTIONS, grade_official

    monkeypatch.setattr(iso, "unprivileged_can_run_python", lambda: False)  # Python under a 0700 folder
    for level in ("landlock", "portable"):
        assert not at_level(level).drops_privileges and not at_level(level).isolated
    assert at_level("bubblewrap").isolated  # bubblewrap builds its own readable tree
    with pytest.raises(iso.IsolationRefused):
        grade_official(SOLUTIONS, "relu", isolation=at_level("landlock"))


def test_the_cli_stops_with_a_clear_message_when_confinement_fails(tmp_path, monkeypatch):
    from click.testing import CliRunner
    from support import SOLUTIONS

    from grader.cli import main

    def refuse(isolation, report):
        raise ConfinementError("no seccomp filter")

    monkeypatch.setattr(iso, "check_confined", refuse)
    run = CliRunner().invoke(main, ["grade", str(SOLUTIONS), "--solutions", str(SOLUTIONS), "--lang", "en",
                                    "--results", str(tmp_path / "r.json")])
    assert run.exit_code == 2 and "no student code was run (no seccomp filter)" in run.output
    assert not (tmp_path / "r.json").exists()
