"""The late policy: how late a hand-in is and what that costs.

A hand-in is late when it was handed in after the student's due date (the
assignment's, or their extension's) plus the grace period. Lateness is then counted
from the due date itself, in days, each started day a whole day (1 minute after the
grace period: 1 day; 24 hours and 1 minute: 2 days). The penalty is ``per_day`` percent
of the score per day, at most ``cap`` percent; it is taken off the score after the
manual adjustments of checks and exercises (:mod:`.adjustments`).
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass
from typing import Any

DAY = _dt.timedelta(days=1)


@dataclass(frozen=True)
class LatePolicy:
    per_day: float  # percent of the score per started day late
    cap: float = 100.0  # percent: the most a hand-in can lose
    grace_minutes: float = 0.0  # handed in this long after the due date still counts as on time

    def to_table(self) -> dict[str, Any]:
        return {"per_day": self.per_day, "cap": self.cap, "grace_minutes": self.grace_minutes}


@dataclass(frozen=True)
class Lateness:
    """How late one hand-in was, and the penalty it gets (plain data, stored and shown)."""

    handed_in: str  # ISO 8601 with offset
    due: str  # ISO 8601 with offset: the student's own due date (extension included)
    source: str  # where the time came from: csv, lms, mtime, gradescope, given
    days: int  # started days late after the grace period (0: on time)
    percent: float  # penalty in percent of the score

    @property
    def late(self) -> bool:
        return self.days > 0

    def to_dict(self) -> dict[str, Any]:
        return {"handed_in": self.handed_in, "due": self.due, "source": self.source, "days": self.days,
                "percent": self.percent}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Lateness:
        return cls(str(d["handed_in"]), str(d["due"]), str(d.get("source", "")), int(d.get("days", 0)),
                   float(d.get("percent", 0.0)))


def days_late(handed_in: _dt.datetime, due: _dt.datetime, grace_minutes: float = 0.0) -> int:
    """Started days after ``due``, or 0 when within the grace period."""
    if handed_in <= due + _dt.timedelta(minutes=grace_minutes):
        return 0
    return max(1, math.ceil((handed_in - due) / DAY))


def assess(handed_in: _dt.datetime, due: _dt.datetime, policy: LatePolicy | None, source: str) -> Lateness:
    """The lateness of a hand-in; without a policy it is recorded and costs nothing."""
    days = days_late(handed_in, due, policy.grace_minutes if policy else 0.0)
    percent = min(policy.cap, policy.per_day * days) if policy is not None and days else 0.0
    return Lateness(handed_in.isoformat(timespec="seconds"), due.isoformat(timespec="seconds"), source, days,
                    round(percent, 6))
