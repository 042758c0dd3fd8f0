"""docs/scoring.md states the concept quiz's total as the bank has it (a generated
block: tests/test_policy.py keeps the document equal to what the code computes)."""

from __future__ import annotations

import re
import shutil

from grader import paths, scoring_doc
from grader.quiz.bank import load_bank


def _numbers(sentence: str) -> tuple[float, int, int]:
    m = re.search(r"adds ([\d.]+) points: (\d+) questions in (\d+) quizzes", sentence)
    assert m, sentence
    return float(m.group(1)), int(m.group(2)), int(m.group(3))


def test_the_quiz_total_is_counted_from_the_bank(tmp_path):
    bank = load_bank(paths.SOLUTIONS / "quiz", with_key=True)
    full = _numbers(scoring_doc.quiz_total())
    assert full == (sum(q.points for q in bank.questions), len(bank.questions), len(bank.quizzes))
    # A smaller bank gives a smaller total: the sentence follows the bank.
    smaller = tmp_path / "quiz"
    shutil.copytree(paths.SOLUTIONS / "quiz", smaller)
    dropped = bank.quizzes[-1]
    (smaller / dropped.file).unlink()
    points, questions, quizzes = _numbers(scoring_doc.quiz_total(smaller))
    assert questions == full[1] - len(dropped.questions) and quizzes == full[2] - 1
    assert points == full[0] - sum(q.points for q in dropped.questions)


def test_the_document_says_the_banks_total():
    text = (paths.ROOT / "docs" / "scoring.md").read_text(encoding="utf-8")
    assert scoring_doc.quiz_total() in text
