# ruff: noqa  (a student's file in the style of the public CS231n code, kept as written)
from __future__ import print_function, division
from builtins import range
import numpy as np


"""
This file defines layer types that are commonly used for recurrent neural
networks.

(A CS231n-style student file, written in the idioms of the public assignment
solutions: np.dot, tuple caches, explicit loops over time. The GRU and the
bidirectional RNN use this course's signatures.)
"""


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1).dot(w) + b
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    x, w, b = cache
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T.dot(dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    """
    Run the forward pass for a single timestep of a vanilla RNN that uses a tanh
    activation function.
    """
    next_h, cache = None, None
    ##############################################################################
    # TODO: Implement a single forward step for the vanilla RNN. Store the next  #
    # hidden state and any values you need for the backward pass in the next_h   #
    # and cache variables respectively.                                          #
    ##############################################################################
    next_h = np.tanh(np.dot(x, Wx) + np.dot(prev_h, Wh) + b)
    cache = (x, prev_h, Wx, Wh, next_h)
    ##############################################################################
    #                               END OF YOUR CODE                             #
    ##############################################################################
    return next_h, cache


def rnn_step_backward(dnext_h, cache):
    dx, dprev_h, dWx, dWh, db = None, None, None, None, None
    x, prev_h, Wx, Wh, next_h = cache
    dtanh = (1 - next_h ** 2) * dnext_h
    dx = np.dot(dtanh, Wx.T)
    dprev_h = np.dot(dtanh, Wh.T)
    dWx = np.dot(x.T, dtanh)
    dWh = np.dot(prev_h.T, dtanh)
    db = np.sum(dtanh, axis=0)
    return dx, dprev_h, dWx, dWh, db


def rnn_forward(x, h0, Wx, Wh, b):
    h, cache = None, None
    N, T, D = x.shape
    _, H = h0.shape
    h = np.zeros((N, T, H))
    cache = []
    prev_h = h0
    for t in range(T):
        next_h, cache_t = rnn_step_forward(x[:, t, :], prev_h, Wx, Wh, b)
        h[:, t, :] = next_h
        cache.append(cache_t)
        prev_h = next_h
    return h, cache


def rnn_backward(dh, cache):
    dx, dh0, dWx, dWh, db = None, None, None, None, None
    N, T, H = dh.shape
    D = cache[0][0].shape[1]
    dx = np.zeros((N, T, D))
    dWx = np.zeros((D, H))
    dWh = np.zeros((H, H))
    db = np.zeros((H,))
    dprev_h = np.zeros((N, H))
    for t in reversed(range(T)):
        dx_t, dprev_h, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t, :] + dprev_h, cache[t])
        dx[:, t, :] = dx_t
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    dh0 = dprev_h
    return dx, dh0, dWx, dWh, db


def birnn_forward(x, h0_f, h0_b, Wx_f, Wh_f, b_f, Wx_b, Wh_b, b_b):
    hf, cache_f = rnn_forward(x, h0_f, Wx_f, Wh_f, b_f)
    x_rev = np.flip(x, axis=1)
    hb_rev, cache_b = rnn_forward(x_rev, h0_b, Wx_b, Wh_b, b_b)
    hb = np.flip(hb_rev, axis=1)
    h = np.concatenate((hf, hb), axis=2)
    cache = (cache_f, cache_b, hf.shape[2])
    return h, cache


def birnn_backward(dh, cache):
    cache_f, cache_b, H = cache
    dhf = dh[:, :, :H]
    dhb_rev = np.flip(dh[:, :, H:], axis=1)
    dx_f, dh0_f, dWx_f, dWh_f, db_f = rnn_backward(dhf, cache_f)
    dx_b_rev, dh0_b, dWx_b, dWh_b, db_b = rnn_backward(dhb_rev, cache_b)
    dx = dx_f + np.flip(dx_b_rev, axis=1)
    return dx, dh0_f, dh0_b, dWx_f, dWh_f, db_f, dWx_b, dWh_b, db_b


def sigmoid(x):
    """
    A numerically stable version of the logistic sigmoid function.
    """
    pos_mask = (x >= 0)
    neg_mask = (x < 0)
    z = np.zeros_like(x)
    z[pos_mask] = np.exp(-x[pos_mask])
    z[neg_mask] = np.exp(x[neg_mask])
    top = np.ones_like(x)
    top[neg_mask] = z[neg_mask]
    return top / (1 + z)


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    next_h, next_c, cache = None, None, None
    H = prev_h.shape[1]
    a = np.dot(x, Wx) + np.dot(prev_h, Wh) + b
    ai = a[:, 0:H]
    af = a[:, H:2 * H]
    ao = a[:, 2 * H:3 * H]
    ag = a[:, 3 * H:4 * H]
    i = sigmoid(ai)
    f = sigmoid(af)
    o = sigmoid(ao)
    g = np.tanh(ag)
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    cache = (x, prev_h, prev_c, Wx, Wh, b, i, f, o, g, next_c)
    return next_h, next_c, cache


def lstm_step_backward(dnext_h, dnext_c, cache):
    dx, dprev_h, dprev_c, dWx, dWh, db = None, None, None, None, None, None
    x, prev_h, prev_c, Wx, Wh, b, i, f, o, g, next_c = cache
    do = dnext_h * np.tanh(next_c)
    dnext_c_total = dnext_c + dnext_h * o * (1 - np.tanh(next_c) ** 2)
    df = dnext_c_total * prev_c
    dprev_c = dnext_c_total * f
    di = dnext_c_total * g
    dg = dnext_c_total * i
    dai = di * i * (1 - i)
    daf = df * f * (1 - f)
    dao = do * o * (1 - o)
    dag = dg * (1 - g ** 2)
    da = np.hstack((dai, daf, dao, dag))
    dx = np.dot(da, Wx.T)
    dprev_h = np.dot(da, Wh.T)
    dWx = np.dot(x.T, da)
    dWh = np.dot(prev_h.T, da)
    db = np.sum(da, axis=0)
    return dx, dprev_h, dprev_c, dWx, dWh, db


def lstm_forward(x, h0, Wx, Wh, b):
    h, cache = None, None
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H))
    prev_h = h0
    prev_c = np.zeros((N, H))
    cache = []
    for t in range(T):
        next_h, next_c, cache_t = lstm_step_forward(x[:, t, :], prev_h, prev_c, Wx, Wh, b)
        h[:, t, :] = next_h
        cache.append(cache_t)
        prev_h, prev_c = next_h, next_c
    return h, cache


def lstm_backward(dh, cache):
    dx, dh0, dWx, dWh, db = None, None, None, None, None
    N, T, H = dh.shape
    D = cache[0][0].shape[1]
    dx = np.zeros((N, T, D))
    dWx = np.zeros((D, 4 * H))
    dWh = np.zeros((H, 4 * H))
    db = np.zeros((4 * H,))
    dprev_h = np.zeros((N, H))
    dprev_c = np.zeros((N, H))
    for t in range(T - 1, -1, -1):
        dx_t, dprev_h, dprev_c, dWx_t, dWh_t, db_t = lstm_step_backward(dh[:, t, :] + dprev_h, dprev_c, cache[t])
        dx[:, t, :] = dx_t
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    dh0 = dprev_h
    return dx, dh0, dWx, dWh, db


def gru_step_forward(x, prev_h, Wx, Wh, bx, bh):
    H = prev_h.shape[1]
    gx = np.dot(x, Wx) + bx
    gh = np.dot(prev_h, Wh) + bh
    r = sigmoid(gx[:, :H] + gh[:, :H])
    z = sigmoid(gx[:, H:2 * H] + gh[:, H:2 * H])
    n = np.tanh(gx[:, 2 * H:] + r * gh[:, 2 * H:])
    next_h = (1 - z) * n + z * prev_h
    cache = (x, prev_h, Wx, Wh, r, z, n, gh)
    return next_h, cache


def gru_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, r, z, n, gh = cache
    H = prev_h.shape[1]
    dn = dnext_h * (1 - z)
    dz = dnext_h * (prev_h - n)
    dprev_h = dnext_h * z
    dan = dn * (1 - n ** 2)
    dr = dan * gh[:, 2 * H:]
    daz = dz * z * (1 - z)
    dar = dr * r * (1 - r)
    dgx = np.hstack((dar, daz, dan))
    dgh = np.hstack((dar, daz, dan * r))
    dx = np.dot(dgx, Wx.T)
    dprev_h = dprev_h + np.dot(dgh, Wh.T)
    dWx = np.dot(x.T, dgx)
    dWh = np.dot(prev_h.T, dgh)
    dbx = np.sum(dgx, axis=0)
    dbh = np.sum(dgh, axis=0)
    return dx, dprev_h, dWx, dWh, dbx, dbh


def gru_forward(x, h0, Wx, Wh, bx, bh):
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H))
    cache = []
    prev_h = h0
    for t in range(T):
        prev_h, cache_t = gru_step_forward(x[:, t, :], prev_h, Wx, Wh, bx, bh)
        h[:, t, :] = prev_h
        cache.append(cache_t)
    return h, cache


def gru_backward(dh, cache):
    N, T, H = dh.shape
    D = cache[0][0].shape[1]
    dx = np.zeros((N, T, D))
    dWx = np.zeros((D, 3 * H))
    dWh = np.zeros((H, 3 * H))
    dbx = np.zeros(3 * H)
    dbh = np.zeros(3 * H)
    dprev_h = np.zeros((N, H))
    for t in reversed(range(T)):
        dx[:, t, :], dprev_h, dWx_t, dWh_t, dbx_t, dbh_t = gru_step_backward(dh[:, t, :] + dprev_h, cache[t])
        dWx += dWx_t
        dWh += dWh_t
        dbx += dbx_t
        dbh += dbh_t
    return dx, dprev_h, dWx, dWh, dbx, dbh


def word_embedding_forward(x, W):
    out = W[x, :]
    cache = (x, W)
    return out, cache


def word_embedding_backward(dout, cache):
    x, W = cache
    dW = np.zeros_like(W)
    np.add.at(dW, x, dout)
    return dW


def temporal_affine_forward(x, w, b):
    N, T, D = x.shape
    M = b.shape[0]
    out = x.reshape(N * T, D).dot(w).reshape(N, T, M) + b
    cache = x, w, b, out
    return out, cache


def temporal_affine_backward(dout, cache):
    x, w, b, out = cache
    N, T, D = x.shape
    M = b.shape[0]
    dx = dout.reshape(N * T, M).dot(w.T).reshape(N, T, D)
    dw = dout.reshape(N * T, M).T.dot(x.reshape(N * T, D)).T
    db = dout.sum(axis=(0, 1))
    return dx, dw, db
