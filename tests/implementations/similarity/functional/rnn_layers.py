"""Vanilla RNN and LSTM, sequences built as Python lists and stacked at the end.

Another independent correct style for the similarity tests: gate slices as
``slice`` objects, step caches as tuples, the LSTM's gradient blocks joined with
np.hstack.
"""
import numpy as np


def _sig(z):
    return 0.5 * (np.tanh(0.5 * z) + 1.0)


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    z = np.matmul(x, Wx) + np.matmul(prev_h, Wh) + b
    h = np.tanh(z)
    return h, (x, prev_h, Wx, Wh, h)


def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, h = cache
    dz = dnext_h * (1.0 - h * h)
    return (np.matmul(dz, Wx.T), np.matmul(dz, Wh.T), np.matmul(x.T, dz), np.matmul(prev_h.T, dz),
            np.sum(dz, axis=0))


def rnn_forward(x, h0, Wx, Wh, b):
    states, step_caches = [], []
    h = h0
    for t in range(np.shape(x)[1]):
        h, c = rnn_step_forward(x[:, t, :], h, Wx, Wh, b)
        states.append(h)
        step_caches.append(c)
    return np.stack(states, axis=1), step_caches


def rnn_backward(dh, cache):
    steps = len(cache)
    grads_x = [None] * steps
    gWx = gWh = gb = 0.0
    carry = np.zeros(np.shape(dh[:, 0, :]))
    for t in range(steps - 1, -1, -1):
        gx, carry, a, bb, c = rnn_step_backward(dh[:, t, :] + carry, cache[t])
        grads_x[t] = gx
        gWx, gWh, gb = gWx + a, gWh + bb, gb + c
    return np.stack(grads_x, axis=1), carry, gWx, gWh, gb


def _blocks(H):
    return slice(0, H), slice(H, 2 * H), slice(2 * H, 3 * H), slice(3 * H, 4 * H)


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    H = np.shape(prev_h)[1]
    si, sf, so, sg = _blocks(H)
    z = np.matmul(x, Wx) + np.matmul(prev_h, Wh) + b
    gi, gf, go = _sig(z[:, si]), _sig(z[:, sf]), _sig(z[:, so])
    gg = np.tanh(z[:, sg])
    c = gf * prev_c + gi * gg
    tc = np.tanh(c)
    return go * tc, c, (x, prev_h, prev_c, Wx, Wh, gi, gf, go, gg, tc)


def lstm_step_backward(dnext_h, dnext_c, cache):
    x, prev_h, prev_c, Wx, Wh, gi, gf, go, gg, tc = cache
    dc = dnext_c + dnext_h * go * (1.0 - tc ** 2)
    dz = np.hstack([
        dc * gg * gi * (1.0 - gi),
        dc * prev_c * gf * (1.0 - gf),
        dnext_h * tc * go * (1.0 - go),
        dc * gi * (1.0 - gg ** 2),
    ])
    return (np.matmul(dz, Wx.T), np.matmul(dz, Wh.T), dc * gf, np.matmul(x.T, dz), np.matmul(prev_h.T, dz),
            np.sum(dz, axis=0))


def lstm_forward(x, h0, Wx, Wh, b):
    h, c = h0, np.zeros_like(h0)
    outs, memo = [], []
    for t in range(np.shape(x)[1]):
        h, c, step = lstm_step_forward(x[:, t, :], h, c, Wx, Wh, b)
        outs.append(h)
        memo.append(step)
    return np.stack(outs, axis=1), memo


def lstm_backward(dh, cache):
    n, steps, hidden = np.shape(dh)
    dx_steps = []
    acc = None
    back_h, back_c = np.zeros((n, hidden)), np.zeros((n, hidden))
    for t in reversed(range(steps)):
        gx, back_h, back_c, a, bb, c = lstm_step_backward(dh[:, t, :] + back_h, back_c, cache[t])
        dx_steps.insert(0, gx)
        acc = [a, bb, c] if acc is None else [acc[0] + a, acc[1] + bb, acc[2] + c]
    return (np.stack(dx_steps, axis=1), back_h, *acc)
