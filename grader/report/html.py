"""The self-contained HTML report: one file, inline CSS and SVG, no script, no
network request; opens from disk and prints.

Content is arranged by :mod:`grader.report.view`; the layout is
``templates/report.html.j2`` and its partials. jinja2's autoescaping is on and the
template receives submission text only as plain strings, so everything that came
from a submission (names, prints, exception text, file names) is escaped. Message
texts are rendered by :func:`rich`, which escapes first and only then marks code
and numbers with ``<code>``/``<span class="num">``.

Helpers handed to the template:

* ``t(key, **params)``: a report UI text from the catalogues, in the report's language;
* ``m(message)``: a :class:`~grader.i18n.Message` (or a list of them) as safe markup;
* ``text(value)``: free content such as a quiz question (a Message, a message dict,
  a ``{"zh": ..., "en": ...}`` dict or a string) as safe markup;
* ``num(x)``: a number formatted for the report.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jinja2
from markupsafe import Markup, escape

from .. import package_data
from ..display import shown, signed
from ..i18n import LANGS, CatalogError, Message, msg, render
from ..results import Result
from ..untrusted import clean
from . import view as _view

HTML_LANG = {"zh": "zh-CN", "en": "en"}

# Tokens of an (already escaped) message that are shown in a monospace font.
# ASCII classes only: CJK characters count as \w in Python and must not glue to
# a neighbouring number or name.
_TOKEN = re.compile(
    r"`(?P<tick>[^`\n]{1,120})`"
    r"|(?P<shape>\((?:\d+, ?)*\d*,?\))"
    r"|(?<![A-Za-z0-9_./-])(?P<path>[A-Za-z0-9_./-]*[A-Za-z0-9_]\.(?:py|ipynb|toml))(?![A-Za-z0-9_])"
    r"|(?<![A-Za-z0-9_.#&;])(?P<ident>[A-Za-z_][A-Za-z0-9_]*_[A-Za-z0-9_]*"
    r"(?:\[(?:&#39;|&#34;)?[A-Za-z0-9_]{1,30}(?:&#39;|&#34;)?\])?(?:\(\))?)(?![A-Za-z0-9_])"
    r"|(?<![A-Za-z0-9_.#&;\-])(?P<num>-?(?:\d+\.\d+|\d+)(?:e[-+]?\d+)?)(?![A-Za-z0-9_]|\.\d)",
    re.ASCII,
)


# The lecture's subscripts as the catalogue writes them, n_{L-1}: shown as n<sub>L−1</sub>.
# A lone letter with a one-letter capital subscript beside it (n_L) is the same notation.
_SUBSCRIPT = re.compile(r"(?<![A-Za-z0-9_])([A-Za-z])_(?:\{([A-Za-z0-9+\- ]{1,12})\}|([A-Z])(?![A-Za-z0-9_]))")


def rich(text: str, words: frozenset[str] = frozenset()) -> Markup:
    """Escape ``text``, then wrap code-like tokens and numbers for the monospace font.

    ``words`` are further names (functions, gradients) set in code even without an
    underscore. Wrapping happens on the escaped text, so it can never re-open markup."""
    escaped = str(escape(text))
    if "_" in escaped:
        escaped = _SUBSCRIPT.sub(lambda mo: f"{mo.group(1)}<sub>{(mo.group(2) or mo.group(3)).replace('-', '−')}</sub>",
                                 escaped)

    def sub(mo: re.Match[str]) -> str:
        if mo.group("tick") is not None:
            return f"<code>{mo.group('tick')}</code>"
        if mo.group("num") is not None:
            return f'<span class="num">{mo.group("num")}</span>'
        return f"<code>{mo.group(0)}</code>"

    out = _TOKEN.sub(sub, escaped)
    if words:
        out = _mark_words(out, words)
    return Markup(out)


def _mark_words(out: str, words: frozenset[str]) -> str:
    """``out`` with ``words`` set in code where they stand alone, outside tags and
    outside existing <code> elements; where a word is a prefix of another, the longest.

    Names (most words: functions, gradients) are looked up one by one in the text's runs
    of name characters, after the other words (``grads['W1']``) have been set by their
    pattern: compiling one pattern of a report's hundred words took ~16 ms of every
    command. The same marks as the one pattern of all words (a name that stands alone is
    a whole run of name characters, and another word that matches where a name does is
    the longer: tests/test_tail_report_words.py), except where a word ends in '[' (it
    would end a run of text), which keeps the one pattern."""
    names, others = _kinds(words)
    if names is None:
        return _mark_by_pattern(out, words)
    if others:
        out = _mark_by_pattern(out, others)
    if names and not names.isdisjoint(_NAME_RUN.findall(out)):  # most texts hold none of them
        parts = _TAGS.split(out)
        out = "".join(p if p.startswith("<") else _LONE_NAME.sub(lambda mo: _coded(mo, names), p) for p in parts)
    return out


def _mark_by_pattern(out: str, words: frozenset[str]) -> str:
    # Most texts hold none of the words: one search for them as plain text says so
    # (a word found between tags is a word found in the whole).
    if _words_anywhere(words).search(out):
        pattern = _words_pattern(words)
        parts = _TAGS.split(out)
        out = "".join(p if p.startswith("<") else pattern.sub(_code, p) for p in parts)
    return out


_NAME_RUN = re.compile(r"[A-Za-z0-9_]+", re.ASCII)
# A whole run of name characters that starts a name, not after '>' or '[' nor before '<' or
# '[' (the boundaries of _words_pattern).
_LONE_NAME = re.compile(r"(?<![A-Za-z0-9_>\[])[A-Za-z_][A-Za-z0-9_]*(?![A-Za-z0-9_<\[])", re.ASCII)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)


@functools.lru_cache(maxsize=8)
def _kinds(words: frozenset[str]) -> tuple[frozenset[str] | None, frozenset[str]]:
    """(the names among ``words``, the others); (None, words) where a word ends in '['."""
    if any(str(escape(w)).endswith("[") for w in words):
        return None, words
    names = frozenset(w for w in words if _NAME.fullmatch(w))
    return names, words - names


def _coded(mo: re.Match[str], words: frozenset[str]) -> str:
    name = mo.group(0)
    return f"<code>{name}</code>" if name in words else name


_TAGS = re.compile(r"(<code>.*?</code>|<[^>]+>)")


def _code(mo: re.Match[str]) -> str:
    return f"<code>{mo.group(1)}</code>"


def alternation(words: list[str]) -> str:
    """A regular expression that matches exactly the strings ``words`` (taken literally),
    the longest first where one is a prefix of another, as their alternation sorted
    longest first would: written as a tree of their common prefixes, which compiles
    faster and is searched faster than the list (every match at one place is a
    prefix of the next longer one, and a branch tries its longer continuations before
    ending, so backtracking tries them in the same order)."""
    tree: dict[str | None, Any] = {}
    for w in words:
        node = tree
        for ch in w:
            node = node.setdefault(ch, {})
        node[None] = None

    def branch(node: dict[str | None, Any]) -> str:
        options = [re.escape(ch) + branch(node[ch]) for ch in sorted(k for k in node if k is not None)]
        if None in node:
            if not options:
                return ""
            options.append("")  # the word ending here: after every longer one
        return options[0] if len(options) == 1 else "(?:" + "|".join(options) + ")"

    return branch(tree)


@functools.lru_cache(maxsize=8)
def _words_pattern(words: frozenset[str]) -> re.Pattern[str]:
    escaped = [str(escape(w)) for w in words]
    # The lookahead for a word's first character only skips, fast, where no word starts.
    first = "".join(sorted({re.escape(w[0]) for w in escaped}))
    return re.compile(r"(?<![A-Za-z0-9_>\[])(?=[" + first + r"])(" + alternation(escaped) + r")(?![A-Za-z0-9_<\[])",
                      re.ASCII)


@functools.lru_cache(maxsize=8)
def _words_anywhere(words: frozenset[str]) -> re.Pattern[str]:
    return re.compile(alternation([str(escape(w)) for w in words]))


def _code_words(result: Result) -> frozenset[str]:
    words: set[str] = set()
    for er in result.exercises:
        words.update(er.exercise.functions)
        for c in er.results:
            for row in c.details.get("outputs") or []:
                if isinstance(row, dict) and isinstance(row.get("name"), str):
                    v = row["name"]
                    if "_" in v or "[" in v or re.fullmatch(r"d[A-Za-z]\w*", v, re.ASCII):
                        words.add(v)
            if isinstance(c.title, Message):
                for k in ("grad", "output", "outputs"):
                    v = c.title.params.get(k)
                    if isinstance(v, str) and "," not in v and re.fullmatch(r"d?[A-Za-z_][\w\[\]']*", v, re.ASCII):
                        if k == "grad" or "_" in v or "[" in v:
                            words.add(v)
    return frozenset(w for w in words if w and len(w) >= 2)


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The template environment, once per process. Compiled templates are kept in
    memory (a batch worker compiles once) and in the grader's private cache folder
    (:mod:`grader.report.template_cache`: a fresh ``rnngrade grade --html`` then skips
    the ~60 ms compile), never in the shared temp folder, where a child could plant a
    pickle that ran in the grader at the next render."""
    from .template_cache import private_cache

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(package_data.templates())),
        bytecode_cache=private_cache(),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # jinja2's optimizer folds constants at compile time; these templates have few, so
        # it costs a fresh process ~13 ms of compiling and saves no rendering time
        # (measured with benchmarks/bench_report.py: renders are as fast without it).
        optimized=False,
        # The package's templates do not change under a running grader: no stat() of the
        # file at every include (a report includes its partials ~140 times).
        auto_reload=False,
    )


def warm() -> None:
    """The report's templates loaded (from the template cache) ahead of its first render:
    what a command does while it would only wait (``grader.api.grade(idle=...)``)."""
    env = environment()
    for name in ["report.html.j2", *env.list_templates(filter_func=lambda n: n.startswith("partials/"))]:
        env.get_template(name)


def _svg_module() -> Any:
    """The experiments' plot helper, when that part of the package is present."""
    if importlib.util.find_spec("grader.report.svg") is None:
        return None
    return importlib.import_module("grader.report.svg")


def _num(x: Any, digits: int | None = None) -> str:
    """A number in the report: points and scores with at most two decimals
    (:func:`grader.display.shown`); with ``digits``, that many significant digits (a
    relative error such as 3.1e-05)."""
    return _view.fmt_number(x, digits) if digits is not None else shown(x)


def render_html(result: Result, lang: str) -> str:
    """The report as one HTML string in ``lang`` (``zh`` or ``en``)."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; expected one of {LANGS}")
    words = _code_words(result)
    marked: dict[str, Markup] = {}  # this render's texts already marked up (many repeat: points, verdicts)

    said: dict[Any, str] = {}  # this render's UI texts (the same column heads and words, row after row)

    def t(key: str, **params: Any) -> str:
        try:
            known = (key, *sorted(params.items()))
            done = said.get(known)
        except TypeError:  # a parameter that cannot be a key (a list): rendered each time
            return render(msg(key, **params), lang)
        if done is None:
            done = said[known] = render(msg(key, **params), lang)
        return done

    def m(value: Any) -> Markup:
        if isinstance(value, Message):
            try:
                plain = render(value, lang)
            except (CatalogError, KeyError, IndexError, ValueError):
                # a text missing from the catalogues must not cost the student the report
                return Markup("<code>{}</code>").format(value.key)
            done = marked.get(plain)
            if done is None:
                done = marked[plain] = rich(plain, words)
            return done
        if isinstance(value, (list, tuple)):
            sep = "、" if lang == "zh" else ", "
            return Markup(sep).join(m(v) for v in value)
        return text(value)

    def text(value: Any) -> Markup:
        """Free content (quiz, experiments): several shapes are accepted."""
        if value is None:
            return Markup("")
        if isinstance(value, Message):
            return m(value)
        if isinstance(value, dict):
            if isinstance(value.get("key"), str):
                params = {k: _as_message(v) for k, v in (value.get("params") or {}).items()}
                return m(Message(value["key"], params))
            if lang in value or any(k in value for k in LANGS):
                chosen = value.get(lang, next((value[k] for k in LANGS if k in value), ""))
                return text(chosen)
            return rich(", ".join(f"{k}: {v}" for k, v in value.items()))
        if isinstance(value, (list, tuple)):
            return Markup(", ").join(text(v) for v in value)
        if isinstance(value, float):
            return rich(_view.fmt_number(value))
        return rich(str(value))

    report = _view.build(result)
    template = environment().get_template("report.html.j2")
    ui = _shared_pieces(t)
    # The sink boundary: the templates hold no control character, so cleaning the whole
    # document escapes exactly what came from the submission (grader.untrusted).
    return clean(template.render(
        result=result, view=report, lang=lang, html_lang=HTML_LANG[lang],
        t=t, r=m, m=m, text=text, message=msg, num=_num, signed=signed, svg=_svg_module(),
        load_messages=report.load_messages, ui=ui,
    ))


def _shared_pieces(t: Any) -> SimpleNamespace:
    """``ui``: the small pieces of ``partials/macros.html.j2`` (a verdict, points, an
    exercise's state), each made once per render for its arguments: a report shows a few
    distinct ones hundreds of times, and a jinja macro call costs more than the piece."""
    module = environment().get_template("partials/macros.html.j2").make_module({"t": t, "num": _num})

    def once(macro: Any) -> Any:
        made: dict[tuple[Any, ...], Markup] = {}

        def piece(*args: Any) -> Markup:
            key = tuple((type(a), a) for a in args)  # 1, 1.0 and True: one dict key, not one text
            done = made.get(key)
            if done is None:
                done = made[key] = Markup(macro(*args))
            return done

        return piece

    return SimpleNamespace(**{name: once(getattr(module, name))
                              for name in ("verdict", "points", "ex_state", "ex_mark")})


def _as_message(v: Any) -> Any:
    if isinstance(v, dict) and isinstance(v.get("key"), str) and set(v) <= {"key", "params"}:
        return Message(v["key"], {k: _as_message(x) for k, x in (v.get("params") or {}).items()})
    if isinstance(v, list):
        return [_as_message(x) for x in v]
    return v


def write_html(result: Result, path: Path | str, lang: str) -> None:
    """Render and write the report atomically."""
    from ..fileio import write_atomic

    write_atomic(Path(path), render_html(result, lang))
