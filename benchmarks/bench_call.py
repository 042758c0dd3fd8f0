"""What one call to a sandboxed child costs, apart from the student's code.

    python benchmarks/bench_call.py                 # 3000 calls, 1 and 6 per request
    python benchmarks/bench_call.py --calls 6000 --per-request 1 6 24

A child is started at the portable level (its CPU is then visible to ``RUSAGE_CHILDREN``;
under bubblewrap it is reaped inside its PID namespace) on a one-line submission,
``f(x, w) = (x @ w, {"x": x})``, whose cache is kept as the checks' forwards are; it is
called ``--calls`` times, in requests of ``--per-request`` calls. Printed per call, CPU
of the parent and of the child, the child's start and stop subtracted (the same child
started and closed with no call), best of three, beside the machine's load. One call
per request pays a request's cost too (a frame each way, a wake-up on each side).
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from measure import load  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--per-request", type=int, nargs="*", default=[1, 6])
    args = parser.parse_args()
    os.environ["RNNGRADE_ISOLATION"] = "portable"
    import numpy as np

    from grader.calls import Call, ModuleEntry
    from grader.sandbox.isolation import probe
    from grader.sandbox.session import Sandbox

    isolation = probe()
    x, w = np.ones((4, 5)), np.ones((5, 3))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "m.py").write_text("def f(x, w):\n    return x @ w, {'x': x}\n", encoding="utf-8")
        os.chmod(root, 0o755)
        os.chmod(root / "m.py", 0o644)

        def run(n: int, k: int) -> tuple[float, float]:
            c0, p0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.process_time()
            sb = Sandbox(root, [ModuleEntry("m", "m.py")], ["f"], isolation=isolation)
            sb.start()
            for _ in range(n // k):
                out = sb.call_many([Call("f", (x, w), keep=(-1,)) for _ in range(k)])
                assert out[0].ok, out[0]
            sb.close()
            c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            return time.process_time() - p0, (c1.ru_utime + c1.ru_stime) - (c0.ru_utime + c0.ru_stime)

        run(0, 1)  # warm: imports, the harness cache
        empty = [run(0, 1) for _ in range(3)]
        bp, bc = min(e[0] for e in empty), min(e[1] for e in empty)
        for k in args.per_request:
            n = args.calls - args.calls % k
            full = [run(n, k) for _ in range(3)]
            fp, fc = min(f[0] for f in full), min(f[1] for f in full)
            print(f"{isolation.level}, {k:3d} call(s) per request: parent {(fp - bp) / n * 1e6:6.1f} us, "
                  f"child {(fc - bc) / n * 1e6:6.1f} us per call  ({load()})")


if __name__ == "__main__":
    main()
