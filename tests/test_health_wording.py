"""What an item says agrees with its state (review follow-up): a failed item never
says that it passes, in either language, and a counted quiz's answer that a
self-check cannot judge is neither passed nor failed there."""

from __future__ import annotations

from support import SOLUTIONS, grade_fast, mutant

from grader import paths
from grader.api import grade
from grader.i18n import render

PASSES = {"en": ("passes this check", "it passes"), "zh": ("通过了本检查", "通过了")}


def _contradictions(result) -> list[str]:
    found = []
    for c in result.checks:
        if c.status != "failed":
            continue
        for lang, words in PASSES.items():
            for m in c.messages:
                text = render(m, lang)
                if any(w in text for w in words):
                    found.append(f"{c.id} [{lang}]: {text}")
    return found


def test_a_failed_item_never_says_it_passes(tmp_path):
    # A function that gets nothing right: its side items (mutation, properties) hold
    # but earn nothing, and are failed; plus the sample's mistakes, self-checked.
    zeros = mutant(tmp_path / "m", {"layers.py": [("    return np.where(x > 0, dout, 0.0)\n",
                                                   "    return np.zeros_like(dout)\n")]})
    result = grade_fast(zeros, "relu")
    assert any(c.status == "failed" for c in result.checks)
    assert _contradictions(result) == []
    assert _contradictions(grade_fast(paths.EXAMPLES / "sample_submission")) == []


def test_a_self_check_does_not_judge_a_counted_quizs_answers():
    """A counted quiz's release holds no key: a self-check records each answer and
    says it is judged in official grading; the item is pending (0 of 0), never
    "passed" for a wrong answer nor "failed" for a right one."""
    selfcheck = grade(paths.EXAMPLES / "sample_submission", student="sample", trusted_in_process=True)
    quiz = next(e for e in selfcheck.exercises if e.exercise.name == "quiz")
    answered = [r for r in quiz.results if r.details.get("state") == "unverifiable"]
    assert answered, "the sample answers questions of a counted quiz"
    assert all(r.status == "pending" and r.points == r.max_points == 0 for r in answered)
    assert all(any(m.key == "quiz.result.recorded" for m in r.messages) for r in answered)
    # Official grading judges the same answers.
    official = grade(paths.EXAMPLES / "sample_submission", solutions=SOLUTIONS, student="sample",
                     trusted_in_process=True)
    judged = next(e for e in official.exercises if e.exercise.name == "quiz")
    assert {r.status for r in judged.results} <= {"passed", "failed"} and judged.max_points > 0


def test_the_unjudged_quiz_has_one_neutral_state_in_every_output(tmp_path):
    """Every answer recorded, none judgeable in a self-check: the quiz is neither ✔ nor
    ✘ (0/0), the same in the terminal, the HTML report and the Classroom payload."""
    import shutil

    from grader.quiz.interactive import write_key_sheet
    from grader.report.html import render_html
    from grader.report.terminal import summary
    from grader.results.classroom import to_classroom

    folder = tmp_path / "work"
    shutil.copytree(paths.EXAMPLES / "sample_submission", folder)
    write_key_sheet(folder / "quiz_answers.toml", "sample")  # every question answered
    result = grade(folder, student="sample", trusted_in_process=True)
    quiz = next(e for e in result.exercises if e.exercise.name == "quiz")
    assert quiz.max_points == 0 and quiz.results and all(r.status == "pending" for r in quiz.results)
    for lang, words in (("en", "not judged in a self-check"), ("zh", "自检不判定")):
        line = next(x for x in summary(result, lang).splitlines() if render(quiz.exercise.title, lang) in x)
        assert line.startswith("…") and words in line and "✔" not in line and "✘" not in line, line
        html = render_html(result, lang)
        assert f'<span class="state-pending"><span aria-hidden="true">… </span>{words}</span>' in html
    classroom = to_classroom(result, "en")
    assert not any(t["test_code"].startswith("quiz.") for t in classroom["tests"])  # neither pass nor fail


def test_several_stubs_of_one_exercise_are_one_line():
    """An exercise of two functions, both still stubs, takes one line in the terminal,
    like an exercise of one (the review saw seven lines of the same NotImplementedError)."""
    from support import exercises_named

    from grader.report.terminal import summary

    result = grade(paths.EXERCISES, exercises=exercises_named("losses"), trusted_in_process=True)
    for lang in ("en", "zh"):
        lines = summary(result, lang).splitlines()
        (head,) = [x for x in lines if "softmax_loss" in x or "mse_loss" in x]
        assert "softmax_loss, mse_loss" in head and head.startswith("✘"), lines
