"""The course file, ``course.toml``: its model, and loading it with clear errors.

The format is documented in ``docs/course.md``. In short::

    [course]
    salt = "2025-autumn"            # term salt of every student's seed
    timezone = "+08:00"             # for date-times written without an offset

    [defaults]                      # applies to every assignment that does not say otherwise
    late = { per_day = 10, cap = 50, grace_minutes = 15 }

    [[assignment]]
    name = "week3"                  # part of every student's seed: set it before the release
    exercises = ["rnn_step", "rnn", "birnn"]
    questions = ["recurrent"]       # quiz ids or question ids; [] for no quiz
    release = 2025-03-01T08:00:00+08:00
    due = 2025-03-08T23:59:00+08:00
    points = { rnn = 20, quiz = 10 }
    kinds = { mutation = 0 }
    extensions = { "2023001" = 2 }
    visibility = { after_due = ["backward"] }
    capstone = true                 # run the capstone's training stage (off by default)

:func:`load` reads and validates the whole file and raises one
:class:`CourseFileError` listing every problem, each naming its key
(``course.toml: [[assignment]] "week3": late.per_day must be ...``), so an
instructor fixes a course file in one pass. What exists (exercise names, check ids,
quiz and question ids) is handed in by the caller (:class:`Known`): this module
imports no exercise spec and no bank.

Without a course file, :func:`default_course` has the one assignment rnngrade has
always graded (``rnn-lstm``: every exercise, every question, no salt, no dates, no
weights).

Over 400 lines: one job, the course file's model and its validation, field by field, each
with an error message that names the file, the assignment and the field.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import re
import tomllib
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..checks.model import Kind
from ..checks.policy import Weights
from ..course import COURSE_FILE
from ..seed import DEFAULT_ASSIGNMENT, AssignmentId
from .late import LatePolicy

QUIZ = "quiz"  # the concept quiz, as an exercise name in points and visibility
NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
VISIBILITIES = ("visible", "after_due_date", "hidden")  # Gradescope's words, least to most restricted
WEIGHTED_KINDS = tuple(k.value for k in Kind if k != Kind.ERROR)

COURSE_KEYS = ("title", "salt", "timezone")
ASSIGNMENT_KEYS = ("name", "title", "exercises", "questions", "release", "due", "answers_after", "practice",
                   "points", "kinds", "late", "extensions", "visibility", "capstone")
DEFAULT_KEYS = ("answers_after", "practice", "points", "kinds", "late", "extensions", "visibility", "capstone")
LATE_KEYS = ("per_day", "cap", "grace_minutes")
VISIBILITY_KEYS = ("after_due", "hidden")


class CourseFileError(Exception):
    """The course file is malformed, or an assignment asked for does not exist;
    ``problems`` lists every problem, each naming the file and the key."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Known:
    """What the course's material defines, for validating names in the course file:
    exercise name -> its check ids (in the order graded), quiz id -> its question ids.
    ``quizzes`` is None where no bank could be read (then question ids are not checked)."""

    exercises: Mapping[str, Sequence[str]]
    quizzes: Mapping[str, Sequence[str]] | None = None

    def questions(self) -> list[str]:
        return [q for ids in (self.quizzes or {}).values() for q in ids]


@dataclass(frozen=True)
class Visibility:
    """Which graded items students see only after the due date, or never (they count all
    the same). A selector names a kind (``backward``), an exercise (``lstm``, ``quiz``), a
    check or an item (``lstm.grad``, ``lstm.grad.dWx``), or a question (``quiz.rnn_sharing``)."""

    after_due: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ()

    def level(self, item_id: str, exercise: str, kind: str) -> str:
        """``visible``, ``after_due_date`` or ``hidden`` for one graded item."""
        if any(_selects(s, item_id, exercise, kind) for s in self.hidden):
            return "hidden"
        if any(_selects(s, item_id, exercise, kind) for s in self.after_due):
            return "after_due_date"
        return "visible"

    def to_table(self) -> dict[str, list[str]]:
        return {k: list(v) for k, v in (("after_due", self.after_due), ("hidden", self.hidden)) if v}


def _selects(selector: str, item_id: str, exercise: str, kind: str) -> bool:
    return selector in (kind, exercise, item_id) or item_id.startswith(selector + ".")


@dataclass(frozen=True)
class Assignment:
    """One assignment of the course (the default: everything, as without a course file)."""

    name: str = DEFAULT_ASSIGNMENT
    title: tuple[str, str] | None = None  # (zh, en)
    salt: str = ""
    exercises: tuple[str, ...] | None = None  # spec names in the order shown; None: every exercise
    questions: tuple[str, ...] | None = None  # quiz or question ids; None: every question; (): no quiz
    release: _dt.datetime | None = None
    due: _dt.datetime | None = None
    answers_after: _dt.datetime | None = None  # the quiz's key shown after (None: as the bank says)
    practice: bool | None = None  # the quiz practice (formative) or counted (None: as the bank says)
    points: Mapping[str, float] = field(default_factory=dict)  # exercise (or quiz) -> total points
    kinds: Mapping[str, float] = field(default_factory=dict)  # kind -> factor
    late: LatePolicy | None = None
    extensions: Mapping[str, _dt.datetime | float] = field(default_factory=dict)  # student -> date or days
    visibility: Visibility = field(default_factory=Visibility)
    # The capstone's training stage (grader.capstone.stage, a few seconds per submission)
    # runs: off by default, so its items are then no part of the grade.
    capstone: bool = False

    @property
    def identity(self) -> AssignmentId:
        """What the per-student seed is made of (:mod:`grader.seed`)."""
        return AssignmentId(self.name, self.salt)

    @property
    def weights(self) -> Weights:
        return Weights(dict(self.points), dict(self.kinds))

    @property
    def is_default(self) -> bool:
        """Nothing set: grades exactly as without a course file."""
        return self == Assignment()

    def exercise_names(self, every: Sequence[str]) -> list[str]:
        """The exercises graded, in the order shown (``every``: all, in the lecture's order)."""
        return list(self.exercises) if self.exercises is not None else list(every)

    def question_ids(self, quizzes: Mapping[str, Sequence[str]]) -> list[str] | None:
        """The questions asked (quiz ids expanded in the bank's order), or None for all."""
        if self.questions is None:
            return None
        out: list[str] = []
        for selector in self.questions:
            for qid in quizzes.get(selector, (selector,)):
                if qid not in out:
                    out.append(qid)
        return out

    def due_for(self, student: str) -> _dt.datetime | None:
        """The student's due date: their extension's, else the assignment's."""
        extension = self.extensions.get(student)
        if isinstance(extension, _dt.datetime):
            return extension
        if extension is not None and self.due is not None:
            return self.due + _dt.timedelta(days=float(extension))
        return self.due

    def title_in(self, lang: str) -> str:
        if self.title is None:
            return self.name
        return self.title[0] if lang == "zh" else self.title[1]

    def public(self) -> Assignment:
        """What students may know of it: everything but the extensions (other students'
        circumstances)."""
        return replace(self, extensions={})


@dataclass(frozen=True)
class CourseFile:
    """A course: its assignments (the default course has one, ``rnn-lstm``)."""

    path: Path | None = None
    title: tuple[str, str] | None = None
    salt: str = ""
    timezone: _dt.tzinfo | None = None
    assignments: tuple[Assignment, ...] = (Assignment(),)

    def names(self) -> list[str]:
        return [a.name for a in self.assignments]

    def assignment(self, name: str | None = None) -> Assignment:
        """The assignment called ``name``; without a name, the only one (raises
        :class:`CourseFileError` when there are several, or none is called so)."""
        where = str(self.path) if self.path is not None else "the default course (no course file)"
        if name is None:
            if len(self.assignments) == 1:
                return self.assignments[0]
            raise CourseFileError([f"{where} has {len(self.assignments)} assignments ({', '.join(self.names())}): "
                                   f"choose one with --assignment NAME"])
        for a in self.assignments:
            if a.name == name:
                return a
        hint = _did_you_mean(name, self.names())
        raise CourseFileError([f"{where} has no assignment {name!r}{hint} (its assignments: "
                               f"{', '.join(self.names())})"])


def default_course() -> CourseFile:
    return CourseFile()


# ------------------------------------------------------------------ loading
def load(path: Path | str, known: Known | None = None) -> CourseFile:
    """Read and validate a course file; raises :class:`CourseFileError` naming every problem."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise CourseFileError([f"{path}: {exc.strerror or exc}"]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise CourseFileError([f"{path.name}: not valid TOML: {exc}"]) from exc
    return parse(data, path.name, known, path=path)


def parse(data: Mapping[str, Any], file: str = COURSE_FILE, known: Known | None = None,
          path: Path | None = None) -> CourseFile:
    """Validate the content of a course file (``file`` names it in the problems)."""
    p = _Parser(file, known)
    for key in sorted(set(data) - {"course", "defaults", "assignment"}):
        hint = " (did you mean [[assignment]]?)" if key in ("assignments", "homework", "week") else \
            _did_you_mean(key, ["course", "defaults", "assignment"], brackets=True)
        p.problem("", f"unknown table [{key}]{hint}")
    head = p.table(data, "course", "[course]")
    p.unknown(head, COURSE_KEYS, "[course] ")
    title = p.title(head, "[course] ")
    salt = p.string(head, "salt", "[course] ", default="")
    p.timezone = p.zone(head, "[course] ")
    defaults_raw = p.table(data, "defaults", "[defaults]")
    p.unknown(defaults_raw, DEFAULT_KEYS, "[defaults] ", moved={"name": "[[assignment]]", "exercises": "[[assignment]]",
                                                                "questions": "[[assignment]]", "due": "[[assignment]]",
                                                                "release": "[[assignment]]"})
    defaults = p.fields(defaults_raw, "[defaults] ", in_defaults=True)
    raw_assignments = data.get("assignment", [])
    if isinstance(raw_assignments, dict):
        p.problem("", "write each assignment as [[assignment]] (an array of tables), not [assignment]")
        raw_assignments = []
    if not isinstance(raw_assignments, list):
        p.problem("", "assignment must be a list of [[assignment]] tables")
        raw_assignments = []
    assignments: list[Assignment] = []
    for n, raw in enumerate(raw_assignments, start=1):
        a = p.assignment(raw, n, defaults, salt)
        if a is not None:
            if a.name in [b.name for b in assignments]:
                p.problem(f'[[assignment]] "{a.name}": ', "name is used by another assignment")
            assignments.append(a)
    if not raw_assignments and not p.problems:
        # Only course-wide settings: the one default assignment, with them.
        a = p.assignment({"name": DEFAULT_ASSIGNMENT}, 1, defaults, salt)
        assignments = [a] if a is not None else []
    if p.problems:
        raise CourseFileError(p.problems)
    return CourseFile(path, title, salt, p.timezone, tuple(assignments))


def _did_you_mean(word: str, choices: Iterable[str], brackets: bool = False) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not close:
        return ""
    return f" (did you mean [{close[0]}]?)" if brackets else f" (did you mean {close[0]!r}?)"


class _Parser:
    """Reads values of the course file, appending a problem that names the key for each
    bad one (and keeping a safe default, so every problem is found in one pass)."""

    def __init__(self, file: str, known: Known | None) -> None:
        self.file = file
        self.known = known
        self.problems: list[str] = []
        self.timezone: _dt.tzinfo | None = None

    def problem(self, where: str, text: str) -> None:
        self.problems.append(f"{self.file}: {where}{text}")

    # ---------------------------------------------------------------- values
    def table(self, data: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            self.problem("", f"{where} must be a table")
            return {}
        return value

    def unknown(self, table: Mapping[str, Any], allowed: Sequence[str], where: str,
                moved: Mapping[str, str] | None = None) -> None:
        for key in sorted(set(table) - set(allowed)):
            if moved and key in moved:
                self.problem(where, f"{key} belongs in each {moved[key]}, not here")
            else:
                self.problem(where, f"unknown key {key!r}{_did_you_mean(key, allowed)}")

    def string(self, table: Mapping[str, Any], key: str, where: str, default: str = "") -> str:
        value = table.get(key, default)
        if not isinstance(value, str):
            self.problem(where, f"{key} must be a string (in quotes), not {_shown(value)}")
            return default
        return value

    def number(self, table: Mapping[str, Any], key: str, where: str, lo: float, hi: float | None,
               default: float | None, lo_open: bool = False) -> float | None:
        if key not in table:
            return default
        value = table[key]
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value == value
        if ok and (value < lo or (lo_open and value == lo) or (hi is not None and value > hi)):
            ok = False
        if not ok:
            span = f"from {lo:g} to {hi:g}" if hi is not None else f"of at least {lo:g}"
            if lo_open:
                span = f"above {lo:g}" + (f" and at most {hi:g}" if hi is not None else "")
            self.problem(where, f"{key} must be a number {span}, not {_shown(value)}")
            return default
        return float(value)

    def boolean(self, table: Mapping[str, Any], key: str, where: str) -> bool | None:
        if key not in table:
            return None
        if not isinstance(table[key], bool):
            self.problem(where, f"{key} must be true or false, not {_shown(table[key])}")
            return None
        return table[key]

    def names(self, table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...] | None:
        if key not in table:
            return None
        value = table[key]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(where, f"{key} must be a list of names in quotes, e.g. {key} = [\"a\", \"b\"]")
            return None
        for v in sorted({v for v in value if value.count(v) > 1}):
            self.problem(where, f"{key} lists {v!r} twice")
        return tuple(dict.fromkeys(value))

    def title(self, table: Mapping[str, Any], where: str) -> tuple[str, str] | None:
        if "title" not in table:
            return None
        value = table["title"]
        if not isinstance(value, dict) or set(value) != {"zh", "en"} or \
                not all(isinstance(v, str) and v.strip() for v in value.values()):
            self.problem(where, 'title needs a zh and an en text: title.zh = "...", title.en = "..."')
            return None
        return value["zh"], value["en"]

    def zone(self, table: Mapping[str, Any], where: str) -> _dt.tzinfo | None:
        if "timezone" not in table:
            return None
        value = table["timezone"]
        if isinstance(value, str):
            m = re.fullmatch(r"([+-])(\d{2}):(\d{2})", value.strip())
            if m and int(m[2]) <= 23 and int(m[3]) <= 59:
                sign = 1 if m[1] == "+" else -1
                return _dt.timezone(sign * _dt.timedelta(hours=int(m[2]), minutes=int(m[3])))
            try:
                return zoneinfo.ZoneInfo(value.strip())
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                pass
        self.problem(where, f"timezone must be an offset like \"+08:00\" or a zone name like \"Asia/Shanghai\", "
                            f"not {_shown(value)}")
        return None

    def moment(self, table: Mapping[str, Any], key: str, where: str) -> _dt.datetime | None:
        if key not in table:
            return None
        return self.when(table[key], key, where)

    def when(self, value: Any, key: str, where: str) -> _dt.datetime | None:
        """A date-time: TOML's own (with an offset, or local with the course's timezone)
        or the same as an ISO 8601 string."""
        if isinstance(value, str):
            try:
                value = _dt.datetime.fromisoformat(value.strip())
            except ValueError:
                pass
        if isinstance(value, _dt.datetime):
            if value.tzinfo is not None:
                return value
            if self.timezone is not None:
                return value.replace(tzinfo=self.timezone)
            self.problem(where, f"{key} = {value.isoformat()} has no UTC offset: write it as "
                                f"{value.isoformat()}+08:00 (your offset), or set timezone in [course]")
            return None
        if isinstance(value, _dt.date):
            self.problem(where, f"{key} needs a time too, e.g. {value.isoformat()}T23:59:00+08:00")
            return None
        self.problem(where, f"{key} must be a date-time such as 2025-03-08T23:59:00+08:00, not {_shown(value)}")
        return None

    # ---------------------------------------------------------------- fields
    def fields(self, raw: Mapping[str, Any], where: str, in_defaults: bool = False) -> dict[str, Any]:
        """The settings an assignment and [defaults] share, parsed (bad ones left out)."""
        out: dict[str, Any] = {}
        for key in ("answers_after",):
            if key in raw:
                out[key] = self.moment(raw, key, where)
        if "practice" in raw:
            out["practice"] = self.boolean(raw, "practice", where)
        if "capstone" in raw:
            out["capstone"] = self.boolean(raw, "capstone", where)
        for key in ("points", "kinds"):
            if key in raw:
                table = raw[key]
                if not isinstance(table, dict):
                    self.problem(where, f"{key} must be a table, e.g. {key} = {{ lstm = 20 }}")
                    continue
                values = {}
                for name in table:
                    v = self.number(table, name, where + f"{key}.", 0, None, None)
                    if v is not None:
                        values[str(name)] = v
                out[key] = values
        if "late" in raw:
            out["late"] = self.late(raw["late"], where)
        if "extensions" in raw:
            out["extensions"] = self.extensions(raw["extensions"], where, in_defaults)
        if "visibility" in raw:
            table = raw["visibility"]
            if not isinstance(table, dict):
                self.problem(where, "visibility must be a table: visibility = { after_due = [...], hidden = [...] }")
            else:
                self.unknown(table, VISIBILITY_KEYS, where + "visibility: ")
                vis = {k: self.names(table, k, where + "visibility.") or () for k in VISIBILITY_KEYS}
                for both in sorted(set(vis["after_due"]) & set(vis["hidden"])):
                    self.problem(where, f"visibility: {both!r} is both in after_due and in hidden")
                out["visibility"] = vis
        return out

    def late(self, raw: Any, where: str) -> dict[str, float] | None:
        if not isinstance(raw, dict):
            self.problem(where, "late must be a table: late = { per_day = 10, cap = 50, grace_minutes = 15 }")
            return None
        self.unknown(raw, LATE_KEYS, where + "late: ")
        if "per_day" not in raw:
            self.problem(where, "late.per_day is missing: the percent of the score a hand-in loses per day late")
        out = {"per_day": self.number(raw, "per_day", where + "late.", 0, 100, None, lo_open=True),
               "cap": self.number(raw, "cap", where + "late.", 0, 100, 100.0, lo_open=True),
               "grace_minutes": self.number(raw, "grace_minutes", where + "late.", 0, None, 0.0)}
        return None if any(v is None for v in out.values()) else out  # type: ignore[return-value]

    def extensions(self, raw: Any, where: str, in_defaults: bool) -> dict[str, Any]:
        if not isinstance(raw, dict):
            self.problem(where, 'extensions must be a table: extensions = { "2023001" = 2 } (days, or a new due date)')
            return {}
        out: dict[str, Any] = {}
        for student, value in raw.items():
            key = f'extensions."{student}"'
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                if value > 0:
                    out[str(student)] = float(value)
                    continue
                self.problem(where, f"{key} must be more than 0 days, not {_shown(value)}")
                continue
            if in_defaults:
                self.problem(where, f"{key} must be a number of days here (a new due date belongs in an assignment)")
                continue
            moment = self.when(value, key, where)
            if moment is not None:
                out[str(student)] = moment
        return out

    # ---------------------------------------------------------------- an assignment
    def assignment(self, raw: Any, n: int, defaults: Mapping[str, Any], salt: str) -> Assignment | None:
        if not isinstance(raw, dict):
            self.problem("", f"assignment {n} is not a table")
            return None
        name = raw.get("name")
        if not isinstance(name, str) or not NAME.match(name):
            self.problem(f"[[assignment]] {n}: ", f"name must be lower-case letters, digits, '_', '.' or '-' "
                                                  f"(at most 64), e.g. name = \"week3\"; got {_shown(name)}")
            return None
        where = f'[[assignment]] "{name}": '
        self.unknown(raw, ASSIGNMENT_KEYS, where)
        known = self.known
        exercises = self.names(raw, "exercises", where)
        if exercises is not None:
            if not exercises:
                self.problem(where, "exercises is empty: name at least one exercise (leave it out for all)")
            if known is not None:
                for e in exercises:
                    if e not in known.exercises:
                        hint = _did_you_mean(e, list(known.exercises))
                        self.problem(where, f"exercises: no exercise {e!r}{hint} (the exercises: "
                                            f"{', '.join(known.exercises)})")
        questions = self.names(raw, "questions", where)
        if questions is not None and known is not None and known.quizzes is not None:
            every = set(known.quizzes) | set(known.questions())
            for q in questions:
                if q not in every:
                    hint = _did_you_mean(q, sorted(every))
                    self.problem(where, f"questions: no quiz or question {q!r}{hint} (quizzes: "
                                        f"{', '.join(known.quizzes)})")
        release = self.moment(raw, "release", where)
        due = self.moment(raw, "due", where)
        if release is not None and due is not None and due < release:
            self.problem(where, f"due ({due.isoformat()}) is before release ({release.isoformat()})")
        own = self.fields(raw, where)
        merged = {k: v for k, v in defaults.items() if v is not None}
        for key, value in own.items():
            if key in ("points", "kinds", "extensions") and isinstance(value, dict):
                merged[key] = {**merged.get(key, {}), **value}
            elif key == "visibility" and isinstance(value, dict):
                base = merged.get(key, {"after_due": (), "hidden": ()})
                merged[key] = {k: tuple(dict.fromkeys(base.get(k, ()) + value.get(k, ()))) for k in VISIBILITY_KEYS}
            elif value is not None:
                merged[key] = value
        graded = list(exercises) if exercises is not None else list(known.exercises) if known else None
        has_quiz = questions is None or bool(questions)
        points = dict(merged.get("points", {}))
        for key in list(points):
            applies = key == QUIZ and has_quiz or graded is None or key in graded
            if not applies:
                if key in own.get("points", {}):
                    what = "this assignment has no quiz" if key == QUIZ else f"{key!r} is not one of its exercises"
                    self.problem(where, f"points.{key}: {what}")
                del points[key]  # a default for exercises this assignment does not have
        kinds = merged.get("kinds", {})
        for key in kinds:
            if key not in WEIGHTED_KINDS:
                self.problem(where, f"kinds.{key}: no such kind{_did_you_mean(key, WEIGHTED_KINDS)} "
                                    f"(the kinds: {', '.join(WEIGHTED_KINDS)})")
        late = merged.get("late")
        if late is not None and due is None:
            if "late" in own and "due" not in raw:
                self.problem(where, "late needs a due date (due = 2025-03-08T23:59:00+08:00)")
            late = None
        extensions = merged.get("extensions", {})
        if extensions and due is None:
            if "extensions" in own and "due" not in raw:
                self.problem(where, "extensions need a due date to extend")
            extensions = {}
        visibility = merged.get("visibility", {"after_due": (), "hidden": ()})
        for level in VISIBILITY_KEYS:
            for selector in visibility.get(level, ()):
                if not self._selector_known(selector, graded, has_quiz) and selector in own.get("visibility", {}).get(
                        level, ()):
                    self.problem(where, f"visibility.{level}: {selector!r} names no kind, exercise, check or question "
                                        "of this assignment")
        return Assignment(
            name=name, title=self.title(raw, where), salt=salt, exercises=exercises, questions=questions,
            release=release, due=due, answers_after=merged.get("answers_after"), practice=merged.get("practice"),
            points=points, kinds=dict(kinds), late=LatePolicy(**late) if late else None,
            extensions=dict(extensions),
            visibility=Visibility(tuple(visibility.get("after_due", ())), tuple(visibility.get("hidden", ()))),
            capstone=bool(merged.get("capstone", False)))

    def _selector_known(self, selector: str, graded: list[str] | None, has_quiz: bool) -> bool:
        if selector in WEIGHTED_KINDS or (selector == QUIZ and has_quiz):
            return True
        if self.known is None or graded is None:
            return True
        if selector in graded:
            return True
        if selector.startswith(QUIZ + ".") and has_quiz:
            qid = selector[len(QUIZ) + 1:]
            return self.known.quizzes is None or qid in self.known.questions()
        checks = [c for name in graded for c in self.known.exercises.get(name, ())]
        return any(c == selector or c.startswith(selector + ".") or selector.startswith(c + ".") for c in checks)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
