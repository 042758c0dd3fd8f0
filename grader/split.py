"""One grade's checks split over two processes, where the machine has two cores for it.

A grade from the command line spends most of its wall time in the checks, one call after
another in one sandboxed child, while the other core waits. Here the parent forks a
trusted helper (a copy of itself, after its imports, the snapshot and the reference) that
grades a share of the exercises in a SECOND sandboxed child on the same submission, while
the parent grades the rest in its own child. The command launches that second child with
its first, before it imports anything heavy (grader.sandbox.prelaunch): the helper takes
it over ready (a child of the parent's: the helper talks to it over the inherited pipes and
stops it by its pidfd; the parent collects it), and starts one of its own only to replace
it after a crash, or where none was launched. The shares are planned by a cost model
(:func:`plan`: each exercise's checks and building blocks, the helper's child start where
it has one to make) so that the later of the two finishes soonest; each share grades
first what the other waits for. The experiments, independent jobs that need only a child
that has made all its calls, are shared out as the two finish (a pipe of one byte per
experiment, the longest first). The helper sends its last frame before it stops its
child, so the parent goes on at once; it is collected when the caller is done (the
command's discard). Only where two cores are usable and not busy (:func:`wanted`).

Over 400 lines: the plan, the frames and the two ends of one exchange (the helper's and
the parent's, with the fallback) hold one set of invariants; apart, each would have to
restate the others'.

What makes the merged grade the unsplit one:

- a composite's first pass needs the first-pass results of the exercises it builds on
  (policy rule 4, :func:`grader.checks.engine.run_first`): each process sends the other
  those it needs as soon as they are made, and waits for those it needs from the other.
  Both follow one building-blocks-first order, so neither can wait for the other in a
  circle;
- each process runs the second pass of its own exercises after all its other checks, in
  the child that ran their first pass (its handles and memo live there): "after all
  other calls" holds in each child;
- what spans exercises (:func:`grader.checks.engine.finish`) runs once, in the parent, on
  the merged results in the order given;
- inputs are drawn per check from the student's seed (``Context.rng``), never from a
  shared stream, so which process draws them changes nothing;
- each experiment runs in a child after all that child's checks, on inputs of its own
  (seeded), and they are merged in their order: which child ran which changes nothing.

A helper that cannot start its child, raises, dies or sends something unreadable is
dropped: the parent grades that share itself, in its own child, as an unsplit grade
would (the grade is the same; only slower). The helper's frames are pickles from a
process with exactly the parent's trust (a fork of it, running only the grader's code; the
student's code runs in its sandboxed child, behind the same wire as the parent's).
"""

from __future__ import annotations

import dataclasses
import fcntl
import heapq
import os
import pickle
import select
import shutil
import struct
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the check engine (and numpy) imported where used: wanted() is asked before they are
    from .checks.engine import Exercise, ExerciseResult
    from .checks.model import Context

_OFF = ("0", "no", "off", "false")
_ENV = "RNNGRADE_SPLIT"
_HEADER = struct.Struct("<Q")
_PIPE_BYTES = 1 << 20
# The longest the parent waits for the helper's next frame before it drops it and grades
# the share itself (a helper's child has its own time limits; this only guards against a
# helper that stopped without dying).
WAIT_SECONDS = 600.0


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def load() -> float:
    """The machine's load average over the last minute (0 where it cannot be read)."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return 0.0


def wanted() -> bool:
    """A grade is split where two cores are usable and the machine is not oversubscribed
    (the load average under twice their number), unless ``RNNGRADE_SPLIT`` says 0 (never)
    or 1 (whatever the load). Measured on 2 cores (bench_cli.py): idle, 560 ms split
    against 682 ms not; at a load of 4.4-5.5 (other developers' test suites), 621 against
    756 ms. The load average counts the grader's own recent runs: a student grading
    again and again keeps it near 1.5-2 on an otherwise idle 2-core machine, where a
    gate at "half a core idle" turned the split off for nothing."""
    setting = os.environ.get(_ENV, "").strip().lower()
    if setting in _OFF or not hasattr(os, "fork"):
        return False
    cores = usable_cores()
    return cores >= 2 and (setting in ("1", "yes", "on", "true") or load() < 2 * cores)


def _blocks(exercises: list[Exercise]) -> dict[str, set[str]]:
    """Every exercise's building blocks among ``exercises``, transitively."""
    by_name = {ex.name: ex for ex in exercises}
    out: dict[str, set[str]] = {}

    def visit(name: str, path: tuple[str, ...]) -> set[str]:
        if name in out:
            return out[name]
        found: set[str] = set()
        for block in by_name[name].builds_on:
            if block in by_name and block not in path:
                found |= {block} | visit(block, path + (name,))
        out[name] = found
        return found

    for ex in exercises:
        visit(ex.name, ())
    return out


def cost(ex: Exercise, blocks: set[str]) -> int:
    """An estimate of an exercise's grading time, in units of about a millisecond and a
    half on the development machine: its checks, each running the exercise's own
    functions and, in a composite, its building blocks' (a recurrent model's loss runs
    every step and layer under it, its gradient checks many times)."""
    return len(ex.checks) * (1 + len(blocks))


# The helper's own child must start before it grades (bubblewrap, Python, numpy), and the
# experiments run after the checks in whichever child runs them; both in cost units.
START_COST = 100
EXPERIMENTS_COST = 30  # ~45 ms since the experiments were made cheaper (width 128, batch 32)


@dataclass(frozen=True)
class Plan:
    """Who grades what: ``mine`` (this process) and ``theirs`` (the helper), each in an
    order that grades every building block before its composites; ``experiments``:
    which of the two runs the experiments ("mine" or "theirs"; "either": the first of
    the two to finish its share, whichever it is on the day)."""

    mine: list[Exercise]
    theirs: list[Exercise]
    experiments: str = "mine"


def _ordered(share: list[Exercise], first: set[str], last: set[str]) -> list[Exercise]:
    """``share`` (in running order) with the exercises in ``first`` as early and those in
    ``last`` as late as their building blocks allow."""
    names = {ex.name for ex in share}
    rank = {ex.name: (0 if ex.name in first else 2 if ex.name in last else 1, i) for i, ex in enumerate(share)}
    by_name = {ex.name: ex for ex in share}
    waiting = {ex.name: {b for b in ex.builds_on if b in names} for ex in share}
    users: dict[str, list[str]] = {}
    for name, blocks in waiting.items():
        for block in blocks:
            users.setdefault(block, []).append(name)
    ready = [rank[n] + (n,) for n, blocks in waiting.items() if not blocks]
    heapq.heapify(ready)
    out: list[Exercise] = []
    while ready:  # the best-ranked exercise whose blocks are all placed, each time
        name = heapq.heappop(ready)[-1]
        out.append(by_name[name])
        del waiting[name]
        for user in users.get(name, ()):
            waiting[user].discard(name)
            if not waiting[user]:
                heapq.heappush(ready, rank[user] + (user,))
    if waiting:  # a cycle of builds_on (never in the specs): the rest as given
        out += [by_name[n] for n in sorted(waiting, key=rank.__getitem__)]
    return out


def _arrange(order: list[Exercise], theirs: set[str], blocks: dict[str, set[str]],
             experiments: str) -> Plan:
    mine_names = {ex.name for ex in order} - theirs
    # What the other side waits for goes first; what waits for the other side goes last.
    wanted_by = {side: {b for n in names for b in blocks[n]}
                 for side, names in (("mine", mine_names), ("theirs", theirs))}
    depends = {n for n in mine_names if blocks[n] & theirs} | {n for n in theirs if blocks[n] & mine_names}
    mine = _ordered([ex for ex in order if ex.name in mine_names], wanted_by["theirs"], depends)
    their = _ordered([ex for ex in order if ex.name in theirs], wanted_by["mine"], depends)
    return Plan(mine, their, experiments)


def _makespan(plan: Plan, costs: dict[str, int], with_experiments: bool, start: float | None = None) -> float:
    """When the later of the two finishes, each grading its share in order and waiting
    for a building block the other grades (the model :func:`plan` minimises; ``start``:
    the helper's child start)."""
    start = START_COST if start is None else start
    clock = {"mine": 0.0, "theirs": float(start) if plan.theirs else 0.0}
    queue = {"mine": plan.mine, "theirs": plan.theirs}
    at = {"mine": 0, "theirs": 0}
    done: dict[str, float] = {}
    while at["mine"] < len(plan.mine) or at["theirs"] < len(plan.theirs):
        moved = False
        for side in ("mine", "theirs"):
            while at[side] < len(queue[side]):
                ex = queue[side][at[side]]
                blocks = [b for b in ex.builds_on if b in costs]
                if any(b not in done for b in blocks):
                    break
                begin = max([clock[side]] + [done[b] for b in blocks])
                clock[side] = done[ex.name] = begin + costs[ex.name]
                at[side] += 1
                moved = True
        if not moved:
            return float("inf")  # each waits for the other: never planned
    if with_experiments:
        side = plan.experiments if plan.experiments != "either" else min(clock, key=clock.__getitem__)
        clock[side] += EXPERIMENTS_COST
    return max(clock.values())


def plan(exercises: list[Exercise], experiments: bool = False, start: float | None = None) -> Plan:
    """:func:`search`'s plan, kept between processes (``rnngrade.cache/parsed``, see
    :mod:`grader.i18n.parsed_cache`: the names of each share, by a digest of everything
    the search reads, its code and the check engine's included): a command grades one
    submission per process, and the search is ~10-20 ms of CPU on the parent's path
    before the helper is forked."""
    from .checks import engine
    from .i18n import parsed_cache

    start = START_COST if start is None else start
    inputs = repr(([(ex.name, len(ex.checks), tuple(ex.builds_on)) for ex in exercises],
                   bool(experiments), float(start), EXPERIMENTS_COST))
    name = parsed_cache.digest("split-plan", [inputs.encode(), Path(__file__).read_bytes(),
                                              Path(engine.__file__).read_bytes()])
    kept = parsed_cache.cached(name, lambda: _names(search(exercises, experiments, start)))
    by_name = {ex.name: ex for ex in exercises}
    try:
        mine, theirs, side = kept
        if sorted(mine + theirs) == sorted(by_name) and side in ("mine", "theirs", "either"):
            return Plan([by_name[n] for n in mine], [by_name[n] for n in theirs], side)
    except (KeyError, TypeError, ValueError):
        pass
    return search(exercises, experiments, start)  # not a plan of these exercises: searched again


def _names(found: Plan) -> list[Any]:
    return [[ex.name for ex in found.mine], [ex.name for ex in found.theirs], found.experiments]


def search(exercises: list[Exercise], experiments: bool = False, start: float | None = None) -> Plan:
    """The share of each process that finishes soonest by the cost model (:func:`cost`,
    the helper's child start (``start``: :data:`START_COST`, or 0 where its child was
    launched with the parent's and is ready with it), the experiments where asked): from everything here, one
    exercise moved to the other side at a time while that makes the later of the two
    finish sooner; the experiments, which score nothing and need only a child that has
    made all its calls, go to whichever of the two finishes its share first ("either":
    the estimate is rough, the second passes are not in it at all). Each share is ordered so that what the other side
    waits for comes first. ``theirs`` is empty where splitting gains nothing."""
    from .checks import engine

    order = engine.running_order(exercises)
    blocks = _blocks(exercises)
    direct = {ex.name: {b for b in ex.builds_on if b in blocks} for ex in order}
    costs = {ex.name: cost(ex, blocks[ex.name]) for ex in order}
    best = _arrange(order, set(), direct, "mine")
    best_time = _makespan(best, costs, experiments, start)
    while True:
        theirs = {ex.name for ex in best.theirs}
        tries = [theirs ^ {ex.name} for ex in order]
        scored: list[tuple[float, int, Plan]] = []
        for names in tries:
            candidate = _arrange(order, names, direct, "either" if names and experiments else "mine")
            scored.append((_makespan(candidate, costs, experiments, start), len(scored), candidate))
        time_, _, candidate = min(scored, key=lambda t: (t[0], t[1]))
        if time_ >= best_time:
            return best
        best, best_time = candidate, time_


# ------------------------------------------------------------------ frames between the two
def _widen(fd: int) -> None:
    try:
        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), _PIPE_BYTES)
    except OSError:
        pass


def _send(fd: int, message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _read_exactly(fd: int, n: int, deadline: float) -> bytes | None:
    chunks: list[bytes] = []
    while n:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return None
        chunk = os.read(fd, min(n, _PIPE_BYTES))
        if not chunk:
            return None  # the other side is gone
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _receive(fd: int, wait: float = WAIT_SECONDS) -> Any:
    """The next message, or None when the other side is gone, silent too long or garbled."""
    deadline = time.monotonic() + wait
    head = _read_exactly(fd, _HEADER.size, deadline)
    if head is None:
        return None
    body = _read_exactly(fd, _HEADER.unpack(head)[0], deadline)
    if body is None:
        return None
    try:
        return pickle.loads(body)
    except Exception:  # a helper that died mid-frame: treated as gone
        return None


# ------------------------------------------------------------------------------ the helper
def _claim(token: int) -> int | None:
    """The next experiment from the token pipe the two processes share (one byte per
    experiment, its index; a read of one byte is atomic: each is taken once); None when
    none is left (or there is no pipe)."""
    if token < 0:
        return None
    try:
        byte = os.read(token, 1)
    except (BlockingIOError, OSError):
        return None
    return byte[0] if byte else None


def _run_claimed(token: int, jobs: list[Callable[[Context], Any]], ctx: Context) -> dict[int, Any]:
    """Run the experiments this process takes from the token pipe, one at a time."""
    ran: dict[int, Any] = {}
    while (i := _claim(token)) is not None:
        ran[i] = jobs[i](ctx)
    return ran


def _helper(share: list[Exercise], given: list[Exercise], ctx: Context,
            start: Callable[[], Any], needs_from_parent: set[str], parent_needs: set[str],
            experiments: list[Callable[[Context], Any]] | None, token: int, rd: int, wr: int) -> None:
    """The helper's whole life: its child, its share's two passes (the first in ``share``'s
    order, the second in ``given``'s, as one process would), its frames. Never returns."""
    status = 0
    try:
        from .checks import engine

        caller, functions, loaded = start()
        try:
            own = dataclasses.replace(ctx, caller=caller, memo={})
            done: dict[str, ExerciseResult] = {}
            for ex in share:
                for block in ex.builds_on:
                    while block in needs_from_parent and block not in done:
                        message = _receive(rd)
                        if message is None:
                            raise RuntimeError("the parent is gone")
                        done[message[1]] = message[2]
                done[ex.name] = engine.run_first(ex, own, functions, done)
                if ex.name in parent_needs:
                    _send(wr, ("first", ex.name, done[ex.name]))
            engine.second_pass(given, [done[ex.name] for ex in given], own)
            ran = _run_claimed(token, experiments, own) if experiments else {}  # after all its checks
            # The last frame first: the parent goes on with its tail (finish, results,
            # report) while this process stops its child, and collects this one at its end.
            _send(wr, ("final", {ex.name: done[ex.name] for ex in share}, caller.restarts, ran, loaded))
        finally:
            caller.close()
    except BaseException:
        status = 1
        try:
            _send(wr, ("error", traceback.format_exc(limit=8)))
        except BaseException:
            pass
    finally:
        os._exit(status)  # no atexit, no buffered output flushed twice, no click callbacks


def _exits_within(pid: int, seconds: float) -> bool:
    """The child ``pid`` has exited, or does within ``seconds`` (not reaped)."""
    try:
        fd = os.pidfd_open(pid)  # Linux 5.3: readable once the process has exited
    except (AttributeError, OSError):
        deadline = time.monotonic() + seconds
        while os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.005)
        return True
    try:
        return bool(select.select([fd], [], [], seconds)[0])
    finally:
        os.close(fd)


# ------------------------------------------------------------------------------ the parent
class Split:
    """A grade's checks over this process and a forked helper (see the module docstring).

    The helper is forked at once, so that its child starts while this process's child
    loads the submission. ``start`` runs in the helper: it starts the helper's sandboxed
    child on the same submission and returns it started (a Caller with ``restarts`` and
    ``close()``), the functions it found and a value saying what it loaded, or raises (the
    parent then grades the helper's share itself, as it does when what the helper's child
    loaded differs from what :meth:`grade_mine` is told its own loaded). ``ready``: the
    helper's child was launched with this process's and needs no start of its own (the
    plan then counts none). ``experiments``: independent jobs run in a child after all its
    checks, shared out as the two finish (:attr:`experiments`: what each gave, in their
    order), the longest first by ``experiment_costs``."""

    def __init__(self, exercises: list[Exercise], ctx: Context, start: Callable[[], Any],
                 experiments: list[Callable[[Context], Any]] | None = None, ready: bool = False,
                 experiment_costs: list[float] | None = None) -> None:
        self.exercises = exercises
        self.ctx = ctx
        self.functions: dict[str, list[str]] = {}
        self.loaded: Any = None
        self.plan = plan(exercises, bool(experiments), 0 if ready else None)
        self.mine, self.theirs = self.plan.mine, self.plan.theirs
        self._experiments = experiments
        self.experiments: list[Any] | None = None  # what each experiment gave, wherever it ran
        self._ran: dict[int, Any] = {}  # the experiments run here
        self.helper_restarts = 0
        self.error: str | None = None
        self._done: dict[str, ExerciseResult] = {}
        self._final: dict[str, ExerciseResult] | None = None
        self._here: set[str] = set()  # the helper's exercises graded here after all
        theirs = {ex.name for ex in self.theirs}
        self._their_names = theirs
        self._to_helper = {b for ex in self.theirs for b in ex.builds_on if b not in theirs}
        self._from_helper = {b for ex in self.mine for b in ex.builds_on if b in theirs}
        self._pid = 0
        self._temp = ""  # the helper's temp folder (see _fork)
        self._rd = self._wr = -1
        self._their_experiments: dict[int, Any] = {}
        self._idled = False  # the caller's idle work done (see _idle)
        # The experiments, independent of each other, are shared out as the two processes
        # finish their shares: a pipe holding one byte per experiment, read one byte at a
        # time by either ("either"; by the helper alone for "theirs").
        self._token = -1
        if experiments and self.theirs and self.plan.experiments != "mine":
            token_r, token_w = os.pipe()
            costs = experiment_costs or [0.0] * len(experiments)
            # The longest first: the last one taken is then a short one (the two end together).
            os.write(token_w, bytes(sorted(range(len(experiments)), key=lambda i: -costs[i])))
            os.close(token_w)
            os.set_blocking(token_r, False)
            self._token = token_r
        self._their_loaded: Any = None
        if self.theirs:
            self._fork(start)

    def _fork(self, start: Callable[[], Any]) -> None:
        down_r, down_w = os.pipe()  # parent -> helper
        up_r, up_w = os.pipe()  # helper -> parent
        for fd in (down_w, up_w):
            _widen(fd)
        # The helper's temp folder, inside one this process removes when it collects the
        # helper: a helper that dies (killed, crashed) cannot leave its own children's
        # work folders behind. Traversable (0711): a child at the landlock or portable
        # level runs as another user in its folder there.
        self._temp = tempfile.mkdtemp(prefix="rnngrade-split-")
        os.chmod(self._temp, 0o711)
        try:
            pid = os.fork()
        except OSError as exc:
            for fd in (down_r, down_w, up_r, up_w):
                os.close(fd)
            self._drop(f"fork: {exc}")
            return
        if pid == 0:
            tempfile.tempdir = self._temp
            os.close(down_w)
            os.close(up_r)
            theirs = {ex.name for ex in self.theirs}
            _helper(self.theirs, [ex for ex in self.exercises if ex.name in theirs], self.ctx,
                    start, self._to_helper, self._from_helper,
                    self._experiments if self.plan.experiments != "mine" else None, self._token, down_r, up_w)
        os.close(down_r)
        os.close(up_w)
        self._pid, self._rd, self._wr = pid, up_r, down_w

    @property
    def split(self) -> bool:
        """The helper is (still) grading its share, or has sent it."""
        return self._pid != 0

    def _drop(self, why: str) -> None:
        """Give up on the helper: its share is graded here."""
        self.error = self.error or why
        self.close()

    def _end_helper(self, grace: float = 5.0) -> None:
        """Reap the helper: one that sent its last frame is closing its child and
        exiting (``grace`` seconds to do so); any other is killed (its sandboxed child
        dies with it: bubblewrap's --die-with-parent, the end of its pipes)."""
        if self._pid:
            self._hang_up()
            try:
                if grace <= 0 or not _exits_within(self._pid, grace):
                    os.kill(self._pid, 9)
                os.waitpid(self._pid, 0)
            except (ChildProcessError, ProcessLookupError):
                pass
            self._pid = 0
        if self._temp:
            shutil.rmtree(self._temp, ignore_errors=True)
            self._temp = ""

    def _hang_up(self) -> None:
        for fd in (self._rd, self._wr):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._rd = self._wr = -1

    def _finished(self, message: Any) -> None:
        """The helper's last frame: its share, restarts, experiments, what its child
        loaded. It is left to stop its child and exit; :meth:`close` collects it."""
        self._final = message[1]
        self.helper_restarts = message[2]
        self._their_experiments = message[3]
        self._their_loaded = message[4]
        self._hang_up()

    def _last_word(self) -> str:
        """Why a helper that stopped reading stopped: its error frame, if it sent one."""
        while True:
            message = _receive(self._rd, wait=5.0)
            if message is None:
                return "the helper stopped"
            if message[0] == "error":
                return str(message[1])

    def _next(self) -> Any:
        message = _receive(self._rd) if self._rd >= 0 else None
        if message is None or message[0] == "error":
            self._drop(message[1] if message else "the helper stopped")
            return None
        return message

    def _from_helper_first(self, name: str) -> None:
        """Wait for the helper's first pass of ``name`` (or grade it here if the helper is gone)."""
        while name not in self._done and self._rd >= 0:
            message = self._next()
            if message is None:
                break
            if message[0] == "first":
                self._done[message[1]] = message[2]
            elif message[0] == "final":  # (every first pass the parent needs is sent before)
                self._finished(message)
        if name not in self._done:
            self._grade_here(name)

    def _grade_here(self, name: str) -> None:
        """The first pass of the helper's exercise ``name`` (and of its blocks first), here."""
        from .checks import engine

        ex = next(e for e in self.theirs if e.name == name)
        for block in ex.builds_on:
            if block in self._their_names and block not in self._done:
                self._grade_here(block)
        self._done[name] = engine.run_first(ex, self.ctx, self.functions, self._done)
        self._here.add(name)

    def grade_mine(self, functions: dict[str, list[str]], loaded: Any,
                   idle: Callable[[], Any] | None = None) -> None:
        """This process's share: the first pass (sending the helper what it waits for),
        then its second pass, in this process's child; then the experiments, where
        they are planned here. ``functions``: what this process's child found;
        ``loaded``: what it loaded, which the helper's child must have loaded too.
        ``idle``: as :meth:`merge`'s; where the experiments go to whichever side is
        free first and the helper is still grading, done before claiming any: only
        this process can do it, while the helper can run the experiments."""
        from .checks import engine

        self.functions, self.loaded = functions, loaded
        for ex in self.mine:
            for block in ex.builds_on:
                if block in self._their_names and block not in self._done:
                    self._from_helper_first(block)
            self._done[ex.name] = engine.run_first(ex, self.ctx, self.functions, self._done)
            if ex.name in self._to_helper and self._wr >= 0:
                try:
                    _send(self._wr, ("done", ex.name, self._done[ex.name]))
                except OSError:
                    self._drop(self._last_word())
        mine = {ex.name for ex in self.mine}
        given = [ex for ex in self.exercises if ex.name in mine]
        engine.second_pass(given, [self._done[ex.name] for ex in given], self.ctx)
        if self._experiments:  # in this child, after all its checks
            if self.plan.experiments == "mine" or not self.theirs:
                self._ran = {i: job(self.ctx) for i, job in enumerate(self._experiments)}
            elif self.plan.experiments == "either":
                self._idle(idle)
                self._ran = _run_claimed(self._token, self._experiments, self.ctx)

    def merge(self, idle: Callable[[], Any] | None = None) -> list[ExerciseResult]:
        """Every exercise's results after both passes, in the order given (the helper's
        share from the helper, or graded here where it failed). ``idle``: the caller's
        work that needs nothing of the grade, done here first where the helper has not
        finished yet (this process would only wait); what it raises is left to the caller
        to meet again when it does that work itself."""
        from .checks import engine

        self._idle(idle)
        while self._final is None and self._rd >= 0:
            message = self._next()
            if message is None:
                break
            if message[0] == "final":
                self._finished(message)
        if self._final is not None and self._their_loaded != self.loaded:
            self._final = None
            self.error = self.error or "the helper's child did not load the submission as this one did"
        if self._final is not None and not self._here:
            self._done.update(self._final)
            self._ran.update(self._their_experiments)
        else:
            self._drop(self.error or "the helper stopped")
            # Graded here, whatever the helper had sent: both passes in one child.
            for ex in self.theirs:
                if ex.name not in self._here:
                    self._done.pop(ex.name, None)
            for ex in self.theirs:
                if ex.name not in self._done:
                    self._grade_here(ex.name)
            here = [ex for ex in self.exercises if ex.name in self._here]
            engine.second_pass(here, [self._done[ex.name] for ex in here], self.ctx)
        if self._experiments is not None:  # those the helper did not give, here (after all its checks)
            for i, job in enumerate(self._experiments):
                if i not in self._ran:
                    self._ran[i] = job(self.ctx)
            self.experiments = [self._ran[i] for i in range(len(self._experiments))]
        return [self._done[ex.name] for ex in self.exercises]

    def _idle(self, idle: Callable[[], Any] | None) -> None:
        """The caller's ``idle`` work, once per grade, where the helper has not finished
        (nothing of it waiting to be read: this process would only wait)."""
        if idle is None or self._idled or self._final is not None or self._rd < 0:
            return
        if select.select([self._rd], [], [], 0)[0]:
            return
        self._idled = True
        try:
            idle()
        except Exception:  # noqa: BLE001 - see merge's docstring
            pass

    def close(self) -> None:
        """Collect the helper: one that sent its last frame is given time to stop its
        child and exit; any other (a grade that raised) is killed at once."""
        self._end_helper(grace=5.0 if self._final is not None else 0.0)
        if self._token >= 0:
            os.close(self._token)
            self._token = -1
