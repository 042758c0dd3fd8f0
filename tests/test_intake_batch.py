"""A class folder mixing every hostile intake case with normal students grades
completely: each normal student scores as when graded alone, each hostile one gets
a row and a report that say what was skipped, and nothing hangs or raises.

One test, about 10 s on 2 cores: it is issue 11's acceptance case, a real batch of
thirteen students through the process pool and the sandbox."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import threading
import zipfile

from support import SOLUTIONS, grade_official, make_chain, mutant, remove_chain

from grader import paths
from grader.batch import discover, grade_class
from grader.gradebook import Gradebook
from grader.quiz.interactive import write_key_sheet


def _hostile_class(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copytree(paths.EXAMPLES / "sample_submission", folder / "alice")
    mutant(folder / "bob", {})
    write_key_sheet(folder / "bob" / "quiz_answers.toml", "bob")
    (folder / "mallory").symlink_to(SOLUTIONS, target_is_directory=True)  # the entry itself is a link
    (folder / "mike.py").symlink_to(SOLUTIONS / "layers.py")
    links = folder / "lena"
    links.mkdir()
    (links / "layers.py").symlink_to(SOLUTIONS / "layers.py")
    (links / "environ.py").symlink_to("/proc/self/environ")
    os.mkfifo(folder / "fifi.py")  # a FIFO handed in as a file
    special = folder / "sid"
    special.mkdir()
    os.mkfifo(special / "layers.py")
    (folder / "dora").mkdir()
    make_chain(folder / "dora", 1100, leaf="layers.py")
    with open(folder / "huge.py", "wb") as f:
        f.truncate(2 << 30)
    with zipfile.ZipFile(folder / "zed.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("../../escape.py", "X = 1\n")
        z.writestr("bomb.py", b"\0" * (3 << 20))
        z.writestr("layers.py", (SOLUTIONS / "layers.py").read_text().replace("np.maximum(0.0, x)", "x"))
    (folder / "junk.zip").write_bytes(b"not a zip")
    return folder


def test_a_class_mixing_hostile_and_normal_students_grades_completely(tmp_path):
    folder = _hostile_class(tmp_path)
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(folder / "sock.py"))
    out = tmp_path / "out"
    box: dict = {}
    try:
        worker = threading.Thread(target=lambda: box.setdefault("summary", grade_class(
            folder, out, solutions=SOLUTIONS, jobs=2, lang="en")), daemon=True)
        worker.start()
        worker.join(300)
        assert not worker.is_alive(), "the batch hung"
    finally:
        server.close()
        remove_chain(folder / "dora")
    summary = box["summary"]
    students = [e.student for e in discover(folder)]
    assert {"alice", "bob", "mallory", "mike", "lena", "fifi", "sid", "dora", "huge", "zed", "junk"} <= set(students)
    assert sorted(summary.graded) == sorted(students) and not summary.failed
    with Gradebook(out / "gradebook.sqlite") as book:
        rows = {r["student"]: r for r in book.students()}
    assert set(rows) == set(students)
    for name in ("alice", "bob"):
        # Alone, in this process (trusted code; tests/test_callers.py: same verdicts as the sandbox).
        alone = grade_official(folder / name, student=name, trusted_in_process=True)
        assert rows[name]["score"] == alone.score
    assert rows["bob"]["score"] == rows["bob"]["max_score"] > 0
    for name in set(students) - {"alice", "bob"}:
        report = out / "reports" / f"{name}.html"
        results = json.loads((out / "results" / f"{name}.json").read_text())
        assert report.is_file() and results["tests"], name
    for name in ("mallory", "mike", "lena", "fifi", "sid", "dora", "huge", "junk"):
        assert rows[name]["score"] == 0, name  # a link to the reference earns nothing
    output = {name: json.loads((out / "results" / f"{name}.json").read_text())["output"]
              for name in ("mallory", "mike", "lena", "fifi", "sid", "dora", "huge", "zed", "junk")}
    assert "is a symbolic link" in output["mallory"] and "is a symbolic link" in output["mike"]
    assert re.search(r"\d+ symbolic links? (was|were) not followed", output["lena"])
    assert "not a regular file" in output["fifi"]
    assert re.search(r"\d+ (item is not a regular file|items are not regular files)", output["sid"])
    assert "levels deep" in output["dora"]
    assert "larger than" in output["huge"]
    assert "outside the submission" in output["zed"] and "larger than" in output["zed"]
    assert "not a zip archive" in output["junk"]
