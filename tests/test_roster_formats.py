"""Roster formats are recognised by their headers, never by what their cells look
like (tryout finding 2: a plain roster whose ids start with a letter, ``s001``, was
read as a Moodle worksheet and every student graded under the wrong id). Every
format, the ambiguous cases, and a header that fits nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.batch import intake, read_roster
from grader.batch.roster import CANVAS, GITHUB, MOODLE, PLAIN, RosterError

CODE = "def relu_forward(x):\n    return x, None\n"
TRYOUT = ("id,name,handin\ns001,Alice Wang,alice\ns003,Bob Li,bob\ns004,Carol Zhang,carol\n"
          "s2024001,Erin Liu,erin\ns007,Grace Sun,grace\n")


def _roster(tmp_path: Path, text: str, name: str = "roster.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def _class(tmp_path: Path, names: list[str]) -> Path:
    folder = tmp_path / "class"
    for name in names:
        if name.endswith((".py", ".zip", ".ipynb")):
            folder.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(CODE)
        else:
            (folder / name).mkdir(parents=True)
            (folder / name / "layers.py").write_text(CODE)
    return folder


def test_the_tryout_roster_is_plain_and_maps_every_hand_in(tmp_path):
    roster = read_roster(_roster(tmp_path, TRYOUT))
    assert roster.kind == PLAIN
    assert [s.student for s in roster.students] == ["s001", "s003", "s004", "s2024001", "s007"]  # never "001"
    found = intake(_class(tmp_path, ["alice", "bob", "carol", "erin.py"]), roster)
    assert {e.source: e.student for e in found.entries} == {"alice/": "s001", "bob/": "s003", "carol/": "s004",
                                                            "erin.py": "s2024001"}
    assert found.unmatched == [] and [s.student for s in found.missing] == ["s007"]


@pytest.mark.parametrize("ids", [["s001", "s002"], ["u1234567", "u7654321"], ["A0123456", "A0654321"],
                                 ["Participant 12", "Participant 13"], ["2023001", "2023002"]])
def test_an_id_column_is_plain_whatever_its_values_look_like(tmp_path, ids):
    roster = read_roster(_roster(tmp_path, "id,name\n" + "".join(f"{i},N{i}\n" for i in ids)))
    assert roster.kind == PLAIN and [s.student for s in roster.students] == ids
    assert all(s.lms_id == "" for s in roster.students)


@pytest.mark.parametrize("header", ["ID,Name,Folder", " Student_ID ,姓名,Handin", "学号,姓名,repo"])
def test_plain_column_names_ignore_case_and_spaces(tmp_path, header):
    roster = read_roster(_roster(tmp_path, f"{header}\nx1,Xu,xu-folder\n"))
    (s,) = roster.students
    assert roster.kind == PLAIN and (s.student, s.name, s.handin) == ("x1", "Xu", "xu-folder")


WORKSHEETS = {
    "en": ("Identifier,Full name,Email address,Status,Grade,Maximum Grade,Grade can be changed,"
           "Last modified (submission),Last modified (grade),Feedback comments\n"
           "Participant 1001,Zhang San,zs@example.edu,Submitted,,100.00,Yes,-,-,\n"),
    "zh_cn": ("标识符,全名,Email地址,状态,成绩,最高分,允许更改成绩,上次修改（作业）,上次修改（评分）,反馈评语\n"
              "参与人1001,张三,zs@example.edu,已提交,,100.00,是,-,-,\n"),
    "zh_tw": ("識別碼,全名,電子郵件,狀態,分數,最高分數,可改變分數,最後修改（學生）,最後修改（老師）,回饋評語\n"
              "參與者 1001,張三,zs@example.edu,已繳交,,100.00,是,-,-,\n"),
}


@pytest.mark.parametrize("lang, email", [("en", "Email address"), ("zh_cn", "Email地址"), ("zh_tw", "電子郵件")])
def test_a_moodle_worksheet_is_recognised_by_its_columns_in_each_language(tmp_path, lang, email):
    path = _roster(tmp_path, WORKSHEETS[lang], encoding="utf-8-sig")
    roster = read_roster(path)
    (s,) = roster.students
    # English identity columns are known; in another language the participant number
    # is the id unless --roster-id names the column.
    assert roster.kind == MOODLE and (s.lms_id, s.student) == ("1001", "zs@example.edu" if lang == "en" else "1001")
    roster = read_roster(path, id_column=email)
    folder = _class(tmp_path, ["Zhang San_1001_assignsubmission_file_"])
    assert [e.student for e in intake(folder, roster, staging=tmp_path / "st").entries] == ["zs@example.edu"]


def test_a_worksheet_without_moodles_required_columns_is_not_moodle(tmp_path):
    # Participant-looking values under an "Identifier" header, but no "Last modified
    # (grade)": Moodle's importer would not take it, and nothing here guesses.
    with pytest.raises(RosterError) as info:
        read_roster(_roster(tmp_path, "Identifier,Full name\nParticipant 1,A\n"))
    assert "not a roster rnngrade knows" in str(info.value) and "Last modified (grade)" in str(info.value)


def test_a_moodle_worksheet_in_another_language_says_how_to_download_it(tmp_path):
    text = "Identifiant,Nom complet,Note,Dernière modification (note)\nParticipant 1,A,,-\n"
    with pytest.raises(RosterError) as info:
        read_roster(_roster(tmp_path, text))
    message = str(info.value)
    assert "download it in English or Chinese" in message and "Identifiant, Nom complet" in message


def test_a_moodle_row_without_a_participant_number_is_named(tmp_path):
    text = WORKSHEETS["en"] + "Someone,X,x@example.edu,Submitted,,100.00,Yes,-,-,\n"
    with pytest.raises(RosterError, match="row 3: Identifier 'Someone' holds no participant number"):
        read_roster(_roster(tmp_path, text))


def test_canvas_needs_its_sis_columns(tmp_path):
    canvas = "Student,ID,SIS User ID,SIS Login ID,Section\n    Points Possible,,,,\n\"Li, Si\",77,2023002,lsi,S1\n"
    roster = read_roster(_roster(tmp_path, canvas))
    assert roster.kind == CANVAS and [(s.student, s.lms_id) for s in roster.students] == [("2023002", "77")]
    # "Student" and "ID" alone are a plain roster's columns: ID is the id.
    plain = read_roster(_roster(tmp_path, "Student,ID\nLi Si,2023002\n", "p.csv"))
    assert plain.kind == PLAIN and plain.students[0].student == "2023002" and plain.students[0].lms_id == ""


GITHUB_ROSTER = ('"identifier","github_username","github_id","name"\n'
                 '"2023001","alice","101","Alice Wang"\n"2023002","bob-li","102","Bob Li"\n'
                 '"2023003","li","103","Li Si"\n"2023004","","","Not Joined"\n')
GITHUB_GRADES = ("assignment_name,assignment_url,starter_code_url,github_username,roster_identifier,"
                 "student_repository_name,student_repository_url,submission_timestamp,points_awarded,points_available\n"
                 "rnn,u,s,alice,2023001,rnn-lstm-alice,https://github.com/org/rnn-lstm-alice,t,0,100\n"
                 "rnn,u,s,Bob-Li,2023002,rnn-lstm-bob-li,https://github.com/org/rnn-lstm-bob-li,t,0,100\n"
                 "rnn,u,s,mallory,,rnn-lstm-mallory,https://github.com/org/rnn-lstm-mallory,t,0,100\n")


def test_github_classroom_roster_matches_repositories_by_user_name(tmp_path):
    roster = read_roster(_roster(tmp_path, GITHUB_ROSTER))
    assert roster.kind == GITHUB
    assert [(s.student, s.login, s.name) for s in roster.students][:2] == [("2023001", "alice", "Alice Wang"),
                                                                           ("2023002", "bob-li", "Bob Li")]
    folder = _class(tmp_path, ["rnn-lstm-alice", "rnn-lstm-Bob-Li", "rnn-lstm-li", "li", "rnn-lstm-mallory"])
    found = intake(folder, roster)
    by_source = {e.source: e.student for e in found.entries}
    # The longest account wins ("bob-li", not "li"); GitHub's names ignore case.
    assert by_source["rnn-lstm-alice/"] == "2023001" and by_source["rnn-lstm-Bob-Li/"] == "2023002"
    assert by_source["rnn-lstm-li/"] == "2023003" and by_source["li/"] == "2023003"
    assert found.unmatched == ["rnn-lstm-mallory"]
    assert [s.student for s in found.missing] == ["2023004"]


def test_github_classroom_grades_map_each_repository_and_skip_unlinked_accounts(tmp_path):
    roster = read_roster(_roster(tmp_path, GITHUB_GRADES))
    assert roster.kind == GITHUB and [(s.student, s.handin) for s in roster.students] == [
        ("2023001", "rnn-lstm-alice"), ("2023002", "rnn-lstm-bob-li")]
    found = intake(_class(tmp_path, ["rnn-lstm-alice", "rnn-lstm-bob-li", "rnn-lstm-mallory"]), roster)
    assert {e.key: e.student for e in found.entries if e.key not in found.unmatched} == {
        "2023001": "2023001", "2023002": "2023002"}
    assert found.unmatched == ["rnn-lstm-mallory"]  # an account never linked to the roster: reported


def test_a_group_repository_is_refused_with_its_students(tmp_path):
    text = GITHUB_GRADES.replace("rnn-lstm-bob-li,", "rnn-lstm-alice,", 1)
    with pytest.raises(RosterError, match=r"rnn-lstm-alice belongs to 2 students \(2023001, 2023002\)"):
        read_roster(_roster(tmp_path, text))


def test_a_header_with_the_columns_of_two_formats_is_ambiguous(tmp_path):
    text = "Student,ID,SIS User ID,Identifier,Last modified (grade)\nA,1,2,Participant 3,-\n"
    with pytest.raises(RosterError, match="several kinds of roster"):
        read_roster(_roster(tmp_path, text))


def test_a_header_that_fits_nothing_names_every_format_expected(tmp_path):
    with pytest.raises(RosterError) as info:
        read_roster(_roster(tmp_path, "matric,surname\n1,A\n"))
    (problem,) = info.value.problems
    assert problem.startswith("roster.csv: not a roster rnngrade knows")
    for expected in ("Canvas", "SIS User ID", "Moodle", "Identifier", "GitHub Classroom", "github_username",
                     "student_id", "学号", "The header is: matric, surname"):
        assert expected in problem


def test_roster_id_names_a_column_that_must_exist(tmp_path):
    with pytest.raises(RosterError, match="no column 'matric'"):
        read_roster(_roster(tmp_path, TRYOUT), id_column="matric")
    assert read_roster(_roster(tmp_path, TRYOUT), id_column="name").students[0].student == "Alice Wang"
