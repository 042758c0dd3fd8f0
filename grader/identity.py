"""Which student a submission is graded as when no id is given.

The id seeds the hidden inputs of official grading and decides the quiz variant, so
it is never made up silently. Given (``--student``, a roster, Gradescope's metadata),
it is used as it is. Otherwise the answer sheet's ``[sheet] student``, written by
``rnngrade quiz`` for the student's own id, is the only id there is, and is used (a
self-check then shows the student's id, not "anonymous"); an official grade says so
loudly, since the sheet is the student's to write. With neither, the id is
``anonymous``, and an official grade says that too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .submission import Notice, Snapshot

ANONYMOUS = "anonymous"
GIVEN, SHEET, NONE = "given", "sheet", "none"
MAX_ID = 100  # characters of a sheet's id taken as a student id


@dataclass(frozen=True)
class Identity:
    student: str
    source: str  # GIVEN, SHEET or NONE

    def notice(self, official: bool) -> Notice | None:
        """What the result must say about its id (None: nothing)."""
        if not official or self.source == GIVEN:
            return None
        if self.source == SHEET:
            return Notice("identity.from_sheet", {"student": self.student})
        return Notice("identity.anonymous_official", {"student": self.student})


def sheet_student(snapshot: Snapshot) -> str | None:
    """The id in the submission's answer sheet (``[sheet] student``), or None."""
    from .quiz.sheet import find_sheet, read_sheet

    found, _ = find_sheet(snapshot)
    if found is None:
        return None
    sheet = read_sheet(Path(found.path), [], display=found.path, data=found.data)
    # Exactly the id the sheet was made for (its variant is drawn for that string, spaces
    # and all, and the quiz reads a sheet only against its own variant); read_sheet has
    # cleaned it, capped it and refused a blank one.
    student = (sheet.student or "")[:MAX_ID]
    return student if student.strip() and student != ANONYMOUS else None


def identify(snapshot: Snapshot, given: str | None) -> Identity:
    """The id to grade ``snapshot`` as: ``given``, else the sheet's, else anonymous."""
    if given:
        return Identity(given, GIVEN)
    from_sheet = sheet_student(snapshot)
    return Identity(from_sheet, SHEET) if from_sheet else Identity(ANONYMOUS, NONE)
