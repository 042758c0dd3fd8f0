"""Leaving the process at once when a command has nothing left to do.

After ``rnngrade grade`` has written its last byte, the interpreter's own exit still
takes 20-50 ms: it tears down every module and object of the grade (the results, the
report, numpy, jinja2) one by one, and runs a final garbage collection over them, all
for memory the operating system takes back anyway.

A command that has finished everything calls :func:`request`. The command line's
entry point (:class:`grader.cli` ``main``, run as a program, not from a test's
``CliRunner``) then hands the ``SystemExit`` it ends with to :func:`leave`, which does
what the interpreter would do with it and skips only the teardown:

1. the exit status from the exit's code, as Python computes it (``None``: 0; an int:
   itself; anything else: printed to stderr, status 1);
2. nothing while another (non-daemon) thread runs: the interpreter would wait for it,
   so the ordinary exit is taken;
3. every ``atexit`` callback, in the interpreter's order (temporary folders made with
   :mod:`tempfile` are removed by one of them, ``weakref.finalize``'s);
4. stdout and stderr flushed (an error there gives status 120, as the interpreter's);
5. ``os._exit`` with that status.

Click's close callbacks (the prelaunched child discarded: ``grader.sandbox.prelaunch``)
have all run before the ``SystemExit`` leaves click's ``main``. Where this module
cannot do step 3 (a Python without ``atexit._run_exitfuncs``), the exit is the ordinary
one.
"""

from __future__ import annotations

import atexit
import os
import sys
from typing import Any, NoReturn

_requested = False


_program = False


def as_program() -> None:
    """Say that this process runs the command line as the program (not a test's
    ``CliRunner``): the process is the command's own, its signals the command's to set."""
    global _program
    _program = True


def is_program() -> bool:
    return _program


def request() -> None:
    """Say that the running command has written everything and may leave at once."""
    global _requested
    _requested = True


def requested() -> bool:
    return _requested


def status_of(code: Any) -> int:
    """The process's exit status for ``SystemExit(code)`` (the interpreter's rule)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF  # what the C exit() keeps: -1 is 255
    try:
        print(code, file=sys.stderr)
    except Exception:  # noqa: BLE001 - the interpreter ignores this too
        pass
    return 1


def possible() -> bool:
    """No other thread to wait for, and the ``atexit`` callbacks can be run from here."""
    if not hasattr(atexit, "_run_exitfuncs"):
        return False
    threading = sys.modules.get("threading")
    if threading is None:
        return True
    main = threading.main_thread()
    return not any(t is not main and t.is_alive() and not t.daemon for t in threading.enumerate())


def leave(code: Any) -> NoReturn:
    """Exit the process now with the status of ``SystemExit(code)``: the ``atexit``
    callbacks run, stdout and stderr flushed, no teardown."""
    status = status_of(code)
    atexit._run_exitfuncs()  # what CPython's own exit runs
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # a closed pipe: the interpreter's status for it
            status = status or 120
    os._exit(status)
