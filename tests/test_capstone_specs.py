"""The capstone's exercises (grader/specs/capstone.py): the reference earns full marks,
the stubs nothing; every check fails on some mutant of the reference and the known
capstone mistakes (37-41) are named; the composites (the model's loss, the training
step) keep their points with the reference's blocks when a block of theirs fails.

Mutants grade in this process (support.grade_fast): the whole table runs in seconds."""

from __future__ import annotations

import pytest
from support import SOLUTIONS, failed_ids, grade_fast, mistakes_of, mutant

from grader import paths
from grader.i18n import render
from grader.mistakes import Mistake
from grader.specs import capstone as spec

EXERCISES = ("embedding", "temporal_affine", "many_to_one", "sentiment_init", "sentiment_loss", "sentiment_step")
F = "sentiment.py"


def grade(path, *names):
    return grade_fast(path, *(names or EXERCISES))


def all_check_ids() -> set[str]:
    result = grade(SOLUTIONS)
    return {c.id for c in result.checks}


# ------------------------------------------------------------------ full marks
def test_reference_gets_full_marks_and_stubs_nothing():
    result = grade(SOLUTIONS)
    assert result.score == result.max_score == pytest.approx(38.25), failed_ids(result)
    assert {c.exercise for c in result.checks} == set(EXERCISES)
    stubs = grade(paths.EXERCISES)
    assert stubs.score == 0
    texts = [render(m, "en") for c in stubs.checks for m in c.messages]
    assert any("not implemented" in t for t in texts)


# --------------------------------------------------------------------- mutants
# name -> (edits of solutions/*.py, check ids that must fail, mistakes that must be named)
MUTANTS: dict[str, tuple[dict, set[str], set[str]]] = {
    # the word embedding
    "embedding reads the next row": (
        {F: [("return W[x], (x, W.shape)", "return W[(x + 1) % W.shape[0]], (x, W.shape)")]},
        {"embedding.forward"}, set()),
    "dW[x] += dout": (
        {F: [("np.add.at(dW, x, dout)", "dW[x] += dout")]},
        {"embedding.grad.dW", "embedding.grad.dW.reference"}, {Mistake.EMBEDDING_NO_ADD_AT}),
    "dW transposed": (
        {F: [("    np.add.at(dW, x, dout)\n    return dW", "    np.add.at(dW, x, dout)\n    return dW.T")]},
        {"embedding.grad.dW", "embedding.grad.dW.reference"}, {Mistake.WEIGHT_TRANSPOSED}),
    "embedding forward changes W": (
        {F: [("return W[x], (x, W.shape)", "out = W[x]\n    W[0] = 0.0\n    return out, (x, W.shape)")]},
        {"embedding.forward_mutation"}, {Mistake.IN_PLACE}),
    "embedding backward zeroes dout": (
        {F: [("    np.add.at(dW, x, dout)\n    return dW", "    np.add.at(dW, x, dout)\n    dout[...] = 0\n    return dW")]},
        {"embedding.backward_mutation"}, {Mistake.IN_PLACE}),
    # the temporal affine layer
    "temporal affine without b": (
        {F: [("out = (x.reshape(N * T, D) @ w + b)", "out = (x.reshape(N * T, D) @ w)")]},
        {"temporal_affine.forward"}, {Mistake.BIAS_MISSING}),
    "temporal dx halved": (
        {F: [("dx = (flat @ w.T).reshape(N, T, D)", "dx = 0.5 * (flat @ w.T).reshape(N, T, D)")]},
        {"temporal_affine.grad.dx", "temporal_affine.grad.dx.reference"}, set()),
    "temporal dw from the last step": (
        {F: [("dw = x.reshape(N * T, D).T @ flat", "dw = x[:, -1].T @ dout[:, -1]")]},
        {"temporal_affine.grad.dw", "temporal_affine.grad.dw.reference"}, set()),
    "temporal db per time step": (
        {F: [("db = flat.sum(axis=0)", "db = dout.sum(axis=0)")]},
        {"temporal_affine.grad.db", "temporal_affine.grad.db.reference"}, set()),
    "temporal forward changes x": (
        {F: [("    return out, (x, w)", "    x += 1.0\n    return out, (x, w)")]},
        {"temporal_affine.forward_mutation"}, {Mistake.IN_PLACE}),
    "temporal backward changes dout": (
        {F: [("    db = flat.sum(axis=0)\n", "    db = flat.sum(axis=0)\n    dout[...] = 0\n")]},
        {"temporal_affine.backward_mutation"}, {Mistake.IN_PLACE}),
    # the many-to-one head
    "head reads the last column": (
        {F: [("out = x[np.arange(N), lengths - 1]", "out = x[:, -1]"),
             ("dx[np.arange(N), lengths - 1] = dout", "dx[:, -1] = dout")]},
        {"many_to_one.last", "many_to_one.grad_last.dx.reference"}, {Mistake.HEAD_READS_PADDING}),
    "mean over the padding": (
        {F: [("out = (x * mask[:, :, None]).sum(axis=1) / lengths[:, None]", "out = x.mean(axis=1)")]},
        {"many_to_one.mean"}, {Mistake.HEAD_MEAN_OVER_PADDING}),
    "head backward forgets the padding": (
        {F: [("dx[np.arange(N), lengths - 1] = dout", "dx[:, -1] = dout")]},
        {"many_to_one.grad_last.dx", "many_to_one.grad_last.dx.reference"}, set()),
    "mean backward without 1/lengths": (
        {F: [("dx = mask[:, :, None] * (dout / lengths[:, None])[:, None, :]",
              "dx = mask[:, :, None] * dout[:, None, :]")]},
        {"many_to_one.grad_mean.dx", "many_to_one.grad_mean.dx.reference"}, set()),
    "head forward changes x": (
        {F: [("    return out, (x.shape, lengths.copy(), pool)", "    x[:, 0] = 0.0\n    return out, (x.shape, lengths.copy(), pool)")]},
        {"many_to_one.forward_mutation"}, {Mistake.IN_PLACE}),
    "head backward changes dout": (
        {F: [("        dx[np.arange(N), lengths - 1] = dout\n",
              "        dx[np.arange(N), lengths - 1] = dout\n        dout[...] = 0\n")]},
        {"many_to_one.backward_mutation"}, {Mistake.IN_PLACE}),
    # the initial parameters
    "Wh drawn before Wx": (
        {F: [('    params["Wx"], bias = init_weights((embed_dim, blocks[cell] * hidden_dim), "xavier", rng)\n'
              '    params["Wh"], _ = init_weights((hidden_dim, blocks[cell] * hidden_dim), "xavier", rng)\n',
              '    params["Wh"], _ = init_weights((hidden_dim, blocks[cell] * hidden_dim), "xavier", rng)\n'
              '    params["Wx"], bias = init_weights((embed_dim, blocks[cell] * hidden_dim), "xavier", rng)\n')]},
        {"sentiment_init.rnn", "sentiment_init.lstm", "sentiment_init.gru"}, set()),
    "numpy's global random state": (
        {F: [("    rng = np.random.default_rng(rng)\n    params = {}", "    rng = np.random.default_rng()\n    params = {}")]},
        {"sentiment_init.rnn", "sentiment_init.reproducible", "sentiment_init.mutation"}, set()),
    # the model's loss and gradients
    "the model's head reads the padding": (
        {F: [("scores, c_pool = many_to_one_forward(step_scores, lengths, pool)",
              "scores, c_pool = many_to_one_forward(step_scores, np.full_like(lengths, x.shape[1]), pool)")]},
        {"sentiment_loss.scores", "sentiment_loss.rnn", "sentiment_loss.gru_mean"},
        {Mistake.HEAD_READS_PADDING, Mistake.HEAD_MEAN_OVER_PADDING}),
    "word vectors get no gradient": (
        {F: [('grads["W_embed"] = word_embedding_backward(demb, c_emb)',
              'grads["W_embed"] = 0.0 * word_embedding_backward(demb, c_emb)')]},
        {"sentiment_loss.rnn", "sentiment_loss.lstm", "sentiment_loss.gru", "sentiment_loss.gru_mean",
         "sentiment_loss.grad_rnn.grads['W_embed']"}, {Mistake.EMBEDDINGS_NOT_UPDATED}),
    "recurrent gradients doubled": (
        {F: [("= rnn_backward(dh, c_rnn)", "= rnn_backward(2 * dh, c_rnn)"),
             ("= lstm_backward(dh, c_rnn)", "= lstm_backward(2 * dh, c_rnn)"),
             ("= gru_backward(dh, c_rnn)", "= gru_backward(2 * dh, c_rnn)")]},
        {f"sentiment_loss.grad_{cell}.grads['{k}']" for cell in spec.CELLS for k in spec.param_names(cell)
         if k not in ("W_out", "b_out")}, set()),
    "classifier gradients doubled": (
        {F: [('grads["W_out"], grads["b_out"] = dW_out, db_out', 'grads["W_out"], grads["b_out"] = 2 * dW_out, 2 * db_out')]},
        {f"sentiment_loss.grad_{cell}.grads['{k}']" for cell in spec.CELLS for k in ("W_out", "b_out")}, set()),
    "loss changes the parameters": (
        {F: [("    grads = {}\n    if cell == \"rnn\":", "    grads = {}\n    params[\"b_out\"] += 1.0\n    if cell == \"rnn\":")]},
        {"sentiment_loss.mutation"}, {Mistake.IN_PLACE}),
    # the training step
    "clipping ignored": (
        {F: [("np.inf if max_norm is None else max_norm", "np.inf")]},
        {"sentiment_step.clipped"}, {Mistake.CLIPPING_IGNORED}),
    "each gradient clipped alone": (
        {F: [("clipped, grad_norm = clip_grad_norm([grads[k] for k in names], np.inf if max_norm is None else max_norm)",
              "grad_norm = clip_grad_norm([grads[k] for k in names], np.inf)[1]\n"
              "    clipped = [clip_grad_norm([grads[k]], np.inf if max_norm is None else max_norm)[0][0] for k in names]")]},
        {"sentiment_step.clipped"}, {Mistake.CLIP_PER_TENSOR}),
    "always rescaled to max_norm": (
        {F: [("clipped, grad_norm = clip_grad_norm([grads[k] for k in names], np.inf if max_norm is None else max_norm)",
              "grad_norm = clip_grad_norm([grads[k] for k in names], np.inf)[1]\n"
              "    clipped = [grads[k] * (max_norm / grad_norm if max_norm is not None else 1.0) for k in names]")]},
        {"sentiment_step.below"}, {Mistake.CLIP_ALWAYS}),
    "word vectors left out of the update": (
        {F: [("    return loss, new_params, grad_norm", '    new_params["W_embed"] = params["W_embed"].copy()\n'
                                                       "    return loss, new_params, grad_norm")]},
        {"sentiment_step.clipped", "sentiment_step.below", "sentiment_step.no_clipping"},
        {Mistake.EMBEDDINGS_NOT_UPDATED}),
    "norm after clipping returned": (
        {F: [("    return loss, new_params, grad_norm",
              "    return loss, new_params, min(grad_norm, np.inf if max_norm is None else max_norm)")]},
        {"sentiment_step.clipped"}, set()),
    "gradient ascent": (
        {F: [("new_params = sgd_step(params, dict(zip(names, clipped, strict=True)), learning_rate)",
              "new_params = sgd_step(params, dict(zip(names, clipped, strict=True)), -learning_rate)")]},
        {"sentiment_step.clipped", "sentiment_step.below", "sentiment_step.no_clipping"}, set()),
    "step updates params in place": (
        {F: [("new_params = sgd_step(params, dict(zip(names, clipped, strict=True)), learning_rate)",
              "new_params = params\n    for k, g in zip(names, clipped, strict=True):\n"
              "        params[k] -= learning_rate * g")]},
        {"sentiment_step.mutation"}, {Mistake.IN_PLACE}),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("capstone-spec-mutants")
    cache: dict[str, object] = {}

    def get(name):
        if name not in cache:
            edits = MUTANTS[name][0]
            cache[name] = grade(mutant(root / name.replace(" ", "_").replace("/", "_"), edits))
        return cache[name]
    return get


@pytest.mark.parametrize("name", list(MUTANTS))
def test_mutant_fails_its_checks_and_names_its_mistake(graded, name):
    _, must_fail, mistakes = MUTANTS[name]
    result = graded(name)
    assert must_fail <= failed_ids(result), (must_fail - failed_ids(result), failed_ids(result))
    assert {str(m) for m in mistakes} <= mistakes_of(result), (mistakes, mistakes_of(result))
    assert result.score < result.max_score


def test_every_check_fails_on_some_mutant(graded):
    caught = set().union(*(failed_ids(graded(name)) for name in MUTANTS))
    missed = all_check_ids() - caught
    assert not missed, f"checks no mutant fails: {sorted(missed)}"


def test_every_capstone_mistake_is_named_by_some_mutant():
    named = set().union(*({str(m) for m in mistakes} for _, _, mistakes in MUTANTS.values()))
    capstone = {Mistake.EMBEDDING_NO_ADD_AT, Mistake.HEAD_READS_PADDING, Mistake.HEAD_MEAN_OVER_PADDING,
                Mistake.EMBEDDINGS_NOT_UPDATED, Mistake.CLIPPING_IGNORED}
    assert {str(m) for m in capstone} <= named


def test_a_mistake_is_named_only_where_it_is(graded):
    """A mutant with one capstone mistake is not accused of the others."""
    capstone = {str(m) for m in (Mistake.EMBEDDING_NO_ADD_AT, Mistake.HEAD_READS_PADDING,
                                 Mistake.HEAD_MEAN_OVER_PADDING, Mistake.EMBEDDINGS_NOT_UPDATED,
                                 Mistake.CLIPPING_IGNORED)}
    for name, (_, _, mistakes) in MUTANTS.items():
        extra = (mistakes_of(graded(name)) & capstone) - {str(m) for m in mistakes}
        assert not extra, (name, extra)


# ------------------------------------------------------------------ composites
# A block of the model that fails its own checks is charged there, once: the model's
# loss and the training step are judged again with the reference's block (rule 4).
BROKEN_BLOCKS = {
    "lstm_step_backward": ({"rnn_layers.py": [("dprev_c = dc * f", "dprev_c = dc")]}, "lstm_step",
                           {"sentiment_loss.lstm", "sentiment_loss.grad_lstm.grads['Wx']"}),
    "word_embedding_backward": ({F: [("np.add.at(dW, x, dout)", "dW[x] += dout")]}, "embedding",
                                {"sentiment_loss.rnn", "sentiment_loss.gru", "sentiment_loss.grad_gru.grads['W_embed']"}),
    "clip_grad_norm": ({"stability.py": [("clipped = [g * scale for g in grads]",
                                          "clipped = [np.clip(g, -max_norm, max_norm) for g in grads]")]},
                       "clip", {"sentiment_step.clipped"}),
}


@pytest.mark.parametrize("block", list(BROKEN_BLOCKS))
def test_a_broken_block_is_charged_once(tmp_path, block):
    edits, exercise, rescued = BROKEN_BLOCKS[block]
    blocks = {"lstm_step": ("lstm_step", "lstm"), "clip": ("clip",)}.get(exercise, ())
    result = grade(mutant(tmp_path / "m", edits), *blocks, *EXERCISES)
    by_id = {c.id: c for c in result.checks}
    assert any(c.status != "passed" for c in result.checks if c.exercise == exercise)
    for cid in rescued:
        assert by_id[cid].status == "passed", (cid, by_id[cid].messages)
        assert block in by_id[cid].details.get("substituted", []), by_id[cid].details
    composite = [c for c in result.checks if c.exercise in ("sentiment_loss", "sentiment_step")]
    assert all(c.status == "passed" for c in composite), [c.id for c in composite if c.status != "passed"]


def test_a_broken_init_weights_is_named_for_the_initial_parameters_not_substituted(tmp_path, monkeypatch):
    """init_sentiment_params passes init_weights the Generator it made in the child: the
    reference cannot draw that stream in the parent, so init is never substituted (no
    stand-in asked, so none refused): the initial parameters are judged as they are."""
    from grader.checks import blocks as block_module

    served: list[str] = []
    monkeypatch.setattr(block_module.BlockScope, "__call__",
                        lambda self, name, args, kwargs: served.append(name) or pytest.fail("substituted"))
    edits = {"stability.py": [('"xavier": np.sqrt(1.0 / fan_in)', '"xavier": np.sqrt(2.0 / fan_in)')]}
    result = grade(mutant(tmp_path / "m", edits), "init", "sentiment_init")
    assert any(c.status == "failed" for c in result.checks if c.exercise == "init")
    init = [c for c in result.checks if c.exercise == "sentiment_init"]
    assert any(c.status == "failed" for c in init) and served == []
    assert "value.mismatch" in {m.key for c in init for m in c.messages}  # judged as it is


# Mistakes without a number of their own are still said.
SAID = {"Wh drawn before Wx": ("sentiment_init.lstm", "capstone.init.order"),
        "norm after clipping returned": ("sentiment_step.clipped", "capstone.step.norm_after"),
        "gradient ascent": ("sentiment_step.no_clipping", "capstone.step.sign"),
        "numpy's global random state": ("sentiment_init.reproducible", "capstone.init.not_reproducible")}


@pytest.mark.parametrize("name", list(SAID))
def test_the_feedback_says_what_is_wrong(graded, name):
    cid, key = SAID[name]
    check = next(c for c in graded(name).checks if c.id == cid)
    assert key in [m.key for m in check.messages]
    for lang in ("zh", "en"):
        assert all(render(m, lang) for m in check.messages)
