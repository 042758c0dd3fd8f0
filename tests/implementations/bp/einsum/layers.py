"""A correct BP implementation with einsum and different formulas."""
import numpy as np


def sigmoid_forward(x):
    out = 0.5 * (1.0 + np.tanh(0.5 * x))
    return out, out


def sigmoid_backward(dout, cache):
    return np.einsum("...,...->...", dout, cache * (1 - cache))


def tanh_forward(x):
    e = np.exp(-2 * np.abs(x))
    out = np.sign(x) * (1 - e) / (1 + e)
    return out, out


def tanh_backward(dout, cache):
    return dout - dout * cache * cache


def relu_forward(x):
    mask = (x > 0).astype(float)
    return x * mask, mask


def relu_backward(dout, cache):
    return dout * cache


def affine_forward(x, w, b):
    flat = x.reshape(len(x), -1)
    return np.einsum("nd,dm->nm", flat, w) + b[None, :], (x.shape, flat, w)


def affine_backward(dout, cache):
    shape, flat, w = cache
    return np.einsum("nm,dm->nd", dout, w).reshape(shape), np.einsum("nd,nm->dm", flat, dout), np.einsum("nm->m", dout)


def softmax_loss(x, y):
    z = x - x.max(axis=1)[:, None]
    lse = np.log(np.exp(z).sum(axis=1))
    n = len(y)
    onehot = np.eye(x.shape[1])[y]
    loss = np.mean(lse - np.einsum("nc,nc->n", z, onehot))
    p = np.exp(z - lse[:, None])
    return loss, (p - onehot) / n


def mse_loss(y_pred, y):
    diff = y_pred - y
    return 0.5 * np.einsum("nc,nc->", diff, diff) / len(y), diff / len(y)
