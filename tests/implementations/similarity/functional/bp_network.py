"""Two-layer network, composed from the layers through a table of stages."""
import layers
import numpy as np

_ACT = {name: (getattr(layers, name + "_forward"), getattr(layers, name + "_backward"))
        for name in ("relu", "sigmoid", "tanh")}
_LOSS = {"softmax": layers.softmax_loss, "mse": layers.mse_loss}


def two_layer_net_loss(X, params, y, activation="relu", loss="softmax"):
    fwd, bwd = _ACT[activation]
    hidden_in, cache_in = layers.affine_forward(X, params["W1"], params["b1"])
    hidden, cache_act = fwd(hidden_in)
    out, cache_out = layers.affine_forward(hidden, params["W2"], params["b2"])
    value, grad_out = _LOSS[loss](out, y)
    grads = {}
    grad_hidden, grads["W2"], grads["b2"] = layers.affine_backward(grad_out, cache_out)
    grad_in = bwd(grad_hidden, cache_act)
    _, grads["W1"], grads["b1"] = layers.affine_backward(grad_in, cache_in)
    return value, grads


def sgd_step(params, grads, learning_rate):
    updated = dict()
    for key, value in params.items():
        updated[key] = np.copy(value) - learning_rate * np.asarray(grads[key])
    return updated
