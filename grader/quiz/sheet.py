"""The answer sheet: ``quiz_answers.toml`` in the submission (format in ``docs/quiz.md``).

Grading reads the sheet from the submission's snapshot (:mod:`grader.submission`
never follows a link and caps sizes), not from the live folder. Reading from disk
(``rnngrade quiz``, the student's own sheet) is defensive too: regular files only (no
symlinks, so a sheet cannot point the grader at another file), a size cap, safe TOML
parsing. A sheet that is not valid TOML as a whole is read again line by line, so a
typo on one line costs only the question on that line. Problems are returned as
notices (about the file) and per-question errors; nothing here raises for bad input.

Hostile sheets are bounded too: nesting too deep for the parser, integers of
thousands of digits, tens of thousands of tables or unknown ids, wrong types
anywhere. Each costs one clear notice; at most ``MAX_NOTICES`` notices are listed per
sheet (the rest are counted in one more), the line-by-line reading stops after
``MAX_LINES`` lines, and every text taken from the sheet is cleaned
(:mod:`grader.untrusted`) and cut to a length a report can show.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..display import shown
from ..fileio import write_atomic
from ..i18n import Message, msg, render
from ..submission import Notice, Snapshot, SnapshotFile
from ..untrusted import clean
from . import SHEET_NAME, toml_out
from .model import MULTIPLE, NUMERIC, SINGLE, TRUEFALSE, Bank, Question
from .variants import Variant

FORMAT = 1
MAX_BYTES = 256 << 10
MAX_DEPTH = 3  # folders below the submission searched for a sheet
MAX_NOTICES = 20  # notices listed per sheet; the rest are counted in one more
MAX_LINES = 20_000  # lines examined when a sheet is read line by line
NAME_CHARS = 60  # a key or a table name quoted in a notice
SHOWN_IDS = 5  # ids named in the one line about answers that are ignored
_KEY = re.compile(r'^\s*(?:"([^"]*)"|([A-Za-z0-9_-]+))\s*=')
_HEADER = re.compile(r"^\s*\[\s*([A-Za-z0-9_-]+)\s*\]\s*(#.*)?$")


@dataclass
class Sheet:
    path: Path | None
    student: str | None = None
    assignment: str | None = None  # the assignment name the sheet records it was made for
    variant: str | None = None
    answers: dict[str, Any] = field(default_factory=dict)  # raw values, by question id
    line_errors: dict[str, Message] = field(default_factory=dict)  # question id -> why unreadable
    notices: list[Notice] = field(default_factory=list)
    unlisted: int = 0  # notices beyond MAX_NOTICES, counted only

    def note(self, key: str, params: dict[str, Any]) -> None:
        """Add a notice about the sheet, or only count it once ``MAX_NOTICES`` are listed."""
        if len(self.notices) < MAX_NOTICES:
            self.notices.append(Notice(key, params))
        else:
            self.unlisted += 1


def find_sheet(snapshot: Snapshot) -> tuple[SnapshotFile | None, list[Notice]]:
    """The sheet of a submission, from its snapshot (never the live folder):
    ``quiz_answers.toml`` at its top, else the shallowest one in a sub-folder (at
    most ``MAX_DEPTH`` deep)."""
    if snapshot.kind not in ("folder", "zip"):
        return None, []
    found = [f for f in snapshot.named(SHEET_NAME) if f.depth <= MAX_DEPTH]
    notices = []
    if len(found) > 1:
        notices.append(Notice("quiz.sheet.several", {"used": found[0].path,
                                                     "others": ", ".join(f.path for f in found[1:])}))
    return (found[0] if found else None), notices


def parse_toml(text: str) -> tuple[dict[str, Any] | None, Message | str | None]:
    """``tomllib.loads`` with every way it fails on hostile input turned into a reason:
    (data, None) or (None, why). Nesting deeper than the parser's recursion and
    integers beyond Python's digit limit raise other errors than TOMLDecodeError."""
    try:
        return tomllib.loads(text), None
    except tomllib.TOMLDecodeError as exc:
        return None, clean(str(exc))[:300]
    except RecursionError:
        return None, msg("quiz.sheet.why.too_deep")
    except (ValueError, OverflowError):  # "Exceeds the limit (4300 digits) for integer string conversion"
        return None, msg("quiz.sheet.why.too_many_digits")
    except MemoryError:
        return None, msg("quiz.sheet.why.too_big")


def read_sheet(path: Path, known_ids: list[str], display: str = SHEET_NAME, data: bytes | None = None,
               other_ids: list[str] | tuple[str, ...] = ()) -> Sheet:
    """Read a sheet; never raises for bad content (see the module docstring).

    Grading passes the sheet's bytes from the snapshot as ``data`` (``path`` is then
    only its name); ``rnngrade quiz`` reads the student's own sheet from disk.
    ``other_ids`` are questions of the bank that this assignment does not ask: their
    answers are ignored, and said so in one line (when any was answered). Ids of no
    question at all are said in one line too, however many there are."""
    sheet = Sheet(path)
    display = clean(display)
    text = _read_text(path, display, sheet.notices) if data is None else _decode(data, display, sheet.notices)
    if text is None:
        return sheet
    parsed, why = parse_toml(text)
    if parsed is None:
        sheet.note("quiz.sheet.bad_toml", {"file": display, "error": why})
        parsed = _line_by_line(text, sheet, display)
    head = parsed.get("sheet")
    if isinstance(head, dict):
        student, variant = head.get("student"), head.get("variant")
        sheet.student = clean(student)[:100] if isinstance(student, str) and student.strip() else None
        made_for = head.get("assignment")
        sheet.assignment = clean(made_for)[:100] if isinstance(made_for, str) and made_for.strip() else None
        sheet.variant = clean(variant)[:100] if isinstance(variant, str) else None
    elif head is not None:
        sheet.note("quiz.sheet.not_a_table", {"file": display, "name": "sheet"})
    answers = parsed.get("answers")
    table = answers if isinstance(answers, dict) else {}
    if answers is not None and not isinstance(answers, dict):
        sheet.note("quiz.sheet.not_a_table", {"file": display, "name": "answers"})
    # Lenient: answers written above [answers] (at the top level) count too.
    known = set(known_ids)
    other = set(other_ids)
    top = {k: v for k, v in parsed.items() if k in known or k in other}
    unknown: list[str] = []  # the first few, shown
    n_unknown = 0
    not_asked: list[str] = []
    for qid, value in {**top, **table}.items():
        if qid in known:
            sheet.answers[qid] = value
        elif qid in other:
            if value not in ("", None, []):
                not_asked.append(clean(qid)[:NAME_CHARS])
        else:
            n_unknown += 1
            if len(unknown) < SHOWN_IDS:
                unknown.append(qid)
    if n_unknown == 1:
        qid = unknown[0]
        close = difflib.get_close_matches(qid, known_ids, n=1) if len(qid) <= 2 * NAME_CHARS else []
        key = "quiz.sheet.unknown_id_close" if close else "quiz.sheet.unknown_id"
        sheet.note(key, {"file": display, "id": clean(qid)[:NAME_CHARS], "close": close[0] if close else ""})
    elif n_unknown:
        # One line however many: a sheet of another quiz has dozens, a hostile one thousands.
        shown = []
        for qid in unknown:
            close = difflib.get_close_matches(qid, known_ids, n=1) if len(qid) <= 2 * NAME_CHARS else []
            shown.append(clean(qid)[:NAME_CHARS] + (f" (→ {close[0]})" if close else ""))
        sheet.note("quiz.sheet.unknown_ids", {"file": display, "count": n_unknown, "ids": ", ".join(shown),
                                              "more": _more(n_unknown - len(shown))})
    if not_asked:
        sheet.note("quiz.sheet.not_in_assignment", {"file": display, "count": len(not_asked),
                                                    "ids": ", ".join(not_asked[:SHOWN_IDS]),
                                                    "more": _more(len(not_asked) - SHOWN_IDS)})
    for name in parsed:
        if name not in ("sheet", "answers") and name not in known and name not in other:
            sheet.note("quiz.sheet.unknown_table", {"file": display, "name": clean(str(name))[:NAME_CHARS]})
    if sheet.unlisted:
        sheet.notices.append(Notice("quiz.sheet.more_notices", {"file": display, "count": sheet.unlisted}))
    return sheet


def _more(count: int) -> Message | str:
    """", and 3 more" after the ids a notice names, or nothing."""
    return msg("quiz.sheet.more_ids", count=count) if count > 0 else ""


def _read_text(path: Path, display: str, notices: list[Notice]) -> str | None:
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode):
            notices.append(Notice("quiz.sheet.not_regular", {"file": display}))
            return None
        if info.st_size > MAX_BYTES:
            notices.append(Notice("quiz.sheet.too_large", {"file": display, "limit_kb": MAX_BYTES >> 10}))
            return None
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        notices.append(Notice("quiz.sheet.unreadable", {"file": display, "error": clean(exc.strerror or str(exc))}))
        return None
    return _decode(data, display, notices)


def _decode(data: bytes, display: str, notices: list[Notice]) -> str | None:
    if len(data) > MAX_BYTES:
        notices.append(Notice("quiz.sheet.too_large", {"file": display, "limit_kb": MAX_BYTES >> 10}))
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        notices.append(Notice("quiz.sheet.encoding", {"file": display}))
        return data.decode("utf-8-sig", errors="replace")


def _line_by_line(text: str, sheet: Sheet, display: str) -> dict[str, Any]:
    """Recover what can be read from a sheet that is not valid TOML as a whole."""
    data: dict[str, Any] = {}
    table = data
    lines = text.splitlines()
    if len(lines) > MAX_LINES:
        sheet.note("quiz.sheet.too_many_lines", {"file": display, "limit": MAX_LINES})
        lines = lines[:MAX_LINES]
    i = 0
    while i < len(lines):
        line, number = lines[i], i + 1
        i += 1
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        header = _HEADER.match(line)
        if header:
            table = data.setdefault(header.group(1), {})
            if not isinstance(table, dict):
                table = {}
            continue
        chunk = line
        while chunk.count("[") > chunk.count("]") and i < len(lines) and i - number < 20:
            chunk += "\n" + lines[i]  # a list written over several lines
            i += 1
        parsed, error = parse_toml(chunk)
        if parsed is not None:
            table.update(parsed)
            continue
        key = _KEY.match(line)
        qid = (key.group(1) or key.group(2)) if key else None
        if qid and len(sheet.line_errors) < MAX_NOTICES * 10:
            sheet.line_errors[clean(qid)[:NAME_CHARS]] = msg("quiz.error.unreadable_line", line=number, error=error)
        else:
            sheet.note("quiz.sheet.bad_line", {"file": display, "line": number})
    return data


# ------------------------------------------------------------------ writing
def answer_to_toml(value: Any) -> Any:
    """A raw answer as it can be written back (unwritable values become unanswered)."""
    if isinstance(value, (str, bool, int, float)) and not (isinstance(value, float) and value != value):
        return value
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
        return value
    return ""


def render_sheet(bank: Bank, variants: dict[str, Variant], student: str, assignment: str,
                 fingerprint: str, answers: dict[str, Any], lang: str) -> str:
    """The whole sheet, questions as comments in ``lang`` above each answer line."""
    def t(key: str, **p: Any) -> str:
        return render(msg(key, **p), lang)

    lines = toml_out.comment(t("quiz.sheet.header"))
    lines += toml_out.comment(t("quiz.sheet.instructions"))
    lines += ["", "[sheet]", f"format = {FORMAT}", f"student = {toml_out.string(student)}",
              f"assignment = {toml_out.string(assignment)}", f"variant = {toml_out.string(fingerprint)}",
              f"lang = {toml_out.string(lang)}", "", "[answers]"]
    number = 0
    for quiz in bank.quizzes:
        lines += ["", *toml_out.comment(f"==== {quiz.title.get(lang)} ====")]
        for q in quiz.questions:
            number += 1
            lines += ["", *question_comment(q, variants[q.id], number, lang)]
            lines.append(f"{q.id} = {toml_out.value(answer_to_toml(answers.get(q.id, '')))}")
    extra = [k for k in answers if k not in variants]
    if extra:
        lines += ["", *toml_out.comment(t("quiz.sheet.kept_unknown"))]
        lines += [f"{toml_out.key(k)} = {toml_out.value(answer_to_toml(answers[k]))}" for k in extra]
    return "\n".join(lines) + "\n"


def question_comment(q: Question, variant: Variant, number: int, lang: str) -> list[str]:
    """The question as the student sees it: number, text, options, how to answer."""
    def t(key: str, **p: Any) -> str:
        return render(msg(key, **p), lang)

    kind = t(f"quiz.kind.{q.type}" if not (q.type == NUMERIC and q.count > 1) else "quiz.kind.numbers",
             count=q.count)
    head = t("quiz.sheet.question_head", number=number, kind=kind, points=shown(q.points))
    out = toml_out.comment(head)
    out += toml_out.comment(q.text.format(variant.params).get(lang))
    for letter, key in zip(variant.letters, variant.order, strict=True):
        out += toml_out.comment(f"{letter}. {q.option(key).text.get(lang)}", indent="  ")
    how = {SINGLE: "quiz.how.single", MULTIPLE: "quiz.how.multiple", TRUEFALSE: "quiz.how.truefalse",
           NUMERIC: "quiz.how.number_format" if q.count == 1 else "quiz.how.numbers_format"}[q.type]
    # No example number: it could be the key of a question (tryout finding 5).
    out += toml_out.comment(t(how, letters=variant.letters[-1:] or "", count=q.count), indent="  ")
    if q.type == NUMERIC and (q.tolerance or q.rel_tolerance):
        tol = f"{q.tolerance:g}" if q.tolerance else f"{q.rel_tolerance:.0%}"
        out += toml_out.comment(t("quiz.how.tolerance", tolerance=tol), indent="  ")
    return out


def write_sheet(path: Path, text: str) -> None:
    """Write atomically, so an interrupted session never leaves half a sheet."""
    write_atomic(path, text)
