"""`rnngrade generate` never overwrites a student's work or deletes the quiz answer
sheet without --force; a release written by an older generate (stubs only) is
regenerated without asking."""

from __future__ import annotations

import shutil

import nbformat
import pytest
from click.testing import CliRunner

from grader import paths
from grader.cli import main
from grader.generate import StudentWorkError, generate, render_release, student_edits
from grader.notebook_release import NOTEBOOK_PATH

SHEET = "quiz_answers.toml"


@pytest.fixture()
def release(tmp_path):
    out = tmp_path / "exercises"
    shutil.copytree(paths.EXERCISES, out)
    return out


def test_a_stub_release_is_regenerated_without_asking(release):
    layers = release / "layers.py"
    # an older release: other docstrings and signatures, still stubs
    layers.write_text(layers.read_text(encoding="utf-8").replace("Logistic sigmoid", "The sigmoid"),
                      encoding="utf-8")
    generate(paths.SOLUTIONS, release)
    assert layers.read_text(encoding="utf-8") == render_release(paths.SOLUTIONS)["layers.py"]


@pytest.mark.parametrize("edit", [
    ('    # YOUR CODE HERE\n    raise NotImplementedError("sigmoid_forward")\n',
     "    out = 1 / (1 + np.exp(-x))\n    return out, out\n"),
    ("import numpy as np\n", "import numpy as np\n\n\ndef my_helper(x):\n    return x * 2\n"),
    ("import numpy as np\n", "import numpy as np\nSCALE = 0.5\n"),
    ('    raise NotImplementedError("sigmoid_forward")\n', "    return (x,\n"),  # half-written: does not parse
])
def test_student_work_in_a_module_is_never_overwritten(release, edit):
    layers = release / "layers.py"
    work = layers.read_text(encoding="utf-8").replace(*edit, 1)
    assert work != layers.read_text(encoding="utf-8")
    layers.write_text(work, encoding="utf-8")
    before = {p: p.read_bytes() for p in release.rglob("*") if p.is_file()}
    with pytest.raises(StudentWorkError) as err:
        generate(paths.SOLUTIONS, release)
    assert list(err.value.files) == ["layers.py"]
    assert {p: p.read_bytes() for p in release.rglob("*") if p.is_file()} == before  # nothing written at all
    generate(paths.SOLUTIONS, release, force=True)
    assert layers.read_text(encoding="utf-8") == render_release(paths.SOLUTIONS)["layers.py"]


def test_student_work_in_the_notebook_is_never_overwritten(release):
    path = release / NOTEBOOK_PATH
    nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and 'NotImplementedError("relu_forward")' in c.source)
    cell.source = cell.source.replace('raise NotImplementedError("relu_forward")', "return np.maximum(0, x), x")
    path.write_text(nbformat.writes(nb), encoding="utf-8")
    with pytest.raises(StudentWorkError) as err:
        generate(paths.SOLUTIONS, release)
    assert err.value.files == {NOTEBOOK_PATH: ["relu_forward"]}


def test_the_answer_sheet_and_other_files_are_kept(release):
    (release / SHEET).write_text('student = "s1"\n[answers]\nq1 = "B"\n', encoding="utf-8")
    mine = "from layers import relu_forward\n\ndef test_mine():\n    assert relu_forward(-1.0)[0] == 0\n"
    (release / "my_tests.py").write_text(mine, encoding="utf-8")  # a student's own test, kept as written
    result = generate(paths.SOLUTIONS, release)
    assert (release / SHEET).read_text(encoding="utf-8").startswith('student = "s1"')
    assert sorted(result.kept) == ["my_tests.py", SHEET]
    assert (release / "my_tests.py").read_text(encoding="utf-8") == mine
    generate(paths.SOLUTIONS, release, force=True)
    assert not (release / SHEET).exists() and not (release / "my_tests.py").exists()


def test_what_counts_as_work():
    stub = 'def f(x):\n    """Doc."""\n    raise NotImplementedError("f")\n'
    assert student_edits(stub, stub) == []
    assert student_edits(stub.replace("Doc.", "Other doc."), stub) == []
    assert student_edits('def f(x):\n    return x\n', stub) == ["f"]
    helper = 'def g():\n    return 1\n'
    assert student_edits(stub + helper, stub + helper) == []  # the release's own helper
    assert student_edits(stub + helper, stub) == ["g"]


def test_the_cli_refuses_and_says_why(release):
    layers = release / "layers.py"
    layers.write_text(layers.read_text(encoding="utf-8").replace(
        'raise NotImplementedError("relu_forward")', "return x, x"), encoding="utf-8")
    run = CliRunner(env={"RNNGRADE_LANG": "en"}).invoke(
        main, ["generate", "--solutions", str(paths.SOLUTIONS), "--out", str(release)])
    assert run.exit_code == 1
    assert "layers.py (relu_forward)" in run.stderr and "--force" in run.stderr
    forced = CliRunner().invoke(main, ["generate", "--solutions", str(paths.SOLUTIONS), "--out", str(release),
                                       "--force"])
    assert forced.exit_code == 0, forced.output
    assert "return x, x" not in layers.read_text(encoding="utf-8")
