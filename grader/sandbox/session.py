"""The parent's side of the sandbox: start the child, send calls, collect answers.

A :class:`Sandbox` owns one child process per submission (restarted, a bounded
number of times, after a crash or a timeout so one hanging function costs only its
own checks). It knows nothing of checks or scores: it returns :class:`CallOutcome`
values that say what happened, with every array decoded and validated by
:mod:`grader.sandbox.protocol`, and answers the callbacks of substituting calls
(see :mod:`grader.calls`) with the ``serve`` function it is given.

Over 400 lines: the parent's whole side of one child process (start, confinement
handshake, loading progress, I/O pump, calls and their callbacks, restarts). The
confinement itself now lives in ``confine.py`` (child) and
:func:`~grader.sandbox.isolation.confine_request` / ``check_confined`` (parent);
what is left splits naturally into process life cycle and calls, a refactoring
left out of the merge that brought both halves together.
"""

from __future__ import annotations

import os
import selectors
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

import numpy as np

from ..calls import Call, CallOutcome, CallStatus, Handle, ModuleEntry, Serve, earlier_args, resolve_earlier
from ..untrusted import clean
from . import isolation as iso
from . import reaper
from . import wire as W
from .launch import Started, set_subreaper, start_child
from .protocol import FrameReader, ProtocolError, callback_answer, decode_value, encode_frame, encode_value
from .zygote import ForkedChild, Zygote

__all__ = ["Call", "CallOutcome", "CallStatus", "Limits", "LoadReport", "ModuleEntry", "Sandbox"]

HARNESS = Path(__file__).with_name("child.py")
_PLAIN = frozenset({float, int, bool, str, type(None)})  # argument types that hold no array and no handle
MAX_SKIPPED_CELLS = 3  # notebook cells left out of a load because they did not finish in time


@dataclass(frozen=True)
class Limits:
    """Resource limits for one submission's child process."""

    call_seconds: float = 5.0  # wall clock per call
    total_seconds: float = 60.0  # wall clock for the whole submission
    load_seconds: float = 20.0  # wall clock for importing the submission
    cpu_seconds: int = 120
    memory_bytes: int = 2 << 30
    file_bytes: int = 16 << 20
    output_keep_bytes: int = 8 << 10  # student output kept per call
    output_kill_bytes: int = 16 << 20  # more than this in total kills the child
    frame_bytes: int = 64 << 20  # largest answer accepted
    # What the parent keeps of the answers (the attack review's finding 5): an answer may
    # hold at most the array bytes its call expects (Call.answer_bytes; by default
    # answer_factor times its arguments' bytes, and at least answer_min_bytes); the
    # answers of one round trip together at most round_trip_bytes, and all the answers of
    # a grade grade_bytes. An answer beyond any of them is read past, not kept, and fails
    # its call (CallStatus.TOO_LARGE); the child goes on.
    answer_min_bytes: int = 4 << 20
    answer_factor: int = 16
    round_trip_bytes: int = 128 << 20
    grade_bytes: int = 1 << 30
    max_restarts: int = 8
    open_files: int = 64  # file descriptors of the child (RLIMIT_NOFILE)
    processes: int = 64  # processes and threads of the child's uid (RLIMIT_NPROC)


@dataclass
class LoadReport:
    ok: bool
    status: str  # "loaded", or why the child could not load (timeout, crashed, ...)
    modules: list[dict[str, Any]] = field(default_factory=list)
    functions: dict[str, list[str]] = field(default_factory=dict)
    output: str = ""
    where: str = ""  # when loading failed: the module or notebook cell that was loading
    skipped: list[str] = field(default_factory=list)  # notebook cells left out: they did not finish in time


def _poison_key(call: Call, serve: Serve | None) -> str:
    """What a call that hung, flooded or crashed poisons: later calls of the same
    computation. A substituting call is another one (the student's building blocks
    replaced by the parent's), so a composite that hung inside its own hanging block
    is still judged with the reference's blocks (policy rule 4), as for a wrong block."""
    if call.substitute and serve is not None:
        return f"{call.func}[{','.join(call.substitute)}]"
    return call.func


class Sandbox:
    """One untrusted child serving one submission.

    ``root`` is a private copy of the submission, ``modules`` what to load from it
    and ``wanted`` the function names the grader will call. :meth:`start` raises
    :class:`~grader.sandbox.isolation.ConfinementError` if the child could not
    confine itself as ``isolation`` says (it then ran no student code), and with
    ``strict`` :class:`~grader.sandbox.isolation.IsolationRefused` rather than run
    at a weaker level than asked.
    """

    def __init__(
        self,
        root: Path,
        modules: list[ModuleEntry],
        wanted: list[str],
        limits: Limits | None = None,
        isolation: iso.Isolation | None = None,
        strict: bool = False,
        zygote: Zygote | None = None,
    ) -> None:
        self.root = Path(root)
        self.strict = strict  # never run weaker than ``isolation`` (a Landlock that fails stops the child)
        self.modules = modules
        self.wanted = wanted
        self.limits = limits or Limits()
        self.isolation = isolation or iso.probe()
        self.generation = 0
        self.restarts = 0
        self.load_report: LoadReport | None = None
        self.landlock_abi = 0
        self._proc: subprocess.Popen[bytes] | ForkedChild | None = None
        self._workdir: str | None = None
        self._reader: FrameReader | None = None
        self._selector: selectors.BaseSelector | None = None
        self._fds: dict[int, str] = {}
        self._resp_r = -1
        self._req_w = -1
        self._deadline_total = 0.0
        self._output = bytearray()
        self._output_total = 0
        self._rbuf: bytearray | None = None  # what a read from the child's pipes lands in (_read)
        self._dead_reason: str | None = None
        self._next_id = 0
        self.decoded_bytes = 0  # array bytes of every answer and callback kept so far (Limits.grade_bytes)
        # Functions that hung, flooded the output or killed the child: later calls to
        # them fail at once with the same status instead of costing another restart.
        self._poisoned: dict[str, CallStatus] = {}
        self._group: reaper.ChildGroup | None = None  # the child's cgroup, where there is one
        self._child_uid: int | None = None  # the uid of its own the child took (as root)
        self._launched = False  # a child started by launch() waits for its load request
        # The load request sent ahead (send_load): what of it is still to be written, and
        # by when the child must have loaded; None where it was not sent ahead.
        self._unsent: bytes | None = None
        self._load_deadline = 0.0
        # A batch worker's fork server (grader.sandbox.zygote.Zygote): at the bubblewrap
        # level, with ``root`` a folder of its spool, each child is forked from it warm.
        self.zygote = zygote
        self.forked = False  # the running child came from the fork server
        # A second child launched with this one on the same folder, for a grade split over
        # two processes (grader.sandbox.prelaunch, grader.split): another process (the
        # split's helper) talks to it once it is handed over (hand_over / take_over).
        self.second: Sandbox | None = None
        self._handed = False  # this process started the child, another one talks to it
        self._sibling = False  # this process talks to a child its parent started (take_over)
        self._at_close: list[Callable[[], None]] = []

    # ----------------------------------------------------------------- lifecycle
    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> LoadReport:
        """Start the child and load the submission; returns the first load report.

        A notebook cell that does not finish loading in time (a training loop left at
        the top level) is skipped, and the submission loaded again without it, at most
        :data:`MAX_SKIPPED_CELLS` times: the report lists the cells skipped
        (``skipped``), so the rest of the notebook is graded and the student is told
        which cell was left out. A .py module that hangs cannot be cut: its load fails."""
        self._deadline_total = time.monotonic() + self.limits.total_seconds
        set_subreaper()
        self.load_report = self._spawn()
        skipped: list[str] = []
        while (not self.load_report.ok and self.load_report.status == CallStatus.TIMEOUT
               and len(skipped) < MAX_SKIPPED_CELLS and time.monotonic() < self._deadline_total
               and self._skip_cell(self.load_report.where)):
            skipped.append(self.load_report.where)
            self.load_report = self._spawn()
        self.load_report.skipped = skipped
        return self.load_report

    def _skip_cell(self, where: str) -> bool:
        """Blank the notebook cell labelled ``where`` (its number stays); False if no
        notebook cell has that label."""
        for m in self.modules:
            for cell in m.cells or []:
                if cell.get("label") == where and cell.get("source"):
                    cell["source"] = ""
                    return True
        return False

    def launch(self) -> None:
        """Start the child process now, before the submission is loaded (it may be
        before the parent has even read it: ``root`` is bound, still empty, and filled
        before :meth:`start`). The child gets ready (the interpreter, numpy, the
        harness) while the parent prepares, then waits for its load request, which
        :meth:`start` sends: it runs no student code before. ``modules``, ``wanted``,
        ``limits`` and ``strict`` may be set until then."""
        if self._proc is None:
            self._launch()
            self._launched = True

    def _spawn(self) -> LoadReport:
        if not self._launched:
            self._launch()
        self._launched = False
        return self._load()

    def _launch(self) -> None:
        """The child process, its pipes and its cgroup (:mod:`grader.sandbox.launch`); no request sent yet."""
        self.generation += 1
        self._dead_reason = None
        self._adopt(start_child(self.root, self.isolation, self.zygote))

    def _adopt(self, started: Started) -> None:
        """Talk to ``started`` from now on (its streams non-blocking, one selector)."""
        self._proc, self._resp_r, self._workdir = started.proc, started.resp_r, started.workdir
        self._group, self.forked = started.group, started.forked
        # stdin, stdout and stderr are pipes (PIPE), never None.
        stdin, stdout, stderr = (cast(IO[bytes], s) for s in (self._proc.stdin, self._proc.stdout, self._proc.stderr))
        self._req_w = stdin.fileno()
        for fd in (self._resp_r, self._req_w, stdout.fileno(), stderr.fileno()):
            os.set_blocking(fd, False)
        self._fds = {stdout.fileno(): "out", stderr.fileno(): "err"}
        # One selector for the child's lifetime (not one per call: calls are the hot path).
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._resp_r, selectors.EVENT_READ, "resp")
        for fd, name in self._fds.items():
            self._selector.register(fd, selectors.EVENT_READ, name)

    @classmethod
    def launched(cls, started: Started, root: Path, isolation: iso.Isolation) -> Sandbox:
        """A sandbox for a child already started on ``root`` (:func:`~grader.sandbox.launch.start_child`,
        before this module was imported: :mod:`grader.sandbox.prelaunch`), waiting for
        its load request as after :meth:`launch`."""
        sandbox = cls(root, [], [], isolation=isolation)
        sandbox.generation += 1
        sandbox._adopt(started)
        sandbox._launched = True
        return sandbox

    def send_load(self) -> bool:
        """Send a launched child its load request now, with ``modules``, ``wanted``,
        ``limits``, ``strict`` and ``isolation`` as they are (they must not change
        after): the child confines itself and loads the submission while this process
        does other work; :meth:`start` then waits for the report. False (nothing sent,
        :meth:`start` sends it) where the child is not a launched one waiting for it."""
        if not self._launched or self._unsent is not None or self._proc is None or self._req_w < 0:
            return False
        self._reader = FrameReader(self.limits.frame_bytes)
        request = self._load_request()
        self._load_deadline = time.monotonic() + self.limits.load_seconds
        try:
            written = os.write(self._req_w, request)  # the pipe is empty: nearly always all of it
        except BlockingIOError:
            written = 0
        except OSError:  # the child is gone: start() finds out, as it would have
            written = len(request)
        self._unsent = request[written:]
        return True

    def _load_request(self) -> bytes:
        """The load request's frame (confinement first, then the submission)."""
        bwrap = self.isolation.level == "bubblewrap"
        root_in_child = iso.SUBMISSION_IN_SANDBOX if bwrap else str(self.root)
        entries = []
        for m in self.modules:
            path = f"{root_in_child}/{m.relpath}"
            entry: dict[str, Any] = {"module": m.module, "path": path, "display": m.relpath}
            if m.cells is not None:
                entry["cells"] = m.cells
            entries.append(entry)
        L = self.limits
        header = {
            "op": "load",
            "root": root_in_child,
            "modules": entries,
            "wanted": self.wanted,
            "confine": self._confine_request(root_in_child),
            "limits": {
                "memory_bytes": L.memory_bytes,
                "cpu_seconds": L.cpu_seconds,
                "file_bytes": L.file_bytes,
                "open_files": L.open_files,
                "processes": L.processes,
            },
        }
        return encode_frame(header, [])

    def _load(self) -> LoadReport:
        """Send the load request (unless :meth:`send_load` did) and wait for the report."""
        if self._unsent is not None:  # sent ahead: the rest of it, if any, then the answers
            request, deadline, self._unsent = self._unsent, self._load_deadline, None
        else:
            self._reader = FrameReader(self.limits.frame_bytes)
            request, deadline = self._load_request(), time.monotonic() + self.limits.load_seconds
        # First frame: how the child is confined, sent before any student code ran.
        status, frame, output = self._exchange(request, max(deadline - time.monotonic(), 0.0))
        where = ""
        if status == CallStatus.OK and frame is not None:
            if frame.header.get("status") != "confined":
                status = CallStatus.PROTOCOL
            else:
                self._check_confined(frame.header)
                status, frame, more, where = self._await_loaded(deadline)
                output += more
        if status != CallStatus.OK or frame is None:
            self._kill()
            return LoadReport(ok=False, status=status, output=output, where=where)
        h = frame.header
        try:
            modules = [self._clean_module_report(m) for m in h.get("modules", [])[: W.MAX_MODULES]]
            functions = {
                str(k): [clean(str(p)[: W.MAX_WHERE]) for p in v][: W.MAX_DEFINITIONS]
                for k, v in dict(h.get("functions", {})).items()
                if k in self.wanted
            }
        except (TypeError, ValueError, AttributeError):
            self._kill()
            return LoadReport(ok=False, status=CallStatus.PROTOCOL, output=output)
        return LoadReport(ok=True, status="loaded", modules=modules, functions=functions, output=output)

    def _confine_request(self, root_in_child: str) -> dict[str, Any]:
        """What the child must do to itself before loading student code (confine.py)."""
        assert self._workdir is not None
        return iso.confine_request(self.isolation, self.strict, root_in_child, self._workdir)

    def _check_confined(self, h: dict[str, Any]) -> None:
        """Check the child's report of its confinement (fails closed, see
        :func:`~grader.sandbox.isolation.check_confined`); note the Landlock ABI."""
        try:
            self.isolation = iso.check_confined(self.isolation, h)
        except (iso.ConfinementError, iso.IsolationRefused):
            self._kill()
            raise
        abi = h.get("landlock")
        self.landlock_abi = abi if type(abi) is int else 0
        uid = h.get("uid")  # a uid of this grader's alone (never nobody, which others may share)
        self._child_uid = uid if type(uid) is int and uid == iso.SANDBOX_UID_BASE + os.getpid() else None

    def _await_loaded(self, deadline: float) -> tuple[CallStatus, Any, str, str]:
        """Wait for the load report. Before each module or notebook cell the child says
        where it is, so a load that hangs or crashes can name the cell that did it.

        Returns (status, frame or None, output, the last place loading started)."""
        where, output = "", ""
        while True:
            status, frame, more = self._exchange(b"", max(deadline - time.monotonic(), 0.0))
            output += more
            if status != CallStatus.OK or frame is None or frame.header.get("status") != "loading":
                return status, frame, output, where
            where = clean(str(frame.header.get("where", ""))[: W.MAX_WHERE])

    @staticmethod
    def _clean_module_report(m: Any) -> dict[str, Any]:
        errors = []
        for e in m.get("errors", [])[: W.MAX_MODULE_ERRORS]:
            error: dict[str, Any] = {k: (clean(str(e.get(k))[: W.MAX_ERROR_FIELD]) if e.get(k) is not None else None)
                     for k in ("kind", "type", "message", "traceback", "where", "line", "column", "text",
                               "imported", "missing")}
            lost = e.get("lost")
            if isinstance(lost, list):  # functions a failed load left undefined
                error["lost"] = [clean(str(n)[: W.MAX_KEY]) for n in lost[: W.MAX_LOST]]
            errors.append(error)
        return {"module": clean(str(m.get("module"))[: W.MAX_WHERE]),
                "path": clean(str(m.get("path"))[: W.MAX_WHERE]),
                "errors": errors}

    def hand_over(self) -> None:
        """In the process that launched this child, after forking the process that talks
        to it from now on (:meth:`take_over`, there): this process's ends of its pipes
        are closed; the child is left running, kept from this process's sweeps of
        escaped processes (:func:`grader.sandbox.reaper.sweep_escaped`), and killed and
        collected at :meth:`close` (only its parent can collect it)."""
        if self._proc is None or self._handed:
            return
        self._handed = True
        reaper.KEPT.add(self._proc.pid)
        if self._selector is not None:
            self._selector.close()
            self._selector = None
        for stream in (self._proc.stdin, self._proc.stdout, self._proc.stderr):
            try:
                stream.close()  # type: ignore[union-attr]
            except (OSError, ValueError, AttributeError):
                pass
        if self._resp_r >= 0:
            os.close(self._resp_r)
            self._resp_r = -1

    def take_over(self) -> None:
        """In a process forked by the one that launched this child (the split's helper):
        this process talks to the child from now on, through the pipes it inherited, and
        stops it by its pidfd (a sibling cannot be waited for; its parent collects it
        after :meth:`hand_over`). A child that ends here is restarted as this process's
        own."""
        proc = self._proc
        if proc is None or isinstance(proc, ForkedChild):
            return
        pidfd = os.pidfd_open(proc.pid)  # not collected before this process ends: the pid is still this child
        sibling = ForkedChild(pidfd, *(cast(IO[bytes], s) for s in (proc.stdin, proc.stdout, proc.stderr)))
        sibling.pid = proc.pid
        self._proc = sibling
        self._sibling = True

    def at_close(self, end: Callable[[], None]) -> None:
        """Run ``end`` first when this sandbox is closed (the split's helper collected,
        before the children it talked to)."""
        self._at_close.append(end)

    def close(self) -> None:
        while self._at_close:
            self._at_close.pop(0)()
        if self._handed and self._proc is not None:
            reaper.KEPT.discard(self._proc.pid)
            self._handed = False
            self._selector = None  # the pipes were closed at hand_over
            self._fds = {}
        self._kill()

    def stop(self) -> None:
        """SIGKILL to the child and everything it made, now, without waiting for them to
        end: the kernel tears them down (on another core) while the caller does other
        work; :meth:`close` then collects them and removes their folders."""
        if self._proc is not None:
            self._signal(self._proc)
            if self._group is not None:
                self._group.signal()

    def _signal(self, proc: subprocess.Popen[bytes] | ForkedChild) -> None:
        if not self._sibling:  # a sibling's pid may be collected by its parent by now: its pidfd only
            try:
                if proc.pid > 0:
                    os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            proc.kill()
        except ProcessLookupError:
            pass

    def _kill(self) -> None:
        self._launched = False
        self._unsent = None
        if self._selector is not None:
            self._selector.close()
            self._selector = None
        proc = self._proc
        if proc is not None:
            self._signal(proc)
            # What escaped the process group: the cgroup, the child's own uid, the sweep.
            # At the bubblewrap level a cgroup found empty is the end of everything the
            # child made (all of it in the cgroup, and in a PID namespace that dies with
            # it): its uid has nothing left to kill, and the sweep only collects what was
            # re-parented to this process and ended (one pass, not several).
            contained = False
            if self._group is not None:
                contained = self._group.kill() and self.isolation.level == "bubblewrap"
                self._group = None
            proc.wait()
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                try:
                    stream.close()  # type: ignore[union-attr]  # a None stream: AttributeError, caught
                except (OSError, ValueError, AttributeError):
                    pass
            if self._child_uid is not None and not contained:
                reaper.kill_uid(self._child_uid)
            reaper.sweep_escaped(1 if contained else reaper.QUIET_PASSES)
            self._proc = None
            self._sibling = False
        if self._resp_r >= 0:
            os.close(self._resp_r)
            self._resp_r = -1
        if self._workdir:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._dead_reason is None

    # --------------------------------------------------------------------- I/O
    def _exchange(self, request: bytes, timeout: float) -> tuple[CallStatus, Any, str]:
        """Write ``request`` and wait for one answer frame (or for trouble).

        Returns (status, frame or None, output produced meanwhile)."""
        status, frame = self._pump(request, timeout)
        return status, frame, self._take_output()

    def _take_output(self) -> str:
        if not self._output:
            return ""
        text = clean(bytes(self._output).decode("utf-8", errors="replace"))
        self._output.clear()
        return text

    def _keep_output(self, data: bytes) -> None:
        self._output_total += len(data)
        room = self.limits.output_keep_bytes - len(self._output)
        if room > 0:
            self._output += data[:room]
            if len(data) > room:
                self._output += b"\n[... output truncated ...]\n"

    def _pump(self, to_write: bytes, timeout: float) -> tuple[CallStatus, Any]:
        assert self._proc is not None and self._reader is not None
        deadline = min(time.monotonic() + timeout, self._deadline_total)
        pending = memoryview(to_write)
        sel = self._selector
        assert sel is not None
        registered = False
        try:
            if pending:  # most requests fit in the pipe: write at once, wait only for the rest
                try:
                    pending = pending[os.write(self._req_w, pending):]
                except BlockingIOError:
                    pass
                except BrokenPipeError:
                    pending = memoryview(b"")
            registered = bool(pending)
            if registered:
                sel.register(self._req_w, selectors.EVENT_WRITE, "req")
            while True:
                frame = self._reader.take()
                if frame is not None:
                    self._drain_output(ready_only=True)
                    return CallStatus.OK, frame
                left = deadline - time.monotonic()
                if left <= 0:
                    return CallStatus.TIMEOUT, None
                events = sel.select(min(left, 1.0))
                for key, _mask in events:
                    name = key.data
                    if name == "req":
                        try:
                            n = os.write(self._req_w, pending)
                        except (BrokenPipeError, BlockingIOError) as exc:
                            if isinstance(exc, BlockingIOError):
                                continue
                            sel.unregister(self._req_w)
                            pending = memoryview(b"")
                            continue
                        pending = pending[n:]
                        if not pending:
                            sel.unregister(self._req_w)
                        continue
                    try:
                        data = self._read(key.fd)
                    except BlockingIOError:
                        continue
                    if not data:
                        sel.unregister(key.fd)
                        if name == "resp":
                            self._drain_output()
                            return CallStatus.CRASHED, None
                        continue
                    if name == "resp":
                        self._reader.feed(data)
                    else:
                        self._keep_output(data)
                        if self._output_total > self.limits.output_kill_bytes:
                            return CallStatus.OUTPUT_LIMIT, None
        except ProtocolError:
            return CallStatus.PROTOCOL, None
        finally:
            if registered and self._req_w in sel.get_map():
                sel.unregister(self._req_w)

    def _read(self, fd: int) -> bytes:
        """One read from ``fd`` (at most 1 MiB), into a buffer kept for the child's life:
        ``os.read(fd, 1 MiB)`` maps, remaps and unmaps a megabyte for every small answer."""
        if self._rbuf is None:
            self._rbuf = bytearray(1 << 20)
        n = os.readv(fd, [self._rbuf])
        return bytes(memoryview(self._rbuf)[:n])

    def _drain_output(self, ready_only: bool = False) -> None:
        """Collect what the child printed before its answer (already in the pipes: the
        child flushes its output before it writes an answer). ``ready_only``: from the
        output pipes that have something to read now (one poll instead of a failed read
        of each after every answer; a pipe whose end was met is left out of the selector)."""
        fds = list(self._fds)
        if ready_only and self._selector is not None:
            fds = [key.fd for key, _mask in self._selector.select(0) if key.data in ("out", "err")]
        for fd in fds:
            while True:
                try:
                    data = self._read(fd)
                except (BlockingIOError, OSError):
                    break
                if not data:
                    break
                self._keep_output(data)

    # ------------------------------------------------------------------- calls
    def call(self, call: Call, timeout: float | None = None) -> CallOutcome:
        return self.call_many([call], timeout=timeout)[0]

    def call_many(self, calls: list[Call], serve: Serve | None = None,
                  timeout: float | None = None) -> list[CallOutcome]:
        """Run calls in order in one round trip; a failure of the child fails the rest.

        During a call with ``substitute`` names the child may send callback frames
        for those names only; ``serve`` answers them (see :mod:`grader.calls`)."""
        if not calls:
            return []
        chained = [earlier_args(c) for c in calls]
        for i, c in enumerate(calls):
            if any(not 0 <= e.call < i for e in chained[i]):
                raise ValueError(f"call {i} ({c.func}) refers to a call that is not before it")
        poisoned = bool(self._poisoned) and any(_poison_key(c, serve) in self._poisoned for c in calls)
        if poisoned and any(chained):
            # Calls that build on others, some of them poisoned: one by one, each on what
            # the calls before it really gave.
            done: list[CallOutcome] = []
            for c in calls:
                resolved = resolve_earlier(c, done)
                done.append(CallOutcome(CallStatus.SKIPPED) if resolved is None
                            else self.call_many([resolved], serve, timeout)[0])
            return done
        if poisoned:
            runnable = [c for c in calls if _poison_key(c, serve) not in self._poisoned]
            answers = iter(self.call_many(runnable, serve, timeout))
            return [CallOutcome(self._poisoned[_poison_key(c, serve)], error={"repeat": True})
                    if _poison_key(c, serve) in self._poisoned else next(answers) for c in calls]
        per_call = timeout or self.limits.call_seconds
        if not self._ensure_alive():
            return [CallOutcome(CallStatus.UNAVAILABLE, error={"reason": self._dead_reason}) for _ in calls]
        # One walk over each call's arguments: a handle of an earlier child, and the bytes
        # its answer may hold by default (_allowance).
        stale, given = False, []
        for c in calls:
            size = 0
            if not c.kwargs:  # the common case first: arrays and plain numbers, no handle among them
                for a in c.args:
                    if type(a) is np.ndarray:
                        size += a.nbytes
                    elif type(a) not in _PLAIN:
                        break
                else:
                    given.append(size)
                    continue
                size = 0
            for a in _walk(c.args, c.kwargs):
                if isinstance(a, np.ndarray):
                    size += a.nbytes
                elif isinstance(a, Handle) and a.generation != self.generation:
                    stale = True
            given.append(size)
        arrays: list[np.ndarray] = []
        shared: dict[int, int] = {}  # the calls hold every array alive until the request is encoded
        reused: set[int] = set()
        wire_calls = []
        for c in calls:
            # Fields at the child's default are left out (a leaner header to write and parse).
            # copy=False: the arrays are the calls' own, and encode_frame below takes their bytes.
            wire: dict[str, Any] = {"func": c.func,
                                    "args": [encode_value(a, arrays, shared, reused, False) for a in c.args]}
            if c.kwargs:
                wire["kwargs"] = {k: encode_value(v, arrays, shared, reused, False) for k, v in c.kwargs.items()}
            if c.keep:
                wire["keep"] = list(c.keep)
            if c.return_args:
                wire["return_args"] = True
            if c.errstate:
                wire["errstate"] = c.errstate
            if c.substitute and serve is not None:
                wire["substitute"] = list(c.substitute)
            release = [h.id for h in c.release if not self._is_stale(h)]
            if release:
                wire["release"] = release
            if c.chain_len is not None:
                wire["chain_len"] = c.chain_len
            wire_calls.append(wire)
        self._next_id += 1
        rid = self._next_id
        if stale:
            return [CallOutcome(CallStatus.STALE) for _ in calls]
        header: dict[str, Any] = {"id": rid, "calls": wire_calls}
        if reused:  # arrays sent once for several uses: the child copies them for each
            header["shared"] = sorted(reused)
        request = encode_frame(header, arrays)
        outcomes = self._exchange_calls(calls, request, rid, per_call, serve, given)
        # The parent's word on chained calls is final: one whose earlier call gave nothing
        # to use, as decoded here, counts as not made, whatever the child did.
        for i, c in enumerate(calls):
            if chained[i] and outcomes[i].status not in (CallStatus.UNAVAILABLE, CallStatus.SKIPPED) \
                    and resolve_earlier(c, outcomes[:i]) is None:
                outcomes[i] = CallOutcome(CallStatus.SKIPPED)
        return outcomes

    def _exchange_calls(self, calls: list[Call], request: bytes, rid: int, per_call: float,
                        serve: Serve | None, given: list[int] | None = None) -> list[CallOutcome]:
        """Send ``request`` and collect one outcome per call (the rest of :meth:`call_many`;
        ``given``: the array bytes of each call's arguments, when already counted)."""
        outcomes: list[CallOutcome] = []
        kept = 0  # array bytes of this round trip's answers (Limits.round_trip_bytes)
        for i, call in enumerate(calls):
            start = time.monotonic()
            allowed = self._allowance(call, kept, None if given is None else given[i])
            status, frame, output = self._answer(call, request if i == 0 else b"", per_call, serve, allowed)
            elapsed = time.monotonic() - start
            if status != CallStatus.OK:
                self._dead_reason = status
                if status in (CallStatus.TIMEOUT, CallStatus.OUTPUT_LIMIT, CallStatus.CRASHED):
                    self._poisoned[_poison_key(call, serve)] = status
                self._kill()
                # A timeout of the whole submission's time is not this call's doing alone.
                spent = status == CallStatus.TIMEOUT and time.monotonic() >= self._deadline_total
                outcomes.append(CallOutcome(status, error={"limit": "total"} if spent else None, output=output,
                                            seconds=elapsed))
                outcomes += [CallOutcome(CallStatus.UNAVAILABLE, error={"reason": status})
                             for _ in calls[i + 1:]]
                return outcomes
            if frame.skipped:
                outcomes.append(CallOutcome(CallStatus.TOO_LARGE, error={"bytes": frame.skipped, "allowed": allowed},
                                            output=output, seconds=elapsed))
                continue
            size = sum(a.nbytes for a in frame.arrays)
            kept += size
            self.decoded_bytes += size
            outcomes.append(self._outcome(frame, rid, output, elapsed))
            if outcomes[-1].status == CallStatus.PROTOCOL:
                self._dead_reason = CallStatus.PROTOCOL
                self._kill()
                outcomes += [CallOutcome(CallStatus.UNAVAILABLE, error={"reason": CallStatus.PROTOCOL})
                             for _ in calls[i + 1:]]
                return outcomes
        return outcomes

    def _allowance(self, call: Call, kept: int, given: int | None = None) -> int:
        """The most array bytes the answer to ``call`` may hold and be kept (``given``:
        the array bytes of its arguments, counted here when not known)."""
        L = self.limits
        if call.answer_bytes is not None:
            expected = call.answer_bytes
        else:
            if given is None:
                given = sum(a.nbytes for a in _walk(call.args, call.kwargs) if isinstance(a, np.ndarray))
            expected = max(L.answer_min_bytes, L.answer_factor * given)
        return max(0, min(expected, L.round_trip_bytes - kept, L.grade_bytes - self.decoded_bytes))

    def _answer(self, call: Call, request: bytes, timeout: float,
                serve: Serve | None, allowed: int | None = None) -> tuple[CallStatus, Any, str]:
        """Wait for the answer to ``call``, serving its callbacks on the way; a frame
        with more than ``allowed`` array bytes is read past, not kept.

        The deadline covers the callbacks too. A callback the call did not ask for
        (no substitution running, or another name) is a protocol violation."""
        deadline = time.monotonic() + timeout
        outputs = []
        assert self._reader is not None
        self._reader.allowance = self.limits.frame_bytes if allowed is None else allowed
        while True:
            status, frame, output = self._exchange(request, max(deadline - time.monotonic(), 0.0))
            outputs.append(output)
            if status != CallStatus.OK or "callback" not in frame.header:
                return status, frame, "".join(outputs)
            name = frame.header.get("callback")
            if serve is None or not isinstance(name, str) or name not in call.substitute:
                return CallStatus.PROTOCOL, None, "".join(outputs)
            if frame.skipped:  # a building block asked about more numbers than the answer may hold
                request = encode_frame({"status": "error", "message": "the arguments are too large"}, [])
                continue
            self.decoded_bytes += sum(a.nbytes for a in frame.arrays)
            try:
                args = decode_value(frame.header.get("args"), frame.arrays, self.generation)
                kwargs = decode_value(frame.header.get("kwargs"), frame.arrays, self.generation)
            except ProtocolError:
                return CallStatus.PROTOCOL, None, "".join(outputs)
            request = encode_frame(*callback_answer(serve, name, args, kwargs))

    def _outcome(self, frame: Any, rid: int, output: str, elapsed: float) -> CallOutcome:
        if frame.header.get("id") != rid:
            return CallOutcome(CallStatus.PROTOCOL, output=output)
        return decode_outcome(frame.header, frame.arrays, self.generation, output, elapsed)

    def _is_stale(self, v: Any) -> bool:
        return isinstance(v, Handle) and v.generation != self.generation

    def _ensure_alive(self) -> bool:
        if self.alive:
            return True
        if self.load_report is None or not self.load_report.ok:
            return False
        if self.restarts >= self.limits.max_restarts or time.monotonic() >= self._deadline_total:
            return False
        self.restarts += 1
        self._kill()
        report = self._spawn()
        if not report.ok:
            self._dead_reason = report.status
            return False
        return True


def decode_outcome(h: dict[str, Any], arrays: list[np.ndarray], generation: int, output: str = "",
                   elapsed: float = 0.0) -> CallOutcome:
    """The outcome of one call from the child's answer header (validated as it goes)."""
    status = h.get("status")
    try:
        if status == "ok":
            value = decode_value(h.get("value"), arrays, generation)
            after = None
            if "args_after" in h:
                after = [decode_value(a, arrays, generation) for a in list(h["args_after"])[: W.MAX_ARGS_AFTER]]
            warns = [clean(str(w)[: W.MAX_WARNING_CHARS]) for w in list(h.get("warnings", []))[: W.MAX_WARNINGS]]
            return CallOutcome(CallStatus.OK, value=value, output=output, args_after=after,
                               warnings=warns, seconds=elapsed)
        if status == "missing":
            return CallOutcome(CallStatus.MISSING, output=output, seconds=elapsed)
        if status == "skipped":  # a chained call whose earlier call gave nothing to use
            return CallOutcome(CallStatus.SKIPPED, output=output, seconds=elapsed)
        if status == "error":
            err = h.get("error") or {}
            err = {k: clean(str(err.get(k, ""))[: W.MAX_ERROR_FIELD]) for k in ("kind", "type", "message", "traceback")}
            kind = CallStatus.NOT_IMPLEMENTED if err["kind"] == "not_implemented" else CallStatus.ERROR
            return CallOutcome(kind, error=err, output=output, seconds=elapsed)
    except (ProtocolError, TypeError, AttributeError):
        pass
    return CallOutcome(CallStatus.PROTOCOL, output=output)


def _walk(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Iterator[Any]:
    stack = list(args) + list(kwargs.values())
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(v)
        elif isinstance(v, dict):
            stack.extend(v.values())
        else:
            yield v
