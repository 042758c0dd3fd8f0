import os
import sys
from pathlib import Path

# Make tests/support.py importable as `support` from every test module.
sys.path.insert(0, str(Path(__file__).parent))
# Every core already runs a test worker (pytest-xdist): a command's grade split over two
# processes (grader/split.py) would only add a second sandboxed child to each. The split's
# own tests ask for it (tests/test_cli_split.py, test_split_launch.py); RNNGRADE_SPLIT=1
# runs the whole suite split.
os.environ.setdefault("RNNGRADE_SPLIT", "0")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def capstone_reference_result():
    """The reference graded with the capstone's training stage on (the five full runs,
    about 2.5 s of CPU): made once for the stage's, the report's and the browser's tests,
    which only read it."""
    from test_capstone_stage import stage_grade

    from grader.paths import SOLUTIONS

    return stage_grade(SOLUTIONS)


@pytest.fixture(scope="session")
def capstone_mutant_result(tmp_path_factory):
    """name -> the capstone mutant ``name`` graded as :func:`test_capstone_stage.stage_grade`
    grades it by default (official, the stage on, five full runs, about 2.5 s of CPU each):
    made once per mutant for the stage's and the report's tests, which only read it."""
    from capstone_support import CAPSTONE_MUTANTS
    from support import mutant
    from test_capstone_stage import stage_grade

    root = tmp_path_factory.mktemp("capstone-mutant-results")
    made = {}

    def result(name):
        if name not in made:
            made[name] = stage_grade(mutant(root / name, CAPSTONE_MUTANTS[name][1]))
        return made[name]

    return result


# Sandboxed grades that many files read and none changes: made once per session (each
# is a whole assignment graded through the real sandbox, 1-3 s of CPU).
@pytest.fixture(scope="session")
def stubs_selfcheck_result():
    """``grade(exercises/)``: the untouched stubs, self-check, through the sandbox."""
    from grader import paths
    from grader.api import grade

    return grade(paths.EXERCISES)


@pytest.fixture(scope="session")
def sample_selfcheck_result():
    """``grade(sample, student="sample", experiments=True)``: the quick start's self-check
    (``rnngrade grade --sample --html``: experiments, as its report shows them), through the sandbox."""
    from grader import paths
    from grader.api import grade

    return grade(paths.EXAMPLES / "sample_submission", student="sample", experiments=True)


@pytest.fixture(scope="session")
def sample_official_result():
    """``grade(sample, solutions=SOLUTIONS, student="sample", experiments=True)``: the sample
    graded officially, with the experiments its HTML report shows."""
    from grader import paths
    from grader.api import grade

    return grade(paths.EXAMPLES / "sample_submission", solutions=paths.SOLUTIONS, student="sample",
                 experiments=True)


@pytest.fixture
def splits(monkeypatch):
    """Every Split a grade makes, kept to look at afterwards; the test machine's cores and
    load do not decide whether a grade splits, and a few exercises split too (quick tests)."""
    from grader import split

    made: list[split.Split] = []

    class Recorded(split.Split):
        def __init__(self, *args, **kw):
            super().__init__(*args, **kw)
            made.append(self)

    monkeypatch.setattr(split, "Split", Recorded)
    monkeypatch.setattr(split, "usable_cores", lambda: 2)
    monkeypatch.setattr(split, "load", lambda: 0.0)
    monkeypatch.setattr(split, "START_COST", 0)
    monkeypatch.delenv("RNNGRADE_SPLIT", raising=False)
    return made
