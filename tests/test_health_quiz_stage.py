"""The quiz stage is a pure function of the submission's snapshot (issue 16): it
returns its part of the grade (the quiz's exercise result and the sheet's notices);
run_quiz only applies that part to a result."""

from __future__ import annotations

from support import SOLUTIONS

from grader import paths
from grader.quiz.stage import QuizPart, quiz_stage, run_quiz
from grader.results import Result
from grader.submission import take_snapshot


def test_the_quiz_stage_returns_its_part_and_changes_nothing(tmp_path):
    snapshot = take_snapshot(paths.EXAMPLES / "sample_submission")
    part = quiz_stage("sample", snapshot, solutions=SOLUTIONS)
    again = quiz_stage("sample", snapshot, solutions=SOLUTIONS)
    assert isinstance(part, QuizPart) and part.exercise is not None
    assert part.exercise.points == again.exercise.points > 0 and part.exercise.max_points > 0
    # Applied to a result: the same exercise and notices, nothing else touched.
    result = Result(student="sample", assignment="", official=True, exercises=[])
    run_quiz(result, snapshot, solutions=SOLUTIONS)
    (quiz,) = result.exercises
    assert quiz.points == part.exercise.points and [n.key for n in result.notices] == [n.key for n in part.notices]
    # A self-check of code alone (no sheet): no quiz exercise, a notice that says so.
    empty = tmp_path / "code-only"
    empty.mkdir()
    (empty / "layers.py").write_text("x = 1\n")
    alone = quiz_stage("s", take_snapshot(empty))
    assert alone.exercise is None and [n.key for n in alone.notices] == ["quiz.sheet.not_started"]
