"""A batch worker's fork server (grader/sandbox/zygote.py, forkserver.py): each
student's child is forked warm, and sees nothing of the student before it, nor of any
other student, nor of the grader: files (its work folder, /tmp, /dev/shm, the spool),
processes (a double-forked setsid daemon ends with its student), memory and module
state (a numpy monkeypatch, a global, a marker array); it is confined exactly as a
fresh child is (the confinement probe of test_confinement gives the same answers); a
hung or flooding student is killed and the next one is graded normally; a server that
dies or cannot start is replaced, or the worker starts its children the ordinary way.

Run as root with bubblewrap, as CI does; skipped where the server is not used."""

from __future__ import annotations

import os
import signal
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from support import SOLUTIONS, mutant
from test_confinement import NAMES, PROBE, Host

from grader import paths
from grader.api import grade
from grader.sandbox import isolation as iso
from grader.sandbox import zygote
from grader.sandbox.prelaunch import discard, forked
from grader.sandbox.session import Call, CallStatus, Limits, ModuleEntry, Sandbox

pytestmark = pytest.mark.skipif(not zygote.wanted(), reason="the fork server needs root and bubblewrap")

FAST = Limits(call_seconds=2.0, total_seconds=30.0, load_seconds=10.0)

SPY = textwrap.dedent('''
    import builtins, os, subprocess, sys, time
    import numpy as np

    def _ok(fn):
        try:
            fn()
            return True
        except Exception:
            return False

    def _write(path, text):
        with open(path, "w") as f:
            f.write(text)

    def leave_traces(token):
        """Everything a student could leave behind for the next one."""
        done = {
            "work": _ok(lambda: _write("/rnngrade/work/trace-" + token, token)),
            "tmp": _ok(lambda: _write("/tmp/trace-" + token, token)),
            "shm": _ok(lambda: _write("/dev/shm/trace-" + token, token)),
            "home": _ok(lambda: _write(os.path.expanduser("~/trace2-" + token), token)),
        }
        # A daemon: double fork, setsid, lives on (a minute) unless something kills it.
        pid = os.fork()
        if pid == 0:
            os.setsid()
            if os.fork() == 0:
                for fd in range(0, 64):
                    try:
                        os.close(fd)
                    except OSError:
                        pass
                time.sleep(60)
            os._exit(0)
        os.waitpid(pid, 0)
        np.dot = lambda *a, **k: token  # a monkeypatch of numpy
        np.MARKER = np.full(4, 7.0)  # a marker array in a shared module
        builtins.TRACE = token  # a global every module sees
        sys.modules["trace_" + token] = sys
        return done

    def look():
        """What this student can see."""
        pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
        found = []
        for folder in ("/rnngrade/work", "/tmp", "/dev/shm", "/rnngrade/spool", "/rnngrade/submission"):
            try:
                found += [folder + "/" + n for n in os.listdir(folder)]
            except OSError as exc:
                found.append(folder + ": " + type(exc).__name__)
        return {
            "pid": os.getpid(), "pids": pids, "uid": os.getuid(), "files": sorted(found),
            "dot": getattr(np.dot, "__name__", ""), "dot_gives": repr(np.dot(np.ones(2), np.ones(2))),
            "marker": hasattr(np, "MARKER"), "trace": hasattr(builtins, "TRACE"),
            "modules": sorted(m for m in sys.modules if m.startswith("trace_")),
            "hostname": os.uname().nodename,
        }

    def exists(path):
        return os.path.exists(path)

    def spin():
        while True:
            pass

    def flood():
        while True:
            print("x" * 10000)

    def kill_init():
        return [_ok(lambda: os.kill(1, signal)) for signal in (9, 15)]

    def twice(x):
        return x * 2
''')


@pytest.fixture()
def server():
    zygote.start()
    assert zygote.current() is not None
    yield zygote.current()
    zygote.stop()


def _forked(files: dict[str, str], wanted: list[str], limits: Limits = FAST) -> Sandbox:
    sandbox = forked()
    assert sandbox is not None and sandbox.forked, "the fork server did not fork"
    for name, text in files.items():
        (sandbox.root / name).write_text(text)
        os.chmod(sandbox.root / name, 0o644)
    sandbox.modules = [ModuleEntry(module=Path(n).stem, relpath=n) for n in files]
    sandbox.wanted, sandbox.limits = wanted, limits
    report = sandbox.start()
    assert report.ok, report
    return sandbox


def _sandbox_uid_processes() -> list[int]:
    """Processes on this machine that run as this grader's sandbox uid (not those that
    ended and wait to be collected: the children of a server stopped by an earlier test
    come back to this process, its subreaper, and are collected at its next sweep)."""
    uid, found = iso.SANDBOX_UID_BASE + os.getpid(), []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    state = f.read().rsplit(b")", 1)[1].split()[0]
                if os.stat(f"/proc/{entry}").st_uid == uid and state not in (b"Z", b"X"):
                    found.append(int(entry))
            except (OSError, IndexError):
                pass
    return found


def test_a_forked_child_is_confined_as_a_fresh_one(server, tmp_path):
    host = Host(tmp_path)
    try:
        fresh_root = tmp_path / "fresh"
        fresh_root.mkdir()
        os.chmod(fresh_root, 0o755)
        (fresh_root / "probe.py").write_text(PROBE)
        os.chmod(fresh_root / "probe.py", 0o644)
        args = (host.udp.getsockname()[1], host.unix_path, host.bystander.pid)
        with Sandbox(fresh_root, [ModuleEntry("probe", "probe.py")], ["probe"], FAST, iso.probe()) as fresh:
            expected = fresh.call(Call("probe", args))
        sandbox = _forked({"probe.py": PROBE}, ["probe"])
        try:
            got = sandbox.call(Call("probe", args))
            assert sandbox.isolation == iso.probe() and sandbox._child_uid == iso.SANDBOX_UID_BASE + os.getpid()
        finally:
            discard(sandbox)
        assert expected.status == got.status == CallStatus.OK
        assert dict(zip(NAMES, got.value.tolist(), strict=True)) == dict(zip(NAMES, expected.value.tolist(),
                                                                               strict=True))
        values = dict(zip(NAMES, got.value.tolist(), strict=True))
        assert values["uid"] == iso.SANDBOX_UID_BASE + os.getpid() and values["eff"] == 0 and values["bnd"] == 0
        assert values["nnp"] == 1 and values["seccomp"] == 2 and values["userns"] == 0 and values["signal"] == 0
        assert not host.received_udp() and not host.accepted_unix()
    finally:
        host.close()


def test_the_next_student_sees_nothing_of_the_previous_one(server):
    first = _forked({"spy.py": SPY}, ["leave_traces", "look"])
    try:
        done = first.call(Call("leave_traces", ("first",)))
        assert done.status == CallStatus.OK and done.value["work"] is True, done
        seen = first.call(Call("look", ())).value
        # The traces are really there while the first student runs (so the checks below can fail).
        assert "/rnngrade/work/trace-first" in seen["files"] and seen["trace"] and seen["marker"]
        assert seen["dot"] == "<lambda>" and seen["dot_gives"] == "'first'" and seen["modules"] == ["trace_first"]
        assert len(seen["pids"]) >= 3, seen  # the reaper, the harness, the daemon
        assert _sandbox_uid_processes(), "the daemon should run while its student does"
    finally:
        discard(first)
    assert not _sandbox_uid_processes(), "a process of the previous student outlived it"
    second = _forked({"spy.py": SPY}, ["look"])
    try:
        seen = second.call(Call("look", ())).value
    finally:
        discard(second)
    assert seen["pids"] == [1, 2] and seen["pid"] == 2, seen  # its own PID namespace: nothing else
    assert seen["files"] == ONLY_SPY, seen  # no file of the first student anywhere
    assert seen["dot"] == "dot" and seen["dot_gives"] == repr(np.float64(2.0))
    assert not seen["marker"] and not seen["trace"]
    assert seen["modules"] == []


def test_students_at_once_cannot_see_each_other_nor_the_spool_nor_the_reference(server):
    other = zygote.current().folder("sub-", 0o755)
    (other / "secret.py").write_text("ANSWER = 42\n")
    first = _forked({"spy.py": SPY}, ["leave_traces", "look", "exists"])
    second = _forked({"spy.py": SPY}, ["look", "exists"])
    try:
        assert first.call(Call("leave_traces", ("first",))).status == CallStatus.OK
        seen = second.call(Call("look", ())).value
        assert seen["pids"] == [1, 2] and seen["files"] == ONLY_SPY, seen
        for path in (str(SOLUTIONS), str(SOLUTIONS / "layers.py"), str(other), str(zygote.current().spool),
                     f"{iso.SPOOL_IN_SANDBOX}/{other.name}/secret.py", f"{iso.SPOOL_IN_SANDBOX}/{first.root.name}",
                     str(first.root), "/proc/1/root/rnngrade/spool"):
            assert second.call(Call("exists", (path,))).value is False, path
    finally:
        discard(first)
        discard(second)


def test_a_hung_or_flooding_student_is_killed_and_the_next_is_graded(server):
    server_pid = server._proc.pid
    for attack, status in (("spin", CallStatus.TIMEOUT), ("flood", CallStatus.OUTPUT_LIMIT)):
        sandbox = _forked({"spy.py": SPY}, [attack, "twice"],
                          Limits(call_seconds=1.0, total_seconds=30.0, load_seconds=10.0, max_restarts=0))
        child = sandbox._proc
        try:
            assert sandbox.call(Call(attack, ())).status == status
            assert child.poll() is not None  # the forked child was killed
        finally:
            discard(sandbox)
        following = _forked({"spy.py": SPY}, ["twice", "kill_init"])
        try:
            assert following.call(Call("twice", (np.arange(3.0),))).value.tolist() == [0.0, 2.0, 4.0]
            assert following.call(Call("kill_init", ())).value == [False, False]  # its reaper is root's
        finally:
            discard(following)
    assert server.alive and server._proc.pid == server_pid and zygote.current() is server


def test_a_child_that_hangs_while_loading_is_killed_too(server):
    sandbox = forked()
    try:
        (sandbox.root / "slow.py").write_text("while True:\n    pass\n")
        sandbox.modules, sandbox.wanted = [ModuleEntry("slow", "slow.py")], []
        sandbox.limits = Limits(call_seconds=1.0, total_seconds=30.0, load_seconds=1.0)
        report = sandbox.start()
        assert not report.ok and report.status == CallStatus.TIMEOUT
        assert sandbox._proc is None and not _sandbox_uid_processes()
    finally:
        discard(sandbox)
    assert server.alive


def test_a_dead_server_is_replaced_and_a_broken_one_falls_back(server, monkeypatch):
    old = zygote.current()
    os.killpg(old._proc.pid, signal.SIGKILL)
    old._proc.wait()
    new = zygote.current()
    assert new is not None and new is not old and new.alive
    sandbox = _forked({"spy.py": SPY}, ["twice"])
    try:
        assert sandbox.call(Call("twice", (3,))).value == 6
    finally:
        discard(sandbox)
    # A server that never gets ready: the child is started the ordinary way, and works.
    monkeypatch.setattr(zygote, "READY_SECONDS", 1.0)
    monkeypatch.setattr(iso, "zygote_command", lambda *a: ["sleep", "30"])
    new.close()
    sandbox = forked()
    assert sandbox is not None and not sandbox.forked
    try:
        (sandbox.root / "spy.py").write_text(SPY)
        sandbox.modules, sandbox.wanted, sandbox.limits = [ModuleEntry("spy", "spy.py")], ["twice"], FAST
        assert sandbox.start().ok and sandbox.isolation.level == "bubblewrap"
        assert sandbox.call(Call("twice", (3,))).value == 6
    finally:
        discard(sandbox)


def test_a_child_whose_setup_fails_is_never_run_and_its_server_is_replaced(server):
    current = zygote.current()
    sub, work = current.folder("sub-", 0o755), current.folder("work-", 0o777)
    work.rmdir()  # the child cannot bind its work folder: its mounts fail, it runs nothing
    resp_r, resp_w = os.pipe()
    try:
        with pytest.raises(zygote.ZygoteError, match="setup failed"):
            current.spawn(sub, work, resp_w)
    finally:
        os.close(resp_r)
        os.close(resp_w)
    assert not current.alive and not _sandbox_uid_processes()
    sandbox = _forked({"spy.py": SPY}, ["twice"])  # a new server
    try:
        assert zygote.current() is not current and sandbox.call(Call("twice", (2,))).value == 4
    finally:
        discard(sandbox)


def test_the_spool_of_a_worker_killed_outright_is_removed_by_the_next_server(tmp_path, monkeypatch):
    import subprocess
    import tempfile

    from grader.sandbox import reaper

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    gone = subprocess.Popen(["true"])
    gone.wait()
    ns = reaper.namespace_id()
    dead = tmp_path / f"{zygote.SPOOL_PREFIX}{ns}-{gone.pid}-abc"
    living = tmp_path / f"{zygote.SPOOL_PREFIX}{ns}-{os.getppid()}-abc"
    elsewhere = tmp_path / f"{zygote.SPOOL_PREFIX}{ns + 1}-{gone.pid}-abc"  # another container's
    for folder in (dead, living, elsewhere):
        (folder / "sub-x").mkdir(parents=True)
    server = zygote.Zygote()
    try:
        assert server.spool.parent == tmp_path and server.spool.name.startswith(f"{zygote.SPOOL_PREFIX}{ns}-")
    finally:
        server.close(remove=True)
    assert not dead.exists() and living.exists() and elsewhere.exists() and not server.spool.exists()


def _installation_in_tmp() -> list[str]:
    """What the installation itself puts in every child's /tmp, a fresh child's too: the
    read-only folders of the interpreter and numpy, where the checkout and its virtualenv
    live in the temp folder (a clone made with mktemp, as before a release)."""
    import site

    roots = {sys.prefix, sys.base_prefix, str(Path(np.__file__).parent), *site.getsitepackages()}
    return sorted({"/tmp/" + Path(r).relative_to("/tmp").parts[0] for r in roots if r.startswith("/tmp/")})


ONLY_SPY = sorted(["/rnngrade/submission/spy.py", *_installation_in_tmp()])


def _verdicts(result):
    return (result.score, result.max_score, result.load_status,
            [(c.id, c.status, c.points, c.mistakes) for c in result.checks])


@pytest.mark.parametrize("edits", [
    None,  # the sample submission
    {"layers.py": [("return np.maximum(0.0, x), x", "return np.maximum(0.0, x) + 1e-3, x")]},
    {"rnn_layers.py": [("next_h = np.tanh(x @ Wx", "next_h = np.tan(x @ Wx")]},
])
def test_verdicts_are_those_of_a_fresh_child(server, tmp_path, edits):
    source = paths.EXAMPLES / "sample_submission" if edits is None else mutant(tmp_path / "sub", edits)
    fresh = grade(source, solutions=SOLUTIONS, student="s", experiments=False)
    launched = forked()
    assert launched is not None and launched.forked
    try:
        warm = grade(source, solutions=SOLUTIONS, student="s", experiments=False, launched=launched)
    finally:
        discard(launched)
    assert _verdicts(warm) == _verdicts(fresh)
    assert warm.isolation == fresh.isolation
    if edits is not None:
        assert warm.score < warm.max_score  # a mutant that loses points: the comparison means something


def test_a_batch_worker_uses_its_server_and_falls_back_without_one(monkeypatch):
    from grader.batch.pool import OK, WorkerPool

    def run(use: bool) -> list[bool | None]:
        got: list[bool | None] = []
        pool = WorkerPool(1, _forked_in_worker, zygote=use)
        pool.run([("a", ()), ("b", ())], lambda key, outcome: got.append(outcome.value if outcome.status == OK
                                                                          else outcome.detail))
        return got

    assert run(True) == [True, True]
    assert run(False) == [None, None]  # no server in the worker: grading starts its own child
    monkeypatch.setenv("RNNGRADE_ZYGOTE", "0")
    assert run(True) == [None, None]


def _forked_in_worker() -> bool | None:
    sandbox = forked()
    try:
        return None if sandbox is None else sandbox.forked
    finally:
        discard(sandbox)


def test_a_batch_without_a_working_server_grades_the_same(tmp_path, monkeypatch):
    from grader.batch import grade_class
    from grader.gradebook import Gradebook

    folder = tmp_path / "class"
    folder.mkdir()
    mutant(folder / "bob", {"layers.py": [("return np.maximum(0.0, x), x", "return np.maximum(0.0, x) + 1e-3, x")]})
    (folder / "carol.py").write_text("def relu_forward(x):\n    return x, x\n")
    scores = {}
    for name, broken in (("with", False), ("without", True)):
        if broken:
            monkeypatch.setattr(iso, "zygote_command", lambda *a: ["false"])
            monkeypatch.setattr(zygote, "READY_SECONDS", 2.0)
        started = time.monotonic()
        summary = grade_class(folder, tmp_path / name, solutions=SOLUTIONS, jobs=1, lang="en")
        assert sorted(summary.graded) == ["bob", "carol"] and not summary.failed, summary
        with Gradebook(tmp_path / name / "gradebook.sqlite") as book:
            scores[name] = {row["student"]: (row["score"], row["load_status"]) for row in book.students()}
        assert time.monotonic() - started < 120
    assert scores["with"] == scores["without"]


LAZY = textwrap.dedent('''
    import importlib

    def lazy():
        """Modules the server never imported: numpy loads these only when first asked."""
        for name in ("numpy.random", "numpy.polynomial", "numpy.fft", "json.decoder"):
            importlib.import_module(name)
        return 1
''')


def test_a_forked_child_imports_what_the_server_never_imported(server):
    """Every folder of the installation stays readable in a forked child, also where it
    lives in the temp folder (a fresh /tmp must not cover the interpreter's and numpy's
    folders bubblewrap bound there): the sample lost its initialisation checks to
    'No module named numpy.random' in a checkout cloned into /tmp."""
    sandbox = _forked({"lazy.py": LAZY}, ["lazy"])
    try:
        out = sandbox.call(Call("lazy", ()))
        assert out.status == CallStatus.OK, out
    finally:
        sandbox.close()
