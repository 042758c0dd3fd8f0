"""One grade over two processes (grader/split.py): the parent and a forked helper, each
with its own sandboxed child, give exactly the grade of one process (results, terminal
summary and HTML report), on the sample, the reference, the stubs and hostile
submissions whose code crashes or hangs in either share; a helper that fails is dropped
and its share graded by the parent."""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from pathlib import Path

import pytest
from support import SOLUTIONS, exercises_named, reference_plus

from grader import api, paths, split
from grader.assignments.config import Assignment
from grader.assignments.material import assignment_exercises
from grader.checks import engine
from grader.report.html import render_html
from grader.report.terminal import summary
from grader.results.gradescope import to_gradescope
from grader.sandbox.session import Limits

FAST = Limits(call_seconds=0.5, total_seconds=30.0, load_seconds=5.0)  # a hang burns a core until then
# A few exercises, one of them a composite: a quick grade that still splits.
SMALL = ("affine", "relu", "sigmoid", "tanh", "losses", "net", "residual")
# What every experiment needs (grader/experiments), and a composite to split around.
EXPERIMENTED = ("rnn_step", "rnn", "birnn", "clip", "init", "affine", "relu", "residual")


def _grade(submission, exercises=None, **kw):
    return api.grade(submission, solutions=SOLUTIONS, student="split-student", allow_unisolated=True,
                     exercises=exercises, **kw)


def _same(one, two) -> None:
    """The two grades are one grade: every byte a student or a gradebook sees. Not
    ``restarts``: how often a crashed child was started again depends on whether that
    child had calls left to make (two children, two counts), and is checked apart."""
    for r in (one, two):
        r.seconds, r.graded_at = 0.0, "2026-01-01T00:00:00+00:00"
    restarts = (one.restarts, two.restarts)
    one.restarts = two.restarts = 0
    assert one.to_dict() == two.to_dict()
    assert json.dumps(to_gradescope(one, "en")) == json.dumps(to_gradescope(two, "en"))
    assert summary(one, "zh", verbose=True) == summary(two, "zh", verbose=True)
    assert render_html(one, "en") == render_html(two, "en")
    one.restarts, two.restarts = restarts


def _children() -> set[int]:
    me = os.getpid()
    return {int(c) for t in Path(f"/proc/{me}/task").iterdir()
            for c in (t / "children").read_text().split()}


def test_the_plan_shares_the_exercises_building_blocks_first():
    exercises = assignment_exercises(Assignment(name="x"))
    plan = split.plan(exercises)
    mine, theirs = plan.mine, plan.theirs
    assert theirs and mine
    assert sorted(e.name for e in mine + theirs) == sorted(e.name for e in exercises)
    for share in (mine, theirs):
        seen: set[str] = set()
        names = {e.name for e in share}
        for ex in share:
            assert not {b for b in ex.builds_on if b in names} - seen, f"{ex.name} before its blocks"
            seen.add(ex.name)
    # What the helper waits for comes first in the parent's share.
    needed = {b for ex in theirs for b in ex.builds_on} - {e.name for e in theirs}
    last_needed = max(i for i, ex in enumerate(mine) if ex.name in needed)
    assert all(ex.name in needed or any(ex.name in split._blocks(exercises)[n] for n in needed)
               for ex in mine[: last_needed + 1])
    # By the cost model, the split finishes well before one process would.
    costs = {e.name: split.cost(e, split._blocks(exercises)[e.name]) for e in exercises}
    assert split._makespan(plan, costs, False) < 0.8 * sum(costs.values())
    alone = exercises_named("affine")
    assert split.plan(alone) == split.Plan(alone, [])  # nothing to split


def test_split_only_where_two_cores_are_usable_and_not_oversubscribed(monkeypatch):
    monkeypatch.delenv("RNNGRADE_SPLIT", raising=False)
    monkeypatch.setattr(split, "load", lambda: 0.3)
    monkeypatch.setattr(split, "usable_cores", lambda: 1)
    assert not split.wanted()
    monkeypatch.setattr(split, "usable_cores", lambda: 2)
    assert split.wanted()
    monkeypatch.setattr(split, "load", lambda: 1.7)  # its own recent runs: still worth it
    assert split.wanted()
    monkeypatch.setattr(split, "load", lambda: 4.5)  # oversubscribed: the helper gains no core
    assert not split.wanted()
    monkeypatch.setenv("RNNGRADE_SPLIT", "1")
    assert split.wanted()
    monkeypatch.setenv("RNNGRADE_SPLIT", "0")
    monkeypatch.setattr(split, "load", lambda: 0.0)
    assert not split.wanted()


@pytest.mark.parametrize("which", ["sample", "reference", "stubs"])
def test_a_split_grade_is_the_grade_of_one_process(which, splits):
    submission = {"sample": paths.ROOT / "examples" / "sample_submission", "reference": SOLUTIONS,
                  "stubs": paths.ROOT / "exercises"}[which]
    experiments = which == "sample"  # the experiments run in the parent's child while the helper grades
    before = _children()
    alone = _grade(submission, experiments=experiments)
    assert not splits
    both = _grade(submission, experiments=experiments, split=True)
    assert len(splits) == 1 and splits[0].theirs and splits[0].error is None
    _same(alone, both)
    assert _children() <= before  # the helper reaped, nothing of its left behind


def _hostile(tmp_path: Path, share: str, body: str) -> tuple[Path, str]:
    """The reference with the first function of an exercise in ``share`` ("mine": the
    parent's, "theirs": the helper's) replaced by ``body``."""
    plan = split.plan(exercises_named(*SMALL))
    ex = (plan.theirs if share == "theirs" else plan.mine)[-1]
    func = ex.functions[0]
    code = f"import os\n\ndef {func}(*args, **kwargs):\n    {body}\n"
    return reference_plus(tmp_path / "sub", code, file=ex.module), ex.name


@pytest.mark.parametrize("share", ["theirs", "mine"])
@pytest.mark.parametrize("attack", ["crash", "hang"])
def test_code_that_crashes_or_hangs_one_share_grades_the_same(tmp_path, splits, share, attack):
    body = {"crash": "os._exit(1)", "hang": "while True: pass"}[attack]
    submission, name = _hostile(tmp_path, share, body)
    exercises = exercises_named(*SMALL)
    before = _children()
    alone = _grade(submission, exercises, limits=FAST, experiments=False)
    both = _grade(submission, exercises, limits=FAST, experiments=False, split=True)
    assert splits and splits[0].error is None
    hit = next(er for er in both.exercises if er.exercise.name == name)
    assert hit.points < hit.max_points  # the attack cost that exercise its points, in both
    _same(alone, both)
    # A crashed (or killed, hung) child is started again only where it has calls left.
    assert both.restarts <= alone.restarts and alone.restarts >= 1
    assert _children() <= before


def test_a_helper_that_cannot_start_its_child_leaves_the_share_to_the_parent(splits, monkeypatch):
    def refused(first):
        def start():
            raise RuntimeError("no second child here")
        return start

    monkeypatch.setattr(api, "_second_child", refused)
    exercises = exercises_named(*SMALL)
    before = _children()
    alone = _grade(SOLUTIONS, exercises, experiments=False)
    both = _grade(SOLUTIONS, exercises, experiments=False, split=True)
    assert splits and "no second child here" in splits[0].error
    _same(alone, both)
    assert _children() <= before


@pytest.mark.parametrize("when", ["first", "second"])
def test_a_helper_that_dies_midway_leaves_the_share_to_the_parent(splits, monkeypatch, when, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # every folder the grades make, here
    parent = os.getpid()
    target = engine.run_first if when == "first" else engine.second_pass

    def dying(*args, **kw):
        if os.getpid() != parent:
            os._exit(9)  # the helper, killed in the middle of its share
        return target(*args, **kw)

    monkeypatch.setattr(engine, "run_first" if when == "first" else "second_pass", dying)
    exercises = exercises_named(*SMALL)
    before = _children()
    alone = _grade(SOLUTIONS, exercises, experiments=False)
    both = _grade(SOLUTIONS, exercises, experiments=False, split=True)
    assert splits and splits[0].error is not None
    _same(alone, both)
    assert _children() <= before
    assert list(tmp_path.iterdir()) == []  # nothing of the dead helper's children left behind


@pytest.mark.parametrize("where", ["mine", "theirs"])
def test_the_experiments_are_the_same_in_either_child(splits, monkeypatch, where):
    planned = split.plan
    monkeypatch.setattr(split, "plan", lambda exercises, experiments=False, *more: dataclasses.replace(
        planned(exercises, experiments, *more), experiments=where))
    exercises = exercises_named(*EXPERIMENTED)
    alone = _grade(SOLUTIONS, exercises, experiments=True)
    both = _grade(SOLUTIONS, exercises, experiments=True, split=True)
    assert splits and splits[0].plan.experiments == where and splits[0].theirs and splits[0].error is None
    assert len(alone.extras["experiments"]) == 3
    _same(alone, both)


def test_a_helper_that_dies_leaves_its_experiments_to_the_parent(splits, monkeypatch):
    planned = split.plan
    monkeypatch.setattr(split, "plan", lambda exercises, experiments=False, *more: dataclasses.replace(
        planned(exercises, experiments, *more), experiments="theirs"))
    parent = os.getpid()
    second_pass = engine.second_pass

    def dying(*args, **kw):
        if os.getpid() != parent:
            os._exit(9)
        return second_pass(*args, **kw)

    monkeypatch.setattr(engine, "second_pass", dying)
    exercises = exercises_named(*EXPERIMENTED)
    alone = _grade(SOLUTIONS, exercises, experiments=True)
    both = _grade(SOLUTIONS, exercises, experiments=True, split=True)
    assert splits and splits[0].error is not None
    _same(alone, both)


def test_a_helper_whose_child_loaded_something_else_leaves_the_share_to_the_parent(splits, monkeypatch):
    """The two children must have loaded the same submission the same way (functions
    found, isolation); the helper's child is started before the parent's has loaded, so
    the parent compares at the end and grades the share itself when they differ."""
    second = api._second_child

    def elsewhere(first):
        start = second(first)

        def other():
            caller, functions, loaded = start()
            return caller, functions, loaded + ("something else",)
        return other

    monkeypatch.setattr(api, "_second_child", elsewhere)
    exercises = exercises_named(*SMALL)
    alone = _grade(SOLUTIONS, exercises, experiments=False)
    both = _grade(SOLUTIONS, exercises, experiments=False, split=True)
    assert splits and "did not load" in splits[0].error
    _same(alone, both)


def test_a_submission_that_does_not_load_is_not_split(tmp_path, splits):
    broken = reference_plus(tmp_path / "sub", "raise SystemExit('no')\n")
    exercises = exercises_named(*SMALL)
    before = _children()
    alone = _grade(broken, exercises, limits=FAST, experiments=False)
    both = _grade(broken, exercises, limits=FAST, experiments=False, split=True)
    _same(alone, both)
    assert _children() <= before
