"""Calling student code: the small vocabulary shared by the callers and the checks.

A *caller* runs a submission's functions and reports what happened, one
:class:`CallOutcome` per :class:`Call`. Two callers implement :class:`Caller`: the
:class:`~grader.sandbox.session.Sandbox` (an isolated child process, for every
real grade) and :class:`~grader.sandbox.inprocess.InProcessCaller` (this process,
for tests of trusted code such as mutants of the reference). The check engine only
ever sees this protocol, so it runs the same against either.

Values that come back are plain: numbers and arrays the parent decoded itself,
tuples, lists, dicts, and two opaque kinds of reference:

* :class:`Handle` - an object the *student's* code returned and the caller kept
  (a cache), to be passed back as an argument of a later call;
* :class:`Token` - an object the *reference* returned while it computed a building
  block for a substituting call (a reference cache), kept in the parent.

**Substituting calls.** ``Call(substitute=("lstm_step_forward", ...))`` runs the
student's function with every binding of those names in the student's modules
replaced, for this call only, by a proxy that asks the parent for the result.
The caller answers with ``serve(name, args, kwargs)`` (a :data:`Serve` function,
see :mod:`grader.checks.blocks`) and sends back only plain values and tokens. A
callback outside a substituting call, or for a name the call did not list, is a
protocol violation.

**Chained calls.** A call may take, as an argument, what an *earlier call of the same
request* kept (:class:`Earlier`: a forward's cache handed to its backward), so a
forward and the calls on its cache cost one round trip, not two. Such a call runs
only when that earlier call returned normally a tuple (of ``Call.chain_len`` items,
when set) whose item it names was kept; otherwise it does not run and its outcome is
:attr:`CallStatus.SKIPPED`, exactly as a check that looked at the earlier outcome
first would not have made it. The sandbox's child decides on its side; the parent
decides again on the outcome it decoded, and its word is final (:func:`resolve_earlier`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class CallStatus(StrEnum):
    """What happened to one call (a closed vocabulary)."""

    OK = "ok"
    ERROR = "error"  # the function raised
    NOT_IMPLEMENTED = "not_implemented"  # it raised NotImplementedError (a stub)
    MISSING = "missing"  # no function of that name in the submission
    TIMEOUT = "timeout"
    CRASHED = "crashed"  # the process running it ended
    OUTPUT_LIMIT = "output_limit"  # it printed too much
    PROTOCOL = "protocol"  # the answer could not be read (or broke the protocol)
    STALE = "stale"  # a handle argument belongs to a process that was restarted
    UNAVAILABLE = "unavailable"  # not run: the code had stopped working earlier
    TOO_LARGE = "too_large"  # its answer was far larger than the caller expects (read past, not kept)
    SKIPPED = "skipped"  # not run: the earlier call it builds on (its Earlier argument) gave nothing to use


@dataclass(frozen=True)
class Handle:
    """An object the student's code returned and the caller kept (a cache)."""

    id: int
    type_name: str
    generation: int


@dataclass(frozen=True)
class Token:
    """A reference cache kept in the parent while a building block is substituted.

    Its values never leave the parent. ``skeleton`` is the cache's structure with
    every array replaced by its shape (``{"z": [N, D]}``) and every other value by
    None: the child shows it as read-only zeros, so student code that reads a
    shape out of a step's cache (``D = caches[0][0].shape[1]``) still runs."""

    id: str
    skeleton: Any = field(default=None, compare=False)


@dataclass
class ModuleEntry:
    """One module of the submission as a caller loads it (made by
    :func:`grader.submission.prepare`, loaded by the callers)."""

    module: str  # dotted module name
    relpath: str  # path relative to the submission root
    cells: list[dict[str, Any]] | None = None  # notebook code cells: {"label", "source"}


@dataclass
class Call:
    func: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    keep: tuple[int, ...] = ()  # positions of the result kept by the caller (a cache)
    return_args: bool = False  # also send back the arguments as they are after the call
    errstate: dict[str, str] | None = None  # numpy error handling while the function runs
    substitute: tuple[str, ...] = ()  # building blocks the parent computes during this call
    # The most array bytes the caller can use from the answer (None: the caller's default,
    # see grader.sandbox.session.Limits); a larger answer fails the call and is not kept.
    answer_bytes: int | None = None
    release: tuple[Handle, ...] = ()  # handles the child may forget after this call (never passed again)
    # With Earlier arguments: how many items the earlier call's tuple must have (None: any).
    chain_len: int | None = None


@dataclass(frozen=True)
class Earlier:
    """An argument: item ``item`` of what call number ``call`` of the same request
    returned and kept (its ``keep``), e.g. a forward's cache for its backward."""

    call: int
    item: int = -1


@dataclass
class CallOutcome:
    """What happened to one call, with the decoded return value when it worked."""

    status: CallStatus
    value: Any = None
    error: dict[str, Any] | None = None
    output: str = ""
    args_after: list[Any] | None = None
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == CallStatus.OK


class BlockError(Exception):
    """A substituted building block could not be computed for these arguments; the
    student's proxy raises with this message (it is not a protocol violation)."""


# serve(name, args, kwargs) -> the block's result, plain values and tokens only.
Serve = Callable[[str, tuple[Any, ...], dict[str, Any]], Any]


def earlier_args(call: Call) -> list[Earlier]:
    """The :class:`Earlier` arguments of ``call`` (top level: positional and keyword)."""
    return [a for a in (*call.args, *call.kwargs.values()) if isinstance(a, Earlier)]


def kept_item(outcome: CallOutcome, ref: Earlier, chain_len: int | None) -> Handle | None:
    """The handle ``ref`` names in an earlier outcome, or None when that call did not
    return normally a tuple (of ``chain_len`` items) whose item ``ref.item`` was kept."""
    value = outcome.value
    if not outcome.ok or not isinstance(value, tuple) or not value:
        return None
    if chain_len is not None and len(value) != chain_len:
        return None
    if not -len(value) <= ref.item < len(value):
        return None
    item = value[ref.item]
    return item if isinstance(item, Handle) else None


def resolve_earlier(call: Call, done: list[CallOutcome]) -> Call | None:
    """``call`` with its :class:`Earlier` arguments replaced by the handles the earlier
    outcomes ``done`` (of the same request, in order) kept; None when one of them gave
    nothing to use (the call is then not made: :attr:`CallStatus.SKIPPED`)."""
    refs = earlier_args(call)
    if not refs:
        return call
    found: dict[Earlier, Handle] = {}
    for ref in refs:
        handle = kept_item(done[ref.call], ref, call.chain_len) if 0 <= ref.call < len(done) else None
        if handle is None:
            return None
        found[ref] = handle
    args = tuple(found.get(a, a) if isinstance(a, Earlier) else a for a in call.args)
    kwargs = {k: (found.get(v, v) if isinstance(v, Earlier) else v) for k, v in call.kwargs.items()}
    return Call(call.func, args, kwargs, call.keep, call.return_args, call.errstate, call.substitute,
                call.answer_bytes)


class Caller(Protocol):
    """Runs calls in order; a failure of one call never stops the caller answering."""

    def call_many(self, calls: list[Call], serve: Serve | None = None) -> list[CallOutcome]: ...
