"""What one call of a student's function costs on the wire, beside what the function does.

    python benchmarks/bench_wire.py               # 2,000 calls per part
    python benchmarks/bench_wire.py --calls 8000

A sandboxed child (the strongest isolation level here) serves calls of a tiny forward
pass (``x @ W + b`` on a 4x5 input, its cache kept in the child as a numerical
gradient's calls do), one call per request and then 8 per request (a numerical
gradient's batch). Each part runs in a cgroup leaf of its own (``measure.py``), so the
child's CPU is counted; the same part with no calls (imports, the child's start and
stop) is subtracted. The last line is the same exchange in one process
(``InProcessCaller``: the harness's call handling and the value encoding, no pipes).
Figures are printed with the machine's load, never asserted.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from measure import load, run  # noqa: E402

PART = textwrap.dedent("""
    import sys
    import numpy as np
    from grader.calls import Call
    from grader.submission import prepare
    part, per_request, n, folder = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    prepared = prepare(folder + "/sub.py")
    if part == "inprocess":
        from grader.sandbox.inprocess import InProcessCaller
        caller = InProcessCaller(prepared.root, prepared.modules, ["f"])
    else:
        from grader.sandbox.isolation import probe
        from grader.sandbox.session import Sandbox
        caller = Sandbox(prepared.root, prepared.modules, ["f"], None, probe())
    assert caller.start().ok
    rng = np.random.default_rng(0)
    x, W, b = rng.standard_normal((4, 5)), rng.standard_normal((5, 3)), rng.standard_normal(3)
    for r in range(n // per_request):
        out = caller.call_many([Call("f", (x + 1e-5 * k, W, b), keep=(-1,)) for k in range(per_request)])
        assert all(o.ok for o in out)
    caller.close()
""")
SUBMISSION = "def f(x, W, b):\n    return x @ W + b, (x, W, b)\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "sub.py").write_text(SUBMISSION)
        for part, per_request, label in (("sandbox", 1, "sandbox, 1 call per request"),
                                         ("sandbox", 8, "sandbox, 8 calls per request"),
                                         ("inprocess", 8, "in process, 8 calls per request")):
            base = run([sys.executable, "-c", PART, part, str(per_request), "0", folder])
            full = run([sys.executable, "-c", PART, part, str(per_request), str(args.calls), folder])
            if base.returncode or full.returncode:
                print(f"{label}: failed\n{(base.stdout + full.stdout)[-2000:]}")
                return
            per_call = (full.cpu - base.cpu) / args.calls * 1e6
            print(f"{label:34s} cpu {per_call:5.0f} us per call, parent and child  [{full.cpu_source}]  ({load()})")


if __name__ == "__main__":
    main()
