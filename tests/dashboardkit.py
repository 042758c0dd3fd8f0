"""A small graded class for the dashboard tests (unit and browser): the sample, the
reference with the quiz key, a partial .py, the untouched stubs, an LSTM with its
gate blocks swapped, graded by the real batch (the sandbox) in Chinese."""

from __future__ import annotations

import shutil
from pathlib import Path

from support import SOLUTIONS, mutant

from grader import paths
from grader.batch import grade_class
from grader.quiz.interactive import write_key_sheet

STUDENTS = ["alice", "bob", "carol", "dave", "erin"]


# The class graded once per test session and language (a pristine copy, outside every
# caller's folder): the unit and the browser tests each get their own copy of it.
_GRADED: dict[str, Path] = {}


def graded_class(root: Path, lang: str = "zh") -> Path:
    """The class graded into ``root/out``; returns that folder (gradebook.sqlite,
    reports/). Graded by the real batch once per session and language, then copied."""
    out = root / "out"
    if lang not in _GRADED:
        first = _grade(root, lang)
        _GRADED[lang] = root.parent / f"{root.name}-graded-class-{lang}"
        shutil.copytree(first, _GRADED[lang])
        return first
    shutil.copytree(_GRADED[lang], out)
    return out


def _grade(root: Path, lang: str) -> Path:
    folder = root / "class"
    folder.mkdir(parents=True)
    shutil.copytree(paths.EXAMPLES / "sample_submission", folder / "alice")
    mutant(folder / "bob", {})
    write_key_sheet(folder / "bob" / "quiz_answers.toml", "bob")
    (folder / "carol.py").write_text("import numpy as np\n\ndef relu_forward(x):\n    return np.maximum(0, x), x\n")
    shutil.copytree(paths.EXERCISES, folder / "dave", ignore=shutil.ignore_patterns("notebook", "quiz"))
    mutant(folder / "erin", {"rnn_layers.py": [("i, f, o = s[:, :H], s[:, H:2 * H], s[:, 2 * H:]",
                                                "f, i, o = s[:, :H], s[:, H:2 * H], s[:, 2 * H:]")]})
    out = root / "out"
    summary = grade_class(folder, out, solutions=SOLUTIONS, jobs=2, lang=lang)
    assert sorted(summary.graded) == STUDENTS, summary.failed
    return out
