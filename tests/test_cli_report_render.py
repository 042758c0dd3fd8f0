"""The report's render shortcuts (grader/report/html.py) change no byte: the macros'
pieces made once per render for their arguments, UI texts rendered once, and the
code-words pass skipped for texts that hold none of the words."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from markupsafe import Markup, escape
from support import SOLUTIONS, grade_fast, grade_official, mutant

from grader import paths
from grader.assignments.stage import student_view
from grader.report import html


def _slow_rich(text: str, words: frozenset[str] = frozenset()) -> Markup:
    """rich() as it was: the words' pass on every text, no first-character lookahead."""
    escaped = str(escape(text))
    if "_" in escaped:
        escaped = html._SUBSCRIPT.sub(
            lambda mo: f"{mo.group(1)}<sub>{(mo.group(2) or mo.group(3)).replace('-', '−')}</sub>", escaped)

    def sub(mo: re.Match[str]) -> str:
        if mo.group("tick") is not None:
            return f"<code>{mo.group('tick')}</code>"
        if mo.group("num") is not None:
            return f'<span class="num">{mo.group("num")}</span>'
        return f"<code>{mo.group(0)}</code>"

    out = html._TOKEN.sub(sub, escaped)
    if words:
        alternatives = "|".join(re.escape(str(escape(w))) for w in sorted(words, key=len, reverse=True))
        pattern = re.compile(r"(?<![A-Za-z0-9_>\[])(" + alternatives + r")(?![A-Za-z0-9_<\[])", re.ASCII)
        parts = re.split(r"(<code>.*?</code>|<[^>]+>)", out)
        out = "".join(p if p.startswith("<") else pattern.sub(r"<code>\1</code>", p) for p in parts)
    return Markup(out)


def _every_call(t):
    """The macros called each time, as the template's own import did."""
    module = html.environment().get_template("partials/macros.html.j2").make_module({"t": t, "num": html._num})
    return SimpleNamespace(**{name: getattr(module, name) for name in ("verdict", "points", "ex_state", "ex_mark")})


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    broken = mutant(tmp_path_factory.mktemp("m"), {"layers.py": [("return np.maximum(0.0, x), x", "return np.maximum(0.1, x), x")]})
    return {
        "sample": grade_official(paths.ROOT / "examples" / "sample_submission", student="sample",
                                 allow_unisolated=True),
        "reference": grade_fast(SOLUTIONS),
        "mutant": grade_fast(broken),
        "stubs": grade_fast(paths.ROOT / "exercises"),
    }


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("which", ["sample", "reference", "mutant", "stubs"])
def test_the_shortcuts_render_the_same_bytes(results, which, lang, monkeypatch):
    result = student_view(results[which])
    fast = html.render_html(result, lang)
    monkeypatch.setattr(html, "rich", _slow_rich)
    monkeypatch.setattr(html, "_shared_pieces", _every_call)
    assert html.render_html(result, lang) == fast


def test_rich_with_and_without_the_shortcut(results):
    words = html._code_words(results["sample"])
    assert words
    texts = ["dW1 is wrong at (2, 3)", "`dx` of affine_forward", "dWh_b and dWh", "no word here 1.5e-3",
             "<b>dW</b> & db2 'x' \"y\"", "cache['x'] (3,) n_{L-1}", "dgamma/dbeta: 0.25", "", "dW" * 40]
    for text in texts:
        assert html.rich(text, words) == _slow_rich(text, words), text
        assert html.rich(text) == _slow_rich(text), text


def test_equal_arguments_of_other_types_are_other_pieces():
    """The pieces are kept by their arguments' types too: 1, 1.0 and True are one dict
    key, but ``num(True)`` reads "True" where ``num(1)`` reads "1"."""

    def fake_t(key, **params):
        return key

    ui = html._shared_pieces(fake_t)
    module = html.environment().get_template("partials/macros.html.j2").make_module({"t": fake_t, "num": html._num})
    for args in [(1, 2), (True, 2), (1.0, 2), (0.5, 2.0), (1, 2)]:
        assert ui.points(*args) == module.points(*args), args
    assert ui.points(True, 2) != ui.points(1, 2)
    for args in [(True,), (1,), (False, True), (0, 1)]:
        assert ui.verdict(*args) == module.verdict(*args), args
