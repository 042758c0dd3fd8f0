"""A re-run of ``rnngrade batch`` skips a hand-in only when nothing that shapes its
outputs changed (tryout finding 13: a second run with ``--lang zh`` kept the English
reports as "unchanged"): the language, the report options, the grader's code and
templates, the reference, and the id the hand-in is graded as are all in the key."""

from __future__ import annotations

import shutil
from pathlib import Path

import grader.package_data
from grader.batch import grade_class, grader_key
from grader.gradebook import Gradebook, Record


def fake_grade(student: str, snapshot: object, solutions: str | None, lang: str,
               allow_unisolated: bool = False) -> dict:
    tests = [{"name": "t", "score": 1.0, "max_score": 2.0, "status": "failed", "output": "",
              "tags": ["relu", "value"], "extra_data": {"id": "relu.t", "mistakes": []}}]
    return {"student": student, "fingerprint": "f", "score": 1.0, "max_score": 2.0, "load_status": "loaded",
            "isolation": "portable", "graded_at": "2025-01-01T00:00:00+00:00", "seconds": 0.01,
            "results": {"score": 1.0, "tests": tests, "extra_data": {"max_score": 2.0, "lang": lang}},
            "html": f'<html lang="{lang}" data-unisolated="{allow_unisolated}"></html>'}


def _class(tmp_path: Path) -> Path:
    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("alice", "bob"):
        (folder / f"{name}.py").write_text(f"# {name}\n")
    return folder


def test_another_language_grades_again_and_rewrites_the_reports(tmp_path):
    folder, out = _class(tmp_path), tmp_path / "out"
    first = grade_class(folder, out, jobs=2, lang="en", grade_one=fake_grade)
    assert sorted(first.graded) == ["alice", "bob"]
    assert grade_class(folder, out, jobs=2, lang="en", grade_one=fake_grade).skipped == ["alice", "bob"]
    again = grade_class(folder, out, jobs=2, lang="zh", grade_one=fake_grade)
    assert sorted(again.graded) == ["alice", "bob"] and again.skipped == []
    assert (out / "reports" / "alice.html").read_text().startswith('<html lang="zh"')
    assert grade_class(folder, out, jobs=2, lang="zh", grade_one=fake_grade).skipped == ["alice", "bob"]


def test_a_report_option_grades_again(tmp_path):
    folder, out = _class(tmp_path), tmp_path / "out"
    grade_class(folder, out, jobs=2, lang="en", grade_one=fake_grade)
    again = grade_class(folder, out, jobs=2, lang="en", grade_one=fake_grade, allow_unisolated=True)
    assert sorted(again.graded) == ["alice", "bob"]
    assert 'data-unisolated="True"' in (out / "reports" / "bob.html").read_text()


def test_the_key_covers_the_graders_version_templates_and_reference(tmp_path, monkeypatch):
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    (solutions / "layers.py").write_text("x = 1\n")
    base = grader_key(solutions, lang="en")
    assert grader_key(solutions, lang="en") == base  # stable
    assert grader_key(solutions, lang="zh") != base
    (solutions / "layers.py").write_text("x = 2\n")
    assert grader_key(solutions, lang="en") != base
    changed = grader_key(solutions, lang="en")
    monkeypatch.setattr("grader.batch.__version__", "999.0")
    assert grader_key(solutions, lang="en") != changed
    monkeypatch.undo()
    templates = tmp_path / "templates"
    shutil.copytree(grader.package_data.templates(), templates)
    monkeypatch.setattr(grader.package_data, "templates", lambda: templates)
    assert grader_key(solutions, lang="en") == changed
    (templates / "report.html.j2").write_text((templates / "report.html.j2").read_text() + "\n{# edited #}\n")
    assert grader_key(solutions, lang="en") != changed


def test_a_row_graded_as_another_id_is_not_current(tmp_path):
    with Gradebook(tmp_path / "g.sqlite") as book:
        book.record(Record(student="alice", fingerprint="fp", grader_key="gk", score=1, max_score=2,
                           load_status="loaded", isolation="bubblewrap", graded_at="t", seconds=0.1,
                           results={"tests": []}, student_id="s001"))
        assert book.is_current("alice", "fp", "gk") and book.is_current("alice", "fp", "gk", "s001")
        assert not book.is_current("alice", "fp", "gk", "s002")  # the roster now says another student
