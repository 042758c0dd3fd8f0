"""The portable sandbox level (no bubblewrap: macOS, Docker, Ubuntu runners) still
contains hangs, exits, floods and memory hogs, and still grades correctly. Official
grading there is refused unless the instructor allows it, and then says it is not
isolated."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from click.testing import CliRunner
from support import SOLUTIONS, ProcessWatch, daemon_token, grade_official, reference_plus, statuses, write_submission

from grader.cli import main
from grader.results.gradescope import to_gradescope
from grader.sandbox import isolation as iso
from grader.sandbox.isolation import IsolationRefused, at_level
from grader.sandbox.session import Limits

PORTABLE = at_level("portable")
FAST = Limits(call_seconds=1.0, total_seconds=30.0, load_seconds=5.0)


def _grade(root, *names):
    return grade_official(root, *names, limits=FAST, isolation=PORTABLE, allow_unisolated=True)


def test_reference_full_marks_in_portable_mode():
    result = _grade(SOLUTIONS, "relu", "affine", "net")
    assert result.isolation == "portable"
    assert result.score == result.max_score
    assert result.isolated is False
    assert any(n.key == "isolation.not_isolated" for n in result.notices)
    data = to_gradescope(result, "en")
    assert data["extra_data"]["isolated"] is False and "not isolated" in data["output"]


def test_official_grading_at_the_portable_level_is_refused_by_default():
    with pytest.raises(IsolationRefused):
        grade_official(SOLUTIONS, "relu", limits=FAST, isolation=PORTABLE)
    from grader.api import grade

    selfcheck = grade(SOLUTIONS, exercises=[], isolation=PORTABLE)  # a self-check needs no isolation
    assert selfcheck.isolation == "portable" and not selfcheck.notices


def test_the_cli_refuses_official_portable_grading_without_the_flag(tmp_path, monkeypatch):
    monkeypatch.setattr(iso, "probe", lambda: PORTABLE)
    monkeypatch.setattr("grader.api.probe", lambda: PORTABLE)
    runner = CliRunner()
    args = ["grade", str(SOLUTIONS), "--solutions", str(SOLUTIONS), "--lang", "en"]
    refused = runner.invoke(main, args + ["--results", str(tmp_path / "r.json")])
    assert refused.exit_code == 2 and "--allow-unisolated" in refused.output
    assert not (tmp_path / "r.json").exists()
    allowed = runner.invoke(main, args + ["--results", str(tmp_path / "r.json"), "--allow-unisolated"])
    assert allowed.exit_code == 0, allowed.output
    assert json.loads((tmp_path / "r.json").read_text())["extra_data"]["isolated"] is False
    batch = runner.invoke(main, ["batch", str(tmp_path), "--solutions", str(SOLUTIONS), "--out", str(tmp_path / "o")])
    assert batch.exit_code == 2 and "--allow-unisolated" in batch.output and not (tmp_path / "o").exists()


def test_gradescope_run_fails_closed_with_the_message_at_the_portable_level(tmp_path, monkeypatch):
    monkeypatch.setattr("grader.api.probe", lambda: PORTABLE)
    root = tmp_path / "autograder"
    shutil.copytree(SOLUTIONS, root / "source" / "solutions")
    (root / "submission").mkdir()
    (root / "submission_metadata.json").write_text('{"users": [{"sid": "s1"}]}')  # as Gradescope writes it
    result = CliRunner().invoke(main, ["gradescope", "run", "--root", str(root), "--lang", "en"])
    assert result.exit_code == 2 and "--allow-unisolated" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)  # a message, not a traceback
    assert not (root / "results").exists()


def test_isolated_levels_say_so(tmp_path):
    level = iso.probe()
    if not level.isolated:
        pytest.skip("this machine has neither bubblewrap nor Landlock")
    result = grade_official(SOLUTIONS, "relu", limits=FAST)
    assert result.isolated is True and not any(n.key == "isolation.not_isolated" for n in result.notices)
    assert to_gradescope(result, "en")["extra_data"]["isolated"] is True
    assert os.geteuid() != 0 or level.drops_privileges


def test_hang_flood_and_memory_in_portable_mode(tmp_path):
    root = reference_plus(tmp_path / "sub", """
        import sys
        def tanh_forward(x):
            while True:
                pass
        def relu_forward(x):
            sys.stdout.write("y" * (64 << 20))
            return x, x
        def sigmoid_forward(x):
            return np.ones((20 * 1024**3) // 8)[: x.size].reshape(x.shape), None
    """)
    result = _grade(root, "tanh", "relu", "sigmoid", "affine")
    st = statuses(result)
    assert st["tanh.forward"] == st["relu.forward"] == st["sigmoid.forward"] == "failed"
    assert all(v == "passed" for k, v in st.items() if k.startswith("affine."))


def test_os_exit_at_import_in_portable_mode(tmp_path):
    root = write_submission(tmp_path / "sub", {"layers.py": "import os\nos._exit(3)\n"})
    result = _grade(root, "relu")
    assert result.score == 0 and result.load_status != "loaded"


def test_escaped_daemons_are_swept_in_portable_mode(tmp_path):
    # The daemon leaves the child's session and becomes `sleep <token>`: seen running
    # while the grade runs, and gone the moment the grade returns (a liveness check).
    token = daemon_token()
    root = reference_plus(tmp_path / "sub", f"""
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                try:
                    os.execv("/bin/sleep", ["sleep", {token!r}])
                finally:
                    os._exit(0)
            os._exit(0)
        time.sleep(0.2)  # the daemon is running before loading ends
    """)
    with ProcessWatch(token) as watch:
        result = _grade(root, "relu")
        assert watch.seen, "the daemon never ran: this test would prove nothing"
        assert watch.alive() == []
    assert result.score == result.max_score
