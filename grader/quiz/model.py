"""The vocabulary of the question bank (see ``docs/quiz.md`` for the file format).

A bank is a folder: ``sections.toml`` (the lecture map: which section a question
belongs to and where it is in the lecture) and one TOML file per quiz. The instructor's
bank under ``solutions/quiz/`` holds the key (answers, formulas, explanations); the
student bank under ``exercises/quiz/`` is generated from it without the key (and,
for a practice quiz only, with salted digests for self-checking: :mod:`.release`).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..i18n import LANGS, Message, msg
from .policy import QuizPolicy

SINGLE, MULTIPLE, TRUEFALSE, NUMERIC = "single", "multiple", "truefalse", "numeric"
TYPES = (SINGLE, MULTIPLE, TRUEFALSE, NUMERIC)
CHOICE_TYPES = (SINGLE, MULTIPLE)
# Partial credit of a multiple-choice question (docs/quiz.md states the rules).
RIGHT_MINUS_WRONG, ALL_OR_NOTHING = "right_minus_wrong", "all_or_nothing"
SCORING = (RIGHT_MINUS_WRONG, ALL_OR_NOTHING)


@dataclass(frozen=True)
class Text:
    """One text in both languages of the course."""

    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def message(self) -> Message:
        """As a :class:`Message`, so reports render it in the reader's language."""
        return msg("quiz.text", zh=self.zh, en=self.en)

    def format(self, params: dict[str, Any]) -> Text:
        """Fill ``{name}`` fields with drawn parameters (only when there are any)."""
        if not params:
            return self
        return Text(self.zh.format(**params), self.en.format(**params))

    def to_dict(self) -> dict[str, str]:
        return {lang: self.get(lang) for lang in LANGS}


@dataclass(frozen=True)
class Section:
    """A row of the lecture map: one section of the lecture notes (``quiz/sections.toml``)."""

    id: str
    title: Text
    lecture: str  # the heading in the lecture notes, e.g. "选择合适的激活函数"


@dataclass(frozen=True)
class Option:
    key: str  # canonical key, never shown to students (they see letters A, B, ...)
    text: Text


@dataclass(frozen=True)
class ParamSpec:
    """How one number of a parametrised question is drawn (all values equally likely).

    ``range = [lo, hi]`` with integers draws an integer in [lo, hi]; with ``step``
    it draws ``lo + k * step`` <= hi; ``choices = [...]`` draws one of the values."""

    name: str
    lo: float = 0
    hi: float = 0
    step: float | None = None
    choices: tuple[Any, ...] = ()

    def count(self) -> int:
        if self.choices:
            return len(self.choices)
        if self.step is None:
            return int(self.hi) - int(self.lo) + 1
        return int((self.hi - self.lo) / self.step + 1e-9) + 1

    def value(self, k: int) -> int | float:
        if self.choices:
            return self.choices[k]
        if self.step is None:
            return int(self.lo) + k
        value = round(self.lo + k * self.step, 10)
        return int(value) if value.is_integer() else value  # shown as 2, not 2.0


@dataclass
class Question:
    id: str
    quiz: str
    section: str
    type: str
    text: Text
    points: float = 1.0
    options: list[Option] = field(default_factory=list)
    shuffle: bool = True
    scoring: str = RIGHT_MINUS_WRONG  # multiple choice only
    params: dict[str, ParamSpec] = field(default_factory=dict)
    count: int = 1  # numeric: how many numbers the answer has (a shape has several)
    tolerance: float = 0.0  # numeric: absolute
    rel_tolerance: float = 0.0  # numeric: relative to the correct value
    # The key (None in the student bank):
    answer: Any = None  # option key | list of keys | bool | number | list of numbers
    formula: str | None = None  # parametrised: a function in solutions/quiz/formulas.py
    explanation: Text | None = None
    # The student bank's self-check data (None in the key, or when graded-only):
    check: dict[str, Any] | None = None

    @property
    def parametrised(self) -> bool:
        return bool(self.params)

    def option(self, key: str) -> Option:
        return next(o for o in self.options if o.key == key)


@dataclass
class Quiz:
    """One file of the bank: a list of questions and how they are released."""

    id: str
    title: Text
    file: str
    questions: list[Question]
    policy: QuizPolicy = field(default_factory=QuizPolicy)  # counted or practice; when the key is shown

    def answers_shown(self, now: _dt.datetime) -> bool:
        return self.policy.answers_shown(now)


@dataclass
class Bank:
    folder: str
    sections: dict[str, Section]
    quizzes: list[Quiz]
    has_key: bool
    formulas: dict[str, Callable[..., Any]] = field(default_factory=dict)

    @property
    def questions(self) -> list[Question]:
        return [q for quiz in self.quizzes for q in quiz.questions]

    def question(self, qid: str) -> Question:
        return self._by_id()[qid]

    def quiz_of(self, q: Question) -> Quiz:
        return next(z for z in self.quizzes if z.id == q.quiz)

    def _by_id(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions}

    def ids(self) -> list[str]:
        return [q.id for q in self.questions]
