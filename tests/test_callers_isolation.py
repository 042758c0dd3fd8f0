"""The in-process caller and official grading's isolation rule (sandbox): asking for
the in-process caller is the explicit permission to grade unisolated, so it is never
refused and never probes, while the sandbox on the same machine still is refused; the
result says how the grade was made."""

from __future__ import annotations

import pytest
from support import grade_fast, grade_official, mutant

import grader.api as api
from grader.sandbox.inprocess import LEVEL
from grader.sandbox.isolation import IsolationRefused, at_level


def test_in_process_grading_is_not_refused_where_the_sandbox_would_be(tmp_path, monkeypatch):
    monkeypatch.setattr(api, "probe", lambda: at_level("portable"))
    root = mutant(tmp_path / "m", {})
    with pytest.raises(IsolationRefused):
        grade_official(root, "relu")
    result = grade_fast(root, "relu")
    assert result.score == result.max_score > 0
    assert result.isolation == LEVEL and result.isolated is False
    assert [n.params for n in result.notices if n.key == "isolation.not_isolated"] == [{"level": LEVEL}]
