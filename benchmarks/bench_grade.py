"""How long does grade() take in a running process? (warm: wall and CPU, median of repeats)

This is the *warm, in-process* figure (imports done, templates compiled, the sandbox
probed): not what a user waits for. ``benchmarks/bench_cli.py`` measures a fresh
``rnngrade grade … --html`` process, whole process tree included.

    python benchmarks/bench_grade.py                      # the bundled sample, official
    python benchmarks/bench_grade.py --repeat 20 PATH     # any submission
    python benchmarks/bench_grade.py --self-check         # without the reference

CPU time counts the parent and its reaped children (RUSAGE_CHILDREN). Under bubblewrap
the sandboxed child is reaped inside its PID namespace, so its CPU is not seen here:
``RNNGRADE_ISOLATION=portable python benchmarks/bench_grade.py`` gives the full count.
Figures are printed, never asserted: speed is measured here, not in the unit tests.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
from pathlib import Path

from grader import paths
from grader.api import grade


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("submission", nargs="?", default=str(paths.EXAMPLES / "sample_submission"))
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--self-check", action="store_true", help="grade without the reference solutions")
    args = parser.parse_args()
    solutions = None if args.self_check else paths.SOLUTIONS
    grade(args.submission, solutions=solutions)  # warm-up: imports, bubblewrap probe
    walls, cpus, result = [], [], None
    for _ in range(args.repeat):
        c0, t0 = _cpu(), time.perf_counter()
        result = grade(args.submission, solutions=solutions)
        walls.append(time.perf_counter() - t0)
        cpus.append(_cpu() - c0)
    assert result is not None
    print(f"submission: {Path(args.submission)}  ({'self-check' if args.self_check else 'official'},"
          f" sandbox: {result.isolation})")
    print(f"checks: {len(result.checks)}  score: {result.score:g}/{result.max_score:g}")
    print(f"warm in-process grade(): wall median {statistics.median(walls) * 1000:.0f} ms  (min "
          f"{min(walls) * 1000:.0f}, max {max(walls) * 1000:.0f}) over {args.repeat} runs  "
          f"(load {os.getloadavg()[0]:.2f}/{os.cpu_count()})")
    who = "parent + sandboxed child" if result.isolation == "portable" else "parent only: see the docstring"
    print(f"cpu   median {statistics.median(cpus) * 1000:.0f} ms  ({who})")


if __name__ == "__main__":
    main()
