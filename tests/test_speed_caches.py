"""What a batch worker keeps between students (issue 15), never stale: the quiz bank's
parsed files (grader/quiz/bank.py: each load gets its own copy, a file changed on disk
is read again) and the reference's compiled code (grader/reference.py: keyed by the
source as read now, so an edited reference is the one that runs)."""

from __future__ import annotations

import shutil

from grader import paths
from grader.quiz.bank import load_bank
from grader.reference import load_reference


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


def test_an_edited_reference_is_the_one_that_runs(tmp_path):
    folder = tmp_path / "solutions"
    folder.mkdir()
    (folder / "layers.py").write_text("def f(x):\n    return x + 1\n", encoding="utf-8")
    assert load_reference(folder)["f"](1) == 2
    assert load_reference(folder)["f"](1) == 2
    (folder / "layers.py").write_text("def f(x):\n    return x + 2\n", encoding="utf-8")
    assert load_reference(folder)["f"](1) == 3
    first, second = load_reference(folder)["f"], load_reference(folder)["f"]
    assert first is not second  # fresh module objects each time: no state shared between grades
