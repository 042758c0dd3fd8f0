# Sample student submission: remedies for vanishing and exploding gradients.
# Two realistic mistakes for the quick start: np.var with ddof=1 in batch norm
# (mistake 23) and clipping that rescales even below the threshold (mistake 17).
import numpy as np


def clip_grad_norm(grads, max_norm):
    total_norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    # rescale to the bound (forgot the "if ||g|| > v")
    clipped = [g * max_norm / total_norm for g in grads]
    return clipped, total_norm


def init_weights(shape, method, rng):
    rng = np.random.default_rng(rng)
    n_in, n_out = shape
    if method == "small":
        W = rng.standard_normal(shape) * 0.01
    elif method == "xavier":
        W = rng.standard_normal(shape) * np.sqrt(1 / n_in)
    elif method == "he":
        W = rng.standard_normal(shape) * np.sqrt(2 / n_in)
    else:
        raise ValueError(method)
    return W, np.zeros(n_out)


def l2_regularization(params, reg):
    loss = 0
    grads = {}
    for k, v in params.items():
        if k.startswith("W"):
            loss += 0.5 * reg * np.sum(v * v)
            grads[k] = reg * v
        else:
            grads[k] = np.zeros_like(v)
    return loss, grads


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D))
    running_var = bn_param.get("running_var", np.zeros(D))
    cache = None
    if mode == "train":
        mu = np.mean(x, axis=0)
        var = np.var(x, axis=0, ddof=1)
        x_hat = (x - mu) / np.sqrt(var + eps)
        out = gamma * x_hat + beta
        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
        cache = (x, x_hat, mu, var, gamma, eps)
    else:
        x_hat = (x - running_mean) / np.sqrt(running_var + eps)
        out = gamma * x_hat + beta
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache


def batchnorm_backward(dout, cache):
    x, x_hat, mu, var, gamma, eps = cache
    N = x.shape[0]
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    inv_std = 1 / np.sqrt(var + eps)
    dx = inv_std / N * (N * dx_hat - np.sum(dx_hat, axis=0) - x_hat * np.sum(dx_hat * x_hat, axis=0))
    return dx, dgamma, dbeta


def residual_forward(x, W1, b1, W2, b2):
    a = x @ W1 + b1
    h = np.maximum(0, a)
    s = x + h @ W2 + b2
    out = np.maximum(0, s)
    return out, (x, W1, W2, a, h, s)


def residual_backward(dout, cache):
    x, W1, W2, a, h, s = cache
    ds = dout * (s > 0)
    dW2 = h.T @ ds
    db2 = ds.sum(axis=0)
    da = ds @ W2.T * (a > 0)
    dW1 = x.T @ da
    db1 = da.sum(axis=0)
    dx = ds + da @ W1.T
    return dx, dW1, db1, dW2, db2
