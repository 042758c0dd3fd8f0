"""What the checks cost the parent per grade, and how much they ask the student's code.

    python benchmarks/bench_checks.py                     # sample, reference, stubs; trusted and with a child
    python benchmarks/bench_checks.py --repeat 15 --which sample --mode trusted
    python benchmarks/bench_checks.py --against /tmp/base # another checkout, interleaved run for run

For each submission (the bundled sample, the reference solutions, the stubs of
``exercises/``), a warm ``grade(..., experiments=False, allow_unisolated=True)`` in one
process, as a batch worker runs it after its first student:

* ``trusted``: the code runs in this process (``trusted_in_process``: no child, no wire),
  so the figure is the grader's own work plus the student's and the reference's code;
* ``child``: the ordinary sandboxed child; the figure is this (parent) process's CPU
  only (the child's is ``bench_floor.py``'s business).

Besides the CPU per grade (median and minimum of ``--repeat``), the calls of the
student's functions the checks made and the requests (round trips) they took, counted
where the checks hand them to the caller (``Context.call_many``; a run answered from a
recorded first run, :mod:`grader.checks.replay`, is not counted). Each figure comes
from a fresh interpreter per (checkout, submission, mode); the machine's load is
printed beside them, and nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from measure import load  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PART = textwrap.dedent("""
    import json, statistics, sys, time
    from pathlib import Path
    root = Path(sys.argv[1]); sys.path.insert(0, str(root))
    from grader.api import grade
    from grader.checks import model, replay
    which, mode, n = sys.argv[2], sys.argv[3], int(sys.argv[4])
    sub = {"sample": root / "examples" / "sample_submission", "reference": root / "solutions",
           "stubs": root / "exercises"}[which]
    counts = [0, 0]
    real = model.Context.call_many
    def counted(self, calls):
        if not isinstance(self.caller, replay.Replayer):
            counts[0] += len(calls)
            counts[1] += 1
        return real(self, calls)
    model.Context.call_many = counted
    def one():
        grade(sub, solutions=root / "solutions", student="sample", experiments=False, allow_unisolated=True,
              trusted_in_process=mode == "trusted")
    one()  # warm-up: imports, templates, caches
    counts[:] = [0, 0]
    one()
    calls, requests = counts
    cpu = []
    for _ in range(n):
        t = time.process_time()
        one()
        cpu.append(time.process_time() - t)
    print(json.dumps({"median": statistics.median(cpu), "min": min(cpu), "calls": calls, "requests": requests}))
""")


def measure(root: Path, which: str, mode: str, repeat: int) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", PART, str(root), which, mode, str(repeat)],
                         capture_output=True, text=True, check=True, cwd=root)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--which", nargs="+", default=["sample", "reference", "stubs"])
    ap.add_argument("--mode", nargs="+", default=["trusted", "child"], choices=["trusted", "child"])
    ap.add_argument("--against", type=Path, default=None, help="another checkout, measured interleaved")
    args = ap.parse_args()
    roots = [ROOT] + ([args.against.resolve()] if args.against else [])
    for which in args.which:
        for mode in args.mode:
            for root in roots:
                r = measure(root, which, mode, args.repeat)
                label = "this" if root == ROOT else str(root)
                print(f"{which:9s} {mode:7s} {label:24s} CPU median {r['median'] * 1000:6.1f} ms "
                      f"(min {r['min'] * 1000:6.1f})  {r['calls']:4d} calls in {r['requests']:3d} requests"
                      f"  {load()}", flush=True)


if __name__ == "__main__":
    main()
