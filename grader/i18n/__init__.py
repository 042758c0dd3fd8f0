"""Student-facing text: zh/en message catalogues and the :class:`Message` value.

Catalogues are TOML files in ``messages/``, one per part of the course, so that an
exercise family brings its own texts. Every leaf table holds one text per language::

    [value]
    mismatch.en = "{func}: {output} is wrong ..."
    mismatch.zh = "{func}：{output} 不正确……"

Keys are the dotted paths (``value.mismatch``). Code never holds student-facing
sentences: it builds :class:`Message` objects (key + parameters) and the report
renders them in the student's language. Parameters may themselves be messages or
lists of messages, rendered first and joined with the language's list separator.

**Plurals.** A count takes its forms in the field's format spec, separated by ``|``,
with ``#`` standing for the number: ``"{n:# student|# students} in the gradebook"``
renders "1 student in the gradebook" and "2 students in the gradebook". The forms
are the language's CLDR plural categories in order (English: one, other; Chinese
has one form, so its texts simply write ``"{n} 名学生"``). The catalogue refuses a
text with the wrong number of forms.
"""

from __future__ import annotations

import functools
import locale
import os
import string
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LANGS = ("zh", "en")
_DIR = Path(__file__).with_name("messages")
_SEPARATOR = {"zh": "、", "en": ", "}
# CLDR plural rules of each language, on a number's integer part i and its count of
# visible fraction digits v: the index of the form to use ("1 point", "1.0 points",
# https://www.unicode.org/cldr/charts/latest/supplemental/language_plural_rules.html).
_PLURAL_FORMS = {"en": 2, "zh": 1}
_PLURAL_RULE: dict[str, Callable[[int, int], int]] = {
    "en": lambda i, v: 0 if i == 1 and v == 0 else 1, "zh": lambda i, v: 0}


class CatalogError(Exception):
    """A catalogue file is malformed or a text is missing."""


@dataclass(frozen=True)
class Message:
    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "params": {k: _plain(v) for k, v in self.params.items()}}


def msg(key: str, /, **params: Any) -> Message:
    return Message(key, params)


def _plain(v: Any) -> Any:
    if isinstance(v, Message):
        return v.to_dict()
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if hasattr(v, "item"):
        return v.item()
    return v


def _flatten(table: dict[str, Any], prefix: str, out: dict[str, dict[str, str]], source: str) -> None:
    for name, value in table.items():
        key = f"{prefix}{name}"
        if not isinstance(value, dict):
            raise CatalogError(f"{source}: {key} is not a table of texts")
        langs = {k: v for k, v in value.items() if k in LANGS}
        rest = {k: v for k, v in value.items() if k not in LANGS}
        if langs:
            missing = [lang for lang in LANGS if not isinstance(langs.get(lang), str)]
            if missing:
                raise CatalogError(f"{source}: {key} has no {'/'.join(missing)} text")
            if key in out:
                raise CatalogError(f"{source}: {key} is defined twice")
            fields_ = [{f for _, f, _, _ in string.Formatter().parse(t) if f} for t in langs.values()]
            if fields_[0] != fields_[1]:
                raise CatalogError(f"{source}: {key} uses different parameters in zh and en")
            for lang, text in langs.items():
                for field_name, forms in _plural_fields(text):
                    if len(forms) != _PLURAL_FORMS[lang]:
                        raise CatalogError(f"{source}: {key}.{lang}: {{{field_name}:...}} needs "
                                           f"{_PLURAL_FORMS[lang]} plural form(s) separated by |, not {len(forms)}")
            out[key] = langs
        if rest:
            _flatten(rest, key + ".", out, source)


@functools.lru_cache(maxsize=1)
def catalog() -> dict[str, dict[str, str]]:
    """All texts by key (loaded once, validated). The validated catalogue is kept in
    :mod:`grader.parsed_cache`, named by the files' bytes: an unchanged catalogue is
    not parsed again at the next start."""
    from . import parsed_cache

    files = [(path.name, path.read_bytes()) for path in sorted(_DIR.glob("*.toml"))]
    parts = [Path(__file__).read_bytes()] + [part for pair in files for part in (pair[0].encode(), pair[1])]
    name = parsed_cache.digest("catalog", parts)  # this module's code too: it checks what it keeps
    return parsed_cache.cached(name, lambda: _parse(files))


def _parse(files: list[tuple[str, bytes]]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for file, raw in files:
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise CatalogError(f"{file}: {exc}") from exc
        _flatten(data, "", out, file)
    return out


def has(key: str) -> bool:
    return key in catalog()


def render(m: Message | str, lang: str) -> str:
    """The text of ``m`` in ``lang`` with its parameters filled in."""
    if isinstance(m, str):
        return m
    texts = catalog().get(m.key)
    if texts is None:
        raise CatalogError(f"no text for {m.key!r}")
    params = {k: _render_param(v, lang) for k, v in m.params.items()}
    text = texts[lang]
    if _plural_fields(text) or _LIST_SPEC in text:
        return _PluralFormatter(lang).vformat(text, (), params)
    return text.format(**params)


@functools.lru_cache(maxsize=4096)
def _plural_fields(text: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The fields of ``text`` that choose a plural form: (name, forms)."""
    return tuple((name, tuple(spec.split("|"))) for _, name, spec, _ in string.Formatter().parse(text)
                 if name and spec and "|" in spec)


_LIST_SPEC = ":list}"


class _PluralFormatter(string.Formatter):
    """``str.format`` plus plural fields (``{n:# student|# students}``) and list fields
    (``{numbers:list}``: a list's items joined as the language lists things, "1, 2, 3"
    in English, "1、2、3" in Chinese; a text, as older results stored it, as it is)."""

    def __init__(self, lang: str) -> None:
        self.rule = _PLURAL_RULE[lang]
        self.lang = lang

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec == "list":
            if isinstance(value, (list, tuple)):
                return _SEPARATOR[self.lang].join(str(x) for x in value)
            return str(value)
        if "|" not in format_spec:
            return super().format_field(value, format_spec)
        forms = format_spec.split("|")
        text = str(value)
        whole, dot, fraction = text.strip().lstrip("+-").partition(".")
        number = whole.isdigit() and (not dot or fraction.isdigit())
        # Not a plain number (a rendered message, a list): the last form, which reads as plural.
        index = self.rule(int(whole), len(fraction)) if number else len(forms) - 1
        return forms[min(index, len(forms) - 1)].replace("#", text)


def render_lenient(m: Message | str, lang: str) -> str:
    """:func:`render`, or the key when the catalogue has no such text (or its
    parameters do not fit): a stored result must stay readable after a text was
    renamed or removed, and no missing text may cost a student the report."""
    try:
        return render(m, lang)
    except (CatalogError, KeyError, IndexError, ValueError):
        return f"`{m.key}`" if isinstance(m, Message) else str(m)


def _render_param(v: Any, lang: str) -> Any:
    if isinstance(v, Message):
        return render(v, lang)
    if isinstance(v, (list, tuple)) and v and all(isinstance(x, Message) for x in v):
        return _SEPARATOR[lang].join(render(x, lang) for x in v)
    return v


def default_lang() -> str:
    """``zh`` when the environment's locale is Chinese, else ``en``."""
    for var in ("RNNGRADE_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    loc = (locale.getlocale()[0] or "").lower()
    return "zh" if loc.startswith("zh") else "en"
