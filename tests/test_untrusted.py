"""Strings from outside the grader (issue 11, items 5 and 6): lone surrogates, bytes
that are not UTF-8 and terminal control sequences never stop a writer and never reach
a terminal, a browser or a spreadsheet raw. One function cleans them
(:func:`grader.untrusted.clean`); it is applied where outside text enters the grader
and again at every sink, and each sink is tested here on its own."""

from __future__ import annotations

import csv
import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from support import SOLUTIONS, grade_official, write_submission

from grader.gradebook import Gradebook, Record
from grader.report.dashboard import render_dashboard
from grader.report.html import render_html, write_html
from grader.report.terminal import summary
from grader.results.classroom import to_classroom
from grader.results.gradescope import to_gradescope, write_results
from grader.results.junit import write_junit
from grader.submission import Notice, fingerprint, prepare
from grader.untrusted import clean, clean_tree

# Everything a hostile string can hold: lone surrogates (one from a byte that is not
# UTF-8), OSC (window title, BEL-terminated), CSI clear screen, ESC c (reset), the
# alternate screen, an 8-bit CSI, NUL, a CR that overwrites the line, a bidi override.
HOSTILE = ("A\ud800B \udcff \x1b]0;owned\x07 \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ \x1b[2J \x1bc "
           "\x1b[?1049h \x9b31m \x00 \x7f\rfake line \u202eevil\u2066 \ufeff\u2028")
# What must never be in written text (tab and newline are fine).
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                    "\ufeff\ud800-\udfff]")


def _inert(text: str) -> None:
    bad = UNSAFE.search(text)
    assert bad is None, f"unsafe character {bad.group()!r} at {bad.start()}: {text[max(0, bad.start() - 40):bad.start() + 40]!r}"
    text.encode("utf-8")  # every writer can write it


# ------------------------------------------------------------------ the function
@pytest.mark.parametrize("raw, cleaned", [
    ("plain text, 中文\tand tabs\n", "plain text, 中文\tand tabs\n"),
    ("a\ud800b", "a\ufffdb"),  # a lone high surrogate
    ("name\udcff.py", "name\\xff.py"),  # a file-name byte that is not UTF-8 (surrogateescape)
    ("\ud83d\ude00", "\U0001F600"),  # a surrogate pair is the character it encodes
    ("one\r\ntwo\rthree", "one\ntwo\\x0dthree"),
    ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),
    ("\x1b[2J\x1bc\x1b[?1049h", "\\x1b[2J\\x1bc\\x1b[?1049h"),
    ("\x9b31m\x00\x7f", "\\x9b31m\\x00\\x7f"),
    ("left\u202eright\u2066x\u2069", "left\\u202eright\\u2066x\\u2069"),
    ("line\u2028sep\ufeff", "line\\u2028sep\\ufeff"),
])
def test_clean_escapes_what_outside_text_may_hold(raw, cleaned):
    assert clean(raw) == cleaned
    assert clean(cleaned) == cleaned  # idempotent
    _inert(clean(raw))


def test_clean_reads_bytes_and_paths_like_file_names_and_cleans_trees():
    assert clean(b"caf\xc3\xa9 \xff.py") == "café \\xff.py"
    assert clean(Path(os.fsdecode(b"dir/\xfe.py"))) == "dir/\\xfe.py"
    assert clean(None) == ""
    tree = clean_tree({"k\x1b": ["\ud800", ("\x07", 3)], "n": None, 5: 1.5})
    assert tree == {"k\\x1b": ["\ufffd", ["\\x07", 3]], "n": None, 5: 1.5}


def test_clean_is_cheap_on_clean_text():
    text = "ok " * 200_000
    assert clean(text) is text  # nothing to do: the very same object, no copy


# ------------------------------------------------------------------ through grading
def _hostile_submission(root: Path) -> Path:
    return write_submission(root, {"layers.py": (SOLUTIONS / "layers.py").read_text(encoding="utf-8") + f"""

def relu_forward(x):
    import sys
    print({HOSTILE.replace(chr(0xd800), "").replace(chr(0xdcff), "")!r})
    sys.stdout.flush()
    sys.stdout.buffer.write(b"raw bytes \\xff\\xfe\\x1b[31m\\n")
    raise ValueError({HOSTILE!r})
"""})


@pytest.fixture(scope="module")
def hostile_result(tmp_path_factory):
    """A submission whose relu prints control sequences and raises with a lone
    surrogate, handed in with a file and a folder whose names are not UTF-8."""
    root = _hostile_submission(tmp_path_factory.mktemp("hostile") / "sub")
    (root / os.fsdecode(b"notes\xff\x1b[2J.py")).write_bytes(b"X = 1\n")
    (root / os.fsdecode(b"pkg\xfe")).mkdir()
    (root / os.fsdecode(b"pkg\xfe") / "helper.py").write_bytes(b"Y = 2\n")
    return grade_official(root, "relu")


def test_hostile_text_is_graded_and_every_writer_writes(hostile_result, tmp_path):
    result = hostile_result
    assert result.checks and all(c.status == "failed" for c in result.checks if "forward" in c.id)
    assert any("notes\\xff\\x1b[2J.py" == f for f in result.files)  # named, escaped, not dropped
    write_results(result, tmp_path / "results.json", "en")
    write_html(result, tmp_path / "report.html", "zh")
    write_junit(result, tmp_path / "junit.xml", "en")
    for name in ("results.json", "report.html", "junit.xml"):
        _inert((tmp_path / name).read_text(encoding="utf-8"))
    data = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    out = "\n".join(t["output"] for t in data["tests"])
    assert "\\x1b]0;owned\\x07" in out and "\\x1b[2J" in out  # shown, escaped: the student sees what they printed
    assert "\ufffd" in out  # the lone surrogate of the exception message


def test_the_submission_boundary_cleans_file_names_and_the_fingerprint_reads_them(tmp_path):
    root = tmp_path / "sub"
    root.mkdir()
    (root / os.fsdecode(b"bad\xff.py")).write_bytes(b"def relu_forward(x):\n    return x, None\n")
    prepared = prepare(root)
    try:
        assert prepared.files == ["bad\\xff.py"] and prepared.modules
        assert (prepared.root / "bad\\xff.py").is_file()
    finally:
        prepared.cleanup()
    first = fingerprint(root)
    assert first not in ("", "-") and fingerprint(root) == first
    (root / os.fsdecode(b"bad\xff.py")).write_bytes(b"def relu_forward(x):\n    return x, 1\n")
    assert fingerprint(root) != first


# ------------------------------------------------------------------ each sink on its own
@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return grade_official(_hostile_submission(tmp_path_factory.mktemp("plain") / "sub"), "relu")


@pytest.fixture()
def poisoned(graded):
    """A graded result with outside text put back raw into every field a writer
    reads, as if a boundary had missed it: each sink must still be safe on its own."""
    import copy

    from grader.i18n import msg

    r = copy.deepcopy(graded)
    r.student = "stu" + HOSTILE
    r.files.append(HOSTILE + ".py")
    r.notices.append(Notice("intake.unreadable", {"count": 1, "files": HOSTILE}))
    r.load_errors.append({"kind": "error", "where": HOSTILE, "type": "E", "message": HOSTILE, "module": "m"})
    for c in r.checks:
        c.output = HOSTILE
        c.messages.insert(0, msg("submission.load_error", where=HOSTILE, type="ValueError", message=HOSTILE))
        c.details["traceback"] = HOSTILE
    return r


def test_sink_terminal_summary(poisoned):
    text = summary(poisoned, "en", verbose=True)
    # Our own colours (SGR, ESC [ ... m) are the only escape sequences left.
    without_ours = re.sub("\x1b\\[[0-9;]*m", "", text)
    _inert(without_ours)
    assert "\\x1b]0;owned\\x07" in text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_sink_results_json_and_classroom(poisoned, lang, tmp_path):
    write_results(poisoned, tmp_path / "r.json", lang)
    raw = (tmp_path / "r.json").read_text(encoding="utf-8")
    _inert(raw)
    _inert(json.dumps(json.loads(raw), ensure_ascii=False))  # no escape hides one either
    _inert(json.dumps(to_gradescope(poisoned, lang), ensure_ascii=False))
    _inert(json.dumps(to_classroom(poisoned, lang), ensure_ascii=False))


def test_sink_junit(poisoned, tmp_path):
    write_junit(poisoned, tmp_path / "j.xml", "en")
    raw = (tmp_path / "j.xml").read_text(encoding="utf-8")
    _inert(raw)
    ET.fromstring(raw.split("\n", 1)[1])  # well-formed XML 1.0


def test_sink_html_report(poisoned, tmp_path):
    write_html(poisoned, tmp_path / "r.html", "en")
    raw = (tmp_path / "r.html").read_text(encoding="utf-8")
    _inert(raw)
    assert "\\x1b]0;owned\\x07" in raw and "\\u202e" in raw
    _inert(render_html(poisoned, "zh"))


def test_sink_gradebook_csv_and_dashboard(poisoned, tmp_path):
    data = to_gradescope(poisoned, "en")
    data["tests"][0]["name"] = HOSTILE  # as if written by an older grader
    with Gradebook(tmp_path / "g.sqlite") as book:
        book.record(Record(student="stu" + HOSTILE, fingerprint="f", grader_key="k", score=1.0, max_score=2.0,
                           load_status="loaded", isolation="portable", graded_at="t", seconds=0.1, results=data))
        rows = book.db.execute("SELECT student, results_json FROM submissions").fetchall()
        titles = book.db.execute("SELECT title FROM checks").fetchall()
        for student, stored in rows:
            _inert(student)
            _inert(stored)
        for (title,) in titles:
            _inert(title)
        book.export_csv(tmp_path / "g.csv")
        _inert(render_dashboard(book, "zh"))
    raw = (tmp_path / "g.csv").read_text(encoding="utf-8")
    _inert(raw.replace("\r\n", "\n"))
    assert list(csv.reader(raw.splitlines()))[1][0].startswith("stu")


def test_sink_quiz_terminal_session(tmp_path):
    """``rnngrade quiz`` quotes the sheet (its student id, current answers): escaped."""
    from click.testing import CliRunner

    from grader import paths
    from grader.cli import main

    sheet = tmp_path / "quiz_answers.toml"
    sheet.write_text('[sheet]\nstudent = "\\u001b]0;owned\\u0007\\u001b[2J"\n[answers]\nrnn_sharing = true\n')
    res = CliRunner().invoke(main, ["quiz", str(sheet), "--student", "ned", "--lang", "en",
                                    "--bank", str(paths.EXERCISES / "quiz")])
    assert "\\x1b]0;owned" in res.output
    _inert(res.output)
