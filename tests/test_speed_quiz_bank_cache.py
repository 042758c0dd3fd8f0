"""The quiz bank's files are parsed once per process (grader/quiz/bank.py): each load
gets its own copy, and a file changed on disk is read again."""

from __future__ import annotations

import shutil

from grader import paths
from grader.quiz.bank import load_bank


def test_each_load_gets_its_own_copy_and_a_changed_file_is_read_again(tmp_path):
    folder = tmp_path / "quiz"
    shutil.copytree(paths.SOLUTIONS / "quiz", folder, ignore=shutil.ignore_patterns("__pycache__"))
    first = load_bank(folder, with_key=True)
    again = load_bank(folder, with_key=True)
    assert [q.id for q in first.questions] == [q.id for q in again.questions]
    assert first.quizzes[0] is not again.quizzes[0]
    quiz = first.quizzes[0]
    quiz_file = folder / quiz.file
    text = quiz_file.read_text(encoding="utf-8")
    changed = text.replace(quiz.title.en, quiz.title.en + " (changed)", 1)
    assert changed != text
    quiz_file.write_text(changed, encoding="utf-8")
    reread = load_bank(folder, with_key=True)
    assert any(z.title.en.endswith("(changed)") for z in reread.quizzes)
