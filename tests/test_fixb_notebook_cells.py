"""A notebook with a syntax error in one cell: the message names the cell as a student
finds it in Jupyter (its number among the code cells, markdown cells not counted, and
its first line), says that the other cells were graded, and is translated throughout."""

from __future__ import annotations

import re

import nbformat
from support import SOLUTIONS, grade_official

from grader.i18n import render
from grader.results.text import load_messages
from grader.submission.notebook import place


def _notebook(path, cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(c[3:]) if c.startswith("md:") else nbformat.v4.new_code_cell(c)
                for c in cells]
    path.write_text(nbformat.writes(nb))


def test_a_broken_cell_is_named_and_the_rest_is_graded(tmp_path):
    layers = (SOLUTIONS / "layers.py").read_text()
    path = tmp_path / "nb.ipynb"
    _notebook(path, ["md:# Homework", "%matplotlib inline\nimport numpy as np", "md:## ReLU", layers,
                     "md:## Extra", "def broken(:\n    pass"])
    result = grade_official(path, "relu")
    assert result.score == result.max_score  # the other cells were graded
    en = "\n".join(render(m, "en") for m in load_messages(result))
    zh = "\n".join(render(m, "zh") for m in load_messages(result))
    assert "nb.ipynb, code cell 3 (`def broken(:`), line 1: syntax error" in en
    assert "the notebook's other cells were graded" in en and "nothing in it was graded" not in en
    assert "nb.ipynb 的第 3 个代码单元格（`def broken(:`）" in zh and "其他单元格已正常评分" in zh
    assert "code cell 1: `%matplotlib inline`" in en and "第 1 个代码单元格：`%matplotlib inline`" in zh
    for text in (en, zh):
        assert "[cell" not in text
    assert not re.search(r"\bcell \d", zh)  # no English "cell 4" in the Chinese text


def test_place_leaves_files_alone_and_names_cells():
    assert place("layers.py") == "layers.py" and place(None) is None
    cell = place("hw.ipynb [cell 12: x = a[0]]")
    assert render(cell, "en") == "hw.ipynb, code cell 12 (`x = a[0]`)"
    assert render(place("hw.ipynb [cell 2]"), "zh") == "hw.ipynb 的第 2 个代码单元格"
