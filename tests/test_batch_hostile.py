"""A class folder that mixes every hostile intake case the batch handles with normal
students grades completely (issue 11 acceptance): every normal student gets the same
score as when graded alone, every hostile hand-in gets a row and a report, nothing
overwrites anything, and no export or report holds a raw control character or a cell
a spreadsheet would evaluate."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import zipfile

import pytest
from support import SOLUTIONS, mutant

from grader import paths
from grader.api import grade
from grader.batch import file_name, grade_class
from grader.gradebook import Gradebook
from grader.gradebook.export import is_formula, write_canvas, write_plain
from grader.quiz.interactive import write_key_sheet

UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
RELU = "import numpy as np\n\ndef relu_forward(x):\n    return np.maximum(0, x), x\n"
LONG = "s" * 150


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile_class")
    folder = root / "class"
    folder.mkdir()
    # Normal students: the sample (some mistakes, a quiz sheet), the reference with the key's sheet.
    shutil.copytree(paths.EXAMPLES / "sample_submission", folder / "normal1")
    mutant(folder / "normal2", {})
    write_key_sheet(folder / "normal2" / "quiz_answers.toml", "normal2")
    normal = {"normal1": folder / "normal1", "normal2": folder / "normal2"}
    files = {
        # ids that collide: a folder and a file, a space and an underscore, equal after
        # truncation, a case-only difference
        "alice/layers.py": RELU, "alice.py": RELU, "a b/layers.py": RELU, "a_b/layers.py": RELU,
        f"{LONG}1/layers.py": RELU, f"{LONG}2/layers.py": RELU, "Eve/layers.py": RELU, "eve/layers.py": RELU,
        # ids a spreadsheet would evaluate
        "=HYPERLINK(\"evil\",\"x\").py": RELU, "+cmd.py": RELU, "-2+3.py": RELU, "@SUM(A1).py": RELU,
        # terminal control sequences in a name
        "ctl\x1b]0;pwned\x07\x1b[2J.py": RELU,
        # student text with control sequences and a lone surrogate
        "noisy.py": RELU.replace("return", "print('\\x1b]0;t\\x07\\x1b[?1049h\\x9b2J')\n    raise ValueError('\\ud800')\n    return"),
        # a process that exits while being imported
        "quitter.py": "import os\nos._exit(0)\n",
        # a quiz sheet built to stall or crash the quiz stage
        "sheet/layers.py": RELU,
        "sheet/quiz_answers.toml": "[answers]\nrnn_memory = " + "[" * 5000 + "]" * 5000 + "\nbp_param_count = "
                                   + "9" * 5000 + "\n" + "".join(f"[t{i}]\n" for i in range(3000)),
        # an archive with nothing in it
        "hollow.zip": "PK\x05\x06" + "\0" * 18,
        # an LMS download: Canvas files of one student, a Moodle folder
        "smithjohn_123_456_layers.py": RELU, "smithjohn_123_457_quiz_answers.toml": "[answers]\n",
        "Zhang San_1001_assignsubmission_file_/layers.py": RELU,
    }
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    bad = folder / os.fsdecode(b"bytes\xff\xfe")  # a folder name that is not UTF-8, holding one too
    bad.mkdir()
    (bad / os.fsdecode(b"m\xff.py")).write_text(RELU)
    with zipfile.ZipFile(folder / "zipped.zip", "w", zipfile.ZIP_DEFLATED) as z:  # an archive hand-in
        z.writestr("zipped/layers.py", RELU)
        z.writestr("zipped/quiz_answers.toml", (folder / "normal1" / "quiz_answers.toml").read_text())
    normal["zipped"] = folder / "zipped.zip"
    (folder / "link").symlink_to(folder / "normal1")  # a hand-in that is a link: a row, never followed
    os.mkfifo(folder / "fifo.py")  # never opened
    out = root / "out"
    summary = grade_class(folder, out, solutions=SOLUTIONS, jobs=2, lang="en")
    return folder, out, summary, normal


def test_every_hand_in_has_a_row_and_a_report(hostile_class):
    folder, out, summary, _ = hostile_class
    entries = summary.intake.entries
    keys = [e.key for e in entries]
    assert len(keys) == len(set(keys)) == 25
    assert sorted(summary.graded) == sorted(keys) and not summary.failed
    assert summary.intake.ignored == []
    with Gradebook(out / "gradebook.sqlite") as book:
        rows = {r["student"]: r for r in book.students()}
    assert set(rows) == set(keys)
    names = [file_name(k) for k in keys]
    assert len({n.lower() for n in names}) == len(keys)
    for key in keys:
        report = (out / "reports" / f"{file_name(key)}.html").read_text(encoding="utf-8")
        results = (out / "results" / f"{file_name(key)}.json").read_text(encoding="utf-8")
        assert "<html" in report and json.loads(results)["extra_data"]["student"]
        for text in (report, results):
            assert not UNSAFE.search(text), key
    by_key = {e.key: e for e in entries}
    assert by_key["alice"].student == by_key["alice.py"].student == "alice"
    assert rows["Eve"]["student_id"] == "Eve" and rows["eve"]["student_id"] == "eve"
    assert "smithjohn_123" in keys and "Zhang San_1001" in keys
    assert rows["zipped"]["status"] == "graded" and rows["zipped"]["score"] > 0  # read in memory and graded
    # A link and a FIFO named like hand-ins: a row and a report that say so; the link's
    # target (a normal student with points) is never read, the FIFO never opened.
    for key, why in (("link", "is a symbolic link"), ("fifo", "is not a regular file"),
                     ("hollow", "No Python code")):
        assert rows[key]["status"] == "graded" and rows[key]["score"] == 0, key
        output = json.loads((out / "results" / f"{file_name(key)}.json").read_text(encoding="utf-8"))["output"]
        assert why in output, (key, output)
    assert "not followed" in " ".join(summary.intake.notes["link"])


def test_normal_students_score_as_when_graded_alone(hostile_class):
    _, out, _, normal = hostile_class
    with Gradebook(out / "gradebook.sqlite") as book:
        rows = {r["student"]: r for r in book.students()}
    for student, path in normal.items():
        # Alone and in this process (trusted example code; tests/test_callers.py shows the
        # in-process caller's verdicts equal the sandbox's): nothing of the batch shared.
        alone = grade(path, solutions=SOLUTIONS, student=student, trusted_in_process=True)
        assert rows[student]["score"] == pytest.approx(alone.score), student
        assert rows[student]["max_score"] == pytest.approx(alone.max_score)
    assert rows["normal2"]["score"] == rows["normal2"]["max_score"] > 0


def test_hostile_text_is_escaped_and_the_sheet_cost_only_itself(hostile_class):
    _, out, _, _ = hostile_class
    noisy = json.loads((out / "results" / "noisy.json").read_text(encoding="utf-8"))
    outputs = "\n".join(t["output"] for t in noisy["tests"])
    assert "\\x1b]0;t\\x07" in outputs and "\ufffd" in outputs
    sheet = json.loads((out / "results" / "sheet.json").read_text(encoding="utf-8"))
    relu = [t for t in sheet["tests"] if t["tags"][0] == "relu" and "forward" in t["extra_data"]["function"]]
    assert relu and any(t.get("status") == "passed" for t in relu)  # the code part was graded
    assert "bad_toml" in json.dumps(sheet) or "not valid TOML" in sheet["output"]


def test_exports_hold_no_formula_and_no_control_character(hostile_class, tmp_path):
    _, out, _, _ = hostile_class
    with Gradebook(out / "gradebook.sqlite") as book:
        write_plain(book, tmp_path / "plain.csv")
        write_canvas(book, tmp_path / "canvas.csv", "HW", sis_ids=True)
    for path in (tmp_path / "plain.csv", tmp_path / "canvas.csv", out / "intake.csv"):
        text = path.read_text(encoding="utf-8")
        assert not UNSAFE.search(text.replace("\r\n", "\n")), path.name
        for row in csv.reader(io.StringIO(text)):
            for cell in row:
                assert not is_formula(cell), (path.name, cell)


def test_a_second_run_skips_everything(hostile_class):
    folder, out, summary, _ = hostile_class
    again = grade_class(folder, out, solutions=SOLUTIONS, jobs=2, lang="en")
    assert sorted(again.skipped) == sorted(e.key for e in summary.intake.entries) and not again.graded
