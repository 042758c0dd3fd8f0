"""A small pool of grading processes that knows which student each one is grading.

``concurrent.futures.ProcessPoolExecutor`` cannot say which task a dead worker was
running: when a worker is killed (the OOM killer, a signal) every pending future
fails with ``BrokenProcessPool``, innocent students included, and a worker that hangs
holds the whole class. Here each worker grades one student at a time, and the
parent waits on every worker's pipe and process sentinel at once, so:

* a grader exception becomes that student's ``error`` outcome, the worker goes on;
* a worker that dies (killed by a signal, or exiting without an answer, e.g. a
  broken pipe) costs only the student it was grading (``died``); a fresh worker takes
  its place;
* a student taking longer than ``timeout`` seconds is stopped (``timeout``): its
  worker is terminated (SIGTERM, so the sandbox it runs is closed, then SIGKILL
  after a grace period) and replaced;
* :meth:`WorkerPool.close` (also on Ctrl-C or SIGTERM in the parent) terminates every
  worker the same way, and a worker whose parent dies gets SIGTERM from the kernel
  (``PR_SET_PDEATHSIG`` on Linux), so no worker is ever left orphaned.

Workers ignore SIGINT: Ctrl-C reaches the whole foreground process group, and the
parent alone decides what happens (stop, record what is done, say how to resume).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from ..untrusted import clean

OK, ERROR, DIED, TIMEOUT = "ok", "error", "died", "timeout"
GRACE_SECONDS = 3.0  # between SIGTERM and SIGKILL when a worker is stopped


@dataclass
class Outcome:
    """What became of one task: ``status`` is ok, error, died or timeout."""

    status: str
    value: Any = None
    detail: str = ""


@dataclass
class _Worker:
    process: Any  # multiprocessing.Process
    conn: Connection
    task: Any = None  # (key, args) being graded, or None when idle
    started: float = 0.0


class WorkerPool:
    """``jobs`` processes running ``target(*args)`` for one task at a time each."""

    def __init__(self, jobs: int, target: Callable[..., Any], timeout: float | None = None,
                 zygote: bool = False) -> None:
        self.jobs = max(1, jobs)
        self.target = target
        self.timeout = timeout
        # Each worker starts a fork server for its students' sandboxed children
        # (grader.sandbox.zygote: where the machine allows it; ``target`` uses it).
        self.zygote = zygote
        # fork: workers start warm (the grader and numpy already imported by the parent's
        # first import) and need not pickle ``target``; spawn where fork does not exist.
        methods = multiprocessing.get_all_start_methods()
        self._ctx = multiprocessing.get_context("fork") if "fork" in methods else multiprocessing.get_context("spawn")
        self._workers: list[_Worker] = []

    # ------------------------------------------------------------------ running
    def run(self, tasks: Iterable[tuple[str, tuple[Any, ...]]], done: Callable[[str, Outcome], None]) -> None:
        """Run every ``(key, args)`` task; ``done(key, outcome)`` is called in this
        process as each finishes, in completion order. ``tasks`` is consumed lazily, one
        task as a worker becomes free (with one read ahead), so a generator that builds
        large arguments holds at most ``jobs + 1`` of them. Exceptions from ``done`` or
        ``tasks`` and interrupts (KeyboardInterrupt, SystemExit) stop the pool and
        propagate."""
        source = iter(tasks)
        _become_subreaper()
        try:
            task = next(source, None)
            while task is not None or any(w.task is not None for w in self._workers):
                while task is not None:
                    worker = self._idle()
                    if worker is None:
                        break
                    self._start(worker, task)
                    task = next(source, None)
                self._wait_once(done)
        finally:
            self.close()

    def _idle(self) -> _Worker | None:
        """An idle live worker, spawning one if there is room; None when all are busy."""
        for w in [w for w in self._workers if w.task is None and not w.process.is_alive()]:
            self._replace(w)  # died between tasks
        for w in self._workers:
            if w.task is None:
                return w
        if len(self._workers) < self.jobs:
            worker = self._spawn()
            self._workers.append(worker)
            return worker
        return None

    def _spawn(self) -> _Worker:
        parent_conn, child_conn = self._ctx.Pipe(duplex=True)
        process = self._ctx.Process(target=_serve, args=(child_conn, os.getpid(), self.target, self.zygote),
                                    daemon=True)
        process.start()
        child_conn.close()
        return _Worker(process, parent_conn)

    def _start(self, worker: _Worker, task: tuple[str, tuple[Any, ...]]) -> None:
        worker.task, worker.started = task, time.monotonic()
        try:
            worker.conn.send(task[1])
        except (OSError, ValueError):  # the worker is gone already: its sentinel says so next
            pass

    def _wait_once(self, done: Callable[[str, Outcome], None]) -> None:
        busy = [w for w in self._workers if w.task is not None]
        timeout = None
        if self.timeout is not None and busy:
            now = time.monotonic()
            timeout = max(0.0, min(w.started + self.timeout - now for w in busy))
        handles: dict[Any, _Worker] = {}
        for w in busy:
            handles[w.conn] = w
            handles[w.process.sentinel] = w
        ready = wait(list(handles), timeout) if handles else []
        finished: set[int] = set()
        for handle in ready:
            w = handles[handle]
            if id(w) in finished or w.task is None:
                continue
            finished.add(id(w))
            key = w.task[0]
            outcome = self._receive(w)
            w.task = None
            if outcome.status != OK and outcome.status != ERROR:
                self._replace(w)
            done(key, outcome)
        if self.timeout is not None:
            now = time.monotonic()
            for w in [w for w in self._workers if w.task is not None and now - w.started >= self.timeout]:
                key = w.task[0]
                w.task = None
                self._replace(w)
                done(key, Outcome(TIMEOUT, detail=f"{self.timeout:g}"))

    def _receive(self, w: _Worker) -> Outcome:
        """The answer of a worker whose pipe or sentinel is ready."""
        if w.conn.poll():
            try:
                status, value = w.conn.recv()
            except (EOFError, OSError) as exc:  # the pipe broke mid-message
                return Outcome(DIED, detail=_exit_detail(w, f"{type(exc).__name__}"))
            except Exception as exc:  # noqa: BLE001 - an answer that cannot be unpickled
                return Outcome(ERROR, detail=f"{type(exc).__name__}: {clean(str(exc))[:300]}")
            return Outcome(OK, value=value) if status == OK else Outcome(ERROR, detail=str(value))
        return Outcome(DIED, detail=_exit_detail(w, "no answer"))

    def _replace(self, w: _Worker) -> None:
        """Stop a worker that died, hung or broke its pipe; a new one is spawned on demand."""
        _stop([w])
        self._workers.remove(w)
        _sweep_orphans()

    # ------------------------------------------------------------------ stopping
    def close(self) -> None:
        """Stop every worker: idle ones get their end-of-work message, busy ones SIGTERM
        (then SIGKILL after ``GRACE_SECONDS``); all are joined. A second Ctrl-C or SIGTERM
        arriving meanwhile waits until this is done (then it is raised as usual), so an
        impatient user cannot leave workers behind."""
        workers, self._workers = self._workers, []
        blocked = _block_stop_signals()
        try:
            for w in workers:
                if w.task is None:
                    try:
                        w.conn.send(None)
                    except (OSError, ValueError):
                        pass
            _stop(workers)
            _sweep_orphans()
        finally:
            if blocked is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def _block_stop_signals() -> set[int | signal.Signals] | None:
    if not hasattr(signal, "pthread_sigmask"):
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})


def _stop(workers: list[_Worker]) -> None:
    alive = [w for w in workers if w.process.is_alive()]
    for w in alive:
        if w.task is not None:
            _signal(w.process.pid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for w in alive:
        w.process.join(max(0.0, deadline - time.monotonic()))
    for w in workers:
        if w.process.is_alive():
            _signal(w.process.pid, signal.SIGKILL)
            w.process.join(5)
        w.conn.close()


def _signal(pid: int | None, sig: int) -> None:
    if pid is not None:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def _exit_detail(w: _Worker, fallback: str) -> str:
    w.process.join(1.0)
    code = w.process.exitcode
    if code is None:
        return fallback
    if code < 0:
        try:
            return f"signal {-code} ({signal.Signals(-code).name})"
        except ValueError:
            return f"signal {-code}"
    return f"exit status {code}"


# ------------------------------------------------------------------ the worker's side
def _serve(conn: Connection, parent: int, target: Callable[..., Any], zygote: bool = False) -> None:
    """A worker: grade what the parent sends, one task at a time, until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C for everyone
    signal.signal(signal.SIGTERM, _terminated)  # finally-blocks run: the sandbox child is closed
    _die_with(parent)
    code = 0
    if zygote:
        from ..sandbox import zygote as forks

        forks.start()  # it gets ready while this worker waits for its first student
    try:
        while True:
            try:
                args = conn.recv()
            except (EOFError, OSError):
                break
            if args is None:
                break
            try:
                reply = (OK, target(*args))
            except Exception as exc:  # noqa: BLE001 - a grader failure on one student: report it, go on
                reply = (ERROR, f"{type(exc).__name__}: {clean(str(exc))[:300]}")
            try:
                conn.send(reply)
            except (OSError, ValueError):
                break
            except Exception as exc:  # noqa: BLE001 - an answer that cannot be pickled
                conn.send((ERROR, f"{type(exc).__name__}: {clean(str(exc))[:300]}"))
    except SystemExit:
        code = 143
    finally:
        if zygote:
            forks.stop()
        sys.stdout.flush()
        os._exit(code)  # never run the parent's atexit handlers or finalisers inherited by fork


def _terminated(signum: int, frame: Any) -> None:
    raise SystemExit(143)


def _die_with(parent: int) -> None:
    """Ask the kernel to send SIGTERM when the parent dies (Linux), and leave at once
    if it is already gone."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        os._exit(0)


def _become_subreaper() -> None:
    """Processes orphaned by a killed worker (its sandbox child) are re-parented to us,
    so :func:`_sweep_orphans` can end them."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
        except (OSError, AttributeError):
            pass


def _sweep_orphans() -> None:
    """Kill processes re-parented to us that left our session: what a killed worker
    leaves behind (its sandbox child runs in a session of its own)."""
    if not os.path.isdir("/proc"):
        return
    me, my_sid = os.getpid(), os.getsid(0)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().decode(errors="replace").rsplit(")", 1)[1].split()
            ppid, sid = int(fields[1]), int(fields[3])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == me and sid != my_sid:
            try:
                os.killpg(int(entry), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                _signal(int(entry), signal.SIGKILL)
            try:
                os.waitpid(int(entry), 0)
            except (ChildProcessError, OSError):
                pass
