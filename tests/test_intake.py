"""Hostile submission folders: the trusted parent opens only regular files inside the
submission, never through a link, reads at most its caps, never recurses, and says
in the report what it skipped and why. Each case also runs through real grading
where a gain or a leak would show (a link to a reference module must earn nothing,
a link to /proc/self/environ must leak nothing)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from support import SOLUTIONS, exercises_named, grade_official, make_chain, remove_chain, statuses, write_submission

from grader.api import grade
from grader.quiz import SHEET_NAME
from grader.quiz.grading import quiz_exercise
from grader.report.html import render_html
from grader.results.gradescope import to_gradescope
from grader.sandbox.isolation import at_level, landlock_abi, probe
from grader.submission import IntakeLimits, prepare, take_snapshot
from grader.submission.snapshot import KEPT_NAMES

SECRET = "rnngrade-test-secret-4f1c9b"
LEVELS = [
    pytest.param("bubblewrap", marks=pytest.mark.skipif(probe().level != "bubblewrap",
                                                         reason="bubblewrap does not run here")),
    pytest.param("landlock", marks=pytest.mark.skipif(landlock_abi() < 1, reason="this kernel has no Landlock")),
    "portable",
]


def _notices(snap_or_result) -> dict[str, dict]:
    return {n.key: n.params for n in snap_or_result.notices}


def _finishes(fn, seconds: float = 20.0):
    """Run ``fn`` in a thread; fail (instead of hanging the suite) if it blocks."""
    box: dict = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - reported below
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"{fn} blocked for {seconds} s"
    if "error" in box:
        raise box["error"]
    return box["value"]


def _outputs(result) -> str:
    """Everything a student gets back: results.json and both HTML reports."""
    return json.dumps(to_gradescope(result, "en"), ensure_ascii=False) + render_html(result, "en") + \
        render_html(result, "zh")


def _stub_layers(root: Path) -> Path:
    return write_submission(root, {"layers.py": "def relu_forward(x):\n    raise NotImplementedError\n"})


# ---------------------------------------------------------------------------- links
def test_sheet_name_is_kept_by_the_intake():
    assert SHEET_NAME in KEPT_NAMES


@pytest.mark.parametrize("level", LEVELS)
def test_a_link_to_a_reference_module_earns_nothing(tmp_path, level):
    root = tmp_path / "sub"
    root.mkdir()
    (root / "layers.py").symlink_to(SOLUTIONS / "layers.py")
    (root / "deep").mkdir()
    (root / "deep" / "rnn_layers.py").symlink_to(SOLUTIONS / "rnn_layers.py")
    (root / "cs231n").symlink_to(SOLUTIONS, target_is_directory=True)  # a link to a folder
    snap = take_snapshot(root)
    assert snap.files == ()
    link = _notices(snap)["intake.link"]
    assert link["count"] == 3 and "deep/rnn_layers.py" in link["files"] and "cs231n" in link["files"]
    result = grade_official(root, "relu", "rnn_step", isolation=at_level(level), allow_unisolated=True)
    assert result.score == 0 and result.isolation == level
    assert all(st == "failed" for st in statuses(result).values())
    assert "intake.link" in _notices(result)


@pytest.mark.parametrize("level", LEVELS)
def test_a_link_to_the_environment_leaks_nothing(tmp_path, level):
    # The grader runs as its own process with the secret in its real environment
    # (/proc/self/environ shows the environment a process started with).
    root = write_submission(tmp_path / "sub", {"layers.py": textwrap.dedent("""
        import glob, os
        def relu_forward(x):
            # Print whatever the grader copied next to this file.
            for p in glob.glob(os.path.join(os.path.dirname(__file__), "**", "*"), recursive=True):
                if os.path.isfile(p):
                    data = open(p, "rb").read()
                    print(p, data[data.find(b"RNNGRADE_LEAK"):][:200])
            return x, x
    """)})
    (root / "environ.py").symlink_to("/proc/self/environ")
    (root / "nb.ipynb").symlink_to("/proc/self/environ")
    (root / "pkg").mkdir()
    (root / "pkg" / "env.py").symlink_to("/proc/self/environ")
    (root / SHEET_NAME).symlink_to("/proc/self/environ")
    out = tmp_path / "out"
    env = dict(os.environ, RNNGRADE_LEAK_PROBE=SECRET, RNNGRADE_ISOLATION=level)
    run = subprocess.run([sys.executable, "-m", "grader.cli", "grade", str(root), "--solutions", str(SOLUTIONS),
                          "--student", "s", "--results", str(out / "results.json"), "--html", str(out / "r.html"),
                          "--lang", "en", "--allow-unisolated"], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    written = (out / "results.json").read_text() + (out / "r.html").read_text() + run.stdout
    assert SECRET not in written
    data = json.loads((out / "results.json").read_text())
    assert "4 symbolic links were not followed" in data["output"]
    assert data["extra_data"]["isolation"] == level


def test_a_link_as_the_submission_itself_is_not_followed(tmp_path):
    file_link = tmp_path / "mine.py"
    file_link.symlink_to(SOLUTIONS / "layers.py")
    dir_link = tmp_path / "alice"
    dir_link.symlink_to(SOLUTIONS, target_is_directory=True)
    for link in (file_link, dir_link):
        snap = take_snapshot(link)
        assert snap.kind == "missing" and snap.files == () and snap.fingerprint == "-"
        assert "intake.source_link" in _notices(snap)
    result = grade_official(dir_link)  # every exercise and the quiz (the reference answers the quiz by key)
    assert result.score == 0 and result.max_score > 0 and "intake.source_link" in _notices(result)


def test_a_hard_link_to_a_file_outside_the_submission_is_skipped(tmp_path):
    outside = tmp_path / "reference-copy.py"  # stands for a reference module on the same disk
    shutil.copy(SOLUTIONS / "layers.py", outside)
    root = tmp_path / "sub"
    root.mkdir()
    os.link(outside, root / "layers.py")
    snap = take_snapshot(root)
    assert snap.files == ()
    assert _notices(snap)["intake.hard_link"]["files"] == "layers.py"
    assert grade_official(root, "relu").score == 0


# ----------------------------------------------------------------- special files
def test_fifos_sockets_and_devices_are_never_opened(tmp_path):
    root = write_submission(tmp_path / "sub", {"layers.py": (SOLUTIONS / "layers.py").read_text()})
    os.mkfifo(root / "pipe.py")
    (root / "sub").mkdir()
    os.mkfifo(root / "sub" / "blocked.ipynb")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(root / "sock.py"))
    if os.geteuid() == 0:
        os.mknod(root / "zero.py", stat.S_IFCHR | 0o666, os.makedev(1, 5))  # a /dev/zero of its own
    (root / "devzero.py").symlink_to("/dev/zero")
    try:
        snap = _finishes(lambda: take_snapshot(root))
        result = _finishes(lambda: grade_official(root, "relu"))
    finally:
        server.close()
    assert snap.paths == ["layers.py"]
    special = _notices(snap)["intake.special"]
    assert special["count"] == (4 if os.geteuid() == 0 else 3)
    assert "sub/blocked.ipynb" in special["files"] and "sock.py" in special["files"]
    assert _notices(snap)["intake.link"]["files"] == "devzero.py"
    assert result.score == result.max_score


def test_a_huge_sparse_file_is_not_read(tmp_path, monkeypatch):
    root = write_submission(tmp_path / "sub", {"layers.py": (SOLUTIONS / "layers.py").read_text()})
    with open(root / "huge.py", "wb") as f:
        f.truncate(2 << 30)  # 2 GB, sparse
    with open(root / "big.ipynb", "wb") as f:
        f.truncate(1 << 30)
    read = []
    real_read = os.read
    monkeypatch.setattr(os, "read", lambda fd, n: read.append(n) or real_read(fd, n))
    snap = take_snapshot(root)
    monkeypatch.undo()
    assert snap.paths == ["layers.py"]
    assert sum(read) < 4 << 20  # the caps, not the gigabytes
    assert _notices(snap)["intake.too_large"]["files"] == "huge.py"
    assert _notices(snap)["intake.notebook_too_large"]["files"] == "big.ipynb"


# ------------------------------------------------------------------------ shape
@pytest.fixture
def deep_chain(tmp_path):
    """A submission with a folder chain 1,100 levels deep (removed again afterwards)."""
    root = write_submission(tmp_path / "sub", {"layers.py": (SOLUTIONS / "layers.py").read_text(),
                                               "a/b/helper.py": "X = 1\n"})
    try:
        make_chain(root, 1100, leaf="layers_deep.py")
        yield root
    finally:
        remove_chain(root)


def test_a_folder_1100_levels_deep_does_not_raise(deep_chain):
    snap = take_snapshot(deep_chain)
    assert snap.paths == ["layers.py", "a/b/helper.py"]
    too_deep = _notices(snap)["intake.too_deep"]
    assert too_deep["count"] == 1 and too_deep["limit"] == IntakeLimits().max_depth
    result = grade_official(deep_chain, "relu")
    assert result.score == result.max_score
    assert len(result.fingerprint) == 16


def test_a_folder_10000_files_wide(tmp_path):
    root = write_submission(tmp_path / "sub", {"layers.py": (SOLUTIONS / "layers.py").read_text()})
    for i in range(10_000):
        (root / f"zz_{i:05}.txt").touch()  # not code: looked at, never read
    snap = take_snapshot(root)
    assert snap.paths == ["layers.py"] and snap.notices == []
    code = tmp_path / "code"
    code.mkdir()
    for i in range(10_000):
        (code / f"m{i:05}.py").touch()
    snap = take_snapshot(code)
    limit = IntakeLimits().max_files
    assert len(snap.files) == limit
    assert _notices(snap)["intake.too_many_files"]["count"] == 10_000 - limit
    few = take_snapshot(code, IntakeLimits(max_entries=500))
    assert len(few.files) == limit and _notices(few)["intake.too_many_entries"]["limit"] == 500


def test_names_that_are_not_utf8_or_hold_control_characters(tmp_path):
    # Kept and graded under their cleaned names (grader.untrusted.clean): a GBK file name
    # unpacked on a UTF-8 system costs the student nothing; one notice names them.
    root = write_submission(tmp_path / "sub", {"layers.py": (SOLUTIONS / "layers.py").read_text()})
    os.close(os.open(os.fsencode(root) + b"/caf\xe9.py", os.O_CREAT | os.O_WRONLY, 0o644))
    (root / "clear\x1b[2J.py").write_text("x = 1\n")
    os.mkdir(os.fsencode(root) + b"/d\xff")
    (root / os.fsdecode(b"d\xff") / "m.py").write_text("y = 2\n")
    snap = take_snapshot(root)
    assert snap.paths == ["caf\\xe9.py", "clear\\x1b[2J.py", "layers.py", "d\\xff/m.py"]
    bad = _notices(snap)["intake.bad_name"]
    assert bad["count"] == 3 and "\x1b" not in bad["files"] and "\\x1b" in bad["files"]
    result = grade_official(root, "relu")
    assert result.score == result.max_score
    assert "d\\xff/m.py" in result.files
    json.dumps(to_gradescope(result, "en")).encode("utf-8")  # no lone surrogate anywhere


def test_names_that_clean_to_the_same_path_are_read_once(tmp_path):
    root = tmp_path / "sub"
    root.mkdir()
    (root / os.fsdecode(b"a\xff.py")).write_text("A = 1\n")
    (root / "a\\xff.py").write_text("B = 2\n")  # a real backslash: the same cleaned name
    snap = take_snapshot(root)
    assert snap.paths == ["a\\xff.py"]
    assert _notices(snap)["intake.duplicate"]["count"] == 1
    prepared = prepare(snap)
    try:
        assert [m.relpath for m in prepared.modules] == ["a\\xff.py"]
    finally:
        prepared.cleanup()


def test_total_size_and_file_count_caps(tmp_path):
    files = {f"m{i}.py": "x = 1  # " + "y" * 100 + "\n" for i in range(6)}
    root = write_submission(tmp_path / "sub", files)
    snap = take_snapshot(root, IntakeLimits(max_total_bytes=350))
    assert len(snap.files) == 3 and _notices(snap)["intake.total_too_large"]["count"] == 3
    snap = take_snapshot(root, IntakeLimits(max_files=2))
    assert snap.paths == ["m0.py", "m1.py"] and _notices(snap)["intake.too_many_files"]["count"] == 4


def test_one_notice_per_reason_however_many_items(tmp_path):
    root = tmp_path / "sub"
    root.mkdir()
    for i in range(3000):
        (root / f"l{i:04}.py").symlink_to("/etc/passwd")
    snap = take_snapshot(root)
    assert [n.key for n in snap.notices] == ["intake.link"]
    assert snap.notices[0].params["count"] == 3000 and len(snap.notices[0].params["files"]) < 200


# ------------------------------------------------------------------ fingerprint
def test_fingerprint_covers_every_graded_file(tmp_path):
    root = write_submission(tmp_path / "sub", {f"aaa_{i:03}.txt": "junk" for i in range(400)})
    write_submission(root, {"layers.py": (SOLUTIONS / "layers.py").read_text(), "z/deep/late.py": "A = 1\n",
                            SHEET_NAME: "[answers]\n"})
    before = take_snapshot(root).fingerprint
    for rel, text in (("layers.py", "# changed\n"), ("z/deep/late.py", "A = 2\n"), (SHEET_NAME, "[answers]\nq = 1\n")):
        (root / rel).write_text(text)
        after = take_snapshot(root).fingerprint
        assert after != before, rel
        before = after
    (root / "notes.txt").write_text("not graded")
    assert take_snapshot(root).fingerprint == before  # what cannot influence grading does not count


def test_the_same_content_has_the_same_fingerprint_wherever_it_lies(tmp_path):
    a = write_submission(tmp_path / "a", {"layers.py": "x = 1\n", "pkg/m.py": "y = 2\n"})
    b = shutil.copytree(a, tmp_path / "elsewhere" / "b")
    assert take_snapshot(a).fingerprint == take_snapshot(b).fingerprint
    (b / "pkg" / "m.py").rename(b / "pkg" / "n.py")  # same bytes, other path
    assert take_snapshot(a).fingerprint != take_snapshot(b).fingerprint


# ----------------------------------------------------------------- one snapshot
def test_code_and_quiz_come_from_one_snapshot(tmp_path):
    from grader.quiz.interactive import write_key_sheet

    root = write_submission(tmp_path / "sub", {"layers.py": (SOLUTIONS / "layers.py").read_text()})
    write_key_sheet(root / SHEET_NAME, "test-student")
    snap = take_snapshot(root)
    shutil.rmtree(root)  # the live folder is gone: grading must not need it
    result = grade(snap, solutions=SOLUTIONS, student="test-student", exercises=[*exercises_named("relu"),
                                                                                  quiz_exercise()])
    st = statuses(result)
    assert st["relu.forward"] == "passed"
    quiz = [c for c in result.checks if c.kind == "quiz"]
    assert quiz and all(c.status == "passed" for c in quiz)
    assert result.fingerprint == snap.fingerprint and result.files == snap.paths


def test_the_private_copy_holds_only_the_snapshot(tmp_path):
    root = write_submission(tmp_path / "sub", {"layers.py": "x = 1\n", "pkg/m.py": "y = 2\n",
                                               "nb.ipynb": '{"cells": [], "nbformat": 4, "metadata": {}}',
                                               SHEET_NAME: "[answers]\n", "data.txt": "d"})
    prepared = prepare(root)
    try:
        written = sorted(p.relative_to(prepared.root).as_posix() for p in prepared.root.rglob("*") if p.is_file())
        assert written == ["layers.py", "pkg/m.py"]  # notebooks travel as cells, sheets stay in the parent
        assert [m.module for m in prepared.modules] == ["layers", "notebook_nb", "pkg.m"]
    finally:
        prepared.cleanup()
