"""Gradient clipping, initialisation, L2, batch norm and a residual block, written
with comprehensions and helper closures (an independent style for the tests)."""
import math

import numpy as np


def clip_grad_norm(grads, max_norm):
    norm = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
    factor = 1.0 if norm <= max_norm else max_norm / norm
    return [np.array(g) * factor for g in grads], norm


_GAIN = {"small": lambda fan_in: 0.01, "xavier": lambda fan_in: math.sqrt(1.0 / fan_in),
         "he": lambda fan_in: math.sqrt(2.0 / fan_in)}


def init_weights(shape, method, rng):
    try:
        gain = _GAIN[method]
    except KeyError:
        raise ValueError("method must be small, xavier or he") from None
    generator = np.random.default_rng(rng)
    W = generator.standard_normal(tuple(shape)) * gain(shape[0])
    return W, np.zeros(shape[1])


def l2_regularization(params, reg):
    weights = [key for key in params if key.startswith("W")]
    loss = 0.5 * reg * sum(float(np.sum(np.square(params[key]))) for key in weights)
    grads = {key: (reg * params[key] if key in weights else np.zeros(np.shape(params[key]))) for key in params}
    return loss, grads


def batchnorm_forward(x, gamma, beta, bn_param):
    eps = bn_param.get("eps", 1e-5)
    mom = bn_param.get("momentum", 0.9)
    width = np.shape(x)[1]
    mu_run = bn_param.get("running_mean", np.zeros(width))
    var_run = bn_param.get("running_var", np.zeros(width))
    if bn_param["mode"] == "test":
        normed = (x - mu_run) / np.sqrt(var_run + eps)
        return gamma * normed + beta, None
    if bn_param["mode"] != "train":
        raise ValueError("mode must be train or test")
    mu = np.mean(x, axis=0)
    centred = x - mu
    var = np.mean(centred ** 2, axis=0)
    inv = 1.0 / np.sqrt(var + eps)
    normed = centred * inv
    bn_param["running_mean"] = mom * mu_run + (1.0 - mom) * mu
    bn_param["running_var"] = mom * var_run + (1.0 - mom) * var
    return gamma * normed + beta, (normed, inv, gamma)


def batchnorm_backward(dout, cache):
    normed, inv, gamma = cache
    n = np.shape(dout)[0]
    g_beta = np.sum(dout, axis=0)
    g_gamma = np.sum(dout * normed, axis=0)
    g_norm = dout * gamma
    mean_g = np.mean(g_norm, axis=0)
    mean_gx = np.mean(g_norm * normed, axis=0)
    del n
    return inv * (g_norm - mean_g - normed * mean_gx), g_gamma, g_beta


def residual_forward(x, W1, b1, W2, b2):
    pre = np.matmul(x, W1) + b1
    mid = np.where(pre > 0, pre, 0.0)
    total = x + np.matmul(mid, W2) + b2
    return np.where(total > 0, total, 0.0), (x, W1, W2, pre, mid, total)


def residual_backward(dout, cache):
    x, W1, W2, pre, mid, total = cache
    g_total = np.where(total > 0, dout, 0.0)
    g_mid = np.matmul(g_total, W2.T)
    g_pre = np.where(pre > 0, g_mid, 0.0)
    return (g_total + np.matmul(g_pre, W1.T), np.matmul(x.T, g_pre), np.sum(g_pre, axis=0),
            np.matmul(mid.T, g_total), np.sum(g_total, axis=0))
