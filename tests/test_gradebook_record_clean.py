"""The gradebook's fast check of recorded data (grader.untrusted.json_is_clean): it
must never call unclean a value clean_tree would leave alone, and never clean a value
clean_tree would change; what is recorded is what clean_tree made of it."""

from __future__ import annotations

import itertools
import json

from grader.gradebook import Gradebook, Record
from grader.untrusted import clean_tree, json_is_clean

PIECES = ["a", "\\", "\\\\", '"', "\n", "\t", "\r", "\r\n", "\x00", "\x07", "\x1b[31m", "\x1f", "\x7f", "\x9b",
          "\u202e", "\u2028", "\ufeff", "\ud800", "\udcff", "\ud83d\ude00", "u", "\\u001b", "\\n", "\\r", "é", "评分"]


def _values():
    for a, b in itertools.product(PIECES, repeat=2):
        yield a + b
        yield {"k": [a, {"x": b}]}
        yield {a: b}


def test_json_is_clean_agrees_with_clean_tree():
    wrong = []
    for value in _values():
        text = json.dumps(value, ensure_ascii=False)
        if json_is_clean(text) != (json.dumps(clean_tree(value), ensure_ascii=False) == text):
            wrong.append(value)
    assert not wrong


def test_record_stores_what_clean_tree_makes(tmp_path):
    dirty = {"tests": [{"name": "t\x1b[2J", "score": 1, "max_score": 1, "tags": ["ex", "kind"],
                        "output": "\ud800 \u202e\r\n", "extra_data": {"id": "c1", "status": "passed"}}]}
    result = {"exercises": [{"results": [{"id": "c1", "title": {"key": "k", "args": {"x": "\x07"}},
                                          "status": "passed"}]}]}
    with Gradebook(tmp_path / "g.sqlite") as book:
        for name, data, res in (("dirty", dirty, result), ("clean", clean_tree(dirty), clean_tree(result))):
            book.record(Record(student=name, fingerprint="f", grader_key="k", score=1, max_score=1,
                               load_status="loaded", isolation="none", graded_at="t", seconds=0.0, results=data,
                               result=res))
        rows = dict(book.db.execute("SELECT student, results_json || '|' || result_json FROM submissions"))
        titles = {r[0] for r in book.db.execute("SELECT title FROM checks")}
    assert rows["dirty"] == rows["clean"]
    assert rows["clean"] == (json.dumps(clean_tree(dirty), ensure_ascii=False) + "|"
                             + json.dumps(clean_tree(result), ensure_ascii=False))
    assert titles == {"t\\x1b[2J"}


def test_gradescope_json_is_to_gradescope_and_write_results(sample_official_result, tmp_path):
    """A batch worker's results (gradescope_json): the dict to_gradescope makes and the
    bytes write_results writes, for a clean result and for one with raw outside text."""
    import copy

    from grader.results.gradescope import gradescope_json, to_gradescope, write_results

    poisoned = copy.deepcopy(sample_official_result)
    for c in poisoned.checks[:3]:
        c.output = "\x1b]0;owned\x07 \ud800 \u202e\r\n"
        c.details["traceback"] = "\\u001b \x9b"
    for result in (sample_official_result, poisoned):
        data, text = gradescope_json(result, "en")
        write_results(result, tmp_path / "r.json", "en")
        assert data == to_gradescope(result, "en")
        assert text == (tmp_path / "r.json").read_text(encoding="utf-8")
    assert "\\\\x9b" in text and "\x9b" not in text  # the poisoned text went the long way
