"""A sandboxed child started before the parent has read the submission.

(:func:`forked`: the same, forked by a batch worker's fork server.)

Starting the child (bubblewrap, the interpreter, numpy, the harness: ~90 ms) and
the parent's own preparation (importing the grading code, reading the course, the
snapshot and the reference: ~150 ms) are independent; a command that grades one
submission (``rnngrade grade``) starts the child first, so both happen at once on
two cores. The child binds an empty private folder that the parent fills later
(:func:`grader.submission.prepare` with ``root=``) and runs no student code before
its load request (:meth:`~grader.sandbox.session.Sandbox.start`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from .isolation import probe
from .launch import Started, expected, start_child

if TYPE_CHECKING:  # imported once the children are started: it imports numpy (~50 ms)
    from .session import Sandbox


def prelaunch(second: bool = False) -> Sandbox | None:
    """A child launched at the level :func:`~grader.sandbox.isolation.probe` finds, with
    an empty private folder as its ``root``; None where it cannot be started (grading
    then starts its own child and says why, as without this).

    With ``second``, another child on the same folder, started at the same time, for a
    grade split over two processes (:mod:`grader.split`: the helper's child, ready when
    the helper starts): the first's ``second`` (None where it could not be started).

    Nothing heavy is imported before the children are started: this module and
    :mod:`grader.sandbox.launch` import neither numpy nor the grading code."""
    root = None
    started: list[Started] = []
    try:
        isolation = expected()  # bubblewrap's check runs meanwhile; grading uses the child only at probe()'s level
        root = Path(tempfile.mkdtemp(prefix="rnngrade-sub-"))
        os.chmod(root, 0o755)
        started.append(start_child(root, isolation))
        if second:
            try:
                started.append(start_child(root, isolation))
            except (OSError, RuntimeError, subprocess.SubprocessError):
                pass
        from .session import Sandbox

        children = [Sandbox.launched(s, root, isolation) for s in started]
    except BaseException as exc:  # an interrupt (Ctrl-C in numpy's import) too: nothing left behind
        for s in started:
            _stop(s)
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)
        if isinstance(exc, (OSError, RuntimeError, subprocess.SubprocessError)):
            return None
        raise
    first = children[0]
    first.second = children[1] if len(children) > 1 else None
    return first


# Children launched by the program's entry point (grader.entry) for the grade it is about
# to run, before the command line's own layer is imported; the grade takes them.
_early: dict[str, Sandbox | None] = {}


def launch_early(second: bool = False) -> None:
    """Launch a grade's children now (:func:`prelaunch`), for :func:`take` to hand to
    the grade; :func:`discard_early` stops them where no grade took them."""
    _early["grade"] = prelaunch(second=second)


def take(second: bool = False) -> Sandbox | None:
    """The children :func:`launch_early` launched (the caller owns them from now on),
    else children launched now, as :func:`prelaunch` does."""
    if "grade" in _early:
        return _early.pop("grade")
    return prelaunch(second=second)


def discard_early() -> None:
    """Stop children launched early that no grade took (the command line refused its
    arguments before the command ran, or asked for its help)."""
    discard(_early.pop("grade", None))


def _stop(started: Started) -> None:
    """A started child that no sandbox took: killed, collected, its folder and cgroup removed."""
    proc = started.proc
    try:
        os.killpg(proc.pid, 9)
    except OSError:
        pass
    proc.kill()
    proc.wait()
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
    os.close(started.resp_r)
    if started.group is not None:
        started.group.kill()
    shutil.rmtree(started.workdir, ignore_errors=True)


def discard(sandbox: Sandbox | None) -> None:
    """Stop a launched child (and its ``second``) and remove its folder (after grading, or unused)."""
    if sandbox is not None:
        sandbox.close()  # (the split's helper first, when the grade left it to be collected here)
        if sandbox.second is not None:
            sandbox.second.close()
        shutil.rmtree(sandbox.root, ignore_errors=True)


def forked() -> Sandbox | None:
    """In a process with a fork server (:func:`grader.sandbox.zygote.start`: a batch
    worker), a sandbox with an empty folder of the server's spool as its ``root`` and
    its child forked, waiting for its load request: the caller fills ``root``, passes
    the sandbox to grading as a launched child (``grader.api.grade(launched=...)``),
    then :func:`discard` s it. None without a server; where the server fails, the child
    is started the ordinary way on the same folders (``forked`` is then False)."""
    from . import zygote as forks

    zygote = forks.current()
    if zygote is None:
        return None
    from .session import Sandbox

    try:
        root = zygote.folder("sub-", 0o755)
    except OSError:
        return None
    sandbox = Sandbox(root, [], [], isolation=probe(), zygote=zygote)
    try:
        sandbox.launch()
    except (OSError, RuntimeError, subprocess.SubprocessError):
        sandbox.close()
        shutil.rmtree(root, ignore_errors=True)
        return None
    if sandbox.forked:  # otherwise the server failed and this child was started the ordinary way
        forks.succeeded()
    return sandbox

