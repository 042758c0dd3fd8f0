"""GitHub Actions / GitLab CI: valid YAML, no secret on the student's side, payloads
under the platforms' limits, and the commands each file runs executed in a simulated
layout (network steps, i.e. pip and cloning, left out)."""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from deploykit import REPO, clean_env, run

from grader.api import grade
from grader.cli import main
from grader.deploy import ci
from grader.results import classroom

# Stand-ins for the commands that need the network: pip logs what it would install,
# gh and git "clone" a repository from a local folder of remotes ($FAKE_REMOTES).
FAKES = {
    "pip": 'echo "pip $*" >> "$FAKE_LOG"\n',
    "gh": 'echo "gh $*" >> "$FAKE_LOG"\n[ "$1 $2" = "repo clone" ] && cp -r "$FAKE_REMOTES/${3##*/}" "$4"\n',
    "git": 'echo "git $*" >> "$FAKE_LOG"\nfor a in "$@"; do src=$dst; dst=$a; done\n'
           'name=${src##*/}; cp -r "$FAKE_REMOTES/${name%.git}" "$dst"\n',
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ci")
    for platform in ci.PLATFORMS:
        result = CliRunner().invoke(main, ["ci", platform, "--out", str(out), "--lang", "en"])
        assert result.exit_code == 0, result.output
    return out


def _steps(workflow: dict) -> list[dict]:
    (job,) = workflow["jobs"].values()
    return job["steps"]


def _bash(script: str, cwd: Path, wheel_env: Path, remotes: Path | None = None, **env: str) -> list[str]:
    """Run ``script`` as the CI would (bash -e), with rnngrade from the wheel and the
    network commands faked; returns the faked commands' calls."""
    fakes = cwd.parent / f"fake-bin-{cwd.name}"
    fakes.mkdir(exist_ok=True)
    for name, body in FAKES.items():
        (fakes / name).write_text("#!/bin/sh\n" + body)
        (fakes / name).chmod(0o755)
    log = cwd.parent / f"fake-{cwd.name}.log"
    log.touch()
    path = os.pathsep.join([str(fakes), str(wheel_env), os.environ["PATH"]])
    run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd,
        env=clean_env(PATH=path, FAKE_LOG=str(log), FAKE_REMOTES=str(remotes or cwd), **env))
    return log.read_text().splitlines()


@pytest.fixture
def student_repo(tmp_path, wheel_file) -> Path:
    """The assignment repository as a student pushes it: the release bundle."""
    result = CliRunner().invoke(main, ["release", "--course", str(REPO), "--wheel", str(wheel_file),
                                       "--out", str(tmp_path / "rel"), "--lang", "en"])
    assert result.exit_code == 0, result.output
    repo = tmp_path / "student"
    shutil.copytree(tmp_path / "rel" / "rnn-lstm-student", repo)
    return repo


def test_every_file_is_valid_yaml_and_the_students_side_has_no_secret(generated):
    files = [p for p in generated.rglob("*") if p.is_file()]
    assert len(files) == 4
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert isinstance(data, dict) and data
    for path in (generated / "student").rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert "secrets." not in text and "--solutions" not in text and "TOKEN" not in text
    gh = yaml.safe_load((generated / "instructor/.github/workflows/rnngrade-grade-class.yml").read_text())
    trigger = gh.get("on", gh.get(True))  # YAML 1.1 reads the key `on` as true
    assert set(trigger) == {"workflow_dispatch"}  # run by the instructor only, never by a student's push
    secret_steps = [s for s in _steps(gh) if "secrets." in json.dumps(s)]
    assert [s["name"] for s in secret_steps] == ["Clone the students' repositories"]
    gl = yaml.safe_load((generated / "instructor/.gitlab-ci.yml").read_text())
    assert gl["rnngrade-grade-class"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "web"'}]


def test_students_github_workflow_runs_the_self_check_for_classroom(generated, student_repo, wheel_env, tmp_path):
    workflow = yaml.safe_load((student_repo / ".github/workflows/rnngrade-selfcheck.yml").read_text())
    step = next(s for s in _steps(workflow) if s.get("id") == "rnngrade")
    output = tmp_path / "github_output"
    output.touch()
    assert not _bash(step["run"], student_repo, wheel_env, GITHUB_OUTPUT=str(output), GITHUB_ACTIONS="true")
    assert (student_repo / "report.html").is_file()
    (line,) = output.read_text().splitlines()
    encoded = line.removeprefix("result=")
    assert len(f"RNNGRADE_RESULTS={encoded}".encode()) < 128 * 1024  # one environment variable
    data = json.loads(base64.b64decode(encoded))
    assert data["version"] == 1 and data["status"] == "fail" and data["tests"] and data["max_score"] > 0
    reporter = next(s for s in _steps(workflow) if "autograding-grading-reporter" in s.get("uses", ""))
    assert reporter["with"]["runners"] == "rnngrade" and "RNNGRADE_RESULTS" in reporter["env"]


def test_classroom_payload_of_a_blank_submission_fits_one_environment_variable(tmp_path):
    result = grade(REPO / "exercises", solutions=REPO / "solutions", student="blank")
    raw = json.dumps(classroom.to_classroom(result, "zh"), ensure_ascii=False).encode()
    assert len(base64.b64encode(raw)) > classroom.ENV_VALUE_BYTES  # the case that overflowed before
    encoded = classroom.write_classroom(result, tmp_path / "c.json", "zh")
    assert len(encoded) <= classroom.ENV_VALUE_BYTES
    data = json.loads(base64.b64decode(encoded))
    assert sum(t["score"] for t in data["tests"]) == pytest.approx(result.score)
    assert data["max_score"] == pytest.approx(result.max_score)
    grouped = classroom.fit_classroom(classroom.to_classroom(result, "en"), result, "en", limit=5_000)
    assert len(grouped["tests"]) == len(result.exercises)  # last resort: one test per exercise, points kept
    assert sum(t["score"] for t in grouped["tests"]) == pytest.approx(result.score)


def test_students_gitlab_pipeline_writes_junit_and_the_report(student_repo, wheel_env):
    job = yaml.safe_load((student_repo / ".gitlab-ci.yml").read_text())["rnngrade-self-check"]
    calls = _bash("\n".join(job["script"]), student_repo, wheel_env)
    assert calls == ["pip install -r requirements.txt"]
    junit = ET.parse(student_repo / "junit.xml").getroot()
    assert junit.tag == "testsuites" and int(junit.get("tests")) > 50
    assert (student_repo / "junit.xml").stat().st_size < 1_000_000
    assert set(job["artifacts"]["paths"]) == {"report.html"} and job["artifacts"]["reports"]["junit"] == "junit.xml"


ROSTER = ('"identifier","github_username","github_id","name"\n'  # GitHub Classroom's roster export
          '"s001","alice","1","Alice Wang"\n"s002","bob","2","Bob Li"\n"s003","carol","3","Carol Zhang"\n'
          '"s004","ghost","4","Gone Away"\n')


def _github_steps(workflow: dict, cwd: Path, wheel_env: Path, remotes: Path, **env: str) -> dict[str, str]:
    """Run a GitHub workflow's steps as Actions does: a step runs when every earlier step
    succeeded, or when its ``if`` says ``always()``; returns each step's outcome
    (``success``, ``failure``, ``skipped``; ``uses`` steps that would run: ``ran``)."""
    outcomes: dict[str, str] = {}
    failed = False
    for i, step in enumerate(_steps(workflow)):
        name = step.get("name") or step.get("uses") or str(i)
        if failed and "always()" not in str(step.get("if", "")):
            outcomes[name] = "skipped"
            continue
        if "run" not in step:
            outcomes[name] = "ran"
            continue
        step_env = {k: str(v) for k, v in (step.get("env") or {}).items() if "${{" not in str(v)}
        try:
            _bash(step["run"], cwd, wheel_env, remotes, **{**env, **step_env})
        except AssertionError:
            outcomes[name] = "failure"
            failed = True
        else:
            outcomes[name] = "success"
    return outcomes


@pytest.mark.parametrize("platform", ci.PLATFORMS)
def test_instructors_side_grades_the_cloned_class_under_the_rosters_ids(platform, generated, source_copy,
                                                                         student_repo, wheel_env, tmp_path):
    """The simulated run of tryout findings 3 and 4: repositories are graded under the
    roster's ids (not their names); a repository the roster does not know and one that
    cannot be cloned are reported, and the grades are exported and kept all the same."""
    course = tmp_path / "course"
    shutil.copytree(source_copy, course)  # the private course repository, with solutions/
    (course / "class.txt").write_text("# one repository per line\nclass-org/rnn-lstm-alice\n\nclass-org/rnn-lstm-bob\n"
                                      "class-org/rnn-lstm-mallory\nclass-org/rnn-lstm-ghost\n")
    (course / "roster.csv").write_text(ROSTER)
    remotes = tmp_path / "remotes"  # the students' repositories, as pushed (ghost's is gone)
    for name in ("rnn-lstm-alice", "rnn-lstm-bob", "rnn-lstm-mallory"):
        shutil.copytree(student_repo, remotes / name)
    for py in (REPO / "examples" / "sample_submission").glob("*.py"):
        shutil.copy2(py, remotes / "rnn-lstm-alice" / "exercises" / py.name)
    env = {"GH_TOKEN": "t", "CLASS_TOKEN": "t", "CI_SERVER_HOST": "gitlab.example"}
    if platform == "github":
        workflow = yaml.safe_load((generated / "instructor/.github/workflows/rnngrade-grade-class.yml").read_text())
        outcomes = _github_steps(workflow, course, wheel_env, remotes, **env)
        assert outcomes["Grade the class"] == "failure"  # mallory is not in the roster: listed, not graded
        assert outcomes["Export the grades"] == "success" and outcomes["actions/upload-artifact@v4"] == "ran"
        upload = next(s for s in _steps(workflow) if "upload-artifact" in s.get("uses", ""))
        assert set(upload["with"]["path"].split()) == {"grades.csv", "graded/"}
    else:
        job = yaml.safe_load((generated / "instructor/.gitlab-ci.yml").read_text())["rnngrade-grade-class"]
        assert job["artifacts"]["when"] == "always" and set(job["artifacts"]["paths"]) == {"grades.csv", "graded/"}
        with pytest.raises(AssertionError, match="exited 1"):  # the job fails, after exporting
            _bash("\n".join(job["script"]), course, wheel_env, remotes, GRADE_UNMATCHED="false", **env)
    calls = (course.parent / f"fake-{course.name}.log").read_text().splitlines()
    assert calls[0].startswith("pip install . numpy==") and len(calls) == 5  # pip, then one clone per line
    rows = list(csv.DictReader(io.StringIO((course / "grades.csv").read_text(encoding="utf-8"))))
    assert {r["student"]: r["source"] for r in rows} == {"s001": "rnn-lstm-alice/", "s002": "rnn-lstm-bob/"}
    scores = {r["student"]: float(r["score"]) for r in rows}
    assert scores["s001"] > 50 and scores["s002"] == 0
    assert (course / "graded" / "dashboard.html").is_file()
    intake_rows = list(csv.DictReader(io.StringIO((course / "graded" / "intake.csv").read_text(encoding="utf-8"))))
    assert {(r["handin"], r["student"], r["status"]) for r in intake_rows} >= {
        ("rnn-lstm-mallory/", "rnn-lstm-mallory", "unmatched"), ("", "s003", "no_handin"), ("", "s004", "no_handin")}


@pytest.mark.parametrize("platform", ci.PLATFORMS)
def test_the_instructor_can_opt_in_to_grade_repositories_the_roster_does_not_know(platform, generated, source_copy,
                                                                                   student_repo, wheel_env, tmp_path):
    course = tmp_path / "course"
    shutil.copytree(source_copy, course)
    (course / "class.txt").write_text("class-org/rnn-lstm-alice\nclass-org/rnn-lstm-mallory\n")
    (course / "roster.csv").write_text(ROSTER)
    remotes = tmp_path / "remotes"
    for name in ("rnn-lstm-alice", "rnn-lstm-mallory"):
        shutil.copytree(student_repo, remotes / name)
    env = {"GH_TOKEN": "t", "CLASS_TOKEN": "t", "CI_SERVER_HOST": "gitlab.example", "GRADE_UNMATCHED": "true"}
    if platform == "github":
        workflow = yaml.safe_load((generated / "instructor/.github/workflows/rnngrade-grade-class.yml").read_text())
        assert workflow.get("on", workflow.get(True))["workflow_dispatch"]["inputs"]["grade_unmatched"]["default"] is False
        step = next(s for s in _steps(workflow) if s.get("name") == "Grade the class")
        assert step["env"]["GRADE_UNMATCHED"] == "${{ inputs.grade_unmatched }}"
        outcomes = _github_steps(workflow, course, wheel_env, remotes, **env)
        assert set(outcomes.values()) <= {"success", "ran"}, outcomes
    else:
        job = yaml.safe_load((generated / "instructor/.gitlab-ci.yml").read_text())["rnngrade-grade-class"]
        assert job["variables"]["GRADE_UNMATCHED"] == "false"
        _bash("\n".join(job["script"]), course, wheel_env, remotes, **env)
    rows = list(csv.DictReader(io.StringIO((course / "grades.csv").read_text(encoding="utf-8"))))
    assert sorted(r["student"] for r in rows) == ["rnn-lstm-mallory", "s001"]


@pytest.mark.parametrize("platform", ci.PLATFORMS)
def test_a_missing_roster_stops_the_run_before_cloning(platform, generated, tmp_path, wheel_env):
    course = tmp_path / "course"
    course.mkdir()
    (course / "class.txt").write_text("class-org/rnn-lstm-alice\n")
    if platform == "github":
        workflow = yaml.safe_load((generated / "instructor/.github/workflows/rnngrade-grade-class.yml").read_text())
        step = next(s for s in _steps(workflow) if s.get("name") == "Check class.txt and roster.csv")
        script = step["run"]
    else:
        script = yaml.safe_load((generated / "instructor/.gitlab-ci.yml").read_text())["rnngrade-grade-class"][
            "script"][0]
    with pytest.raises(AssertionError) as info:
        _bash(script, course, wheel_env)
    assert "roster.csv is missing" in str(info.value) and "docs/ci.md" in str(info.value)
