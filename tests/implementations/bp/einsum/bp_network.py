import layers as L


def two_layer_net_loss(X, params, y, activation="relu", loss="softmax"):
    fwd = getattr(L, activation + "_forward")
    bwd = getattr(L, activation + "_backward")
    a, c1 = L.affine_forward(X, params["W1"], params["b1"])
    h, c2 = fwd(a)
    s, c3 = L.affine_forward(h, params["W2"], params["b2"])
    value, ds = L.softmax_loss(s, y) if loss == "softmax" else L.mse_loss(s, y)
    dh, dW2, db2 = L.affine_backward(ds, c3)
    _, dW1, db1 = L.affine_backward(bwd(dh, c2), c1)
    return float(value), dict(W1=dW1, b1=db1, W2=dW2, b2=db2)


def sgd_step(params, grads, learning_rate):
    return dict((k, v + (-learning_rate) * grads[k]) for k, v in params.items())
