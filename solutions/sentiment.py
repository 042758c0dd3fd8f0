"""Capstone: a sentiment classifier (情感分类) built from your own layers.

The lecture's example: read "今天是个好日子" one token at a time and say whether the
sentence is positive (正能量) or negative (负能量). That is many to one (多对一): a
sequence in, one class out. The model, for a batch of N sentences padded to T
tokens:

    x (N, T) token indices
      -> word embedding              (N, T, D)  one learned vector per token
      -> RNN / LSTM / GRU            (N, T, H)  your rnn_forward / lstm_forward / gru_forward, h0 = 0
      -> temporal affine             (N, T, C)  class scores after each time step
      -> many to one                 (N, C)     the scores at each sentence's last real token
      -> softmax loss                           softmax_loss from layers.py

Sentences have different lengths: row i holds ``lengths[i]`` real tokens followed by
padding (``<pad>``, index 0). The hidden state after the padding has read tokens
that are not part of the sentence, so the head must take each sentence's own last
time step ``lengths[i] - 1`` (or average over its real steps only), never simply
the last column.

Conventions as in the other modules: float64 arrays, batch first; every
``*_forward`` returns ``(out, cache)`` and the matching ``*_backward(dout, cache)``
returns the gradients of its inputs in argument order. Do not modify the arrays you
are given: return new ones.

Parameters of the model (a dict, as in ``two_layer_net_loss``):

- "W_embed": (V, D) word vectors, one row per token of the vocabulary
- "Wx", "Wh" and the biases of the recurrent layer, as in rnn_layers.py:
  "rnn": Wx (D, H), Wh (H, H), b (H,); "lstm": Wx (D, 4H), Wh (H, 4H), b (4H,);
  "gru": Wx (D, 3H), Wh (H, 3H), bx (3H,), bh (3H,)
- "W_out": (H, C), "b_out": (C,) the classifier
"""

import numpy as np

from bp_network import sgd_step
from layers import softmax_loss
from rnn_layers import gru_backward, gru_forward, lstm_backward, lstm_forward, rnn_backward, rnn_forward
from stability import clip_grad_norm, init_weights


def word_embedding_forward(x, W):
    """Word embedding: look up the vector of every token.

    ``out[n, t] = W[x[n, t]]``.

    Inputs:
    - x: (N, T) integer token indices, each 0 <= x[n, t] < V
    - W: (V, D) word vectors, one row per token

    Returns a tuple of:
    - out: (N, T, D)
    - cache: whatever word_embedding_backward needs
    """
    # BEGIN SOLUTION
    return W[x], (x, W.shape)
    # END SOLUTION


def word_embedding_backward(dout, cache):
    """Backward pass of the word embedding.

    Only the rows of W that were looked up get a gradient, and a token that occurs
    several times in the batch collects the upstream gradient of *every* occurrence
    (add them up: ``np.add.at``; ``dW[x] += dout`` keeps only one of them).

    Inputs:
    - dout: (N, T, D) upstream gradient
    - cache: from word_embedding_forward

    Returns:
    - dW: (V, D) gradient of the word vectors (there is no gradient for the
      integer x)
    """
    # BEGIN SOLUTION
    x, w_shape = cache
    dW = np.zeros(w_shape)
    np.add.at(dW, x, dout)
    return dW
    # END SOLUTION


def temporal_affine_forward(x, w, b):
    """An affine layer applied at every time step with the same weights:
    ``out[:, t] = x[:, t] @ w + b``.

    Inputs:
    - x: (N, T, D)
    - w: (D, M)
    - b: (M,)

    Returns a tuple of:
    - out: (N, T, M)
    - cache: whatever temporal_affine_backward needs
    """
    # BEGIN SOLUTION
    N, T, D = x.shape
    out = (x.reshape(N * T, D) @ w + b).reshape(N, T, w.shape[1])
    return out, (x, w)
    # END SOLUTION


def temporal_affine_backward(dout, cache):
    """Backward pass of the temporal affine layer (the weights are shared by all
    time steps, so their gradients are sums over the time steps).

    Inputs:
    - dout: (N, T, M) upstream gradient
    - cache: from temporal_affine_forward

    Returns a tuple of:
    - dx: (N, T, D)
    - dw: (D, M)
    - db: (M,)
    """
    # BEGIN SOLUTION
    x, w = cache
    N, T, D = x.shape
    M = w.shape[1]
    flat = dout.reshape(N * T, M)
    dx = (flat @ w.T).reshape(N, T, D)
    dw = x.reshape(N * T, D).T @ flat
    db = flat.sum(axis=0)
    return dx, dw, db
    # END SOLUTION


def many_to_one_forward(x, lengths, pool="last"):
    """Many to one (多对一): one vector per sequence from a padded sequence of vectors.

    Row n has ``lengths[n]`` real time steps, ``x[n, :lengths[n]]``; the steps after
    them are padding and must not count.

    - pool="last": ``out[n] = x[n, lengths[n] - 1]``, the vector at the sequence's
      own last time step (not ``x[n, T - 1]``, which has read the padding);
    - pool="mean": ``out[n] = mean of x[n, :lengths[n]]`` over the real steps only.
    - anything else raises ValueError.

    Inputs:
    - x: (N, T, M), e.g. hidden states or class scores of every time step
    - lengths: (N,) integers, 1 <= lengths[n] <= T
    - pool: "last" or "mean"

    Returns a tuple of:
    - out: (N, M)
    - cache: whatever many_to_one_backward needs
    """
    # BEGIN SOLUTION
    N, T, _ = x.shape
    lengths = np.asarray(lengths)
    if pool == "last":
        out = x[np.arange(N), lengths - 1]
    elif pool == "mean":
        mask = np.arange(T)[None, :] < lengths[:, None]
        out = (x * mask[:, :, None]).sum(axis=1) / lengths[:, None]
    else:
        raise ValueError(f"unknown pool {pool!r}")
    return out, (x.shape, lengths.copy(), pool)
    # END SOLUTION


def many_to_one_backward(dout, cache):
    """Backward pass of many_to_one_forward. Padded time steps get a zero gradient.

    Inputs:
    - dout: (N, M) upstream gradient
    - cache: from many_to_one_forward

    Returns:
    - dx: (N, T, M) (there is no gradient for the integer lengths)
    """
    # BEGIN SOLUTION
    (N, T, M), lengths, pool = cache
    dx = np.zeros((N, T, M))
    if pool == "last":
        dx[np.arange(N), lengths - 1] = dout
    else:
        mask = np.arange(T)[None, :] < lengths[:, None]
        dx = mask[:, :, None] * (dout / lengths[:, None])[:, None, :]
    return dx
    # END SOLUTION


def init_sentiment_params(vocab_size, embed_dim, hidden_dim, num_classes, cell, rng):
    """Initial parameters of the sentiment model, every weight from your
    ``init_weights(shape, "xavier", rng)`` (biases zero), drawn in this order:
    W_embed (V, D), Wx, Wh, W_out. The embedding counts as a layer whose input is
    a one-hot vector of length V, so its fan-in is V.

    Inputs:
    - vocab_size: V
    - embed_dim: D
    - hidden_dim: H
    - num_classes: C
    - cell: "rnn", "lstm" or "gru" (sets the shapes of Wx, Wh and the biases,
      see the module docstring); anything else raises ValueError
    - rng: a numpy random Generator or an integer seed; use
      ``rng = np.random.default_rng(rng)`` once and pass that same rng to every
      init_weights call

    Returns:
    - params: dict name -> array, the keys and shapes of the module docstring
    """
    # BEGIN SOLUTION
    blocks = {"rnn": 1, "lstm": 4, "gru": 3}
    if cell not in blocks:
        raise ValueError(f"unknown cell {cell!r}")
    rng = np.random.default_rng(rng)
    params = {}
    params["W_embed"], _ = init_weights((vocab_size, embed_dim), "xavier", rng)
    params["Wx"], bias = init_weights((embed_dim, blocks[cell] * hidden_dim), "xavier", rng)
    params["Wh"], _ = init_weights((hidden_dim, blocks[cell] * hidden_dim), "xavier", rng)
    for name in ("bx", "bh") if cell == "gru" else ("b",):
        params[name] = bias.copy()
    params["W_out"], params["b_out"] = init_weights((hidden_dim, num_classes), "xavier", rng)
    return params
    # END SOLUTION


def sentiment_loss(params, x, lengths, y=None, cell="lstm", pool="last"):
    """Forward pass of the sentiment model and, given labels, its loss and gradients.

    embedding -> recurrent layer (h0 = 0) -> temporal affine -> many to one ->
    softmax loss, as in the module docstring. Build it from your own functions.

    Inputs:
    - params: dict of parameters (module docstring)
    - x: (N, T) integer token indices, padded with 0 after each sentence
    - lengths: (N,) the number of real tokens of each sentence, 1 <= lengths[n] <= T
    - y: (N,) integer labels in [0, C), or None
    - cell: "rnn", "lstm" or "gru"
    - pool: "last" or "mean", as in many_to_one_forward

    Returns:
    - if y is None: scores, (N, C) class scores of each sentence
    - else a tuple of:
      - loss: float, the softmax loss
      - grads: dict with the same keys and shapes as params
    """
    # BEGIN SOLUTION
    emb, c_emb = word_embedding_forward(x, params["W_embed"])
    h0 = np.zeros((x.shape[0], params["Wh"].shape[0]))
    # The layers are looked up by name at each call (no table of functions made at
    # import time), so whatever rnn_forward, ... mean when the step runs is used.
    if cell == "rnn":
        h, c_rnn = rnn_forward(emb, h0, params["Wx"], params["Wh"], params["b"])
    elif cell == "lstm":
        h, c_rnn = lstm_forward(emb, h0, params["Wx"], params["Wh"], params["b"])
    elif cell == "gru":
        h, c_rnn = gru_forward(emb, h0, params["Wx"], params["Wh"], params["bx"], params["bh"])
    else:
        raise ValueError(f"unknown cell {cell!r}")
    step_scores, c_aff = temporal_affine_forward(h, params["W_out"], params["b_out"])
    scores, c_pool = many_to_one_forward(step_scores, lengths, pool)
    if y is None:
        return scores
    loss, dscores = softmax_loss(scores, y)
    dstep = many_to_one_backward(dscores, c_pool)
    dh, dW_out, db_out = temporal_affine_backward(dstep, c_aff)
    grads = {}
    if cell == "rnn":
        demb, _, grads["Wx"], grads["Wh"], grads["b"] = rnn_backward(dh, c_rnn)
    elif cell == "lstm":
        demb, _, grads["Wx"], grads["Wh"], grads["b"] = lstm_backward(dh, c_rnn)
    else:
        demb, _, grads["Wx"], grads["Wh"], grads["bx"], grads["bh"] = gru_backward(dh, c_rnn)
    grads["W_embed"] = word_embedding_backward(demb, c_emb)
    grads["W_out"], grads["b_out"] = dW_out, db_out
    return loss, grads
    # END SOLUTION


def sentiment_train_step(params, x, lengths, y, learning_rate, max_norm=None, cell="lstm", pool="last"):
    """One step of training: loss and gradients, gradient clipping, an SGD update.

    1. ``loss, grads = sentiment_loss(params, x, lengths, y, cell, pool)``;
    2. clip all gradients together by one global norm with your ``clip_grad_norm``
       (gradient clipping, 梯度裁剪), unless max_norm is None;
    3. ``new_params = sgd_step(params, clipped_grads, learning_rate)``.

    Inputs:
    - params: dict of parameters (module docstring)
    - x: (N, T), lengths: (N,), y: (N,) as in sentiment_loss
    - learning_rate: float
    - max_norm: float v > 0, the upper bound of the gradient norm; None: no clipping
    - cell, pool: as in sentiment_loss

    Returns a tuple of:
    - loss: float, the loss *before* the update
    - new_params: a new dict of new arrays (params itself stays unchanged)
    - grad_norm: float, the global norm of all gradients before clipping (also
      when max_norm is None: clip_grad_norm with max_norm = float("inf") gives it
      and changes nothing)
    """
    # BEGIN SOLUTION
    loss, grads = sentiment_loss(params, x, lengths, y, cell, pool)
    names = list(grads)
    clipped, grad_norm = clip_grad_norm([grads[k] for k in names], np.inf if max_norm is None else max_norm)
    new_params = sgd_step(params, dict(zip(names, clipped, strict=True)), learning_rate)
    return loss, new_params, grad_norm
    # END SOLUTION
