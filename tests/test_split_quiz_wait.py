"""The quiz of a split grade (grader/api.py) is made while the parent waits for the split's
helper, when it does, and the grade is the grade made in one process."""

from __future__ import annotations

import os
import time

from support import SOLUTIONS, exercises_named

from grader import api, split
from grader.checks import engine
from grader.quiz.grading import quiz_exercise

SMALL = ("affine", "relu", "sigmoid", "tanh", "losses", "net", "residual")


def test_the_quiz_is_made_while_the_parent_waits_for_a_slow_helper(splits, monkeypatch):
    parent = os.getpid()
    second_pass = engine.second_pass

    def slow_in_the_helper(*args, **kw):
        if os.getpid() != parent:
            time.sleep(0.2)  # the parent is done long before: it waits in merge()
        return second_pass(*args, **kw)

    made: list[bool] = []  # for each quiz made: was it made before the helper's share came in?
    merging: list[bool] = []
    quiz_stage, merge = api.quiz_stage, split.Split.merge

    def recorded_quiz(*args, **kw):
        made.append(bool(merging))
        return quiz_stage(*args, **kw)

    def recorded_merge(self, idle=None):
        merging.append(True)
        try:
            return merge(self, idle)
        finally:
            merging.clear()

    monkeypatch.setattr(api, "quiz_stage", recorded_quiz)
    monkeypatch.setattr(split.Split, "merge", recorded_merge)
    monkeypatch.setattr(engine, "second_pass", slow_in_the_helper)
    exercises = [*exercises_named(*SMALL), quiz_exercise()]

    def grade(**kw):
        return api.grade(SOLUTIONS, solutions=SOLUTIONS, student="quiz-wait", allow_unisolated=True,
                         exercises=exercises, experiments=False, **kw)

    alone = grade()
    assert made == [False]  # not split: after the checks, as always
    both = grade(split=True)
    assert splits and splits[0].theirs and splits[0].error is None
    assert made == [False, True]  # made in the wait, once
    for r in (alone, both):
        r.seconds, r.graded_at = 0.0, "2026-01-01T00:00:00+00:00"
    assert alone.to_dict() == both.to_dict()
    quiz = next(er for er in both.exercises if er.exercise.name == "quiz")
    assert quiz.results and quiz.points > 0  # the reference's folder answers with the key
