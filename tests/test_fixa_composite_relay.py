"""A self-check cannot substitute the reference's building blocks: a composite whose block
fails (and names a known mistake) gets the relay cause first ("Also failing: ... fix that
first") and is not charged with the block's mistake (tryout finding 4)."""

from __future__ import annotations

import pytest
from support import exercises_named, grade_fast

from grader.api import grade
from grader.package_data import sample_submission
from grader.report.terminal import summary
from grader.report.view import build


@pytest.fixture(scope="module")
def sample():
    return grade(sample_submission(), student="s", exercises=exercises_named("gru_step", "gru"),
                 trusted_in_process=True)


def test_the_composite_is_not_charged_with_its_blocks_mistake(sample):
    step = [c for c in sample.checks if c.exercise == "gru_step" and c.status == "failed"]
    assert any("11" in c.mistakes for c in step)  # the block has it
    gru = [c for c in sample.checks if c.exercise == "gru"]
    assert not any("11" in c.mistakes for c in gru)
    failed = [c for c in gru if c.status == "failed"]
    assert failed and all(c.messages[0].key == "check.builds_on" for c in failed)
    for c in gru:  # the pending backward waits for gru_forward, not for "mistake 11" of it
        assert not any(m.key == "mistake.11.found" for m in c.messages)
        assert not any(m.key == "diagnosis.pending_forward_named" for m in c.messages)


def test_terminal_and_report_put_the_relay_first(sample):
    for lang in ("en", "zh"):
        out = summary(sample, lang)
        block = out[out.index("gru_forward"):]
        first = block.splitlines()[0]
        assert "fix that first" in first or "先修正" in first, first
        gru_part = out[out.rindex("0/15"):]
        assert "Known mistake 11" not in gru_part and "常见错误 11" not in gru_part
    entries = {e.anchor: e for e in build(sample).fix_first}
    gru = next(e for a, e in entries.items() if a.endswith("ex-gru"))
    assert gru.cause is not None and gru.cause.key == "check.builds_on"
    assert not any(m.id == "11" for m in gru.mistakes)


def test_the_official_grade_still_judges_the_composite_with_the_reference_block():
    result = grade_fast(sample_submission(), "gru_step", "gru")
    gru = [c for c in result.checks if c.exercise == "gru"]
    assert sum(c.points for c in gru) == sum(c.max_points for c in gru) == 15
