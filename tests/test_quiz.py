"""The concept quiz: the bank's coverage and validation, per-student variants, answer
sheets (good, wrong, missing, malformed), grading with the key and, for a practice
quiz, with the digests. (What a counted quiz's release must not give away is tested in
``test_quiz_release_key.py``.)"""

from __future__ import annotations

import datetime as _dt
import json
import math
import re
import shutil
import tomllib
from pathlib import Path

import pytest

from grader import paths
from grader.api import ASSIGNMENT, grade
from grader.i18n import render
from grader.quiz import SHEET_NAME, toml_out
from grader.quiz.answers import parse_answer
from grader.quiz.bank import BankError, load_bank
from grader.quiz.grading import (
    check_digests,
    grade_sheet,
    multiple_points,
    quiz_exercise,
)
from grader.quiz.interactive import key_answers
from grader.quiz.model import TYPES
from grader.quiz.policy import QuizPolicy
from grader.quiz.release import render_student_bank, write_student_bank
from grader.quiz.sheet import Sheet, read_sheet, render_sheet, write_sheet
from grader.quiz.stage import run_quiz, wants_quiz
from grader.quiz.variants import Stream, fingerprint, make_variant, seed_of, variants_for
from grader.results.gradescope import to_gradescope

KEY_DIR = paths.SOLUTIONS / "quiz"
STUDENT_DIR = paths.EXERCISES / "quiz"
LECTURE_MAP = {"models", "bp", "rnn", "rnn_types", "birnn", "vanishing", "activations", "init", "regularisation",
               "batchnorm", "residual", "clipping", "lstm", "gru"}  # the rows of the lecture map (quiz/sections.toml)
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def key():
    return load_bank(KEY_DIR, with_key=True)


@pytest.fixture(scope="module")
def public():
    return load_bank(STUDENT_DIR, with_key=False)


PAST = _dt.datetime(2000, 1, 1, tzinfo=_dt.UTC)


@pytest.fixture(scope="module")
def key_after_deadline():
    """The course bank graded after its deadline: correct answers and explanations shown."""
    bank = load_bank(KEY_DIR, with_key=True)
    for quiz in bank.quizzes:
        quiz.policy = QuizPolicy(answers_after=PAST)
    return bank


@pytest.fixture(scope="module")
def practice_release(tmp_path_factory):
    """The course bank released as a practice quiz (formative): the student bank then
    carries salted digests, and this folder can be passed as ``grade(public=...)``."""
    root = tmp_path_factory.mktemp("practice")
    shutil.copytree(KEY_DIR, root / "key")
    for path in (root / "key").glob("*.toml"):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("practice = false", "practice = true", 1), encoding="utf-8")
    out = root / "public" / "quiz"
    out.mkdir(parents=True)
    for name, text in render_student_bank(root / "key").items():
        (out / name).write_text(text, encoding="utf-8")
    return root / "public"


@pytest.fixture(scope="module")
def practice(practice_release):
    return load_bank(practice_release / "quiz", with_key=False)


def sheet_of(answers: dict, student: str = "alice") -> Sheet:
    return Sheet(Path(SHEET_NAME), student=student, answers=dict(answers))


def full_answers(key, student: str) -> dict:
    return key_answers(key, variants_for(key, student, ASSIGNMENT))


def by_id(er) -> dict:
    return {r.id.removeprefix("quiz."): r for r in er.results}


# ------------------------------------------------------------------ the bank
def test_every_lecture_section_has_two_questions_in_both_languages(key):
    assert set(key.sections) == LECTURE_MAP
    counts = {s: sum(q.section == s for q in key.questions) for s in LECTURE_MAP}
    assert min(counts.values()) >= 2, counts
    assert len(key.questions) >= 40
    for q in key.questions:
        texts = [q.text, q.explanation, *(o.text for o in q.options)]
        for t in texts:
            assert t is not None and t.zh.strip() and t.en.strip(), q.id
        assert CJK.search(q.text.zh) and not CJK.search(q.text.en), q.id
        assert CJK.search(q.explanation.zh) and not CJK.search(q.explanation.en), q.id


def test_bank_has_every_question_type_and_parametrised_questions(key):
    assert {q.type for q in key.questions} == set(TYPES)
    formulas = {q.formula for q in key.questions if q.params}
    assert {"sigmoid_derivative", "xavier_std", "lstm_param_count", "birnn_output_shape",
            "clipped_first"} <= formulas
    assert any(q.count == 3 for q in key.questions)  # a shape


def test_student_bank_is_generated_and_has_no_key(public):
    files = render_student_bank(KEY_DIR)
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in STUDENT_DIR.glob("*.toml") if p.name != SHEET_NAME}
    assert files == on_disk, "exercises/quiz is out of date: run rnngrade generate"
    for text in files.values():
        data = tomllib.loads(text)
        for q in data.get("question", []):
            assert not {"answer", "formula", "explanation"} & set(q), q["id"]
    assert not (STUDENT_DIR / "formulas.py").exists()
    assert len(public.questions) >= 40


def test_write_student_bank_writes_and_removes_stale_files(tmp_path):
    (tmp_path / "quiz").mkdir()
    (tmp_path / "quiz" / "old.toml").write_text("x = 1\n")
    (tmp_path / "quiz" / SHEET_NAME).write_text("# a student's sheet\n")
    written = write_student_bank(paths.SOLUTIONS, tmp_path)
    assert "quiz/recurrent.toml" in written
    assert not (tmp_path / "quiz" / "old.toml").exists()
    assert (tmp_path / "quiz" / SHEET_NAME).exists()  # never delete a sheet
    assert write_student_bank(tmp_path / "nowhere", tmp_path / "out") == {}


def _tmp_bank(tmp_path: Path, quiz_text: str, formulas: str = "") -> Path:
    folder = tmp_path / "bank"
    folder.mkdir()
    shutil.copy(KEY_DIR / "sections.toml", folder)
    (folder / "q.toml").write_text(quiz_text, encoding="utf-8")
    if formulas:
        (folder / "formulas.py").write_text(formulas, encoding="utf-8")
    return folder


GOOD = '''
[quiz]
id = "demo"
title.zh = "演示"
title.en = "Demo"
{flags}

[[question]]
id = "one"
section = "rnn"
type = "single"
text.zh = "问题"
text.en = "Question"
option.a.zh = "甲"
option.a.en = "A"
option.b.zh = "乙"
option.b.en = "B"
answer = "a"
explanation.zh = "因为"
explanation.en = "Because"

[[question]]
id = "two"
section = "lstm"
type = "numeric"
params.H = {{ range = [2, 9] }}
formula = "double"
text.zh = "H = {{H}}，求 2H"
text.en = "H = {{H}}: what is 2H?"
explanation.zh = "2 × {{H}} = {{answer}}"
explanation.en = "2 × {{H}} = {{answer}}"
'''
FORMULAS = "def double(H):\n    return 2 * H\n"


@pytest.mark.parametrize("edit, problem", [
    (('id = "two"', 'id = "one"'), "question id 'one' is already used"),
    (('answer = "a"', 'answer = "c"'), "answer 'c' is not one of the option keys"),
    (('text.en = "Question"\n', ''), "missing en translation"),
    (('explanation.zh = "因为"\n', ''), "explanation: missing zh translation"),
    (('section = "rnn"', 'section = "rnns"'), "section 'rnns' is not in sections.toml"),
    (('type = "single"', 'type = "essay"'), "type must be one of"),
    (('formula = "double"', 'formula = "triple"'), "formula 'triple' is not a function"),
    (('text.en = "H = {{H}}: what is 2H?"', 'text.en = "what is 2H?"'), "never shows the drawn parameter {H}"),
    (('text.en = "H = {{H}}: what is 2H?"', 'text.en = "H = {{H}} {{K}}"'), "unknown field {K}"),
    (('option.b.en = "B"', 'option.b.en = "B"\noptoin = 1'), "unknown field 'optoin'"),
    (('params.H = {{ range = [2, 9] }}', 'params.H = {{ range = [2.5, 9] }}'), "needs a step"),
])
def test_bank_validation_names_each_problem(tmp_path, edit, problem):
    text = GOOD.replace(*edit).format(flags="")
    with pytest.raises(BankError) as info:
        load_bank(_tmp_bank(tmp_path, text, FORMULAS), with_key=True)
    assert any(problem in p for p in info.value.problems), info.value.problems


def test_bank_validation_accepts_the_good_bank_and_rejects_a_leaked_key(tmp_path):
    folder = _tmp_bank(tmp_path, GOOD.format(flags=""), FORMULAS)
    bank = load_bank(folder, with_key=True)
    assert bank.ids() == ["one", "two"]
    with pytest.raises(BankError) as info:
        load_bank(folder, with_key=False)  # a "student bank" that still holds the key
    assert any("must not contain 'answer'" in p for p in info.value.problems)


def test_bank_formula_that_fails_is_reported(tmp_path):
    folder = _tmp_bank(tmp_path, GOOD.format(flags=""), "def double(H):\n    return 1 / (H - 9)\n")
    with pytest.raises(BankError) as info:
        load_bank(folder, with_key=True)
    assert any("failed: ZeroDivisionError" in p for p in info.value.problems)


# ------------------------------------------------------------------ variants
def test_stream_is_pinned():
    # Variants must not change between versions of Python or numpy: pin the draws.
    s = Stream(12345, "q")
    assert [s.below(1000) for _ in range(4)] == [_pinned(12345, "q", n) for n in (1, 2, 3, 4)]


def _pinned(seed: int, label: str, n: int) -> int:
    import hashlib

    return int.from_bytes(hashlib.sha256(f"{seed}\0{label}\0{n}".encode()).digest(), "big") % 1000


def test_same_student_same_variant_and_two_students_differ(key):
    alice, alice2, bob = (variants_for(key, s, ASSIGNMENT) for s in ("alice", "alice", "bob"))
    assert alice == alice2 and fingerprint(alice) == fingerprint(alice2)
    assert fingerprint(alice) != fingerprint(bob)
    param_ids = [q.id for q in key.questions if q.params]
    assert sum(alice[i].params != bob[i].params for i in param_ids) >= len(param_ids) // 2
    choice_ids = [q.id for q in key.questions if q.options and q.shuffle]
    assert sum(alice[i].order != bob[i].order for i in choice_ids) >= len(choice_ids) // 2
    for qid in choice_ids:
        assert sorted(alice[qid].order) == sorted(o.key for o in key.question(qid).options)


def test_variant_ignores_wording(key):
    q = key.question("rnn_sharing")
    seed = seed_of("alice", ASSIGNMENT)
    import dataclasses

    from grader.quiz.model import Text

    reworded = dataclasses.replace(q, text=Text("改过的题目", "Reworded"))
    assert make_variant(q, seed) == make_variant(reworded, seed)


# ------------------------------------------------------------------ grading
@pytest.mark.parametrize("student", ["alice", "bob", "学生-3", "sample"])
def test_key_answers_score_full_marks(key, student, tmp_path):
    variants = variants_for(key, student, ASSIGNMENT)
    text = render_sheet(key, variants, student, ASSIGNMENT, fingerprint(variants), key_answers(key, variants), "zh")
    path = tmp_path / SHEET_NAME
    write_sheet(path, text)
    sheet = read_sheet(path, key.ids())
    assert sheet.notices == [] and sheet.student == student
    er = grade_sheet(key, sheet, student, ASSIGNMENT, official=True)
    assert er.points == er.max_points == sum(q.points for q in key.questions)
    assert all(r.status == "passed" and r.kind == "quiz" for r in er.results)
    assert sheet.notices == []  # the variant fingerprint matched


def test_each_student_is_graded_against_their_own_variant(key):
    alice = full_answers(key, "alice")
    er = grade_sheet(key, sheet_of(alice, "alice"), "bob", ASSIGNMENT, official=True)
    results = by_id(er)
    wrong = {q for q, r in results.items() if r.status != "passed"}
    param_ids = {q.id for q in key.questions if q.params}
    assert wrong and er.points < er.max_points
    assert len(wrong & param_ids) >= len(param_ids) // 2  # bob's numbers differ from alice's


def test_wrong_missing_and_malformed_answers_lose_exactly_their_points(key_after_deadline):
    key = key_after_deadline
    answers = full_answers(key, "carol")
    variants = variants_for(key, "carol", ASSIGNMENT)
    v = variants["lstm_candidate"]
    answers["lstm_candidate"] = v.letter_of("sigmoid")  # wrong
    answers["gru_gates"] = ""  # missing
    del answers["rnn_sharing"]  # missing line
    answers["bp_layers"] = "Z"  # not an option
    answers["lstm_param_count"] = "about a thousand"  # text where a number is due
    answers["models_lstm_variant"] = 3  # a number where true/false is due
    answers["types_many_to_many"] = ["A", 7]  # a list with a number
    er = grade_sheet(key, sheet_of(answers, "carol"), "carol", ASSIGNMENT, official=True)
    results = by_id(er)
    lost = {"lstm_candidate", "gru_gates", "rnn_sharing", "bp_layers", "lstm_param_count", "models_lstm_variant",
            "types_many_to_many"}
    assert {q for q, r in results.items() if r.status != "passed"} == lost
    assert er.points == er.max_points - sum(key.question(q).points for q in lost)
    states = {q: results[q].details["state"] for q in lost}
    assert states == {"lstm_candidate": "wrong", "gru_gates": "empty", "rnn_sharing": "empty", "bp_layers": "malformed",
                      "lstm_param_count": "malformed", "models_lstm_variant": "malformed",
                      "types_many_to_many": "malformed"}
    assert "not an option" in render(results["bp_layers"].messages[0], "en")
    assert "数" in render(results["lstm_param_count"].messages[0], "zh")
    for q in lost:  # the correct answer and the explanation are shown (after the deadline)
        assert results[q].details["explanation"] is not None and results[q].details["correct_answer"] is not None


def test_multiple_choice_partial_credit(key):
    q = key.question("lstm_gates")  # 6 options, 3 correct (a sixth, wrong, since the bank audit: select-all earns 0)
    assert multiple_points(q, 6, 0) == q.points
    assert multiple_points(q, 5, 1) == round(q.points * 4 / 6, 4)
    assert multiple_points(q, 4, 2) == round(q.points * 2 / 6, 4)
    assert multiple_points(q, 3, 3) == 0.0  # select all, or none
    assert multiple_points(q, 2, 4) == 0.0  # never negative
    answers = full_answers(key, "dan")
    v = variants_for(key, "dan", ASSIGNMENT)["lstm_gates"]
    answers["lstm_gates"] = [v.letter_of("forget"), v.letter_of("input")]  # one correct option missed
    er = grade_sheet(key, sheet_of(answers, "dan"), "dan", ASSIGNMENT, official=True)
    r = by_id(er)["lstm_gates"]
    assert r.points == round(q.points * 4 / 6, 4) and r.status == "failed" and r.details["state"] == "partial"
    assert er.points == er.max_points - q.points + r.points
    assert "right − wrong" in render(r.messages[0], "en")


def test_numeric_tolerance(key):
    q = key.question("act_sigmoid_max")  # 0.25 +- 0.001
    v = make_variant(q, 0)
    for value, ok in ((0.25, True), ("0.2509", True), ("1/4", True), (0.2489, False), (0.26, False)):
        answers = {"act_sigmoid_max": value}
        r = by_id(grade_sheet(key, sheet_of(answers), "alice", ASSIGNMENT, official=True))["act_sigmoid_max"]
        assert (r.status == "passed") is ok, value
    assert parse_answer(q, v, "inf").state == "malformed"


def test_shape_answers(key):
    variants = variants_for(key, "erin", ASSIGNMENT)
    p = variants["birnn_output_shape"].params
    want = (p["N"], p["T"], 2 * p["H"])
    for value, ok in ((list(want), True), (f"({want[0]}, {want[1]}, {want[2]})", True),
                      ([want[0], want[1], p["H"]], False), (list(want[:2]), False)):
        r = by_id(grade_sheet(key, sheet_of({"birnn_output_shape": value}, "erin"), "erin", ASSIGNMENT,
                              official=True))["birnn_output_shape"]
        assert (r.status == "passed") is ok, value


def test_explanations_can_be_held_back(tmp_path):
    flags = "answers_after = 2030-01-01T00:00:00+08:00"
    bank = load_bank(_tmp_bank(tmp_path, GOOD.format(flags=flags), FORMULAS), with_key=True)
    sheet = sheet_of({"one": "Z"})
    before = _dt.datetime(2029, 12, 31, tzinfo=_dt.UTC)
    after = _dt.datetime(2030, 1, 2, tzinfo=_dt.UTC)
    held = by_id(grade_sheet(bank, sheet, "alice", ASSIGNMENT, official=True, now=before))["one"]
    shown = by_id(grade_sheet(bank, sheet, "alice", ASSIGNMENT, official=True, now=after))["one"]
    assert held.details["explanation"] is None and held.details["correct_answer"] is None
    assert held.details["held_back"] and "after 2030-01-01T00:00+08:00" in render(held.messages[-1], "en")
    assert held.visibility == "after_due_date"  # a counted quiz's verdicts are no oracle before the deadline
    assert shown.details["explanation"] is not None and "Because" in render(shown.details["explanation"], "en")
    assert shown.visibility == "visible"
    # Without a deadline a counted quiz never shows its key; a practice quiz shows it at once.
    (tmp_path / "c").mkdir()
    (tmp_path / "p").mkdir()
    counted = load_bank(_tmp_bank(tmp_path / "c", GOOD.format(flags=""), FORMULAS), with_key=True)
    r = by_id(grade_sheet(counted, sheet, "alice", ASSIGNMENT, official=True, now=after))["one"]
    assert r.details["explanation"] is None and "no date has been set" in render(r.messages[-1], "en")
    assert "after" not in render(r.messages[-1], "en")  # nothing promises a date that does not exist
    formative = load_bank(_tmp_bank(tmp_path / "p", GOOD.format(flags="practice = true"), FORMULAS), with_key=True)
    r = by_id(grade_sheet(formative, sheet, "alice", ASSIGNMENT, official=True, now=before))["one"]
    assert r.details["explanation"] is not None and r.visibility == "visible"


def test_parametrised_explanation_shows_the_numbers(key_after_deadline):
    key = key_after_deadline
    variants = variants_for(key, "fay", ASSIGNMENT)
    er = grade_sheet(key, sheet_of({}, "fay"), "fay", ASSIGNMENT, official=True)
    r = by_id(er)["lstm_param_count"]
    p = variants["lstm_param_count"].params
    want = 4 * (p["D"] * p["H"] + p["H"] ** 2 + p["H"])
    assert str(want) in render(r.details["explanation"], "en")
    assert f"D = {p['D']}" in render(r.details["question"], "en")


# ------------------------------------------------------------------ self-check with digests
def test_self_check_with_digests(key, practice):
    public = practice
    answers = full_answers(key, "gus")
    er = grade_sheet(public, sheet_of(answers, "gus"), "gus", ASSIGNMENT, official=False)
    results = by_id(er)
    param_ids = {q.id for q in key.questions if q.params}
    assert all(r.status == "passed" for q, r in results.items() if q not in param_ids)
    assert er.max_points == sum(q.points for q in key.questions if not q.params)
    assert all(results[q].max_points == 0 and results[q].details["state"] == "unverifiable" for q in param_ids)
    # Not judged here (no digest for drawn numbers): neither passed nor failed.
    assert all(results[q].status == "pending" for q in param_ids)
    v = variants_for(key, "gus", ASSIGNMENT)
    answers["lstm_candidate"] = v["lstm_candidate"].letter_of("sigmoid")
    answers["lstm_gates"] = [v["lstm_gates"].letter_of("forget"), v["lstm_gates"].letter_of("input")]
    answers["act_sigmoid_max"] = 0.3
    answers["birnn_hidden_states"] = 3
    er2 = grade_sheet(public, sheet_of(answers, "gus"), "gus", ASSIGNMENT, official=False)
    res2 = by_id(er2)
    assert {q for q, r in res2.items() if r.status != "passed" and q not in param_ids} == {
        "lstm_candidate", "lstm_gates", "act_sigmoid_max", "birnn_hidden_states"}
    official = by_id(grade_sheet(key, sheet_of(answers, "gus"), "gus", ASSIGNMENT, official=True))
    assert res2["lstm_gates"].points == official["lstm_gates"].points  # same partial credit
    assert res2["lstm_candidate"].details["explanation"] is None  # no key, no explanation
    assert "讲义" in render(res2["lstm_candidate"].messages[-1], "zh")


def test_self_check_numeric_grid_has_no_false_negatives(practice):
    q = practice.question("bn_normalised_value")  # 1.6036 +- 0.001
    v = make_variant(q, 0)
    for k in range(-100, 101):
        x = 1.6036 + k * 0.001 / 100
        assert check_digests(q, parse_answer(q, v, x)).state == "correct", x
    for x in (1.6036 + 0.0021, 1.6036 - 0.0021, -1.6036):
        assert check_digests(q, parse_answer(q, v, x)).state == "wrong", x


def test_counted_quiz_ships_no_digests(tmp_path):
    folder = _tmp_bank(tmp_path, GOOD.format(flags=""), FORMULAS)  # counted is the default
    files = render_student_bank(folder)
    assert "check." not in files["q.toml"] and "digest" not in files["q.toml"]
    student = tmp_path / "student"
    student.mkdir()
    for name, text in files.items():
        (student / name).write_text(text, encoding="utf-8")
    bank = load_bank(student, with_key=False)
    er = grade_sheet(bank, sheet_of({"one": "A", "two": 4}), "alice", ASSIGNMENT, official=False)
    assert [r.details["state"] for r in er.results] == ["unverifiable", "unverifiable"]
    assert er.max_points == 0
    assert "is recorded and readable" in render(er.results[0].messages[0], "en")  # the format only


@pytest.mark.parametrize("old, new", [("self_check = false", "practice"), ("show_explanations = true", "answers_after"),
                                      ("explanations_after = 2030-01-01T00:00:00Z", "answers_after")])
def test_retired_release_flags_are_refused_with_their_new_name(tmp_path, old, new):
    with pytest.raises(BankError) as info:
        load_bank(_tmp_bank(tmp_path, GOOD.format(flags=old), FORMULAS), with_key=True)
    assert any(f"was replaced by quiz.{new}" in p for p in info.value.problems), info.value.problems


# ------------------------------------------------------------------ reading sheets
def test_sheet_with_a_bad_line_costs_only_that_question(key, tmp_path):
    variants = variants_for(key, "hal", ASSIGNMENT)
    text = render_sheet(key, variants, "hal", ASSIGNMENT, fingerprint(variants), key_answers(key, variants), "en")
    text = re.sub(r'^rnn_memory = .*$', 'rnn_memory = "B', text, flags=re.M)  # unterminated string
    text = re.sub(r'^bp_layers = .*$', "bp_layers = B", text, flags=re.M)  # no quotes
    text += 'rnn_memroy = "A"\nthis is not toml\n[extra]\nx = 1\n'
    path = tmp_path / SHEET_NAME
    path.write_text(text, encoding="utf-8")
    sheet = read_sheet(path, key.ids())
    keys = [n.key for n in sheet.notices]
    assert "quiz.sheet.bad_toml" in keys and "quiz.sheet.bad_line" in keys and "quiz.sheet.unknown_table" in keys
    close = [n for n in sheet.notices if n.key == "quiz.sheet.unknown_id_close"]
    assert close and close[0].params["close"] == "rnn_memory"
    er = grade_sheet(key, sheet, "hal", ASSIGNMENT, official=True)
    assert {r.id for r in er.results if r.status != "passed"} == {"quiz.rnn_memory", "quiz.bp_layers"}
    assert "Line" in render(by_id(er)["bp_layers"].messages[0], "en")


def test_multiline_list_is_read_line_by_line(key, tmp_path):
    v = variants_for(key, "ivy", ASSIGNMENT)["lstm_gates"]
    letters = sorted(v.letter_of(k) for k in ("forget", "input", "output"))
    path = tmp_path / SHEET_NAME
    items = "".join(f'  "{x}",\n' for x in letters)
    path.write_text(f"[answers]\nlstm_gates = [\n{items}]\nbroken = \n")
    sheet = read_sheet(path, key.ids())
    assert sheet.answers["lstm_gates"] == letters


@pytest.mark.parametrize("content, notice", [
    (b"\xff\xfe[answers]\nrnn_sharing = false\n", "quiz.sheet.encoding"),
    (b"x" * (300 << 10), "quiz.sheet.too_large"),
])
def test_unreadable_sheets_give_a_notice(key, tmp_path, content, notice):
    path = tmp_path / SHEET_NAME
    path.write_bytes(content)
    sheet = read_sheet(path, key.ids())
    assert notice in [n.key for n in sheet.notices]
    grade_sheet(key, sheet, "x", ASSIGNMENT, official=True)  # never raises


def test_a_symlinked_sheet_is_not_followed(key, tmp_path):
    secret = tmp_path / "secret.toml"
    secret.write_text('[answers]\nrnn_sharing = false\n')
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / SHEET_NAME).symlink_to(secret)
    sheet = read_sheet(sub / SHEET_NAME, key.ids())
    assert sheet.answers == {} and [n.key for n in sheet.notices] == ["quiz.sheet.not_regular"]


def test_other_student_sheet_without_a_fingerprint_is_noticed(key):
    sheet = sheet_of(full_answers(key, "jo"), "jo")
    grade_sheet(key, sheet, "kim", ASSIGNMENT, official=True)
    assert [n.key for n in sheet.notices] == ["quiz.sheet.other_student"]


def test_toml_writer_round_trip():
    data = {"a": 'quote " backslash \\ newline \n tab \t del \x7f 中文', "b": [1, 2.5, "x"], "c": True,
            "d e": -0.0001, "t": {"zh": "甲", "en": "A"}}
    text = "\n".join(toml_out.dotted("", data))
    assert tomllib.loads(text) == data
    assert all(line.startswith("#") for line in toml_out.comment("line one\nline = two"))


# ------------------------------------------------------------------ the grading stage
def test_grade_runs_the_quiz_stage(key, tmp_path, monkeypatch):
    sub = tmp_path / "sub"
    variants = variants_for(key, "lee", ASSIGNMENT)
    answers = key_answers(key, variants)
    answers["gru_gates"] = ""
    write_sheet(sub / "nested" / SHEET_NAME,
                render_sheet(key, variants, "lee", ASSIGNMENT, fingerprint(variants), answers, "en"))
    result = grade(sub, solutions=paths.SOLUTIONS, student="lee", exercises=[quiz_exercise()])
    assert [e.exercise.name for e in result.exercises] == ["quiz"]
    quiz = result.exercises[0]
    assert quiz.max_points == sum(q.points for q in key.questions)
    assert quiz.points == quiz.max_points - key.question("gru_gates").points
    data = json.loads(json.dumps(to_gradescope(result, "zh"), ensure_ascii=False))
    tests = [t for t in data["tests"] if "quiz" in t["tags"]]
    assert len(tests) == len(key.questions)
    gru = next(t for t in tests if t["extra_data"]["id"] == "quiz.gru_gates")
    assert gru["status"] == "failed" and gru["score"] == 0 and "未作答" in gru["output"]
    # The course's quiz counts and sets no deadline: its key stays held back.
    assert gru["extra_data"]["details"]["explanation"] is None and gru["visibility"] == "after_due_date"
    monkeypatch.setattr(QuizPolicy, "answers_shown", lambda self, now: True)  # as after the deadline
    result = grade(sub, solutions=paths.SOLUTIONS, student="lee", exercises=[quiz_exercise()])
    gru = next(t for t in to_gradescope(result, "zh")["tests"] if t["extra_data"].get("id") == "quiz.gru_gates")
    assert gru["extra_data"]["details"]["explanation"]["params"]["text"]["key"] == "quiz.text"


def test_grade_without_a_sheet_and_the_reference_answering_with_the_key(tmp_path):
    result = grade(tmp_path, solutions=paths.SOLUTIONS, student="x", exercises=[quiz_exercise()])
    assert result.score == 0 and "quiz.sheet.missing" in [n.key for n in result.notices]
    ref = grade(paths.SOLUTIONS, solutions=paths.SOLUTIONS, student="anyone", exercises=[quiz_exercise()])
    assert ref.score == ref.max_score > 0 and not any(n.key.startswith("quiz.") for n in ref.notices)


def test_sample_submission_sheet_is_mostly_right(key):
    sample = paths.EXAMPLES / "sample_submission"
    sheet = read_sheet(sample / SHEET_NAME, key.ids())
    assert sheet.student == "sample" and sheet.notices == []
    er = grade_sheet(key, sheet, "sample", ASSIGNMENT, official=True)
    failed = {r.id for r in er.results if r.status != "passed"}
    assert 2 <= len(failed) <= 6 and er.points >= 0.85 * er.max_points


def test_broken_bank_is_a_grader_error_not_a_crash(tmp_path):
    solutions = tmp_path / "solutions"
    (solutions / "quiz").mkdir(parents=True)
    (solutions / "quiz" / "q.toml").write_text("[quiz\n")

    class R:
        student, assignment = "x", ASSIGNMENT
        exercises: list = []
        notices: list = []

    r = R()
    run_quiz(r, tmp_path, solutions=solutions, exercises=[quiz_exercise()])
    assert r.exercises[0].results[0].kind == "error"
    assert "TA" in render(r.exercises[0].results[0].messages[0], "en")


def test_quiz_stage_only_with_the_whole_assignment(monkeypatch):
    from grader.checks.engine import Exercise
    from grader.i18n import msg

    ex = [Exercise(n, msg("quiz.exercise"), "x.py", [], []) for n in ("affine", "relu")]
    monkeypatch.setattr("grader.specs.all_exercises", lambda: ex)
    assert wants_quiz(None) and wants_quiz(ex) and wants_quiz([quiz_exercise()])
    assert not wants_quiz(ex[:1])


def test_parse_answer_forms(key):
    q = key.question("lstm_gates")
    v = make_variant(q, 1)
    want = frozenset(v.key_of(x) for x in "AC")
    for raw in (["A", "C"], "A, C", "ac", "A，C", ["c", "a", "A"]):
        assert parse_answer(q, v, raw).value == want, raw
    tf = key.question("rnn_sharing")
    for raw, value in ((True, True), ("对", True), ("F", False), ("错", False)):
        assert parse_answer(tf, make_variant(tf, 1), raw).value is value
    assert parse_answer(q, v, "A" * 500).state == "malformed"
    assert math.isclose(parse_answer(key.question("act_sigmoid_max"), v, "−0.5").value[0], -0.5)


def test_self_check_without_a_sheet_leaves_the_quiz_out(tmp_path, practice_release):
    result = grade(tmp_path, exercises=[quiz_exercise()])
    assert result.exercises == [] and "quiz.sheet.not_started" in [n.key for n in result.notices]
    write_sheet(tmp_path / SHEET_NAME, '[answers]\nrnn_sharing = false\n')
    result = grade(tmp_path, exercises=[quiz_exercise()])  # the course's counted quiz: format only
    assert result.exercises[0].results and result.score == 0 == result.max_score
    result = grade(tmp_path, exercises=[quiz_exercise()], public=practice_release)  # a practice quiz: right/wrong
    assert result.exercises[0].results and result.score == 1
