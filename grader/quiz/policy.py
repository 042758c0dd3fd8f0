"""When a quiz's key may be seen: the release policy of one quiz.

A quiz that counts must not give its key away, neither in the student release nor in
the feedback a student can read before the deadline. Two settings decide it, both
in one small object read from one place:

``practice`` (default ``false``)
    ``false``: a *counted* quiz. Its release holds no key material at all (no
    digests, no answers, no explanations, options listed in an order unrelated to the
    key), and a self-check only validates the sheet's format ("answer recorded").
    ``true``: a *practice* quiz (formative). The release carries salted digests so
    the self-check says right or wrong per question; anyone can recover the key from
    them (a four-option question has four candidates), so its points must not count.

``answers_after`` (default: none)
    The deadline after which official reports show each question's correct answer
    and explanation (a date-time with a UTC offset). Before it, and always when it is
    not set for a counted quiz, the key is held back; a practice quiz without a
    deadline shows them at once (its key is public anyway).

A course file's assignment owns them (``practice`` and ``answers_after`` in
``course.toml``, ``docs/course.md``; applied to the bank by :mod:`.selection`); where it
does not set them, and without a course file, the ``[quiz]`` table of each quiz file of
the instructor's bank decides (``solutions/quiz/*.toml``, documented in ``docs/quiz.md``)::

    [quiz]
    practice = false
    answers_after = 2025-07-01T00:00:00+08:00

:meth:`QuizPolicy.from_table` reads them from such a table. The student bank records
the same two fields (they are no secret: students may know whether a quiz counts and
when answers come).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

FIELDS = ("practice", "answers_after")
# Settings of earlier versions, refused with the name that replaced them.
RETIRED = {
    "self_check": "practice",
    "show_explanations": "answers_after",
    "explanations_after": "answers_after",
}


@dataclass(frozen=True)
class QuizPolicy:
    practice: bool = False
    answers_after: _dt.datetime | None = None

    def answers_shown(self, now: _dt.datetime) -> bool:
        """May official feedback graded at ``now`` show correct answers and explanations?"""
        if self.answers_after is not None:
            return now >= self.answers_after
        return self.practice

    def to_table(self) -> dict[str, Any]:
        """The fields as the student bank records them."""
        table: dict[str, Any] = {"practice": self.practice}
        if self.answers_after is not None:
            table["answers_after"] = self.answers_after
        return table

    @classmethod
    def from_table(cls, table: dict[str, Any], where: str, problems: list[str]) -> QuizPolicy:
        """Read the policy from a ``[quiz]``-like table; problems are appended, naming
        ``where`` (the file), and the safe default is kept for a bad value."""
        for old, new in RETIRED.items():
            if old in table:
                problems.append(f"{where}: quiz.{old} was replaced by quiz.{new} (see docs/quiz.md, "
                                "'Counted and practice quizzes')")
        practice = table.get("practice", False)
        if not isinstance(practice, bool):
            problems.append(f"{where}: quiz.practice must be true or false")
            practice = False
        after = table.get("answers_after")
        if after is not None and not (isinstance(after, _dt.datetime) and after.tzinfo is not None):
            problems.append(f"{where}: quiz.answers_after must be a date-time with a UTC offset, "
                            "e.g. 2025-07-01T00:00:00+08:00")
            after = None
        return cls(practice=practice, answers_after=after)
