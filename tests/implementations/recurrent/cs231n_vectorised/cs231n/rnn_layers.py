"""Recurrent layers, written by a student who keeps whole sequences in arrays.

Another correct style, deliberately unlike the reference: dict caches, np.einsum,
np.split, sequences that never call the single-step functions, a backward layer
that walks the time steps from right to left instead of flipping arrays, and a
sigmoid computed through logaddexp.
"""
import numpy as np


def _sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -z))


# --- vanilla RNN -------------------------------------------------------------
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    pre = np.einsum("nd,dh->nh", x, Wx) + np.einsum("nk,kh->nh", prev_h, Wh) + b
    next_h = np.tanh(pre)
    return next_h, {"x": x, "prev_h": prev_h, "Wx": Wx, "Wh": Wh, "next_h": next_h}


def rnn_step_backward(dnext_h, cache):
    dpre = dnext_h * (1.0 - np.square(cache["next_h"]))
    return (np.einsum("nh,dh->nd", dpre, cache["Wx"]),
            np.einsum("nh,kh->nk", dpre, cache["Wh"]),
            np.einsum("nd,nh->dh", cache["x"], dpre),
            np.einsum("nk,nh->kh", cache["prev_h"], dpre),
            dpre.sum(0))


def _rnn_scan(x, h0, Wx, Wh, b, order):
    N, T, _ = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    prev = {}
    state = h0
    for t in order:
        prev[t] = state
        state = np.tanh(x[:, t] @ Wx + state @ Wh + b)
        h[:, t] = state
    return h, prev


def _rnn_unscan(dh, x, h, prev, Wx, Wh, order):
    dx = np.zeros(x.shape)
    dWx, dWh, db = np.zeros(Wx.shape), np.zeros(Wh.shape), np.zeros(Wh.shape[1])
    carry = np.zeros((dh.shape[0], dh.shape[2]))
    for t in reversed(order):
        dpre = (dh[:, t] + carry) * (1.0 - h[:, t] ** 2)
        dx[:, t] = dpre @ Wx.T
        dWx = dWx + x[:, t].T @ dpre
        dWh = dWh + prev[t].T @ dpre
        db = db + dpre.sum(0)
        carry = dpre @ Wh.T
    return dx, carry, dWx, dWh, db


def rnn_forward(x, h0, Wx, Wh, b):
    order = list(range(x.shape[1]))
    h, prev = _rnn_scan(x, h0, Wx, Wh, b, order)
    return h, {"x": x, "h": h, "prev": prev, "Wx": Wx, "Wh": Wh, "order": order}


def rnn_backward(dh, cache):
    c = cache
    return _rnn_unscan(dh, c["x"], c["h"], c["prev"], c["Wx"], c["Wh"], c["order"])


# --- bidirectional RNN ---------------------------------------------------------
def birnn_forward(x, h0_f, h0_b, Wx_f, Wh_f, b_f, Wx_b, Wh_b, b_b):
    T = x.shape[1]
    left, right = list(range(T)), list(range(T - 1, -1, -1))
    hf, prev_f = _rnn_scan(x, h0_f, Wx_f, Wh_f, b_f, left)
    hb, prev_b = _rnn_scan(x, h0_b, Wx_b, Wh_b, b_b, right)
    cache = {"x": x, "f": (hf, prev_f, Wx_f, Wh_f, left), "b": (hb, prev_b, Wx_b, Wh_b, right)}
    return np.concatenate([hf, hb], axis=-1), cache


def birnn_backward(dh, cache):
    H = dh.shape[-1] // 2
    hf, prev_f, Wx_f, Wh_f, left = cache["f"]
    hb, prev_b, Wx_b, Wh_b, right = cache["b"]
    dxf, dh0_f, dWx_f, dWh_f, db_f = _rnn_unscan(dh[..., :H], cache["x"], hf, prev_f, Wx_f, Wh_f, left)
    dxb, dh0_b, dWx_b, dWh_b, db_b = _rnn_unscan(dh[..., H:], cache["x"], hb, prev_b, Wx_b, Wh_b, right)
    return dxf + dxb, dh0_f, dh0_b, dWx_f, dWh_f, db_f, dWx_b, dWh_b, db_b


# --- LSTM ----------------------------------------------------------------------
def _lstm_gates(a):
    ai, af, ao, ag = np.split(a, 4, axis=-1)
    return _sigmoid(ai), _sigmoid(af), _sigmoid(ao), np.tanh(ag)


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    i, f, o, g = _lstm_gates(x @ Wx + prev_h @ Wh + b)
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    cache = dict(x=x, prev_h=prev_h, prev_c=prev_c, Wx=Wx, Wh=Wh, i=i, f=f, o=o, g=g, next_c=next_c)
    return next_h, next_c, cache


def _lstm_local(dh, dc, c):
    """Gradients of one step from a dict of that step's values."""
    tc = np.tanh(c["next_c"])
    dc = dc + dh * c["o"] * (1 - tc * tc)
    grads = [dc * c["g"] * c["i"] * (1 - c["i"]),
             dc * c["prev_c"] * c["f"] * (1 - c["f"]),
             dh * tc * c["o"] * (1 - c["o"]),
             dc * c["i"] * (1 - c["g"] * c["g"])]
    da = np.concatenate(grads, axis=-1)
    return da, dc * c["f"]


def lstm_step_backward(dnext_h, dnext_c, cache):
    da, dprev_c = _lstm_local(dnext_h, dnext_c, cache)
    return (da @ cache["Wx"].T, da @ cache["Wh"].T, dprev_c, cache["x"].T @ da, cache["prev_h"].T @ da,
            da.sum(axis=0))


def lstm_forward(x, h0, Wx, Wh, b):
    N, T, _ = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H))
    steps = []
    hh, cc = h0, np.zeros((N, H))
    for t in range(T):
        i, f, o, g = _lstm_gates(x[:, t] @ Wx + hh @ Wh + b)
        step = dict(x=x[:, t], prev_h=hh, prev_c=cc, i=i, f=f, o=o, g=g)
        cc = f * cc + i * g
        hh = o * np.tanh(cc)
        step["next_c"] = cc
        steps.append(step)
        h[:, t] = hh
    return h, {"steps": steps, "Wx": Wx, "Wh": Wh}


def lstm_backward(dh, cache):
    Wx, Wh, steps = cache["Wx"], cache["Wh"], cache["steps"]
    N, T, H = dh.shape
    das = [None] * T
    carry_h, carry_c = np.zeros((N, H)), np.zeros((N, H))
    for t in range(T - 1, -1, -1):
        das[t], carry_c = _lstm_local(dh[:, t] + carry_h, carry_c, steps[t])
        carry_h = das[t] @ Wh.T
    da = np.stack(das, axis=1)  # (N, T, 4H)
    xs = np.stack([s["x"] for s in steps], axis=1)
    hs = np.stack([s["prev_h"] for s in steps], axis=1)
    dx = np.einsum("ntg,dg->ntd", da, Wx)
    dWx = np.einsum("ntd,ntg->dg", xs, da)
    dWh = np.einsum("nth,ntg->hg", hs, da)
    return dx, carry_h, dWx, dWh, da.sum(axis=(0, 1))


# --- GRU -----------------------------------------------------------------------
def gru_step_forward(x, prev_h, Wx, Wh, bx, bh):
    Wxr, Wxz, Wxn = np.split(Wx, 3, axis=1)
    Whr, Whz, Whn = np.split(Wh, 3, axis=1)
    bxr, bxz, bxn = np.split(bx, 3)
    bhr, bhz, bhn = np.split(bh, 3)
    r = _sigmoid(x @ Wxr + bxr + prev_h @ Whr + bhr)
    z = _sigmoid(x @ Wxz + bxz + prev_h @ Whz + bhz)
    hn = prev_h @ Whn + bhn
    n = np.tanh(x @ Wxn + bxn + r * hn)
    next_h = n + z * (prev_h - n)
    return next_h, {"x": x, "h": prev_h, "Wx": Wx, "Wh": Wh, "r": r, "z": z, "n": n, "hn": hn}


def gru_step_backward(dnext_h, cache):
    c = cache
    dz = dnext_h * (c["h"] - c["n"]) * c["z"] * (1 - c["z"])
    dn = dnext_h * (1 - c["z"]) * (1 - c["n"] ** 2)
    dr = dn * c["hn"] * c["r"] * (1 - c["r"])
    dgx = np.concatenate([dr, dz, dn], axis=1)
    dgh = np.concatenate([dr, dz, dn * c["r"]], axis=1)
    dprev_h = dnext_h * c["z"] + dgh @ c["Wh"].T
    return dgx @ c["Wx"].T, dprev_h, c["x"].T @ dgx, c["h"].T @ dgh, dgx.sum(0), dgh.sum(0)


def gru_forward(x, h0, Wx, Wh, bx, bh):
    T = x.shape[1]
    outs, caches = [], []
    h = h0
    for t in range(T):
        h, ch = gru_step_forward(x[:, t], h, Wx, Wh, bx, bh)
        outs.append(h)
        caches.append(ch)
    return np.stack(outs, axis=1), caches


def gru_backward(dh, cache):
    T = dh.shape[1]
    carry = np.zeros_like(dh[:, 0])
    parts = []
    for t in range(T - 1, -1, -1):
        parts.append(gru_step_backward(dh[:, t] + carry, cache[t]))
        carry = parts[-1][1]
    parts.reverse()
    dx = np.stack([p[0] for p in parts], axis=1)
    sums = [sum(p[k] for p in parts) for k in (2, 3, 4, 5)]
    return (dx, carry, *sums)
