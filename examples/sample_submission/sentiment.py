# Sample student submission: the capstone's sentiment classifier, with one realistic
# mistake (known mistake 37: the word embedding's backward uses dW[x] += dout) that the
# gradient check catches and the training hides, so the sample report shows both.
import numpy as np

from bp_network import sgd_step
from layers import softmax_loss
from rnn_layers import gru_backward, gru_forward, lstm_backward, lstm_forward, rnn_backward, rnn_forward
from stability import clip_grad_norm, init_weights


def word_embedding_forward(x, W):
    out = W[x]
    return out, (x, W.shape[0])


def word_embedding_backward(dout, cache):
    x, V = cache
    dW = np.zeros((V, dout.shape[-1]))
    dW[x] += dout  # looks right, but a repeated token keeps only one of its gradients
    return dW


def temporal_affine_forward(x, w, b):
    out = np.einsum("ntd,dm->ntm", x, w) + b
    return out, (x, w)


def temporal_affine_backward(dout, cache):
    x, w = cache
    dx = np.einsum("ntm,dm->ntd", dout, w)
    dw = np.einsum("ntd,ntm->dm", x, dout)
    db = dout.sum(axis=(0, 1))
    return dx, dw, db


def many_to_one_forward(x, lengths, pool="last"):
    n, t, _ = x.shape
    lengths = np.array(lengths)
    if pool == "last":
        out = x[np.arange(n), lengths - 1]
    elif pool == "mean":
        mask = (np.arange(t) < lengths[:, None]).astype(float)
        out = np.einsum("ntm,nt->nm", x, mask) / lengths[:, None]
    else:
        raise ValueError("pool must be 'last' or 'mean'")
    return out, (x.shape, lengths, pool)


def many_to_one_backward(dout, cache):
    shape, lengths, pool = cache
    n, t, _ = shape
    dx = np.zeros(shape)
    if pool == "last":
        dx[np.arange(n), lengths - 1] = dout
    else:
        mask = (np.arange(t) < lengths[:, None]).astype(float)
        dx = mask[:, :, None] * dout[:, None, :] / lengths[:, None, None]
    return dx


def init_sentiment_params(vocab_size, embed_dim, hidden_dim, num_classes, cell, rng):
    gates = {"rnn": 1, "lstm": 4, "gru": 3}
    if cell not in gates:
        raise ValueError(cell)
    rng = np.random.default_rng(rng)
    g = gates[cell] * hidden_dim
    params = {"W_embed": init_weights((vocab_size, embed_dim), "xavier", rng)[0]}
    params["Wx"], zeros = init_weights((embed_dim, g), "xavier", rng)
    params["Wh"] = init_weights((hidden_dim, g), "xavier", rng)[0]
    if cell == "gru":
        params["bx"], params["bh"] = zeros.copy(), zeros.copy()
    else:
        params["b"] = zeros
    params["W_out"], params["b_out"] = init_weights((hidden_dim, num_classes), "xavier", rng)
    return params


LAYERS = {"rnn": (rnn_forward, rnn_backward), "lstm": (lstm_forward, lstm_backward),
          "gru": (gru_forward, gru_backward)}


def sentiment_loss(params, x, lengths, y=None, cell="lstm", pool="last"):
    if cell not in LAYERS:
        raise ValueError(cell)
    forward, backward = LAYERS[cell]
    biases = (params["bx"], params["bh"]) if cell == "gru" else (params["b"],)
    emb, emb_cache = word_embedding_forward(x, params["W_embed"])
    h0 = np.zeros((x.shape[0], params["Wh"].shape[0]))
    h, rnn_cache = forward(emb, h0, params["Wx"], params["Wh"], *biases)
    s, aff_cache = temporal_affine_forward(h, params["W_out"], params["b_out"])
    scores, pool_cache = many_to_one_forward(s, lengths, pool)
    if y is None:
        return scores
    loss, dscores = softmax_loss(scores, y)
    dh, dW_out, db_out = temporal_affine_backward(many_to_one_backward(dscores, pool_cache), aff_cache)
    demb, _dh0, dWx, dWh, *dbiases = backward(dh, rnn_cache)
    grads = {"W_embed": word_embedding_backward(demb, emb_cache), "Wx": dWx, "Wh": dWh, "W_out": dW_out,
             "b_out": db_out}
    grads.update(zip(("bx", "bh") if cell == "gru" else ("b",), dbiases, strict=True))
    return loss, grads


def sentiment_train_step(params, x, lengths, y, learning_rate, max_norm=None, cell="lstm", pool="last"):
    loss, grads = sentiment_loss(params, x, lengths, y, cell, pool)
    names = sorted(grads)
    clipped, norm = clip_grad_norm([grads[k] for k in names], float("inf") if max_norm is None else max_norm)
    new_params = sgd_step(params, dict(zip(names, clipped)), learning_rate)
    return loss, new_params, norm
