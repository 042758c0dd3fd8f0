"""Load a question bank folder and validate it (the format is in ``docs/quiz.md``).

Every problem is collected, each naming its file and question, and raised together
as one :class:`BankError`, so an instructor fixes a bank in one pass: duplicate ids,
an answer naming an option that does not exist, a missing translation, a parameter
the text never shows, a formula that is not in ``formulas.py``, a misspelt field.

Parametrised questions: the numbers are drawn publicly (ranges in the TOML, drawn by
:mod:`.variants`); the answer is computed by a named function in the key folder's
``formulas.py`` (trusted instructor code, like the reference solutions). TOML text
is never evaluated.
"""

from __future__ import annotations

import inspect
import marshal
import math
import re
import string
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..i18n import parsed_cache
from ..reference import source_module
from .model import (
    CHOICE_TYPES,
    MULTIPLE,
    NUMERIC,
    SCORING,
    SINGLE,
    TRUEFALSE,
    TYPES,
    Bank,
    Option,
    ParamSpec,
    Question,
    Quiz,
    Section,
    Text,
)
from .policy import FIELDS, RETIRED, QuizPolicy

SECTIONS_FILE = "sections.toml"
FORMULAS_FILE = "formulas.py"
NOT_QUIZZES = {SECTIONS_FILE, "quiz_answers.toml"}
ID = re.compile(r"^[a-z][a-z0-9_]*$")
KEY_FIELDS = {"answer", "formula", "explanation"}
QUESTION_FIELDS = {"id", "section", "type", "text", "points", "option", "shuffle", "scoring", "params", "count",
                   "tolerance", "rel_tolerance", "check"} | KEY_FIELDS
QUIZ_FIELDS = {"id", "title", "points", "scoring", *FIELDS, *RETIRED}


class BankError(Exception):
    """The bank is malformed; ``problems`` lists every problem found."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid quiz bank:\n  " + "\n  ".join(problems))


def quiz_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.toml") if p.name not in NOT_QUIZZES)


def load_bank(folder: Path | str, with_key: bool) -> Bank:
    """Read and validate the bank in ``folder``; raises :class:`BankError`.

    ``with_key``: the instructor's bank (answers, formulas and explanations required);
    otherwise the student bank (the key must be absent)."""
    folder = Path(folder)
    problems: list[str] = []
    if not folder.is_dir():
        raise BankError([f"{folder}: quiz bank folder not found"])
    sections = _load_sections(folder / SECTIONS_FILE, problems)
    formulas = _load_formulas(folder / FORMULAS_FILE, problems) if with_key else {}
    quizzes: list[Quiz] = []
    seen: dict[str, str] = {}
    files = quiz_files(folder)
    if not files:
        problems.append(f"{folder}: no quiz files (*.toml besides {SECTIONS_FILE})")
    for path in files:
        data = _read_toml(path, problems)
        if data is not None:
            quiz = _quiz(path.name, data, sections, formulas, with_key, problems)
            for q in quiz.questions:
                if q.id in seen:
                    problems.append(f"{path.name}: question id {q.id!r} is already used in {seen[q.id]}")
                seen[q.id] = path.name
            quizzes.append(quiz)
    if len({z.id for z in quizzes}) != len(quizzes):
        problems.append(f"{folder}: two quiz files have the same quiz id")
    if problems:
        raise BankError(problems)
    return Bank(str(folder), sections, quizzes, with_key, formulas)


# Parsed bank files, per process, by (path, mtime, size, inode): a batch worker grading
# hundreds of quiz sheets parses the bank once (~30 ms a grade), and a changed file is
# read again. Kept as marshal bytes (this process's own data, never a file): each caller
# gets a fresh copy, ten times cheaper than deepcopy.
_PARSED: dict[tuple[str, int, int, int], bytes] = {}
_PARSED_MAX = 64


def _read_toml(path: Path, problems: list[str]) -> dict[str, Any] | None:
    try:
        st = path.stat()
        key = (str(path.resolve()), st.st_mtime_ns, st.st_size, st.st_ino)
        kept = _PARSED.get(key)
        if kept is not None:
            return marshal.loads(kept)
        data = parsed_cache.toml(path.read_bytes())  # kept between processes, by its bytes
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        problems.append(f"{path.name}: {exc}")
        return None
    try:
        kept = marshal.dumps(data)
    except ValueError:  # a TOML date or time: not kept, read again next time
        return data
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.clear()
    _PARSED[key] = kept
    return marshal.loads(kept)


def _text(value: Any, where: str, problems: list[str]) -> Text:
    if not isinstance(value, dict):
        problems.append(f"{where}: expected a zh and an en text (e.g. text.zh = \"...\", text.en = \"...\")")
        return Text("", "")
    for lang in ("zh", "en"):
        if not isinstance(value.get(lang), str) or not value[lang].strip():
            problems.append(f"{where}: missing {lang} translation")
    for extra in sorted(set(value) - {"zh", "en"}):
        problems.append(f"{where}: unknown language {extra!r} (use zh and en)")
    return Text(str(value.get("zh", "")), str(value.get("en", "")))


def _load_sections(path: Path, problems: list[str]) -> dict[str, Section]:
    if not path.is_file():
        problems.append(f"{SECTIONS_FILE}: missing (the lecture map every question points to)")
        return {}
    data = _read_toml(path, problems) or {}
    out: dict[str, Section] = {}
    for sid, table in (data.get("section") or {}).items():
        where = f"{SECTIONS_FILE}: section {sid!r}"
        if not ID.match(sid) or not isinstance(table, dict):
            problems.append(f"{where}: ids are lower_snake_case tables")
            continue
        lecture = table.get("lecture")
        if not isinstance(lecture, str) or not lecture:
            problems.append(f"{where}: needs lecture = \"<the lecture's heading>\"")
        out[sid] = Section(sid, _text(table.get("title"), f"{where} title", problems), str(lecture or ""))
    if not out:
        problems.append(f"{SECTIONS_FILE}: no [section.<id>] tables")
    return out


def _load_formulas(path: Path, problems: list[str]) -> dict[str, Callable[..., Any]]:
    """The public functions of the key's ``formulas.py`` (trusted instructor code)."""
    if not path.is_file():
        return {}
    try:
        module = source_module("_rnngrade_quiz_formulas", path)  # from source: no __pycache__ read
    except Exception as exc:  # instructor code: report, do not crash
        problems.append(f"{FORMULAS_FILE}: cannot import: {exc!r}")
        return {}
    return {name: obj for name, obj in vars(module).items()
            if inspect.isfunction(obj) and obj.__module__ == module.__name__ and not name.startswith("_")}


def _quiz(file: str, data: dict[str, Any], sections: dict[str, Section], formulas: dict[str, Callable[..., Any]],
          with_key: bool, problems: list[str]) -> Quiz:
    head = data.get("quiz")
    if not isinstance(head, dict):
        problems.append(f"{file}: needs a [quiz] table (id, title)")
        head = {}
    for extra in sorted(set(head) - QUIZ_FIELDS):
        problems.append(f"{file}: unknown field quiz.{extra}")
    for extra in sorted(set(data) - {"quiz", "question"}):
        problems.append(f"{file}: unknown table {extra!r} (expected [quiz] and [[question]])")
    qid = head.get("id", Path(file).stem)
    if not isinstance(qid, str) or not ID.match(qid):
        problems.append(f"{file}: quiz.id must be lower_snake_case")
    policy = QuizPolicy.from_table(head, file, problems)
    default_points = head.get("points", 1)
    default_scoring = head.get("scoring", SCORING[0])
    if default_scoring not in SCORING:
        problems.append(f"{file}: quiz.scoring must be one of {', '.join(SCORING)}")
    quiz = Quiz(str(qid), _text(head.get("title"), f"{file}: quiz.title", problems), file, [], policy)
    raw_questions = data.get("question", [])
    if not isinstance(raw_questions, list) or not raw_questions:
        problems.append(f"{file}: no [[question]] entries")
        raw_questions = []
    for n, raw in enumerate(raw_questions, start=1):
        q = _question(file, n, raw, quiz, default_points, default_scoring, sections, formulas, with_key, problems)
        if q is not None:
            quiz.questions.append(q)
    return quiz


def _question(file: str, n: int, raw: Any, quiz: Quiz, default_points: Any, default_scoring: str,
              sections: dict[str, Section], formulas: dict[str, Callable[..., Any]], with_key: bool,
              problems: list[str]) -> Question | None:
    if not isinstance(raw, dict):
        problems.append(f"{file}: question {n} is not a table")
        return None
    qid = raw.get("id")
    if not isinstance(qid, str) or not ID.match(qid):
        problems.append(f"{file}: question {n} needs id = \"lower_snake_case\" (got {qid!r})")
        return None
    where = f"{file}: question {qid!r}"
    start = len(problems)
    for extra in sorted(set(raw) - QUESTION_FIELDS):
        problems.append(f"{where}: unknown field {extra!r}")
    if not with_key:
        for leaked in sorted(set(raw) & KEY_FIELDS):
            problems.append(f"{where}: the student bank must not contain {leaked!r} (part of the key)")
    qtype = raw.get("type")
    if qtype not in TYPES:
        problems.append(f"{where}: type must be one of {', '.join(TYPES)} (got {qtype!r})")
        return None
    section = raw.get("section")
    if section not in sections:
        problems.append(f"{where}: section {section!r} is not in {SECTIONS_FILE}")
    points = raw.get("points", default_points)
    if isinstance(points, bool) or not isinstance(points, (int, float)) or not points > 0:
        problems.append(f"{where}: points must be a positive number")
        points = 1
    q = Question(id=qid, quiz=quiz.id, section=str(section), type=qtype,
                 text=_text(raw.get("text"), f"{where} text", problems), points=float(points),
                 shuffle=raw.get("shuffle", True) is not False, scoring=raw.get("scoring", default_scoring))
    if q.scoring not in SCORING:
        problems.append(f"{where}: scoring must be one of {', '.join(SCORING)}")
    _options(raw, q, where, problems)
    _params(raw, q, where, problems)
    if with_key:
        _key(raw, q, where, formulas, problems)
    elif quiz.policy.practice and not q.parametrised:
        q.check = raw.get("check")
        if not isinstance(q.check, dict) or not isinstance(q.check.get("salt"), str):
            problems.append(f"{where}: a practice quiz needs the check table written by `rnngrade generate`")
    elif "check" in raw:
        problems.append(f"{where}: check digests are shipped only for non-parametrised questions of a practice "
                        "quiz (a counted quiz's release holds no key material)")
    if with_key and "check" in raw:
        problems.append(f"{where}: check digests belong to the generated student bank, not the key")
    return q if len(problems) == start else None


def _options(raw: dict[str, Any], q: Question, where: str, problems: list[str]) -> None:
    options = raw.get("option")
    if q.type not in CHOICE_TYPES:
        if options is not None:
            problems.append(f"{where}: a {q.type} question has no options")
        return
    if not isinstance(options, dict) or len(options) < 2:
        problems.append(f"{where}: a {q.type} question needs at least two options (option.<key>.zh/en)")
        return
    if len(options) > 26:
        problems.append(f"{where}: at most 26 options (letters A-Z)")
    for key, text in options.items():
        if not ID.match(key):
            problems.append(f"{where}: option key {key!r} must be lower_snake_case")
        q.options.append(Option(key, _text(text, f"{where} option {key!r}", problems)))


def _params(raw: dict[str, Any], q: Question, where: str, problems: list[str]) -> None:
    params = raw.get("params", {})
    if not isinstance(params, dict):
        problems.append(f"{where}: params must be a table of parameter specs")
        return
    if params and q.type != NUMERIC:
        problems.append(f"{where}: only numeric questions have drawn parameters")
    for name, spec in params.items():
        p = _param_spec(name, spec, f"{where} params.{name}", problems)
        if p is not None:
            q.params[name] = p
    count = raw.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        problems.append(f"{where}: count must be a positive integer")
    else:
        q.count = count
    for name in ("tolerance", "rel_tolerance"):
        value = raw.get(name, 0.0)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            problems.append(f"{where}: {name} must be a number >= 0")
        else:
            setattr(q, name, float(value))
    if (q.tolerance or q.rel_tolerance) and q.type != NUMERIC:
        problems.append(f"{where}: tolerances apply to numeric questions only")
    _fields_known(q.text, set(q.params), f"{where} text", problems, require=set(q.params))


def _param_spec(name: str, spec: Any, where: str, problems: list[str]) -> ParamSpec | None:
    if not name.isidentifier() or name == "answer":
        problems.append(f"{where}: parameter names are identifiers (and not 'answer')")
        return None
    if not isinstance(spec, dict) or set(spec) - {"range", "step", "choices"}:
        problems.append(f"{where}: expected {{ range = [lo, hi] }}, {{ range = [lo, hi], step = s }} "
                        "or {{ choices = [...] }}")
        return None
    if "choices" in spec:
        choices = spec["choices"]
        if (not isinstance(choices, list) or not choices or "range" in spec
                or not all(_is_number(c) for c in choices)):
            problems.append(f"{where}: choices must be a non-empty list of numbers (and no range)")
            return None
        return ParamSpec(name, choices=tuple(choices))
    rng = spec.get("range")
    if not (isinstance(rng, list) and len(rng) == 2 and all(_is_number(v) for v in rng) and rng[0] <= rng[1]):
        problems.append(f"{where}: range must be [lo, hi] with lo <= hi")
        return None
    step = spec.get("step")
    if step is None:
        if not all(isinstance(v, int) for v in rng):
            problems.append(f"{where}: a range of non-integers needs a step")
            return None
        return ParamSpec(name, rng[0], rng[1])
    if not _is_number(step) or step <= 0:
        problems.append(f"{where}: step must be a positive number")
        return None
    return ParamSpec(name, float(rng[0]), float(rng[1]), float(step))


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _fields_known(text: Text, allowed: set[str], where: str, problems: list[str],
                  require: set[str] | None = None) -> None:
    """Check ``{name}`` fields of a text that is formatted with parameters."""
    if not allowed:
        return  # texts without parameters are shown literally
    for lang in ("zh", "en"):
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(text.get(lang)) if f is not None}
        except ValueError as exc:
            problems.append(f"{where} ({lang}): {exc} (write {{{{ and }}}} for literal braces)")
            continue
        for f in sorted(fields - allowed):
            problems.append(f"{where} ({lang}): unknown field {{{f}}} (known: {', '.join(sorted(allowed))})")
        for f in sorted((require or set()) - fields):
            problems.append(f"{where} ({lang}): never shows the drawn parameter {{{f}}}")


def _key(raw: dict[str, Any], q: Question, where: str, formulas: dict[str, Callable[..., Any]],
         problems: list[str]) -> None:
    q.explanation = _text(raw.get("explanation"), f"{where} explanation", problems)
    _fields_known(q.explanation, set(q.params) | {"answer"}, f"{where} explanation", problems)
    answer, formula = raw.get("answer"), raw.get("formula")
    keys = [o.key for o in q.options]
    if q.type == SINGLE:
        if not isinstance(answer, str) or answer not in keys:
            problems.append(f"{where}: answer {answer!r} is not one of the option keys ({', '.join(keys)})")
    elif q.type == MULTIPLE:
        if not isinstance(answer, list) or not answer or not all(isinstance(a, str) for a in answer):
            problems.append(f"{where}: answer must be a non-empty list of option keys")
        else:
            for a in answer:
                if a not in keys:
                    problems.append(f"{where}: answer {a!r} is not one of the option keys ({', '.join(keys)})")
            if len(set(answer)) != len(answer):
                problems.append(f"{where}: answer lists an option twice")
    elif q.type == TRUEFALSE:
        if not isinstance(answer, bool):
            problems.append(f"{where}: answer must be true or false")
    elif q.params:
        if answer is not None:
            problems.append(f"{where}: a parametrised question has a formula, not a fixed answer")
        if formula not in formulas:
            problems.append(f"{where}: formula {formula!r} is not a function in {FORMULAS_FILE}")
        else:
            wanted = set(inspect.signature(formulas[formula]).parameters)
            if wanted != set(q.params):
                problems.append(f"{where}: formula {formula}({', '.join(sorted(wanted))}) does not take "
                                f"exactly the drawn parameters ({', '.join(sorted(q.params))})")
    else:
        if formula is not None:
            problems.append(f"{where}: a formula needs drawn parameters (params.<name>)")
        values = answer if isinstance(answer, list) else [answer]
        if not values or not all(_is_number(v) for v in values):
            problems.append(f"{where}: answer must be a number or a list of numbers")
        elif len(values) != q.count:
            problems.append(f"{where}: answer has {len(values)} numbers but count = {q.count}")
        elif not (q.tolerance or q.rel_tolerance) and not all(float(v).is_integer() for v in values if v is not None):
            problems.append(f"{where}: a non-integer answer needs a tolerance")
    if q.type == NUMERIC and q.count > 1 and (q.tolerance or q.rel_tolerance):
        problems.append(f"{where}: answers of several numbers (shapes, counts) are integers and exact")
    q.answer, q.formula = answer, formula if q.params else None
    if q.params and formula in formulas and not problems_since(problems, where):
        for k in (0, -1):  # the smallest and the largest draw
            drawn = {n: p.value(k % p.count()) for n, p in q.params.items()}
            try:
                numbers = formula_values(formulas[formula](**drawn), q.count)
            except Exception as exc:  # instructor code
                problems.append(f"{where}: formula {formula}{drawn} failed: {exc!r}")
                break
            if numbers is None:
                problems.append(f"{where}: formula {formula}{drawn} must return {q.count} finite number(s)")
                break


def problems_since(problems: list[str], where: str) -> bool:
    return any(p.startswith(where) for p in problems)


def formula_values(value: Any, count: int) -> list[float] | None:
    """A formula's result as ``count`` finite floats, or None when it is not that."""
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    try:
        out = [float(v) for v in values]
    except (TypeError, ValueError):
        return None
    if len(out) != count or not all(math.isfinite(v) for v in out):
        return None
    return out
