"""Scoring policy rule 7: an assignment's weights, in one place, for every kind of item."""

from __future__ import annotations

import pytest

from grader.checks.engine import Exercise, ExerciseResult
from grader.checks.model import CheckResult, Kind, Status
from grader.checks.policy import Weights, apply_weights, points_table
from grader.i18n import msg, render
from grader.specs import all_exercises


def _er(name: str, items: list[tuple[str, Kind, float, float, Status]]) -> ExerciseResult:
    ex = Exercise(name, msg("exercise.relu"), "layers.py", [], [])
    results = []
    for cid, kind, points, max_points, status in items:
        r = CheckResult(cid, name, "f", kind, msg("title.value", func="f", outputs="out"), max_points, points, status)
        results.append(r)
    return ExerciseResult(ex, results)


def test_kind_factors_then_the_exercises_total():
    w = Weights({"relu": 10}, {"gradient": 2, "mutation": 0})
    items = [("value", 4.0), ("gradient", 2.0), ("mutation", 1.0)]
    factors = w.factors("relu", items)
    assert factors == pytest.approx([1.25, 2.5, 0.0])  # 4 + 4 + 0 = 8, scaled to 10
    assert sum(f * m for f, (_, m) in zip(factors, items, strict=True)) == pytest.approx(10)
    assert w.factors("tanh", items) == [1.0, 2.0, 0.0]  # not named: its own total
    assert Weights({"relu": 0}).factors("relu", items) == [0.0, 0.0, 0.0]
    assert Weights({"relu": 5}).factors("relu", [("value", 0.0)]) == [1.0]  # nothing to scale
    assert not Weights() and Weights({"relu": 5}) and Weights({}, {"value": 1})


def test_weights_scale_points_and_maxima_and_restate_what_messages_say():
    er = _er("quiz", [("quiz.a", Kind.QUIZ, 0.5, 1.0, Status.FAILED), ("quiz.b", Kind.QUIZ, 1.0, 1.0, Status.PASSED)])
    er.results[0].messages = [msg("quiz.result.partial", answer="A", right=3, n=4, points="0.5", max_points="1",
                                  rule=msg("quiz.rule.right_minus_wrong"))]
    apply_weights([er], Weights({"quiz": 10}))
    assert [(r.points, r.max_points) for r in er.results] == [(2.5, 5.0), (5.0, 5.0)]
    assert er.points == 7.5 and er.max_points == 10
    text = render(er.results[0].messages[0], "en")
    assert "2.5 of 5 points" in text  # the message says the weighted points


def test_pending_points_are_restated_in_the_weighted_points():
    er = _er("lstm", [("lstm.forward", Kind.VALUE, 0.0, 2.0, Status.FAILED),
                      ("lstm.grad.dx", Kind.GRADIENT, 0.0, 3.0, Status.PENDING)])
    er.results[1].messages = [msg("policy.later_call", func="lstm_forward")]
    apply_weights([er], Weights({}, {"gradient": 2}))
    assert er.results[1].max_points == 6
    [note] = er.notes
    assert note.params["points"] == "6"


def test_without_weights_nothing_changes():
    er = _er("relu", [("relu.forward", Kind.VALUE, 1.0, 2.0, Status.FAILED)])
    before = [(r.points, r.max_points, list(r.messages)) for r in er.results]
    apply_weights([er], Weights())
    apply_weights([er], Weights({"tanh": 100}, {"gradient": 3}))  # nothing of this exercise named
    assert [(r.points, r.max_points, list(r.messages)) for r in er.results] == before and er.notes == []


def test_the_points_table_of_an_assignment():
    exercises = [e for e in all_exercises() if e.name in ("relu", "affine")]
    table = points_table(exercises, Weights({"affine": 26}, {"mutation": 0}))
    rows = {line.split(" | ")[0].strip("| "): line for line in table.splitlines()[2:]}
    assert rows["relu"].endswith("| 6 |") and rows["affine"].endswith("| 26 |")
    assert "**32**" in rows["**all**"]
    assert points_table(exercises) == points_table(exercises, Weights())
