"""A class roster: who the students are, by the id grading is seeded with.

The kind of a roster CSV is recognised by its header alone (the exact column names
each system writes), never by what its cells look like:

* **Canvas**: the gradebook export ("Export Entire Gradebook"): columns ``Student``,
  ``ID`` and ``SIS User ID`` or ``SIS Login ID`` (then ``Section``, ...). ``ID`` is
  Canvas's user id, the number in Canvas's submission download names
  (``lastfirst_12345_67890_file.py``). The "Points Possible" row and any other row
  without an ``ID`` are skipped.
* **Moodle**: the assignment's offline grading worksheet ("Download grading
  worksheet"): the identifier column (``Identifier``, one ``Participant 12345`` per row;
  12345 is the participant number in Moodle's download names,
  ``Full Name_12345_assignsubmission_file_``) and ``Last modified (grade)``, the two
  columns Moodle's own importer requires besides ``Grade``, under their names in the
  language the worksheet was downloaded in (:data:`MOODLE_HEADERS`: English,
  simplified and traditional Chinese, from Moodle's language packs).
* **GitHub Classroom**: the classroom roster ("Download" on the Students page,
  ``classroom_roster.csv``: ``identifier``, ``github_username``, ``github_id``,
  ``name``), or an assignment's grades ("Download grades": ``github_username``,
  ``roster_identifier``, ``student_repository_name``, ...). The id is the roster
  identifier; a hand-in is matched by its repository name, or by the student's GitHub
  user name: a folder named ``alice`` or ``hw3-rnn-alice`` (GitHub Classroom names
  repositories ``<assignment>-<user>``). A grades row without a roster identifier (an
  account never linked to the roster) is no student: its repository is reported.
* **Plain**: a column ``id`` (or ``student_id``, ``student id``, ``student``, ``学号``);
  optional ``name`` (``full name``, ``姓名``); optional ``handin`` (``hand-in``,
  ``folder``, ``file``, ``repo``, ``repository``): the hand-in's name in the class
  folder when it is not the id itself; optional ``login`` (``github``, ``gitlab``,
  ``username``): an account name, matched like a GitHub user name above. Column names
  are compared without case or surrounding spaces.

A header that fits none of these, or more than one of the first three, is a
:class:`RosterError` naming what was expected.

**Other ids.** A student's other ids in the roster (:meth:`Roster.aliases`) are the
values of the row's other id columns: Canvas ``SIS User ID``, ``SIS Login ID`` and
``ID``; Moodle ``ID number``, ``Username``, ``Email address`` (in a Chinese worksheet
``Email地址``, ``電子郵件``) and the participant number; GitHub Classroom the roster
identifier, ``github_username`` and ``github_id``; plain ``login`` and ``email``
(``e-mail``, ``邮箱``). A quiz sheet made for one of them
is the student's own (:func:`grader.quiz.grading.sheet_variants`); a value that is
another student's id or other id is nobody's alias.

The id grading uses (it seeds hidden inputs and quiz variants, so it must be the id
students used for ``rnngrade quiz --student``) is, unless ``id_column`` names one:
Canvas ``SIS User ID``, else ``SIS Login ID``, else ``ID``; Moodle ``ID number``, else
``Username``, else ``Email address``, else the participant number; GitHub Classroom
the roster identifier; plain ``id``. Problems (no id column, duplicate ids, an empty
id) are returned, never raised from deep inside: :func:`read_roster` raises one
:class:`RosterError` listing them all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..untrusted import read_csv_rows

CANVAS, MOODLE, GITHUB, PLAIN = "canvas", "moodle", "github-classroom", "plain"
CANVAS_REQUIRED = ("Student", "ID")
CANVAS_SIS = ("SIS User ID", "SIS Login ID")
# The two worksheet columns Moodle's importer requires besides the grade, by the
# language the worksheet was downloaded in: mod/assign's strings ``recordid`` and
# ``lastmodifiedgrade`` (lang/en/assign.php and the zh_cn, zh_tw language packs).
MOODLE_HEADERS = {
    "en": ("Identifier", "Last modified (grade)"),
    "zh_cn": ("标识符", "上次修改（评分）"),
    "zh_tw": ("識別碼", "最後修改（老師）"),
}
MOODLE_ID_COLUMNS = ("ID number", "Username", "Email address")
GITHUB_ROSTER = ("identifier", "github_username")  # classroom_roster.csv: + github_id, name
GITHUB_GRADES = ("github_username", "roster_identifier", "student_repository_name")  # an assignment's grades
PLAIN_ID = ("id", "student_id", "student id", "student", "学号")
PLAIN_NAME = ("name", "full name", "姓名")
PLAIN_HANDIN = ("handin", "hand-in", "folder", "file", "repo", "repository")
PLAIN_LOGIN = ("login", "github", "gitlab", "username")
PLAIN_EMAIL = ("email", "e-mail", "邮箱")
# The columns of each kind that hold ids of the student (besides the one grading uses).
ALIAS_COLUMNS = {
    CANVAS: (*CANVAS_SIS, "ID"),
    MOODLE: (*MOODLE_ID_COLUMNS, "Email地址", "電子郵件"),  # the e-mail column in zh_cn and zh_tw worksheets
    GITHUB: ("identifier", "roster_identifier", "github_username", "github_id"),
}
_NUMBER = re.compile(r"(\d+)\s*$")


class RosterError(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class RosterStudent:
    student: str  # the id grading is seeded with
    name: str = ""
    lms_id: str = ""  # Canvas user id or Moodle participant number
    handin: str = ""  # the hand-in's name in the class folder (plain: handin; GitHub: the repository)
    row: dict[str, str] = field(default_factory=dict)  # the row as read (written back by the exports)
    login: str = ""  # an account (GitHub user): matches a hand-in named it or ending in "-<login>"


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

    def by_login(self, name: str) -> RosterStudent | None:
        """The student whose account ``name`` is, or whose account ends ``name`` after a
        ``-`` (a repository ``hw3-alice`` of GitHub Classroom); case does not matter
        (GitHub's user names are case-insensitive); the longest account wins."""
        name = name.lower()
        best: RosterStudent | None = None
        for s in self.students:
            login = s.login.lower()
            if login and (name == login or name.endswith("-" + login)):
                if best is None or len(login) > len(best.login):
                    best = s
        return best

    def aliases(self) -> dict[str, tuple[str, ...]]:
        """Each student's other ids (see the module docstring), by the id grading uses.
        A value found for two students (or one's id and another's other id) is left
        out: it would let one student's quiz sheet count as the other's."""
        found: dict[str, list[str]] = {}
        owners: dict[str, set[str]] = {}
        for s in self.students:
            owners.setdefault(s.student, set()).add(s.student)
            values = [s.row.get(c, "") for c in self._alias_columns()] + [s.lms_id, s.login]
            ids = found.setdefault(s.student, [])
            for v in (v.strip() for v in values):
                if v and v != s.student and v not in ids:
                    ids.append(v)
                    owners.setdefault(v, set()).add(s.student)
        return {sid: tuple(v for v in ids if owners[v] == {sid}) for sid, ids in found.items()}

    def _alias_columns(self) -> tuple[str, ...]:
        if self.kind in ALIAS_COLUMNS:
            return ALIAS_COLUMNS[self.kind]
        email = _column(self.columns, PLAIN_EMAIL)
        return (email,) if email else ()

    def stored(self) -> list[dict[str, Any]]:
        """As :meth:`grader.gradebook.Gradebook.set_roster` takes it."""
        return [{"student": s.student, "name": s.name, "lms_id": s.lms_id, "handin": s.handin, "row": s.row}
                for s in self.students]


def read_roster(path: Path | str, id_column: str | None = None) -> Roster:
    """Read a roster CSV (UTF-8, with or without a byte-order mark; comma, semicolon
    or tab separated); raises :class:`RosterError` naming every problem."""
    path = Path(path)
    try:
        rows = read_csv_rows(path)
    except ValueError as exc:
        raise RosterError([str(exc)]) from exc
    if not rows:
        raise RosterError([f"{path}: empty"])
    header, body = rows[0], rows[1:]
    records = [dict(zip(header, r + [""] * (len(header) - len(r)), strict=False)) for r in body]
    problems: list[str] = []
    try:
        kind = roster_kind(header)
    except RosterError as exc:
        raise RosterError([f"{path.name}: {p}" for p in exc.problems]) from None
    if id_column and id_column not in header:
        problems.append(f"no column {id_column!r} (columns: {', '.join(header)})")
        roster = Roster(kind, header, [])
    elif kind == CANVAS:
        roster = _canvas(header, records, id_column, problems)
    elif kind == MOODLE:
        roster = _moodle(header, records, id_column, problems)
    elif kind == GITHUB:
        roster = _github(header, records, id_column, problems)
    else:
        roster = _plain(header, records, id_column, problems)
    seen: dict[str, int] = {}
    for s in roster.students:
        seen[s.student] = seen.get(s.student, 0) + 1
    for sid, n in seen.items():
        if n > 1:
            problems.append(f"the id {sid!r} is on {n} rows")
    if not roster.students and not problems:
        problems.append("no students")
    if problems:
        raise RosterError([p if p.startswith(path.name) else f"{path.name}: {p}" for p in problems])
    return roster


def roster_kind(header: list[str]) -> str:
    """The kind of roster a CSV header is (by exact column names); raises
    :class:`RosterError` for a header that fits no kind or several."""
    columns = set(header)
    kinds = []
    if set(CANVAS_REQUIRED) <= columns and columns & set(CANVAS_SIS):
        kinds.append(CANVAS)
    if _moodle_columns(header) is not None:
        kinds.append(MOODLE)
    if set(GITHUB_ROSTER) <= columns or set(GITHUB_GRADES) <= columns:
        kinds.append(GITHUB)
    if len(kinds) > 1:
        raise RosterError([f"the header has the columns of several kinds of roster ({', '.join(kinds)}): "
                           f"{', '.join(header)}"])
    if kinds:
        return kinds[0]
    if _column(header, PLAIN_ID) is not None:
        return PLAIN
    raise RosterError([
        "not a roster rnngrade knows (no id column, and not the columns of Canvas, Moodle or GitHub "
        "Classroom). Expected one of: Canvas's gradebook export (columns Student, ID and "
        "SIS User ID or SIS Login ID); Moodle's grading worksheet (columns Identifier and Last modified (grade), "
        "or their names in Chinese: download it in English or Chinese); GitHub Classroom's roster (identifier, "
        "github_username) or an assignment's grades (github_username, roster_identifier, "
        "student_repository_name); or a plain CSV with an id column (" + ", ".join(PLAIN_ID) +
        f"). The header is: {', '.join(header)}"])


def _column(header: list[str], names: tuple[str, ...], not_this: str | None = None) -> str | None:
    """The first column of ``header`` named one of ``names`` (without case or spaces)."""
    lower = {c.strip().lower(): c for c in reversed(header)}
    return next((lower[n] for n in names if n in lower and lower[n] != not_this), None)


def _moodle_columns(header: list[str]) -> tuple[str, str] | None:
    """(identifier column, last modified (grade) column) of a Moodle worksheet, or None."""
    ident = next((i for i, _ in MOODLE_HEADERS.values() if i in header), None)
    modified = next((m for _, m in MOODLE_HEADERS.values() if m in header), None)
    return (ident, modified) if ident and modified else None


def _pick(record: dict[str, str], id_column: str | None, order: tuple[str, ...]) -> str:
    if id_column:
        return record.get(id_column, "")
    return next((record[c] for c in order if record.get(c)), "")


def _canvas(header: list[str], records: list[dict[str, str]], id_column: str | None,
            problems: list[str]) -> Roster:
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


def _moodle(header: list[str], records: list[dict[str, str]], id_column: str | None,
            problems: list[str]) -> Roster:
    columns = _moodle_columns(header)
    assert columns is not None
    ident = columns[0]
    names = [c for c in header if c.lower() in ("full name", "姓名", "全名")]
    name_column = names[0] if names else ""
    students = []
    for n, r in enumerate(records, start=2):
        number = _NUMBER.search(r.get(ident, ""))
        if number is None:  # Moodle writes "Participant 12345" (zh_CN: "参与人12345")
            problems.append(f"row {n}: {ident} {r.get(ident, '')!r} holds no participant number")
            continue
        sid = _pick(r, id_column, MOODLE_ID_COLUMNS) or number.group(1)
        students.append(RosterStudent(sid, r.get(name_column, ""), number.group(1), "", r))
    return Roster(MOODLE, header, students)


def _github(header: list[str], records: list[dict[str, str]], id_column: str | None,
            problems: list[str]) -> Roster:
    grades = "roster_identifier" in header
    ident = id_column or ("roster_identifier" if grades else "identifier")
    students = []
    for n, r in enumerate(records, start=2):
        sid, login = r.get(ident, ""), r.get("github_username", "")
        if not sid:
            if not grades:
                problems.append(f"row {n}: empty {ident}")
            # An assignment's grades list accounts never linked to the roster without an
            # identifier: no student to grade them as (their repositories are reported).
            continue
        repo = r.get("student_repository_name", "").rsplit("/", 1)[-1]
        students.append(RosterStudent(sid, r.get("name", ""), "", repo, r, login))
    repos: dict[str, list[str]] = {}
    for s in students:
        if s.handin:
            repos.setdefault(s.handin, []).append(s.student)
    for repo, ids in repos.items():
        if len(ids) > 1:
            problems.append(f"the repository {repo} belongs to {len(ids)} students ({', '.join(ids)}): a group "
                            "assignment, which rnngrade does not grade (each student hands in their own)")
    return Roster(GITHUB, header, students)


def _plain(header: list[str], records: list[dict[str, str]], id_column: str | None, problems: list[str]) -> Roster:
    id_col = id_column or _column(header, PLAIN_ID)
    if id_col is None:
        problems.append(f"no id column: expected one of {', '.join(PLAIN_ID)} (or --roster-id COLUMN); "
                        f"the header is {', '.join(header)}")
        return Roster(PLAIN, header, [])
    name_col = _column(header, PLAIN_NAME, id_col)
    handin_col = _column(header, PLAIN_HANDIN, id_col)
    login_col = _column(header, PLAIN_LOGIN, id_col)
    students = []
    for n, r in enumerate(records, start=2):
        sid = r.get(id_col, "")
        if not sid:
            problems.append(f"row {n}: empty {id_col}")
            continue
        students.append(RosterStudent(sid, r.get(name_col, "") if name_col else "", "",
                                      r.get(handin_col, "") if handin_col else "", r,
                                      r.get(login_col, "") if login_col else ""))
    return Roster(PLAIN, header, students)
