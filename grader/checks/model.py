"""The vocabulary of grading: what a check gets (:class:`Context`) and gives back
(:class:`CheckResult`).

A check is data plus a small ``run`` function. It receives a context holding the
sandbox (to call student code), the reference (trusted functions, or None when
grading without solutions), the stored public cases and a seeded random source, and
returns one or more results. Checks never import exercise specs; specs build checks.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..i18n import Message, msg
from ..sandbox.session import Call, CallOutcome, Sandbox

PASSED, FAILED = "passed", "failed"


@dataclass
class CheckResult:
    """One graded item: a line in the report and a test in results.json."""

    id: str  # stable, e.g. "affine.affine_backward.grad.dw"
    exercise: str
    func: str
    kind: str  # value, gradient, backward, mutation, property, load
    title: Message
    max_points: float
    points: float = 0.0
    status: str = FAILED
    messages: list[Message] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    output: str = ""
    mistakes: list[str] = field(default_factory=list)  # ids from course/mistakes.md
    visibility: str = "visible"

    def passed(self) -> CheckResult:
        self.status, self.points = PASSED, self.max_points
        return self

    def failed(self, *messages: Message) -> CheckResult:
        self.status, self.points = FAILED, 0.0
        self.messages.extend(messages)
        return self


@dataclass
class PublicCase:
    """Inputs and reference outputs stored with the exercises (no solution needed)."""

    inputs: dict[str, Any]
    expected: list[Any]


@dataclass
class Context:
    sandbox: Sandbox
    reference: dict[str, Callable] | None
    seed: int
    public_cases: dict[str, PublicCase] | None = None
    official: bool = True

    def rng(self, check_id: str) -> np.random.Generator:
        """A random source for one check, fixed by the student's seed and the check."""
        return np.random.default_rng([self.seed, zlib.crc32(check_id.encode())])

    def call(self, func: str, args: tuple = (), **kw: Any) -> CallOutcome:
        return self.sandbox.call(Call(func, tuple(args), **kw))

    def call_many(self, calls: list[Call]) -> list[CallOutcome]:
        return self.sandbox.call_many(calls)


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


def outcome_problem(func: str, outcome: CallOutcome) -> Message:
    """Explain a call that did not return normally (the same words everywhere)."""
    err = outcome.error or {}
    key = {
        "not_implemented": "call.not_implemented",
        "missing": "call.missing",
        "timeout": "call.timeout",
        "crashed": "call.crashed",
        "output_limit": "call.output_limit",
        "protocol": "call.protocol",
        "stale": "call.stale",
        "unavailable": "call.unavailable",
    }.get(outcome.status, "call.error")
    if outcome.status == "error" and err.get("kind") == "memory":
        key = "call.memory"
    return msg(key, func=func, type=err.get("type", ""), message=err.get("message", ""))


def warning_details(*outcomes: CallOutcome) -> dict[str, Any]:
    """Python warnings raised in the student's code during these calls (for the report)."""
    seen = [str(w) for o in outcomes for w in (o.warnings or [])]
    return {"warnings": list(dict.fromkeys(seen))[:10]} if seen else {}


def error_details(outcome: CallOutcome) -> dict[str, Any]:
    err = outcome.error or {}
    return {"traceback": err.get("traceback", "")} if err.get("traceback") else {}
