"""A check's calls kept from one run and given back in a second run of it.

A composite whose building blocks are broken runs its checks first without
explanations (:mod:`grader.checks.engine`); what stays wrong is then run again, with
explanations. That second run asks the student's code exactly what the first asked
(the same check, the same seed, the same inputs) before its probes ask anything new.
:class:`Recorder` keeps each request of the first run with its outcomes, and
:class:`Replayer` answers the very same request (the same calls, in the same order,
with the same arguments) from what was kept, once, in order; any other request goes
to the caller. The explanation is then made from the data that earned the verdict,
and the student's code is not run twice for it.

Keeping costs next to nothing (the requests and a shallow copy of each outcome; a
request's digest is computed only when a second run asks): most first runs are never
run again, their checks rescued by the reference's blocks. The grader's checks never
change in place the arrays they send or receive (tests compare a grade made this way
with one made by running the checks again).

Only a run whose every call ended normally (the function returned or raised, was
missing or not run for a reason of its own request) is kept: after a timeout or a
crash the child was replaced, and the handles it had kept are gone, so the second
run calls again as before.
"""

from __future__ import annotations

import copy
from collections import deque

from ..calls import Call, Caller, CallOutcome, CallStatus, Serve
from .memo import digest

# Outcomes after which the child that gave them is still the one running.
_NORMAL = frozenset({CallStatus.OK, CallStatus.ERROR, CallStatus.NOT_IMPLEMENTED, CallStatus.MISSING,
                     CallStatus.SKIPPED, CallStatus.TOO_LARGE})


def _key(calls: list[Call]) -> bytes:
    """A digest of a whole request: every field of every call, in order."""
    return digest([[c.func, c.args, c.kwargs, c.keep, c.return_args, c.errstate, c.substitute, c.answer_bytes,
                    c.release, c.chain_len] for c in calls])


class Recorder:
    """A caller that passes every request on and keeps it with what came back."""

    def __init__(self, caller: Caller) -> None:
        self.caller = caller
        self.kept: list[tuple[list[Call], list[CallOutcome]]] = []
        self.usable = True  # every call so far ended normally

    def call_many(self, calls: list[Call], serve: Serve | None = None) -> list[CallOutcome]:
        out = self.caller.call_many(calls, serve)
        if not self.usable:
            return out
        if serve is not None or any(c.substitute or c.release for c in calls) \
                or any(o.status not in _NORMAL for o in out):
            self.usable = False
            self.kept.clear()
        else:
            # A shallow copy: a check may set an outcome's fields (a value with the
            # arguments after the call); the second run gets the outcome as it came.
            self.kept.append((list(calls), [copy.copy(o) for o in out]))
        return out

    def replayer(self) -> Caller:
        """A caller for the second run: what was kept, else the caller itself."""
        return Replayer(self.caller, self.kept if self.usable else [])


class Replayer:
    """A caller that answers a request kept by a :class:`Recorder` from it (each kept
    answer once, in the order they were made) and passes any other on."""

    def __init__(self, caller: Caller, kept: list[tuple[list[Call], list[CallOutcome]]]) -> None:
        self.caller = caller
        self._kept = kept
        self._by_key: dict[bytes, deque[list[CallOutcome]]] | None = None
        self.replayed = 0  # requests answered from what was kept

    def call_many(self, calls: list[Call], serve: Serve | None = None) -> list[CallOutcome]:
        if serve is None and self._kept:
            if self._by_key is None:
                self._by_key = {}
                for kept_calls, outcomes in self._kept:
                    self._by_key.setdefault(_key(kept_calls), deque()).append(outcomes)
            waiting = self._by_key.get(_key(calls))
            if waiting:
                self.replayed += 1
                return waiting.popleft()
        return self.caller.call_many(calls, serve)
