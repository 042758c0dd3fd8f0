"""Two-layer network composed from the loop-based layers."""
from layers import (affine_backward, affine_forward, mse_loss, relu_backward, relu_forward,  # noqa: I001
                    sigmoid_backward, sigmoid_forward, softmax_loss, tanh_backward, tanh_forward)


def two_layer_net_loss(X, params, y, activation="relu", loss="softmax"):
    act = {"relu": (relu_forward, relu_backward), "sigmoid": (sigmoid_forward, sigmoid_backward),
           "tanh": (tanh_forward, tanh_backward)}[activation]
    a, c1 = affine_forward(X, params["W1"], params["b1"])
    h, c2 = act[0](a)
    s, c3 = affine_forward(h, params["W2"], params["b2"])
    value, ds = (softmax_loss if loss == "softmax" else mse_loss)(s, y)
    dh, dW2, db2 = affine_backward(ds, c3)
    _, dW1, db1 = affine_backward(act[1](dh, c2), c1)
    return value, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def sgd_step(params, grads, learning_rate):
    new = {}
    for key in params:
        new[key] = params[key].copy()
        new[key] -= learning_rate * grads[key]
    return new
