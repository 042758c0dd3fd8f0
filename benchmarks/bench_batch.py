"""What an instructor waits for: ``rnngrade batch`` over a generated class, a fresh process.

    python benchmarks/bench_batch.py                     # classes of 20 and 200, 2 workers
    python benchmarks/bench_batch.py --students 20 200 1000 --jobs 2

Each class is generated: students cycle through the sample submission (with
mistakes), the reference and the stubs, each made distinct by a file of its own (real
hand-ins differ, and the gradebook skips what it has seen). For each class size the
batch is one new ``rnngrade batch`` process; printed beside the machine's load:
submissions per second, CPU per submission of the whole process tree (the parent,
its workers and every sandboxed child, counted in a cgroup v2 leaf: see
``measure.py``) and of the parent alone (its imports, the intake, snapshots, the
answers it receives, the files and the gradebook it writes), the peak memory of the
parent and of the largest worker (their ``ru_maxrss``), and the time of a second run
over the unchanged class (everything skipped). Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from measure import load, run  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# Runs the CLI in this process and, at exit, says the peak memory and the CPU of the
# parent (RUSAGE_SELF) and of the largest process it reaped: a worker (RUSAGE_CHILDREN).
WRAPPER = """
import atexit, json, resource, sys
def said():
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    sys.stderr.write("\\nPEAK " + json.dumps({"parent_kb": me.ru_maxrss, "worker_kb": kids,
                                             "parent_cpu": me.ru_utime + me.ru_stime}) + "\\n")
atexit.register(said)
from grader.cli import main
sys.argv = ["rnngrade"] + sys.argv[1:]
main()
"""


def make_class(folder: Path, students: int) -> None:
    sources = [ROOT / "examples" / "sample_submission", ROOT / "solutions", ROOT / "exercises"]
    folder.mkdir(parents=True)
    for i in range(students):
        dest = folder / f"s{i:04d}"
        shutil.copytree(sources[i % 3], dest, ignore=shutil.ignore_patterns("__pycache__", "quiz", "notebook"))
        (dest / "notes.py").write_text(f"STUDENT = {i}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, nargs="*", default=[20, 200])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--again", action="store_true", help="also time a second run over the unchanged class")
    args = parser.parse_args()
    for n in args.students:
        with tempfile.TemporaryDirectory() as tmp:
            folder, out = Path(tmp) / "class", Path(tmp) / "out"
            make_class(folder, n)
            cmd = [sys.executable, "-c", WRAPPER, "batch", str(folder), "--solutions", str(ROOT / "solutions"),
                   "--out", str(out), "--jobs", str(args.jobs), "--lang", "en"]
            before = load()
            r = run(cmd, cwd=tmp)
            if r.returncode != 0:
                print(f"{n} students: failed ({r.returncode})\n{r.stdout[-3000:]}")
                continue
            peak = json.loads(r.stdout.rsplit("PEAK ", 1)[1].splitlines()[0])
            print(f"{n:5d} students, {args.jobs} workers: {r.wall:6.1f} s  {n / r.wall:5.1f} submissions/s  "
                  f"cpu {r.cpu / n * 1000:5.0f} ms per submission [{r.cpu_source}] (the parent's own "
                  f"{peak['parent_cpu'] / n * 1000:.0f})  "
                  f"peak memory: parent {peak['parent_kb'] / 1024:.0f} MB, largest worker "
                  f"{peak['worker_kb'] / 1024:.0f} MB  ({before} before, {load()} after)")
            if args.again:
                r2 = run(cmd, cwd=tmp)
                print(f"      re-run over the unchanged class: {r2.wall:.1f} s ({load()})")


if __name__ == "__main__":
    main()
