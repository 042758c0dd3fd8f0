"""Recurrent layers: vanilla RNN (one step and BPTT over a sequence), bidirectional
RNN, LSTM and GRU.

Conventions (those of Stanford CS231n, batch first):

- N samples, T time steps (时刻), D input features, H hidden units.
- Every ``*_forward`` returns its outputs followed by a ``cache``; the matching
  ``*_backward(d..., cache)`` returns the gradients of the forward's inputs in
  argument order. The cache is yours: store whatever your backward needs.
- All arrays are float64 numpy arrays. Do not modify the arrays you are given
  (inputs, upstream gradients, the cache): return new ones.
- Weights are shared by all time steps (参数共享), so their gradients are sums over
  the time steps.
- ``sigmoid(a) = 1 / (1 + exp(-a))``; compute it so that it cannot overflow.

Stacked weights:

- LSTM: ``Wx (D, 4H)``, ``Wh (H, 4H)``, ``b (4H,)``; the pre-activation
  ``a = x @ Wx + prev_h @ Wh + b`` is split into four H-wide blocks in the order
  input gate i, forget gate f, output gate o, candidate g.
- GRU (PyTorch's convention): ``Wx (D, 3H)``, ``Wh (H, 3H)``, ``bx (3H,)``,
  ``bh (3H,)``, blocks in the order reset gate r, update gate z, new state n.
"""

import numpy as np


# ----------------------------------------------------------------- vanilla RNN
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    """One time step of a vanilla RNN with tanh: ``next_h = tanh(x @ Wx + prev_h @ Wh + b)``.

    Inputs:
    - x: (N, D) input at this time step
    - prev_h: (N, H) hidden state of the previous time step
    - Wx: (D, H) input-to-hidden weights
    - Wh: (H, H) hidden-to-hidden weights
    - b: (H,) biases

    Returns a tuple of:
    - next_h: (N, H) next hidden state
    - cache: whatever rnn_step_backward needs
    """
    # BEGIN SOLUTION
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    cache = (x, prev_h, Wx, Wh, next_h)
    return next_h, cache
    # END SOLUTION


def rnn_step_backward(dnext_h, cache):
    """Backward pass of one RNN time step.

    Inputs:
    - dnext_h: (N, H) upstream gradient of next_h
    - cache: from rnn_step_forward

    Returns a tuple of:
    - dx: (N, D)
    - dprev_h: (N, H)
    - dWx: (D, H)
    - dWh: (H, H)
    - db: (H,)
    """
    # BEGIN SOLUTION
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1.0 - next_h**2)
    dx = da @ Wx.T
    dprev_h = da @ Wh.T
    dWx = x.T @ da
    dWh = prev_h.T @ da
    db = da.sum(axis=0)
    return dx, dprev_h, dWx, dWh, db
    # END SOLUTION


def rnn_forward(x, h0, Wx, Wh, b):
    """A vanilla RNN over a whole sequence, starting from the hidden state h0.

    Inputs:
    - x: (N, T, D) input sequence
    - h0: (N, H) initial hidden state
    - Wx: (D, H), Wh: (H, H), b: (H,) as in rnn_step_forward, shared by all steps

    Returns a tuple of:
    - h: (N, T, H) hidden states of all time steps (h[:, t] after reading x[:, t])
    - cache: whatever rnn_backward needs
    """
    # BEGIN SOLUTION
    N, T, _ = x.shape
    h = np.empty((N, T, h0.shape[1]))
    caches = []
    prev_h = h0
    for t in range(T):
        prev_h, step_cache = rnn_step_forward(x[:, t], prev_h, Wx, Wh, b)
        h[:, t] = prev_h
        caches.append(step_cache)
    return h, caches
    # END SOLUTION


def rnn_backward(dh, cache):
    """Back-propagation through time (BPTT) for rnn_forward.

    Inputs:
    - dh: (N, T, H) upstream gradients of all hidden states
    - cache: from rnn_forward

    Returns a tuple of:
    - dx: (N, T, D)
    - dh0: (N, H)
    - dWx: (D, H)
    - dWh: (H, H)
    - db: (H,)
    """
    # BEGIN SOLUTION
    caches = cache
    N, T, H = dh.shape
    D = caches[0][0].shape[1]
    dx = np.empty((N, T, D))
    dWx, dWh, db = np.zeros((D, H)), np.zeros((H, H)), np.zeros(H)
    dprev_h = np.zeros((N, H))
    for t in reversed(range(T)):
        dx[:, t], dprev_h, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t] + dprev_h, caches[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dprev_h, dWx, dWh, db
    # END SOLUTION


# ------------------------------------------------------------ bidirectional RNN
def birnn_forward(x, h0_f, h0_b, Wx_f, Wh_f, b_f, Wx_b, Wh_b, b_b):
    """A bidirectional RNN (双向循环神经网络): two vanilla RNNs with independent
    parameters, one reading the sequence from left to right (the forward layer,
    向前传播层), one from right to left (the backward layer, 反向传播层).

    The forward layer starts from h0_f before x[:, 0]; the backward layer starts
    from h0_b before x[:, T-1]. Both halves of the output are aligned to the
    original time index: h[:, t] holds the state of each direction after it has
    read x[:, t].

    Inputs:
    - x: (N, T, D) input sequence
    - h0_f, h0_b: (N, H) initial hidden states of the forward and backward layers
    - Wx_f: (D, H), Wh_f: (H, H), b_f: (H,) parameters of the forward layer
    - Wx_b: (D, H), Wh_b: (H, H), b_b: (H,) parameters of the backward layer

    Returns a tuple of:
    - h: (N, T, 2H): h[:, :, :H] from the forward layer, h[:, :, H:] from the backward layer
    - cache: whatever birnn_backward needs
    """
    # BEGIN SOLUTION
    h_f, cache_f = rnn_forward(x, h0_f, Wx_f, Wh_f, b_f)
    h_b_reversed, cache_b = rnn_forward(x[:, ::-1], h0_b, Wx_b, Wh_b, b_b)
    h = np.concatenate([h_f, h_b_reversed[:, ::-1]], axis=2)
    return h, (cache_f, cache_b)
    # END SOLUTION


def birnn_backward(dh, cache):
    """Backward pass of birnn_forward.

    Inputs:
    - dh: (N, T, 2H) upstream gradient of h
    - cache: from birnn_forward

    Returns a tuple of (in the order of birnn_forward's arguments):
    - dx: (N, T, D)
    - dh0_f, dh0_b: (N, H)
    - dWx_f: (D, H), dWh_f: (H, H), db_f: (H,)
    - dWx_b: (D, H), dWh_b: (H, H), db_b: (H,)
    """
    # BEGIN SOLUTION
    cache_f, cache_b = cache
    H = dh.shape[2] // 2
    dx_f, dh0_f, dWx_f, dWh_f, db_f = rnn_backward(dh[:, :, :H], cache_f)
    dx_b_reversed, dh0_b, dWx_b, dWh_b, db_b = rnn_backward(dh[:, ::-1, H:], cache_b)
    dx = dx_f + dx_b_reversed[:, ::-1]
    return dx, dh0_f, dh0_b, dWx_f, dWh_f, db_f, dWx_b, dWh_b, db_b
    # END SOLUTION


# ------------------------------------------------------------------------ LSTM
def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    """One time step of an LSTM (长短期记忆网络).

    ``a = x @ Wx + prev_h @ Wh + b`` is split into four H-wide blocks, in this order:
    input gate ``i = sigmoid(a_i)``, forget gate ``f = sigmoid(a_f)``, output gate
    ``o = sigmoid(a_o)`` and candidate ``g = tanh(a_g)``. Then
    ``next_c = f * prev_c + i * g`` (cell state) and ``next_h = o * tanh(next_c)``.

    Inputs:
    - x: (N, D) input at this time step
    - prev_h: (N, H) previous hidden state
    - prev_c: (N, H) previous cell state
    - Wx: (D, 4H), Wh: (H, 4H), b: (4H,)

    Returns a tuple of:
    - next_h: (N, H)
    - next_c: (N, H)
    - cache: whatever lstm_step_backward needs
    """
    # BEGIN SOLUTION
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b
    s = 0.5 * (1.0 + np.tanh(0.5 * a[:, :3 * H]))  # sigmoid of the three gates, without overflow
    i, f, o = s[:, :H], s[:, H:2 * H], s[:, 2 * H:]
    g = np.tanh(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    tanh_c = np.tanh(next_c)
    next_h = o * tanh_c
    cache = (x, prev_h, prev_c, Wx, Wh, i, f, o, g, tanh_c)
    return next_h, next_c, cache
    # END SOLUTION


def lstm_step_backward(dnext_h, dnext_c, cache):
    """Backward pass of one LSTM time step.

    Inputs:
    - dnext_h: (N, H) upstream gradient of next_h
    - dnext_c: (N, H) upstream gradient of next_c
    - cache: from lstm_step_forward

    Returns a tuple of:
    - dx: (N, D)
    - dprev_h: (N, H)
    - dprev_c: (N, H)
    - dWx: (D, 4H)
    - dWh: (H, 4H)
    - db: (4H,)
    """
    # BEGIN SOLUTION
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, tanh_c = cache
    do = dnext_h * tanh_c
    dc = dnext_c + dnext_h * o * (1.0 - tanh_c**2)
    di, df, dg = dc * g, dc * prev_c, dc * i
    dprev_c = dc * f
    da = np.concatenate([di * i * (1.0 - i), df * f * (1.0 - f), do * o * (1.0 - o), dg * (1.0 - g**2)],
                        axis=1)
    dx = da @ Wx.T
    dprev_h = da @ Wh.T
    dWx = x.T @ da
    dWh = prev_h.T @ da
    db = da.sum(axis=0)
    return dx, dprev_h, dprev_c, dWx, dWh, db
    # END SOLUTION


def lstm_forward(x, h0, Wx, Wh, b):
    """An LSTM over a whole sequence. The hidden state starts at h0, the cell state at 0.

    Inputs:
    - x: (N, T, D) input sequence
    - h0: (N, H) initial hidden state
    - Wx: (D, 4H), Wh: (H, 4H), b: (4H,) as in lstm_step_forward

    Returns a tuple of:
    - h: (N, T, H) hidden states of all time steps
    - cache: whatever lstm_backward needs
    """
    # BEGIN SOLUTION
    N, T, _ = x.shape
    h = np.empty((N, T, h0.shape[1]))
    prev_h, prev_c = h0, np.zeros_like(h0)
    caches = []
    for t in range(T):
        prev_h, prev_c, step_cache = lstm_step_forward(x[:, t], prev_h, prev_c, Wx, Wh, b)
        h[:, t] = prev_h
        caches.append(step_cache)
    return h, caches
    # END SOLUTION


def lstm_backward(dh, cache):
    """Backward pass of lstm_forward (BPTT).

    Inputs:
    - dh: (N, T, H) upstream gradients of all hidden states
    - cache: from lstm_forward

    Returns a tuple of:
    - dx: (N, T, D)
    - dh0: (N, H)
    - dWx: (D, 4H)
    - dWh: (H, 4H)
    - db: (4H,)
    """
    # BEGIN SOLUTION
    caches = cache
    N, T, H = dh.shape
    D = caches[0][0].shape[1]
    dx = np.empty((N, T, D))
    dWx, dWh, db = np.zeros((D, 4 * H)), np.zeros((H, 4 * H)), np.zeros(4 * H)
    dprev_h, dprev_c = np.zeros((N, H)), np.zeros((N, H))
    for t in reversed(range(T)):
        dx[:, t], dprev_h, dprev_c, dWx_t, dWh_t, db_t = lstm_step_backward(dh[:, t] + dprev_h, dprev_c, caches[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dprev_h, dWx, dWh, db
    # END SOLUTION


# ------------------------------------------------------------------------- GRU
def gru_step_forward(x, prev_h, Wx, Wh, bx, bh):
    """One time step of a GRU (门控循环单元), in PyTorch's convention.

    With ``ax = x @ Wx + bx`` and ``ah = prev_h @ Wh + bh``, each split into three
    H-wide blocks in the order r, z, n:
    reset gate ``r = sigmoid(ax_r + ah_r)``, update gate ``z = sigmoid(ax_z + ah_z)``,
    new state ``n = tanh(ax_n + r * ah_n)`` (the reset gate multiplies
    ``prev_h @ Wh_n + bh_n``), and ``next_h = (1 - z) * n + z * prev_h``.

    Inputs:
    - x: (N, D) input at this time step
    - prev_h: (N, H) previous hidden state
    - Wx: (D, 3H), Wh: (H, 3H), bx: (3H,), bh: (3H,)

    Returns a tuple of:
    - next_h: (N, H)
    - cache: whatever gru_step_backward needs
    """
    # BEGIN SOLUTION
    H = prev_h.shape[1]
    ax = x @ Wx + bx
    ah = prev_h @ Wh + bh
    s = 0.5 * (1.0 + np.tanh(0.5 * (ax[:, :2 * H] + ah[:, :2 * H])))  # sigmoid, without overflow
    r, z = s[:, :H], s[:, H:]
    n = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])
    next_h = (1.0 - z) * n + z * prev_h
    cache = (x, prev_h, Wx, Wh, r, z, n, ah[:, 2 * H:])
    return next_h, cache
    # END SOLUTION


def gru_step_backward(dnext_h, cache):
    """Backward pass of one GRU time step.

    Inputs:
    - dnext_h: (N, H) upstream gradient of next_h
    - cache: from gru_step_forward

    Returns a tuple of:
    - dx: (N, D)
    - dprev_h: (N, H)
    - dWx: (D, 3H)
    - dWh: (H, 3H)
    - dbx: (3H,)
    - dbh: (3H,)
    """
    # BEGIN SOLUTION
    x, prev_h, Wx, Wh, r, z, n, ah_n = cache
    dan = dnext_h * (1.0 - z) * (1.0 - n**2)
    daz = dnext_h * (prev_h - n) * z * (1.0 - z)
    dar = dan * ah_n * r * (1.0 - r)
    dax = np.concatenate([dar, daz, dan], axis=1)
    dah = np.concatenate([dar, daz, dan * r], axis=1)
    dx = dax @ Wx.T
    dprev_h = dah @ Wh.T + dnext_h * z
    dWx = x.T @ dax
    dWh = prev_h.T @ dah
    return dx, dprev_h, dWx, dWh, dax.sum(axis=0), dah.sum(axis=0)
    # END SOLUTION


def gru_forward(x, h0, Wx, Wh, bx, bh):
    """A GRU over a whole sequence, starting from the hidden state h0.

    Inputs:
    - x: (N, T, D) input sequence
    - h0: (N, H) initial hidden state
    - Wx: (D, 3H), Wh: (H, 3H), bx: (3H,), bh: (3H,) as in gru_step_forward

    Returns a tuple of:
    - h: (N, T, H) hidden states of all time steps
    - cache: whatever gru_backward needs
    """
    # BEGIN SOLUTION
    N, T, _ = x.shape
    h = np.empty((N, T, h0.shape[1]))
    prev_h = h0
    caches = []
    for t in range(T):
        prev_h, step_cache = gru_step_forward(x[:, t], prev_h, Wx, Wh, bx, bh)
        h[:, t] = prev_h
        caches.append(step_cache)
    return h, caches
    # END SOLUTION


def gru_backward(dh, cache):
    """Backward pass of gru_forward (BPTT).

    Inputs:
    - dh: (N, T, H) upstream gradients of all hidden states
    - cache: from gru_forward

    Returns a tuple of:
    - dx: (N, T, D)
    - dh0: (N, H)
    - dWx: (D, 3H)
    - dWh: (H, 3H)
    - dbx: (3H,)
    - dbh: (3H,)
    """
    # BEGIN SOLUTION
    caches = cache
    N, T, H = dh.shape
    D = caches[0][0].shape[1]
    dx = np.empty((N, T, D))
    dWx, dWh = np.zeros((D, 3 * H)), np.zeros((H, 3 * H))
    dbx, dbh = np.zeros(3 * H), np.zeros(3 * H)
    dprev_h = np.zeros((N, H))
    for t in reversed(range(T)):
        dx[:, t], dprev_h, dWx_t, dWh_t, dbx_t, dbh_t = gru_step_backward(dh[:, t] + dprev_h, caches[t])
        dWx += dWx_t
        dWh += dWh_t
        dbx += dbx_t
        dbh += dbh_t
    return dx, dprev_h, dWx, dWh, dbx, dbh
    # END SOLUTION
