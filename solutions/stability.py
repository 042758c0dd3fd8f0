"""Remedies for vanishing and exploding gradients (lecture section "梯度消失和梯度爆炸的解决"):
gradient clipping, parameter initialisation, weight regularisation (L2), batch
normalisation and a residual block.

Conventions as in ``layers.py``: float64 numpy arrays, batch first; every
``*_forward`` returns ``(out, cache)`` and the matching ``*_backward(dout, cache)``
returns the gradients of its inputs in argument order. Do not modify the arrays you
are given: return new ones. (The one documented exception is ``bn_param``, whose
running statistics ``batchnorm_forward`` stores back into the dict, as in CS231n.)
"""

import numpy as np


def clip_grad_norm(grads, max_norm):
    """Gradient clipping by one global norm, exactly as in the lecture.

    With ``g`` all gradients taken together (every entry of every array) and
    ``v = max_norm``::

        if ||g|| > v:
            g <- g * v / ||g||

    ``||g||`` is the L2 norm over *all* arrays at once, not one norm per array;
    a gradient whose norm is at most ``v`` comes back unchanged.

    Inputs:
    - grads: list of gradient arrays, any shapes, e.g. [dWx (D, H), dWh (H, H), db (H,)]
    - max_norm: float v > 0, the upper bound of the gradient norm

    Returns a tuple of:
    - clipped: list of new arrays, same length, order and shapes as grads
      (the input arrays are left unchanged)
    - total_norm: float, the global norm ||g|| *before* clipping
    """
    # BEGIN SOLUTION
    total_norm = float(np.sqrt(sum(np.sum(g * g) for g in grads)))
    scale = max_norm / total_norm if total_norm > max_norm else 1.0
    clipped = [g * scale for g in grads]
    return clipped, total_norm
    # END SOLUTION


def init_weights(shape, method, rng):
    """Initial weights and biases of one fully connected layer ``x @ W + b``.

    ``n_{L-1}`` (the fan-in) is the number of neurons of the previous layer, i.e.
    ``shape[0]`` for ``W`` of shape (n_{L-1}, n_L). With ``z`` drawn as
    ``rng.standard_normal(shape)``:

    - "small":  W = z * 0.01
    - "xavier": W = z * sqrt(1 / n_{L-1})     (the lecture's formula)
    - "he":     W = z * sqrt(2 / n_{L-1})

    Biases start at zero. Never initialise the weights with zeros or one constant:
    every neuron would compute the same thing and stay the same (symmetry).

    Inputs:
    - shape: tuple (n_{L-1}, n_L), the shape of W
    - method: "small", "xavier" or "he"; anything else raises ValueError
    - rng: a numpy random Generator or an integer seed. Draw every random number
      from ``rng = np.random.default_rng(rng)`` (this accepts both), never from
      ``np.random.randn``: the same rng (or seed) must give the same weights.

    Returns a tuple of:
    - W: array of shape (n_{L-1}, n_L)
    - b: zeros of shape (n_L,)
    """
    # BEGIN SOLUTION
    rng = np.random.default_rng(rng)
    fan_in, fan_out = shape
    scales = {"small": 0.01, "xavier": np.sqrt(1.0 / fan_in), "he": np.sqrt(2.0 / fan_in)}
    if method not in scales:
        raise ValueError(f"unknown initialisation method {method!r}")
    W = rng.standard_normal((fan_in, fan_out)) * scales[method]
    b = np.zeros(fan_out)
    return W, b
    # END SOLUTION


def l2_regularization(params, reg):
    """Weight regularisation (L2): loss ``0.5 * reg * sum(W ** 2)`` over the weights.

    Only weights are regularised: a parameter is a weight when its name starts with
    "W" (W1, W2, Wx, Wh). Biases (b1, ...) and batch-norm gamma/beta are not; their
    gradient is zero.

    Inputs:
    - params: dict name -> array, e.g. {"W1": (D, H), "b1": (H,), "gamma1": (H,), ...}
    - reg: float, the regularisation strength

    Returns a tuple of:
    - loss: float, 0.5 * reg * (sum of the squares of every weight entry)
    - grads: dict with the same keys as params; grads[k] has the shape of params[k]
      and is the gradient of loss with respect to params[k]
    """
    # BEGIN SOLUTION
    loss = 0.0
    grads = {}
    for name, value in params.items():
        if name.startswith("W"):
            loss += 0.5 * reg * float(np.sum(value * value))
            grads[name] = reg * value
        else:
            grads[name] = np.zeros_like(value, dtype=np.float64)
    return loss, grads
    # END SOLUTION


def batchnorm_forward(x, gamma, beta, bn_param):
    """Batch normalisation (BatchNormalization, 批归一化), CS231n's interface.

    Training mode: normalise each feature with the mean and the *biased* variance
    (divide by N) of the mini-batch, then scale and shift::

        x_hat = (x - mean) / sqrt(var + eps)
        out = gamma * x_hat + beta

    and update the running statistics (exponential moving averages)::

        running_mean = momentum * running_mean + (1 - momentum) * mean
        running_var = momentum * running_var + (1 - momentum) * var

    Test mode: normalise with running_mean and running_var instead of the batch's
    statistics (and still apply gamma and beta); the running statistics stay as they are.

    Inputs:
    - x: (N, D)
    - gamma: scale, (D,)
    - beta: shift, (D,)
    - bn_param: dict with keys
      - mode: "train" or "test" (required)
      - eps: constant for numerical stability, default 1e-5
      - momentum: default 0.9
      - running_mean: (D,), default zeros
      - running_var: (D,), default zeros

    Store the updated running_mean and running_var back into bn_param (shape (D,)).

    Returns a tuple of:
    - out: (N, D)
    - cache: whatever batchnorm_backward needs
    """
    # BEGIN SOLUTION
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    D = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=np.float64))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=np.float64))
    if mode == "train":
        mean = x.mean(axis=0)
        var = x.var(axis=0)
        std = np.sqrt(var + eps)
        x_hat = (x - mean) / std
        out = gamma * x_hat + beta
        running_mean = momentum * running_mean + (1 - momentum) * mean
        running_var = momentum * running_var + (1 - momentum) * var
        cache = (x_hat, std, gamma)
    elif mode == "test":
        x_hat = (x - running_mean) / np.sqrt(running_var + eps)
        out = gamma * x_hat + beta
        cache = None
    else:
        raise ValueError(f"invalid batch norm mode {mode!r}")
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache
    # END SOLUTION


def batchnorm_backward(dout, cache):
    """Backward pass of batch normalisation (training mode).

    Inputs:
    - dout: upstream gradient, (N, D)
    - cache: from batchnorm_forward in training mode

    Returns a tuple of:
    - dx: (N, D)
    - dgamma: (D,)
    - dbeta: (D,)
    """
    # BEGIN SOLUTION
    x_hat, std, gamma = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    dx = (N * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0)) / (N * std)
    return dx, dgamma, dbeta
    # END SOLUTION


def residual_forward(x, W1, b1, W2, b2):
    """A residual block (残差结构): the input skips the branch and is added back::

        F(x) = relu(x @ W1 + b1) @ W2 + b2        (affine - relu - affine)
        out = relu(x + F(x))

    The identity path ``x`` is what lets gradients through very deep networks: in
    the backward pass, dx gets the upstream gradient directly *plus* what flows
    back through the branch. You may build it from your layers in layers.py.

    Inputs:
    - x: (N, D)
    - W1: (D, H), b1: (H,)
    - W2: (H, D), b2: (D,)

    Returns a tuple of:
    - out: (N, D)
    - cache: whatever residual_backward needs
    """
    # BEGIN SOLUTION
    a = x @ W1 + b1
    hidden = np.maximum(a, 0)
    s = x + hidden @ W2 + b2
    out = np.maximum(s, 0)
    return out, (x, W1, W2, a, hidden, s)
    # END SOLUTION


def residual_backward(dout, cache):
    """Backward pass of the residual block.

    Inputs:
    - dout: upstream gradient, (N, D)
    - cache: from residual_forward

    Returns a tuple of:
    - dx: (N, D)
    - dW1: (D, H), db1: (H,)
    - dW2: (H, D), db2: (D,)
    """
    # BEGIN SOLUTION
    x, W1, W2, a, hidden, s = cache
    ds = dout * (s > 0)
    db2 = ds.sum(axis=0)
    dW2 = hidden.T @ ds
    da = (ds @ W2.T) * (a > 0)
    db1 = da.sum(axis=0)
    dW1 = x.T @ da
    dx = ds + da @ W1.T
    return dx, dW1, db1, dW2, db2
    # END SOLUTION
