"""The student release is generated from the solutions and checked in unchanged."""

from __future__ import annotations

import pytest

from grader import paths
from grader.generate import MarkerError, render_release, strip_solutions


def test_checked_in_exercises_equal_what_generate_produces():
    expected = render_release(paths.SOLUTIONS)
    for rel, text in expected.items():
        path = paths.EXERCISES / rel
        assert path.is_file(), f"exercises/{rel} is missing: run `rnngrade generate`"
        assert path.read_text(encoding="utf-8") == text, f"exercises/{rel} is stale: run `rnngrade generate`"
    stray = {p.relative_to(paths.EXERCISES).as_posix() for p in paths.EXERCISES.rglob("*")
             if p.is_file() and "__pycache__" not in p.parts}
    assert stray <= set(expected), f"files in exercises/ that generate does not make: {stray - set(expected)}"


def test_stubs_keep_signatures_and_docstrings_but_no_solution_code():
    for path in paths.SOLUTIONS.glob("*.py"):
        stub = (paths.EXERCISES / path.name).read_text(encoding="utf-8")
        source = path.read_text(encoding="utf-8")
        assert "BEGIN SOLUTION" not in stub and "END SOLUTION" not in stub
        for line in source.splitlines():
            if line.startswith("def "):
                assert line in stub
        body_lines = [ln.strip() for ln in source.split("# BEGIN SOLUTION")[1].split("# END SOLUTION")[0].splitlines()
                      if ln.strip()]
        assert body_lines and not any(ln in stub.splitlines() for ln in body_lines if len(ln) > 25)


def test_stub_raises_not_implemented_with_the_function_name():
    src = 'def f(x):\n    """Doc."""\n    # BEGIN SOLUTION\n    return x\n    # END SOLUTION\n'
    stub = strip_solutions(src)
    assert 'raise NotImplementedError("f")' in stub and '"""Doc."""' in stub and "return x" not in stub


@pytest.mark.parametrize("src", [
    "def f():\n    # BEGIN SOLUTION\n    return 1\n",
    "def f():\n    return 1\n    # END SOLUTION\n",
    "def f():\n    # BEGIN SOLUTION\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION\n",
])
def test_unbalanced_markers_are_errors(src):
    with pytest.raises(MarkerError):
        strip_solutions(src)


def test_release_contains_no_reference_code():
    files = render_release(paths.SOLUTIONS)
    joined = "\n".join(files.values())
    assert "np.exp(-x[pos])" not in joined  # a line of the reference sigmoid


def test_generate_removes_files_it_no_longer_makes(tmp_path):
    from grader.generate import generate

    out = tmp_path / "release"
    (out / "quiz").mkdir(parents=True)
    (out / "old_module.py").write_text("x = 1\n")
    (out / "quiz" / "removed.toml").write_text("")
    (out / "README.txt").write_text("kept: not a generated kind of file\n")
    release = generate(paths.SOLUTIONS, out)
    # a quiz bank file it no longer makes is removed; a module may be someone's work: left, and said
    assert not (out / "quiz" / "removed.toml").exists()
    assert (out / "old_module.py").exists() and release.kept == ["old_module.py"]
    assert (out / "README.txt").exists()
    assert all((out / rel).is_file() for rel in release.written)
    forced = generate(paths.SOLUTIONS, out, force=True)  # the instructor's clean slate
    assert not (out / "old_module.py").exists() and forced.kept == [] and (out / "README.txt").exists()


def test_release_notebook_is_valid_and_the_reference_in_it_gets_full_marks(tmp_path):
    import nbformat
    from support import grade_official

    from grader.api import grade
    from grader.notebook_release import NOTEBOOK_PATH, build_notebook
    from grader.results.text import load_messages
    from grader.specs import all_exercises

    nb = nbformat.reads((paths.EXERCISES / NOTEBOOK_PATH).read_text(encoding="utf-8"), as_version=4)
    nbformat.validate(nb)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "from layers import" not in code and 'raise NotImplementedError("lstm_step_forward")' in code

    # The same notebook with the reference bodies in it is a perfect submission.
    sources = {p.stem: p.read_text(encoding="utf-8") for p in paths.SOLUTIONS.glob("*.py")}
    path = tmp_path / "assignment.ipynb"
    path.write_text(build_notebook(sources), encoding="utf-8")
    result = grade_official(path, *[e.name for e in all_exercises()])
    coding = [c for c in result.checks if c.kind != "quiz"]  # a notebook holds no quiz sheet
    assert len(coding) > 150 and all(c.status == "passed" for c in coding), \
        [c.id for c in coding if c.status != "passed"][:5]

    # The release itself (stubs in .py files and in the notebook) earns nothing and
    # does not complain about the duplicate stubs.
    stubs = grade(paths.EXERCISES, solutions=paths.SOLUTIONS, exercises=all_exercises())
    assert sum(c.points for c in stubs.checks if c.kind != "quiz") == 0
    assert not [m for m in load_messages(stubs) if m.key == "submission.graded_from"]
