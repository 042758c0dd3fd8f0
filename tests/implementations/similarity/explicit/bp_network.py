# Two-layer network for the homework.
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


def two_layer_net_loss(X, params, y, activation="relu", loss="softmax"):
    # first layer
    first_output, first_memory = affine_forward(X, params["W1"], params["b1"])
    # hidden activation
    if activation == "relu":
        hidden_output, hidden_memory = relu_forward(first_output)
    elif activation == "sigmoid":
        hidden_output, hidden_memory = sigmoid_forward(first_output)
    else:
        hidden_output, hidden_memory = tanh_forward(first_output)
    # second layer
    scores, second_memory = affine_forward(hidden_output, params["W2"], params["b2"])
    # loss
    if loss == "softmax":
        loss_value, grad_scores = softmax_loss(scores, y)
    else:
        loss_value, grad_scores = mse_loss(scores, y)
    # backward through the second layer
    grad_hidden, grad_W2, grad_b2 = affine_backward(grad_scores, second_memory)
    # backward through the activation
    if activation == "relu":
        grad_first = relu_backward(grad_hidden, hidden_memory)
    elif activation == "sigmoid":
        grad_first = sigmoid_backward(grad_hidden, hidden_memory)
    else:
        grad_first = tanh_backward(grad_hidden, hidden_memory)
    # backward through the first layer
    grad_X, grad_W1, grad_b1 = affine_backward(grad_first, first_memory)
    all_gradients = {"W1": grad_W1, "b1": grad_b1, "W2": grad_W2, "b2": grad_b2}
    return loss_value, all_gradients


def sgd_step(params, grads, learning_rate):
    new_params = {}
    for name in params.keys():
        step = learning_rate * grads[name]
        new_params[name] = params[name] - step
    return new_params
