"""The quiz of one assignment: which questions it asks, and its release policy.

A course file's assignment may ask only some questions (quiz ids or question ids, in
the order it lists them) and may decide, for all of them, whether the quiz is practice
or counted and when the key is shown (:class:`~.policy.QuizPolicy`). What it does not
say stays as each quiz file's ``[quiz]`` table says, which is also all there is
without a course file. Grading, the answer sheet and the student bank of a release
all see the bank through :meth:`QuizSelection.apply`, so they always agree.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass

from .model import Bank, Quiz
from .policy import QuizPolicy


@dataclass(frozen=True)
class QuizSelection:
    questions: tuple[str, ...] | None = None  # quiz or question ids; None: every question
    practice: bool | None = None  # None: as each quiz file says
    answers_after: _dt.datetime | None = None  # None: as each quiz file says

    @property
    def everything(self) -> bool:
        return self.questions is None and self.practice is None and self.answers_after is None

    def question_ids(self, bank: Bank) -> list[str]:
        """The questions asked, quiz ids expanded in the bank's order, each once."""
        if self.questions is None:
            return bank.ids()
        by_quiz = {z.id: [q.id for q in z.questions] for z in bank.quizzes}
        out: list[str] = []
        for selector in self.questions:
            for qid in by_quiz.get(selector, [selector]):
                if qid not in out:
                    out.append(qid)
        return out

    def policy(self, base: QuizPolicy) -> QuizPolicy:
        return QuizPolicy(practice=base.practice if self.practice is None else self.practice,
                          answers_after=base.answers_after if self.answers_after is None else self.answers_after)

    def apply(self, bank: Bank) -> Bank:
        """The bank of this assignment: its questions only (quizzes in the order their
        first question is asked, questions in the order asked), each quiz with the
        assignment's policy. Unknown ids raise ``KeyError`` (the course file is checked
        against the bank when it is loaded)."""
        if self.everything:
            return bank
        wanted = self.question_ids(bank)
        known = set(bank.ids())
        missing = [q for q in wanted if q not in known]
        if missing:
            raise KeyError(f"not in the quiz bank: {', '.join(missing)}")
        quizzes: list[Quiz] = []
        for qid in wanted:
            q = bank.question(qid)
            quiz = next((z for z in quizzes if z.id == q.quiz), None)
            if quiz is None:
                source = bank.quiz_of(q)
                quiz = dataclasses.replace(source, questions=[], policy=self.policy(source.policy))
                quizzes.append(quiz)
            quiz.questions.append(q)
        return dataclasses.replace(bank, quizzes=quizzes)


def selection_of(questions: Sequence[str] | None, practice: bool | None,
                 answers_after: _dt.datetime | None) -> QuizSelection:
    return QuizSelection(tuple(questions) if questions is not None else None, practice, answers_after)
