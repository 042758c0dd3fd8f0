"""`rnngrade adjust` says what it applied and why (an item, exercise or total stays
between 0 and its maximum), the comment says the points once, and every export shows
an adjustment where it applies: the total and the exercise's column."""

from __future__ import annotations

import csv
import io

from click.testing import CliRunner
from test_course_gradebook import _record

from grader.assignments.adjustments import Adjustment, Item, settle
from grader.cli import main
from grader.gradebook import Gradebook
from grader.gradebook.export import write_plain
from grader.i18n import render
from grader.results.text import adjustment_message

ITEMS = [Item("affine.forward", "affine", 0.0, 2.0), Item("affine.grad", "affine", 1.0, 1.0),
         Item("relu.forward", "relu", 1.0, 4.0)]


def test_a_capped_adjustment_says_at_which_bound_and_by_how_much():
    s = settle(ITEMS, [Adjustment("check", "affine.forward", "add", 50, "x"),
                       Adjustment("exercise", "relu", "add", -9, "y"),
                       Adjustment("total", "", "set", 1000, "z")])
    check, exercise, total = s.lines
    assert check["capped"] == "max" and check["limit"] == 2 and check["points"] == 2
    assert exercise["capped"] == "min" and exercise["limit"] == 0 and exercise["points"] == -1
    assert total["capped"] == "max" and total["limit"] == 7 and s.score == 7
    assert s.exercises == {"affine": 3.0, "relu": 0.0}
    en, zh = render(adjustment_message(check), "en"), render(adjustment_message(check), "zh")
    assert "+2 points applied, because check affine.forward is worth at most 2 points" in en
    assert "实际计入 +2 分" in zh and "最多为 2 分" in zh
    assert "the total is worth at most 7 points" in render(adjustment_message(total), "en")
    assert "cannot fall below 0 points" in render(adjustment_message(exercise), "en")
    # within the bounds: no cap said
    fine = settle(ITEMS, [Adjustment("check", "affine.forward", "add", 2, "bias was in the slides")]).lines[0]
    assert "capped" not in fine


def test_the_points_of_an_add_are_said_once():
    line = settle(ITEMS, [Adjustment("check", "affine.forward", "add", 2, "bias was in the slides", "ta",
                                     "2025-03-10T00:00:00+00:00")]).lines[0]
    for lang in ("en", "zh"):
        text = render(adjustment_message(line), lang)
        assert text.count("+2") == 1, text
        assert "bias was in the slides" in text


def test_exports_show_the_adjustment_in_the_exercise_column_and_the_total(tmp_path):
    with Gradebook(tmp_path / "g.sqlite") as book:
        _record(book, "alice", {"affine.forward": (0, 2), "affine.grad": (1, 1), "relu.forward": (1, 4)})
        _record(book, "bob", {"affine.forward": (0, 2), "affine.grad": (1, 1), "relu.forward": (1, 4)})
        book.adjust(Adjustment("check", "affine.forward", "add", 2, "bias was in the slides", "ta", student="alice"))
        book.adjust(Adjustment("exercise", "relu", "add", 1, "idea", "ta", student="alice"))
        assert book.exercise_scores()["alice"] == {"affine": 3.0, "relu": 2.0}
        assert book.exercise_scores()["bob"] == {"affine": 1.0, "relu": 1.0}
        write_plain(book, tmp_path / "plain.csv")
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO((tmp_path / "plain.csv").read_text()))}
    alice = rows["alice"]
    assert float(alice["score"]) == 5 and float(alice["affine"]) == 3 and float(alice["relu"]) == 2
    assert float(rows["bob"]["affine"]) == 1


def test_the_adjust_command_says_what_it_applied(tmp_path):
    path = tmp_path / "g.sqlite"
    with Gradebook(path) as book:
        _record(book, "alice", {"affine.forward": (0, 2), "affine.grad": (1, 1), "relu.forward": (1.0 / 3, 4)})
    run = lambda *a: CliRunner().invoke(main, ["adjust", str(path), "alice", *a])  # noqa: E731
    made = run("--check", "affine.forward", "--add", "50", "-m", "x", "--lang", "en")
    assert made.exit_code == 0, made.output
    assert "+2 points applied, because check affine.forward is worth at most 2 points" in made.output
    assert "the score is now 3.33 / 7" in made.output.lower()  # two decimals at most
    made = run("--total", "--set", "1000", "-m", "x", "--lang", "zh")
    assert made.exit_code == 0 and "因为总分最多为 7 分" in made.output and "7 / 7" in made.output
