"""The capstone's reference layers (solutions/sentiment.py), in-process: values,
numerical gradients, padding, clipping and the update, and mutants of the reference
that these checks must catch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from support import mutant

from grader import paths
from grader.reference import load_reference

N, T, V, D, H, C = 4, 5, 11, 3, 6, 2
LENGTHS = np.array([5, 2, 3, 1])
CELLS = ("rnn", "lstm", "gru")


@pytest.fixture(scope="module")
def ref():
    return load_reference(paths.SOLUTIONS)


def numerical_gradient(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """d f() / d x by central differences, changing x in place and restoring it."""
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        plus = f()
        x[idx] = old - h
        minus = f()
        x[idx] = old
        grad[idx] = (plus - minus) / (2 * h)
    return grad


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def tokens(rng: np.random.Generator) -> np.ndarray:
    x = rng.integers(1, V, (N, T))
    x[0, :3] = 7  # a repeated token, within a sentence and across sentences
    x[2, 1] = 7
    for n, length in enumerate(LENGTHS):
        x[n, length:] = 0
    return x


def model_params(ref, cell: str, rng: np.random.Generator) -> dict[str, np.ndarray]:
    params = ref["init_sentiment_params"](V, D, H, C, cell, rng)
    return {k: v + rng.standard_normal(v.shape) * 0.5 for k, v in params.items()}  # biases not zero


# ------------------------------------------------------------ the layers
def embedding_errors(ref) -> float:
    rng = np.random.default_rng(1)
    x, W = tokens(rng), rng.standard_normal((V, D))
    dout = rng.standard_normal((N, T, D))
    out, cache = ref["word_embedding_forward"](x, W)
    assert out.shape == (N, T, D) and np.array_equal(out, W[x])
    dW = ref["word_embedding_backward"](dout, cache)
    return rel_error(dW, numerical_gradient(lambda: float(np.sum(ref["word_embedding_forward"](x, W)[0] * dout)), W))


def test_word_embedding_looks_up_rows_and_accumulates_repeated_tokens(ref):
    assert embedding_errors(ref) < 1e-7
    W = np.arange(12.0).reshape(4, 3)
    out, cache = ref["word_embedding_forward"](np.array([[2, 2], [0, 2]]), W)
    dW = ref["word_embedding_backward"](np.ones((2, 2, 3)), cache)
    assert dW.shape == (4, 3) and dW[2].tolist() == [3.0, 3.0, 3.0] and dW[0].tolist() == [1.0] * 3
    assert not dW[1].any() and not dW[3].any()  # rows not looked up get no gradient


def temporal_affine_errors(ref) -> float:
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal((N, T, D)), rng.standard_normal((D, C + 1)), rng.standard_normal(C + 1)
    dout = rng.standard_normal((N, T, C + 1))
    out, cache = ref["temporal_affine_forward"](x, w, b)
    for t in range(T):  # the same affine layer at every time step
        assert np.allclose(out[:, t], ref["affine_forward"](x[:, t], w, b)[0])
    grads = ref["temporal_affine_backward"](dout, cache)
    loss = lambda: float(np.sum(ref["temporal_affine_forward"](x, w, b)[0] * dout))
    return max(rel_error(g, numerical_gradient(loss, a)) for g, a in zip(grads, (x, w, b), strict=True))


def test_temporal_affine_is_one_affine_layer_shared_by_the_time_steps(ref):
    assert temporal_affine_errors(ref) < 1e-7


def many_to_one_errors(ref, pool: str) -> float:
    rng = np.random.default_rng(3)
    x, dout = rng.standard_normal((N, T, H)), rng.standard_normal((N, H))
    out, cache = ref["many_to_one_forward"](x, LENGTHS, pool)
    dx = ref["many_to_one_backward"](dout, cache)
    expected = {"last": np.stack([x[n, k - 1] for n, k in enumerate(LENGTHS)]),
                "mean": np.stack([x[n, :k].mean(axis=0) for n, k in enumerate(LENGTHS)])}[pool]
    value_error = rel_error(out, expected)
    loss = lambda: float(np.sum(ref["many_to_one_forward"](x, LENGTHS, pool)[0] * dout))
    return max(value_error, rel_error(dx, numerical_gradient(loss, x)))


@pytest.mark.parametrize("pool", ["last", "mean"])
def test_many_to_one_takes_each_sequences_own_steps_and_ignores_padding(ref, pool):
    assert many_to_one_errors(ref, pool) < 1e-7
    rng = np.random.default_rng(4)
    x = rng.standard_normal((N, T, H))
    out, cache = ref["many_to_one_forward"](x, LENGTHS, pool)
    noisy = x.copy()
    for n, k in enumerate(LENGTHS):
        noisy[n, k:] = 1e3  # whatever the padded steps hold
    assert np.array_equal(ref["many_to_one_forward"](noisy, LENGTHS, pool)[0], out)
    dx = ref["many_to_one_backward"](np.ones((N, H)), cache)
    assert dx.shape == (N, T, H) and all(not dx[n, k:].any() for n, k in enumerate(LENGTHS))


def test_many_to_one_rejects_an_unknown_pool(ref):
    with pytest.raises(ValueError):
        ref["many_to_one_forward"](np.zeros((N, T, H)), LENGTHS, "max")


# ------------------------------------------------------------- the model
@pytest.mark.parametrize("cell, shapes", [
    ("rnn", {"Wx": (D, H), "Wh": (H, H), "b": (H,)}),
    ("lstm", {"Wx": (D, 4 * H), "Wh": (H, 4 * H), "b": (4 * H,)}),
    ("gru", {"Wx": (D, 3 * H), "Wh": (H, 3 * H), "bx": (3 * H,), "bh": (3 * H,)}),
])
def test_init_draws_every_weight_from_init_weights_in_order(ref, cell, shapes):
    params = ref["init_sentiment_params"](V, D, H, C, cell, 5)
    assert {k: v.shape for k, v in params.items()} == {"W_embed": (V, D), **shapes, "W_out": (H, C), "b_out": (C,)}
    rng = np.random.default_rng(5)
    for name in ("W_embed", "Wx", "Wh", "W_out"):  # the documented order, through init_weights
        assert np.array_equal(params[name], ref["init_weights"](params[name].shape, "xavier", rng)[0]), name
    assert all(not v.any() for k, v in params.items() if k.startswith("b"))
    again = ref["init_sentiment_params"](V, D, H, C, cell, np.random.default_rng(5))
    assert all(np.array_equal(params[k], again[k]) for k in params)


def test_init_rejects_an_unknown_cell(ref):
    with pytest.raises(ValueError):
        ref["init_sentiment_params"](V, D, H, C, "transformer", 0)
    with pytest.raises(ValueError):
        ref["sentiment_loss"](ref["init_sentiment_params"](V, D, H, C, "rnn", 0), np.ones((1, 2), int),
                              np.array([2]), np.array([1]), "transformer")


def loss_errors(ref, cell: str, pool: str) -> float:
    rng = np.random.default_rng(6)
    params, x, y = model_params(ref, cell, rng), tokens(rng), rng.integers(0, C, N)
    loss, grads = ref["sentiment_loss"](params, x, LENGTHS, y, cell, pool)
    assert set(grads) == set(params) and all(grads[k].shape == params[k].shape for k in params)
    f = lambda: ref["sentiment_loss"](params, x, LENGTHS, y, cell, pool)[0]
    return max(rel_error(grads[k], numerical_gradient(f, params[k])) for k in params)


@pytest.mark.parametrize("pool", ["last", "mean"])
@pytest.mark.parametrize("cell", CELLS)
def test_sentiment_loss_gradients_match_the_numerical_gradient(ref, cell, pool):
    assert loss_errors(ref, cell, pool) < 1e-5


@pytest.mark.parametrize("cell", CELLS)
def test_sentiment_loss_scores_ignore_padding_and_start_at_chance(ref, cell):
    rng = np.random.default_rng(7)
    x, y = tokens(rng), rng.integers(0, C, N)
    params = ref["init_sentiment_params"](1000, D, H, C, cell, 8)  # the size of the real vocabulary
    scores = ref["sentiment_loss"](params, x, LENGTHS, None, cell)
    assert scores.shape == (N, C)
    loss, _ = ref["sentiment_loss"](params, x, LENGTHS, y, cell)
    assert abs(loss - math.log(C)) < 0.05  # word vectors of std 1/sqrt(V): about -log(1/C)
    other = x.copy()
    for n, k in enumerate(LENGTHS):
        other[n, k:] = rng.integers(1, V, T - k)  # real tokens where the padding was
    assert np.allclose(ref["sentiment_loss"](params, other, LENGTHS, None, cell), scores, rtol=0, atol=1e-12)
    # The scores of one sentence do not depend on the other sentences of the batch.
    alone = ref["sentiment_loss"](params, x[1:2, :LENGTHS[1]], LENGTHS[1:2], None, cell)
    assert np.allclose(alone, scores[1:2], rtol=0, atol=1e-12)


@pytest.mark.parametrize("cell", CELLS)
def test_train_step_clips_all_gradients_together_then_takes_an_sgd_step(ref, cell):
    rng = np.random.default_rng(9)
    params, x, y = model_params(ref, cell, rng), tokens(rng), rng.integers(0, C, N)
    copies = {k: v.copy() for k, v in params.items()}
    loss, grads = ref["sentiment_loss"](params, x, LENGTHS, y, cell)
    norm = math.sqrt(sum(float(np.sum(g * g)) for g in grads.values()))
    for max_norm in (None, 10 * norm, norm / 4):
        out_loss, new, grad_norm = ref["sentiment_train_step"](params, x, LENGTHS, y, 0.3, max_norm, cell)
        assert out_loss == loss and math.isclose(grad_norm, norm, rel_tol=1e-12)
        scale = 1.0 if max_norm is None or max_norm >= norm else max_norm / norm
        assert set(new) == set(params)
        for k in params:
            assert np.allclose(new[k], params[k] - 0.3 * scale * grads[k], rtol=0, atol=1e-12), k
        step = math.sqrt(sum(float(np.sum((new[k] - params[k]) ** 2)) for k in params))
        assert math.isclose(step, 0.3 * min(norm, max_norm or norm), rel_tol=1e-9)
    assert all(np.array_equal(params[k], copies[k]) for k in params)  # params left unchanged


def test_the_layers_leave_their_inputs_unchanged(ref):
    rng = np.random.default_rng(10)
    x, W, h = tokens(rng), rng.standard_normal((V, D)), rng.standard_normal((N, T, H))
    w, b, lengths = rng.standard_normal((H, C)), rng.standard_normal(C), LENGTHS.copy()
    before = [a.copy() for a in (x, W, h, w, b, lengths)]
    _, c1 = ref["word_embedding_forward"](x, W)
    d1 = rng.standard_normal((N, T, D))
    d1_copy = d1.copy()
    ref["word_embedding_backward"](d1, c1)
    _, c2 = ref["temporal_affine_forward"](h, w, b)
    d2 = rng.standard_normal((N, T, C))
    d2_copy = d2.copy()
    ref["temporal_affine_backward"](d2, c2)
    for pool in ("last", "mean"):
        _, c3 = ref["many_to_one_forward"](h, lengths, pool)
        d3 = rng.standard_normal((N, H))
        d3_copy = d3.copy()
        ref["many_to_one_backward"](d3, c3)
        assert np.array_equal(d3, d3_copy)
    assert all(np.array_equal(a, c) for a, c in zip((x, W, h, w, b, lengths), before, strict=True))
    assert np.array_equal(d1, d1_copy) and np.array_equal(d2, d2_copy)


# --------------------------------------------- the checks catch mutants
MUTANTS = {
    "embedding overwrites repeated rows": (
        [("np.add.at(dW, x, dout)", "dW[x] += dout")], lambda r: embedding_errors(r)),
    "temporal affine db averaged": (
        [("db = flat.sum(axis=0)", "db = flat.mean(axis=0)")], lambda r: temporal_affine_errors(r)),
    "head reads the padded last column": (
        [("out = x[np.arange(N), lengths - 1]", "out = x[:, -1]")], lambda r: many_to_one_errors(r, "last")),
    "mean over padding too": (
        [("out = (x * mask[:, :, None]).sum(axis=1) / lengths[:, None]", "out = x.mean(axis=1)")],
        lambda r: many_to_one_errors(r, "mean")),
    "mean backward without the mask": (
        [("dx = mask[:, :, None] * (dout / lengths[:, None])[:, None, :]",
          "dx = np.broadcast_to((dout / lengths[:, None])[:, None, :], (N, T, M)).copy()")],
        lambda r: many_to_one_errors(r, "mean")),
    "embedding gradient dropped": (
        [('grads["W_embed"] = word_embedding_backward(demb, c_emb)', 'grads["W_embed"] = np.zeros_like(params["W_embed"])')],
        lambda r: loss_errors(r, "gru", "last")),
}


@pytest.mark.parametrize("name", MUTANTS)
def test_each_check_fails_on_a_mutant_of_the_reference(tmp_path, name):
    edits, errors = MUTANTS[name]
    try:
        error = errors(load_reference(mutant(tmp_path, {"sentiment.py": edits})))
    except AssertionError:
        return  # a value assertion of the check caught it
    assert error > 1e-3, name
