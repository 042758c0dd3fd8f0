"""Wall time of grading the recurrent exercises of one submission.

    python benchmarks/bench_recurrent.py [--repeat 5]

Three submissions, all graded officially (hidden inputs, the reference in the
parent, every gradient checked numerically and against the reference):

* ``reference``  - the solutions: every check passes, no probe runs;
* ``sample``     - examples/sample_submission (two named mistakes);
* ``all-wrong``  - the reference with a wrong forward or backward in every one of
  the seven exercises, so every probe of every exercise runs.

Each figure is the whole ``grade()`` call: copying the submission, starting the
sandboxed child (bubblewrap where available), loading the code, all checks and
probes, and shutting the child down.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader import paths  # noqa: E402
from grader.api import grade  # noqa: E402
from grader.specs import all_exercises  # noqa: E402

RECURRENT = ["rnn_step", "rnn", "birnn", "lstm_step", "lstm", "gru_step", "gru"]

# One wrong function per family and a wrong forward in each gated cell.
ALL_WRONG = [
    ("da = dnext_h * (1.0 - next_h**2)", "da = dnext_h * (1.0 - np.tanh(next_h)**2)"),  # rnn, birnn: mistake 6
    ("g = np.tanh(a[:, 3 * H:])", "g = 0.5 * (1.0 + np.tanh(0.5 * a[:, 3 * H:]))"),  # lstm forward: mistake 1
    ("dprev_c = dc * f", "dprev_c = dc"),  # lstm backward: mistake 4
    ("next_h = (1.0 - z) * n + z * prev_h", "next_h = z * n + (1.0 - z) * prev_h"),  # gru forward: mistake 11
    ("dprev_h = dah @ Wh.T + dnext_h * z", "dprev_h = dah @ Wh.T"),  # gru backward
]


def _all_wrong(folder: Path) -> Path:
    for path in paths.SOLUTIONS.glob("*.py"):
        shutil.copy(path, folder / path.name)
    target = folder / "rnn_layers.py"
    text = target.read_text(encoding="utf-8")
    for old, new in ALL_WRONG:
        assert old in text, old
        text = text.replace(old, new)
    target.write_text(text, encoding="utf-8")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    exercises = [e for e in all_exercises() if e.name in RECURRENT]
    with tempfile.TemporaryDirectory() as tmp:
        subjects = {"reference": paths.SOLUTIONS, "sample": paths.EXAMPLES / "sample_submission",
                    "all-wrong": _all_wrong(Path(tmp))}
        print(f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, {args.repeat} runs each, "
              f"{len(exercises)} exercises, {sum(len(e.checks) for e in exercises)} checks")
        grade(paths.SOLUTIONS, solutions=paths.SOLUTIONS, exercises=exercises)  # warm the parent's imports
        for name, path in subjects.items():
            times, result = [], None
            for _ in range(args.repeat):
                start = time.perf_counter()
                result = grade(path, solutions=paths.SOLUTIONS, exercises=exercises, student="bench")
                times.append(time.perf_counter() - start)
            assert result is not None
            print(f"{name:10s} median {statistics.median(times):.3f} s  max {max(times):.3f} s  "
                  f"score {result.score:g}/{result.max_score:g}  isolation {result.isolation}  "
                  f"mistakes {','.join(result.mistakes()) or '-'}")


if __name__ == "__main__":
    main()
