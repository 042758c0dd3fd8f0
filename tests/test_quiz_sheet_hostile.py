"""Hostile answer sheets (issue 11, item 7): deeply nested TOML, integers of 400 and
5,000 digits, 20,000 tables or unknown ids, huge strings, wrong types anywhere. Each
gets one clear notice and capped output; the other questions and the code part are
still graded, and every report can be written."""

from __future__ import annotations

import json
import time

import pytest
from support import SOLUTIONS, exercises_named, mutant

from grader.api import grade
from grader.i18n import render
from grader.quiz import QUIZ_EXERCISE, SHEET_NAME
from grader.quiz.bank import load_bank
from grader.quiz.grading import quiz_exercise
from grader.quiz.sheet import MAX_NOTICES
from grader.report.html import render_html
from grader.results.gradescope import to_gradescope

N_QUESTIONS = len(load_bank(SOLUTIONS / "quiz", with_key=True).questions)  # one point each

GOOD = 'rnn_two_inputs = "A"\n'  # one well-formed answer that must survive the rest

SHEETS = {
    "nested_array": "[answers]\n" + GOOD + "rnn_memory = " + "[" * 5000 + "]" * 5000 + "\n",
    "nested_inline_table": "[answers]\n" + GOOD + "rnn_memory = " + "{a=" * 3000 + "1" + "}" * 3000 + "\n",
    "nested_unclosed": "[answers]\n" + GOOD + "rnn_memory = " + "[" * 5000 + "\n",
    "digits_400": "[answers]\n" + GOOD + "bp_param_count = " + "9" * 400 + "\n",
    "digits_5000": "[answers]\n" + GOOD + "bp_param_count = " + "9" * 5000 + "\n",
    "digits_5000_negative_in_list": "[answers]\n" + GOOD + "birnn_output_shape = [-" + "7" * 5000 + ", 1, 2]\n",
    "float_400_digits": "[answers]\n" + GOOD + "bp_param_count = 1" + "0" * 400 + ".5\n",
    "inf_and_nan": "[answers]\n" + GOOD + "bp_param_count = inf\nlstm_param_count = nan\n",
    "tables_20000": "[answers]\n" + GOOD + "".join(f"[t{i}]\n" for i in range(20_000)),
    "tables_20000_broken": "[answers]\n" + GOOD + "".join(f"[t{i}]\n" for i in range(20_000)) + "oops\n",
    "unknown_ids_20000": "[answers]\n" + GOOD + "".join(f"q{i} = 1\n" for i in range(20_000)),
    "huge_string": "[answers]\n" + GOOD + 'rnn_memory = "' + "A" * 250_000 + '"\n',
    "huge_key": "[answers]\n" + GOOD + "x" * 250_000 + " = 1\n",
    "huge_table_name": "[answers]\n" + GOOD + "[" + "t" * 250_000 + "]\n",
    "wrong_types_top": 'sheet = 5\nanswers = [1, 2]\n' + GOOD,
    "wrong_types_values": ("[sheet]\nstudent = [1]\nvariant = {a = 1}\n[answers]\n" + GOOD
                           + "rnn_memory = {a = 1}\nbp_param_count = 1979-05-27T07:32:00Z\n"
                           + "models_nlp = [[1], [2]]\nlstm_gates = 07:32:00\nrnn_sharing = [{x = 1}]\n"),
    "control_characters": ('[sheet]\nstudent = "\\u001b]0;owned\\u0007"\n[answers]\n' + GOOD
                           + 'rnn_memory = "\\u001b[2J\\u009b31m"\n"\\u001b[2Jid" = 1\n'),
    "many_broken_lines": "[answers]\n" + GOOD + "x=\n" * 30_000,
}


@pytest.fixture(scope="module")
def code(tmp_path_factory):
    return mutant(tmp_path_factory.mktemp("code") / "sub", {})


@pytest.mark.parametrize("name", sorted(SHEETS))
def test_hostile_sheet_costs_only_itself(name, code, tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    for path in code.glob("*.py"):
        (sub / path.name).write_bytes(path.read_bytes())
    (sub / SHEET_NAME).write_text(SHEETS[name], encoding="utf-8")
    start = time.perf_counter()
    result = grade(sub, solutions=SOLUTIONS, student="s1", exercises=[*exercises_named("relu"), quiz_exercise()])
    seconds = time.perf_counter() - start
    assert seconds < 10, f"{name}: the quiz stage stalled ({seconds:.1f} s)"
    # The code part is graded as if the sheet were fine.
    relu = [c for c in result.checks if c.exercise == "relu"]
    assert relu and all(c.status == "passed" for c in relu)
    # Every question is graded; the one good answer still counts.
    quiz = [c for c in result.checks if c.exercise == QUIZ_EXERCISE]
    assert len(quiz) == N_QUESTIONS and {c.id for c in quiz} >= {"quiz.rnn_two_inputs"}
    assert next(c for c in quiz if c.id == "quiz.rnn_two_inputs").details["state"] in ("correct", "wrong")
    # A few clear notices, not one per table or line.
    sheet_notices = [n for n in result.notices if n.key.startswith("quiz.sheet.")]
    assert len(sheet_notices) <= MAX_NOTICES + 1
    for lang in ("en", "zh"):
        for n in sheet_notices:
            assert len(render(_message(n), lang)) < 600
    # Every writer writes, within a bounded size, in strict JSON.
    data = to_gradescope(result, "en")
    text = json.dumps(data, ensure_ascii=False, allow_nan=False)
    assert len(text) < 400_000
    assert "\x1b" not in text and "\x9b" not in text
    html = render_html(result, "zh")
    assert len(html) < 1_500_000 and "\x1b" not in html


def _message(notice):
    from grader.i18n import msg

    return msg(notice.key, **notice.params)


@pytest.mark.parametrize("name, key", [
    ("nested_array", "quiz.sheet.bad_toml"),
    ("digits_5000", "quiz.sheet.bad_toml"),
    ("tables_20000", "quiz.sheet.more_notices"),
    ("unknown_ids_20000", "quiz.sheet.unknown_ids"),  # one line, however many
    ("wrong_types_top", "quiz.sheet.not_a_table"),
    ("many_broken_lines", "quiz.sheet.too_many_lines"),
])
def test_hostile_sheet_notice_says_what_happened(name, key, tmp_path):
    from grader.quiz.bank import load_bank
    from grader.quiz.sheet import read_sheet

    path = tmp_path / SHEET_NAME
    path.write_text(SHEETS[name], encoding="utf-8")
    sheet = read_sheet(path, load_bank(SOLUTIONS / "quiz", with_key=True).ids())
    assert key in {n.key for n in sheet.notices}
    assert sheet.answers.get("rnn_two_inputs") == "A"
    texts = [render(_message(n), "en") for n in sheet.notices]
    assert not any("maximum recursion" in t or "4300" in t for t in texts)  # our words, not Python's


def test_a_failing_quiz_stage_keeps_the_code_grade(code, monkeypatch):
    import grader.quiz.grading as grading

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the quiz stage")

    monkeypatch.setattr(grading, "grade_sheet", broken)
    result = grade(code, solutions=SOLUTIONS, student="s1", exercises=[*exercises_named("relu"), quiz_exercise()])
    relu = [c for c in result.checks if c.exercise == "relu"]
    assert relu and all(c.status == "passed" for c in relu)
    quiz = [c for c in result.checks if c.exercise == QUIZ_EXERCISE]
    assert len(quiz) == 1 and quiz[0].status == "failed"
    assert quiz[0].max_points == N_QUESTIONS and quiz[0].points == 0  # visibly incomplete, not silently smaller
    assert "could not be graded because of a problem in the grader" in render(quiz[0].messages[0], "en")
    outputs = " ".join(t["output"] for t in to_gradescope(result, "en")["tests"])
    assert "RuntimeError" in outputs and "a bug in the quiz stage" not in outputs  # the grader's trace stays internal
    html = render_html(result, "en")
    assert "<html" in html and "a bug in the quiz stage" not in html
