"""The vocabulary of grading: what a check gets (:class:`Context`) and gives back
(:class:`CheckResult`), with the closed vocabularies of statuses and kinds.

A check is data plus a small ``run`` function. It receives a context holding the
caller (to call student code: the sandbox, or in tests an in-process caller), the
reference (trusted functions, or None when grading without solutions), the stored
public cases and a seeded random source, and returns one or more results. Checks
never import exercise specs; specs build checks. What a result is worth, and when
it counts, is decided in one place: :mod:`grader.checks.policy`.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np

from ..calls import Call, Caller, CallOutcome, CallStatus, resolve_earlier
from ..i18n import Message, msg
from ..plain import decode, encode

if TYPE_CHECKING:
    from .blocks import BlockServer


class Status(StrEnum):
    """The verdict of one graded item."""

    PASSED = "passed"
    FAILED = "failed"
    PENDING = "pending"  # not counted yet, for a reason the item carries (0 points, not a failure)


class Kind(StrEnum):
    """What a graded item checks (docs/scoring.md says what each is worth)."""

    VALUE = "value"  # outputs against the reference (official) or the public case (self-check)
    BACKWARD = "backward"  # one gradient against the reference's
    GRADIENT = "gradient"  # one gradient against the numerical gradient of the student's forward
    PROPERTY = "property"  # a property of the results that needs no reference
    EDGE = "edge"  # an edge case whose right answer is to change nothing (lr = 0, no weights)
    MUTATION = "mutation"  # inputs left unchanged, the same answer twice
    STABILITY = "stability"  # no overflow or NaN for large inputs
    ERROR = "error"  # the grader itself failed on this check
    QUIZ = "quiz"
    TRAINING = "training"  # the capstone stage: the student's model trained for a fixed budget


PASSED, FAILED, PENDING = Status.PASSED, Status.FAILED, Status.PENDING


@dataclass
class CheckResult:
    """One graded item: a line in the report and a test in results.json."""

    id: str  # stable, e.g. "affine.grad.dw"
    exercise: str
    func: str
    kind: Kind
    title: Message
    max_points: float
    points: float = 0.0
    status: Status = FAILED
    messages: list[Message] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    output: str = ""
    mistakes: list[str] = field(default_factory=list)  # ids of grader.mistakes.Mistake
    visibility: str = "visible"

    def passed(self) -> CheckResult:
        self.status, self.points = PASSED, self.max_points
        return self

    def failed(self, *messages: Message) -> CheckResult:
        self.status, self.points = FAILED, 0.0
        self.messages.extend(messages)
        return self

    def pending(self, reason: Message) -> CheckResult:
        """Not counted yet: the reason comes first; points already earned stay."""
        self.status = PENDING
        self.messages.insert(0, reason)
        return self

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-compatible data (:mod:`grader.plain`): keys and parameters, no
        rendered text; :meth:`from_dict` gives back an equal result."""
        return {"id": self.id, "exercise": self.exercise, "func": self.func, "kind": str(self.kind),
                "title": encode(self.title), "max_points": self.max_points, "points": self.points,
                "status": str(self.status), "messages": [encode(m) for m in self.messages],
                "details": encode(self.details), "output": self.output, "mistakes": list(self.mistakes),
                "visibility": self.visibility}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        kind = data["kind"]
        return cls(data["id"], data["exercise"], data["func"], Kind(kind) if kind in Kind._value2member_map_ else kind,
                   decode(data["title"]), float(data["max_points"]), float(data["points"]), Status(data["status"]),
                   [decode(m) for m in data.get("messages", [])], decode(data.get("details", {})),
                   data.get("output", ""), list(data.get("mistakes", [])), data.get("visibility", "visible"))


@dataclass
class PublicCase:
    """Inputs and reference outputs stored with the exercises (no solution needed)."""

    inputs: dict[str, Any]
    expected: list[Any]


@dataclass
class Context:
    """What a check runs with. ``substitute`` names building blocks that the parent
    computes with the reference during this run (``blocks`` serves them); ``salt``
    draws other inputs (the deferred second pass); ``explain`` runs the probes that
    say why a check failed (off in re-runs); ``strict`` lets a probe's own
    exception propagate (tests) instead of skipping the probe."""

    caller: Caller
    reference: dict[str, Callable[..., Any]] | None
    seed: int
    public_cases: dict[str, PublicCase] | None = None
    official: bool = True
    substitute: tuple[str, ...] = ()
    blocks: BlockServer | None = None
    salt: str = ""
    explain: bool = True
    strict: bool = False
    memo: dict[str, Any] = field(default_factory=dict)  # per grade: what a check keeps for its second pass

    def rng(self, check_id: str) -> np.random.Generator:
        """A random source for one check, fixed by the student's seed and the check."""
        return np.random.default_rng([self.seed, zlib.crc32((check_id + self.salt).encode())])

    def call(self, func: str, args: tuple[Any, ...] = (), **kw: Any) -> CallOutcome:
        return self.call_many([Call(func, tuple(args), **kw)])[0]

    def call_many(self, calls: list[Call]) -> list[CallOutcome]:
        if self.substitute and self.blocks is not None:
            # One round trip per substituting call: its stand-ins serve only what it
            # can need, and a call they refused fails (grader.checks.blocks).
            out: list[CallOutcome] = []
            for c in calls:
                resolved = resolve_earlier(c, out)  # a chained call, on what the calls before it kept
                if resolved is None:
                    out.append(CallOutcome(CallStatus.SKIPPED))
                    continue
                c = dataclasses.replace(resolved, substitute=self.substitute)
                scope = self.blocks.serving(c)
                out.append(scope.settle(self.caller.call_many([c], scope)[0]))
            return out
        return self.caller.call_many(calls)

    def substituting(self, names: tuple[str, ...]) -> Context:
        """The same context, with ``names`` computed by the reference."""
        return dataclasses.replace(self, substitute=tuple(names), explain=False)

    def again(self) -> Context:
        """The deferred second pass: other inputs, no explanations."""
        return dataclasses.replace(self, salt=".again", explain=False)


class Check:
    """Base of all check kinds."""

    id: str
    func: str
    exercise: str = ""
    needs_reference: bool = False

    def run(self, ctx: Context) -> list[CheckResult]:  # pragma: no cover - abstract
        raise NotImplementedError

    def max_points(self) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def functions(self) -> tuple[str, ...]:
        """Every student function this check calls."""
        return (self.func,)

    def points_by_kind(self) -> dict[Kind, float]:
        """What the check's items are worth, by kind (docs/scoring.md's table)."""
        return {getattr(self, "kind", Kind.PROPERTY): self.max_points()}


# The reasons of a side item that passed but is not counted, because none of its
# function's own results is right (policy rule 6): a consequence, said after the causes.
# In a self-check it waits ("not counted yet"); an official grade is final ("not counted").
SIDE_WAITS = "policy.side_waits"
SIDE_FINAL = "policy.side_final"
SIDE_REASONS = frozenset({SIDE_WAITS, SIDE_FINAL})


def is_side_note(note: Message) -> bool:
    """Whether an exercise's pending note (``policy.pending_note``) is about side items
    that only wait for their function's results."""
    return getattr(note.params.get("reason"), "key", "") in SIDE_REASONS


_CALL_PROBLEMS = {
    CallStatus.NOT_IMPLEMENTED: "call.not_implemented",
    CallStatus.MISSING: "call.missing",
    CallStatus.TIMEOUT: "call.timeout",
    CallStatus.CRASHED: "call.crashed",
    CallStatus.OUTPUT_LIMIT: "call.output_limit",
    CallStatus.PROTOCOL: "call.protocol",
    CallStatus.STALE: "call.stale",
    CallStatus.UNAVAILABLE: "call.unavailable",
    CallStatus.TOO_LARGE: "call.too_large",
    CallStatus.SKIPPED: "call.skipped",
}


def outcome_problem(func: str, outcome: CallOutcome) -> Message:
    """Explain a call that did not return normally (the same words everywhere); where
    Python's words hide the cause (starter code, a numpy API that numpy removed),
    the cause (:mod:`grader.checks.errors`)."""
    from .errors import call_problem

    err = outcome.error or {}
    if outcome.status in (CallStatus.ERROR, CallStatus.NOT_IMPLEMENTED):
        explained = call_problem(func, err)
        if explained is not None:
            return explained
    key = _CALL_PROBLEMS.get(outcome.status, "call.error")
    if outcome.status == CallStatus.ERROR and err.get("kind") in ("memory", "blocks"):
        key = "call.memory" if err["kind"] == "memory" else "call.blocks_refused"
    return msg(key, func=func, type=err.get("type", ""), message=err.get("message", ""))


def warning_details(*outcomes: CallOutcome) -> dict[str, Any]:
    """Python warnings raised in the student's code during these calls (for the report)."""
    seen = [str(w) for o in outcomes for w in (o.warnings or [])]
    return {"warnings": list(dict.fromkeys(seen))[:10]} if seen else {}


def error_details(outcome: CallOutcome) -> dict[str, Any]:
    err = outcome.error or {}
    return {"traceback": err.get("traceback", "")} if err.get("traceback") else {}
