"""When each hand-in was handed in: the times a late penalty is computed from.

Three sources, chosen by the instructor (``rnngrade batch --handed-in``):

* ``FILE.csv``: a column with the student id (``id``, ``student``, ``student_id``,
  ``key``, ``学号``) and one with the time (``handed_in``, ``submitted``,
  ``submitted_at``, ``time``, ``timestamp``, ``提交时间``), ISO 8601 (``2025-03-09T08:00:00+08:00``,
  or without an offset in the course's timezone). The most reliable: export it from
  the system that received the hand-ins.
* ``lms``: what the LMS download says. Moodle's grading worksheet (the roster) has a
  column ``Last modified (submission)``; Canvas's download names only say ``LATE``,
  with no time, so a Canvas class needs a CSV or ``mtime``.
* ``mtime``: the newest modification time of the hand-in's files (for an LMS download,
  of the downloaded files). Only as good as the copy that made the files: a ``git
  clone`` or an unzip without times sets them to the moment of the copy.

``auto`` (the default) uses the LMS's times where the intake has them and nothing else:
a hand-in without a known time gets no late penalty, and the batch says how many.
Times are never taken from a submission's content.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..untrusted import read_csv_rows

CSV, LMS, MTIME, GIVEN, GRADESCOPE = "csv", "lms", "mtime", "given", "gradescope"
AUTO, NONE = "auto", "none"
SOURCES = (AUTO, LMS, MTIME, NONE)  # or the path of a CSV file
ID_COLUMNS = ("id", "student", "student_id", "student id", "key", "学号")
TIME_COLUMNS = ("handed_in", "handed in", "submitted", "submitted_at", "submitted at", "time", "timestamp", "提交时间")
MOODLE_SUBMITTED = "Last modified (submission)"
MAX_FILES = 10_000  # files looked at for one hand-in's modification time


class HandinTimesError(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class HandIn:
    """When one hand-in was handed in, and how that is known."""

    time: _dt.datetime  # with a UTC offset
    source: str  # csv, lms, mtime, gradescope, given


def parse_time(text: str, tz: _dt.tzinfo | None = None) -> _dt.datetime | None:
    """A time as the sources write it: ISO 8601 (``Z`` for UTC, or no offset: ``tz``,
    else UTC), or Moodle's English ``Monday, 1 July 2024, 10:00 AM``; None if unreadable."""
    text = text.strip()
    if not text or text == "-":
        return None
    value: _dt.datetime | None = None
    try:
        value = _dt.datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        for fmt in ("%A, %d %B %Y, %I:%M %p", "%d %B %Y, %I:%M %p", "%A, %d %B %Y, %H:%M", "%Y-%m-%d %H:%M"):
            try:
                value = _dt.datetime.strptime(re.sub(r"\s+", " ", text), fmt)
                break
            except ValueError:
                continue
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=tz or _dt.UTC)


def read_times(path: Path | str, tz: _dt.tzinfo | None = None) -> dict[str, HandIn]:
    """Student id -> hand-in time from a CSV file; raises :class:`HandinTimesError`
    naming every unreadable row."""
    path = Path(path)
    try:
        rows = read_csv_rows(path)
    except ValueError as exc:
        raise HandinTimesError([str(exc)]) from exc
    if not rows:
        raise HandinTimesError([f"{path.name}: empty"])
    header = [h.lower() for h in rows[0]]
    id_col = next((header.index(c) for c in ID_COLUMNS if c in header), None)
    time_col = next((header.index(c) for c in TIME_COLUMNS if c in header), None)
    problems = []
    if id_col is None:
        problems.append(f"{path.name}: no student id column (one of {', '.join(ID_COLUMNS)})")
    if time_col is None:
        problems.append(f"{path.name}: no time column (one of {', '.join(TIME_COLUMNS)})")
    if problems:
        raise HandinTimesError(problems)
    assert id_col is not None and time_col is not None
    out: dict[str, HandIn] = {}
    for n, row in enumerate(rows[1:], start=2):
        row = row + [""] * (len(header) - len(row))
        sid, when = row[id_col], parse_time(row[time_col], tz)
        if not sid:
            problems.append(f"{path.name}: row {n}: no student id")
        elif when is None:
            problems.append(f"{path.name}: row {n} ({sid}): unreadable time {row[time_col]!r} "
                            "(write e.g. 2025-03-09T08:00:00+08:00)")
        elif sid in out:
            problems.append(f"{path.name}: row {n}: {sid} has a time already")
        else:
            out[sid] = HandIn(when, CSV)
    if problems:
        raise HandinTimesError(problems)
    return out


def newest_mtime(paths: Iterable[Path]) -> _dt.datetime | None:
    """The newest modification time of the regular files at or under ``paths``, never
    following a link, at most ``MAX_FILES`` files; None when there is none."""
    newest: float | None = None
    seen = 0
    stack = list(paths)
    while stack and seen < MAX_FILES:
        path = stack.pop()
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if stat.S_ISDIR(st.st_mode):
            try:
                stack.extend(p for p in Path(path).iterdir() if not p.name.startswith("."))
            except OSError:
                continue
        elif stat.S_ISREG(st.st_mode):
            seen += 1
            newest = st.st_mtime if newest is None else max(newest, st.st_mtime)
    if newest is None:
        return None
    return _dt.datetime.fromtimestamp(newest, _dt.UTC).replace(microsecond=0)


def lms_time(row: Mapping[str, str], tz: _dt.tzinfo | None = None) -> _dt.datetime | None:
    """The hand-in time a roster row of an LMS carries (Moodle's grading worksheet)."""
    for column, value in row.items():
        if column.strip().lower() == MOODLE_SUBMITTED.lower():
            return parse_time(value, tz)
    return None
