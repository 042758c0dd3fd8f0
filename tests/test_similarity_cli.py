"""`rnngrade similarity`: the command, its outputs and the page."""

from __future__ import annotations

import csv
import json
import re

import pytest
from click.testing import CliRunner
from similarity_class import build_class

from grader import paths
from grader.cli import main
from grader.i18n import msg as message
from grader.i18n import render


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    return build_class(tmp_path_factory.mktemp("cli") / "class")


@pytest.fixture(scope="module")
def outputs(klass, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    result = CliRunner().invoke(main, ["similarity", str(klass), "--solutions", str(paths.SOLUTIONS),
                                       "--html", str(out / "s.html"), "--csv", str(out / "s.csv"),
                                       "--json", str(out / "s.json"), "--lang", "en", "--top", "5", "-j", "2"])
    assert result.exit_code == 0, result.output
    return out, result.stdout  # the progress bar goes to stderr


def test_terminal_lists_the_most_similar_pairs_first_and_says_it_is_no_verdict(outputs):
    _, text = outputs
    lines = text.splitlines()
    assert re.fullmatch(r"12 students compared; \d+ pairs share code\.", lines[0])
    assert "never a verdict" in lines[1]
    ranked = [line for line in lines if re.match(r"\s+\d+\s+\d+%", line)]
    assert len(ranked) == 5
    top4 = {frozenset(re.search(r"(\S+) ↔ (\S+)", line).groups()) for line in ranked[:4]}
    assert top4 == {frozenset(p) for p in [("c1_renamed", "h1_loops"), ("c2_reordered", "h2_vector"),
                                           ("c3_notebook", "h4_sample"), ("c5_lazy", "h5_functional")]}
    assert sum(line.startswith("Wrote ") for line in lines) == 4  # with the reference, s-reference.csv too


def test_csv_and_json_hold_every_pair_above_the_floor(outputs):
    out, _ = outputs
    with open(out / "s.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    data = json.loads((out / "s.json").read_text(encoding="utf-8"))
    assert [r["rank"] for r in rows] == [str(i + 1) for i in range(len(rows))]
    assert all(float(r["score"]) >= 0.1 for r in rows) and len(rows) == len(data["pairs"])
    first = data["pairs"][0]
    assert {"a", "b", "score", "overall", "matched", "exclusive", "best_function", "functions"} <= set(first)
    assert data["parameters"]["k"] == 12 and data["parameters"]["window"] == 6
    assert set(data["about"]) == {"zh", "en"}


def test_page_is_self_contained_bilingual_and_shows_the_code_side_by_side(outputs, klass, tmp_path):
    out, _ = outputs
    html = (out / "s.html").read_text(encoding="utf-8")
    assert "<script" not in html and not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert render(message("similarity.not_a_verdict"), "en") in html.replace("&#39;", "'")
    assert html.count('class="sbs"') >= 4  # side-by-side views
    assert 'class="hit"' in html and "▌1" in html  # matched lines carry a block number, not only a colour
    assert "c3_notebook.ipynb [cell" in html  # notebook cells are named like files
    zh = CliRunner().invoke(main, ["similarity", str(klass), "--solutions", str(paths.SOLUTIONS), "--lang", "zh",
                                   "--html", str(tmp_path / "zh.html"), "--top", "1"])
    assert zh.exit_code == 0 and "相似度只是供人工审查的证据" in zh.output
    page = (tmp_path / "zh.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page and "左右对照" in page


def test_a_batch_output_folder_or_an_empty_one_gets_a_clear_error(tmp_path):
    graded = tmp_path / "graded"
    (graded / "reports").mkdir(parents=True)
    (graded / "gradebook.sqlite").write_bytes(b"")
    result = CliRunner().invoke(main, ["similarity", str(graded), "--lang", "en"])
    assert result.exit_code == 1
    assert "output of `rnngrade batch`" in result.output and "class folder" in result.output
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(main, ["similarity", str(tmp_path / "empty"), "--lang", "zh"])
    assert result.exit_code == 1 and "没有任何提交" in result.output


def test_min_score_and_common_reach_the_comparison(klass, tmp_path):
    result = CliRunner().invoke(main, ["similarity", str(klass), "--solutions", str(paths.SOLUTIONS), "--lang", "en",
                                       "--min-score", "0.9", "--common", "3", "--json", str(tmp_path / "j.json")])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "j.json").read_text(encoding="utf-8"))
    assert data["parameters"]["common"] == 3
    assert data["pairs"] and all(p["score"] >= 0.9 for p in data["pairs"])


def test_function_option_restricts_the_comparison(klass, tmp_path):
    result = CliRunner().invoke(main, ["similarity", str(klass), "--solutions", str(paths.SOLUTIONS), "--lang", "en",
                                       "--function", "gru_step_backward", "--function", "lstm_forward",
                                       "--min-score", "0", "--json", str(tmp_path / "j.json")])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "j.json").read_text(encoding="utf-8"))
    assert data["parameters"]["functions"] == ["lstm_forward", "gru_step_backward"]  # the lecture's order
    units = {f["function"] for p in data["pairs"] for f in p["functions"]}
    assert units <= {"lstm_forward", "gru_step_backward", "(other code)"}
    pairs = {frozenset((p["a"], p["b"])): p for p in data["pairs"]}
    one = pairs[frozenset(("c4_one_function", "h2_vector"))]
    assert one["best_function"] == "gru_step_backward"
    # the other graded functions are left out, not counted as code outside the graded functions
    other = {f["function"]: f for f in one["functions"]}["(other code)"]
    assert other["fingerprints_a"] < 200 and other["fingerprints_b"] < 200
    bad = CliRunner().invoke(main, ["similarity", str(klass), "--function", "lstm_fwd", "--lang", "en"])
    assert bad.exit_code == 2 and "lstm_fwd: not a graded function" in bad.output
