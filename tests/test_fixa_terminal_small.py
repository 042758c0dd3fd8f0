"""Small findings of the tryout (7): a load failure said once in words (never a raw status
code), "Nothing was graded" before the lines it explains, zh lines with full-width
punctuation, the glossary's 残差结构 in the quiz bank."""

from __future__ import annotations

import re

from click.testing import CliRunner
from support import SOLUTIONS

from grader import paths
from grader.cli import main
from grader.report.terminal import summary
from grader.results import Result
from grader.results.text import notices_text
from grader.submission import Notice


def _result(status: str, notices=()) -> Result:
    return Result(student="s", assignment="rnn-lstm", official=False, exercises=[], notices=list(notices),
                  load_status=status)


def test_a_load_failure_is_said_once_in_words():
    stopped = _result("output_limit", [Notice("load.stopped.output_limit", {"where": "layers.py",
                                                                             "status": "output_limit"})])
    for lang in ("en", "zh"):
        for text in (summary(stopped, lang), notices_text(stopped, lang)):
            assert "output_limit" not in text
            assert text.count("layers.py") == 1
    alone = _result("crashed")
    for lang in ("en", "zh"):
        text = summary(alone, lang)
        assert "crashed" not in text and "(" + "crashed" not in text
    assert "the process running it ended" in summary(alone, "en")
    assert "protocol" not in summary(_result("protocol"), "en")


def test_nothing_graded_comes_first(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    for lang in ("en", "zh"):
        run = CliRunner().invoke(main, ["grade", str(empty), "--lang", lang])
        lines = [x for x in run.output.splitlines() if x.startswith(("✘", "⚠", "[x]", "!"))]
        assert "Nothing was graded" in lines[0] or "没有可评分的内容" in lines[0], run.output


def test_zh_lines_use_full_width_punctuation(tmp_path):
    run = CliRunner().invoke(main, ["grade", "--sample", "--lang", "zh"])
    for line in run.output.splitlines():
        # ASCII ":" or ";" between Chinese text (or after a function name, before Chinese)
        assert not re.search(r"[\u4e00-\u9fff）\w][:;] [\u4e00-\u9fff（“]", line), line


def test_the_bank_uses_the_glossarys_term_for_the_residual_structure():
    for folder in (SOLUTIONS, paths.EXERCISES):
        for f in (folder / "quiz").glob("*.toml"):
            assert "残差块" not in f.read_text(encoding="utf-8"), f
