"""The course's Python and numpy ranges: declared once (pyproject.toml), pins inside
them, and every result says which versions graded it."""

from __future__ import annotations

import json
import platform
import tomllib

import numpy as np
import pytest

from grader import paths, versions
from grader.api import grade
from grader.report.html import render_html
from grader.results.gradescope import to_gradescope
from grader.specs import all_exercises


def test_declared_range_is_pyprojects():
    project = tomllib.loads((paths.ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    spec = versions.declared()
    assert spec.python == project["requires-python"]
    numpy_req = next(r for r in project["dependencies"] if r.startswith("numpy"))
    assert sorted(spec.numpy.split(",")) == sorted(numpy_req.removeprefix("numpy").split(","))


def test_pins_lie_inside_the_declared_range():
    spec = versions.declared()
    assert versions.satisfies(versions.PINNED_NUMPY, spec.numpy)
    assert versions.satisfies(versions.PINNED_PYTHON, spec.python)
    assert versions.satisfies(platform.python_version(), spec.python)  # this machine, too


@pytest.mark.parametrize("version,spec,ok", [
    ("2.4.6", ">=1.26,<3", True), ("1.25.2", ">=1.26,<3", False), ("3.0.0", ">=1.26,<3", False),
    ("3.0.0rc1", "<3", False), ("1.26", ">=1.26.0", True), ("3.11.7", ">=3.11", True), ("3.10.12", ">=3.11", False),
    ("2.2.6", "==2.2.*", True), ("2.3.0", "==2.2.*", False), ("2.3.0", "!=2.2.*", True), ("2.2.9", "~=2.2.6", True),
    ("2.3.0", "~=2.2.6", False), ("2.2.6", "==2.2.6", True), ("2.2.6", "!=2.2.6", False), ("2.2.6", "", True),
])
def test_satisfies(version, spec, ok):
    assert versions.satisfies(version, spec) is ok


def test_satisfies_refuses_what_it_cannot_read():
    with pytest.raises(ValueError):
        versions.satisfies("2.0", "numpy>2")


def test_result_report_and_results_json_state_the_versions_that_graded():
    bp = [e for e in all_exercises() if e.name == "affine"]
    result = grade(paths.EXAMPLES / "sample_submission", exercises=bp)
    assert result.versions == {"python": platform.python_version(), "numpy": np.__version__,
                               "rnngrade": result.version}
    data = json.loads(json.dumps(to_gradescope(result, "en")))
    assert data["extra_data"]["versions"]["numpy"] == np.__version__
    html = render_html(result, "en")
    assert f"Python {platform.python_version()}, numpy {np.__version__}" in html
    assert "numpy" in render_html(result, "zh")


def test_a_version_outside_the_range_is_said(monkeypatch):
    monkeypatch.setattr(versions, "running", lambda: {"python": platform.python_version(), "numpy": "1.20.0",
                                                      "rnngrade": "0.1.0"})
    bp = [e for e in all_exercises() if e.name == "affine"]
    result = grade(paths.EXAMPLES / "sample_submission", exercises=bp)
    assert [n.params["name"] for n in result.notices if n.key == "deploy.version_outside"] == ["numpy"]
