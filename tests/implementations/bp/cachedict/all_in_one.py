"""A correct implementation in a single module, caches kept as dicts and lists,
using scipy-free stable formulas."""
import numpy as np


def _sig(x):
    return np.exp(-np.logaddexp(0.0, -x))


def sigmoid_forward(x):
    return _sig(x), {"x": x}


def sigmoid_backward(dout, cache):
    s = _sig(cache["x"])
    return dout * s * (1 - s)


def tanh_forward(x):
    return np.tanh(x), {"x": x}


def tanh_backward(dout, cache):
    return dout / np.cosh(cache["x"]) ** 2


def relu_forward(x):
    return np.clip(x, 0, None), [x > 0]


def relu_backward(dout, cache):
    return np.where(cache[0], dout, np.zeros_like(dout))


def affine_forward(x, w, b):
    out = np.dot(np.reshape(x, (x.shape[0], np.prod(x.shape[1:]))), w) + b
    return out, {"x": x, "w": w, "b": b}


def affine_backward(dout, cache):
    x, w = cache["x"], cache["w"]
    dx = np.dot(dout, w.T).reshape(x.shape)
    dw = np.dot(x.reshape(x.shape[0], -1).T, dout)
    return dx, dw, np.ones(dout.shape[0]) @ dout


def softmax_loss(x, y):
    logp = x - np.logaddexp.reduce(x, axis=1, keepdims=True)
    n = x.shape[0]
    dx = np.exp(logp)
    dx[np.arange(n), y] -= 1
    return -np.sum(logp[np.arange(n), y]) / n, dx / n


def mse_loss(y_pred, y):
    n = y_pred.shape[0]
    return np.sum((y - y_pred) ** 2) / (2 * n), (y_pred - y) / n


def two_layer_net_loss(X, params, y, activation="relu", loss="softmax"):
    fns = {"relu": (relu_forward, relu_backward), "sigmoid": (sigmoid_forward, sigmoid_backward),
           "tanh": (tanh_forward, tanh_backward)}
    caches = []
    out, c = affine_forward(X, params["W1"], params["b1"])
    caches.append(c)
    out, c = fns[activation][0](out)
    caches.append(c)
    out, c = affine_forward(out, params["W2"], params["b2"])
    caches.append(c)
    value, d = softmax_loss(out, y) if loss == "softmax" else mse_loss(out, y)
    grads = {}
    d, grads["W2"], grads["b2"] = affine_backward(d, caches.pop())
    d = fns[activation][1](d, caches.pop())
    d, grads["W1"], grads["b1"] = affine_backward(d, caches.pop())
    return value, grads


def sgd_step(params, grads, learning_rate):
    out = {}
    for k in params:
        out[k] = np.subtract(params[k], np.multiply(learning_rate, grads[k]))
    return out
