"""What a batch tells the instructor when it ends, and its exit status.

The exit status of ``rnngrade batch`` (:func:`exit_status`) says whether the class's
results are complete, not whether every student passed:

* ``0`` (:data:`COMPLETE`): every hand-in has its gradebook row, report and results,
  a row whose grading failed (a timeout, a grading process that died, a grader error)
  included: that row says why, the student's report says so, the next run grades it
  again, and the failures are listed as warnings. One student's failure is part of the
  class's results, not a failed batch, so CI goes on to export them.
* ``1`` (:data:`INCOMPLETE`): the batch ran, but some hand-ins have no row: the roster
  does not know them, so they were not graded under a made-up id (see
  ``grade_unmatched``). Everything else is recorded; the instructor must act.
* ``2`` (:data:`CANNOT_RUN`): nothing was graded: an unusable roster (unreadable, of
  no known kind, or matching none of the hand-ins), official grading refused where the
  child would not be isolated, or bad options (click's own usage errors are 2 too).
* ``128 + N``: stopped by signal N (130 for Ctrl-C, 143 for SIGTERM); what was graded
  is recorded, and running the same command again resumes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..i18n import Message, msg
from . import BatchSummary

COMPLETE, INCOMPLETE, CANNOT_RUN = 0, 1, 2
FAILURE_KINDS = ("timeout", "worker_died", "grader_error")


@dataclass(frozen=True)
class Line:
    text: Message
    level: str  # "info" (stdout), "warning" or "error" (stderr)


def exit_status(summary: BatchSummary) -> int:
    return INCOMPLETE if summary.not_graded else COMPLETE


def summary_lines(summary: BatchSummary, out: Path | str, handed_in: str | Path = "lms") -> list[Line]:
    """The lines the batch prints when it ends, in order (``handed_in``: the source of
    hand-in times the batch was given, named when some hand-ins had no time)."""
    out = Path(out)
    lines = [Line(_counts(summary, out), "info")]
    if summary.late:
        lines.append(Line(msg("course.batch_late", n=len(summary.late)), "info"))
    if summary.no_time:
        lines.append(Line(msg("course.batch_no_time", n=len(summary.no_time), source=str(handed_in)), "warning"))
    found = summary.intake
    if found is not None:
        parts = []
        if found.unmatched:
            held = len(summary.not_graded)
            parts.append(msg("batch.intake_part.unmatched_held", n=held) if held else
                         msg("batch.intake_part.unmatched_graded", n=len(found.unmatched)))
        if found.missing:
            parts.append(msg("batch.intake_part.missing", n=len(found.missing)))
        if found.duplicates:
            parts.append(msg("batch.intake_part.duplicates", n=len(found.duplicates)))
        if found.ignored:
            parts.append(msg("batch.intake_part.ignored", n=len(found.ignored)))
        if parts:
            lines.append(Line(msg("batch.intake_summary", entries=len(found.entries), parts=parts,
                                  path=str(out / "intake.csv")), "info"))
    sources = {e.key: e.source for e in found.entries} if found else {}
    if summary.failed:
        lines.append(Line(msg("batch.failed_heading", n=len(summary.failed)), "warning"))
        for key, why in summary.failed.items():
            lines.append(Line(msg("batch.run.failed_line", key=key, source=sources.get(key, ""), why=why), "warning"))
    if summary.not_graded:
        lines.append(Line(msg("batch.not_graded_heading", n=len(summary.not_graded)), "error"))
        for key in summary.not_graded:
            lines.append(Line(msg("batch.not_graded_line", key=key, source=sources.get(key, "")), "error"))
    return lines


def _counts(summary: BatchSummary, out: Path) -> Message:
    if not summary.failed:
        return msg("batch.summary", graded=len(summary.graded), skipped=len(summary.skipped), out=str(out))
    counts = summary.failures()
    why = [msg(f"batch.failure_kind.{kind}", n=counts[kind]) for kind in FAILURE_KINDS if counts.get(kind)]
    return msg("batch.summary_failed", graded=len(summary.graded), skipped=len(summary.skipped),
               failed=len(summary.failed), why=why, out=str(out))
