"""A batch passes each student's other ids in the roster to grading as aliases, so a
quiz sheet the student made under one of them (an e-mail, a login, the LMS's number)
is graded against the variant it was made for, while a copy of another student's sheet
is still refused (the quiz-variant rule of issue 10 meets fixes1's roster formats)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader import paths
from grader.assignments.config import Assignment
from grader.batch import CourseTask, grade_class, read_roster
from grader.quiz import SHEET_NAME
from grader.quiz.bank import load_bank
from grader.quiz.interactive import key_answers
from grader.quiz.sheet import render_sheet, write_sheet
from grader.quiz.variants import fingerprint, variants_for
from grader.seed import DEFAULT_ASSIGNMENT


def _roster(tmp_path: Path, text: str):
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    return read_roster(path)


CANVAS = "Student,ID,SIS User ID,SIS Login ID,Section\n    Points Possible,,,,\n\"Li, Si\",77,2023002,lsi,S1\n"
MOODLE = ("Identifier,Full name,ID number,Email address,Status,Grade,Last modified (grade)\n"
          "Participant 1001,Zhang San,2023001,zs@example.edu,Submitted,,-\n")
MOODLE_ZH = ("标识符,全名,Email地址,状态,成绩,上次修改（评分）\n参与人1001,张三,zs@example.edu,已提交,,-\n")
GITHUB = "identifier,github_username,github_id,name\n2023003,wangwu,9001,Wang Wu\n"
PLAIN = "id,name,handin,login,email\n2023004,Zhao Liu,zl-folder,zhaoliu,zl@example.edu\n"


@pytest.mark.parametrize("text, student, aliases", [
    (CANVAS, "2023002", ("lsi", "77")),
    (MOODLE, "2023001", ("zs@example.edu", "1001")),
    (MOODLE_ZH, "1001", ("zs@example.edu",)),
    (GITHUB, "2023003", ("wangwu", "9001")),
    (PLAIN, "2023004", ("zhaoliu", "zl@example.edu")),
])
def test_each_roster_kind_gives_a_students_other_ids(tmp_path, text, student, aliases):
    roster = _roster(tmp_path, text)
    assert {k: set(v) for k, v in roster.aliases().items()} == {student: set(aliases)}


def test_an_id_two_students_share_or_another_students_id_is_nobodys_alias(tmp_path):
    roster = _roster(tmp_path, "id,login,email\ns1,s2,shared@x.edu\ns2,bee,shared@x.edu\ns3,,c@x.edu\n")
    # s1's login is s2's id, the e-mail is on two rows: either would let a copied sheet count.
    assert roster.aliases() == {"s1": (), "s2": ("bee",), "s3": ("c@x.edu",)}


def test_the_aliases_are_part_of_a_students_course_task_and_its_resume_key():
    plain, with_alias = CourseTask(Assignment()), CourseTask(Assignment(), aliases=("a@x.edu",))
    assert not plain.carries and with_alias.carries
    assert with_alias.key("s1") != plain.key("s1") != CourseTask(Assignment(), aliases=("b@x.edu",)).key("s1")


def _sheet(folder: Path, key, made_for: str) -> None:
    """A sheet made for ``made_for`` (``rnngrade quiz --student made_for``), answered with its key."""
    variants = variants_for(key, made_for, DEFAULT_ASSIGNMENT)
    write_sheet(folder / SHEET_NAME, render_sheet(key, variants, made_for, DEFAULT_ASSIGNMENT, fingerprint(variants),
                                                  key_answers(key, variants), "en"))


def test_a_batch_grades_a_sheet_made_under_the_students_e_mail_and_refuses_a_copy(tmp_path):
    key = load_bank(paths.SOLUTIONS / "quiz", with_key=True)
    folder = tmp_path / "class"
    for name in ("alice", "bob"):
        (folder / name).mkdir(parents=True)
        _sheet(folder / name, key, "alice@uni.edu")  # bob handed in a copy of alice's sheet
    roster = tmp_path / "roster.csv"
    roster.write_text("id,handin,email\n2023001,alice,alice@uni.edu\n2023002,bob,bob@uni.edu\n")
    out = tmp_path / "out"
    quiz_only = Assignment(exercises=())
    summary = grade_class(folder, out, solutions=paths.SOLUTIONS, roster=roster, jobs=1, lang="en",
                          allow_unisolated=True, assignment=quiz_only)
    assert sorted(summary.graded) == ["2023001", "2023002"] and not summary.failed
    alice = json.loads((out / "results" / "2023001.json").read_text())
    bob = json.loads((out / "results" / "2023002.json").read_text())
    # alice's e-mail is one of her ids in the roster: her sheet earns every point, and says how it was read.
    assert alice["score"] == alice["extra_data"]["max_score"] > 0
    assert "made for “alice@uni.edu”, another id of yours than “2023001”" in alice["output"]
    # bob's copy was made for an id that is not his: refused, the reason on every question, nothing read.
    assert bob["score"] == 0 and bob["extra_data"]["max_score"] == alice["extra_data"]["max_score"]
    assert bob["tests"] and all(t["output"].startswith("The answer sheet was made for “alice@uni.edu”, but this "
                                                       "grade is for “2023002”") for t in bob["tests"])
    assert all("--student 2023002" in t["output"] for t in bob["tests"])
    # Without the roster's e-mail column alice's own sheet is refused too: the aliases did it.
    roster.write_text("id,handin,email\n2023001,alice,\n2023002,bob,bob@uni.edu\n")
    again = grade_class(folder, out, solutions=paths.SOLUTIONS, roster=roster, jobs=1, lang="en",
                        allow_unisolated=True, assignment=quiz_only)
    assert again.graded == ["2023001"] and again.skipped == ["2023002"]  # only alice's ids changed (resume key)
    assert json.loads((out / "results" / "2023001.json").read_text())["score"] == 0
