"""``rnngrade gradebook`` without an export option prints the class statistics
(tryout finding 17: it printed no mean, median or spread, only ten check ids that
were all quiz items, and "1 students"): mean, median, spread, the distribution, the
mean of each exercise, the hardest checks and quiz questions apart, the known
mistakes; failed rows counted by kind; every count in the right number."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.gradebook import Gradebook, Record
from grader.gradebook.stats import class_statistics


def _record(book: Gradebook, key: str, relu: float | None, quiz: float = 0.0, status: str = "graded",
            mistakes: tuple[str, ...] = ()) -> None:
    tests = [
        {"name": "relu_forward: out compared with the reference", "score": relu or 0.0, "max_score": 6.0,
         "status": "passed" if relu == 6 else "failed", "output": "", "tags": ["relu", "value"],
         "extra_data": {"id": "relu.value", "mistakes": list(mistakes)}},
        {"name": "Quiz 4 (bp_layers): Which three kinds of layers make up a BP network?", "score": quiz,
         "max_score": 2.0, "status": "passed" if quiz == 2 else "failed", "output": "", "tags": ["quiz", "quiz"],
         "extra_data": {"id": "quiz.bp_layers", "mistakes": []}},
    ]
    score = (relu or 0.0) + quiz
    book.record(Record(student=key, fingerprint="f", grader_key="k", score=score if status == "graded" else 0.0,
                       max_score=8.0 if status == "graded" else 0.0, load_status="loaded", isolation="bubblewrap",
                       graded_at="t", seconds=1.0, results={"tests": tests if status == "graded" else []},
                       status=status, detail="" if status == "graded" else "3 s"))


@pytest.fixture
def class_book(tmp_path):
    path = tmp_path / "g.sqlite"
    with Gradebook(path) as book:
        _record(book, "a", 2.0, mistakes=("10",))
        _record(book, "b", 4.0, mistakes=("10",))
        _record(book, "c", 6.0, quiz=0.0, mistakes=("4",))
        _record(book, "d", 6.0, quiz=2.0)
        _record(book, "e", None, status="timeout")
    return path


def test_statistics_of_a_class(class_book):
    with Gradebook(class_book) as book:
        stats = class_statistics(book)
    assert (stats.rows, stats.graded, stats.failed) == (5, 4, {"timeout": 1})
    assert stats.mean == pytest.approx(62.5) and stats.median == pytest.approx(62.5)  # even: mean of 50 and 75
    assert stats.lowest == 25.0 and stats.highest == 100.0 and stats.stdev == pytest.approx(27.95, abs=0.01)
    assert stats.distribution == [0, 0, 1, 0, 0, 1, 0, 1, 0, 1]  # 100 % in the last bin
    assert [(e.exercise, e.mean, e.max_points) for e in stats.exercises] == [("quiz", 0.5, 2.0), ("relu", 4.5, 6.0)]
    assert [c["check"] for c in stats.hardest_checks] == ["relu.value"]  # code checks ...
    assert [q["check"] for q in stats.hardest_questions] == ["quiz.bp_layers"]  # ... and quiz questions apart
    assert stats.mistakes == {"10": 2, "4": 1}


def test_the_command_prints_them_with_counts_in_the_right_number(class_book):
    result = CliRunner().invoke(main, ["gradebook", str(class_book), "--lang", "en"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "5 students in the gradebook: 4 graded, 1 could not be graded (1 timed out; their rows say why)." in out
    assert ("Scores in percent of 8 points: mean 62.5%, median 62.5%, standard deviation 28.0 percentage points, "
            "lowest 25.0%, highest 100.0%.") in out
    assert "Distribution (students per 10 percent):" in out and "  90–100%    1  █" in out
    assert "Mean points per exercise:" in out and "ReLU activation" in out
    assert "Checks with the lowest pass rate:" in out and "relu_forward: out compared with the reference" in out
    assert "Quiz questions with the lowest mean score:" in out and "Quiz 4 (bp_layers)" in out
    assert "(in-place modification of inputs): 2 students" in out and "(dprev_c without the forget gate): 1 student\n" in out
    zh = CliRunner().invoke(main, ["gradebook", str(class_book), "--lang", "zh"]).output
    assert "成绩册中共 5 名学生：已评分 4 名，1 名未能评分（1 份超时；其成绩册行说明了原因）。" in zh
    assert "平均 62.5%，中位数 62.5%" in zh


def test_one_student_is_one_student(tmp_path):
    with Gradebook(tmp_path / "g.sqlite") as book:
        _record(book, "solo", 6.0, quiz=2.0)
    out = CliRunner().invoke(main, ["gradebook", str(tmp_path / "g.sqlite"), "--lang", "en"]).output
    assert "1 student in the gradebook, 1 graded." in out and "1 students" not in out


def test_an_empty_gradebook_says_so(tmp_path):
    Gradebook(tmp_path / "g.sqlite").close()
    result = CliRunner().invoke(main, ["gradebook", str(tmp_path / "g.sqlite"), "--lang", "en"])
    assert result.exit_code == 0 and result.output.strip() == "0 students in the gradebook, 0 graded."
