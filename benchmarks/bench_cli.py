"""What a user waits for: a fresh ``rnngrade grade … --results … --html …`` process.

    python benchmarks/bench_cli.py                  # every isolation level, 7 runs each
    python benchmarks/bench_cli.py --repeat 15 --levels bubblewrap

Each run is a new Python process (imports, the sandbox's start, grading, the quiz,
results.json and the HTML report), official grading of the bundled sample (student
``sample``) against the reference. Wall time, and the CPU of the whole process tree
(the sandboxed child included) counted in a cgroup v2 leaf (see ``measure.py``), are
printed as medians with the machine's load beside them: on a shared machine a figure
taken at load 3 on 2 cores is not the figure at load 0. ``rnngrade --help`` is timed
too (the lazy imports). ``--against DIR`` runs another checkout of rnngrade (e.g. one
made with ``git archive``) interleaved with this one, run for run, so both are measured
at the same load on a shared machine. Figures are printed, never asserted.

Bytecode: an installed rnngrade runs from compiled bytecode (``pip install`` compiles
every module; an editable install writes ``__pycache__`` on first import), so each
version's ``grader`` is compiled first (``compileall``) and that is what is measured.
Where ``PYTHONDONTWRITEBYTECODE`` is set and nothing was compiled (as on the
development machine), every run compiles the whole package again (~110 ms of CPU):
that is the ``--from-source`` figure (each version copied without its ``__pycache__``
and run with ``PYTHONDONTWRITEBYTECODE=1``; numpy and the standard library keep
their bytecode), printed as such, never as the user's.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from measure import load, run  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--levels", nargs="*", default=["bubblewrap", "landlock", "portable"])
    parser.add_argument("--submission", default=str(ROOT / "examples" / "sample_submission"))
    parser.add_argument("--against", metavar="DIR", help="another checkout, measured interleaved with this one")
    parser.add_argument("--from-source", action="store_true",
                        help="no bytecode read or written: every run compiles the package (not what users run)")
    args = parser.parse_args()
    versions = [("this", ROOT)] + ([("against", Path(args.against).resolve())] if args.against else [])

    def exe(root: Path) -> list[str]:
        # The program as the ``rnngrade`` script runs it (grader.entry, ``python -m grader``);
        # a checkout from before it existed: its command line module.
        return [sys.executable, "-m", "grader" if (root / "grader" / "__main__.py").is_file() else "grader.cli"]

    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as nocache:
        base = dict(os.environ)
        if args.from_source:
            base.update(PYTHONDONTWRITEBYTECODE="1")
            skip = shutil.ignore_patterns("__pycache__", ".venv", ".git", "artifacts", "*.egg-info")
            versions = [(name, Path(shutil.copytree(root, Path(nocache) / name, ignore=skip)))
                        for name, root in versions]
            print("bytecode: none for rnngrade (--from-source: every run compiles the package; not what users run)")
        else:
            for _, root in versions:
                compileall.compile_dir(root / "grader", quiet=1)
            print("bytecode: compiled first, as an installed package is (compileall)")
        first = versions[0][1]
        helps = [run(exe(first) + ["--help"], env=dict(base, PYTHONPATH=str(first))) for _ in range(args.repeat)]
        print(f"rnngrade --help         wall median {statistics.median(r.wall for r in helps) * 1000:5.0f} ms"
              f"   ({load()})")
        for level in args.levels:
            runs: dict[str, list] = {name: [] for name, _ in versions}
            loads = []
            for _ in range(args.repeat):
                for name, root in reversed(versions):  # this one last: the outputs listed are its own
                    env = dict(base, RNNGRADE_ISOLATION=level, PYTHONPATH=str(root))
                    cmd = exe(root) + ["grade", args.submission, "--solutions", str(root / "solutions"), "--student",
                                 "sample", "--results", f"{tmp}/results.json", "--html", f"{tmp}/report.html",
                                 "--allow-unisolated"]
                    r = run(cmd, env=env, cwd=tmp)
                    if r.returncode != 0:
                        print(f"{level} ({name}): failed ({r.returncode})\n{r.stdout[-2000:]}")
                        return
                    runs[name].append(r)
                    loads.append(os.getloadavg()[0])
            for name, _ in versions:
                done = runs[name]
                wall = statistics.median(r.wall for r in done)
                cpu = statistics.median(r.cpu for r in done)
                fastest = min(r.wall for r in done)
                score = next((line for line in done[-1].stdout.splitlines() if line.startswith("Score")), "")
                who = f" [{name}]" if len(versions) > 1 else ""
                print(f"grade --html {level:10s}{who} wall median {wall * 1000:5.0f} ms (min {fastest * 1000:.0f})"
                      f"  cpu {cpu * 1000:5.0f} ms [{done[0].cpu_source}]  {score}"
                      f"  (load {min(loads):.2f}-{max(loads):.2f}/{os.cpu_count()}, {len(done)} runs)")
            sizes = {p.name: p.stat().st_size for p in Path(tmp).iterdir() if p.is_file()}
        print("outputs: " + ", ".join(f"{k} {v / 1024:.0f} KB" for k, v in sorted(sizes.items())))


if __name__ == "__main__":
    main()
