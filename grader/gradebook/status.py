"""The closed vocabulary of a gradebook row's status.

Every row of a class gradebook has one, so a student whose grading failed is a row
that says why, never a gap: the batch records it, the exports leave that student's
grade blank (an LMS then keeps what it had) instead of writing a zero, and the next
run grades that student again.
"""

from __future__ import annotations

from enum import StrEnum


class RowStatus(StrEnum):
    GRADED = "graded"  # graded; its score is the grade
    GRADER_ERROR = "grader_error"  # the grader raised an exception on this submission
    WORKER_DIED = "worker_died"  # the process grading it was killed (e.g. by the OOM killer) or broke its pipe
    TIMEOUT = "timeout"  # grading this one submission took longer than the batch allows

    @property
    def graded(self) -> bool:
        return self is RowStatus.GRADED


FAILED_STATUSES = tuple(s for s in RowStatus if not s.graded)
