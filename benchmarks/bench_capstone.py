"""The capstone's cost and the evidence for its threshold and its mutants.

    python benchmarks/bench_capstone.py                 # CPU time of one whole capstone
    python benchmarks/bench_capstone.py --seeds 20      # + accuracy over 20 seeds, long setting, mutants
    python benchmarks/bench_capstone.py --perturb 10    # + the stage's seed under float-level perturbations

One capstone (:func:`grader.capstone.train.run_capstone`) is five training runs of
the reference, imported in-process: RNN, LSTM and GRU on the sentences, and the RNN
on three-sentence paragraphs with and without gradient clipping. The time is the
training alone (no sandbox); figures are printed, never asserted.

With ``--seeds N``: the bag-of-words baseline of the data card, and for every seed
0 .. N-1:

* the best held-out accuracy of each cell, against ``ACCURACY_THRESHOLD``, the first
  and last epoch's training loss, and how often each probe sentence is called right;
* the long setting: the last epoch's mean training loss and the highest loss of a
  step, with and without clipping;
* each mutant of ``tests/capstone_support.py``, in the settings where its bug shows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from capstone_support import CAPSTONE_MUTANTS, mutant_functions  # noqa: E402

from grader.capstone.dataset import load_sentiment, read_vocabulary  # noqa: E402
from grader.capstone.train import (  # noqa: E402
    ACCURACY_THRESHOLD,
    CELLS,
    PROBES,
    SETTINGS,
    reference_functions,
    run_capstone,
    train,
)

# mutant -> the cells (short setting) or "long" where it is measured
WHERE = {"head_reads_padding": CELLS, "bptt_drops_carry": ("rnn",), "embedding_frozen": CELLS,
         "embedding_overwrites": CELLS, "lstm_dprev_c_without_f": ("lstm",), "clipping_ignored": ("long",)}


def _spread(values: list[float]) -> str:
    return f"min {min(values):.3f}  median {statistics.median(values):.3f}  max {max(values):.3f}"


def _timing(repeat: int) -> None:
    model = reference_functions()
    run_capstone(model)  # warm-up (imports, data files)
    cpus, walls, parts = [], [], {}
    for seed in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        runs = run_capstone(model, seed)
        cpus.append(time.process_time() - c0)
        walls.append(time.perf_counter() - w0)
        for name, run in runs.items():
            parts.setdefault(name, []).append(len(run.losses))
    steps = {name: statistics.median(v) for name, v in parts.items()}
    print(f"one capstone (5 runs, {sum(steps.values()):.0f} steps): CPU median {statistics.median(cpus):.2f} s, "
          f"max {max(cpus):.2f} s; wall median {statistics.median(walls):.2f} s  ({repeat} seeds)")


def _bag_of_words(vocab, train_data, heldout) -> None:
    """The baseline of the data card: logistic regression on token counts (no word order)."""
    import numpy as np

    def counts(data):
        out = np.zeros((len(data), len(vocab)))
        for i in range(len(data)):
            np.add.at(out[i], data.x[i, :data.lengths[i]], 1.0)
        return out

    xt, xh = counts(train_data), counts(heldout)
    w, b = np.zeros(len(vocab)), 0.0
    for _ in range(3000):  # full-batch gradient descent, to convergence
        p = 1.0 / (1.0 + np.exp(-(xt @ w + b)))
        w -= 0.5 * xt.T @ (p - train_data.y) / len(p)
        b -= 0.5 * float(np.mean(p - train_data.y))
    right = ((xh @ w + b) > 0) == (heldout.y == 1)
    langs = np.array(heldout.langs)
    print(f"bag of words (logistic regression on token counts): held-out accuracy {right.mean():.3f} "
          f"(zh {right[langs == 'zh'].mean():.3f}, en {right[langs == 'en'].mean():.3f})")


def _evidence(seeds: int) -> None:
    model = reference_functions()
    vocab = read_vocabulary()
    data = load_sentiment("train", vocab=vocab), load_sentiment("heldout", vocab=vocab)
    print()
    _bag_of_words(vocab, *data)

    def runs_of(funcs, setting: str, cell: str | None = None, **changes):
        cfg = SETTINGS[setting].with_(**({"cell": cell} if cell else {}), **changes)
        return [train(funcs, cfg.with_(seed=s), vocab, *data) for s in range(seeds)]

    print(f"\nreference, short setting, best held-out accuracy over {seeds} seeds "
          f"(threshold {ACCURACY_THRESHOLD}):")
    reference: dict[str, list] = {}
    for cell in CELLS:
        reference[cell] = runs_of(model, "short", cell)
        best = [r.best_accuracy for r in reference[cell]]
        final = [r.final_accuracy for r in reference[cell]]
        below = sum(b < ACCURACY_THRESHOLD for b in best)
        print(f"  {cell:4s} best {_spread(best)}  | final {_spread(final)}  | below threshold: {below}")
        print(f"       first-epoch loss {_spread([r.epoch_losses()[0] for r in reference[cell]])}  | last-epoch loss "
              f"{_spread([r.epoch_losses()[-1] for r in reference[cell]])}")
        right = [sum(((r.predictions[i].p_positive or 0.5) > 0.5) == bool(label) for r in reference[cell])
                 for i, (_, _, label) in enumerate(PROBES)]
        print("       probes right: " + ", ".join(f"{text} {n}/{seeds}" for n, (text, _, _) in zip(right, PROBES,
                                                                                            strict=True)))

    print("\nlong setting (RNN, paragraphs), last-epoch training loss and the highest step loss:")
    clipped = runs_of(model, "long")
    unclipped = runs_of(model, "long", max_norm=None)
    for name, runs in (("clipped", clipped), ("unclipped", unclipped)):
        print(f"  {name:9s} last epoch {_spread([r.epoch_losses()[-1] for r in runs])}  | "
              f"peak {_spread([max(r.losses) for r in runs])}  | best acc {_spread([r.best_accuracy for r in runs])}"
              f"  | largest gradient norm {_spread([max(r.grad_norms) for r in runs])}")
    ratios = [u.epoch_losses()[-1] / c.epoch_losses()[-1] for u, c in zip(unclipped, clipped, strict=True)]
    print(f"  unclipped / clipped last-epoch loss: {_spread(ratios)}")
    holds = sum(_clipping_criterion(c, u) for c, u in zip(clipped, unclipped, strict=True))
    print(f"  the stage's clipping criterion (clipped last epoch < min(ln 2, unclipped)) holds in {holds}/{seeds}")

    print("\nmutants (same seeds):")
    with tempfile.TemporaryDirectory() as tmp:
        for name, where in WHERE.items():
            funcs = mutant_functions(name, Path(tmp))
            print(f"  {name}: {CAPSTONE_MUTANTS[name][0]}")
            for cell in where:
                if cell == "long":
                    runs = runs_of(funcs, "long")
                    print(f"    long (clipping asked for): last epoch {_spread([r.epoch_losses()[-1] for r in runs])}"
                          f"  | peak {_spread([max(r.losses) for r in runs])}")
                    continue
                runs = runs_of(funcs, "short", cell)
                gaps = [r.best_accuracy - m.best_accuracy for r, m in zip(reference[cell], runs, strict=True)]
                print(f"    {cell:4s} best acc {_spread([r.best_accuracy for r in runs])}  | last-epoch loss "
                      f"{_spread([r.epoch_losses()[-1] for r in runs])}  | reference minus mutant {_spread(gaps)}"
                      f"  | W_embed change {_spread([r.param_change['W_embed'] for r in runs])}")


def _clipping_criterion(clipped, unclipped) -> bool:
    """grader.capstone.stage's test of the long runs (diverged runs end at infinity)."""
    import math

    last = [r.epoch_losses()[-1] if r.diverged_at is None else math.inf for r in (clipped, unclipped)]
    return last[0] < min(math.log(2.0), last[1])


def _perturbed(model, eps: float, k: int):
    """The model with its initial parameters moved by ``eps`` (relative): the rounding of
    another correct implementation."""
    import numpy as np

    from grader.capstone.train import ModelFunctions

    rng = np.random.default_rng([k, 99])

    def init(*args):
        return {n: v * (1 + eps * rng.standard_normal(v.shape)) for n, v in model.init(*args).items()}

    return ModelFunctions(init, model.train_step, model.loss)


def _robustness(n: int) -> None:
    """The capstone stage's fixed seed, its initial parameters perturbed at the level of
    float rounding: does a correct implementation that rounds differently pass too?"""
    from grader.capstone.stage import SEED

    model = reference_functions()
    vocab = read_vocabulary()
    data = load_sentiment("train", vocab=vocab), load_sentiment("heldout", vocab=vocab)
    print(f"\nthe stage's seed {SEED}, initial parameters moved by 1e-12 (relative), {n} draws:")
    for cell in CELLS:
        best = [train(_perturbed(model, 1e-12, k), SETTINGS["short"].with_(cell=cell, seed=SEED), vocab,
                      *data).best_accuracy for k in range(n)]
        print(f"  {cell:4s} best {_spread(best)}  | below threshold: {sum(b < ACCURACY_THRESHOLD for b in best)}")
    pairs = []
    for k in range(n):
        m = _perturbed(model, 1e-12, k)
        long = SETTINGS["long"].with_(seed=SEED)
        pairs.append((train(m, long, vocab, *data), train(m, long.with_(max_norm=None), vocab, *data)))
    print(f"  long, clipped: last epoch {_spread([c.epoch_losses()[-1] for c, _ in pairs])}  | peak "
          f"{_spread([max(c.losses) for c, _ in pairs])}")
    print(f"  long, unclipped: last epoch {_spread([u.epoch_losses()[-1] for _, u in pairs])}  | peak "
          f"{_spread([max(u.losses) for _, u in pairs])}")
    print(f"  the stage's clipping criterion holds in {sum(_clipping_criterion(c, u) for c, u in pairs)}/{n}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="timed capstones (seeds 0 .. repeat-1)")
    parser.add_argument("--seeds", type=int, default=0, help="also measure accuracy and mutants over this many seeds")
    parser.add_argument("--perturb", type=int, default=0,
                        help="also the stage's seed with the initial parameters perturbed this many times")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}")
    _timing(args.repeat)
    if args.seeds:
        _evidence(args.seeds)
    if args.perturb:
        _robustness(args.perturb)


if __name__ == "__main__":
    main()
