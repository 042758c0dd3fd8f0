# Homework: remedies for vanishing and exploding gradients, step by step.
import numpy as np


def clip_grad_norm(grads, max_norm):
    squared_sum = 0.0
    for gradient in grads:
        squared_sum = squared_sum + np.sum(gradient ** 2)
    global_norm = np.sqrt(squared_sum)
    clipped_list = []
    for gradient in grads:
        if global_norm > max_norm:
            clipped_list.append(gradient * (max_norm / global_norm))
        else:
            clipped_list.append(gradient.copy())
    return clipped_list, float(global_norm)


def init_weights(shape, method, rng):
    generator = np.random.default_rng(rng)
    fan_in = shape[0]
    fan_out = shape[1]
    if method == "small":
        scale = 0.01
    elif method == "xavier":
        scale = np.sqrt(1.0 / fan_in)
    elif method == "he":
        scale = np.sqrt(2.0 / fan_in)
    else:
        raise ValueError("unknown method: " + str(method))
    weights = generator.standard_normal((fan_in, fan_out)) * scale
    biases = np.zeros((fan_out,))
    return weights, biases


def l2_regularization(params, reg):
    total_loss = 0.0
    gradients = {}
    for parameter_name in sorted(params):
        parameter_value = params[parameter_name]
        is_weight = parameter_name[:1] == "W"
        if is_weight:
            total_loss = total_loss + 0.5 * reg * np.sum(parameter_value ** 2)
            gradients[parameter_name] = parameter_value * reg
        else:
            gradients[parameter_name] = np.zeros(parameter_value.shape)
    return float(total_loss), gradients


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    epsilon = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    feature_count = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(feature_count))
    running_variance = bn_param.get("running_var", np.zeros(feature_count))
    memory = None
    if mode == "train":
        batch_mean = np.sum(x, axis=0) / x.shape[0]
        deviation = x - batch_mean
        batch_variance = np.sum(deviation ** 2, axis=0) / x.shape[0]
        standard_deviation = np.sqrt(batch_variance + epsilon)
        normalised = deviation / standard_deviation
        output = normalised * gamma + beta
        running_mean = running_mean * momentum + batch_mean * (1.0 - momentum)
        running_variance = running_variance * momentum + batch_variance * (1.0 - momentum)
        memory = {"normalised": normalised, "std": standard_deviation, "gamma": gamma}
    elif mode == "test":
        normalised = (x - running_mean) / np.sqrt(running_variance + epsilon)
        output = normalised * gamma + beta
    else:
        raise ValueError("mode must be 'train' or 'test'")
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_variance
    return output, memory


def batchnorm_backward(dout, cache):
    normalised = cache["normalised"]
    standard_deviation = cache["std"]
    gamma = cache["gamma"]
    batch_size = dout.shape[0]
    grad_beta = np.sum(dout, axis=0)
    grad_gamma = np.sum(dout * normalised, axis=0)
    grad_normalised = dout * gamma
    term_one = batch_size * grad_normalised
    term_two = np.sum(grad_normalised, axis=0)
    term_three = normalised * np.sum(grad_normalised * normalised, axis=0)
    grad_x = (term_one - term_two - term_three) / (batch_size * standard_deviation)
    return grad_x, grad_gamma, grad_beta


def residual_forward(x, W1, b1, W2, b2):
    first_linear = x.dot(W1) + b1
    first_activation = np.maximum(first_linear, 0.0)
    branch_output = first_activation.dot(W2) + b2
    combined = x + branch_output
    output = np.maximum(combined, 0.0)
    memory = {"x": x, "W1": W1, "W2": W2, "first_linear": first_linear, "first_activation": first_activation,
              "combined": combined}
    return output, memory


def residual_backward(dout, cache):
    grad_combined = dout * (cache["combined"] > 0)
    grad_b2 = grad_combined.sum(axis=0)
    grad_W2 = cache["first_activation"].T.dot(grad_combined)
    grad_first_activation = grad_combined.dot(cache["W2"].T)
    grad_first_linear = grad_first_activation * (cache["first_linear"] > 0)
    grad_b1 = grad_first_linear.sum(axis=0)
    grad_W1 = cache["x"].T.dot(grad_first_linear)
    grad_x = grad_combined + grad_first_linear.dot(cache["W1"].T)
    return grad_x, grad_W1, grad_b1, grad_W2, grad_b2
