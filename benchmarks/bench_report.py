"""How much the HTML report adds to grading, and how large the file is.

    python benchmarks/bench_report.py [--repeat 20] [--json out.json]

Grades a few full submissions once (the sample submission officially and as a
self-check, the reference solutions, the untouched stubs), then renders each
report in both languages: the first render in this process (template compile
included, which is what one ``rnngrade grade --html`` pays) and the median of
``--repeat`` further renders. Prints a table and checks the targets: a render
under 100 ms and a file under 1 MB.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RENDER_BUDGET_MS = 100.0
SIZE_BUDGET_BYTES = 1_000_000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
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
            r0 = time.perf_counter()
            html = render_html(result, lang)
            cold_ms = (time.perf_counter() - r0) * 1000
            times = []
            for _ in range(args.repeat):
                r0 = time.perf_counter()
                render_html(result, lang)
                times.append((time.perf_counter() - r0) * 1000)
            rows.append({
                "case": name, "lang": lang, "checks": len(result.checks), "grade_ms": round(grade_ms, 1),
                "first_render_ms": round(cold_ms, 1), "first_in_process": first,
                "median_render_ms": round(statistics.median(times), 2),
                "max_render_ms": round(max(times), 2), "bytes": len(html.encode("utf-8")),
            })
            first = False

    print(f"import grader.report.html: {import_ms:.1f} ms")
    head = f"{'case':22} {'lang':4} {'checks':>6} {'grade ms':>9} {'1st render':>10} {'median':>8} {'max':>8} {'KB':>7}"
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['case']:22} {r['lang']:4} {r['checks']:6d} {r['grade_ms']:9.1f} {r['first_render_ms']:10.1f} "
              f"{r['median_render_ms']:8.2f} {r['max_render_ms']:8.2f} {r['bytes'] / 1024:7.1f}")
    worst_first = max(r["first_render_ms"] for r in rows)
    worst_median = max(r["median_render_ms"] for r in rows)
    largest = max(r["bytes"] for r in rows)
    ok = worst_first + import_ms < RENDER_BUDGET_MS and largest < SIZE_BUDGET_BYTES
    print(f"\nworst first render + import: {worst_first + import_ms:.1f} ms (budget {RENDER_BUDGET_MS:.0f} ms); "
          f"worst median render: {worst_median:.1f} ms; largest file: {largest / 1024:.1f} KB "
          f"(budget {SIZE_BUDGET_BYTES / 1e6:.0f} MB) -> {'OK' if ok else 'OVER BUDGET'}")
    if args.json:
        args.json.write_text(json.dumps({"import_ms": round(import_ms, 1), "rows": rows}, indent=2), encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
