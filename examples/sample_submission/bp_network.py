import numpy as np

from layers import *  # noqa: F403


def two_layer_net_loss(X, params, y, activation="relu", loss="softmax"):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    forward = {"relu": relu_forward, "sigmoid": sigmoid_forward, "tanh": tanh_forward}[activation]
    backward = {"relu": relu_backward, "sigmoid": sigmoid_backward, "tanh": tanh_backward}[activation]
    h_in, cache1 = affine_forward(X, W1, b1)
    h, cache_act = forward(h_in)
    scores, cache2 = affine_forward(h, W2, b2)
    if loss == "softmax":
        L, dscores = softmax_loss(scores, y)
    else:
        L, dscores = mse_loss(scores, y)
    grads = {}
    dh, grads["W2"], grads["b2"] = affine_backward(dscores, cache2)
    dh_in = backward(dh, cache_act)
    _, grads["W1"], grads["b1"] = affine_backward(dh_in, cache1)
    return L, grads


def sgd_step(params, grads, learning_rate):
    new_params = {}
    for name in params:
        new_params[name] = params[name] - learning_rate * grads[name]
    return new_params
