"""Side items (inputs left unchanged, ...) of a function none of whose results is right are
withheld, never failed, on every path; an official grade says so without promising "yet",
and the terminal says it after the exercise's real cause (tryout finding 2)."""

from __future__ import annotations

import pytest
from support import exercises_named, grade_fast, mutant

from grader.api import grade
from grader.i18n import render
from grader.report.terminal import summary
from grader.results.classroom import to_classroom
from grader.results.gradescope import to_gradescope

NO_BIAS = {"layers.py": [("    out = x.reshape(x.shape[0], -1) @ w + b\n", "    out = x.reshape(x.shape[0], -1) @ w\n")]}


@pytest.fixture(scope="module")
def no_bias(tmp_path_factory):
    return mutant(tmp_path_factory.mktemp("fixa") / "m", NO_BIAS)


def _side(result):
    return next(c for c in result.checks if c.id == "affine.forward_mutation")


def test_official_side_item_is_withheld_for_good_and_said_after_the_cause(no_bias):
    result = grade_fast(no_bias, "affine")
    side = _side(result)
    assert side.status == "pending" and side.points == 0
    assert side.messages[0].key == "policy.side_final"
    for lang, yet in (("en", "yet"), ("zh", "暂")):
        text = render(side.messages[0], lang)
        assert yet not in text
        out = summary(result, lang)
        cause = render(next(c for c in result.checks if c.status == "failed").messages[0], lang)
        assert out.index(cause) < out.index(text)  # the missing bias first, the consequence after
    data = to_gradescope(result, "en")
    test = next(t for t in data["tests"] if t["extra_data"]["id"] == side.id)
    assert test.get("status") != "failed" and test["extra_data"]["status"] == "pending"
    assert to_classroom(result, "en")["tests"]  # still a valid classroom file without the status field


def test_self_check_side_item_waits_yet(no_bias):
    result = grade(no_bias, student="s", exercises=exercises_named("affine"), trusted_in_process=True)
    side = _side(result)
    assert side.status == "pending" and side.messages[0].key == "policy.side_waits"
    assert "yet" in render(side.messages[0], "en")
