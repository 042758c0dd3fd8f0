"""One function run in a forked copy of this process while this process goes on.

After ``rnngrade grade`` has its result, what is left is independent work on one
core (the terminal summary, results.json, the HTML report) while the other core is
idle: the report's render (its imports and the template, ~50 ms) is the longest part.
:func:`start` forks; the copy runs the function on the state of the moment (copy on
write: nothing is pickled on the way in) and sends back what it returned, pickled;
:meth:`Forked.result` waits for it. The function must be a pure computation whose
value is small to send (a rendered text): whatever it writes or changes stays in
the copy. So the caller keeps every side effect (writing the file) where and in the
order it always had it.

What the function raises is raised again by :meth:`~Forked.result` (the same
exception, the copy's traceback added as a note), so a failure is reported and ends
the command as it did without the fork. Where no fork is possible (no ``os.fork``,
another thread running, fork failing) or the copy ends without an answer (killed,
crashed), the function is run here, in :meth:`~Forked.result`: the value is the same,
only later.

The copy never returns to the caller's code: it leaves with ``os._exit`` (no
``atexit`` callbacks, no buffered output flushed a second time, no click callbacks).
"""

from __future__ import annotations

import os
import pickle
import select
import sys
import traceback
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")

_PIPE_BYTES = 1 << 20  # a report (~250 KB) fits: the copy exits without waiting to be read


def _can_fork() -> bool:
    if not hasattr(os, "fork"):
        return False
    threading = sys.modules.get("threading")
    return threading is None or threading.active_count() <= 1  # a fork copies one thread only


class Forked(Generic[T]):
    """``fn(*args)`` in a forked copy of this process (see the module docstring)."""

    def __init__(self, fn: Callable[..., T], *args: Any, fork: bool = True) -> None:
        self._fn, self._args = fn, args
        self._pid = 0
        self._rd = -1
        if fork and _can_fork():
            self._fork()

    @property
    def forked(self) -> bool:
        """The function runs in a copy (False: it will run here, in :meth:`result`)."""
        return self._pid != 0

    def _fork(self) -> None:
        rd, wr = os.pipe()
        try:
            import fcntl

            fcntl.fcntl(wr, getattr(fcntl, "F_SETPIPE_SZ", 1031), _PIPE_BYTES)
        except (OSError, ImportError):
            pass
        try:
            pid = os.fork()
        except OSError:
            os.close(rd)
            os.close(wr)
            return
        if pid == 0:  # the copy
            status = 0
            try:
                os.close(rd)
                try:
                    answer: tuple[Any, ...] = (True, self._fn(*self._args))
                except BaseException as exc:  # noqa: BLE001 - sent to the caller, raised there
                    answer = (False, exc, traceback.format_exc())
                try:
                    data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
                except Exception:  # noqa: BLE001 - an exception that cannot be pickled
                    data = pickle.dumps((False, None, answer[-1] if not answer[0] else traceback.format_exc()))
                view = memoryview(data)
                while view:
                    view = view[os.write(wr, view):]
            except BaseException:  # noqa: BLE001 - no answer: the caller runs the function itself
                status = 1
            finally:
                os._exit(status)
        os.close(wr)
        self._pid, self._rd = pid, rd

    def _collect(self) -> bytes:
        """Everything the copy sent (until it closed its end), and the copy reaped."""
        chunks: list[bytes] = []
        try:
            while True:
                select.select([self._rd], [], [])
                chunk = os.read(self._rd, _PIPE_BYTES)
                if not chunk:
                    break
                chunks.append(chunk)
        finally:
            os.close(self._rd)
            self._rd = -1
            self._reap()
        return b"".join(chunks)

    def _reap(self) -> None:
        if self._pid:
            try:
                os.waitpid(self._pid, 0)
            except ChildProcessError:  # reaped by someone else (a sweep of this process's children)
                pass
            self._pid = 0

    def result(self) -> T:
        """What the function returned (waiting for the copy); what it raised, raised here."""
        if not self._pid:
            return self._fn(*self._args)
        data = self._collect()
        try:
            answer = pickle.loads(data)
        except Exception:  # noqa: BLE001 - no answer (the copy killed or crashed): run it here
            return self._fn(*self._args)
        if answer[0]:
            return answer[1]
        exc, where = answer[1], answer[2]
        if exc is None:  # not picklable: the copy's traceback says what it was
            raise RuntimeError(f"the forked function failed:\n{where}")
        exc.add_note(f"(raised in a forked copy of the process)\n{where}")
        raise exc

    def cancel(self) -> None:
        """Stop the copy and forget its answer (the caller failed before it needed it)."""
        if self._pid:
            try:
                os.kill(self._pid, 9)
            except ProcessLookupError:
                pass
            os.close(self._rd)
            self._rd = -1
            self._reap()


def start(fn: Callable[..., T], *args: Any, fork: bool = True) -> Forked[T]:
    """``fn(*args)`` started in a forked copy of this process (run later, here, where
    that is not possible or ``fork`` is False); :meth:`Forked.result` gives its value."""
    return Forked(fn, *args, fork=fork)
