"""How long does grading trusted code take through each caller? (the mutant tables)

    python benchmarks/bench_callers.py               # the reference and a few mutants, both callers
    python benchmarks/bench_callers.py --repeat 9

The sandbox starts a child process per grade and sends every call through a pipe;
the in-process caller (tests only: the reference and its mutants) runs the child's
own code in this process. Same verdicts (tests/test_callers.py), different cost.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from grader import paths
from grader.api import grade

# (name, {file: [(old, new)]}): one bug per family, one that needs the reference's blocks.
MUTANTS = [
    ("reference", {}),
    ("affine without bias", {"layers.py": [("    out = x.reshape(x.shape[0], -1) @ w + b\n",
                                            "    out = x.reshape(x.shape[0], -1) @ w\n")]}),
    ("dprev_c without f", {"rnn_layers.py": [("dprev_c = dc * f", "dprev_c = dc")]}),
    ("unbiased variance", {"stability.py": [("var = x.var(axis=0)", "var = x.var(axis=0, ddof=1)")]}),
]


def _mutant(root: Path, edits: dict[str, list[tuple[str, str]]]) -> Path:
    root.mkdir(parents=True)
    for path in paths.SOLUTIONS.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for old, new in edits.get(path.name, []):
            text = text.replace(old, new)
        (root / path.name).write_text(text, encoding="utf-8")
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        roots = [(name, _mutant(Path(tmp) / f"m{k}", edits)) for k, (name, edits) in enumerate(MUTANTS)]
        grade(roots[0][1], solutions=paths.SOLUTIONS)  # warm-up: imports, bubblewrap probe
        for in_process in (False, True):
            walls = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                for _, root in roots:
                    grade(root, solutions=paths.SOLUTIONS, trusted_in_process=in_process)
                walls.append(time.perf_counter() - t0)
            per = statistics.median(walls) / len(roots)
            print(f"{'in-process' if in_process else 'sandbox   '}: {per * 1000:.0f} ms per submission "
                  f"(median of {args.repeat} x {len(roots)} submissions, whole assignment, official)")


if __name__ == "__main__":
    main()
