# A passing alternative in the style of CS231n's computational-graph solutions:
# clipping via one concatenated vector, init with rng.normal, batch norm backward
# step by step through the graph, residual block from separate affine/relu helpers.
import numpy as np


def clip_grad_norm(grads, max_norm):
    flat = np.concatenate([g.ravel() for g in grads])
    total_norm = np.linalg.norm(flat)
    factor = min(1.0, max_norm / total_norm) if total_norm > 0 else 1.0
    return [g * factor for g in grads], total_norm


def init_weights(shape, method, rng):
    gen = np.random.default_rng(rng)
    n_in, n_out = shape
    if method == "small":
        std = 0.01
    elif method == "xavier":
        std = np.sqrt(1 / n_in)
    elif method == "he":
        std = np.sqrt(2 / n_in)
    else:
        raise ValueError(method)
    return gen.normal(0.0, std, size=(n_in, n_out)), np.zeros(n_out)


def l2_regularization(params, reg):
    loss = 0.5 * reg * sum(np.sum(v ** 2) for k, v in params.items() if k.startswith("W"))
    grads = {k: (reg * v if k.startswith("W") else np.zeros_like(v)) for k, v in params.items()}
    return loss, grads


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))
    cache = None
    if mode == "train":
        mu = 1.0 / N * np.sum(x, axis=0)
        xmu = x - mu
        sq = xmu ** 2
        var = 1.0 / N * np.sum(sq, axis=0)
        sqrtvar = np.sqrt(var + eps)
        ivar = 1.0 / sqrtvar
        xhat = xmu * ivar
        out = gamma * xhat + beta
        cache = (xhat, gamma, xmu, ivar, sqrtvar, var, eps)
        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
    else:
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache


def batchnorm_backward(dout, cache):
    xhat, gamma, xmu, ivar, sqrtvar, var, eps = cache
    N, D = dout.shape
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    divar = np.sum(dxhat * xmu, axis=0)
    dxmu1 = dxhat * ivar
    dsqrtvar = -1.0 / (sqrtvar ** 2) * divar
    dvar = 0.5 * 1.0 / np.sqrt(var + eps) * dsqrtvar
    dsq = 1.0 / N * np.ones((N, D)) * dvar
    dxmu2 = 2 * xmu * dsq
    dx1 = dxmu1 + dxmu2
    dmu = -1 * np.sum(dx1, axis=0)
    dx2 = 1.0 / N * np.ones((N, D)) * dmu
    return dx1 + dx2, dgamma, dbeta


def _affine_forward(x, w, b):
    return x @ w + b, (x, w)


def _affine_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


def _relu_forward(x):
    return np.maximum(0, x), x


def _relu_backward(dout, cache):
    return dout * (cache > 0)


def residual_forward(x, W1, b1, W2, b2):
    a, c1 = _affine_forward(x, W1, b1)
    h, c2 = _relu_forward(a)
    f, c3 = _affine_forward(h, W2, b2)
    out, c4 = _relu_forward(x + f)
    return out, (c1, c2, c3, c4)


def residual_backward(dout, cache):
    c1, c2, c3, c4 = cache
    ds = _relu_backward(dout, c4)
    dh, dW2, db2 = _affine_backward(ds, c3)
    da = _relu_backward(dh, c2)
    dx_branch, dW1, db1 = _affine_backward(da, c1)
    return ds + dx_branch, dW1, db1, dW2, db2
