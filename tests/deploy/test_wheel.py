"""The wheel works anywhere: built without network, installed into a fresh venv and
used from a folder outside the repository (README quick start, self-check, quiz)."""

from __future__ import annotations

import re
import shutil
import tomllib
import zipfile
from pathlib import Path

from deploykit import REPO, clean_env, key_texts, leaks, reference_only_lines, run

from grader import package_data
from grader.quiz.bank import load_bank


def _names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as z:
        return z.namelist()


def test_wheel_ships_runtime_data_and_never_the_reference(wheel_file):
    names = set(_names(wheel_file))
    for rel in ("grader/templates/report.html.j2", "grader/templates/partials/report.css",
                "grader/sandbox/child.py", "grader/i18n/messages/core.toml",
                "grader/bundled/exercises/public_cases.json", "grader/bundled/exercises/notebook/assignment.ipynb",
                "grader/bundled/exercises/quiz/sections.toml", "grader/bundled/sample/quiz_answers.toml",
                "grader/bundled/sample/rnn_layers.py"):
        assert rel in names, rel
    for p in (REPO / "grader" / "i18n" / "messages").glob("*.toml"):
        assert f"grader/i18n/messages/{p.name}" in names
    for p in (REPO / "templates").rglob("*"):
        if p.is_file():
            assert "grader/templates/" + p.relative_to(REPO / "templates").as_posix() in names
    assert not [n for n in names if "solutions" in n or n.endswith("formulas.py")]
    public = {p.read_bytes() for p in (REPO / "exercises").rglob("*") if p.is_file()}
    solution_files = {p.read_bytes() for p in (REPO / "solutions").rglob("*") if p.is_file()} - public
    lines, keys = reference_only_lines(), key_texts()
    with zipfile.ZipFile(wheel_file) as z:
        for name in names:
            data = z.read(name)
            assert data not in solution_files, name
            if name.startswith("grader/bundled/exercises/"):  # the public release: no reference, no key
                text = data.decode("utf-8")
                assert not leaks(name, text, lines, keys), name
                assert not re.search(r"^\s*(answer|explanation|formula)\s*=", text, re.M), name


def test_package_dir_mapping_is_the_one_the_code_reads():
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    mapping = config["tool"]["setuptools"]["package-dir"]
    assert {k.replace("grader.", "", 1).replace(".", "/"): v for k, v in mapping.items()} == package_data.MAPPED
    setup = (REPO / "setup.py").read_text(encoding="utf-8")
    for package in mapping:
        assert f'"{package}"' in setup


def test_wheel_grades_the_sample_outside_the_repository(wheel_env, tmp_path):
    where = tmp_path / "elsewhere"
    where.mkdir()
    py = str(wheel_env / "python")
    loc = run([py, "-c", "import grader, jinja2; print(grader.__file__)"], cwd=where).stdout.strip()
    assert Path(loc).is_relative_to(wheel_env.parent), loc  # the wheel's copy, not the checkout

    # The README's quick start grading command.
    out = run([str(wheel_env / "rnngrade"), "grade", "--sample", "--html", "report.html", "--lang", "en"], cwd=where)
    html = (where / "report.html").read_text(encoding="utf-8")
    assert "<html" in html and "Concept quiz" in html and "lstm_step_forward" in html
    score = re.search(r"Score: ([\d.]+) / ([\d.]+)", out.stdout)
    assert score and 100 < float(score.group(1)) < float(score.group(2)), out.stdout
    assert "No public test cases" not in out.stdout

    # A self-check of a student's folder outside any course folder uses the bundled public cases.
    shutil.copytree(REPO / "examples" / "sample_submission", where / "mywork")
    selfcheck = run([str(wheel_env / "rnngrade"), "grade", "mywork", "--lang", "en"], cwd=where)
    assert selfcheck.stdout.count("Score:") == 1 and "No public test cases" not in selfcheck.stdout
    assert re.search(r"Score: ([\d.]+) / ([\d.]+)", selfcheck.stdout).groups() == score.groups()

    # quiz --init writes the blank sheet here (nothing is written into site-packages).
    quiz = run([str(wheel_env / "rnngrade"), "quiz", "--init", "--student", "s1", "--lang", "en"], cwd=where)
    sheet = (where / "quiz_answers.toml").read_text(encoding="utf-8")
    assert 'student = "s1"' in sheet and quiz.returncode == 0
    assert sheet.count('= ""') == len(load_bank(REPO / "exercises" / "quiz", with_key=False).questions)  # all, unanswered

    # Grading wrote nothing into the installed package but Python's own bytecode: a folder
    # left in site-packages/grader after `pip uninstall` (which removes only what it
    # installed) would make `grader` a namespace package hiding a later `pip install -e .`.
    package = Path(loc).parent
    dist = next(package.parent.glob("rnngrade-*.dist-info"))
    installed = {line.split(",")[0] for line in (dist / "RECORD").read_text(encoding="utf-8").splitlines()}
    extra = [p.relative_to(package.parent).as_posix() for p in package.rglob("*") if p.is_file()]
    extra = [p for p in extra if p not in installed and not re.fullmatch(r".*/__pycache__/\w+\.cpython-\d+\.pyc", p)]
    assert extra == [], extra[:5]


def test_wheel_course_folder_from_option_and_environment(wheel_env, tmp_path):
    course = tmp_path / "course"
    shutil.copytree(REPO / "exercises", course / "exercises", ignore=shutil.ignore_patterns("__pycache__"))
    (course / "exercises" / "public_cases.json").unlink()
    rnngrade = str(wheel_env / "rnngrade")
    # From inside the course (even a sub-folder): its exercises/ are graded, and the
    # missing public cases are said, not silently skipped.
    inside = run([rnngrade, "grade", "--lang", "en"], cwd=course / "exercises")
    assert "No public test cases were found in" in inside.stdout
    via_env = run([rnngrade, "grade", "--lang", "en"], cwd=tmp_path, env=clean_env(RNNGRADE_COURSE=str(course)))
    assert "No public test cases were found in" in via_env.stdout
    via_option = run([rnngrade, "grade", "--course", str(course), "--lang", "en"], cwd=tmp_path)
    assert "No public test cases were found in" in via_option.stdout
    # Outside any course, a bare `rnngrade grade` explains instead of grading the bundled stubs.
    bare = run([rnngrade, "grade"], cwd=tmp_path, check=False)
    assert bare.returncode == 2 and "no course folder here" in bare.stderr


def test_no_module_of_the_package_reads_the_checkout_folders():
    """grader.paths points into the repository (site-packages, once installed): only
    tests, benchmarks and development may use it."""
    offenders = []
    for path in (REPO / "grader").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if path.name != "paths.py" and re.search(r"\bimport paths\b|\bpaths\.(ROOT|EXERCISES|SOLUTIONS|TEMPLATES|EXAMPLES)",
                                                 text):
            offenders.append(path.relative_to(REPO).as_posix())
    assert offenders == []
