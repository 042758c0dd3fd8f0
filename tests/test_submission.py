"""Submissions in every shape: single files, folders, CS231n layout, notebooks."""

from __future__ import annotations

import nbformat
from support import SOLUTIONS, grade_official, statuses, write_submission

from grader.i18n import render
from grader.results.text import load_messages
from grader.submission import prepare


def _notebook(cells: list[str]) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Assignment")] + [nbformat.v4.new_code_cell(c) for c in cells]
    return nbformat.writes(nb)


def test_single_file_submission(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text((SOLUTIONS / "layers.py").read_text())
    result = grade_official(path, "relu", "affine")
    assert result.score == result.max_score


def test_notebook_with_magics_is_graded_without_a_kernel(tmp_path):
    layers = (SOLUTIONS / "layers.py").read_text()
    cells = ["%matplotlib inline\n!pip install nothing\nimport numpy as np", layers,
             "%%timeit\nthis is not python", "print('done')"]
    path = tmp_path / "assignment.ipynb"
    path.write_text(_notebook(cells))
    result = grade_official(path, "relu", "sigmoid", "affine")
    assert result.score == result.max_score
    # One notice per notebook names how many IPython lines were dropped, with examples.
    [dropped] = [n for n in result.notices if n.key == "notebook.magic_dropped"]
    assert dropped.params["count"] == 3
    said = render(next(m for m in load_messages(result) if m.key == "notebook.magic_dropped"), "en")
    for line in ("%matplotlib inline", "!pip install nothing", "%%timeit"):
        assert line in said


def test_error_in_one_cell_does_not_stop_later_cells(tmp_path):
    layers = (SOLUTIONS / "layers.py").read_text()
    path = tmp_path / "a.ipynb"
    path.write_text(_notebook(["raise ValueError('oops')", layers]))
    result = grade_official(path, "relu")
    assert result.score == result.max_score
    assert any("oops" in (e.get("message") or "") for e in result.load_errors)
    # the first code cell (the markdown cell above it does not count), named with its first line
    assert any((e.get("where") or "") == "a.ipynb [cell 1: raise ValueError('oops')]" for e in result.load_errors)


def test_cs231n_layout_and_package_imports(tmp_path):
    layers = (SOLUTIONS / "layers.py").read_text()
    net = (SOLUTIONS / "bp_network.py").read_text().replace("from layers import", "from cs231n.layers import")
    root = write_submission(tmp_path / "sub", {"cs231n/__init__.py": "", "cs231n/layers.py": layers,
                                               "cs231n/classifiers/net.py": net})
    result = grade_official(root, "relu", "net")
    assert result.score == result.max_score


def test_two_definitions_report_which_was_graded(tmp_path):
    layers = (SOLUTIONS / "layers.py").read_text()
    stub = 'def relu_forward(x):\n    raise NotImplementedError\n'
    root = write_submission(tmp_path / "sub", {"a_old.py": stub, "layers.py": layers})
    result = grade_official(root, "relu")
    assert result.score == result.max_score  # the real implementation wins over the stub
    texts = [render(m, "en") for m in load_messages(result)]
    assert not any("defined in several places" in t for t in texts)  # a leftover stub is no news

    other = 'import numpy as np\ndef relu_forward(x):\n    return np.maximum(x, 0.0), x\n'
    root = write_submission(tmp_path / "two", {"a_copy.py": other, "layers.py": layers})
    result = grade_official(root, "relu")
    texts = [render(m, "en") for m in load_messages(result)]
    assert any("relu_forward is defined in several places" in t and "layers.py" in t for t in texts)


def test_snapshot_ignores_caches_and_virtualenvs(tmp_path):
    root = write_submission(tmp_path / "sub", {"layers.py": "x = 1\n", ".venv/lib/bad.py": "raise SystemExit",
                                               "__pycache__/x.py": "", "setup.py": "", "notes.txt": "hi"})
    prepared = prepare(root)
    try:
        assert [m.relpath for m in prepared.modules] == ["layers.py"]
        assert len(prepared.fingerprint) == 16
    finally:
        prepared.cleanup()


def test_missing_submission_still_gives_a_result(tmp_path):
    result = grade_official(tmp_path / "nope", "relu")
    assert result.score == 0
    assert any(n.key == "submission.not_found" for n in result.notices)
    assert all(st == "failed" for st in statuses(result).values())
