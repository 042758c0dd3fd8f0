# Homework: BP network layers. Everything spelled out step by step, one
# intermediate value per line, caches as dicts with descriptive keys.
import numpy as np


def sigmoid_forward(x):
    positive_part = 1.0 / (1.0 + np.exp(-np.maximum(x, 0.0)))
    exp_of_negative = np.exp(np.minimum(x, 0.0))
    negative_part = exp_of_negative / (1.0 + exp_of_negative)
    result = np.where(x >= 0.0, positive_part, negative_part)
    memory = {"sigmoid_output": result}
    return result, memory


def sigmoid_backward(dout, cache):
    output = cache["sigmoid_output"]
    local_derivative = output * (1.0 - output)
    gradient = dout * local_derivative
    return gradient


def tanh_forward(x):
    result = np.tanh(x)
    memory = {"tanh_output": result}
    return result, memory


def tanh_backward(dout, cache):
    output = cache["tanh_output"]
    local_derivative = 1.0 - output * output
    gradient = dout * local_derivative
    return gradient


def relu_forward(x):
    result = x.copy()
    result[result < 0.0] = 0.0
    memory = {"relu_input": x}
    return result, memory


def relu_backward(dout, cache):
    original_input = cache["relu_input"]
    gradient = dout.copy()
    gradient[original_input <= 0.0] = 0.0
    return gradient


def affine_forward(x, w, b):
    batch_size = x.shape[0]
    flat_input = x.reshape(batch_size, w.shape[0])
    result = flat_input.dot(w)
    result = result + b
    memory = {"input": x, "weights": w, "bias": b}
    return result, memory


def affine_backward(dout, cache):
    original_input = cache["input"]
    weights = cache["weights"]
    batch_size = original_input.shape[0]
    flat_input = original_input.reshape(batch_size, weights.shape[0])
    grad_input = dout.dot(weights.T).reshape(original_input.shape)
    grad_weights = flat_input.T.dot(dout)
    grad_bias = np.sum(dout, axis=0)
    return grad_input, grad_weights, grad_bias


def softmax_loss(x, y):
    batch_size = x.shape[0]
    row_maximum = np.max(x, axis=1).reshape(-1, 1)
    exponentials = np.exp(x - row_maximum)
    row_totals = np.sum(exponentials, axis=1).reshape(-1, 1)
    probabilities = exponentials / row_totals
    correct_log_probabilities = (x - row_maximum)[range(batch_size), y] - np.log(row_totals[:, 0])
    loss_value = -np.sum(correct_log_probabilities) / batch_size
    gradient = probabilities.copy()
    gradient[range(batch_size), y] = gradient[range(batch_size), y] - 1.0
    gradient = gradient / batch_size
    return loss_value, gradient


def mse_loss(y_pred, y):
    batch_size = y_pred.shape[0]
    error = y - y_pred
    squared_error = error * error
    loss_value = 0.5 * squared_error.sum() / batch_size
    gradient = -1.0 * error / batch_size
    return loss_value, gradient
