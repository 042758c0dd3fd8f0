"""The CLI's children started first (grader/sandbox/prelaunch.py, grader/sandbox/launch.py)
and a split grade's helper handed the second of them (grader/split.py, issue 15): nothing
heavy imported before they start, the helper grades with the child the parent launched
(and starts its own after a crash), the experiments shared out between the two, and
every child, cgroup and folder gone at the end; the grade always that of one process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import SOLUTIONS, exercises_named, reference_plus
from test_cli_split import EXPERIMENTED, FAST, SMALL, _children, _same

from grader import api, split
from grader.sandbox import launch, reaper
from grader.sandbox import prelaunch as pre
from grader.sandbox.isolation import probe
from grader.sandbox.session import Sandbox

ROOT = Path(__file__).resolve().parents[1]


def test_the_children_start_before_numpy_is_imported():
    """What the CLI imports before it launches its children (prelaunch, and split.wanted
    to know whether to launch two) imports neither numpy nor the check engine."""
    code = ("import sys; import grader.sandbox.prelaunch, grader.split; "
            "print(sorted(m for m in ('numpy', 'grader.checks.engine', 'grader.sandbox.session') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_the_first_childs_level_is_the_level_probe_finds():
    """prelaunch does not wait for bubblewrap's check (launch.expected); what it
    expects is what the check then finds, or the child is not used (api.grade)."""
    code = ("from grader.sandbox import isolation as i, launch; e = launch.expected(); p = i.probe(); "
            "print(e == p, i.bubblewrap_status(), i.PENDING)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert out.returncode == 0, out.stderr
    same, status, pending = out.stdout.split()
    assert same == "True" or status == "broken"  # a bwrap that cannot run here: the child is dropped
    assert pending == "[]"  # the check started ahead was the one probe() collected


def _grade(submission, exercises, **kw):
    return api.grade(submission, solutions=SOLUTIONS, student="split-student", allow_unisolated=True,
                     exercises=exercises, **kw)


def _taken_over(monkeypatch, tmp_path: Path) -> Path:
    """A file the helper writes its pid to when it takes over the launched second child."""
    marker = tmp_path / "taken"
    take_over = Sandbox.take_over

    def recorded(self):
        take_over(self)
        marker.write_text(str(os.getpid()))

    monkeypatch.setattr(Sandbox, "take_over", recorded)
    return marker


def _grade_launched(submission, exercises, **kw):
    launched = pre.prelaunch(second=True)
    assert launched is not None and launched.second is not None and launched.second.alive
    assert launched.second.root == launched.root
    try:
        result = _grade(submission, exercises, launched=launched, split=True, **kw)
    finally:
        pre.discard(launched)
    assert not launched.root.exists()
    return result, launched


def test_the_helper_grades_with_the_child_launched_with_the_parents(splits, monkeypatch, tmp_path):
    marker = _taken_over(monkeypatch, tmp_path)
    exercises = exercises_named(*SMALL)
    before = _children()
    alone = _grade(SOLUTIONS, exercises, experiments=False)
    both, _ = _grade_launched(SOLUTIONS, exercises, experiments=False)
    assert splits and splits[0].theirs and splits[0].error is None
    assert marker.is_file() and int(marker.read_text()) != os.getpid()  # taken over in the helper
    assert both.restarts == 0
    _same(alone, both)
    assert _children() <= before  # the helper and both children collected, by the discard
    assert not reaper.KEPT  # the second child kept from the parent's sweeps only while the helper had it


def test_a_launched_child_that_crashes_in_the_helper_is_replaced_by_one_of_its_own(splits, tmp_path):
    plan = split.plan(exercises_named(*SMALL))
    ex = plan.theirs[-1]
    code = f"import os\n\ndef {ex.functions[0]}(*args, **kwargs):\n    os._exit(1)\n"
    submission = reference_plus(tmp_path / "sub", code, file=ex.module)
    exercises = exercises_named(*SMALL)
    before = _children()
    alone = _grade(submission, exercises, limits=FAST, experiments=False)
    both, _ = _grade_launched(submission, exercises, limits=FAST, experiments=False)
    assert splits and splits[0].error is None and splits[0].helper_restarts >= 1
    hit = next(er for er in both.exercises if er.exercise.name == ex.name)
    assert hit.points < hit.max_points
    _same(alone, both)
    assert _children() <= before


def test_the_experiments_shared_out_give_the_grade_of_one_process(splits):
    exercises = exercises_named(*EXPERIMENTED)
    alone = _grade(SOLUTIONS, exercises, experiments=True)
    both, _ = _grade_launched(SOLUTIONS, exercises, experiments=True)
    assert splits and splits[0].plan.experiments == "either" and splits[0].error is None
    assert [e["id"] for e in both.extras["experiments"]] == [e["id"] for e in alone.extras["experiments"]]
    _same(alone, both)


def test_not_split_the_second_child_is_stopped_at_once(monkeypatch):
    monkeypatch.setenv("RNNGRADE_SPLIT", "0")
    launched = pre.prelaunch(second=True)
    assert launched is not None and launched.second is not None
    second = launched.second
    try:
        _grade(SOLUTIONS, exercises_named("affine"), launched=launched, experiments=False, split=True)
        assert not second.alive  # its core given back before grading
    finally:
        pre.discard(launched)


def test_the_experiments_are_taken_once_each_the_longest_first():
    r, w = os.pipe()
    os.write(w, bytes(sorted(range(3), key=lambda i: -[12.0, 110.0, 30.0][i])))
    os.close(w)
    os.set_blocking(r, False)
    try:
        assert [split._claim(r) for _ in range(4)] == [1, 2, 0, None]
    finally:
        os.close(r)
    assert split._claim(-1) is None


def test_a_second_child_that_cannot_start_leaves_the_first(monkeypatch):
    started = launch.start_child
    calls = []

    def once(*args, **kw):
        calls.append(1)
        if len(calls) > 1:
            raise OSError("no second child")
        return started(*args, **kw)

    monkeypatch.setattr(pre, "start_child", once)
    launched = pre.prelaunch(second=True)
    try:
        assert launched is not None and launched.alive and launched.second is None
    finally:
        pre.discard(launched)


def test_a_stopped_child_is_collected_and_its_folders_removed_at_close(tmp_path):
    if probe().level != "bubblewrap":
        pytest.skip("the bubblewrap level is not available here")
    root = tmp_path / "sub"
    root.mkdir()
    sandbox = Sandbox.launched(launch.start_child(root, probe()), root, probe())
    pid = sandbox._proc.pid
    assert pid in _children()
    workdir = Path(sandbox._workdir)
    group = sandbox._group
    sandbox.stop()  # SIGKILL, no wait
    assert workdir.is_dir()
    sandbox.close()
    assert pid not in _children()
    assert not workdir.exists()
    assert group is None or not group.path.exists()
    assert not reaper.KEPT


def test_the_plan_kept_between_processes_is_the_one_searched(tmp_path, monkeypatch):
    from grader.assignments.config import Assignment
    from grader.assignments.material import assignment_exercises
    from grader.i18n import parsed_cache

    monkeypatch.setenv("RNNGRADE_PARSED_CACHE", str(tmp_path / "cache"))
    exercises = assignment_exercises(Assignment(name="x"))
    searched = split.search(exercises, True, 0)
    assert split.plan(exercises, True, 0) == searched  # made and kept
    entries = list((tmp_path / "cache").iterdir())
    assert len(entries) == 1 and split.plan(exercises, True, 0) == searched  # read back
    assert split.plan(exercises, False, 0) == split.search(exercises, False, 0)  # other inputs, another entry
    assert len(list((tmp_path / "cache").iterdir())) == 2
    parsed_cache.write(entries[0].name, ["not", "a plan"])  # an entry of another shape: searched again
    assert split.plan(exercises, True, 0) == searched
    parsed_cache.write(entries[0].name, [["nobody"], [], "mine"])
    assert split.plan(exercises, True, 0) == searched
    parsed_cache.write(entries[0].name, [[e.name for e in searched.mine[1:]], [e.name for e in searched.theirs], "either"])
    assert split.plan(exercises, True, 0) == searched  # an exercise left out is never planned


def test_the_callers_idle_work_is_done_while_the_helper_is_still_grading(splits, monkeypatch):
    """``idle`` (the CLI: importing what writes its reports) runs once, in this process,
    while it would wait for a helper that has not finished; the grade is the same."""
    import time

    from grader.checks import engine

    parent, second_pass = os.getpid(), engine.second_pass

    def late(*args, **kw):
        if os.getpid() != parent:
            time.sleep(0.2)  # the helper finishes well after the parent
        return second_pass(*args, **kw)

    monkeypatch.setattr(engine, "second_pass", late)
    exercises = exercises_named(*SMALL)
    calls: list[int] = []
    alone = _grade(SOLUTIONS, exercises, experiments=False, idle=lambda: calls.append(os.getpid()))
    assert calls == []  # not split: nothing to wait for
    both = _grade(SOLUTIONS, exercises, experiments=False, split=True, idle=lambda: calls.append(os.getpid()))
    assert splits and splits[0].error is None
    assert calls == [parent]
    _same(alone, both)
