"""``rnngrade quiz``: write a blank answer sheet, or ask the questions in the terminal.

The terminal session asks the unanswered questions of the student's own variant in
their language and saves the sheet after every answer, so a student can stop at any
time (``q``, Ctrl-D, Ctrl-C) and resume later where they left off. The sheet it writes
is the same file a student can edit by hand (``docs/quiz.md``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..display import shown
from ..i18n import msg, render
from ..seed import AssignmentId
from ..untrusted import clean
from . import SHEET_NAME
from .answers import MALFORMED, OK, numbers_text, parse_answer
from .bank import BankError, load_bank
from .grading import expected_value
from .model import MULTIPLE, NUMERIC, SINGLE, TRUEFALSE, Bank, Question
from .selection import QuizSelection
from .sheet import question_comment, read_sheet, render_sheet, write_sheet
from .variants import Variant, fingerprint, variants_for

QUIT = {"q", "quit", "exit", ":q", "退出"}


def sheet_value(q: Question, variant: Variant, value: Any) -> Any:
    """A canonical answer in the form the sheet stores (letters, true/false, numbers)."""
    if q.type == SINGLE:
        return variant.letter_of(value)
    if q.type == MULTIPLE:
        return sorted(variant.letter_of(k) for k in value)
    if q.type == TRUEFALSE:
        return bool(value)
    numbers = [int(v) if float(v).is_integer() else float(v) for v in value]
    return numbers[0] if q.count == 1 else numbers


def key_answers(bank: Bank, variants: dict[str, Variant]) -> dict[str, Any]:
    """The key's answers for one student's variant, as a sheet would hold them."""
    return {q.id: sheet_value(q, variants[q.id], expected_value(q, variants[q.id], bank)) for q in bank.questions}


class Session:
    """One student's sheet: its answers, and saving it after every change."""

    def __init__(self, bank: Bank, path: Path, student: str, assignment: str | AssignmentId, lang: str):
        self.bank, self.path, self.student, self.lang = bank, path, student, lang
        self.assignment = assignment
        self.variants = variants_for(bank, student, assignment)
        self.answers: dict[str, Any] = {}

    def t(self, key: str, **params: Any) -> str:
        # Texts may quote the sheet (a current answer, its student id): escaped for the terminal.
        return clean(render(msg(key, **params), self.lang))

    def save(self) -> None:
        write_sheet(self.path, render_sheet(self.bank, self.variants, self.student, str(self.assignment),
                                            fingerprint(self.variants), self.answers, self.lang))

    def answered(self, q: Question) -> bool:
        return parse_answer(q, self.variants[q.id], self.answers.get(q.id)).state == OK

    def count_answered(self) -> int:
        return sum(self.answered(q) for q in self.bank.questions)

    def ask_all(self, ask: Callable[[str], str], echo: Callable[[str], None], revisit: bool) -> None:
        """Ask every unanswered question (all of them with ``revisit``); saves as it goes."""
        todo = [(n, q) for n, q in enumerate(self.bank.questions, start=1) if revisit or not self.answered(q)]
        if not todo:
            echo(self.t("quiz.ask.all_answered"))
            return
        for number, q in todo:
            if not self.ask_one(number, q, ask, echo):
                return

    def ask_one(self, number: int, q: Question, ask: Callable[[str], str], echo: Callable[[str], None]) -> bool:
        """Ask ``q`` until the input can be read; False when the student wants to stop."""
        variant = self.variants[q.id]
        section = self.bank.sections[q.section].title.get(self.lang)
        kind = self.t("quiz.kind.numbers" if q.type == NUMERIC and q.count > 1 else f"quiz.kind.{q.type}",
                      count=q.count)
        echo("")
        echo(click.style(self.t("quiz.ask.progress", number=number, total=len(self.bank.questions),
                                section=section, kind=kind, points=shown(q.points)), dim=True))
        lines = question_comment(q, variant, number, self.lang)[1:]  # the text, options and how to answer
        echo("\n".join(line[2:] for line in lines))
        current = self.answers.get(q.id)
        if current not in (None, "", []):
            echo(self.t("quiz.ask.current", answer=_shown(current)))
        while True:
            text = ask(self.t("quiz.ask.prompt")).strip()
            if text.lower() in QUIT:
                return False
            if not text:
                return True  # skipped: keep what was there
            answer = parse_answer(q, variant, text)
            if answer.state == MALFORMED:
                echo(click.style(render(answer.error or "", self.lang), fg="red"))
                continue
            self.answers[q.id] = sheet_value(q, variant, answer.value)
            self.save()
            return True


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        if all(isinstance(v, str) for v in value):
            return ", ".join(value)
        return numbers_text([float(v) for v in value])
    return str(value)


def _prompt(text: str) -> str:
    return click.prompt(text, default="", show_default=False, prompt_suffix=": ")


def run(sheet: Path, bank_folder: Path, student: str | None, lang: str, assignment: str | AssignmentId,
        init: bool = False, force: bool = False, revisit: bool = False, key_folder: Path | None = None,
        ask: Callable[[str], str] = _prompt, echo: Callable[[str], None] = click.echo,
        selection: QuizSelection | None = None) -> int:
    """The ``rnngrade quiz`` command; returns the exit status. ``selection``: the questions
    of one assignment of the course file (default: every question)."""
    t = lambda key, **p: clean(render(msg(key, **p), lang))  # noqa: E731
    folder = key_folder if key_folder is not None else bank_folder
    if not folder.is_dir():
        echo(t("quiz.ask.no_bank", path=str(folder)))
        return 2
    try:
        bank = (selection or QuizSelection()).apply(load_bank(folder, with_key=key_folder is not None))
    except BankError as exc:
        echo(t("quiz.ask.bank_error", error=str(exc)))
        return 2
    except KeyError as exc:  # the course file names a question this bank does not have
        echo(t("quiz.ask.bank_error", error=str(exc)))
        return 2
    existing = read_sheet(sheet, bank.ids(), display=sheet.name) if sheet.is_file() else None
    if existing is not None and existing.student and student and existing.student != student and not force:
        echo(t("quiz.ask.other_student", path=str(sheet), sheet=existing.student, student=student))
        return 2
    if not student:
        student = existing.student if existing is not None and existing.student else None
    if not student:
        try:  # a terminal asks; piped input answers; no input at all (a script, CI) ends here
            student = click.prompt(t("quiz.ask.student")).strip()
        except click.Abort:
            student = ""
        if not student:
            echo("")
            echo(t("quiz.ask.no_student"))
            return 2
    session = Session(bank, sheet, student, assignment, lang)
    if init:
        if existing is not None and not force:
            echo(t("quiz.ask.exists", path=str(sheet)))
            return 1
        if key_folder is not None:
            session.answers = key_answers(bank, session.variants)
            echo(t("quiz.ask.filled"))
        session.save()
        echo(t("quiz.ask.initialised", path=str(sheet), student=student, total=len(bank.questions)))
        return 0
    if existing is not None and not force:
        session.answers = dict(existing.answers)
    try:
        session.ask_all(ask, echo, revisit)
    except (click.Abort, EOFError, KeyboardInterrupt):
        echo("")
    session.save()
    echo(t("quiz.ask.saved", path=str(sheet), answered=session.count_answered(), total=len(bank.questions)))
    echo(t("quiz.ask.next_step", name=SHEET_NAME))
    return 0


def write_key_sheet(path: Path, student: str, solutions: Path | None = None, lang: str = "en",
                    assignment: str | AssignmentId | None = None, selection: QuizSelection | None = None) -> None:
    """Write a sheet holding the key's answers for ``student``'s variant (instructors and
    tests: a copy of the reference solutions plus this sheet scores full marks)."""
    from ..course import locate

    bank = load_bank(Path(solutions or locate().need_solutions()) / "quiz", with_key=True)
    bank = (selection or QuizSelection()).apply(bank)
    session = Session(bank, Path(path), student, assignment or AssignmentId(), lang)
    session.answers = key_answers(bank, session.variants)
    session.save()
