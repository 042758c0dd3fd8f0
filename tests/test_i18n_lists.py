"""Lists in texts are joined as each language lists things ("27, 28" in English,
"27、28" in Chinese), and a partly right quiz is marked as partly right, not failed."""

from __future__ import annotations

import pytest

from grader.i18n import msg, render
from grader.report.terminal import UNICODE_MARKS, summary


@pytest.mark.parametrize("lang, joined", [("en", "27, 28, 39"), ("zh", "27、28、39")])
def test_a_list_field_joins_with_the_languages_separator(lang, joined):
    text = render(msg("feedback.tty.quiz_wrong_n", n=3, numbers=["27", "28", "39"]), lang)
    assert joined in text


def test_a_list_stored_as_text_by_an_older_result_is_shown_as_it_is():
    assert "27, 28" in render(msg("feedback.tty.quiz_wrong_n", n=2, numbers="27, 28"), "zh")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_sample_terminal_lists_in_the_languages_way_and_marks_a_partial_quiz(sample_official_result, lang):
    text = summary(sample_official_result, lang)
    quiz = next(line for line in text.splitlines() if ("Concept quiz" in line or "概念测验" in line))
    assert quiz.startswith(UNICODE_MARKS["partial"]), quiz  # 50.67/55: partly right
    complete = next(line for line in text.splitlines() if line.startswith(UNICODE_MARKS["ok"]))
    assert ("tanh、affine" if lang == "zh" else "tanh, affine") in complete
    assert ("、" in text.splitlines()[0]) == (lang == "zh")
