"""The similarity table says what its function column's percent is (the discounted own
share), in the terminal and on the page, in both languages."""

from __future__ import annotations

import pytest
from similarity_class import build_class

from grader.similarity import compare_class
from grader.similarity.render import render_html, terminal_lines


@pytest.fixture(scope="module")
def class_result(tmp_path_factory):
    return compare_class(build_class(tmp_path_factory.mktemp("sim") / "class"), jobs=1)


@pytest.mark.parametrize("lang, head, legend", [
    ("en", "Strongest function (own share)", "Own share: how much of that function the pair shares with nobody else"),
    ("zh", "最相似的函数（独有占比）", "独有占比：该函数中仅这两人共有"),
])
def test_the_function_column_is_labelled_and_explained(class_result, lang, head, legend):
    lines = terminal_lines(class_result, lang)
    header = next(i for i, line in enumerate(lines) if head in line)
    assert any(legend in line for line in lines[header + 1:])
    html = render_html(class_result, lang)
    assert head in html and legend in html
