"""A class roster: who the students are, by the id grading is seeded with.

Three kinds of CSV file are read, recognised by their header:

* **Canvas**: the gradebook export ("Export Entire Gradebook"): ``Student``, ``ID``,
  ``SIS User ID``, ``SIS Login ID``, ``Section``, ... ``ID`` is Canvas's user id, the
  number in Canvas's submission download names (``lastfirst_12345_67890_file.py``).
  The "Points Possible" row and any other row without an ``ID`` are skipped.
* **Moodle**: the assignment's offline grading worksheet ("Download grading
  worksheet"): ``Identifier`` (``Participant 12345``; 12345 is the participant number in
  Moodle's download names, ``Full Name_12345_assignsubmission_file_``), ``Full name``,
  ``Email address``, ``Grade``, ... Recognised by a first column whose every value is a
  word and a number, whatever the language of its header.
* **Plain**: a column ``id`` (or ``student_id``, ``student``, ``学号``), optional ``name``
  (``姓名``) and optional ``handin`` (``folder``, ``file``, ``login``, ``github``): the
  hand-in's name in the class folder when it is not the id itself.

The id grading uses (it seeds hidden inputs and quiz variants, so it must be the id
students used for ``rnngrade quiz --student``) is, unless ``id_column`` names one:
Canvas ``SIS User ID``, else ``SIS Login ID``, else ``ID``; Moodle ``ID number``, else
``Username``, else ``Email address``, else the participant number; plain ``id``.
Problems (no id column, duplicate ids, an empty id) are returned, never raised from
deep inside: :func:`read_roster` raises one :class:`RosterError` listing them all.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..untrusted import clean

CANVAS, MOODLE, PLAIN = "canvas", "moodle", "plain"
MAX_BYTES = 16 << 20
_PARTICIPANT = re.compile(r"^(\D*?)\s*(\d+)$")
PLAIN_ID = ("id", "student_id", "student id", "student", "学号")
PLAIN_NAME = ("name", "full name", "姓名")
PLAIN_HANDIN = ("handin", "hand-in", "folder", "file", "login", "github", "username")


class RosterError(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class RosterStudent:
    student: str  # the id grading is seeded with
    name: str = ""
    lms_id: str = ""  # Canvas user id or Moodle participant number
    handin: str = ""  # plain roster: the hand-in's name in the class folder
    row: dict[str, str] = field(default_factory=dict)  # the row as read (written back by the exports)


@dataclass
class Roster:
    kind: str
    columns: list[str]
    students: list[RosterStudent]
    implicit: bool = False  # made from an LMS download's names, not read from a file

    def by_lms_id(self) -> dict[str, RosterStudent]:
        return {s.lms_id: s for s in self.students if s.lms_id}

    def by_handin(self) -> dict[str, RosterStudent]:
        return {(s.handin or s.student): s for s in self.students}

    def stored(self) -> list[dict]:
        """As :meth:`grader.gradebook.Gradebook.set_roster` takes it."""
        return [{"student": s.student, "name": s.name, "lms_id": s.lms_id, "handin": s.handin, "row": s.row}
                for s in self.students]


def read_roster(path: Path | str, id_column: str | None = None) -> Roster:
    """Read a roster CSV (UTF-8, with or without a byte-order mark; comma, semicolon
    or tab separated); raises :class:`RosterError` naming every problem."""
    path = Path(path)
    try:
        data = path.read_bytes()[: MAX_BYTES + 1]
    except OSError as exc:
        raise RosterError([f"{path}: {exc.strerror or exc}"]) from exc
    if len(data) > MAX_BYTES:
        raise RosterError([f"{path}: larger than {MAX_BYTES >> 20} MB"])
    text = data.decode("utf-8-sig", errors="replace")
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = [[clean(c).strip() for c in r] for r in csv.reader(io.StringIO(text), dialect)]
    rows = [r for r in rows if any(r)]
    if not rows:
        raise RosterError([f"{path}: empty"])
    header, body = rows[0], rows[1:]
    records = [dict(zip(header, r + [""] * (len(header) - len(r)), strict=False)) for r in body]
    problems: list[str] = []
    if {"Student", "ID"} <= set(header) and ({"SIS User ID", "SIS Login ID"} & set(header)):
        roster = _canvas(header, records, id_column, problems)
    elif header and body and _participant_column(header[0], records):
        roster = _moodle(header, records, id_column, problems)
    else:
        roster = _plain(header, records, id_column, problems)
    seen: dict[str, int] = {}
    for s in roster.students:
        seen[s.student] = seen.get(s.student, 0) + 1
    for sid, n in seen.items():
        if n > 1:
            problems.append(f"{path.name}: the id {sid!r} is on {n} rows")
    if not roster.students and not problems:
        problems.append(f"{path.name}: no students")
    if problems:
        raise RosterError([p if p.startswith(path.name) else f"{path.name}: {p}" for p in problems])
    return roster


def _pick(record: dict[str, str], id_column: str | None, order: tuple[str, ...]) -> str:
    if id_column:
        return record.get(id_column, "")
    return next((record[c] for c in order if record.get(c)), "")


def _canvas(header: list[str], records: list[dict[str, str]], id_column: str | None,
            problems: list[str]) -> Roster:
    if id_column and id_column not in header:
        problems.append(f"no column {id_column!r} (columns: {', '.join(header)})")
    students = []
    for r in records:
        if not r.get("ID", "").isdigit():  # "Points Possible", "Student, Test" without an id, totals
            continue
        sid = _pick(r, id_column, ("SIS User ID", "SIS Login ID", "ID"))
        if not sid:
            problems.append(f"{r.get('Student', '?')}: no id in {id_column or 'SIS User ID, SIS Login ID or ID'}")
            continue
        students.append(RosterStudent(sid, r.get("Student", ""), r["ID"], "", r))
    return Roster(CANVAS, header, students)


def _participant_column(name: str, records: list[dict[str, str]]) -> bool:
    values = [r.get(name, "") for r in records]
    prefixes = {m.group(1) for v in values if (m := _PARTICIPANT.match(v))}
    return bool(values) and all(_PARTICIPANT.match(v) for v in values) and len(prefixes) == 1 and "" not in prefixes


def _moodle(header: list[str], records: list[dict[str, str]], id_column: str | None,
            problems: list[str]) -> Roster:
    ident = header[0]
    if id_column and id_column not in header:
        problems.append(f"no column {id_column!r} (columns: {', '.join(header)})")
    names = [c for c in header if c.lower() in ("full name", "姓名", "全名")]
    name_column = names[0] if names else (header[1] if len(header) > 1 else "")
    students = []
    for r in records:
        match = _PARTICIPANT.match(r[ident])
        assert match is not None
        number = match.group(2)
        sid = _pick(r, id_column, ("ID number", "Username", "Email address")) or number
        students.append(RosterStudent(sid, r.get(name_column, ""), number, "", r))
    return Roster(MOODLE, header, students)


def _plain(header: list[str], records: list[dict[str, str]], id_column: str | None, problems: list[str]) -> Roster:
    lower = {c.lower(): c for c in header}
    id_col = id_column if id_column else next((lower[c] for c in PLAIN_ID if c in lower), None)
    if id_col is None or id_col not in header:
        problems.append(f"no id column: expected one of {', '.join(PLAIN_ID)} (or --roster-id COLUMN); "
                        f"the header is {', '.join(header)}")
        return Roster(PLAIN, header, [])
    name_col = next((lower[c] for c in PLAIN_NAME if c in lower), None)
    handin_col = next((lower[c] for c in PLAIN_HANDIN if c in lower and lower[c] != id_col), None)
    students = []
    for n, r in enumerate(records, start=2):
        sid = r.get(id_col, "")
        if not sid:
            problems.append(f"row {n}: empty {id_col}")
            continue
        students.append(RosterStudent(sid, r.get(name_col, "") if name_col else "", "",
                                      r.get(handin_col, "") if handin_col else "", r))
    return Roster(PLAIN, header, students)
