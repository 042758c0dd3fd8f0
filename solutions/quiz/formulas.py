"""The answer key of the parametrised quiz questions (instructors only; never released).

Each function computes the correct answer from the numbers drawn for a student. A
question names its function with ``formula = "<name>"``; the arguments are the
question's parameters, by name (``rnngrade`` checks this when it loads the bank).
Plain Python, trusted like the reference solutions; TOML text is never evaluated.
"""

import math


def bp_param_count(D, H, C):
    """Weights and biases of a D -> H -> C fully connected network."""
    return D * H + H + H * C + C


def sigmoid_derivative(x):
    s = 1 / (1 + math.exp(-x))
    return s * (1 - s)


def tanh_derivative(x):
    return 1 - math.tanh(x) ** 2


def rnn_param_count(D, H):
    """Wx (D, H), Wh (H, H), b (H,)."""
    return D * H + H * H + H


def birnn_output_shape(N, T, D, H):
    """Forward and backward hidden states concatenated on the feature axis."""
    return (N, T, 2 * H)


def lstm_param_count(D, H):
    """Wx (D, 4H), Wh (H, 4H), b (4H,): four gate blocks i, f, o, g."""
    return 4 * (D * H + H * H + H)


def gru_param_count(D, H):
    """Wx (D, 3H), Wh (H, 3H), bx (3H,), bh (3H,): blocks r, z, n (PyTorch's convention)."""
    return 3 * (D * H + H * H) + 6 * H


def gradient_factor(w, T):
    """The factor a gradient is multiplied by over T steps of the same weight w."""
    return w**T


def xavier_std(n):
    """Standard deviation of randn * sqrt(1 / n) for fan-in n."""
    return math.sqrt(1 / n)


def l2_gradient(reg, w):
    """d/dw of 0.5 * reg * w**2."""
    return reg * w


def clipped_first(a, b, v):
    """First component of g = (a, b) after clipping by norm with upper bound v."""
    norm = math.hypot(a, b)
    return a * v / norm if norm > v else a


def embedding_row_gradient(k, c):
    """dW[4, 0] when token 4 occurs k times and dout is c everywhere: the sum of its uses."""
    return k * c
