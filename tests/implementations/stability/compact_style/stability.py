# A passing alternative, compact: copies below the threshold, init by division,
# the simplified batch-norm backward (CS231n's batchnorm_backward_alt) with a dict
# cache, and a residual block written inline with a dict cache.
import numpy as np


def clip_grad_norm(grads, max_norm):
    total = np.sqrt(sum((g ** 2).sum() for g in grads))
    if total > max_norm:
        return [g * max_norm / total for g in grads], float(total)
    return [g.copy() for g in grads], float(total)


def init_weights(shape, method, rng):
    rng = np.random.default_rng(rng)
    z = rng.standard_normal(shape)
    fan_in = shape[0]
    if method == "small":
        W = z * 0.01
    elif method == "xavier":
        W = z / np.sqrt(fan_in)
    elif method == "he":
        W = z / np.sqrt(fan_in / 2)
    else:
        raise ValueError("unknown method " + str(method))
    return W, np.zeros(shape[1])


def l2_regularization(params, reg):
    loss, grads = 0.0, {}
    for name in params:
        W = params[name]
        if name[0] == "W":
            loss += 0.5 * reg * np.sum(W * W)
            grads[name] = reg * W
        else:
            grads[name] = 0 * W
    return loss, grads


def batchnorm_forward(x, gamma, beta, bn_param):
    eps = bn_param.get("eps", 1e-5)
    m = bn_param.get("momentum", 0.9)
    D = x.shape[1]
    rm = bn_param.get("running_mean", np.zeros(D))
    rv = bn_param.get("running_var", np.zeros(D))
    if bn_param["mode"] == "train":
        mean = np.mean(x, axis=0, keepdims=True)
        var = np.mean((x - mean) ** 2, axis=0, keepdims=True)
        inv = 1 / np.sqrt(var + eps)
        xn = (x - mean) * inv
        bn_param["running_mean"] = m * rm + (1 - m) * mean[0]
        bn_param["running_var"] = m * rv + (1 - m) * var[0]
        return gamma * xn + beta, {"xn": xn, "inv": inv, "gamma": gamma}
    if bn_param["mode"] == "test":
        bn_param["running_mean"], bn_param["running_var"] = rm, rv
        return gamma * (x - rm) / np.sqrt(rv + eps) + beta, None
    raise ValueError("bad mode")


def batchnorm_backward(dout, cache):
    xn, inv, gamma = cache["xn"], cache["inv"], cache["gamma"]
    N = dout.shape[0]
    dxn = dout * gamma
    dx = inv / N * (N * dxn - dxn.sum(axis=0) - xn * (dxn * xn).sum(axis=0))
    return dx, (dout * xn).sum(axis=0), dout.sum(axis=0)


def residual_forward(x, W1, b1, W2, b2):
    a = x.dot(W1) + b1
    h = a * (a > 0)
    s = x + h.dot(W2) + b2
    return s * (s > 0), {"x": x, "W1": W1, "W2": W2, "a": a, "h": h, "s": s}


def residual_backward(dout, cache):
    ds = np.where(cache["s"] > 0, dout, 0.0)
    dh = ds.dot(cache["W2"].T)
    da = np.where(cache["a"] > 0, dh, 0.0)
    dx = ds + da.dot(cache["W1"].T)
    return dx, cache["x"].T.dot(da), da.sum(0), cache["h"].T.dot(ds), ds.sum(0)
