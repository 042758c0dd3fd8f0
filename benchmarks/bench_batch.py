"""How long does a class take? Grades N copies of the bundled submissions with
``grade_class`` (the engine of ``rnngrade batch``) and prints the throughput.

    python benchmarks/bench_batch.py --students 200 --jobs 2

The class alternates the sample submission (with mistakes) and the reference, so
both failing and passing paths are exercised. A second run over the same folder
shows the resumable path (everything unchanged: skipped).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from grader import paths
from grader.batch import grade_class


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "class"
        folder.mkdir()
        sources = [paths.EXAMPLES / "sample_submission", paths.SOLUTIONS]
        for i in range(args.students):
            shutil.copytree(sources[i % 2], folder / f"s{i:04d}", ignore=shutil.ignore_patterns("__pycache__"))
            # Make every submission distinct, as real ones are.
            (folder / f"s{i:04d}" / "notes.py").write_text(f"STUDENT = {i}\n")
        out = Path(tmp) / "out"
        t0 = time.perf_counter()
        summary = grade_class(folder, out, solutions=paths.SOLUTIONS, jobs=args.jobs, lang="zh")
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = grade_class(folder, out, solutions=paths.SOLUTIONS, jobs=args.jobs, lang="zh")
        second = time.perf_counter() - t0
    print(f"{len(summary.graded)} submissions graded with {args.jobs} workers in {first:.1f} s "
          f"({first / max(1, len(summary.graded)) * 1000:.0f} ms each, {len(summary.failed)} failures)")
    print(f"re-run over the unchanged class: {len(again.skipped)} skipped in {second:.1f} s")


if __name__ == "__main__":
    main()
