"""The terminal summary: one screen, the folder and files graded on its first line,
one line per shared cause, the quiz in one line, colour only where wanted, any
output encoding, and a non-zero exit when there was nothing to grade."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner
from support import write_submission

from grader import paths
from grader.api import grade
from grader.cli import main
from grader.i18n import msg, render
from grader.report.terminal import ASCII_MARKS, UNICODE_MARKS, Style, first_line, style_for, summary

SAMPLE = paths.EXAMPLES / "sample_submission"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def stubs(stubs_selfcheck_result):
    return stubs_selfcheck_result


@pytest.fixture(scope="module")
def sample(sample_selfcheck_result):
    return sample_selfcheck_result


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_untouched_exercises_fit_in_40_lines(stubs, lang):
    text = summary(stubs, lang)
    lines = text.splitlines()
    assert len(lines) <= 40, "\n".join(lines)
    assert str(paths.EXERCISES) in lines[0] and "layers.py" in lines[0]  # what was graded, first
    # one line per exercise whose checks all fail for one reason, the reason on it
    one_liners = [line for line in lines if "sigmoid_forward" in line]
    assert len(one_liners) == 1 and one_liners[0].startswith(UNICODE_MARKS["bad"])


def test_a_blank_quiz_sheet_is_one_line(tmp_path):
    folder = tmp_path / "exercises"
    shutil.copytree(paths.EXERCISES, folder)
    run = CliRunner().invoke(main, ["quiz", "--init", "--student", "s1", "--lang", "en",
                                    "--course", str(paths.ROOT), str(folder / "quiz_answers.toml")])
    assert run.exit_code == 0, run.output
    result = grade(folder, public=paths.EXERCISES)
    text = summary(result, "en")
    quiz = [line for line in text.splitlines() if "Concept quiz" in line]
    assert len(quiz) == 1 and "not answered (questions 1, 2, 3" in quiz[0]
    assert "Not answered" not in text  # not one line per question
    assert len(text.splitlines()) <= 40


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_typical_submission_is_one_screen(sample, lang):
    text = summary(sample, lang)
    lines = text.splitlines()
    assert len(lines) <= 46, "\n".join(lines)
    assert lines[0].endswith("rnn_layers.py, stability.py") or "stability.py" in lines[0]
    # checks failing for one cause are one line: the gradients of lstm_backward (whose
    # first cause, since main's diagnosis, is its failing building block: one text for all)
    lstm = [line for line in lines if "lstm_backward" in line]
    failing = [c for c in sample.checks if c.func == "lstm_backward" and c.status == "failed"]
    said_once = render(msg("terminal.same_cause", n=len(failing)), lang)
    assert len(failing) >= 5 and len(lstm) <= 3
    assert any("dh0, dWx, dWh, db" in line or said_once in line for line in lstm), lstm
    # each known mistake once per exercise, complete exercises on one line
    # (mse_loss has mistake 21; the network only uses it, so in a self-check it is told to fix
    # the losses first, not charged with 21 itself: the official grade gives it full marks.)
    assert sum("21" in line and ("Known mistake" in line or "常见错误" in line) for line in lines) == 1
    net = lines[next(i for i, line in enumerate(lines) if "two_layer_net_loss" in line)]
    assert "Losses" in net or "损失函数" in net, net
    assert sum(line.startswith(UNICODE_MARKS["ok"]) for line in lines) == 1


def test_verbose_lists_every_item(sample):
    text = summary(sample, "en", verbose=True)
    assert len(text.splitlines()) > len(sample.checks) - 60  # the quiz stays one line
    assert "[passed]" in text


def test_the_first_line_says_what_was_graded(tmp_path):
    files = {f"m{k}.py": "x = 1\n" for k in range(9)}
    result = grade(write_submission(tmp_path / "many", files))
    line = first_line(result, "en")
    assert str(tmp_path / "many") in line and "m0.py" in line and "and 3 more" in line


# ------------------------------------------------------------ colour, encodings
class FakeTTY(io.StringIO):
    encoding = "utf-8"

    def isatty(self):
        return True


def test_colour_only_on_a_terminal_and_never_with_no_color():
    assert style_for(FakeTTY(), {}).color
    assert not style_for(FakeTTY(), {"NO_COLOR": "1"}).color
    assert not style_for(io.StringIO(), {}).color  # a pipe, a file
    assert style_for(io.StringIO(), {"FORCE_COLOR": "1"}).color
    assert not style_for(io.StringIO(), {"FORCE_COLOR": "1", "NO_COLOR": "1"}).color


@pytest.fixture
def graded_once(monkeypatch, sample_selfcheck_result):
    """The CLI's `grade --sample` with the session's grade of the sample (the same call,
    made once): these tests are about what the CLI writes, not about grading again."""
    from grader import api
    from grader.sandbox import prelaunch

    monkeypatch.setattr(prelaunch, "prelaunch", lambda *a, **k: None)
    monkeypatch.setattr(api, "grade", lambda *a, **k: sample_selfcheck_result)


def test_the_cli_honours_no_color_and_force_color(graded_once):
    plain = CliRunner().invoke(main, ["grade", "--sample", "--lang", "en"], color=True)
    assert plain.exit_code == 0 and not ANSI.search(plain.output)  # not a terminal
    forced = CliRunner(env={"FORCE_COLOR": "1"}).invoke(main, ["grade", "--sample", "--lang", "en"], color=True)
    assert ANSI.search(forced.output)
    none = CliRunner(env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).invoke(main, ["grade", "--sample", "--lang", "en"],
                                                                       color=True)
    assert not ANSI.search(none.output)


def test_marks_fall_back_to_ascii_where_the_encoding_has_none():
    assert Style(encoding="utf-8").marks == UNICODE_MARKS
    assert Style(encoding="gbk").marks == ASCII_MARKS
    assert Style(encoding="latin-1").fit("✔ 自检") == "? ??"
    assert Style(encoding="no-such-codec").fit("✔ a") == "? a"


@pytest.mark.parametrize("charset, lang", [("gbk", "zh"), ("gbk", "en"), ("latin-1", "zh"), ("cp1252", "en")])
def test_any_output_encoding(graded_once, charset, lang):
    run = CliRunner(charset=charset).invoke(main, ["grade", "--sample", "--lang", lang])
    assert run.exit_code == 0, run.output
    assert ASCII_MARKS["bad"] in run.output or ASCII_MARKS["partial"] in run.output
    if charset == "gbk" and lang == "zh":
        assert "自检" in run.output  # Chinese is kept where the encoding has it


def test_a_real_gbk_console_gets_no_traceback():
    env = dict(os.environ, PYTHONIOENCODING="gbk")
    run = subprocess.run([sys.executable, "-m", "grader.cli", "grade", "--sample", "--lang", "zh"],
                         capture_output=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr.decode("utf-8", "replace")
    out = run.stdout.decode("gbk")
    assert "Traceback" not in out and "得分" in out
    assert "[x]" in out or "[~]" in out  # GBK has no ✔ ✘ ◐: ASCII marks


# ------------------------------------------------------------ nothing to grade
def test_a_folder_that_does_not_exist_is_an_error_that_names_the_exercises(tmp_path, monkeypatch):
    monkeypatch.chdir(paths.ROOT)
    run = CliRunner().invoke(main, ["grade", "exercise/", "--lang", "en"])
    assert run.exit_code == 2
    assert "exercise does not exist" in run.stderr and str(paths.EXERCISES) in run.stderr
    assert "Score" not in run.stdout


def test_a_folder_with_no_gradable_code_warns_and_exits_non_zero(tmp_path):
    empty = tmp_path / "empty"
    (empty / "notes").mkdir(parents=True)
    (empty / "notes" / "readme.txt").write_text("hello", encoding="utf-8")
    other = write_submission(tmp_path / "other", {"script.py": "def main():\n    return 1\n"})
    for folder in (empty, other):
        html = tmp_path / f"{folder.name}.html"
        run = CliRunner().invoke(main, ["grade", str(folder), "--lang", "en", "--html", str(html)])
        assert run.exit_code == 1, run.output
        assert "Nothing was graded" in run.output and str(folder) in run.output
        assert html.exists()  # the report is still written
    fine = CliRunner().invoke(main, ["grade", "--sample", "--lang", "en"])
    assert fine.exit_code == 0 and "Nothing was graded" not in fine.output
    # a hand-in of the quiz answer sheet alone is something to grade (its code earns nothing)
    sheet_only = tmp_path / "sheet_only"
    sheet_only.mkdir()
    shutil.copy(SAMPLE / "quiz_answers.toml", sheet_only / "quiz_answers.toml")
    quiz = CliRunner().invoke(main, ["grade", str(sheet_only), "--lang", "en"])
    assert quiz.exit_code == 0 and "Nothing was graded" not in quiz.output, quiz.output
