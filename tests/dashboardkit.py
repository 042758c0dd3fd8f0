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


def graded_class(root: Path, lang: str = "zh") -> Path:
    """Grade the class into ``root/out``; returns that folder (gradebook.sqlite, reports/)."""
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
