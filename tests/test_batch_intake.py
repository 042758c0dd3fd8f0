"""The intake of a class folder (issue 11 item 9, issue 12 "LMS intake"): ids that
collide get distinct, stable keys and file names; Canvas and Moodle download names and
three kinds of roster map hand-ins to students; what matches nothing is reported."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest

from grader.batch import discover, file_name, intake, read_roster
from grader.batch.intake import stage
from grader.batch.roster import CANVAS, MOODLE, PLAIN, RosterError

CODE = "def relu_forward(x):\n    return x, None\n"


def _files(root: Path, names: dict[str, str | None]) -> Path:
    """Create ``names`` under ``root``: a value is file content, None makes a folder."""
    root.mkdir(parents=True, exist_ok=True)
    for name, content in names.items():
        path = root / name
        if content is None:
            path.mkdir(parents=True, exist_ok=True)
            (path / "layers.py").write_text(CODE)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
    return root


# ------------------------------------------------------------------ keys and file names
def test_colliding_hand_ins_get_distinct_stable_keys(tmp_path):
    folder = _files(tmp_path / "class", {"alice": None, "alice.py": CODE, "alice.ipynb": "{}", "alice.zip": "PK",
                                         "a b": None, "a_b": None, "bob.py": CODE})
    entries = discover(folder)
    keys = [e.key for e in entries]
    assert len(set(keys)) == len(keys) == 7
    by_key = {e.key: e for e in entries}
    # The folder keeps the id; the others are keyed by their full names, graded as alice.
    assert by_key["alice"].path == folder / "alice"
    assert {k for k, e in by_key.items() if e.student == "alice"} == {"alice", "alice.py", "alice.ipynb", "alice.zip"}
    assert by_key["a b"].student == "a b" and by_key["a_b"].student == "a_b"
    assert keys == [e.key for e in discover(folder)]  # stable
    names = {file_name(k) for k in keys}
    assert len(names) == len(keys)
    assert len({n.lower() for n in names}) == len(keys)  # distinct on a case-insensitive file system too


@pytest.mark.parametrize("a, b", [
    ("Alice", "alice"),  # case only
    ("x" * 150 + "1", "x" * 150 + "2"),  # equal after truncation
    ("a b", "a_b"), ("a/b", "a_b"), ("é", "e\u0301"),  # the same after replacing or normalising
    ("con", "CON"), ("=cmd", "_cmd"),
])
def test_file_names_never_collide(a, b):
    fa, fb = file_name(a), file_name(b)
    assert fa != fb and fa.lower() != fb.lower()
    for f in (fa, fb):
        assert len(f) <= 80 and "/" not in f and not f.startswith(".")
        f.encode("ascii")


def test_plain_ids_keep_their_names():
    assert [file_name(k) for k in ("alice", "bob.smith", "s-123_4")] == ["alice", "bob.smith", "s-123_4"]


def test_names_that_are_not_utf8_or_hold_control_characters_become_printable_ids(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / os.fsdecode(b"stu\xff")).mkdir()
    (folder / os.fsdecode(b"stu\xff") / "layers.py").write_text(CODE)
    (folder / "evil\x1b]0;x\x07.py").write_text(CODE)
    entries = discover(folder)
    assert sorted(e.key for e in entries) == ["evil\\x1b]0;x\\x07", "stu\\xff"]
    for e in entries:
        e.key.encode("utf-8")
        assert e.path.exists()  # the raw path still reaches the files


def test_links_and_special_files_named_like_hand_ins_are_entries_never_followed(tmp_path):
    # Named like a hand-in, a link or a FIFO is one: the student gets a row and a report
    # saying it was not followed or opened (never silently dropped); anything else is ignored.
    folder = _files(tmp_path / "class", {"alice": None})
    (folder / "linked").symlink_to(folder / "alice")
    (folder / "linked.py").symlink_to("/etc/passwd")
    os.mkfifo(folder / "pipe.py")
    os.mkfifo(folder / "pipe")
    (folder / "notes.txt").write_text("hi")
    found = intake(folder)
    by_key = {e.key: e for e in found.entries}
    assert sorted(by_key) == ["alice", "linked", "linked.py", "pipe"]
    assert by_key["linked"].path == folder / "linked" and by_key["linked.py"].student == "linked"
    assert sorted(n for n, _ in found.ignored) == ["notes.txt", "pipe"]
    assert "symbolic link (not followed)" in found.notes["linked"][0]
    assert "not a regular file (not opened)" in found.notes["pipe"][0]
    report = found.report_csv()
    assert "not followed" in report and "not opened" in report
    # What grading reads of them: nothing (the link's target is never read, the FIFO never opened).
    from grader.submission import take_snapshot

    for key, notice in (("linked", "intake.source_link"), ("linked.py", "intake.source_link"),
                        ("pipe", "intake.source_special")):
        snap = take_snapshot(by_key[key].path)
        assert snap.kind == "missing" and not snap.files and [n.key for n in snap.notices] == [notice], key


def test_a_link_to_a_folder_holding_one_archive_is_not_followed(tmp_path):
    outside = _files(tmp_path / "outside", {})
    (outside / "only.zip").write_bytes(b"PK\x05\x06" + b"\0" * 18)
    folder = _files(tmp_path / "class", {"alice": None})
    (folder / "mallory").symlink_to(outside, target_is_directory=True)
    by_key = {e.key: e for e in discover(folder)}
    assert by_key["mallory"].path == folder / "mallory"  # not the archive behind the link


def test_zip_hand_ins_are_entries_and_graded(tmp_path):
    import zipfile

    from support import grade_official

    relu = "import numpy as np\n\ndef relu_forward(x):\n    return np.maximum(0, x), x\n"
    folder = _files(tmp_path / "class", {"dave": None, "erin": None})
    with zipfile.ZipFile(folder / "carol.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("carol/layers.py", relu)  # a zipped folder: its top folder is removed
    (folder / "dave" / "layers.py").unlink()
    with zipfile.ZipFile(folder / "dave" / "dave.zip", "w") as z:
        z.writestr("layers.py", relu)
    (folder / "erin" / "layers.py").write_text(relu)
    entries = {e.key: e for e in discover(folder)}
    assert entries["carol"].path.name == "carol.zip"
    assert entries["dave"].path.name == "dave.zip"  # a folder around one archive is that archive
    # Graded through the intake (zips read in memory): the same code scores the same
    # whether zipped, zipped in a folder, or handed in as a folder.
    scores = {key: grade_official(entries[key].path, "relu", student="s") for key in ("carol", "dave", "erin")}
    assert scores["erin"].score > 0
    for key in ("carol", "dave"):
        assert scores[key].files == ["layers.py"], key
        assert scores[key].score == scores["erin"].score, key


# ------------------------------------------------------------------ LMS downloads
def test_canvas_download_names_group_a_students_files_and_restore_their_names(tmp_path):
    folder = _files(tmp_path / "class", {
        "smithjohn_123_456_layers.py": CODE,
        "smithjohn_123_457_quiz_answers.toml": "[answers]\n",
        "smithjohn_123_999_layers.py": CODE + "# resubmitted\n",
        "doejane_LATE_77_1_rnn_layers.py": CODE,
        "doejane_LATE_77_2_quiz_answers-1.toml": "[answers]\n",
        "lee_88_3_hw.zip": "PK",
    })
    found = intake(folder, staging=tmp_path / "out" / "intake")
    by_student = {e.student: e for e in found.entries}
    assert set(by_student) == {"smithjohn_123", "doejane_77", "lee_88"}  # no roster: the LMS name and user id
    assert found.roster is not None and found.roster.kind == CANVAS and found.roster.implicit
    smith = by_student["smithjohn_123"]
    assert smith.lms_id == "123" and not smith.late and by_student["doejane_77"].late
    assert stage(smith) == ["smithjohn_123_456_layers.py: an older copy of layers.py (not graded)"]
    assert sorted(p.name for p in smith.path.iterdir()) == ["layers.py", "quiz_answers.toml"]
    assert "# resubmitted" in (smith.path / "layers.py").read_text()  # the later upload wins
    stage(by_student["doejane_77"])
    assert (by_student["doejane_77"].path / "quiz_answers.toml").is_file()  # Canvas's "-1" copy suffix dropped
    assert by_student["lee_88"].path == folder / "lee_88_3_hw.zip"  # one archive: graded as it is


def test_moodle_download_folders_and_files(tmp_path):
    folder = _files(tmp_path / "class", {
        "Zhang San_1001_assignsubmission_file_": None,
        "Zhang San_1001_assignsubmission_onlinetext_": None,
        "Li Si_1002_assignsubmission_file_layers.py": CODE,
        "Li Si_1002_assignsubmission_file_quiz_answers.toml": "[answers]\n",
        "Wang Wu_1003_assignsubmission_onlinetext_": None,
    })
    found = intake(folder, staging=tmp_path / "staging")
    by_student = {e.student: e for e in found.entries}
    assert set(by_student) == {"Zhang San_1001", "Li Si_1002"}
    assert by_student["Zhang San_1001"].path == folder / "Zhang San_1001_assignsubmission_file_"
    assert "onlinetext" in " ".join(found.notes["Zhang San_1001"])
    stage(by_student["Li Si_1002"])
    assert sorted(p.name for p in by_student["Li Si_1002"].path.iterdir()) == ["layers.py", "quiz_answers.toml"]
    assert ("Wang Wu_1003_assignsubmission_onlinetext_", "Moodle online text only (not graded)") in found.ignored


def test_staging_reads_regular_files_only_and_caps_their_size(tmp_path):
    from grader.submission import IntakeLimits

    MAX_FILE_BYTES = IntakeLimits().max_file_bytes
    folder = _files(tmp_path / "class", {"smithjohn_123_456_layers.py": CODE})
    (folder / "smithjohn_123_457_big.py").write_bytes(b"#" * (MAX_FILE_BYTES + 10))
    entry = intake(folder, staging=tmp_path / "staging").entries[0]
    remarks = stage(entry)
    assert any("big.py" in r and "larger than" in r for r in remarks)
    assert sorted(p.name for p in entry.path.iterdir()) == ["layers.py"]


# ------------------------------------------------------------------ rosters
CANVAS_EXPORT = (
    "Student,ID,SIS User ID,SIS Login ID,Section,RNN homework (555)\n"
    "    Points Possible,,,,,100\n"
    '"Smith, John",123,2023001,jsmith,Sec 1,\n'
    '"Doe, Jane",77,2023002,jdoe,Sec 1,\n'
    '"Nobody, Ann",99,2023003,anobody,Sec 2,\n'
)
MOODLE_SHEET = (
    "Identifier,Full name,Email address,Status,Grade,Maximum Grade,Grade can be changed,"
    "Last modified (submission),Last modified (grade),Feedback comments\n"
    "Participant 1001,Zhang San,zs@example.edu,Submitted,,100.00,Yes,\"Monday, 1 July 2024, 10:00 AM\",-,\n"
    "Participant 1002,Li Si,ls@example.edu,Submitted,,100.00,Yes,\"Monday, 1 July 2024, 10:00 AM\",-,\n"
    "Participant 1004,Zhao Liu,zl@example.edu,No submission,,100.00,Yes,-,-,\n"
)


def test_canvas_roster_maps_download_names_to_sis_ids(tmp_path):
    path = tmp_path / "canvas.csv"
    path.write_text(CANVAS_EXPORT)
    roster = read_roster(path)
    assert roster.kind == CANVAS and [s.student for s in roster.students] == ["2023001", "2023002", "2023003"]
    folder = _files(tmp_path / "class", {"smithjohn_123_456_layers.py": CODE, "doejane_LATE_77_1_layers.py": CODE,
                                         "strangerx_42_1_layers.py": CODE})
    found = intake(folder, roster, staging=tmp_path / "staging")
    assert sorted(e.key for e in found.entries) == ["2023001", "2023002", "strangerx_42"]
    assert found.unmatched == ["strangerx_42"]
    assert [s.student for s in found.missing] == ["2023003"]
    assert next(e for e in found.entries if e.key == "2023001").name == "Smith, John"
    assert read_roster(path, id_column="SIS Login ID").students[0].student == "jsmith"


def test_moodle_worksheet_roster_is_recognised_whatever_the_language_of_its_header(tmp_path):
    for header in ("Identifier", "标识符"):
        path = tmp_path / f"{header}.csv"
        path.write_text(MOODLE_SHEET.replace("Identifier", header, 1), encoding="utf-8-sig")
        roster = read_roster(path)
        assert roster.kind == MOODLE
        assert [(s.lms_id, s.student, s.name) for s in roster.students][:2] == [
            ("1001", "zs@example.edu", "Zhang San"), ("1002", "ls@example.edu", "Li Si")]
    folder = _files(tmp_path / "class", {"Zhang San_1001_assignsubmission_file_": None})
    found = intake(folder, roster, staging=tmp_path / "staging")
    assert [e.key for e in found.entries] == ["zs@example.edu"]
    assert [s.student for s in found.missing] == ["ls@example.edu", "zl@example.edu"]


def test_plain_roster_with_a_handin_column_and_duplicates(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("学号,姓名,folder\n2023001,张三,zhangsan\n2023002,李四,lisi\n2023003,王五,\n", encoding="utf-8")
    roster = read_roster(path)
    assert roster.kind == PLAIN
    folder = _files(tmp_path / "class", {"zhangsan": None, "zhangsan.py": CODE, "2023003.py": CODE, "extra": None})
    found = intake(folder, roster)
    keys = {e.key: e.student for e in found.entries}
    assert keys == {"2023001": "2023001", "zhangsan.py": "2023001", "2023003": "2023003", "extra": "extra"}
    assert found.duplicates == {"2023001": ["2023001", "zhangsan.py"]}
    assert found.unmatched == ["extra"] and [s.student for s in found.missing] == ["2023002"]
    report = list(csv.reader(io.StringIO(found.report_csv())))
    statuses = {(r[1], r[4]) for r in report[1:]}
    assert {("2023001", "duplicate"), ("extra", "unmatched"), ("", "no_handin")} <= statuses


@pytest.mark.parametrize("text, problem", [
    ("name\nalice\n", "no id column"),
    ("id,name\na,1\na,2\n", "is on 2 rows"),
    ("id,name\n,x\n", "empty id"),
    ("", "empty"),
])
def test_bad_rosters_name_every_problem(tmp_path, text, problem):
    path = tmp_path / "r.csv"
    path.write_text(text)
    with pytest.raises(RosterError) as info:
        read_roster(path)
    assert any(problem in p for p in info.value.problems), info.value.problems
