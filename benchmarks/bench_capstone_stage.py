"""What the capstone stage costs a grade, in-process and through the sandbox.

    python benchmarks/bench_capstone_stage.py              # the reference, 3 repeats
    python benchmarks/bench_capstone_stage.py --repeat 5 --broken

For each caller (the sandbox, as every real grade; the in-process caller of the tests)
it grades the reference officially, the whole assignment:

* with the stage: the grade's wall time, the stage's own wall time (its five runs,
  ``result.extras["capstone"]["seconds"]``), the parent's CPU, the child's CPU where
  it can be seen, and the calls the stage made;
* with the stage skipped (``capstone=False``): the ordinary grade, so the difference is
  the stage and nothing else (off, as by default, the stage adds no item);

and, with ``--broken``, a submission whose every layer under the model is a stub, so
official grading computes all of them with the reference through the parent (about
ten callbacks per training step: the stage's worst case).

CPU counts the parent and its reaped children (RUSAGE_CHILDREN). Under bubblewrap the
sandboxed child is reaped inside its PID namespace, so its CPU is not seen:
``RNNGRADE_ISOLATION=portable`` gives the full count. Figures are printed, never
asserted.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from grader import paths  # noqa: E402
from grader.api import grade  # noqa: E402


def _cpu() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def _broken(root: Path) -> Path:
    """The reference with every layer the model calls replaced by a stub defined after
    it (the model's own functions, sentiment_loss and the training step, stay)."""
    from support import mutant

    root = mutant(root, {})
    owners = {"sentiment.py": ["word_embedding_forward", "word_embedding_backward", "temporal_affine_forward",
                               "temporal_affine_backward", "many_to_one_forward", "many_to_one_backward"],
              "rnn_layers.py": ["rnn_forward", "rnn_backward", "lstm_forward", "lstm_backward", "gru_forward",
                                "gru_backward"],
              "layers.py": ["softmax_loss"], "stability.py": ["clip_grad_norm"], "bp_network.py": ["sgd_step"]}
    for file, names in owners.items():
        path = root / file
        stubs = "".join(f"\n\ndef {n}(*args, **kwargs):\n    raise NotImplementedError('{n}')\n" for n in names)
        path.write_text(path.read_text(encoding="utf-8") + stubs, encoding="utf-8")
    return root


def _measure(submission: Path, in_process: bool, capstone: bool, repeat: int) -> dict[str, float]:
    walls, stage, parent, child, calls = [], [], [], [], []
    for _ in range(repeat):
        (p0, c0), w0 = _cpu(), time.perf_counter()
        result = grade(submission, solutions=paths.SOLUTIONS, trusted_in_process=in_process, capstone=capstone)
        (p1, c1), w1 = _cpu(), time.perf_counter()
        walls.append(w1 - w0)
        parent.append(p1 - p0)
        child.append(c1 - c0)
        data = result.extras.get("capstone", {})
        stage.append(data.get("seconds", 0.0))
        calls.append(data.get("calls", 0))
        items = [c for c in result.checks if c.exercise == "capstone"]
        assert items, "the stage did not run"
    return {"wall": statistics.median(walls), "stage": statistics.median(stage), "parent": statistics.median(parent),
            "child": statistics.median(child), "calls": statistics.median(calls),
            "passed": sum(c.status == "passed" for c in items), "substituted": len(data.get("substituted", []))}


def _line(label: str, m: dict[str, float]) -> str:
    return (f"  {label:28s} grade {m['wall']:6.2f} s wall | stage {m['stage']:5.2f} s | parent CPU {m['parent']:5.2f} s"
            f" | child CPU {m['child']:5.2f} s | {m['calls']:.0f} calls | {m['passed']:.0f}/4 items"
            + (f" | {m['substituted']:.0f} functions from the reference" if m["substituted"] else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--broken", action="store_true", help="also the worst case: every layer from the reference")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
          f"isolation {os.environ.get('RNNGRADE_ISOLATION', 'auto')}, load average {os.getloadavg()[0]:.2f}")
    grade(paths.SOLUTIONS, solutions=paths.SOLUTIONS, capstone=False)  # warm-up: imports, bubblewrap probe
    with tempfile.TemporaryDirectory() as tmp:
        cases = [("reference", paths.SOLUTIONS)]
        if args.broken:
            cases.append(("every layer a stub", _broken(Path(tmp) / "broken")))
        for in_process in (False, True):
            print(f"{'in-process' if in_process else 'sandbox'} (median of {args.repeat}):")
            for name, path in cases:
                on = _measure(path, in_process, True, args.repeat)
                off = _measure(path, in_process, False, args.repeat)
                print(_line(f"{name}, stage", on))
                print(_line(f"{name}, stage skipped", off))
                print(f"  {'':28s} the stage adds {on['wall'] - off['wall']:.2f} s to the grade")


if __name__ == "__main__":
    main()
