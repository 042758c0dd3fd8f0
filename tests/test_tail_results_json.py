"""results.json's short way (dump first, walk the tree to clean it only when the dumped
text shows something to clean) writes the text of the long way (clean every string,
then dump), for clean trees and for every kind of unsafe text."""

from __future__ import annotations

import json

import numpy as np
import pytest

from grader.results.gradescope import _jsonable, dumps_clean
from grader.untrusted import clean_tree


def long_way(tree):
    return json.dumps(clean_tree(tree), ensure_ascii=False, separators=(",", ":"))


UNSAFE = ["\x1b[2J", "a\r\nb", "lone\rcr", "\x00", "\x07bell", "\x08", "\x0c", "\x1f", "\x7f", "\x9b31m",
          "\u202eevil", "\u2028", "\ufeffbom", "\udcff", "\ud800", "\ud83d\ude00", "\u061c", "\u2066"]
SAFE = ["", "plain", "tab\tand\nnewline", "中文 梯度消失", 'quote " and \\ backslash', "C:\\bin\\rnn\\u0041",
        "\\b\\f\\r literally", "é ü ß", "😀"]


@pytest.mark.parametrize("text", UNSAFE + SAFE)
def test_a_string_anywhere_gives_the_long_ways_text(text):
    for tree in ({"k": text}, {text: 1}, [1, (text, 2.5)], {"deep": [{"x": [text]}], "n": None, "b": True}):
        assert dumps_clean(tree) == long_way(tree)


def test_the_clean_tree_is_dumped_once():
    tree = {"score": 1.5, "tests": [{"name": "梯度", "tags": ["a", "b"]}], "x": None}
    assert dumps_clean(tree) == json.dumps(tree, ensure_ascii=False, separators=(",", ":"))


def test_every_code_point_below_0x3000_and_every_surrogate():
    for start in range(0, 0x3000, 0x100):
        text = "".join(chr(c) for c in range(start, start + 0x100))
        assert dumps_clean({"t": text}) == long_way({"t": text})
    for c in range(0xD800, 0xE000, 7):
        assert dumps_clean([chr(c)]) == long_way([chr(c)])


def test_jsonable_keeps_numpys_scalars_the_long_way():
    assert _jsonable(np.float64(0.5)) == 0.5 and type(_jsonable(np.float64(0.5))) is float
    assert type(_jsonable(np.int64(3))) is int and type(_jsonable(np.bool_(True))) is bool
    assert _jsonable(float("nan")) is None and _jsonable({"a": (1, "x", None)}) == {"a": [1, "x", None]}
