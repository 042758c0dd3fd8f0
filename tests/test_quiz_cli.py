"""``rnngrade quiz`` driven with scripted input (click's test runner), in both languages."""

from __future__ import annotations

import tomllib

import pytest
from click.testing import CliRunner

from grader import paths
from grader.api import ASSIGNMENT
from grader.cli import main
from grader.quiz import SHEET_NAME
from grader.quiz.bank import load_bank
from grader.quiz.grading import grade_sheet
from grader.quiz.interactive import key_answers
from grader.quiz.sheet import read_sheet
from grader.quiz.variants import variants_for

BANK = str(paths.EXERCISES / "quiz")


@pytest.fixture(scope="module")
def key():
    return load_bank(paths.SOLUTIONS / "quiz", with_key=True)


def typed(value) -> str:
    """A sheet value as a student would type it at the prompt."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def run(args: list[str], text: str = ""):
    return CliRunner().invoke(main, ["quiz", *args, "--bank", BANK], input=text)


@pytest.mark.parametrize("lang, header", [("zh", "概念测验答题卡"), ("en", "Concept quiz answer sheet")])
def test_init_writes_every_question(tmp_path, key, lang, header):
    sheet = tmp_path / SHEET_NAME
    res = run([str(sheet), "--init", "--student", "alice", "--lang", lang])
    assert res.exit_code == 0, res.output
    text = sheet.read_text(encoding="utf-8")
    assert text.startswith("# " + header)
    data = tomllib.loads(text)
    assert data["sheet"]["student"] == "alice"
    assert list(data["answers"]) == key.ids() and set(data["answers"].values()) == {""}
    again = run([str(sheet), "--init", "--student", "alice", "--lang", lang])
    assert again.exit_code == 1 and ("--force" in again.output)


def test_init_asks_for_the_student_id_and_refuses_another_students_sheet(tmp_path):
    sheet = tmp_path / SHEET_NAME
    res = run([str(sheet), "--init", "--lang", "en"], "mia\n")
    assert res.exit_code == 0 and "Your student id" in res.output
    assert tomllib.loads(sheet.read_text())["sheet"]["student"] == "mia"
    other = run([str(sheet), "--student", "ned", "--lang", "en"])
    assert other.exit_code == 2 and "belongs to student" in other.output


def test_interactive_session_in_english_stop_and_resume(tmp_path, key):
    sheet = tmp_path / SHEET_NAME
    want = key_answers(key, variants_for(key, "bob", ASSIGNMENT))
    first = key.questions[0]
    res = run([str(sheet), "--student", "bob", "--lang", "en"], f"Z\n{typed(want[first.id])}\n\nq\n")
    assert res.exit_code == 0, res.output
    assert "not an option" in res.output  # the bad letter was refused and asked again
    assert "Answer (Enter: skip, q: save and quit)" in res.output
    assert f"1 of {len(key.questions)} questions answered" in res.output
    saved = read_sheet(sheet, key.ids())
    assert saved.answers[first.id] == want[first.id] and saved.answers[key.questions[1].id] == ""
    # Resume: only the unanswered questions are asked; answer them all with the key.
    rest = "".join(typed(want[q.id]) + "\n" for q in key.questions[1:])
    res2 = run([str(sheet), "--lang", "en"], rest)
    assert res2.exit_code == 0, res2.output
    assert f"[1/{len(key.questions)}]" not in res2.output and f"[2/{len(key.questions)}]" in res2.output
    sheet_read = read_sheet(sheet, key.ids())
    er = grade_sheet(key, sheet_read, "bob", ASSIGNMENT, official=True)
    assert er.points == er.max_points and sheet_read.notices == []
    done = run([str(sheet), "--lang", "en"])
    assert "Every question is answered" in done.output


def test_interactive_session_in_chinese_saves_at_end_of_input(tmp_path, key):
    sheet = tmp_path / SHEET_NAME
    q = key.questions[1]  # a true/false question
    assert q.type == "truefalse"
    res = run([str(sheet), "--student", "小明", "--lang", "zh"], "\n对\n")  # skip, answer, then input ends
    assert res.exit_code == 0, res.output
    assert "答案（回车：跳过，q：保存并退出）" in res.output and "根据讲义" in res.output
    assert "已保存" in res.output
    saved = read_sheet(sheet, key.ids())
    assert saved.student == "小明" and saved.answers[q.id] is True
    assert saved.answers[key.questions[0].id] == ""


def test_numeric_input_is_validated(tmp_path, key):
    sheet = tmp_path / SHEET_NAME
    CliRunner().invoke(main, ["quiz", str(sheet), "--init", "--student", "oli", "--lang", "en",
                              "--solutions", str(paths.SOLUTIONS)])
    text = sheet.read_text()
    assert "\nact_sigmoid_max = 0.25\n" in text
    sheet.write_text(text.replace("\nact_sigmoid_max = 0.25\n", '\nact_sigmoid_max = ""\n'))
    res = run([str(sheet), "--lang", "en"], "abc\n0.25\n")
    assert res.output.count("Expected a number") == 1 and "within ±0.001" in res.output
    assert read_sheet(sheet, key.ids()).answers["act_sigmoid_max"] == 0.25


def test_instructor_prefill_from_the_key(tmp_path, key):
    sheet = tmp_path / SHEET_NAME
    res = CliRunner().invoke(main, ["quiz", str(sheet), "--init", "--student", "pat", "--lang", "en",
                                    "--solutions", str(paths.SOLUTIONS)])
    assert res.exit_code == 0 and "never hand this out" in res.output
    er = grade_sheet(key, read_sheet(sheet, key.ids()), "pat", ASSIGNMENT, official=True)
    assert er.points == er.max_points


def test_missing_bank(tmp_path):
    res = CliRunner().invoke(main, ["quiz", str(tmp_path / SHEET_NAME), "--bank", str(tmp_path / "none"),
                                    "--student", "x", "--lang", "en"])
    assert res.exit_code == 2 and "No quiz was found" in res.output


def test_write_key_sheet_gives_full_marks(tmp_path, key):
    from grader.quiz.interactive import write_key_sheet

    write_key_sheet(tmp_path / SHEET_NAME, "quinn")
    er = grade_sheet(key, read_sheet(tmp_path / SHEET_NAME, key.ids()), "quinn", ASSIGNMENT, official=True)
    assert er.points == er.max_points
    other = grade_sheet(key, read_sheet(tmp_path / SHEET_NAME, key.ids()), "rae", ASSIGNMENT, official=True)
    assert other.points < other.max_points
