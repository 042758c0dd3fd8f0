"""Hand-made submissions for the scoring-policy tests (issue 9): code that computes
nothing, code that drifts after its first call, CS231n's starter batch norm. Each
is a dict {file name: source} for :func:`support.write_submission`."""

from __future__ import annotations

ZERO_LAYERS = '''
import numpy as np

def _zeros(*arrays):
    return tuple(np.zeros_like(np.asarray(a, dtype=np.float64)) for a in arrays)

def sigmoid_forward(x):
    return np.full_like(x, FILL, dtype=np.float64), x

def sigmoid_backward(dout, cache):
    return _zeros(cache)[0]

tanh_forward, tanh_backward = sigmoid_forward, sigmoid_backward
relu_forward, relu_backward = sigmoid_forward, sigmoid_backward

def affine_forward(x, w, b):
    return np.full((x.shape[0], w.shape[1]), FILL), (x, w, b)

def affine_backward(dout, cache):
    return _zeros(*cache)

def softmax_loss(x, y):
    return FILL, np.zeros_like(x)

def mse_loss(y_pred, y):
    return FILL, np.zeros_like(y_pred)
'''

ZERO_NETWORK = '''
import numpy as np

def two_layer_net_loss(X, params, y, activation="relu", loss="softmax"):
    return FILL, {k: np.zeros_like(v) for k, v in params.items()}

def sgd_step(params, grads, learning_rate):
    return {k: np.full_like(v, FILL) for k, v in params.items()}
'''

ZERO_RNN = '''
import numpy as np

def _zeros(*arrays):
    return tuple(np.zeros_like(np.asarray(a, dtype=np.float64)) for a in arrays)

def rnn_step_forward(x, prev_h, Wx, Wh, b):
    return np.full_like(prev_h, FILL), (x, prev_h, Wx, Wh, b)

def rnn_step_backward(dnext_h, cache):
    return _zeros(*cache)

def rnn_forward(x, h0, Wx, Wh, b):
    return np.full((x.shape[0], x.shape[1], h0.shape[1]), FILL), (x, h0, Wx, Wh, b)

rnn_backward = rnn_step_backward

def birnn_forward(x, h0_f, h0_b, Wx_f, Wh_f, b_f, Wx_b, Wh_b, b_b):
    h = np.full((x.shape[0], x.shape[1], 2 * h0_f.shape[1]), FILL)
    return h, (x, h0_f, h0_b, Wx_f, Wh_f, b_f, Wx_b, Wh_b, b_b)

birnn_backward = rnn_step_backward

def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    return np.full_like(prev_h, FILL), np.full_like(prev_c, FILL), (x, prev_h, prev_c, Wx, Wh, b)

def lstm_step_backward(dnext_h, dnext_c, cache):
    return _zeros(*cache)

lstm_forward, lstm_backward = rnn_forward, rnn_backward

def gru_step_forward(x, prev_h, Wx, Wh, bx, bh):
    return np.full_like(prev_h, FILL), (x, prev_h, Wx, Wh, bx, bh)

gru_step_backward = rnn_step_backward

def gru_forward(x, h0, Wx, Wh, bx, bh):
    return np.full((x.shape[0], x.shape[1], h0.shape[1]), FILL), (x, h0, Wx, Wh, bx, bh)

gru_backward = rnn_step_backward
'''

ZERO_STABILITY = '''
import numpy as np

def _zeros(*arrays):
    return tuple(np.zeros_like(np.asarray(a, dtype=np.float64)) for a in arrays)

def clip_grad_norm(grads, max_norm):
    return [np.full_like(g, FILL) for g in grads], FILL

def init_weights(shape, method, rng):
    return np.full(shape, FILL), np.zeros(shape[1])

def l2_regularization(params, reg):
    return FILL, {k: np.zeros_like(v) for k, v in params.items()}

def batchnorm_forward(x, gamma, beta, bn_param):
    return np.full_like(x, FILL), (x, gamma, beta)

def batchnorm_backward(dout, cache):
    return _zeros(*cache)

def residual_forward(x, W1, b1, W2, b2):
    return np.full_like(x, FILL), (x, W1, b1, W2, b2)

def residual_backward(dout, cache):
    return _zeros(*cache)
'''


def constant_submission(fill: float) -> dict[str, str]:
    """Every function returns the constant ``fill`` (forwards, losses, updates) or
    zeros (backward passes), in the right shapes."""
    files = {"layers.py": ZERO_LAYERS, "bp_network.py": ZERO_NETWORK, "rnn_layers.py": ZERO_RNN,
             "stability.py": ZERO_STABILITY}
    return {name: f"FILL = {fill!r}\n" + text for name, text in files.items()}


# Appended to a copy of every reference module: each public function is right on its
# first call and off by 1.0 in every number it returns afterwards (the cache of a
# forward pass excepted, so its backward pass still gets what it needs).
DRIFT = '''

def _drifting(fn):
    import functools
    import numpy as _np
    state = {"calls": 0}

    def shift(v):
        if isinstance(v, _np.ndarray) and v.dtype.kind == "f":
            return v + 1.0
        if isinstance(v, float):
            return v + 1.0
        if isinstance(v, tuple):
            return tuple(shift(x) for x in v)
        if isinstance(v, list):
            return [shift(x) for x in v]
        if isinstance(v, dict):
            return {k: shift(x) for k, x in v.items()}
        return v

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        state["calls"] += 1
        out = fn(*args, **kwargs)
        if state["calls"] == 1:
            return out
        if fn.__name__.endswith("_forward") and isinstance(out, tuple):
            return shift(out[:-1]) + (out[-1],)
        return shift(out)
    return wrapper


for _name, _obj in list(globals().items()):
    if callable(_obj) and not _name.startswith("_") and getattr(_obj, "__module__", None) == __name__ \\
            and hasattr(_obj, "__code__"):
        globals()[_name] = _drifting(_obj)
'''

# CS231n's batch-norm template as handed out: nothing computed, the running
# statistics written back unchanged.
STARTER_BATCHNORM = '''

def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))
    out, cache = None, None
    if mode == "train":
        pass
    elif mode == "test":
        pass
    else:
        raise ValueError('Invalid forward batchnorm mode "%s"' % mode)
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache
'''
