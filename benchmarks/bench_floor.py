"""Where a batch's CPU per submission goes, and the floor under it (issue 15's 20/s).

    python benchmarks/bench_floor.py              # 12 submissions per part, warm
    python benchmarks/bench_floor.py --repeat 30

A batch on 2 cores can grade at most 2 / (CPU per submission) submissions a second.
Each part below runs in one warm process (as a batch worker is), in a cgroup v2 leaf
of its own so the sandboxed children's CPU is counted (see ``measure.py``):

* ``worker``: what a worker does per student (grade in the sandbox, results.json data,
  the HTML report), the whole tree's CPU;
* ``child start``: a sandboxed child started and stopped with nothing to load
  (bubblewrap, the interpreter, numpy, the harness);
* ``zygote child start``: the same child forked by a batch worker's fork server
  (``grader/sandbox/zygote.py``; the server's own start is not counted: once per
  worker), where the server can run (root, bubblewrap);
* ``grading logic``: the same work (results.json data and report included) with the
  grade run in this process on trusted code (``trusted_in_process``: no child, no
  wire): the grader's own work plus the student's code, the floor no sandbox design
  removes.

Figures are printed with the machine's load, never asserted.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from measure import load, run  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PART = textwrap.dedent("""
    import sys
    from pathlib import Path
    from grader.api import grade
    from grader.assignments.stage import student_view
    from grader.report.html import render_html
    from grader.results.gradescope import to_gradescope
    from grader.sandbox.session import Sandbox
    from grader.sandbox.isolation import probe
    part, n, root = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    sample, solutions = root / "examples" / "sample_submission", root / "solutions"
    def one(trusted):
        r = grade(sample, solutions=solutions, student="sample", experiments=False, allow_unisolated=True,
                  trusted_in_process=trusted)
        to_gradescope(r, "en"); render_html(student_view(r), "en")
    one(part == "logic")  # warm-up: imports, templates, caches, as in a batch worker after its first student
    if part == "start":
        import tempfile
        isolation = probe()
    if part == "zygote":
        from grader.sandbox import zygote
        from grader.sandbox.prelaunch import discard, forked
        zygote.start()
        if zygote.current() is None:
            sys.exit("no fork server here")
        discard(forked())  # the server ready, as after a worker's first student
    for _ in range(n):
        if part == "zygote":
            sb = forked()
            assert sb is not None and sb.forked
            sb.start()
            discard(sb)
        elif part == "start":
            with tempfile.TemporaryDirectory() as tmp:
                sb = Sandbox(Path(tmp), [], [], isolation=isolation)
                sb.start()
                sb.close()
        else:
            one(part == "logic")
    if part == "zygote":
        zygote.stop()
""")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=12)
    args = parser.parse_args()
    n = args.repeat
    figures = {}
    for part, label in (("worker", "worker: grade + results + report"), ("start", "child start (nothing loaded)"),
                        ("zygote", "zygote child start (nothing loaded)"),
                        ("logic", "grading logic + results + report, no child")):
        base = run([sys.executable, "-c", PART, part, "0", str(ROOT)])  # imports and the warm-up alone
        full = run([sys.executable, "-c", PART, part, str(n), str(ROOT)])
        if part == "zygote" and (base.returncode or full.returncode):
            print(f"{label}: no fork server here (it needs root and bubblewrap)")
            continue
        if base.returncode or full.returncode:
            print(f"{label}: failed\n{(base.stdout + full.stdout)[-2000:]}")
            return
        figures[part] = (full.cpu - base.cpu) / n
        print(f"{label:36s} cpu {figures[part] * 1000:5.0f} ms per submission  [{full.cpu_source}]  ({load()})")
    worker = figures["worker"]
    if "zygote" in figures:
        print(f"a batch worker forking its children from a fork server: at most "
              f"{2 / max(worker - figures['start'] + figures['zygote'], 1e-9):.1f} submissions/s on 2 cores")
    print(f"at most {2 / worker:.1f} submissions/s on 2 cores with this worker; without any child start "
          f"{2 / max(worker - figures['start'], 1e-9):.1f}/s; the grading logic alone allows "
          f"{2 / figures['logic']:.1f}/s (the batch's own process, snapshots and files not counted)")


if __name__ == "__main__":
    main()
