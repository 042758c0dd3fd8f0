"""`rnngrade release`: the student bundle has what a student needs and nothing of the
reference, the quiz key or the hidden inputs."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from deploykit import REPO, key_texts, leaks, reference_only_lines, run

from grader import versions
from grader.api import student_seed
from grader.checks.kinds import ValueCheck
from grader.cli import main
from grader.deploy import ci
from grader.generate import render_release
from grader.public_cases import round_inputs
from grader.specs import all_exercises


@pytest.fixture(scope="module")
def bundle(wheel_file, tmp_path_factory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("release")
    result = CliRunner().invoke(main, ["release", "--course", str(REPO), "--wheel", str(wheel_file),
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out / "rnn-lstm-student", out / "rnn-lstm-student.zip"


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_bundle_holds_exactly_the_student_files(bundle, wheel_file):
    folder, archive = bundle
    files = _files(folder)
    expected = {f"exercises/{rel}" for rel in render_release(REPO / "solutions")}
    expected |= {"README.md", "requirements.txt", f"wheels/{wheel_file.name}", *ci.student_files()}
    assert set(files) == expected
    for rel, text in render_release(REPO / "solutions").items():
        assert files[f"exercises/{rel}"].decode() == text  # what `rnngrade generate` makes
    with zipfile.ZipFile(archive) as z:
        assert {n.removeprefix("rnn-lstm-student/"): z.read(n) for n in z.namelist()} == files


def test_no_reference_line_no_key_text_no_hidden_input(bundle):
    folder, _ = bundle
    lines, keys = reference_only_lines(), key_texts()
    assert len(lines) > 100 and len(keys) > 50  # the probes are not empty
    texts = {}
    for rel, data in _files(folder).items():
        if rel.endswith(".whl"):
            with zipfile.ZipFile(folder / rel) as z:
                texts.update({f"{rel}!{n}": z.read(n).decode("utf-8", "replace") for n in z.namelist()
                              if n.startswith("grader/bundled/exercises/")})
        else:
            texts[rel] = data.decode("utf-8")
    for rel, text in texts.items():
        assert not leaks(rel, text, lines, keys), rel
        assert "solutions/" not in rel and not rel.endswith("formulas.py")
        assert not re.search(r"^\s*(answer|explanation|formula)\s*=", text, re.M), rel
    # Hidden inputs are drawn from a student's seed at grading time: none is stored.
    stored = set(_floats(json.loads(texts["exercises/public_cases.json"])))
    for check in (c for e in all_exercises() for c in e.checks if isinstance(c, ValueCheck)):
        hidden = check.inputs(np.random.default_rng([student_seed("validate-1"), zlib.crc32(check.id.encode())]))
        drawn = [v for v in _floats(hidden) if len(repr(v)) > 8]  # random values, not constants like 0.9
        for values in (drawn, _floats(round_inputs(hidden))):
            assert not [v for v in values if len(repr(v)) > 8 and v in stored], check.id


def _floats(v) -> list[float]:
    if isinstance(v, np.ndarray):
        return [float(x) for x in v.reshape(-1)] if v.dtype.kind == "f" else []
    if isinstance(v, float):
        return [v]
    if isinstance(v, dict):
        return [] if "__array__" in v and v["__array__"][1] != "f" else [
            x for k, item in v.items() if k not in ("shape", "__array__") for x in _floats(item)]
    if isinstance(v, (list, tuple)):
        return [x for item in v for x in _floats(item)]
    return []


def test_readme_is_bilingual_and_requirements_pin_rnngrade_and_numpy(bundle, wheel_file):
    folder, _ = bundle
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert "## 中文" in readme and "## English" in readme and "概念测验" in readme and "rnngrade grade" in readme
    req = (folder / "requirements.txt").read_text(encoding="utf-8").splitlines()
    req = [line for line in req if line and not line.startswith("#")]
    version = wheel_file.name.split("-")[1]
    assert req == ["--find-links wheels", f"rnngrade=={version}", f"numpy=={versions.PINNED_NUMPY}"]
    assert (folder / "wheels" / wheel_file.name).is_file()


def test_release_zip_is_reproducible(bundle, wheel_file, tmp_path):
    _, archive = bundle
    again = CliRunner().invoke(main, ["release", "--course", str(REPO), "--wheel", str(wheel_file),
                                      "--out", str(tmp_path)])
    assert again.exit_code == 0
    assert (tmp_path / archive.name).read_bytes() == archive.read_bytes()


def test_a_student_works_in_the_bundle(bundle, wheel_env, tmp_path):
    folder, _ = bundle
    repo = tmp_path / "student-repo"
    shutil.copytree(folder, repo)
    rnngrade = str(wheel_env / "rnngrade")
    blank = run([rnngrade, "grade", "--lang", "en"], cwd=repo / "exercises")
    assert "No public test cases" not in blank.stdout and "Score: 0 /" in blank.stdout
    run([rnngrade, "quiz", "--init", "--student", "s1", "--lang", "en"], cwd=repo)
    assert (repo / "exercises" / "quiz_answers.toml").is_file()
    for py in (REPO / "examples" / "sample_submission").glob("*.py"):
        shutil.copy2(py, repo / "exercises" / py.name)
    work = run([rnngrade, "grade", "--lang", "en"], cwd=repo)
    assert re.search(r"Score: [1-9][\d.]* /", work.stdout)


def test_release_needs_the_solutions(tmp_path, wheel_file):
    (tmp_path / "exercises").mkdir()
    result = CliRunner().invoke(main, ["release", "--course", str(tmp_path), "--wheel", str(wheel_file)])
    assert result.exit_code == 2 and "no solutions/" in result.output
