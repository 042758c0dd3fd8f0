"""Forward formulas the probes and diagnoses use: what the reference computes, and
what a student making a known mistake computes (trusted, parent side).

One sigmoid for the whole grader (:func:`sigmoid`, without overflow), the
derivatives written with the functions' outputs, one step and whole sequences of
the vanilla RNN, the LSTM (gate blocks in any order, any candidate activation) and
the GRU (PyTorch's convention, with the flags of mistakes 11 and 12), and the two
halves of a bidirectional RNN. No backward pass is written here: the probes'
yardstick is always the numerical gradient of the student's own forward.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Inputs = dict[str, Any]


def sigmoid(a: np.ndarray) -> np.ndarray:
    """Logistic sigmoid without overflow (an identity: 1/(1+e^-a) = (1 + tanh(a/2)) / 2)."""
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def dsigmoid(s: np.ndarray) -> np.ndarray:
    """Derivative of the sigmoid written with its output ``s``."""
    return s * (1.0 - s)


def dtanh(t: np.ndarray) -> np.ndarray:
    """Derivative of tanh written with its output ``t``."""
    return 1.0 - t**2


LSTM_ORDER = "ifog"
GRU_ORDER = "rzn"


def rnn_cell(x: np.ndarray, h: np.ndarray, Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray) -> np.ndarray:
    """next_h (N, H) of a vanilla RNN step; x (N, D), h (N, H)."""
    return np.tanh(x @ Wx + h @ Wh + b)


def lstm_cell(x, h, c, Wx, Wh, b, order: str = LSTM_ORDER, candidate=np.tanh):
    """One LSTM step read with the gate blocks in ``order`` (the reference: "ifog")
    and ``candidate`` as the candidate's activation. Returns (next_h, next_c,
    quantities) with all arrays (N, H)."""
    blocks = np.split(x @ Wx + h @ Wh + b, 4, axis=1)
    a = {gate: blocks[k] for k, gate in enumerate(order)}
    i, f, o, g = sigmoid(a["i"]), sigmoid(a["f"]), sigmoid(a["o"]), candidate(a["g"])
    c_next = f * c + i * g
    h_next = o * np.tanh(c_next)
    q = {"i": i, "f": f, "o": o, "g": g, "c": c_next, "prev_c": c, "h": h_next}
    q.update({f"a_{k}": v for k, v in a.items()})
    return h_next, c_next, q


def gru_cell(x, h, Wx, Wh, bx, bh, order: str = GRU_ORDER, reversed_update: bool = False,
             reset_before_product: bool = False):
    """One GRU step (PyTorch's convention) read with the blocks in ``order``; the two
    flags reproduce mistakes 11 and 12. Returns (next_h, quantities), arrays (N, H)."""
    bx_blocks, bh_blocks = np.split(bx, 3), np.split(bh, 3)
    Wx_blocks, Wh_blocks = np.split(Wx, 3, axis=1), np.split(Wh, 3, axis=1)
    k = {gate: order.index(gate) for gate in GRU_ORDER}
    ax = {g: x @ Wx_blocks[k[g]] + bx_blocks[k[g]] for g in GRU_ORDER}
    ah = {g: h @ Wh_blocks[k[g]] + bh_blocks[k[g]] for g in GRU_ORDER}
    r, z = sigmoid(ax["r"] + ah["r"]), sigmoid(ax["z"] + ah["z"])
    if reset_before_product:
        a_n = ax["n"] + (r * h) @ Wh_blocks[k["n"]] + bh_blocks[k["n"]]
    else:
        a_n = ax["n"] + r * ah["n"]
    n = np.tanh(a_n)
    h_next = z * n + (1 - z) * h if reversed_update else (1 - z) * n + z * h
    return h_next, {"r": r, "z": z, "n": n, "a_r": ax["r"] + ah["r"], "a_z": ax["z"] + ah["z"], "a_n": a_n,
                    "prev_h": h, "h": h_next}


def run_sequence(step: Callable[..., Any], x: np.ndarray, h0: np.ndarray, c0: np.ndarray | None = None,
                 h0_every_step: bool = False, reverse: bool = False) -> np.ndarray:
    """Hidden states (N, T, H) of ``step(x_t, h, c) -> (h, c)`` over x (N, T, D).

    ``h0_every_step`` feeds h0 to every step (mistake 9); ``reverse`` reads x from the
    last step to the first and stores the states in reading order (mistake 8)."""
    xs = x[:, ::-1] if reverse else x
    h, c, out = h0, c0, []
    for t in range(x.shape[1]):
        h, c = step(xs[:, t], h0 if h0_every_step else h, c)
        out.append(h)
    return np.stack(out, axis=1)


def rnn_sequence(inp: Inputs, **kw: Any) -> np.ndarray:
    step = lambda x, h, c: (rnn_cell(x, h, inp["Wx"], inp["Wh"], inp["b"]), None)
    return run_sequence(step, inp["x"], inp["h0"], **kw)


def lstm_sequence(inp: Inputs, order: str = LSTM_ORDER, candidate=np.tanh, c0_is_h0: bool = False,
                  **kw: Any) -> np.ndarray:
    def step(x, h, c):
        h2, c2, _ = lstm_cell(x, h, c, inp["Wx"], inp["Wh"], inp["b"], order, candidate)
        return h2, c2
    c0 = inp["h0"].copy() if c0_is_h0 else np.zeros_like(inp["h0"])
    return run_sequence(step, inp["x"], inp["h0"], c0, **kw)


def gru_sequence(inp: Inputs, order: str = GRU_ORDER, reversed_update: bool = False,
                 reset_before_product: bool = False, **kw: Any) -> np.ndarray:
    step = lambda x, h, c: (gru_cell(x, h, inp["Wx"], inp["Wh"], inp["bx"], inp["bh"], order, reversed_update,
                                     reset_before_product)[0], None)
    return run_sequence(step, inp["x"], inp["h0"], **kw)


def direction(inp: Inputs, side: str, x: np.ndarray, h0_side: str | None = None) -> np.ndarray:
    return rnn_sequence({"x": x, "h0": inp[f"h0_{h0_side or side}"], "Wx": inp[f"Wx_{side}"],
                         "Wh": inp[f"Wh_{side}"], "b": inp[f"b_{side}"]})


def birnn_halves(inp: Inputs) -> tuple[np.ndarray, np.ndarray]:
    """The two (N, T, H) halves of a bidirectional RNN, aligned to the time index."""
    x = inp["x"]
    return direction(inp, "f", x), direction(inp, "b", x[:, ::-1])[:, ::-1]


def side(inp: Inputs, side: str) -> Inputs:
    return {"x": inp["x"], "h0": inp[f"h0_{side}"], "Wx": inp[f"Wx_{side}"], "Wh": inp[f"Wh_{side}"],
            "b": inp[f"b_{side}"]}
