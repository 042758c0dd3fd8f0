"""Hostile and broken submissions cannot break the similarity check, make it run
student code, follow a link out of the class, or put markup into its page."""

from __future__ import annotations

import csv
import io
import json
import os
import time
from pathlib import Path

import pytest

from grader.similarity import compare_class
from grader.similarity.render import csv_text, render_html, to_json
from grader.similarity.sources import read_submission
from grader.submission import IntakeLimits

MAX_FILE_BYTES = IntakeLimits().max_file_bytes
MAX_FILES = IntakeLimits().max_files

GOOD = '''
import numpy as np


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b
    i = 1 / (1 + np.exp(-a[:, :H]))
    f = 1 / (1 + np.exp(-a[:, H:2 * H]))
    o = 1 / (1 + np.exp(-a[:, 2 * H:3 * H]))
    g = np.tanh(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    extra = np.sum(next_h, axis=0, keepdims=True) * np.mean(next_c, axis=1)
    cache = (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c, extra)
    return next_h, next_c, cache
'''

XSS = '"><img src=x onerror=alert(1)>'


def notes_of(path: Path) -> list[str]:
    return [n.key for n in read_submission(path).notes]


def test_binary_huge_and_undecodable_files_get_a_note(tmp_path):
    (tmp_path / "blob.py").write_bytes(b"\x7fELF\x00\x01\x02" * 100)
    (tmp_path / "huge.py").write_bytes(b"x = 1\n" * (MAX_FILE_BYTES // 6 + 10))
    (tmp_path / "latin.py").write_bytes(b"# -*- coding: latin-1 -*-\ns = '\xe9t\xe9'\n")
    (tmp_path / "broken_utf8.py").write_bytes(b"s = '\xff\xfe\xfa'\n")
    text = read_submission(tmp_path)
    assert sorted(n.key for n in text.notes) == ["intake.too_large", "similarity.note.binary"]  # the intake's own notice
    by_label = {s.label: s.text for s in text.sources}
    assert "été" in by_label["latin.py"]
    assert "\ufffd" in by_label["broken_utf8.py"]


def test_links_fifos_and_folders_out_of_the_class_are_never_followed(tmp_path):
    secret = tmp_path / "secret.py"
    secret.write_text("SECRET_TOKEN = 'do-not-show'\n" + GOOD)
    student = tmp_path / "class" / "s1"
    student.mkdir(parents=True)
    (student / "layers.py").symlink_to(secret)
    (student / "linked_dir").symlink_to(tmp_path)
    os.mkfifo(student / "pipe.py")  # opening it for reading would block forever
    (tmp_path / "class" / "s2").symlink_to(tmp_path / "class" / "s1")  # a student folder that is a link
    t0 = time.monotonic()
    text = read_submission(student)
    assert time.monotonic() - t0 < 5
    assert text.sources == []
    # Read through the grader's intake: its notices say what was skipped and why.
    assert sorted(n.key for n in text.notes) == ["intake.link", "intake.special"]
    assert text.notes[0].params["count"] + text.notes[1].params["count"] == 3  # two links, one FIFO
    assert notes_of(tmp_path / "class" / "s2") == ["intake.source_link"]
    result = compare_class(tmp_path / "class", functions=["lstm_step_forward"])
    assert "do-not-show" not in render_html(result, "en")


def test_student_code_is_read_never_run(tmp_path):
    marker = tmp_path / "ran"
    evil = f"open({str(marker)!r}, 'w').write('x')\nimport os\nos.system('touch {marker}')\n" + GOOD
    for name in ("a", "b"):
        (tmp_path / "class" / name).mkdir(parents=True)
        (tmp_path / "class" / name / "layers.py").write_text(evil)
        (tmp_path / "class" / name / "conftest.py").write_text(evil)  # skipped, as by the grader
        (tmp_path / "class" / name / "__init__.py").write_text(evil)
    result = compare_class(tmp_path / "class", functions=["lstm_step_forward"])
    assert not marker.exists()
    assert result.pair_of("a", "b").score == 1.0


# (code, the note it must get: None when the lexer of this Python version may accept it)
BROKEN = [
    ("x = " + "(" * 100_000 + "1" + ")" * 100_000 + "\n", None),  # deep brackets
    ("".join(" " * i + "if x:\n" for i in range(1000)) + " " * 1000 + "pass\n", None),  # deep blocks
    ("def lstm_step_forward(x):\n    return '''never closed\n" + "text\n" * 50_000, "lex_error"),
    ("def lstm_step_forward(x, prev_h):\n        a = 1\n    return a\n", "lex_error"),  # inconsistent dedent
    ("def lstm_step_forward(x\n" + "    , y\n" * 10_000, "lex_error"),  # a header never closed
    ("def lstm_step_forward(x): return x $ 2 ? `3`\n", None),  # characters Python has no token for
    ("def lstm_step_forward(x):\n\tif x:\n        return 1\n", None),  # tabs and spaces mixed
    ("+" * 500_000 + "\n", "too_many_tokens"),  # one very long line: lexing stops at MAX_TOKENS
]


@pytest.mark.parametrize(("code", "note"), BROKEN, ids=[f"broken{i}" for i in range(len(BROKEN))])
def test_broken_and_deeply_nested_code_gives_notes_not_a_crash(tmp_path, code, note):
    for name in ("a", "b"):
        (tmp_path / "class" / name).mkdir(parents=True)
        (tmp_path / "class" / name / "layers.py").write_text(code + "\n" + GOOD.replace("lstm_step_forward", "helper"))
    t0 = time.monotonic()
    result = compare_class(tmp_path / "class", functions=["lstm_step_forward"])
    assert time.monotonic() - t0 < 20
    assert [s.student for s in result.students] == ["a", "b"]
    if note:
        assert [n.key for n in result.students[0].notes] == [f"similarity.note.{note}"]
    render_html(result, "zh")
    csv_text(result)


def test_a_byte_order_mark_is_not_code(tmp_path):
    (tmp_path / "m.py").write_bytes("\ufeff".encode() + GOOD.encode())
    text = read_submission(tmp_path)
    assert not text.notes and not text.sources[0].text.startswith("\ufeff")


def test_a_syntax_error_late_in_a_file_keeps_the_functions_before_it(tmp_path):
    for name in ("a", "b"):
        (tmp_path / "class" / name).mkdir(parents=True)
        (tmp_path / "class" / name / "layers.py").write_text(GOOD + "\ndef broken(:\n    x = '''\n")
    result = compare_class(tmp_path / "class", functions=["lstm_step_forward"])
    pair = result.pair_of("a", "b")
    assert pair.best_unit == "lstm_step_forward" and pair.score == 1.0
    assert [n.key for n in result.students[0].notes] == ["similarity.note.lex_error"]


def test_corrupt_and_deeply_nested_notebooks_get_a_note(tmp_path):
    (tmp_path / "not_json.ipynb").write_text("{this is not json")
    (tmp_path / "deep.ipynb").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "wrong_shape.ipynb").write_text(json.dumps({"cells": "nope", "nbformat": 4}))
    keys = notes_of(tmp_path)
    assert keys == ["similarity.note.bad_notebook"] * 3


def test_too_many_files_are_capped(tmp_path):
    for i in range(MAX_FILES + 5):
        (tmp_path / f"m{i:04d}.py").write_text(f"X{i} = {i}\n")
    text = read_submission(tmp_path)
    assert len(text.sources) == MAX_FILES
    assert [n.key for n in text.notes] == ["intake.too_many_files"]


def test_names_files_and_code_from_students_are_escaped_in_every_output(tmp_path):
    klass = tmp_path / "class"
    code = GOOD + "\n# </td></table><script>alert('code')</script>\nX = '</pre><script>alert(2)</script>'\n"
    for name in (f"a{XSS}", "=HYPERLINK(1)"):
        (klass / name).mkdir(parents=True)
        (klass / name / f"m{XSS}.py").write_text(code.replace("lstm_step_forward", "lstm_step_forward", 1))
    result = compare_class(klass, functions=["lstm_step_forward"])
    assert len(result.pairs) == 1
    for lang in ("en", "zh"):
        html = render_html(result, lang)
        assert "<script" not in html and "<img" not in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
    rows = list(csv.reader(io.StringIO(csv_text(result))))
    assert rows[1][1:3] == ["'=HYPERLINK(1)", f"a{XSS}"]  # no formula for a spreadsheet to run
    assert [to_json(result)["pairs"][0][k] for k in "ab"] == ["=HYPERLINK(1)", f"a{XSS}"]


def test_a_submission_that_is_one_file_or_a_notebook_or_empty(tmp_path):
    klass = tmp_path / "class"
    klass.mkdir()
    (klass / "one.py").write_text(GOOD)
    (klass / "empty").mkdir()
    (klass / "nothing.py").write_text("")
    result = compare_class(klass, functions=["lstm_step_forward"])
    names = [s.student for s in result.students]
    assert names == ["empty", "nothing", "one"]
    assert [n.key for n in result.students[0].notes] == ["similarity.note.no_code"]
    assert len(result.pairs) == 0
    html = render_html(result, "en")
    assert "No two students share code" in html and "No Python file or notebook was found." in html
    assert "No starter code or reference was given" in html


def test_an_unexpected_failure_on_one_student_is_a_note_not_a_crash(tmp_path, monkeypatch):
    import grader.similarity as similarity

    klass = tmp_path / "class"
    for name in ("a", "b", "c"):
        (klass / name).mkdir(parents=True)
        (klass / name / "layers.py").write_text(GOOD)
    real = similarity.fingerprint_submission

    def flaky(student, path, functions):
        if student == "b":
            raise MemoryError("out of memory")
        return real(student, path, functions)

    monkeypatch.setattr(similarity, "fingerprint_submission", flaky)
    result = compare_class(klass, functions=["lstm_step_forward"])
    notes = {s.student: [n.key for n in s.notes] for s in result.students}
    assert notes == {"a": [], "b": ["similarity.note.failed"], "c": []}
    assert result.pair_of("a", "c").score == 1.0 and result.pair_of("a", "b") is None
