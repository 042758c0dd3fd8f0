"""The instructor's CI workflows for one assignment of a course file, run in the
simulated layout of test_ci.py: the batch line carries both ``--assignment`` and
``--roster roster.csv`` (plus ``--grade-unmatched`` when asked), so the class is graded
for that assignment under the roster's ids, a repository the roster does not know is
listed and not graded, and the export (also for that assignment) runs whatever the
batch exits with."""

from __future__ import annotations

import csv
import io
import shutil
import sqlite3

import pytest
import yaml
from click.testing import CliRunner
from course_support import TWO_WEEKS
from deploykit import REPO
from test_ci import ROSTER, _bash, _github_steps

from grader.cli import main
from grader.deploy import ci


@pytest.mark.parametrize("platform", ci.PLATFORMS)
def test_an_assignments_workflow_grades_for_it_under_the_rosters_ids(platform, source_copy, wheel_env, tmp_path):
    course = tmp_path / "course"
    shutil.copytree(source_copy, course)  # the private course repository, with solutions/ and its course file
    (course / "course.toml").write_text(TWO_WEEKS, encoding="utf-8")
    (course / "class.txt").write_text("class-org/rnn-lstm-alice\nclass-org/rnn-lstm-mallory\n")
    (course / "roster.csv").write_text(ROSTER)
    made = CliRunner().invoke(main, ["ci", platform, "--out", str(tmp_path / "ci"), "--course", str(course),
                                     "--assignment", "week1", "--lang", "en"])
    assert made.exit_code == 0, made.output
    remotes = tmp_path / "remotes"
    for name in ("rnn-lstm-alice", "rnn-lstm-mallory"):
        (remotes / name / "exercises").mkdir(parents=True)
        for py in (REPO / "solutions").glob("*.py"):  # each hands in the reference: full marks for week 1
            shutil.copy2(py, remotes / name / "exercises" / py.name)
    env = {"GH_TOKEN": "t", "CLASS_TOKEN": "t", "CI_SERVER_HOST": "gitlab.example"}
    if platform == "github":
        workflow = yaml.safe_load((tmp_path / "ci" / "instructor/.github/workflows/rnngrade-grade-class.yml")
                                  .read_text())
        outcomes = _github_steps(workflow, course, wheel_env, remotes, **env)
        assert outcomes["Grade the class"] == "failure"  # mallory is not in the roster: listed, not graded
        assert outcomes["Export the grades"] == "success" and outcomes["actions/upload-artifact@v4"] == "ran"
    else:
        job = yaml.safe_load((tmp_path / "ci" / "instructor/.gitlab-ci.yml").read_text())["rnngrade-grade-class"]
        with pytest.raises(AssertionError, match="exited 1"):  # the job fails, after exporting
            _bash("\n".join(job["script"]), course, wheel_env, remotes, GRADE_UNMATCHED="false", **env)
    rows = list(csv.DictReader(io.StringIO((course / "grades.csv").read_text(encoding="utf-8"))))
    assert [r["student"] for r in rows] == ["s001"]
    assert float(rows[0]["max_score"]) == 31  # week 1's points (affine 20, relu 7, quiz 4), not the whole course's
    assert float(rows[0]["score"]) == 27  # the code's full marks; no answer sheet for the quiz
    with sqlite3.connect(course / "graded" / "gradebook.sqlite") as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'assignment'").fetchone() == ("week1",)
