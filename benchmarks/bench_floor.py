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

First, where one submission's CPU goes (``--breakdown-only``: that alone): one warm
process does what a worker does for each student and what the parent does with its
answer (the real functions, timed by wrapping them), its CPU split from its sandboxed
children's by the cgroup: the child's start, its loading of the student's modules,
the checks (this process's logic, the child serving the calls), the child's stop, the
quiz, results.json data, the report, the Result's plain data, the answer pickled and
unpickled, the snapshot, the files and the gradebook row; the total and the part
outside the checks.

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

BREAKDOWN = textwrap.dedent("""
    import os, pickle, resource, shutil, sys, tempfile
    from multiprocessing.reduction import ForkingPickler
    from pathlib import Path
    n, root = int(sys.argv[1]), Path(sys.argv[2])
    sys.path.insert(0, str(root / "benchmarks"))
    from measure import _cgroup2
    import grader.api, grader.batch as batch, grader.results
    import grader.assignments.stage, grader.report.html, grader.results.gradescope, grader.sandbox.prelaunch
    from grader.gradebook import Gradebook
    from grader.sandbox import zygote
    from grader.sandbox.session import Sandbox
    from grader.submission import take_snapshot

    def own_cgroup():
        with open("/proc/self/cgroup") as f:
            own = next((line[3:].strip() for line in f if line.startswith("0::")), None)
        top = _cgroup2()  # the parent of this process's cgroup when it is writable
        if own is None or top is None:
            return None
        for line in open("/proc/self/mountinfo"):
            if " - cgroup2 " in line:
                stat = Path(line.split()[4]) / own.lstrip("/") / "cpu.stat"
                return stat if stat.is_file() else None

    STAT = own_cgroup()
    def now():
        r = resource.getrusage(resource.RUSAGE_SELF)
        tree = 0.0
        if STAT is not None:
            tree = int(dict(line.split() for line in STAT.read_text().splitlines())["usage_usec"]) / 1e6
        return r.ru_utime + r.ru_stime, tree

    spent, stack = {}, []
    def timed(label, f):
        def wrapper(*a, **k):
            s0, t0 = now()
            stack.append([0.0, 0.0])
            try:
                return f(*a, **k)
            finally:
                s1, t1 = now()
                inner = stack.pop()
                ds, dt = s1 - s0, t1 - t0
                mine = spent.setdefault(label, [0.0, 0.0])
                mine[0] += ds - inner[0]
                mine[1] += dt - inner[1]
                if stack:
                    stack[-1][0] += ds
                    stack[-1][1] += dt
        return wrapper
    def hook(owner, name, label):
        if hasattr(owner, name):  # (an older grader may lack one: its row stays empty)
            setattr(owner, name, timed(label, getattr(owner, name)))

    hook(grader.sandbox.prelaunch, "forked", "child start")
    hook(Sandbox, "start", "child load")
    hook(grader.sandbox.prelaunch, "discard", "child stop")
    hook(grader.api, "grade", "checks")
    hook(grader.api, "run_quiz", "quiz")
    hook(grader.results.gradescope, "to_gradescope", "results.json data")
    hook(grader.results.gradescope, "gradescope_json", "results.json data")
    hook(grader.report.html, "render_html", "report")
    hook(grader.assignments.stage, "student_view", "report")
    hook(grader.results.Result, "to_dict", "Result data")
    hook(Gradebook, "record", "gradebook record")

    tmp = Path(tempfile.mkdtemp())
    sources = [root / "examples" / "sample_submission", root / "solutions", root / "exercises"]
    for i, source in enumerate(sources):
        shutil.copytree(source, tmp / "class" / f"s{i}",
                        ignore=shutil.ignore_patterns("__pycache__", "quiz", "notebook"))
    entries = batch.discover(tmp / "class")
    solutions = str(root / "solutions")
    zygote.start()
    book = Gradebook(tmp / "out" / "gradebook.sqlite")
    summary = batch.BatchSummary()
    recorder = batch._Recorder(book, "key", tmp / "out", summary, "en", True, None)
    snapshot, send, receive, files = (timed(label, f) for label, f in (
        ("parent: snapshot", take_snapshot), ("worker: send", ForkingPickler.dumps),
        ("parent: receive", pickle.loads), ("parent: files + row", recorder.graded)))
    def one(i):
        entry = entries[i % len(entries)]
        snap = snapshot(entry.path)
        recorder.fingerprints[entry.key] = snap.fingerprint
        book.is_current(entry.key, snap.fingerprint, "key", entry.student)
        blob = send(("ok", batch._grade_one(entry.student, snap, solutions, "en")))
        files(entry, receive(blob)[1])
    for i in range(len(entries)):
        one(i)  # warm-up: imports, templates, caches, the fork server, as after a worker's first students
    spent.clear()
    s0, t0 = now()
    for i in range(n):
        one(i)
    s1, t1 = now()
    zygote.stop()
    book.close()
    shutil.rmtree(tmp, ignore_errors=True)
    print("BREAKDOWN", repr({"spent": spent, "self": s1 - s0, "tree": t1 - t0, "cgroup": STAT is not None}))
""")

ROWS = (  # (label in BREAKDOWN, what it is, whose)
    ("child start", "child started: forked by the worker's fork server", "worker"),
    ("child load", "child loads the student's modules (compile, import)", "worker"),
    ("checks", "the checks: the worker's logic | the child serving calls", "worker"),
    ("child stop", "child stopped, reaped, its folders removed", "worker"),
    ("quiz", "the quiz stage", "worker"),
    ("results.json data", "results.json data and text (gradescope_json)", "worker"),
    ("report", "the HTML report (student_view, render_html)", "worker"),
    ("Result data", "the Result as plain data (to_dict)", "worker"),
    ("worker: send", "the answer pickled for the pipe", "worker"),
    ("parent: snapshot", "the hand-in's snapshot and fingerprint", "parent"),
    ("parent: receive", "the answer unpickled", "parent"),
    ("parent: files + row", "results.json and report files written", "parent"),
    ("gradebook record", "the gradebook row and check rows (SQLite)", "parent"),
)


def breakdown(n: int) -> None:
    """Where a submission's CPU goes, outside and inside the checks (the BREAKDOWN part)."""
    r = run([sys.executable, "-c", BREAKDOWN, str(n), str(ROOT)], cwd=str(ROOT))
    if r.returncode or "BREAKDOWN " not in r.stdout:
        print(f"breakdown: failed\n{r.stdout[-2000:]}")
        return
    import ast

    data = ast.literal_eval(r.stdout.rsplit("BREAKDOWN ", 1)[1].splitlines()[0])
    spent, cgroup = data["spent"], data["cgroup"]
    print(f"where one submission's CPU goes (a worker's and the parent's work in one warm process with a fork "
          f"server, {n} submissions cycling sample, reference, stubs; ms per submission: this process"
          + (" | its sandboxed children" if cgroup else "; children not counted: no cgroup") + f")  ({load()})")
    total_self = total_child = 0.0
    for label, what, _whose in ROWS:
        mine, tree = spent.get(label, [0.0, 0.0])
        child = tree - mine if cgroup else 0.0
        total_self, total_child = total_self + mine, total_child + child
        print(f"  {what:58s} {mine / n * 1000:6.1f}" + (f" | {max(child, 0.0) / n * 1000:6.1f}" if cgroup else ""))
    rest_self = data["self"] - total_self
    rest_child = (data["tree"] - data["self"]) - total_child if cgroup else 0.0
    print(f"  {'the rest (the loop, the gradebook is_current, between)':58s} {rest_self / n * 1000:6.1f}"
          + (f" | {max(rest_child, 0.0) / n * 1000:6.1f}" if cgroup else ""))
    tree = data["tree"] if cgroup else data["self"]
    outside = tree - spent.get("checks", [0.0, 0.0])[1 if cgroup else 0]
    print(f"  {'total':58s} {data['self'] / n * 1000:6.1f}" + (f" | {(data['tree'] - data['self']) / n * 1000:6.1f}"
          if cgroup else "") + f"  = {tree / n * 1000:.0f} ms, of which outside the checks {outside / n * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=12)
    parser.add_argument("--breakdown-only", action="store_true", help="only where a submission's CPU goes")
    args = parser.parse_args()
    n = args.repeat
    breakdown(n)
    if args.breakdown_only:
        return
    figures = {}
    for part, label in (("worker", "worker: grade + results + report"), ("start", "child start (nothing loaded)"),
                        ("zygote", "zygote child start (nothing loaded)"),
                        ("logic", "grading logic + results + report, no child")):
        # cwd: the grader measured is this checkout's (``-c`` puts the working folder first on
        # sys.path), wherever the script is run from.
        base = run([sys.executable, "-c", PART, part, "0", str(ROOT)], cwd=str(ROOT))  # imports and the warm-up alone
        full = run([sys.executable, "-c", PART, part, str(n), str(ROOT)], cwd=str(ROOT))
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
