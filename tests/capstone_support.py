"""The capstone's mutants: the reference with one realistic bug, as model functions
for :func:`grader.capstone.train.train` (imported in-process). Shared by the tests
and ``benchmarks/bench_capstone.py``."""

from __future__ import annotations

from pathlib import Path

from support import mutant

from grader.capstone.train import ModelFunctions, reference_functions

# name -> (what the bug is, textual edits of the reference as for support.mutant)
CAPSTONE_MUTANTS: dict[str, tuple[str, dict[str, list[tuple[str, str]]]]] = {
    "head_reads_padding": (
        "many_to_one takes the last column x[:, -1], which has read the padding, not x[n, lengths[n] - 1]",
        {"sentiment.py": [("out = x[np.arange(N), lengths - 1]", "out = x[:, -1]"),
                          ("dx[np.arange(N), lengths - 1] = dout", "dx[:, -1] = dout")]}),
    "bptt_drops_carry": (
        "rnn_backward uses only dh[:, t] at each step and drops the gradient carried back from step t + 1",
        {"rnn_layers.py": [("rnn_step_backward(dh[:, t] + dprev_h, caches[t])", "rnn_step_backward(dh[:, t], caches[t])")]}),
    "embedding_frozen": (
        "the word vectors never change: their gradient is lost before the update",
        {"sentiment.py": [('grads["W_embed"] = word_embedding_backward(demb, c_emb)',
                           'grads["W_embed"] = 0.0 * word_embedding_backward(demb, c_emb)')]}),
    "clipping_ignored": (
        "sentiment_train_step never clips, whatever max_norm says",
        {"sentiment.py": [("np.inf if max_norm is None else max_norm", "np.inf")]}),
    "embedding_overwrites": (
        "word_embedding_backward uses dW[x] += dout, so a repeated token keeps one gradient, not their sum",
        {"sentiment.py": [("np.add.at(dW, x, dout)", "dW[x] += dout")]}),
    "lstm_dprev_c_without_f": (
        "lstm_step_backward returns dprev_c = dc without the forget-gate factor (mistake 4)",
        {"rnn_layers.py": [("dprev_c = dc * f", "dprev_c = dc")]}),
}


def mutant_functions(name: str, root: Path) -> ModelFunctions:
    """The model functions of mutant ``name``, written under ``root``."""
    return reference_functions(mutant(root / name, CAPSTONE_MUTANTS[name][1]))
