"""Grading a class: parallel, resumable, recorded once per student; CSV and JUnit."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner
from support import SOLUTIONS, grade_official, mutant

from grader import paths
from grader.batch import discover, grade_class
from grader.cli import main
from grader.gradebook import Gradebook
from grader.quiz.interactive import write_key_sheet
from grader.results.junit import to_junit


def _class(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copytree(paths.EXAMPLES / "sample_submission", folder / "alice")
    mutant(folder / "bob", {})
    write_key_sheet(folder / "bob" / "quiz_answers.toml", "bob")  # bob also gets the quiz right
    (folder / "carol.py").write_text("def relu_forward(x):\n    return x, x\n")
    (folder / ".hidden").mkdir()
    return folder


def test_discover_names_students_by_entry(tmp_path):
    assert [e.student for e in discover(_class(tmp_path))] == ["alice", "bob", "carol"]


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """The class graded once (jobs=2), with the progress events: read by several tests,
    each of which copies it before changing anything."""
    root = tmp_path_factory.mktemp("graded_class")
    folder, out = _class(root), root / "out"
    events = []
    summary = grade_class(folder, out, solutions=SOLUTIONS, jobs=2, lang="en",
                          progress=lambda s, st: events.append((s, st)))
    return folder, out, summary, events


def _copy(graded_class, tmp_path):
    folder, out, _, _ = graded_class
    shutil.copytree(folder, tmp_path / "class", symlinks=True)
    shutil.copytree(out, tmp_path / "out")
    return tmp_path / "class", tmp_path / "out"


def test_batch_grades_records_and_resumes(tmp_path, graded_class):
    _, _, summary, events = graded_class
    folder, out = _copy(graded_class, tmp_path)
    assert sorted(summary.graded) == ["alice", "bob", "carol"] and not summary.failed
    assert sorted(events) == [("alice", "graded"), ("bob", "graded"), ("carol", "graded")]
    with Gradebook(out / "gradebook.sqlite") as book:
        rows = {r["student"]: r for r in book.students()}
        assert rows["bob"]["score"] == rows["bob"]["max_score"] > 0
        assert 0 < rows["alice"]["score"] < rows["alice"]["max_score"]
        assert rows["carol"]["score"] == 0
        assert book.mistake_counts().get("10") == 1  # alice's in-place relu_backward
    for name in ("alice", "bob", "carol"):
        assert (out / "reports" / f"{name}.html").is_file()
        assert json.loads((out / "results" / f"{name}.json").read_text())["tests"]

    # Unchanged submissions are skipped; a changed one is re-graded, never duplicated.
    (folder / "carol.py").write_text((SOLUTIONS / "layers.py").read_text())
    again = grade_class(folder, out, solutions=SOLUTIONS, jobs=2, lang="en")
    assert sorted(again.skipped) == ["alice", "bob"] and again.graded == ["carol"]
    db = sqlite3.connect(out / "gradebook.sqlite")
    assert db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == 3
    dup = db.execute("SELECT COUNT(*) FROM (SELECT student, check_id FROM checks GROUP BY 1, 2 HAVING COUNT(*) > 1)")
    assert dup.fetchone()[0] == 0
    assert db.execute("SELECT score > 0 FROM submissions WHERE student = 'carol'").fetchone()[0] == 1


def test_cli_batch_and_csv_export(tmp_path):
    folder, out = _class(tmp_path), tmp_path / "out"
    runner = CliRunner()
    result = runner.invoke(main, ["batch", str(folder), "--solutions", str(SOLUTIONS), "--out", str(out),
                                  "-j", "2", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "3 graded" in result.output
    result = runner.invoke(main, ["gradebook", str(out / "gradebook.sqlite"), "--csv", str(tmp_path / "g.csv")])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(open(tmp_path / "g.csv", encoding="utf-8")))
    assert [r["student"] for r in rows] == ["alice", "bob", "carol"]
    assert "10" in rows[0]["mistakes"].split() and rows[1]["mistakes"] == ""
    stats = runner.invoke(main, ["gradebook", str(out / "gradebook.sqlite"), "--lang", "en"])
    assert "3 students" in stats.output and "known mistake 10" in stats.output


def test_junit_xml_is_well_formed_even_with_control_characters(tmp_path):
    root = mutant(tmp_path / "m", {"layers.py": [("    return np.maximum(0.0, x), x\n",
                                                   "    print('\\x00\\x07<&>')\n    return x, x\n")]})
    result = grade_official(root, "relu")
    doc = ET.fromstring(to_junit(result, "en"))
    cases = doc.findall(".//testcase")
    assert len(cases) == len(result.checks)
    failures = doc.findall(".//failure")
    assert failures and any("<&>" in (f.text or "") for f in failures)


def test_dashboard_shows_distribution_hardest_checks_mistakes_and_quiz_items(tmp_path, graded_class):
    from grader.report.dashboard import render_dashboard

    folder, out = _copy(graded_class, tmp_path)
    shutil.copytree(paths.EXAMPLES / "sample_submission", folder / "dave")
    again = grade_class(folder, out, solutions=SOLUTIONS, jobs=2, lang="en")
    assert again.graded == ["dave"]  # the others were graded already (graded_class)
    with Gradebook(out / "gradebook.sqlite") as book:
        items = book.quiz_items()
        assert items and all(0.0 <= i["difficulty"] <= 1.0 for i in items)
        html = render_dashboard(book, "en")
        zh = render_dashboard(book, "zh")
    assert "<script" not in html and "http" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "<svg" in html and "Students by share of the points" in html
    assert "4 students" in html
    assert "in-place modification of inputs" in html  # alice and dave: mistake 10
    assert "Quiz item analysis" in html and "Discrimination" in html
    assert "班级成绩总览" in zh and "区分度" in zh
    result = CliRunner().invoke(main, ["gradebook", str(out / "gradebook.sqlite"), "--dashboard",
                                       str(tmp_path / "d.html"), "--lang", "zh"])
    assert result.exit_code == 0 and (tmp_path / "d.html").read_text().startswith("<!DOCTYPE html>")


def test_the_same_batch_on_a_dask_cluster(tmp_path, graded_class):
    pytest.importorskip("distributed", reason="the Dask backend needs the optional extra rnngrade[dask]")
    folder, local_out, local, _ = graded_class  # the same class graded locally
    on_dask = grade_class(folder, tmp_path / "dask", solutions=SOLUTIONS, jobs=2, lang="en", dask="local")
    assert sorted(on_dask.graded) == sorted(local.graded) == ["alice", "bob", "carol"]
    with Gradebook(local_out / "gradebook.sqlite") as a, Gradebook(tmp_path / "dask" / "gradebook.sqlite") as b:
        assert [(r["student"], r["score"]) for r in a.students()] == [(r["student"], r["score"]) for r in b.students()]
    assert (tmp_path / "dask" / "reports" / "alice.html").is_file()
    again = grade_class(folder, tmp_path / "dask", solutions=SOLUTIONS, jobs=2, lang="en", dask="local")
    assert sorted(again.skipped) == ["alice", "bob", "carol"] and not again.graded
