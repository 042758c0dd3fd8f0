import sys
from pathlib import Path

# Make tests/support.py importable as `support` from every test module.
sys.path.insert(0, str(Path(__file__).parent))

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def capstone_reference_result():
    """The reference graded with the capstone's training stage on (the five full runs,
    about 2.5 s of CPU): made once for the stage's, the report's and the browser's tests,
    which only read it."""
    from test_capstone_stage import stage_grade

    from grader.paths import SOLUTIONS

    return stage_grade(SOLUTIONS)
