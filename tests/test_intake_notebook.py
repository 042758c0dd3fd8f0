"""Notebooks are parsed from the snapshot's bytes; odd cells cost only themselves,
and however many IPython lines a notebook holds, the student gets one notice."""

from __future__ import annotations

import json

import nbformat
from support import SOLUTIONS, grade_official

from grader.i18n import Message, render
from grader.report.html import render_html
from grader.results.gradescope import to_gradescope
from grader.results.text import load_messages
from grader.submission import prepare, take_snapshot


def _nb(cells: list) -> str:
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def _code(source) -> dict:
    return {"cell_type": "code", "source": source, "metadata": {}, "outputs": [], "execution_count": None}


def _notices(result) -> dict[str, dict]:
    return {n.key: n.params for n in result.notices}


def test_cells_with_odd_sources_cost_only_themselves(tmp_path):
    layers = (SOLUTIONS / "layers.py").read_text()
    path = tmp_path / "hw.ipynb"
    path.write_text(_nb([_code(5), _code({"a": 1}), _code(["x = 1\n", 3]), _code(None), "not a cell", 7,
                         _code(layers.splitlines(keepends=True)), {"cell_type": "markdown", "source": 5}]))
    result = grade_official(path, "relu")
    assert result.score == result.max_score
    odd = _notices(result)["notebook.odd_cells"]
    assert odd["count"] == 6
    said = render(Message("notebook.odd_cells", odd), "en")
    assert "code cell 1 (its source is a number)" in said and "code cell 2 (its source is a JSON object)" in said
    assert "submission.bad_notebook" not in _notices(result)


def test_480000_shell_lines_make_one_notice(tmp_path):
    layers = (SOLUTIONS / "layers.py").read_text()
    path = tmp_path / "hw.ipynb"
    path.write_text(_nb([_code("!echo hi\n" * 480_000), _code(layers)]))
    result = grade_official(path, "relu")
    assert result.score == result.max_score
    dropped = [n for n in result.notices if n.key == "notebook.magic_dropped"]
    assert len(dropped) == 1 and dropped[0].params["count"] == 480_000
    assert render(Message("notebook.magic_dropped", dropped[0].params), "en").endswith(
        "e.g. code cell 1: `!echo hi`, code cell 1: `!echo hi`, code cell 1: `!echo hi`.")
    assert len(json.dumps(to_gradescope(result, "en"))) < 100_000
    assert len(render_html(result, "en")) < 400_000


def test_the_notebook_is_parsed_from_the_snapshot_not_read_again(tmp_path):
    path = tmp_path / "hw.ipynb"
    path.write_text(_nb([_code("def relu_forward(x):\n    return x, x\n")]))
    snap = take_snapshot(path)
    path.write_text("no longer a notebook")
    prepared = prepare(snap)
    try:
        assert [m.module for m in prepared.modules] == ["notebook_hw"]
        assert "relu_forward" in prepared.modules[0].cells[0]["source"]
        assert prepared.notices == []
    finally:
        prepared.cleanup()


def test_broken_and_hostile_json_is_one_clear_notice(tmp_path):
    cases = {
        "deep.ipynb": "[" * 100_000 + "]" * 100_000,
        "digits.ipynb": '{"cells": [], "nbformat": 4, "x": ' + "9" * 5000 + "}",
        "list.ipynb": "[1, 2]",
        "nocells.ipynb": '{"nbformat": 4, "cells": 3}',
        "future.ipynb": '{"nbformat": 5, "cells": []}',
        "bytes.ipynb": "\udcff",
    }
    for name, text in cases.items():
        (tmp_path / name).write_bytes(text.encode("utf-8", "surrogateescape"))
    (tmp_path / "layers.py").write_text((SOLUTIONS / "layers.py").read_text())
    result = grade_official(tmp_path, "relu")
    assert result.score == result.max_score
    bad = [n for n in result.notices if n.key == "submission.bad_notebook"]
    assert sorted(n.params["file"] for n in bad) == sorted(cases)
    assert all(len(n.params["error"]) < 300 for n in bad)


def test_old_notebook_formats_are_upgraded(tmp_path):
    nb = nbformat.v3.new_notebook()
    nb.worksheets.append(nbformat.v3.new_worksheet(cells=[nbformat.v3.new_code_cell(
        input=(SOLUTIONS / "layers.py").read_text())]))
    path = tmp_path / "old.ipynb"
    path.write_text(nbformat.writes(nb, version=3))
    result = grade_official(path, "relu")
    assert result.score == result.max_score


def test_code_cells_beyond_the_limit_are_not_run(tmp_path):
    layers = (SOLUTIONS / "layers.py").read_text()
    path = tmp_path / "many.ipynb"
    path.write_text(_nb([_code(layers)] + [_code("x = 1\n")] * 2500))
    result = grade_official(path, "relu")
    assert result.score == result.max_score
    assert _notices(result)["notebook.too_many_cells"]["count"] == 501


def test_a_cell_that_hangs_while_loading_is_named(tmp_path):
    from grader.sandbox.session import Limits

    layers = (SOLUTIONS / "layers.py").read_text()
    path = tmp_path / "train.ipynb"
    path.write_text(_nb([_code(layers), _code("import time\nfor epoch in range(10**9):\n    time.sleep(1)\n"),
                         _code("x = 1\n")]))
    result = grade_official(path, "relu", limits=Limits(load_seconds=2.0, total_seconds=20.0))
    # The cell is named, skipped, and the rest of the notebook is graded (issue 10).
    assert _notices(result)["load.skipped_cell"]["where"] == "train.ipynb [cell 2: import time]"
    text = "\n".join(render(m, "en") for m in load_messages(result))
    assert "train.ipynb, code cell 2 (`import time`) did not finish within the time limit" in text
    assert result.load_status == "loaded" and result.score == result.max_score
