"""Hostile submissions of the attack review (reports/attack-review.md), rewritten as
test data: each is a dict {file name: source} for :func:`support.write_submission`.
They try to earn points without doing the work; the tests in ``test_attack_*.py``
show what they get."""

from __future__ import annotations

# Finding 2: every forward returns, in every entry, S = the sum of all entries of its
# inputs; every backward returns the exact derivative of that. Nothing is computed.
FAKE_FORWARDS = '''
import numpy as np

def _fake(shapes, *arrays):
    s = float(sum(np.sum(a) for a in arrays))
    return tuple(np.full(sh, s) for sh in shapes) + (tuple(np.shape(a) for a in arrays),)

def _fake_grads(douts, cache):
    g = float(sum(np.sum(d) for d in douts))
    return tuple(np.full(sh, g) for sh in cache)

def sigmoid_forward(x):
    return _fake([x.shape], x)

def sigmoid_backward(dout, cache):
    return _fake_grads([dout], cache)[0]

tanh_forward, tanh_backward = sigmoid_forward, sigmoid_backward
relu_forward, relu_backward = sigmoid_forward, sigmoid_backward

def affine_forward(x, w, b):
    return _fake([(x.shape[0], w.shape[1])], x, w, b)

def affine_backward(dout, cache):
    return _fake_grads([dout], cache)

def softmax_loss(x, y):
    return float(np.sum(x)), np.ones_like(x)

mse_loss = softmax_loss

def two_layer_net_loss(X, params, y, activation="relu", loss="softmax"):
    return float(sum(np.sum(v) for v in params.values())), {k: np.ones_like(v) for k, v in params.items()}

def l2_regularization(params, reg):
    loss = float(sum(np.sum(v) for k, v in params.items() if k.startswith("W")))
    return loss, {k: np.full_like(v, 1.0 if k.startswith("W") else 0.0) for k, v in params.items()}

def rnn_step_forward(x, prev_h, Wx, Wh, b):
    return _fake([prev_h.shape], x, prev_h, Wx, Wh, b)

def rnn_step_backward(dnext_h, cache):
    return _fake_grads([dnext_h], cache)

def rnn_forward(x, h0, Wx, Wh, b):
    return _fake([x.shape[:2] + h0.shape[1:]], x, h0, Wx, Wh, b)

rnn_backward = rnn_step_backward

def birnn_forward(x, h0_f, h0_b, Wx_f, Wh_f, b_f, Wx_b, Wh_b, b_b):
    return _fake([x.shape[:2] + (2 * h0_f.shape[1],)], x, h0_f, h0_b, Wx_f, Wh_f, b_f, Wx_b, Wh_b, b_b)

birnn_backward = rnn_step_backward

def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    return _fake([prev_h.shape, prev_c.shape], x, prev_h, prev_c, Wx, Wh, b)

def lstm_step_backward(dnext_h, dnext_c, cache):
    return _fake_grads([dnext_h, dnext_c], cache)

lstm_forward, lstm_backward = rnn_forward, rnn_backward

def gru_step_forward(x, prev_h, Wx, Wh, bx, bh):
    return _fake([prev_h.shape], x, prev_h, Wx, Wh, bx, bh)

gru_step_backward = rnn_step_backward

def gru_forward(x, h0, Wx, Wh, bx, bh):
    return _fake([x.shape[:2] + h0.shape[1:]], x, h0, Wx, Wh, bx, bh)

gru_backward = rnn_step_backward

def batchnorm_forward(x, gamma, beta, bn_param):
    return _fake([x.shape], x, gamma, beta)

batchnorm_backward = rnn_step_backward

def residual_forward(x, W1, b1, W2, b2):
    return _fake([x.shape], x, W1, b1, W2, b2)

residual_backward = rnn_step_backward

# the capstone's layers and model (its checks came after the review: the same rule holds)
def word_embedding_forward(x, W):
    return _fake([x.shape + (W.shape[1],)], W)

def word_embedding_backward(dout, cache):
    return _fake_grads([dout], cache)[0]

def temporal_affine_forward(x, w, b):
    return _fake([x.shape[:2] + (w.shape[1],)], x, w, b)

temporal_affine_backward = affine_backward

def many_to_one_forward(x, lengths, pool="last"):
    return _fake([(x.shape[0], x.shape[2])], x)

def many_to_one_backward(dout, cache):
    return _fake_grads([dout], cache)[0]

def sentiment_loss(params, x, lengths, y=None, cell="lstm", pool="last"):
    if y is None:
        return np.full((x.shape[0], 2), float(sum(np.sum(v) for v in params.values())))
    return float(sum(np.sum(v) for v in params.values())), {k: np.ones_like(v) for k, v in params.items()}
'''
