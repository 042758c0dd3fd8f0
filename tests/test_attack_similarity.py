"""Finding 7 of the attack review: copying the reference was invisible to `rnngrade
similarity` (the reference is taken out of every pair, so two students handing in the
reference verbatim shared nothing). The reference stays out of the pairs; the students
whose long graded functions match it are listed on their own in every output."""

from __future__ import annotations

import csv
import json
import re
import shutil

import pytest
from click.testing import CliRunner

from grader import paths
from grader.cli import main

IMPL = paths.ROOT / "tests" / "implementations"


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    root = tmp_path_factory.mktemp("ref") / "class"
    for student in ("alice", "bob"):  # the reference, markers removed
        (root / student).mkdir(parents=True)
        for f in paths.SOLUTIONS.glob("*.py"):
            text = re.sub(r".*# (BEGIN|END) SOLUTION\n", "", f.read_text(encoding="utf-8"))
            (root / student / f.name).write_text(text, encoding="utf-8")
    for student in ("carol", "dave"):  # the same buggy code, their own
        shutil.copytree(paths.EXAMPLES / "sample_submission", root / student,
                        ignore=shutil.ignore_patterns("*.toml"))
    shutil.copytree(IMPL / "bp" / "loops", root / "erin")  # honest, independent code
    shutil.copytree(IMPL / "recurrent" / "cs231n_vectorised", root / "frank")
    return root


def run(klass, out, *extra: str) -> str:
    result = CliRunner().invoke(main, ["similarity", str(klass), "--lang", "en", "-j", "1",
                                       "--html", str(out / "s.html"), "--csv", str(out / "s.csv"),
                                       "--json", str(out / "s.json"), *extra])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_students_handing_in_the_reference_are_listed_in_every_output(klass, tmp_path):
    text = run(klass, tmp_path, "--solutions", str(paths.SOLUTIONS))
    # the pairs leave the reference out: alice and bob are no pair, carol and dave are
    assert "alice ↔ bob" not in text and "bob ↔ alice" not in text
    assert re.search(r"carol ↔ dave|dave ↔ carol", text)
    listed = text[text.index("Students whose code matches the reference:"):]
    assert "alice:" in listed and "bob:" in listed
    for honest in ("erin", "frank"):
        assert f"{honest}:" not in listed
    with open(tmp_path / "s-reference.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["student"] for r in rows[:2]] == ["alice", "bob"]  # whole copies first
    assert int(rows[0]["functions_matching"]) == int(rows[0]["long_functions"]) >= 15
    # The sample (written from the reference, with mistakes) keeps one function close to it: it
    # may be listed, with that one function; independent code is not.
    assert all(int(r["functions_matching"]) <= 2 for r in rows[2:])
    assert {r["student"] for r in rows} <= {"alice", "bob", "carol", "dave"}
    data = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    students = {s["student"]: s for s in data["reference"]["students"]}
    assert {"alice", "bob"} <= set(students)
    shares = {m["function"]: m["share"] for m in students["alice"]["functions"]}
    assert all(share == 1.0 for share in shares.values())
    assert "relu_forward" not in shares and "sigmoid_backward" not in shares  # short: never counted
    html = (tmp_path / "s.html").read_text(encoding="utf-8")
    section = html[html.index('id="reference"'):]
    assert "alice" in section[:section.index("</section>")] and "erin" not in section[:section.index("</section>")]
    assert "Wrote " + str(tmp_path / "s-reference.csv") in text


def test_without_the_reference_the_outputs_say_it_was_not_looked_for(klass, tmp_path):
    text = run(klass, tmp_path)
    assert "No reference was given" in text
    assert not (tmp_path / "s-reference.csv").exists()
    assert json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))["reference"] is None
    assert "No reference was given" in (tmp_path / "s.html").read_text(encoding="utf-8")
