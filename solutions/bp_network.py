"""A two-layer BP network (input layer - hidden layer - output layer) and one step
of gradient descent.

Build it from your own layers in ``layers.py``: affine - activation - affine, then
a loss. The layers are fully connected, with no links that skip a layer.
"""

import numpy as np

from layers import (
    affine_backward,
    affine_forward,
    mse_loss,
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    softmax_loss,
    tanh_backward,
    tanh_forward,
)

ACTIVATIONS = {
    "relu": (relu_forward, relu_backward),
    "sigmoid": (sigmoid_forward, sigmoid_backward),
    "tanh": (tanh_forward, tanh_backward),
}


def two_layer_net_loss(X, params, y, activation="relu", loss="softmax"):
    """Forward and backward pass of a two-layer network.

    scores = affine(act(affine(X, W1, b1)), W2, b2), then the loss.

    Inputs:
    - X: (N, D) input data
    - params: dict with "W1" (D, H), "b1" (H,), "W2" (H, C), "b2" (C,)
    - y: for loss="softmax", (N,) integer labels in [0, C); for loss="mse",
      (N, C) expected outputs
    - activation: "relu", "sigmoid" or "tanh" (the hidden layer's activation)
    - loss: "softmax" (cross-entropy) or "mse" (see mse_loss)

    Returns a tuple of:
    - loss: float
    - grads: dict with the same keys and shapes as params
    """
    # BEGIN SOLUTION
    act_forward, act_backward = ACTIVATIONS[activation]
    a1, c1 = affine_forward(X, params["W1"], params["b1"])
    h1, c2 = act_forward(a1)
    scores, c3 = affine_forward(h1, params["W2"], params["b2"])
    if loss == "softmax":
        value, dscores = softmax_loss(scores, y)
    else:
        value, dscores = mse_loss(scores, y)
    dh1, dW2, db2 = affine_backward(dscores, c3)
    da1 = act_backward(dh1, c2)
    _, dW1, db1 = affine_backward(da1, c1)
    return value, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    # END SOLUTION


def sgd_step(params, grads, learning_rate):
    """One step of gradient descent on every weight and bias.

    ``new[k] = params[k] - learning_rate * grads[k]`` for every key.

    Inputs:
    - params: dict of arrays, e.g. "W1", "b1", "W2", "b2"
    - grads: dict with the same keys and shapes
    - learning_rate: float

    Returns:
    - new_params: a new dict of new arrays (params itself must stay unchanged)
    """
    # BEGIN SOLUTION
    return {k: params[k] - learning_rate * grads[k] for k in params}
    # END SOLUTION
