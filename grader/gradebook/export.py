"""Grade exports: the plain CSV, and the import files of Canvas's and Moodle's gradebooks.

Every text cell of every export goes through :func:`spreadsheet_cell`: cleaned of
control characters (:mod:`grader.untrusted`) and, when it starts like a formula
(``=``, ``+``, ``-``, ``@``, a tab or a carriage return, or their full-width forms;
leading spaces ignored; a lone ``-`` or ``+`` is no formula and is kept, as Moodle
writes ``-`` for "never"), prefixed with ``'`` so that no spreadsheet evaluates it
(OWASP, "CSV Injection").
Numbers stay numbers. A student whose grading failed, or who handed nothing in, gets
an empty grade cell, never a zero: both LMS importers skip an empty cell and keep
the grade they had.

Manual adjustments and late penalties (:mod:`grader.assignments.adjustments`) are in
every grade written (a row's score is the settled one) and said in words: in the plain
CSV's own columns; in Moodle's ``Feedback comments`` column (added to a minimal
worksheet when there is something to say); in Canvas's teacher-only ``Notes`` column
when the course's own export (the roster) has one (Canvas's grade import carries no
submission comments; a new column would become a new assignment).

Formats (``docs/batch.md`` cites the sources):

* **Canvas** ("Import grades" in the Gradebook): the columns of Canvas's own gradebook
  export, ``Student``, ``ID``, ``SIS User ID``, ``SIS Login ID``, ``Section``, then one
  column per assignment, titled ``Name (assignment id)`` to update an existing
  assignment or just ``Name`` to create one; a second row ``Points Possible``. Canvas
  matches students by ``ID`` (its user id), the SIS ids or the name. Without Canvas's
  export as the roster only the graded ids can be written (as ``SIS User ID``): refused
  unless the caller says they are SIS User IDs (``sis_ids``, ``--canvas-sis-ids``).
* **Moodle** (the assignment's "Upload grading worksheet", offline grading): the
  worksheet Moodle downloads, with the ``Grade`` column filled in. The importer needs
  ``Identifier`` (``Participant N``), ``Grade`` and ``Last modified (grade)`` (it skips
  a row whose grade was changed in Moodle more than a minute after that time, and a
  grade above the row's ``Maximum Grade``), by their names in the language of the
  Moodle user who uploads it. With the downloaded worksheet as the roster, its rows
  are written back as they were, grade added; otherwise a minimal worksheet is written
  for the participants whose number the hand-in names gave.

An LMS's own numbers are written only into that LMS's file: a Moodle participant
number never goes into Canvas's ``ID`` column, nor a Canvas user id into Moodle's
``Identifier`` (each would name another person there). An export that would hold no
student at all is refused with :class:`ExportError`, which says what to do, and no
file is written: a header-only file that an LMS accepts silently helps nobody.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..fileio import write_atomic
from ..i18n import Message, msg
from ..untrusted import clean
from .status import RowStatus

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_ID, MOODLE_GRADE, MOODLE_MAX, MOODLE_MODIFIED = "Identifier", "Grade", "Maximum Grade", "Last modified (grade)"
MOODLE_PARTICIPANT = "Participant "
MOODLE_FEEDBACK = "Feedback comments"
CANVAS_NOTES = "Notes"


def spreadsheet_cell(value: Any) -> Any:
    """A value as a CSV cell no spreadsheet will evaluate or choke on."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return value
    text = clean(str(value))
    if is_formula(text):
        return "'" + text
    return text


def is_formula(text: str) -> bool:
    """Would a spreadsheet read ``text`` as a formula (or a DDE command)?"""
    stripped = text.lstrip(" ")
    return stripped.startswith(FORMULA_START) and stripped not in ("-", "+", "\uff0d", "\uff0b")


def _csv(rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([spreadsheet_cell(v) for v in row])
    return buffer.getvalue()


class ExportError(Exception):
    """Nothing could be exported in this format; ``message`` says why and what to do."""

    def __init__(self, message: Message) -> None:
        self.message = message
        super().__init__(message.key)


@dataclass
class ExportReport:
    """What an export wrote: rows with a grade, rows left blank and why, and graded
    submissions the LMS file has no row for."""

    graded: int = 0
    blank: dict[str, str] = field(default_factory=dict)  # student -> "no hand-in" / a failure status
    not_in_file: list[str] = field(default_factory=list)


def _grade(row: dict[str, Any] | None, points: float | None) -> float | None:
    if row is None or row["status"] != RowStatus.GRADED.value:
        return None
    if points is not None and row["max_score"]:
        return round(row["score"] / row["max_score"] * points, 2)
    return round(row["score"], 4)


def _number(x: float | None) -> Any:
    return "" if x is None else (int(x) if float(x).is_integer() else x)


def _blank_reason(row: dict[str, Any] | None) -> str:
    return "no hand-in" if row is None else row["status"]


def comments(book: Any, student: str, lang: str = "en") -> str:
    """The manual adjustments and the late penalty of a student's grade, in words
    (one line each), as the student's report says them; "" when there are none."""
    from ..i18n import render
    from ..results.text import adjustment_message

    settled = book.settlement(student)
    if settled is None:
        return ""
    return "\n".join(render(adjustment_message(line), lang) for line in settled.lines)


# ------------------------------------------------------------------ plain
def write_plain(book: Any, path: Path | str, lang: str = "en") -> None:
    """One row per submission: the score (final: adjustments and late penalty included),
    maximum, per-exercise points (with the adjustments of its checks and of itself), named
    mistakes, status, the id graded, the hand-in's names; then the hand-in time, days late, the late penalty's and the
    adjustments' points, and the comments that explain them."""
    per_ex = book.exercise_scores()
    exercises = sorted({e for scores in per_ex.values() for e in scores})
    mistakes: dict[str, set[str]] = {}
    for student, ms in book.db.execute("SELECT student, mistakes FROM checks WHERE mistakes != ''"):
        mistakes.setdefault(student, set()).update(ms.split(","))
    rows: list[list[Any]] = [["student", "score", "max_score", *exercises, "mistakes", "fingerprint", "graded_at",
                              "status", "student_id", "source", "handed_in", "late_days", "late_penalty",
                              "adjustments", "comments"]]
    for s in book.students():
        graded = s["status"] == RowStatus.GRADED.value
        settled = book.settlement(s["student"]) if graded else None
        lateness = book.lateness(s["student"])
        rows.append([s["student"], s["score"] if graded else "", s["max_score"] if graded else "",
                     *[per_ex.get(s["student"], {}).get(e, 0) if graded else "" for e in exercises],
                     " ".join(sorted(mistakes.get(s["student"], set()), key=int)),
                     s["fingerprint"], s["graded_at"], s["status"], s["student_id"], s["source"],
                     s.get("handed_in", ""), lateness.days if lateness is not None else "",
                     settled.late_points if settled is not None else "",
                     settled.adjusted if settled is not None else "",
                     comments(book, s["student"], lang) if graded else ""])
    write_atomic(Path(path), _csv(rows))


# ------------------------------------------------------------------ Canvas
def write_canvas(book: Any, path: Path | str, assignment: str, points: float | None = None,
                 lang: str = "en", sis_ids: bool = False) -> ExportReport:
    """Canvas's gradebook import file, one assignment column titled ``assignment``
    (``"RNN quiz (1234)"`` updates assignment 1234). ``points``: the assignment's
    points possible in Canvas; scores are scaled to it (else raw points). When the
    roster (Canvas's own export) has the teacher-only ``Notes`` column, the comments of
    adjustments and late penalties are added to each student's notes there.

    Without a Canvas roster the rows have no Canvas user id and no name Canvas knows:
    only the graded ids, as ``SIS User ID``. That is refused (:class:`ExportError`, as
    Moodle without participant numbers) unless ``sis_ids`` says those ids are the
    students' SIS User IDs in Canvas."""
    info, roster = book.roster()
    rows = {s["student"]: s for s in book.students()}
    if not rows and not roster:
        raise ExportError(msg("batch.export.empty", format="Canvas"))
    canvas = info.get("kind") == "canvas"
    if not canvas and not sis_ids:
        raise ExportError(msg("fixb.no_canvas_roster", kind=info.get("kind") or "none"))
    report = ExportReport()
    graded_max = max((s["max_score"] for s in rows.values() if s["status"] == RowStatus.GRADED.value), default=0)
    possible = points if points is not None else graded_max
    notes = canvas and CANVAS_NOTES in info.get("columns", [])
    extra = [CANVAS_NOTES] if notes else []
    out: list[list[Any]] = [[*CANVAS_COLUMNS, *extra, assignment],
                            ["    Points Possible", "", "", "", "", *[""] * len(extra), _number(possible)]]
    seen: set[str] = set()
    for r in roster:
        row = rows.get(r["student"])
        seen.add(r["student"])
        values = r["row"] if canvas else {}
        grade = _grade(row, points)
        note = [_joined(values.get(CANVAS_NOTES, ""), comments(book, r["student"], lang) if grade is not None
                        else "")] if notes else []
        # Canvas's ID is Canvas's user id: only a Canvas roster (or download) has one.
        out.append([values.get("Student", r["name"]), values.get("ID", r["lms_id"] if canvas else ""),
                    values.get("SIS User ID", "" if canvas else r["student"]),
                    values.get("SIS Login ID", ""), values.get("Section", ""), *note, _number(grade)])
        _count(report, r["student"], row, grade)
    for key, row in rows.items():
        if key in seen:
            continue
        if roster:
            report.not_in_file.append(key)
            continue
        grade = _grade(row, points)  # no roster: the grading id is the SIS user id
        out.append(["", "", row["student_id"] or key, "", "", _number(grade)])
        _count(report, key, row, grade)
    write_atomic(Path(path), _csv(out))
    return report


def _joined(before: str, ours: str) -> str:
    """An LMS's text cell with our comments after what it held (never twice)."""
    ours = ours.replace("\n", " | ")
    if not ours or ours in before:
        return before
    return f"{before} | {ours}" if before.strip() else ours


def _count(report: ExportReport, student: str, row: dict[str, Any] | None, grade: float | None) -> None:
    if grade is None:
        report.blank[student] = _blank_reason(row)
    else:
        report.graded += 1


# ------------------------------------------------------------------ Moodle
def write_moodle(book: Any, path: Path | str, points: float | None = None,
                 now: _dt.datetime | None = None, lang: str = "en") -> ExportReport:
    """Moodle's grading worksheet with the grades filled in (see the module docstring).
    Grades are scaled to each row's ``Maximum Grade`` when the worksheet has one, else
    to ``points``, else raw points. The comments of adjustments and late penalties go to
    ``Feedback comments`` (after what the worksheet held there)."""
    info, roster = book.roster()
    rows = {s["student"]: s for s in book.students()}
    moodle = info.get("kind") == "moodle"
    if not moodle or not (roster if MOODLE_GRADE in info.get("columns", []) else
                          [r for r in roster if r["lms_id"] and r["student"] in rows]):
        # No worksheet to write back and no participant number: Moodle could match no row.
        raise ExportError(msg("batch.export.no_moodle", kind=info.get("kind") or "none"))
    report = ExportReport()
    stamp = (now or _dt.datetime.now(_dt.UTC)).strftime("%Y-%m-%d %H:%M:%S %z")
    if MOODLE_GRADE in info.get("columns", []):
        columns = list(info["columns"])
        out: list[list[Any]] = [columns]
        for r in roster:
            row = rows.get(r["student"])
            values = dict(r["row"])
            grade = _grade(row, _maximum(values.get(MOODLE_MAX)) or points)
            values[MOODLE_GRADE] = _number(grade) if grade is not None else values.get(MOODLE_GRADE, "")
            if grade is not None and MOODLE_FEEDBACK in columns:
                values[MOODLE_FEEDBACK] = _joined(values.get(MOODLE_FEEDBACK, ""), comments(book, r["student"], lang))
            out.append([values.get(c, "") for c in columns])
            _count(report, r["student"], row, grade)
        report.not_in_file = [k for k in rows if k not in {r["student"] for r in roster}]
    else:
        by_student = {r["student"]: r for r in roster}
        said = {key: comments(book, key, lang) for key in rows}
        feedback = any(said.values())
        out = [[MOODLE_ID, "Full name", MOODLE_GRADE, MOODLE_MAX, MOODLE_MODIFIED, *[MOODLE_FEEDBACK] * feedback]]
        for key, row in rows.items():
            r = by_student.get(key)
            if r is None or not r["lms_id"]:
                report.not_in_file.append(key)  # no participant number: Moodle could not match the row
                continue
            grade = _grade(row, points)
            out.append([MOODLE_PARTICIPANT + r["lms_id"], r["name"], _number(grade),
                        _number(points) if points is not None else "", stamp,
                        *[_joined("", said[key]) if grade is not None else ""] * feedback])
            _count(report, key, row, grade)
    write_atomic(Path(path), _csv(out))
    return report


def _maximum(text: Any) -> float | None:
    """A worksheet's ``Maximum Grade`` ("100.00", or "100,00" in some locales)."""
    try:
        value = float(str(text).strip().replace(",", "."))
    except ValueError:
        return None
    return value if value > 0 else None
