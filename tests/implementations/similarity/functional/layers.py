"""Layers written by a student who likes small pure helpers and np.matmul.

An independent correct style for the similarity tests: tuple caches, stable
sigmoid through np.where on |x|, log-sum-exp by hand, means instead of sums.
"""
import numpy as np


def _stable_sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_forward(x):
    s = _stable_sigmoid(x)
    return s, (s,)


def sigmoid_backward(dout, cache):
    (s,) = cache
    return np.multiply(dout, np.multiply(s, 1.0 - s))


def tanh_forward(x):
    t = np.tanh(x)
    return t, (t,)


def tanh_backward(dout, cache):
    (t,) = cache
    return np.multiply(dout, 1.0 - np.square(t))


def relu_forward(x):
    positive = np.greater(x, 0.0)
    return np.where(positive, x, 0.0), (positive,)


def relu_backward(dout, cache):
    (positive,) = cache
    return np.where(positive, dout, 0.0)


def affine_forward(x, w, b):
    rows = np.reshape(x, (np.shape(x)[0], -1))
    return np.add(np.matmul(rows, w), b), (np.shape(x), rows, w)


def affine_backward(dout, cache):
    in_shape, rows, w = cache
    grad_rows = np.matmul(dout, np.transpose(w))
    grad_w = np.matmul(np.transpose(rows), dout)
    grad_b = np.sum(dout, axis=0)
    return np.reshape(grad_rows, in_shape), grad_w, grad_b


def _log_softmax(scores):
    top = np.max(scores, axis=1, keepdims=True)
    lse = top + np.log(np.sum(np.exp(scores - top), axis=1, keepdims=True))
    return scores - lse


def softmax_loss(x, y):
    count = np.shape(x)[0]
    logp = _log_softmax(x)
    picked = logp[np.arange(count), y]
    loss = -np.mean(picked)
    probs = np.exp(logp)
    target = np.zeros_like(probs)
    target[np.arange(count), y] = 1.0
    return float(loss), (probs - target) / count


def mse_loss(y_pred, y):
    count = np.shape(y_pred)[0]
    diff = np.subtract(y_pred, y)
    loss = 0.5 * np.mean(np.sum(np.square(diff), axis=tuple(range(1, np.ndim(diff)))))
    return float(loss), diff / count
