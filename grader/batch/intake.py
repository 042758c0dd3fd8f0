"""What a class folder holds, as the entries a batch grades (the intake).

A hand-in is one of:

* a sub-folder, a ``.py`` file, a ``.ipynb`` notebook or a ``.zip`` archive, named by the
  student (reading it, an archive included, is :func:`grader.submission.take_snapshot`'s
  job, not ours); a symbolic link, or a special file (a FIFO, a socket) named like a
  ``.py``, ``.ipynb`` or ``.zip`` hand-in, is one too: it is never followed or opened,
  and its row and report say so, so that student does not silently vanish;
* files named the way Canvas's "Download Submissions" names them,
  ``lastfirst_12345_67890_layers.py`` (``lastfirst_LATE_12345_...`` when late): 12345 is
  the student's Canvas user id, and all files of one user are one hand-in;
* folders or files named the way Moodle's "Download all submissions" names them,
  ``Full Name_12345_assignsubmission_file_/`` (or ``..._assignsubmission_file_layers.py``
  without sub-folders): 12345 is the participant number; all of one participant are
  one hand-in (an ``onlinetext`` part is noted, not graded).

Hidden names, tool folders (``__pycache__``, ``.git``, ...) and other files are not
hand-ins; the intake report lists what it ignored, and notes each hand-in that is a
link or a special file.

**Ids.** A hand-in is graded as the student a roster maps it to (:mod:`.roster`: by the
LMS's user id, or by the hand-in's name), else under its own name (the folder name,
the file name without its suffix, or ``name_userid`` for an LMS name). Every string
taken from a file name is cleaned (:mod:`grader.untrusted`), so a name that is not
UTF-8 or holds control characters becomes a stable, printable id.

**Keys.** Each entry gets a key unique in the class, the gradebook row it is recorded
in: its student id, or, when two hand-ins resolve to the same id (``alice/`` and
``alice.py``, a roster student with two hand-ins), the first in the order folder,
``.py``, notebook, archive, LMS files keeps the id and the others are keyed by their
full name (``alice.py``), made unique with ``~2``, ``~3`` if need be. Keys depend only on
the folder's content, so they are stable from run to run.

**File names.** :func:`file_name` turns a key into the name of its report and
results files: the key itself when it is a short lower-case ASCII name
(``[a-z0-9][a-z0-9._-]*``, not a Windows device name), else a readable part and a hash
of the exact key (``Alice~3f2a9c1d0e``). Two keys never share a file name, even on a
case-insensitive or Unicode-normalising file system (macOS, Windows), and names that
are equal after truncation keep apart by their hash.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ..fileio import write_atomic
from ..submission import SKIP_DIRS, IntakeLimits
from ..untrusted import clean
from .roster import CANVAS, MOODLE, Roster, RosterStudent

SHEET = "quiz_answers.toml"
CODE_SUFFIXES = (".py", ".ipynb", ".zip")
KIND_ORDER = {"folder": 0, ".py": 1, ".ipynb": 2, ".zip": 3, CANVAS: 4, MOODLE: 5}
_CANVAS = re.compile(r"^(?P<name>[^_]+)_(?:(?P<late>LATE)_)?(?P<uid>\d+)_(?P<sub>\d+)_(?P<file>.+)$")
_MOODLE = re.compile(r"^(?P<name>.+?)_(?P<uid>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<file>.*)$")
_PLAIN_FILE = re.compile(r"[a-z0-9][a-z0-9._-]{0,79}")
_DEVICES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def file_name(key: str) -> str:
    """The name (without suffix) of a key's report and results files; see the module docstring."""
    if _PLAIN_FILE.fullmatch(key) and not key.endswith(".") and key.split(".")[0] not in _DEVICES:
        return key
    readable = "".join(c if (c.isascii() and c.isalnum()) or c in "-_." else "_" for c in key)[:60].strip("._")
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{readable or '_'}~{digest}"


@dataclass(frozen=True)
class Entry:
    """One student's hand-in as the batch grades it."""

    key: str  # unique in the class: the gradebook row and the report's file name
    student: str  # the id grading is seeded with
    path: Path  # what is graded: the hand-in itself, or the folder its LMS files are staged in
    source: str  # the hand-in's names in the class folder, for people
    name: str = ""  # from the roster or the LMS name
    lms_id: str = ""
    late: bool = False
    stage: tuple[tuple[Path, str, int], ...] = ()  # LMS files (path, file name, order) staged into ``path``


@dataclass
class _HandIn:
    name: str  # the id it is graded under when no roster says otherwise
    kind: str  # folder, .py, .ipynb, .zip, canvas, moodle
    paths: list[Path]
    files: list[tuple[str, int]] = field(default_factory=list)  # LMS files: (the student's file name, order)
    lms_id: str = ""
    person: str = ""  # the LMS's name of the student
    late: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def source(self) -> str:
        return ", ".join(clean(p.name) + ("/" if _real_dir(p) else "") for p in self.paths)


@dataclass
class Intake:
    """The entries to grade and what the intake noticed on the way."""

    entries: list[Entry]
    roster: Roster | None
    unmatched: list[str] = field(default_factory=list)  # keys of hand-ins a roster did not know (graded by name)
    missing: list[RosterStudent] = field(default_factory=list)  # roster students with no hand-in
    duplicates: dict[str, list[str]] = field(default_factory=dict)  # student id -> keys of its hand-ins
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (name in the class folder, why)
    notes: dict[str, list[str]] = field(default_factory=dict)  # key -> remarks (onlinetext parts, staging)

    def to_grade(self, grade_unmatched: bool = False) -> list[Entry]:
        """The entries a batch grades: with a roster, a hand-in it does not know is not
        graded under a made-up id (its quiz variant and hidden inputs would be another
        student's) unless ``grade_unmatched``; it is reported instead."""
        if grade_unmatched:
            return list(self.entries)
        held = set(self.unmatched)
        return [e for e in self.entries if e.key not in held]

    def roster_problems(self) -> list[str]:
        """Why a roster cannot be the class's: it matches none of the hand-ins (the
        wrong file, or hand-ins named by something the roster does not hold)."""
        if self.roster is None or self.roster.implicit or not self.entries:
            return []
        if len(self.unmatched) < len(self.entries):
            return []
        handins = ", ".join(e.source for e in self.entries[:5]) + (", ..." if len(self.entries) > 5 else "")
        names = ", ".join(s.handin or s.login or s.student for s in self.roster.students[:5])
        return [f"the roster ({self.roster.kind}) matches none of the {len(self.entries)} hand-ins ({handins}); "
                f"it names its students {names}{', ...' if len(self.roster.students) > 5 else ''}. Check that it "
                "is this class's roster; a plain roster names each hand-in in a handin column (see docs/batch.md)"]

    def report_csv(self, grade_unmatched: bool = False) -> str:
        """The intake report (``intake.csv`` in the batch's output folder): one row per
        hand-in, per roster student without one, per name that is not a hand-in."""
        from ..gradebook.export import spreadsheet_cell

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")

        def row(*cells: str) -> None:
            writer.writerow([spreadsheet_cell(c) for c in cells])

        row("handin", "key", "student", "name", "status", "note")
        unmatched = set(self.unmatched)
        duplicated = {k for keys in self.duplicates.values() for k in keys}
        with_roster = self.roster is not None and not self.roster.implicit
        for e in self.entries:
            status = ("unmatched" if e.key in unmatched else "duplicate" if e.key in duplicated else
                      "matched" if with_roster else "by_name")
            notes = self.notes.get(e.key, []) + (["late"] if e.late else [])
            if e.key in unmatched and not grade_unmatched:
                notes.append("not graded: not in the roster (--grade-unmatched grades it under its own name)")
            row(e.source, e.key, e.student, e.name, status, "; ".join(notes))
        for s in self.missing:
            row("", "", s.student, s.name, "no_handin", "")
        for name, why in self.ignored:
            row(name, "", "", "", "ignored", why)
        return buffer.getvalue()


def intake(folder: Path | str, roster: Roster | None = None, staging: Path | str | None = None) -> Intake:
    """The entries of a class folder (see the module docstring). LMS files of one
    student are to be staged (:func:`stage`) under ``staging`` (the batch's ``out/intake``)."""
    folder = Path(folder)
    staging = Path(staging) if staging is not None else folder.parent / f".{folder.name}-intake"
    handins, ignored = _scan(folder)
    result = Intake([], roster, ignored=ignored)
    if roster is None:
        roster = result.roster = _implicit_roster(handins)
    groups: dict[str, list[tuple[_HandIn, RosterStudent | None]]] = {}
    unmatched: set[int] = set()
    for h in handins:
        match = _match(h, roster) if roster is not None else None
        if roster is not None and not roster.implicit and match is None:
            unmatched.add(id(h))
        groups.setdefault(match.student if match else h.name, []).append((h, match))
    # The first hand-in of an id (folder, .py, notebook, archive, LMS files; then by
    # name) keeps the id as its key; the others are keyed by their full names.
    used = set(groups)
    for sid in sorted(groups):
        group = sorted(groups[sid], key=lambda t: (KIND_ORDER[t[0].kind], t[0].source))
        keys = []
        for i, (h, match) in enumerate(group):
            key = sid if i == 0 else _unique(_full_name(h), used)
            used.add(key)
            keys.append(key)
            result.entries.append(_entry(h, key, sid, match, staging))
            if h.notes:
                result.notes[key] = list(h.notes)
            if id(h) in unmatched:
                result.unmatched.append(key)
        if len(keys) > 1:
            result.duplicates[sid] = keys
    result.entries.sort(key=lambda e: e.key)
    if roster is not None and not roster.implicit:
        handed = {e.student for e in result.entries}
        result.missing = [s for s in roster.students if s.student not in handed]
    return result


def _full_name(h: _HandIn) -> str:
    if h.kind in (CANVAS, MOODLE):
        return f"{h.name}~{h.kind}"
    return clean(h.paths[0].name)


def _unique(key: str, used: set[str]) -> str:
    if key not in used:
        return key
    n = 2
    while f"{key}~{n}" in used:
        n += 1
    return f"{key}~{n}"


def _entry(h: _HandIn, key: str, sid: str, match: RosterStudent | None, staging: Path) -> Entry:
    name = match.name if match is not None and match.name else h.person
    if h.kind in (CANVAS, MOODLE) and (len(h.paths) > 1 or _regular(h.paths[0])) and not _single_archive(h):
        return Entry(key, sid, staging / file_name(key), h.source, name, h.lms_id, h.late,
                     tuple((p, n, order) for p, (n, order) in zip(h.paths, h.files, strict=True)))
    path = h.paths[0]
    if not _regular(path):
        path = _only_archive(path) or path
    return Entry(key, sid, path, h.source, name, h.lms_id, h.late)


def _single_archive(h: _HandIn) -> bool:
    return len(h.paths) == 1 and _regular(h.paths[0]) and h.paths[0].suffix.lower() == ".zip"


def _only_archive(folder: Path) -> Path | None:
    """A folder whose one visible entry is a ``.zip`` (an LMS's folder around an archive);
    never a link to one (a link is not followed)."""
    if not _real_dir(folder):
        return None
    try:
        items = [p for p in folder.iterdir() if not p.name.startswith(".")]
    except OSError:
        return None
    if len(items) == 1 and items[0].suffix.lower() == ".zip" and _regular(items[0]):
        return items[0]
    return None


def _real_dir(path: Path) -> bool:
    """A folder, not a link to one (a link in the class folder is never followed)."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


# ------------------------------------------------------------------ reading the folder
def _scan(folder: Path) -> tuple[list[_HandIn], list[tuple[str, str]]]:
    plain: list[_HandIn] = []
    lms: dict[tuple[str, str], _HandIn] = {}
    ignored: list[tuple[str, str]] = []
    for path in sorted(folder.iterdir()):
        raw = path.name
        if raw.startswith(".") or raw in SKIP_DIRS:
            continue
        name = clean(raw)
        try:
            mode = os.lstat(path).st_mode
        except OSError as exc:
            ignored.append((name, clean(exc.strerror or str(exc))))
            continue
        is_dir, is_file = stat.S_ISDIR(mode), stat.S_ISREG(mode)
        if not (is_dir or is_file):
            # Named like a hand-in: graded (the snapshot never follows or opens it), so the
            # student gets a row and a report saying why nothing was read.
            link = stat.S_ISLNK(mode)
            what = "a symbolic link (not followed)" if link else "not a regular file (not opened)"
            if path.suffix.lower() in CODE_SUFFIXES:
                plain.append(_HandIn(clean(path.stem), path.suffix.lower(), [path], notes=[f"{name}: {what}"]))
            elif link:
                plain.append(_HandIn(name, "folder", [path], notes=[f"{name}: {what}"]))
            else:
                ignored.append((name, what))
            continue
        moodle = _MOODLE.match(name)
        canvas = _CANVAS.match(name) if is_file else None
        if moodle:
            h = lms.setdefault((MOODLE, moodle["uid"]), _HandIn(f"{moodle['name']}_{moodle['uid']}", MOODLE, [],
                                                                 lms_id=moodle["uid"], person=moodle["name"]))
            if moodle["plugin"] != "file":
                h.notes.append(f"{name}: Moodle {moodle['plugin']} (not graded)")
                continue
            h.paths.append(path)
            h.files.append((moodle["file"] or name, len(h.files)))
        elif canvas:
            h = lms.setdefault((CANVAS, canvas["uid"]), _HandIn(f"{canvas['name']}_{canvas['uid']}", CANVAS, [],
                                                                lms_id=canvas["uid"], person=canvas["name"]))
            h.paths.append(path)
            h.files.append((canvas["file"], int(canvas["sub"])))
            h.late = h.late or bool(canvas["late"])
        elif is_dir:
            plain.append(_HandIn(name, "folder", [path]))
        elif path.suffix.lower() in CODE_SUFFIXES:
            plain.append(_HandIn(clean(path.stem), path.suffix.lower(), [path]))
        else:
            ignored.append((name, "not a folder, .py, .ipynb or .zip"))
    for h in lms.values():
        if not h.paths:  # only an online text: nothing to grade
            ignored.extend((note.split(":", 1)[0], "Moodle online text only (not graded)") for note in h.notes)
    return plain + [h for h in lms.values() if h.paths], ignored


def _implicit_roster(handins: list[_HandIn]) -> Roster | None:
    """Without a roster file, an LMS download still says who is who: keep that (so the
    exports can name the LMS's user ids), marked implicit (no "missing" students)."""
    kinds = {h.kind for h in handins if h.kind in (CANVAS, MOODLE)}
    if len(kinds) != 1:
        return None
    kind = kinds.pop()
    return Roster(kind, [], [RosterStudent(h.name, h.person, h.lms_id, "", {}) for h in handins if h.kind == kind],
                  implicit=True)


def _match(h: _HandIn, roster: Roster) -> RosterStudent | None:
    if h.kind in (CANVAS, MOODLE) and h.lms_id:
        found = roster.by_lms_id().get(h.lms_id)
        if found is not None:
            return found
        candidates = [h.name, h.lms_id, h.person]
    else:
        candidates = [h.name, clean(h.paths[0].name)]
    by_handin = roster.by_handin()
    found = next((by_handin[c] for c in candidates if c in by_handin), None)
    if found is None and h.kind not in (CANVAS, MOODLE):
        found = roster.by_login(h.name)  # a repository named after its student's account
    return found


# ------------------------------------------------------------------ staging LMS files
def stage(entry: Entry) -> list[str]:
    """Copy an LMS hand-in's files into ``entry.path`` under the student's own file
    names (the answer sheet as ``quiz_answers.toml``), replacing what an earlier run
    staged. Regular files only, never through a link, within the intake's caps
    (:class:`~grader.submission.IntakeLimits`: bytes per file, files in all); returns
    remarks about what was left out."""
    if not entry.stage:
        return []
    remarks: list[str] = []
    target = entry.path
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    written: set[str] = set()
    limits = IntakeLimits()
    # A later upload (a higher Canvas submission id) wins a clash of file names.
    for source, name, _order in sorted(entry.stage, key=lambda t: t[2], reverse=True)[:limits.max_files]:
        name = _student_file_name(clean(name))
        if name in written:
            remarks.append(f"{clean(source.name)}: an older copy of {name} (not graded)")
            continue
        try:
            data = _read_regular(source, limits.cap(name))
        except OSError as exc:
            remarks.append(f"{clean(source.name)}: {clean(exc.strerror or str(exc))}")
            continue
        (target / name).write_bytes(data)
        written.add(name)
    return remarks


def _student_file_name(name: str) -> str:
    """The file name as the student uploaded it: an LMS's copy suffix on the answer
    sheet (``quiz_answers-1.toml``) is dropped so the grader finds the sheet; anything
    that could leave the folder is made a plain name."""
    name = name.replace("/", "_").replace("\\", "_").lstrip(".") or "_"
    if re.fullmatch(r"quiz_answers(?:-\d+)?\.toml", name):
        return SHEET
    return name


def _read_regular(path: Path, cap: int) -> bytes:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise OSError(0, "not a regular file")
        data = f.read(cap + 1)
    if len(data) > cap:
        raise OSError(0, f"larger than {cap >> 10} KB")
    return data


def write_report(result: Intake, path: Path) -> None:
    write_atomic(path, result.report_csv())
