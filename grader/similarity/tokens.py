"""Normalised token streams of a submission, one per graded function.

The code is read with :mod:`tokenize` (a linear lexer: no recursion, so deep
nesting cannot exhaust the stack, and a syntax error only ends the stream where it
occurs). Each token becomes a normalised word, so that what a copier changes
cheaply does not change the stream:

* dropped: comments, blank lines and line breaks inside brackets, docstrings and
  other string statements, a trailing comma before ``)]}``, brackets around a
  whole right-hand side (``x = (a + b)``, ``return (a, b)``);
* ``V``: every variable, parameter and function name alike, so renaming is
  invisible;
* kept as they are: attributes (``np.tanh``, ``x.shape``), keyword arguments
  (``axis=``), builtins (``range``), keywords, operators and brackets: library
  names cannot be renamed and carry the structure;
* ``N`` / ``S``: every number / string literal;
* ``;`` / ``{`` ``}``: the end of a statement / an indented block.

A graded function is found by name wherever it is defined at the top level of a
module (a file, or all cells of a notebook), as the grader finds it: the last
definition in a module wins, a real implementation is preferred to a stub, and a
shallower file to a deeper one. Its body (without the ``def`` line, which the
assignment fixes) is one unit. Everything else (helpers, imports, top-level code)
forms the unit :data:`OTHER`.
"""

from __future__ import annotations

import builtins
import io
import keyword
import tokenize
from dataclasses import dataclass, field

from ..i18n import Message, msg
from .sources import Source

OTHER = "(other code)"  # the unit of code outside the graded functions (no function has this name)
MAX_TOKENS = 50_000  # tokens of one submission (the reference has 6,000); more is not read

_BUILTINS = frozenset(n for n in dir(builtins) if not n.startswith("_"))
_KEYWORDS = frozenset(keyword.kwlist)
_CLOSERS = frozenset(")]}")
_OPENERS = frozenset("([{")
_STRINGISH = {tokenize.STRING}
_FSTRING_START = getattr(tokenize, "FSTRING_START", None)  # Python >= 3.12
_FSTRING_END = getattr(tokenize, "FSTRING_END", None)
_SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}

LINE_BITS = 32  # a token's position: source index << LINE_BITS | line number


@dataclass
class UnitTokens:
    """The normalised tokens of one unit with the position each came from."""

    name: str
    words: list[str] = field(default_factory=list)
    pos: list[int] = field(default_factory=list)  # (source index << LINE_BITS) | line
    span: tuple[int, int, int] | None = None  # graded function: (source index, first line, last line)

    def add(self, word: str, source: int, line: int) -> None:
        self.words.append(word)
        self.pos.append((source << LINE_BITS) | line)

    @property
    def is_stub(self) -> bool:
        """A body that only raises NotImplementedError, passes, or is empty."""
        w = self.words
        statements = w.count(";")
        if statements == 0:
            return True
        if statements > 1:
            return False
        return w[0] in ("pass", "...") or w[:2] == ["raise", "NotImplementedError"]


@dataclass
class SplitCode:
    units: dict[str, UnitTokens]  # graded function name (or OTHER) -> its tokens
    notes: list[Message]


@dataclass(slots=True)
class _Raw:
    type: int
    string: str
    line: int
    end_line: int


def _lex(text: str, budget: int) -> tuple[list[_Raw], tuple[int, str] | None]:
    """The significant tokens of ``text`` (at most ``budget + 1``), and where lexing
    stopped early (if it did)."""
    out: list[_Raw] = []
    fdepth = 0
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if len(out) > budget:
                break
            kind = tok.type
            if kind in _SKIPPED:
                continue
            if _FSTRING_START is not None and kind == _FSTRING_START:
                if fdepth == 0:
                    out.append(_Raw(tokenize.STRING, '""', tok.start[0], tok.end[0]))
                fdepth += 1
                continue
            if fdepth:
                if kind == _FSTRING_END:
                    fdepth -= 1
                    if fdepth == 0:
                        out[-1].end_line = tok.end[0]
                continue
            if kind == tokenize.ERRORTOKEN and not tok.string.strip():
                continue
            out.append(_Raw(kind, tok.string, tok.start[0], tok.end[0]))
    except (tokenize.TokenError, SyntaxError) as exc:  # IndentationError is a SyntaxError
        line = out[-1].line if out else 1
        if isinstance(exc, SyntaxError) and exc.lineno:
            line = exc.lineno
        return out, (line, str(exc.args[0] if exc.args else type(exc).__name__)[:120])
    return out, None


def _word(toks: list[_Raw], i: int, depth: int) -> str | None:
    """The normalised word of token ``i`` (None: dropped)."""
    tok = toks[i]
    kind, s = tok.type, tok.string
    if kind == tokenize.NAME:
        if s in _KEYWORDS:
            return s
        if i and toks[i - 1].string == "." and toks[i - 1].type == tokenize.OP:
            return s  # attribute: np.tanh, x.shape
        if depth and i + 1 < len(toks) and toks[i + 1].string == "=":
            return s  # keyword argument or default: axis=0, keepdims=True
        if s in _BUILTINS:
            return s
        return "V"
    if kind == tokenize.NUMBER:
        return "N"
    if kind in _STRINGISH:
        return "S"
    if kind == tokenize.NEWLINE:
        return ";"
    if kind == tokenize.INDENT:
        return "{"
    if kind == tokenize.DEDENT:
        return "}"
    if kind == tokenize.OP and s == "," and i + 1 < len(toks) and toks[i + 1].string in _CLOSERS:
        return None  # trailing comma
    return s.strip() or None


@dataclass
class _Def:
    unit: UnitTokens
    module: int
    order: int


def _scan(toks: list[_Raw], src: int, wanted: frozenset[str], other: UnitTokens,
          defs: list[tuple[str, UnitTokens]]) -> None:
    """Route the tokens of one source: graded function bodies to their own unit,
    the rest to ``other``; completed graded units are appended to ``defs``."""
    # Blocks opened by INDENT: "unit" (a graded body), "scope" (a def or class body:
    # functions inside it are not top-level) or "block" (if, for, try, ...).
    stack: list[str] = []
    pending = "block"  # the kind of block the next INDENT opens
    target = other
    unit: UnitTokens | None = None
    oneline = False  # a graded body on its def line: ends at that line's NEWLINE
    line_start = True
    depth = 0
    i, n = 0, len(toks)

    def finish(last_line: int) -> None:
        nonlocal unit, target
        assert unit is not None and unit.span is not None
        unit.span = (src, unit.span[1], _last_line(unit, last_line))
        defs.append((unit.name, unit))
        unit, target = None, other

    while i < n:
        tok = toks[i]
        kind, s = tok.type, tok.string
        if line_start and kind in _STRINGISH:
            # a string statement (a docstring): dropped with its NEWLINE
            j = i
            while j < n and toks[j].type in _STRINGISH:
                j += 1
            if j >= n or toks[j].type == tokenize.NEWLINE:
                i = j + 1
                continue
        if line_start and kind not in (tokenize.INDENT, tokenize.DEDENT):
            is_def = s == "def" or (s == "async" and i + 1 < n and toks[i + 1].string == "def")
            pending = "scope" if kind == tokenize.NAME and (is_def or s == "class") else "block"
            j = i + 2 if s == "async" else i + 1
            if is_def and unit is None and "scope" not in stack and j < n and toks[j].string in wanted:
                unit = UnitTokens(toks[j].string, span=(src, tok.line, tok.line))
                d = 0  # skip the header up to its ':' outside brackets
                while j < n and toks[j].type != tokenize.NEWLINE:
                    if toks[j].type == tokenize.OP:
                        if toks[j].string == ":" and d == 0:
                            break
                        if toks[j].string in _OPENERS:
                            d += 1
                        elif toks[j].string in _CLOSERS:
                            d = max(0, d - 1)
                    j += 1
                if j >= n or toks[j].type == tokenize.NEWLINE:  # no ':' (broken code): no body
                    finish(tok.line)
                    i, line_start = j, False
                    continue
                i = j + 1
                if i < n and toks[i].type == tokenize.NEWLINE:
                    if i + 1 < n and toks[i + 1].type == tokenize.INDENT:
                        stack.append("unit")
                        target = unit
                        i += 2
                        line_start = True
                    else:  # no indented body (broken code)
                        finish(tok.line)
                        i += 1
                        line_start = True
                    continue
                target, oneline, line_start = unit, True, False
                continue
        if kind == tokenize.INDENT:
            stack.append(pending)
            pending = "block"
        elif kind == tokenize.DEDENT:
            closed = stack.pop() if stack else "block"
            if closed == "unit" and unit is not None:
                finish(toks[i - 1].end_line)
                i += 1
                line_start = True
                continue
        elif kind == tokenize.OP and s in _OPENERS:
            depth += 1
        elif kind == tokenize.OP and s in _CLOSERS:
            depth = max(0, depth - 1)
        word = _word(toks, i, depth)
        if word is not None:
            target.add(word, src, tok.line)
        line_start = kind in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)
        if kind == tokenize.NEWLINE:
            depth = 0
            if oneline and unit is not None:
                oneline = False
                finish(tok.line)
        i += 1
    if unit is not None:  # the source ended (or lexing stopped) inside a graded body
        finish(toks[-1].end_line if toks else 1)


_ASSIGN = frozenset({"=", "return", "yield", "+=", "-=", "*=", "/=", "//=", "%=", "**=", "@=", "&=", "|=", "^=",
                     ">>=", "<<=", ":="})


def _drop_wrapping_parentheses(unit: UnitTokens) -> None:
    """``x = (a + b)`` is ``x = a + b``, ``return (a, b)`` is ``return a, b``: brackets
    around a whole right-hand side are layout (a formatter adds them to wrap a long
    line), so they are dropped."""
    w = unit.words
    match: dict[int, int] = {}
    stack: list[int] = []
    for i, word in enumerate(w):
        if word == "(":
            stack.append(i)
        elif word == ")" and stack:
            match[stack.pop()] = i
    drop = {i for i, j in match.items()
            if i and w[i - 1] in _ASSIGN and j + 1 < len(w) and w[j + 1] == ";"}
    drop |= {match[i] for i in drop}
    if drop:
        unit.words = [x for i, x in enumerate(w) if i not in drop]
        unit.pos = [x for i, x in enumerate(unit.pos) if i not in drop]


def _last_line(unit: UnitTokens, fallback: int) -> int:
    if unit.pos:
        return max(fallback, unit.pos[-1] & ((1 << LINE_BITS) - 1))
    return fallback


def split_units(sources: list[Source], functions: list[str] | tuple[str, ...]) -> SplitCode:
    """The units of a submission: each graded function in ``functions`` the grader
    would call, and :data:`OTHER`. Never raises for what the code contains."""
    wanted = frozenset(functions)
    other = UnitTokens(OTHER)
    notes: list[Message] = []
    found: dict[str, list[_Def]] = {}
    budget = MAX_TOKENS
    for src, source in enumerate(sources):
        toks, stopped = _lex(source.text, budget)
        if stopped is not None:
            notes.append(msg("similarity.note.lex_error", file=source.label, line=stopped[0], error=stopped[1]))
        if len(toks) > budget:
            notes.append(msg("similarity.note.too_many_tokens", file=source.label, limit=MAX_TOKENS))
            toks = toks[:budget]
        budget -= len(toks)
        defs: list[tuple[str, UnitTokens]] = []
        _scan(toks, src, wanted, other, defs)
        for order, (name, unit) in enumerate(defs):
            found.setdefault(name, []).append(_Def(unit, source.module, src * 100_000 + order))
        if budget <= 0:
            break
    units: dict[str, UnitTokens] = {}
    for candidates in found.values():
        for d in candidates:
            _drop_wrapping_parentheses(d.unit)
    _drop_wrapping_parentheses(other)
    for name, candidates in found.items():
        last_per_module: dict[int, _Def] = {}
        for d in candidates:  # Python keeps the last definition of a module
            if d.module not in last_per_module or d.order > last_per_module[d.module].order:
                last_per_module[d.module] = d
        best = min(last_per_module.values(), key=lambda d: (d.unit.is_stub, d.module))
        units[name] = best.unit
    units[OTHER] = other
    return SplitCode(units, notes)
