"""A correct BP implementation written with explicit Python loops."""
import math

import numpy as np


def sigmoid_forward(x):
    out = np.zeros(x.shape)
    for idx in np.ndindex(*x.shape):
        v = x[idx]
        out[idx] = 1.0 / (1.0 + math.exp(-v)) if v >= 0 else math.exp(v) / (1.0 + math.exp(v))
    return out, {"out": out}


def sigmoid_backward(dout, cache):
    dx = np.zeros(dout.shape)
    for idx in np.ndindex(*dout.shape):
        s = cache["out"][idx]
        dx[idx] = dout[idx] * s * (1 - s)
    return dx


def tanh_forward(x):
    out = np.zeros(x.shape)
    for idx in np.ndindex(*x.shape):
        out[idx] = math.tanh(x[idx])
    return out, x


def tanh_backward(dout, cache):
    dx = np.zeros(dout.shape)
    for idx in np.ndindex(*dout.shape):
        dx[idx] = dout[idx] * (1 - math.tanh(cache[idx]) ** 2)
    return dx


def relu_forward(x):
    out = np.zeros(x.shape)
    for idx in np.ndindex(*x.shape):
        out[idx] = x[idx] if x[idx] > 0 else 0.0
    return out, x.copy()


def relu_backward(dout, cache):
    dx = np.zeros(dout.shape)
    for idx in np.ndindex(*dout.shape):
        dx[idx] = dout[idx] if cache[idx] > 0 else 0.0
    return dx


def affine_forward(x, w, b):
    n = x.shape[0]
    flat = x.reshape(n, -1)
    out = np.zeros((n, w.shape[1]))
    for i in range(n):
        for j in range(w.shape[1]):
            total = b[j]
            for k in range(w.shape[0]):
                total += flat[i, k] * w[k, j]
            out[i, j] = total
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    n = x.shape[0]
    flat = x.reshape(n, -1)
    dflat = np.zeros(flat.shape)
    dw = np.zeros(w.shape)
    db = np.zeros(b.shape)
    for i in range(n):
        for j in range(w.shape[1]):
            db[j] += dout[i, j]
            for k in range(w.shape[0]):
                dflat[i, k] += dout[i, j] * w[k, j]
                dw[k, j] += flat[i, k] * dout[i, j]
    return dflat.reshape(x.shape), dw, db


def softmax_loss(x, y):
    n, c = x.shape
    loss = 0.0
    dx = np.zeros(x.shape)
    for i in range(n):
        m = max(x[i])
        exps = [math.exp(v - m) for v in x[i]]
        total = sum(exps)
        loss -= math.log(exps[y[i]] / total)
        for j in range(c):
            dx[i, j] = exps[j] / total - (1.0 if j == y[i] else 0.0)
    return loss / n, dx / n


def mse_loss(y_pred, y):
    n = y_pred.shape[0]
    loss = 0.0
    d = np.zeros(y_pred.shape)
    for idx in np.ndindex(*y_pred.shape):
        e = y[idx] - y_pred[idx]
        loss += 0.5 * e * e
        d[idx] = -e / n
    return loss / n, d
