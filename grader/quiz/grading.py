"""Grade an answer sheet: one :class:`CheckResult` (``kind="quiz"``) per question.

Official grading (``grade(..., solutions=DIR)``) uses the key in ``DIR/quiz/``;
parametrised answers are computed from the student's drawn numbers by the key's
formulas. A self-check (no solutions) of a practice quiz uses the salted digests of the
student bank in ``exercises/quiz/``: right or wrong is known, the key is not. A counted
quiz (the default, :mod:`.policy`) ships no digests, so its self-check validates the
format only; parametrised questions are never checked there either (0 of 0 points,
"checked when graded"). Official feedback shows the key only as the policy allows.

Scoring: a question's points when right; multiple choice gives partial credit by
the quiz's rule (:func:`multiple_points`); wrong, missing and malformed answers
score 0 and never affect another question.

The results carry, in ``details``: the question (a bilingual message), the options
as shown, the drawn numbers, the student's answer, the state, the correct answer and
the explanation (both None while held back), so every report can show them.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass
from typing import Any

from .. import display
from ..checks import policy
from ..checks.engine import Exercise, ExerciseResult
from ..checks.model import FAILED, PASSED, PENDING, CheckResult, Kind
from ..i18n import Message, msg
from ..seed import AssignmentId
from ..submission import Notice
from ..untrusted import clean
from . import QUIZ_EXERCISE, SHEET_NAME
from .answers import EMPTY, MALFORMED, Answer, canonical_number, digest, numbers_text, parse_answer
from .bank import formula_values
from .model import ALL_OR_NOTHING, MULTIPLE, NUMERIC, SINGLE, TRUEFALSE, Bank, Question, Text
from .sheet import Sheet
from .variants import Variant, fingerprint, variants_for

CORRECT, PARTIAL, WRONG, UNVERIFIABLE = "correct", "partial", "wrong", "unverifiable"
ANONYMOUS = "anonymous"


def quiz_exercise() -> Exercise:
    """The quiz as an exercise (no sandboxed functions); pass it in ``grade(exercises=...)``."""
    return Exercise(QUIZ_EXERCISE, msg("quiz.exercise"), SHEET_NAME, [], [], section="quiz")


@dataclass(frozen=True)
class Verdict:
    state: str  # correct, partial, wrong, empty, malformed, unverifiable
    points: float
    right: int = 0  # multiple choice: options judged right / wrong
    wrong: int = 0


# ------------------------------------------------------------------ the key side
def expected_value(q: Question, variant: Variant, bank: Bank) -> Any:
    """The correct answer in canonical form (needs the key)."""
    if q.type == SINGLE:
        return q.answer
    if q.type == MULTIPLE:
        return frozenset(q.answer)
    if q.type == TRUEFALSE:
        return bool(q.answer)
    if q.params:
        assert q.formula is not None  # the bank's audit: a parametrised question has a formula
        values = formula_values(bank.formulas[q.formula](**variant.params), q.count)
        if values is None:
            raise ValueError(f"formula {q.formula} gave no valid answer for {variant.params}")
        return tuple(values)
    return tuple(float(v) for v in (q.answer if isinstance(q.answer, list) else [q.answer]))


def allowed_error(q: Question, value: float) -> float:
    # A hair of slack so that a correctly rounded decimal is never lost to float noise.
    return q.tolerance + q.rel_tolerance * abs(value) + 1e-9 * max(1.0, abs(value))


def multiple_points(q: Question, right: int, wrong: int) -> float:
    """Partial credit: every option is a true/false statement; with ``right_minus_wrong``
    the score is points * max(0, right - wrong) / options (guessing earns 0 on average),
    with ``all_or_nothing`` it is the points only when every option is judged right."""
    n = right + wrong
    if q.scoring == ALL_OR_NOTHING:
        return q.points if wrong == 0 else 0.0
    return round(q.points * max(0, right - wrong) / n, 4)


def judge(q: Question, answer: Answer, expected: Any) -> Verdict:
    if answer.state in (EMPTY, MALFORMED):
        return Verdict(answer.state, 0.0)
    if q.type == MULTIPLE:
        right = sum((o.key in answer.value) == (o.key in expected) for o in q.options)
        wrong = len(q.options) - right
        points = multiple_points(q, right, wrong)
        state = CORRECT if wrong == 0 else PARTIAL if points > 0 else WRONG
        return Verdict(state, points, right, wrong)
    if q.type == NUMERIC:
        ok = all(abs(a - e) <= allowed_error(q, e) for a, e in zip(answer.value, expected, strict=True))
    else:
        ok = answer.value == expected
    return Verdict(CORRECT if ok else WRONG, q.points if ok else 0.0)


# ------------------------------------------------------------------ the digest side
def check_digests(q: Question, answer: Answer) -> Verdict:
    """Judge with the student bank's salted digests (no key available)."""
    if answer.state in (EMPTY, MALFORMED):
        return Verdict(answer.state, 0.0)
    check = q.check
    if not check:
        return Verdict(UNVERIFIABLE, 0.0)
    salt = check["salt"]
    if q.type == MULTIPLE:
        stored = check.get("options", {})
        right = sum(digest(salt, f"{o.key}={int(o.key in answer.value)}") == stored.get(o.key) for o in q.options)
        wrong = len(q.options) - right
        points = multiple_points(q, right, wrong)
        return Verdict(CORRECT if wrong == 0 else PARTIAL if points > 0 else WRONG, points, right, wrong)
    if q.type == NUMERIC and "grid" in check:
        cell = math.floor(answer.value[0] / check["grid"])
        ok = any(digest(salt, str(cell + d)) == check.get("digest") for d in (-1, 0, 1))
    else:
        ok = digest(salt, canonical_text(q, answer.value)) == check.get("digest")
    return Verdict(CORRECT if ok else WRONG, q.points if ok else 0.0)


def canonical_text(q: Question, value: Any) -> str:
    """The normalised answer a digest is taken of (also used by :mod:`.release`)."""
    if q.type == SINGLE:
        return str(value)
    if q.type == TRUEFALSE:
        return "true" if value else "false"
    return ",".join(canonical_number(v) for v in value)


# ------------------------------------------------------------------ results
def answer_message(q: Question, variant: Variant, value: Any) -> Message | str:
    """A canonical answer as the student sees it (letters with option texts, numbers)."""
    if q.type == SINGLE:
        return choice_message(q, variant, value)
    if q.type == MULTIPLE:
        keys = sorted(value, key=variant.order.index)
        return msg("quiz.choices", items=[choice_message(q, variant, k) for k in keys])
    if q.type == TRUEFALSE:
        return msg("quiz.bool.true" if value else "quiz.bool.false")
    return numbers_text(value)


def choice_message(q: Question, variant: Variant, key: str) -> Message:
    return msg("quiz.choice", letter=variant.letter_of(key), text=q.option(key).text.message())


def raw_for_details(raw: Any) -> Any:
    """The student's raw answer as results.json may hold it: short strings, finite
    numbers a JSON reader can parse (a 400-digit integer or ``inf`` becomes text),
    a short flat list; anything else (tables, dates, nested lists) as capped text."""
    if isinstance(raw, str):
        return clean(raw[:200])
    if raw is None or isinstance(raw, bool):
        return raw
    if isinstance(raw, int):
        return raw if abs(raw) <= 2 ** 53 else f"{str(raw)[:20]}… ({len(str(abs(raw)))} digits)"
    if isinstance(raw, float):
        return raw if math.isfinite(raw) else repr(raw)
    if isinstance(raw, list) and all(isinstance(v, (str, bool, int, float)) for v in raw):
        return [raw_for_details(v) for v in raw[:30]]
    try:
        text = repr(raw)
    except (RecursionError, ValueError):
        text = f"<{type(raw).__name__}>"
    return clean(text[:200])


def question_result(q: Question, number: int, variant: Variant, bank: Bank, sheet: Sheet, official: bool,
                    explain: bool, answered_by_key: bool = False) -> CheckResult:
    text = q.text.format(variant.params)
    section = bank.sections[q.section]
    res = CheckResult(f"quiz.{q.id}", QUIZ_EXERCISE, q.id, Kind.QUIZ,
                      msg("quiz.title", number=number, id=q.id, question=text.message()), q.points)
    raw = sheet.answers.get(q.id)
    if q.id in sheet.line_errors:
        answer = Answer(MALFORMED, error=sheet.line_errors[q.id])
    else:
        answer = parse_answer(q, variant, raw)
    expected = expected_value(q, variant, bank) if official else None
    if answered_by_key:
        answer = Answer("ok", expected)
    verdict = judge(q, answer, expected) if official else check_digests(q, answer)
    if not official and not q.check:  # a self-check cannot judge it: counts 0 of 0
        res.max_points = 0.0
    res.points = verdict.points
    res.status = PASSED if verdict.points >= res.max_points and verdict.state not in (EMPTY, MALFORMED) else FAILED
    if verdict.state == UNVERIFIABLE:
        # Not judged in a self-check (no key in the release): neither passed nor failed,
        # in every output; the answer is recorded and official grading judges it.
        res.status = PENDING
    shown = answer_message(q, variant, answer.value) if answer.state == "ok" else None
    policy = bank.quiz_of(q).policy
    if verdict.state == UNVERIFIABLE and not policy.practice:
        # A counted quiz's self-check validates the format only: nothing about the key.
        res.messages.append(msg("quiz.result.recorded", answer=shown))
    else:
        res.messages.append(_state_message(q, verdict, shown, answer))
    correct = explanation = None
    if official and explain:
        correct = answer_message(q, variant, expected)
        shown_key = numbers_text(expected) if q.type == NUMERIC and expected is not None else ""
        fields = dict(variant.params, answer=shown_key)
        where = {"text": _explanation(q, fields).message(), "section": section.title.message(),
                 "lecture": section.lecture}
        explanation = msg("quiz.result.explanation_body", **where)  # for reports that label it themselves
        if verdict.state != CORRECT:
            res.messages.append(msg("quiz.result.expected", answer=correct))
        res.messages.append(msg("quiz.result.explanation", **where))
    elif official:
        after = policy.answers_after
        res.messages.append(msg("quiz.result.held_until", date=after.isoformat(timespec="minutes"))
                            if after is not None else msg("quiz.result.held_back"))
        if not policy.practice:
            # Per-question verdicts of a counted quiz would let a student who may resubmit
            # (Gradescope, CI) find the key by trying options: Gradescope shows them after
            # the due date. Points still count in the total.
            res.visibility = "after_due_date"
    elif verdict.state not in (CORRECT, UNVERIFIABLE):
        res.messages.append(msg("quiz.result.see_lecture", section=section.title.message(), lecture=section.lecture))
    res.details.update({
        "question": text.message(), "question_id": q.id, "quiz": q.quiz, "type": q.type,
        "section": q.section, "lecture": section.lecture,
        "options": [choice_message(q, variant, k) for k in variant.order],
        "params": dict(variant.params), "raw_answer": raw_for_details(raw),
        "answer": shown if shown is not None else msg("quiz.no_answer" if answer.state == EMPTY else
                                                      "quiz.unreadable_answer"),
        "state": verdict.state, "correct_answer": correct, "explanation": explanation,
        "held_back": official and not explain, "answered_by_key": answered_by_key,
    })
    if q.type == MULTIPLE and verdict.state in (PARTIAL, CORRECT, WRONG):
        res.details["options_judged"] = {"right": verdict.right, "wrong": verdict.wrong}
    return res


def _explanation(q: Question, fields: dict[str, Any]) -> Text:
    assert q.explanation is not None
    return q.explanation.format(fields) if q.params else q.explanation


def _state_message(q: Question, verdict: Verdict, shown: Any, answer: Answer) -> Message:
    if verdict.state == EMPTY:
        return msg("quiz.result.missing")
    if verdict.state == MALFORMED:
        return msg("quiz.result.malformed", error=answer.error)
    if verdict.state == UNVERIFIABLE:
        return msg("quiz.result.unverifiable", answer=shown)
    if verdict.state == PARTIAL or (q.type == MULTIPLE and verdict.state == WRONG):
        return msg("quiz.result.partial", answer=shown, right=verdict.right, n=verdict.right + verdict.wrong,
                   points=display.shown(verdict.points), max_points=display.shown(q.points),
                   rule=msg(f"quiz.rule.{q.scoring}"))
    return msg("quiz.result.correct" if verdict.state == CORRECT else "quiz.result.wrong", answer=shown)


def sheet_variants(bank: Bank, sheet: Sheet, student: str, assignment: str | AssignmentId, official: bool,
                   aliases: tuple[str, ...] = (), whole: Bank | None = None
                   ) -> tuple[dict[str, Variant] | None, Message | None]:
    """The variants a sheet is graded against, or None and why it is refused.

    A sheet's letters and numbers mean something only in the variant it was made for
    (the option order and the numbers drawn for the student id, assignment and term
    salt it was written with; its ``[sheet]`` records the id, the assignment's name and
    the variant's fingerprint), so they are never read against another one. The
    variant it was made for is rebuilt when it can be exactly: the recorded id (the
    grade's, or in a self-check or as one of the student's ``aliases`` another one),
    the recorded assignment with this term's salt or none, from the bank it was made
    of (``whole``: every question, when the assignment asks only some), and the
    fingerprint proves it. Then the sheet is graded against it, with a notice naming
    it. Otherwise it is refused, its questions not counted, with one reason that says
    which variant it was made for and how to make the right sheet. A sheet without a
    fingerprint (not written by ``rnngrade quiz``) proves nothing: read against the
    grade's own variant with a notice, unless it says it was made for another
    assignment (refused)."""
    ident = assignment if isinstance(assignment, AssignmentId) else AssignmentId(assignment)
    own = variants_for(bank, student, ident)
    shown = clean(sheet.student[:60]) if sheet.student else student
    recorded = sheet.assignment
    same_assignment = recorded is None or recorded == ident.name
    if not sheet.variant:
        if not same_assignment:
            return None, _refused_variant(sheet, student, ident)
        if sheet.student and sheet.student != student:
            sheet.notices.append(Notice("quiz.sheet.other_student", {"sheet": shown, "student": student}))
        return own, None
    made_for = _made_for(bank, whole, sheet, student, ident)
    if made_for is None:
        if sheet.student and sheet.student != student and same_assignment:
            return None, msg("quiz.sheet.refused_unproven", sheet=shown, student=student)
        return None, _refused_variant(sheet, student, ident)
    sid, aid = made_for
    if sid != student and official and sid not in aliases:
        return None, msg("quiz.sheet.refused_other_student", sheet=shown, student=student)
    if sid != student:
        sheet.notices.append(Notice("quiz.sheet.graded_as_sheet", {"sheet": shown, "student": student}))
    if aid != ident:
        sheet.notices.append(Notice("quiz.sheet.graded_as_variant", {
            "made_for": clean(aid.name[:60]), "assignment": ident.name,
            "term": msg("quiz.sheet.term_none" if not aid.salt else "quiz.sheet.term_this")}))
    return (own if (sid, aid) == (student, ident) else variants_for(bank, sid, aid)), None


def _made_for(bank: Bank, whole: Bank | None, sheet: Sheet, student: str,
              ident: AssignmentId) -> tuple[str, AssignmentId] | None:
    """The (student id, assignment) whose variant has the sheet's fingerprint, among
    those the sheet records (its id, its assignment's name; without a record, the
    grade's), with this term's salt or none; None when none has."""
    from ..seed import DEFAULT_ASSIGNMENT

    sid = sheet.student or student
    names = [sheet.assignment] if sheet.assignment else [ident.name, DEFAULT_ASSIGNMENT]
    banks = [bank] if whole is None or whole.ids() == bank.ids() else [bank, whole]
    for name in dict.fromkeys(names):
        for salt in dict.fromkeys([ident.salt, ""]):
            aid = AssignmentId(name, salt)
            if any(fingerprint(variants_for(b, sid, aid)) == sheet.variant for b in banks):
                return sid, aid
    return None


def _refused_variant(sheet: Sheet, student: str, ident: AssignmentId) -> Message:
    """Why a sheet made for a variant that cannot be rebuilt is not graded, and the
    command that writes the right one."""
    from ..seed import DEFAULT_ASSIGNMENT

    command = f"rnngrade quiz --init --student {student}"
    if ident.name != DEFAULT_ASSIGNMENT:
        command += f" --assignment {ident.name}"
    return msg("quiz.sheet.refused_variant", sheet=clean((sheet.student or "?")[:60]),
               made_for=clean((sheet.assignment or "?")[:60]), fingerprint=clean((sheet.variant or "-")[:20]),
               student=student, assignment=ident.name, command=command)


def grade_sheet(bank: Bank, sheet: Sheet, student: str, assignment: str | AssignmentId, official: bool,
                now: _dt.datetime | None = None, answered_by_key: bool = False,
                aliases: tuple[str, ...] = (), whole: Bank | None = None) -> ExerciseResult:
    """The quiz's exercise result for the variant the sheet was made for (see
    :func:`sheet_variants`): ``student``'s, or the sheet's own when it is accepted.
    ``whole``: the bank before an assignment's selection (the sheet may have been
    made from it)."""
    now = now or _dt.datetime.now(_dt.UTC)
    variants, refused = sheet_variants(bank, sheet, student, assignment, official, aliases, whole)
    er = ExerciseResult(quiz_exercise().info())
    if sheet.path is not None:
        er.graded_from[SHEET_NAME] = str(sheet.path.name)
    number = 0
    # A refused sheet's questions are shown as drawn for ``student``: drawn once, not once per question.
    shown = variants_for(bank, student, assignment) if variants is None else {}
    for quiz in bank.quizzes:
        explain = quiz.answers_shown(now)
        for q in quiz.questions:
            number += 1
            if variants is None:
                assert refused is not None
                er.results.append(_refused(q, number, shown[q.id], refused))
                continue
            er.results.append(question_result(q, number, variants[q.id], bank, sheet, official, explain,
                                              answered_by_key))
    if refused is not None:
        er.notes = policy.pending_notes(er.results)
    return er


def _refused(q: Question, number: int, variant: Variant, why: Message) -> CheckResult:
    """A question of a sheet that is not graded, shown as ``variant`` (the student's
    own): not counted yet, for ``why``; its answer is not read (it belongs to another
    variant)."""
    text = q.text.format(variant.params)
    res = CheckResult(f"quiz.{q.id}", QUIZ_EXERCISE, q.id, Kind.QUIZ,
                      msg("quiz.title", number=number, id=q.id, question=text.message()), q.points)
    res.details.update({"question": text.message(), "question_id": q.id, "quiz": q.quiz, "type": q.type,
                        "section": q.section, "state": "refused", "correct_answer": None, "explanation": None})
    return res.pending(why)
