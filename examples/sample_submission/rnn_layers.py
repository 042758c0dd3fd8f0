# Sample student submission: the recurrent layers, with two realistic mistakes
# (known mistakes 4 and 11) so the sample report shows named misconceptions.
import numpy as np


def sigmoid(x):
    # stable sigmoid: exp only ever sees non-positive numbers
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


# ---------------------------------------------------------------- vanilla RNN
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x.dot(Wx) + prev_h.dot(Wh) + b)
    cache = (x, prev_h, Wx, Wh, next_h)
    return next_h, cache


def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1 - next_h ** 2)
    dx = da.dot(Wx.T)
    dprev_h = da.dot(Wh.T)
    dWx = x.T.dot(da)
    dWh = prev_h.T.dot(da)
    db = da.sum(axis=0)
    return dx, dprev_h, dWx, dWh, db


def rnn_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H))
    cache = []
    prev_h = h0
    for t in range(T):
        prev_h, c = rnn_step_forward(x[:, t, :], prev_h, Wx, Wh, b)
        h[:, t, :] = prev_h
        cache.append(c)
    return h, cache


def rnn_backward(dh, cache):
    N, T, H = dh.shape
    D = cache[0][0].shape[1]
    dx = np.zeros((N, T, D))
    dWx, dWh, db = np.zeros((D, H)), np.zeros((H, H)), np.zeros(H)
    dprev_h = np.zeros((N, H))
    for t in reversed(range(T)):
        dx[:, t, :], dprev_h, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t, :] + dprev_h, cache[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dprev_h, dWx, dWh, db


# ---------------------------------------------------------- bidirectional RNN
def birnn_forward(x, h0_f, h0_b, Wx_f, Wh_f, b_f, Wx_b, Wh_b, b_b):
    h_f, cache_f = rnn_forward(x, h0_f, Wx_f, Wh_f, b_f)
    h_b, cache_b = rnn_forward(x[:, ::-1, :], h0_b, Wx_b, Wh_b, b_b)
    h = np.concatenate([h_f, h_b[:, ::-1, :]], axis=2)
    return h, (cache_f, cache_b)


def birnn_backward(dh, cache):
    cache_f, cache_b = cache
    H = dh.shape[2] // 2
    dx_f, dh0_f, dWx_f, dWh_f, db_f = rnn_backward(dh[:, :, :H], cache_f)
    dx_b, dh0_b, dWx_b, dWh_b, db_b = rnn_backward(dh[:, ::-1, H:], cache_b)
    dx = dx_f + dx_b[:, ::-1, :]
    return dx, dh0_f, dh0_b, dWx_f, dWh_f, db_f, dWx_b, dWh_b, db_b


# ----------------------------------------------------------------------- LSTM
def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    a = x.dot(Wx) + prev_h.dot(Wh) + b
    i = sigmoid(a[:, :H])
    f = sigmoid(a[:, H:2 * H])
    o = sigmoid(a[:, 2 * H:3 * H])
    g = np.tanh(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    cache = (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c)
    return next_h, next_c, cache


def lstm_step_backward(dnext_h, dnext_c, cache):
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c = cache
    tanh_c = np.tanh(next_c)
    dc = dnext_c + dnext_h * o * (1 - tanh_c ** 2)
    di = dc * g
    df = dc * prev_c
    do = dnext_h * tanh_c
    dg = dc * i
    dprev_c = dc  # the cell state goes straight through to the previous step
    da = np.hstack([di * i * (1 - i), df * f * (1 - f), do * o * (1 - o), dg * (1 - g ** 2)])
    dx = da.dot(Wx.T)
    dprev_h = da.dot(Wh.T)
    dWx = x.T.dot(da)
    dWh = prev_h.T.dot(da)
    db = da.sum(axis=0)
    return dx, dprev_h, dprev_c, dWx, dWh, db


def lstm_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H))
    prev_h, prev_c = h0, np.zeros((N, H))
    cache = []
    for t in range(T):
        prev_h, prev_c, c = lstm_step_forward(x[:, t, :], prev_h, prev_c, Wx, Wh, b)
        h[:, t, :] = prev_h
        cache.append(c)
    return h, cache


def lstm_backward(dh, cache):
    N, T, H = dh.shape
    D = cache[0][0].shape[1]
    dx = np.zeros((N, T, D))
    dWx, dWh, db = np.zeros((D, 4 * H)), np.zeros((H, 4 * H)), np.zeros(4 * H)
    dprev_h, dprev_c = np.zeros((N, H)), np.zeros((N, H))
    for t in reversed(range(T)):
        dx[:, t, :], dprev_h, dprev_c, dWx_t, dWh_t, db_t = lstm_step_backward(dh[:, t, :] + dprev_h, dprev_c,
                                                                               cache[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dprev_h, dWx, dWh, db


# ------------------------------------------------------------------------ GRU
# Written from the GRU paper's equations (h' = z * n + (1 - z) * h), not PyTorch's.
def gru_step_forward(x, prev_h, Wx, Wh, bx, bh):
    H = prev_h.shape[1]
    ax = x.dot(Wx) + bx
    ah = prev_h.dot(Wh) + bh
    r = sigmoid(ax[:, :H] + ah[:, :H])
    z = sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])
    n = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])
    next_h = z * n + (1 - z) * prev_h
    cache = (x, prev_h, Wx, Wh, r, z, n, ah[:, 2 * H:])
    return next_h, cache


def gru_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, r, z, n, hn = cache
    dn = dnext_h * z
    dz = dnext_h * (n - prev_h)
    dan = dn * (1 - n ** 2)
    daz = dz * z * (1 - z)
    dar = dan * hn * r * (1 - r)
    dax = np.hstack([dar, daz, dan])
    dah = np.hstack([dar, daz, dan * r])
    dx = dax.dot(Wx.T)
    dprev_h = dah.dot(Wh.T) + dnext_h * (1 - z)
    dWx = x.T.dot(dax)
    dWh = prev_h.T.dot(dah)
    return dx, dprev_h, dWx, dWh, dax.sum(axis=0), dah.sum(axis=0)


def gru_forward(x, h0, Wx, Wh, bx, bh):
    N, T, D = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    prev_h = h0
    cache = []
    for t in range(T):
        prev_h, c = gru_step_forward(x[:, t, :], prev_h, Wx, Wh, bx, bh)
        h[:, t, :] = prev_h
        cache.append(c)
    return h, cache


def gru_backward(dh, cache):
    N, T, H = dh.shape
    D = cache[0][0].shape[1]
    dx = np.zeros((N, T, D))
    dWx, dWh = np.zeros((D, 3 * H)), np.zeros((H, 3 * H))
    dbx, dbh = np.zeros(3 * H), np.zeros(3 * H)
    dprev_h = np.zeros((N, H))
    for t in reversed(range(T)):
        dx[:, t, :], dprev_h, dWx_t, dWh_t, dbx_t, dbh_t = gru_step_backward(dh[:, t, :] + dprev_h, cache[t])
        dWx += dWx_t
        dWh += dWh_t
        dbx += dbx_t
        dbh += dbh_t
    return dx, dprev_h, dWx, dWh, dbx, dbh
