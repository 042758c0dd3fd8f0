"""Read one answer as the student wrote it, and the salted digests of answers.

Accepted forms (``docs/quiz.md``): a letter for single choice (``"B"``), letters
for multiple choice (``["A", "C"]``, ``"A, C"`` or ``"AC"``), ``true``/``false``
(also ``"对"``/``"错"``, ``"T"``/``"F"``) for true/false, a number for numeric
(``0.25``, ``"0.25"``, ``"1/4"``), several numbers for a shape (``[4, 7, 10]`` or
``"(4, 7, 10)"``). An empty string means "not answered". Anything else is
*malformed*: it scores 0 with a message saying what was expected, and never
affects another question.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from typing import Any

from ..i18n import Message, msg
from .model import MULTIPLE, NUMERIC, SINGLE, TRUEFALSE, Question
from .variants import Variant

EMPTY, OK, MALFORMED = "empty", "ok", "malformed"
TRUE_WORDS = {"true", "t", "yes", "y", "对", "是", "正确", "√", "✓"}
FALSE_WORDS = {"false", "f", "no", "n", "错", "否", "错误", "×", "✗"}
_FRACTION = re.compile(r"^\s*([-+]?\d+(?:\.\d*)?)\s*/\s*(\d+(?:\.\d*)?)\s*$")
MAX_CHARS = 200


@dataclass(frozen=True)
class Answer:
    state: str  # empty, ok, malformed
    value: Any = None  # option key | frozenset of keys | bool | tuple of floats
    error: Message | None = None


def parse_answer(q: Question, variant: Variant, raw: Any) -> Answer:
    """The canonical value of ``raw`` for ``q`` as shown in ``variant``."""
    if raw is None or (isinstance(raw, str) and not raw.strip()) or (isinstance(raw, list) and not raw):
        return Answer(EMPTY)
    if isinstance(raw, str) and len(raw) > MAX_CHARS:
        return _bad("quiz.error.too_long", limit=MAX_CHARS)
    if q.type == SINGLE:
        return _single(variant, raw)
    if q.type == MULTIPLE:
        return _multiple(variant, raw)
    if q.type == TRUEFALSE:
        return _truefalse(raw)
    assert q.type == NUMERIC
    return _numeric(q, raw)


def _bad(key: str, **params: Any) -> Answer:
    return Answer(MALFORMED, error=msg(key, **params))


def _letter_range(variant: Variant) -> str:
    return f"A–{variant.letters[-1]}"


def _letter(variant: Variant, text: str) -> str | Answer:
    letter = text.strip().strip(".)(（）").strip().upper()
    if len(letter) != 1 or letter not in variant.letters:
        return _bad("quiz.error.not_an_option", got=text.strip()[:20], letters=_letter_range(variant))
    return letter


def _single(variant: Variant, raw: Any) -> Answer:
    if not isinstance(raw, str):
        return _bad("quiz.error.want_letter", letters=_letter_range(variant))
    letter = _letter(variant, raw)
    return letter if isinstance(letter, Answer) else Answer(OK, variant.key_of(letter))


def _multiple(variant: Variant, raw: Any) -> Answer:
    if isinstance(raw, str):
        parts = [p for p in re.split(r"[\s,，、;；]+", raw.strip()) if p]
        if len(parts) == 1 and len(parts[0]) > 1 and parts[0].isalpha() and parts[0].isascii():
            parts = list(parts[0])  # "AC"
    elif isinstance(raw, list) and all(isinstance(p, str) for p in raw):
        parts = raw
    else:
        return _bad("quiz.error.want_letters", letters=_letter_range(variant))
    keys = set()
    for part in parts:
        letter = _letter(variant, part)
        if isinstance(letter, Answer):
            return letter
        keys.add(variant.key_of(letter))
    return Answer(OK, frozenset(keys)) if keys else Answer(EMPTY)


def _truefalse(raw: Any) -> Answer:
    if isinstance(raw, bool):
        return Answer(OK, raw)
    if isinstance(raw, str):
        word = raw.strip().lower()
        if word in TRUE_WORDS:
            return Answer(OK, True)
        if word in FALSE_WORDS:
            return Answer(OK, False)
    return _bad("quiz.error.want_bool")


def _number(raw: Any) -> float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        try:
            value = float(raw)
        except OverflowError:  # an integer of hundreds of digits
            return None
    elif isinstance(raw, str):
        text = raw.strip().replace("−", "-")
        fraction = _FRACTION.match(text)
        try:
            value = float(fraction.group(1)) / float(fraction.group(2)) if fraction else float(text)
        except (ValueError, ZeroDivisionError):
            return None
    else:
        return None
    return value if math.isfinite(value) else None


def _numeric(q: Question, raw: Any) -> Answer:
    if q.count == 1:
        if isinstance(raw, list):
            return _bad("quiz.error.want_number_format")
        value = _number(raw)
        return _bad("quiz.error.want_number_format") if value is None else Answer(OK, (value,))
    if isinstance(raw, str):
        items: list[Any] = [p for p in re.split(r"[\s,，×*xX]+", raw.strip().strip("()[]（）")) if p]
    elif isinstance(raw, list):
        items = raw
    else:
        return _bad("quiz.error.want_numbers_format", count=q.count)
    values = [_number(v) for v in items]
    if len(values) != q.count or any(v is None for v in values):
        return _bad("quiz.error.want_numbers_format", count=q.count)
    return Answer(OK, tuple(float(v) for v in values if v is not None))


# ------------------------------------------------------------------ digests
def digest(salt: str, text: str) -> str:
    """The salted digest shipped in the student bank (64 bits of SHA-256)."""
    return hashlib.sha256(f"{salt}\0{text}".encode()).hexdigest()[:16]


def canonical_number(x: float) -> str:
    x = float(x)
    return str(int(x)) if x.is_integer() else repr(x)


def numbers_text(values: tuple[float, ...] | list[float]) -> str:
    """How numbers are shown: ``0.25`` or ``(4, 7, 10)``."""
    parts = [f"{v:.6g}" if not float(v).is_integer() else str(int(v)) for v in values]
    return parts[0] if len(parts) == 1 else "(" + ", ".join(parts) + ")"
