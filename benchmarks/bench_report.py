"""How much the HTML report adds to grading, and how large the file is.

    python benchmarks/bench_report.py [--repeat 20] [--json out.json]

Grades a few full submissions once (the sample submission officially and as a
self-check, the reference solutions, the untouched stubs), then renders each
report in both languages: the first render in this process (template compile
included) and the median of ``--repeat`` further renders. Then, in ``--fresh``
new processes, what one ``rnngrade grade --html`` pays on top of grading: importing
the report code, compiling the templates, rendering and writing the file. Compiled
templates are kept in memory only: a bytecode cache on disk would be a file the
grader loads code from in a folder a child could write (measured on 2 cores: the
first render in a fresh process went from ~60 ms with jinja2's cache in /tmp to
~140 ms; a batch worker compiles once, so warm renders are unchanged at ~40 ms).
Prints tables and checks the targets: the median fresh-process cost under 200 ms and
every file under 1 MB. Every time is measured twice: wall clock and the process's CPU
time. On a machine shared with other work the wall clock varies by a factor of two
from run to run; CPU time does not, so the targets are checked on CPU time and
comparisons between versions should use it (run both with the same script).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RENDER_BUDGET_MS = 200.0
SIZE_BUDGET_BYTES = 1_000_000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--fresh", type=int, default=5, help="fresh processes timed (CLI-like)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    from grader import paths
    from grader.api import grade

    t0 = time.perf_counter()
    from grader.report.html import render_html  # import cost counts too
    import_ms = (time.perf_counter() - t0) * 1000

    sample = paths.EXAMPLES / "sample_submission"
    cases = {
        "sample, official": (sample, paths.SOLUTIONS),
        "sample, self-check": (sample, None),
        "reference, official": (paths.SOLUTIONS, paths.SOLUTIONS),
        "stubs, official": (paths.EXERCISES, paths.SOLUTIONS),
    }
    rows = []
    first = True
    for name, (submission, solutions) in cases.items():
        g0 = time.perf_counter()
        result = grade(submission, solutions=solutions, student="sample")
        grade_ms = (time.perf_counter() - g0) * 1000
        for lang in ("zh", "en"):
            r0, c0 = time.perf_counter(), time.process_time()
            html = render_html(result, lang)
            cold_ms, cold_cpu = (time.perf_counter() - r0) * 1000, (time.process_time() - c0) * 1000
            times, cpu = [], []
            for _ in range(args.repeat):
                r0, c0 = time.perf_counter(), time.process_time()
                render_html(result, lang)
                times.append((time.perf_counter() - r0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
            rows.append({
                "case": name, "lang": lang, "checks": len(result.checks), "grade_ms": round(grade_ms, 1),
                "first_render_ms": round(cold_ms, 1), "first_render_cpu_ms": round(cold_cpu, 1),
                "first_in_process": first, "median_render_ms": round(statistics.median(times), 2),
                "median_render_cpu_ms": round(statistics.median(cpu), 2),
                "max_render_ms": round(max(times), 2), "bytes": len(html.encode("utf-8")),
            })
            first = False

    print(f"import grader.report.html: {import_ms:.1f} ms")
    head = (f"{'case':22} {'lang':4} {'checks':>6} {'grade ms':>9} {'1st render':>10} {'median':>8} "
            f"{'CPU median':>10} {'max':>8} {'KB':>7}")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['case']:22} {r['lang']:4} {r['checks']:6d} {r['grade_ms']:9.1f} {r['first_render_ms']:10.1f} "
              f"{r['median_render_ms']:8.2f} {r['median_render_cpu_ms']:10.2f} {r['max_render_ms']:8.2f} "
              f"{r['bytes'] / 1024:7.1f}")
    fresh = [fresh_process_ms() for _ in range(args.fresh)]
    fresh_median = statistics.median(w for w, _ in fresh) if fresh else float("nan")
    fresh_cpu = statistics.median(c for _, c in fresh) if fresh else float("nan")
    worst_median = max(r["median_render_cpu_ms"] for r in rows)
    largest = max(r["bytes"] for r in rows)
    print(f"\nfresh process (import + render + write, sample, zh), wall / CPU: "
          f"{', '.join(f'{w:.1f}/{c:.1f}' for w, c in fresh)} ms; median {fresh_median:.1f} / {fresh_cpu:.1f} ms")
    ok = fresh_cpu < RENDER_BUDGET_MS and largest < SIZE_BUDGET_BYTES
    print(f"report adds {fresh_cpu:.1f} ms of CPU ({fresh_median:.1f} ms wall) to a CLI grade (budget "
          f"{RENDER_BUDGET_MS:.0f} ms); worst median render in a warm process: {worst_median:.1f} ms of CPU; "
          f"largest file: {largest / 1024:.1f} KB (budget {SIZE_BUDGET_BYTES / 1e6:.0f} MB) -> "
          f"{'OK' if ok else 'OVER BUDGET'}")
    if args.json:
        args.json.write_text(json.dumps({"import_ms": round(import_ms, 1), "rows": rows,
                                         "fresh_ms": [round(w, 1) for w, _ in fresh],
                                         "fresh_cpu_ms": [round(c, 1) for _, c in fresh]}, indent=2),
                             encoding="utf-8")
    return 0 if ok else 1


_FRESH = """
import sys, tempfile, time
sys.path.insert(0, {root!r})
from grader import paths
from grader.api import grade
result = grade(paths.EXAMPLES / "sample_submission", solutions=paths.SOLUTIONS, student="sample")
t0, c0 = time.perf_counter(), time.process_time()
from grader.report.html import write_html
with tempfile.TemporaryDirectory() as d:
    write_html(result, d + "/report.html", "zh")
print((time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000)
"""


def fresh_process_ms() -> tuple[float, float]:
    """Import + render + write in a new interpreter, after grading there: (wall, CPU) ms."""
    out = subprocess.run([sys.executable, "-c", _FRESH.format(root=str(ROOT))], check=True,
                         capture_output=True, text=True)
    wall, cpu = out.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


if __name__ == "__main__":
    sys.exit(main())
