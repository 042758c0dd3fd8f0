"""Layers of a BP network: activations, the affine (fully connected) layer, losses.

Every ``*_forward`` returns ``(out, cache)``; the matching ``*_backward(dout, cache)``
returns the gradients of its inputs in argument order. The cache is yours: store
whatever your backward needs. All arrays are float64 numpy arrays. Do not modify
the arrays you are given (inputs, upstream gradients): return new ones.
"""

import numpy as np


def sigmoid_forward(x):
    """Logistic sigmoid, elementwise: ``out = 1 / (1 + exp(-x))``.

    Must not overflow for large ``|x|`` (e.g. x = -1000).

    Inputs:
    - x: array of any shape, e.g. (N, D)

    Returns a tuple of:
    - out: array of the same shape as x, values in (0, 1)
    - cache: whatever sigmoid_backward needs
    """
    # BEGIN SOLUTION
    out = np.empty_like(x, dtype=np.float64)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    ex = np.exp(x[~pos])
    out[~pos] = ex / (1.0 + ex)
    return out, out
    # END SOLUTION


def sigmoid_backward(dout, cache):
    """Backward pass of the sigmoid.

    Inputs:
    - dout: upstream gradient, same shape as x
    - cache: from sigmoid_forward

    Returns:
    - dx: gradient with respect to x, same shape as x
    """
    # BEGIN SOLUTION
    out = cache
    return dout * out * (1.0 - out)
    # END SOLUTION


def tanh_forward(x):
    """Hyperbolic tangent, elementwise.

    Inputs:
    - x: array of any shape, e.g. (N, D)

    Returns a tuple of:
    - out: array of the same shape as x, values in (-1, 1)
    - cache: whatever tanh_backward needs
    """
    # BEGIN SOLUTION
    out = np.tanh(x)
    return out, out
    # END SOLUTION


def tanh_backward(dout, cache):
    """Backward pass of tanh.

    Inputs:
    - dout: upstream gradient, same shape as x
    - cache: from tanh_forward

    Returns:
    - dx: gradient with respect to x, same shape as x
    """
    # BEGIN SOLUTION
    out = cache
    return dout * (1.0 - out**2)
    # END SOLUTION


def relu_forward(x):
    """Rectified linear unit, elementwise: ``out = max(0, x)``.

    Inputs:
    - x: array of any shape, e.g. (N, D)

    Returns a tuple of:
    - out: array of the same shape as x
    - cache: whatever relu_backward needs
    """
    # BEGIN SOLUTION
    return np.maximum(0.0, x), x
    # END SOLUTION


def relu_backward(dout, cache):
    """Backward pass of ReLU (derivative 1 where x > 0, else 0).

    Inputs:
    - dout: upstream gradient, same shape as x
    - cache: from relu_forward

    Returns:
    - dx: gradient with respect to x, same shape as x
    """
    # BEGIN SOLUTION
    x = cache
    return np.where(x > 0, dout, 0.0)
    # END SOLUTION


def affine_forward(x, w, b):
    """Affine (fully connected) layer: ``out = x.reshape(N, D) @ w + b``.

    Inputs:
    - x: (N, d_1, ..., d_k) input; each example is flattened to D = d_1 * ... * d_k
    - w: (D, M) weights
    - b: (M,) biases

    Returns a tuple of:
    - out: (N, M)
    - cache: whatever affine_backward needs
    """
    # BEGIN SOLUTION
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w)
    # END SOLUTION


def affine_backward(dout, cache):
    """Backward pass of the affine layer.

    Inputs:
    - dout: (N, M) upstream gradient
    - cache: from affine_forward

    Returns a tuple of:
    - dx: (N, d_1, ..., d_k), the shape of x
    - dw: (D, M)
    - db: (M,)
    """
    # BEGIN SOLUTION
    x, w = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db
    # END SOLUTION


def softmax_loss(x, y):
    """Softmax cross-entropy loss, averaged over the batch.

    Must be numerically stable for scores like +-1000.

    Inputs:
    - x: (N, C) class scores
    - y: (N,) integer labels, 0 <= y[i] < C

    Returns a tuple of:
    - loss: float
    - dx: (N, C) gradient of the loss with respect to x
    """
    # BEGIN SOLUTION
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = x.shape[0]
    loss = -log_probs[np.arange(n), y].mean()
    dx = np.exp(log_probs)
    dx[np.arange(n), y] -= 1.0
    return float(loss), dx / n
    # END SOLUTION


def mse_loss(y_pred, y):
    """Mean squared error, the lecture's error "expected value minus output".

    ``loss = 0.5 * sum((y - y_pred) ** 2) / N``: half the squared error, summed over
    outputs and averaged over the N examples.

    Inputs:
    - y_pred: (N, C) network outputs
    - y: (N, C) expected values

    Returns a tuple of:
    - loss: float
    - dy_pred: (N, C) gradient of the loss with respect to y_pred
    """
    # BEGIN SOLUTION
    n = y_pred.shape[0]
    err = y - y_pred
    return float(0.5 * np.sum(err**2) / n), -err / n
    # END SOLUTION
