"""The capstone's training run (grader/capstone/train.py) with the reference imported
in-process: it learns, it is deterministic, each capstone mutant changes the run in
the way it is said to, and broken model functions end the run with a reason.

The bounds on the mutants come from ``benchmarks/bench_capstone.py --seeds 20``
(see the figures in the report of the capstone commit), with a margin."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from capstone_support import mutant_functions

from grader.capstone import train as capstone
from grader.capstone.dataset import load_sentiment, read_sentences, read_vocabulary
from grader.capstone.train import (
    ACCURACY_THRESHOLD,
    CELLS,
    PROBES,
    SETTINGS,
    ModelFunctions,
    TrainingFailed,
    paragraphs,
    reference_functions,
    run_capstone,
    train,
)
from grader.i18n import render

SEED = 3  # any seed: the bounds below hold for each of seeds 0-19 (bench_capstone.py --seeds 20)


@pytest.fixture(scope="module")
def data():
    vocab = read_vocabulary()
    return vocab, load_sentiment("train", vocab=vocab), load_sentiment("heldout", vocab=vocab)


@pytest.fixture(scope="module")
def reference():
    return reference_functions()


@pytest.fixture(scope="module")
def reference_runs(reference, data):
    runs = {cell: train(reference, SETTINGS["short"].with_(cell=cell, seed=SEED), *data) for cell in CELLS}
    runs["long"] = train(reference, SETTINGS["long"].with_(seed=SEED), *data)
    return runs


@pytest.fixture(scope="module")
def mutants(tmp_path_factory):
    root = tmp_path_factory.mktemp("capstone-mutants")
    return lambda name: mutant_functions(name, root)


def tiny(cfg=SETTINGS["short"], **changes):
    """A one-epoch run on the first batches only (fast paths of the tests)."""
    return cfg.with_(epochs=1, **changes)


# ------------------------------------------------------------ it learns
@pytest.mark.parametrize("cell", CELLS)
def test_reference_learns_each_cell_past_the_threshold(reference_runs, cell):
    run = reference_runs[cell]
    assert run.diverged_at is None
    # 20 seeds: best 0.671-0.714 (rnn), 0.721-0.786 (lstm), 0.739-0.800 (gru); last-epoch loss
    # at most 0.457, first epoch at least 0.688.
    assert run.heldout_accuracy[0] < ACCURACY_THRESHOLD <= run.best_accuracy
    losses = run.epoch_losses()
    assert len(losses) == run.config.epochs and losses[-1] < min(0.55, losses[0] - 0.15)
    assert len(run.losses) == run.config.epochs * run.steps_per_epoch == len(run.grad_norms)
    assert all(v > 0.05 for v in run.param_change.values())  # every parameter was trained


def test_the_lectures_sentence_is_predicted_positive(reference_runs):
    # 20 seeds: right in 20 for the LSTM and the GRU, in 14 for the vanilla RNN.
    for cell in ("lstm", "gru"):
        first = reference_runs[cell].predictions[0]
        assert first.text == "今天是个好日子" and first.label == 1 and first.p_positive > 0.5, cell
        assert first.tokens == ["今", "天", "是", "个", "好", "日", "子"]


def test_probes_are_held_out_sentences_with_their_labels():
    by_text = {s.text: s for s in read_sentences()}
    for text, lang, label in PROBES:
        assert (by_text[text].lang, by_text[text].label, by_text[text].split) == (lang, label, "heldout"), text
    assert {label for _, _, label in PROBES} == {0, 1} and {lang for _, lang, _ in PROBES} == {"zh", "en"}


def test_prefix_probabilities_follow_each_probe_token_by_token(reference_runs):
    for pred in reference_runs["gru"].predictions:
        assert len(pred.prefix_p_positive) == len(pred.tokens)
        assert pred.prefix_p_positive[-1] == pytest.approx(pred.p_positive, abs=1e-12)
        assert all(0 < p < 1 for p in pred.prefix_p_positive)


def test_long_setting_with_clipping_trains_stably(reference_runs):
    run = reference_runs["long"]  # 20 seeds: peak loss 0.83-1.51, best accuracy 0.607-0.782
    assert run.config.paragraph > 1 and run.config.max_norm is not None
    assert max(run.losses) < 2.0 and run.epoch_losses()[-1] < run.epoch_losses()[0]


def test_a_run_is_deterministic_and_its_data_is_plain_json(reference, data):
    cfg = tiny(cell="rnn", seed=11)
    a, b = train(reference, cfg, *data), train(reference, cfg, *data)
    assert a.losses == b.losses and a.heldout_accuracy == b.heldout_accuracy
    assert train(reference, cfg.with_(seed=12), *data).losses != a.losses
    out = json.loads(json.dumps(a.to_dict(), allow_nan=False))
    assert out["config"]["cell"] == "rnn" and out["best_accuracy"] == a.best_accuracy
    assert len(out["predictions"]) == len(PROBES) and len(out["epoch_losses"]) == 1


def test_run_capstone_trains_three_cells_and_the_long_setting_twice(reference, monkeypatch):
    monkeypatch.setitem(capstone.SETTINGS, "short", tiny())
    monkeypatch.setitem(capstone.SETTINGS, "long", tiny(SETTINGS["long"]))
    runs = run_capstone(reference, seed=1)
    assert list(runs) == ["rnn", "lstm", "gru", "long_clipped", "long_unclipped"]
    assert [runs[c].config.cell for c in CELLS] == list(CELLS)
    assert runs["long_clipped"].config.max_norm is not None and runs["long_unclipped"].config.max_norm is None
    assert runs["long_clipped"].config.paragraph == runs["long_unclipped"].config.paragraph > 1


# ----------------------------------------------- the mutants, as stated
def test_head_reading_the_padded_last_column_stays_near_chance(reference_runs, mutants, data):
    # 20 seeds: LSTM best 0.511-0.650 (median 0.537), reference 0.721-0.786.
    run = train(mutants("head_reads_padding"), SETTINGS["short"].with_(cell="lstm", seed=SEED), *data)
    assert run.best_accuracy < 0.69 < reference_runs["lstm"].best_accuracy


def test_bptt_without_the_carried_gradient_learns_too_little(reference_runs, mutants, data):
    # 100 seeds: best 0.579-0.643, last-epoch loss 0.603-0.660 (reference 0.18-0.24).
    run = train(mutants("bptt_drops_carry"), SETTINGS["short"].with_(cell="rnn", seed=SEED), *data)
    assert run.best_accuracy < 0.66 and ACCURACY_THRESHOLD <= reference_runs["rnn"].best_accuracy
    assert run.epoch_losses()[-1] > 0.55 > 0.45 > reference_runs["rnn"].epoch_losses()[-1]


def test_frozen_word_vectors_keep_the_loss_at_chance(reference_runs, mutants, data):
    # 100 seeds: best 0.504-0.593, last-epoch loss 0.674-0.714 (ln 2 = 0.693).
    run = train(mutants("embedding_frozen"), SETTINGS["short"].with_(cell="rnn", seed=SEED), *data)
    assert run.param_change["W_embed"] == 0.0 < run.param_change["Wx"]
    assert run.best_accuracy < 0.62 and abs(run.epoch_losses()[-1] - math.log(2)) < 0.1
    assert reference_runs["rnn"].param_change["W_embed"] > 0.5


def test_a_step_that_ignores_max_norm_blows_up_on_long_sequences(reference_runs, mutants, data):
    # 20 seeds: peak loss 2.86-11.7 without clipping, 0.83-1.51 with it.
    run = train(mutants("clipping_ignored"), SETTINGS["long"].with_(seed=SEED), *data)
    assert max(run.losses) > 2.0 > max(reference_runs["long"].losses)
    assert run.epoch_losses()[-1] > reference_runs["long"].epoch_losses()[-1]  # 0.76-2.55 vs 0.26-0.62


# ------------------------------------------ broken or hostile functions
def broken(reference, **replace) -> ModelFunctions:
    funcs = {"init": reference.init, "train_step": reference.train_step, "loss": reference.loss}
    funcs.update(replace)
    return ModelFunctions(**funcs)


def _raise(*_):
    raise NotImplementedError("sentiment_train_step")


@pytest.mark.parametrize("replace, func, key, words", [
    ({"init": lambda *a: None}, "init_sentiment_params", "capstone.failed.params", "dict"),
    ({"init": lambda *a: {"W_embed": "not an array"}}, "init_sentiment_params", "capstone.failed.param_not_array",
     "'W_embed'"),
    ({"train_step": _raise}, "sentiment_train_step", "call.not_implemented", "not implemented"),
    ({"train_step": lambda p, *a: 1 / 0}, "sentiment_train_step", "call.error", "ZeroDivisionError"),
    ({"train_step": lambda p, *a: (0.7, p)}, "sentiment_train_step", "capstone.failed.step_return",
     "(loss, new_params, grad_norm)"),
    ({"train_step": lambda p, *a: ("low", p, 1.0)}, "sentiment_train_step", "capstone.failed.not_a_number", "loss"),
    ({"train_step": lambda p, *a: (np.ones(2), p, 1.0)}, "sentiment_train_step", "capstone.failed.not_a_number",
     "loss"),
    ({"train_step": lambda p, *a: (0.7, p, None)}, "sentiment_train_step", "capstone.failed.not_a_number",
     "grad_norm"),
    ({"train_step": lambda p, *a: (0.7, {**p, "W_embed": p["W_embed"][:5]}, 1.0)}, "sentiment_train_step",
     "capstone.failed.param_shape", "(5, 16)"),
    ({"train_step": lambda p, *a: (0.7, {k: v for k, v in p.items() if k != "b_out"}, 1.0)}, "sentiment_train_step",
     "capstone.failed.param_names", "b_out"),
    ({"loss": lambda p, x, *a: np.zeros((len(x), 3))}, "sentiment_loss", "capstone.failed.scores", "(280, 3)"),
    ({"loss": lambda p, x, *a: [[0.0, 1.0]] * len(x)}, "sentiment_loss", "capstone.failed.scores", "list"),
])
def test_a_broken_model_function_ends_the_run_with_its_name_and_reason(reference, data, replace, func, key, words):
    with pytest.raises(TrainingFailed) as info:
        train(broken(reference, **replace), tiny(cell="rnn"), *data)
    assert info.value.func == func and info.value.problem.key == key
    assert words in render(info.value.problem, "en") and func in render(info.value.problem, "zh")


def test_a_non_finite_loss_or_parameter_is_a_divergence_not_an_error(reference, data):
    def nan_loss(p, *a):
        loss, new, norm = reference.train_step(p, *a)
        return math.nan, new, norm

    def inf_params(p, *a):
        loss, new, norm = reference.train_step(p, *a)
        return loss, {**new, "Wh": new["Wh"] * np.inf}, norm

    for step in (nan_loss, inf_params):
        run = train(broken(reference, train_step=step), tiny(cell="rnn"), *data)
        assert run.diverged_at == 1 and len(run.losses) == 1
        assert run.heldout_accuracy[-1] == 0.5 and math.isnan(run.heldout_loss[-1])
        json.dumps(run.to_dict(), allow_nan=False)


def test_non_finite_scores_count_as_chance(reference, data):
    run = train(broken(reference, loss=lambda p, x, *a: np.full((len(x), 2), np.nan)), tiny(cell="rnn"), *data)
    assert run.heldout_accuracy == [0.5, 0.5] and all(p.p_positive is None for p in run.predictions)


def test_each_step_starts_from_the_parameters_the_previous_step_returned(reference, data):
    given, returned = [], []

    def step(p, *a):
        given.append(p)
        out = reference.train_step(p, *a)
        returned.append(out[1])
        return out

    run = train(broken(reference, train_step=step), tiny(cell="rnn"), *data)
    assert len(given) == run.steps_per_epoch > 2
    for before, after in zip(returned, given[1:], strict=False):
        assert all(np.array_equal(before[k], after[k]) for k in before)


# ------------------------------------------------------------ the data
def test_paragraphs_join_sentences_of_one_language_and_label(data):
    vocab, train_data, _ = data
    rng = np.random.default_rng(0)
    para = paragraphs(train_data, 3, vocab, rng)
    assert len(para) == len(train_data) and (np.bincount(para.y) == np.bincount(train_data.y)).all()
    label_of = dict(zip(train_data.texts, train_data.y.tolist(), strict=True))
    ends = []
    for text, lang, label in zip(para.texts, para.langs, para.y.tolist(), strict=True):
        parts = [t for t in train_data.texts if text.endswith(t)]
        assert parts and label_of[parts[0]] == label
        ends.append(max(parts, key=len))
        assert lang == ("zh" if not text.isascii() else "en")
    assert sorted(ends) == sorted(train_data.texts)  # every sentence ends exactly one paragraph
    assert para.lengths.mean() > 2.5 * train_data.lengths.mean()


def test_batches_cover_every_example_once_per_epoch():
    lengths = np.random.default_rng(1).integers(1, 20, 100)
    batches = capstone._batches(lengths, 8, np.random.default_rng(2))
    rows = np.concatenate(batches)
    assert sorted(rows.tolist()) == list(range(100)) and max(len(b) for b in batches) == 8


# ---------------------------------------------------- through the sandbox
def test_a_run_through_the_sandbox_equals_the_run_in_process(reference, data):
    """The model functions as proxies that call the reference as a submission in the
    sandboxed child (how part 2 runs a student's code): parameters and scores cross the
    boundary as plain arrays, and the run is the same to the last bit."""
    from grader import paths
    from grader.sandbox.session import Call, Sandbox
    from grader.submission import prepare

    names = ["init_sentiment_params", "sentiment_train_step", "sentiment_loss"]
    prepared = prepare(paths.SOLUTIONS)
    sandbox = Sandbox(prepared.root, prepared.modules, names)
    try:
        sandbox.start()

        def proxy(name):
            def call(*args):
                outcome = sandbox.call(Call(name, args))
                assert outcome.ok, (name, outcome.status, outcome.error)
                return outcome.value
            return call

        cfg = tiny(cell="gru", seed=5)
        child = train(ModelFunctions(*(proxy(n) for n in names)), cfg, *data)
    finally:
        sandbox.close()
        prepared.cleanup()
    parent = train(reference, cfg, *data)
    assert child.losses == parent.losses and child.heldout_accuracy == parent.heldout_accuracy
    assert [p.prefix_p_positive for p in child.predictions] == [p.prefix_p_positive for p in parent.predictions]
