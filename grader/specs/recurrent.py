"""Exercise specs for the recurrent layers: vanilla RNN (one step, and BPTT over a
sequence), bidirectional RNN, LSTM and GRU (lecture sections 循环神经网络,
双向循环神经网络, LSTM, GRU).

Inputs: N, D, H, T all different (3, 6, 5, 4), unit-scale weights (standard normal,
so a derivative taken of the wrong quantity is far off), biases and states drawn
per student. Every forward is checked against the reference, strictly shaped;
every gradient numerically against the student's own forward and against the
reference, each its own item; inputs and upstream gradients must stay unchanged.
When a check fails, the probes (:mod:`grader.specs.recurrent_value_probes`,
:mod:`grader.specs.recurrent_gradient_probes`) say where
(gate block, time step, which upstream gradient) and name known mistakes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..checks import policy
from ..checks.engine import Exercise
from ..checks.gradient import GradientCheck, Param
from ..checks.kinds import Output
from ..checks.mutation import MutationCheck
from ..i18n import msg
from ..mistakes import Mistake
from .common import known_variant_probe
from .forwards import (
    birnn_halves,
    dsigmoid,
    dtanh,
    gru_cell,
    gru_sequence,
    lstm_cell,
    lstm_sequence,
    rnn_cell,
    rnn_sequence,
    sigmoid,
)
from .recurrent_gradient_probes import (
    Candidate,
    GateModel,
    carry_probe,
    gate_probe,
    gradient_probes,
    lstm_cell_state_rules,
    swapped_shapes_probe,
    time_step_probe,
)
from .recurrent_value_probes import (
    ProbedValueCheck,
    Variant,
    birnn_variants,
    causality_probe,
    gate_order_probe,
    gru_saturation_probe,
    lstm_saturation_probe,
    variants_probe,
)

N, D, H, T = 3, 6, 5, 4
MODULE = "rnn_layers.py"

POINTS_VALUE = 2.0  # a forward's outputs (shared among them)
POINTS_NUMERIC = 1.0  # each gradient against the numerical gradient of the student's forward
POINTS_REFERENCE = 1.0  # each gradient against the reference
POINTS_MUTATION = policy.NO_MUTATION_POINTS  # each function leaves its arguments unchanged

STEP_X = ("sample", "feature")
SEQ_X = ("sample", "time", "feature")
STATE = ("sample", "unit")
SEQ_H = ("sample", "time", "unit")
MATRIX = ("row", "col")
LSTM_BLOCKS = ("i", "f", "o", "g")
GRU_BLOCKS = ("r", "z", "n")


# ---------------------------------------------------------------------- inputs
def _x(rng, shape):
    return 0.5 * rng.standard_normal(shape)


def _h(rng):
    return rng.uniform(-0.9, 0.9, (N, H))


def _cell(rng, gates: int, prefix: str = "", suffix: str = "", two_biases: bool = False) -> dict[str, Any]:
    """Unit-scale stacked weights (D, gates*H), (H, gates*H) and bias(es)."""
    p = {f"Wx{suffix}": rng.standard_normal((D, gates * H)), f"Wh{suffix}": rng.standard_normal((H, gates * H))}
    if two_biases:
        p["bx"] = 0.5 * rng.standard_normal(gates * H)
        p["bh"] = 0.5 * rng.standard_normal(gates * H)
    else:
        p[f"b{suffix}"] = 0.5 * rng.standard_normal(gates * H)
    return p


def rnn_step_inputs(rng):
    return {"x": _x(rng, (N, D)), "prev_h": _h(rng), **_cell(rng, 1)}


def rnn_inputs(rng):
    return {"x": _x(rng, (N, T, D)), "h0": _h(rng), **_cell(rng, 1)}


def birnn_inputs(rng):
    return {"x": _x(rng, (N, T, D)), "h0_f": _h(rng), "h0_b": _h(rng), **_cell(rng, 1, suffix="_f"),
            **_cell(rng, 1, suffix="_b")}


def lstm_step_inputs(rng):
    return {"x": _x(rng, (N, D)), "prev_h": _h(rng), "prev_c": rng.standard_normal((N, H)), **_cell(rng, 4)}


def lstm_inputs(rng):
    return {"x": _x(rng, (N, T, D)), "h0": _h(rng), **_cell(rng, 4)}


def gru_step_inputs(rng):
    return {"x": _x(rng, (N, D)), "prev_h": _h(rng), **_cell(rng, 3, two_biases=True)}


def gru_inputs(rng):
    return {"x": _x(rng, (N, T, D)), "h0": _h(rng), **_cell(rng, 3, two_biases=True)}


def _upstream(*names: str, seq: bool = False, width: int = H):
    shape = (N, T, width) if seq else (N, width)
    return lambda rng: {name: rng.standard_normal(shape) for name in names}


# ---------------------------------------------------------- gate-level models
DERIVATIVE = Mistake.WRONG_DERIVATIVE_INPUT  # 6
TANH_CELL = Mistake.LSTM_TANH_OF_WRONG_CELL  # 5

def _rnn_quantities(i):
    a = i["x"] @ i["Wx"] + i["prev_h"] @ i["Wh"] + i["b"]
    return {"a": a, "h": np.tanh(a)}


def _lstm_quantities(i):
    return lstm_cell(i["x"], i["prev_h"], i["prev_c"], i["Wx"], i["Wh"], i["b"])[2]


def _gru_quantities(i):
    return gru_cell(i["x"], i["prev_h"], i["Wx"], i["Wh"], i["bx"], i["bh"])[1]


def _sigmoid_gate_candidates(gate: str, setting: str) -> tuple[Candidate, ...]:
    """Mistake 6 on a sigmoid gate: sigmoid' fed the activation, or s(1 - s) of the pre-activation."""
    return (Candidate(DERIVATIVE, setting, (gate,), lambda q: dsigmoid(sigmoid(q[gate])) / dsigmoid(q[gate])),
            Candidate(DERIVATIVE, setting, (gate,), lambda q: dsigmoid(q[f"a_{gate}"]) / dsigmoid(q[gate])))


RNN_GATES = GateModel(
    blocks=("a",), bias="b", upstream=("dnext_h",), quantities=_rnn_quantities,
    candidates=(
        Candidate(DERIVATIVE, "dnext_h", ("a",), lambda q: dtanh(q["a"]) / dtanh(q["h"])),
        Candidate(DERIVATIVE, "dnext_h", ("a",), lambda q: dtanh(np.tanh(q["h"])) / dtanh(q["h"])),
    ))

LSTM_GATES = GateModel(
    blocks=LSTM_BLOCKS, bias="b", upstream=("dnext_h", "dnext_c"), quantities=_lstm_quantities,
    candidates=(
        # tanh(prev_c) (or c itself) where tanh(next_c) is due: in do ...
        Candidate(TANH_CELL, "dnext_h", ("o",), lambda q: np.tanh(q["prev_c"]) / np.tanh(q["c"])),
        Candidate(TANH_CELL, "dnext_h", ("o",), lambda q: q["prev_c"] / np.tanh(q["c"])),
        Candidate(TANH_CELL, "dnext_h", ("o",), lambda q: q["c"] / np.tanh(q["c"])),
        # ... or in the path from dnext_h into dc
        Candidate(TANH_CELL, "dnext_h", ("i", "f", "g"),
                  lambda q: dtanh(np.tanh(q["prev_c"])) / dtanh(np.tanh(q["c"]))),
        Candidate(DERIVATIVE, "dnext_h", ("i", "f", "g"), lambda q: dtanh(q["c"]) / dtanh(np.tanh(q["c"]))),
        Candidate(DERIVATIVE, "dnext_h", ("i", "f", "g"),
                  lambda q: dtanh(np.tanh(np.tanh(q["c"]))) / dtanh(np.tanh(q["c"]))),
        *_sigmoid_gate_candidates("o", "dnext_h"),
        *_sigmoid_gate_candidates("i", "dnext_c"),
        *_sigmoid_gate_candidates("f", "dnext_c"),
        Candidate(DERIVATIVE, "dnext_c", ("g",), lambda q: dtanh(q["a_g"]) / dtanh(q["g"])),
        Candidate(DERIVATIVE, "dnext_c", ("g",), lambda q: dtanh(np.tanh(q["g"])) / dtanh(q["g"])),
        Candidate(Mistake.LSTM_CANDIDATE_SIGMOID, "dnext_c", ("g",), lambda q: dsigmoid(q["g"]) / dtanh(q["g"])),
    ),
    rules=(lstm_cell_state_rules,))

GRU_GATES = GateModel(
    blocks=GRU_BLOCKS, bias="bx", upstream=("dnext_h",), quantities=_gru_quantities,
    candidates=(
        Candidate(DERIVATIVE, "dnext_h", ("r", "n"), lambda q: dtanh(q["a_n"]) / dtanh(q["n"])),
        Candidate(DERIVATIVE, "dnext_h", ("r", "n"), lambda q: dtanh(np.tanh(q["n"])) / dtanh(q["n"])),
        *_sigmoid_gate_candidates("z", "dnext_h"),
        *_sigmoid_gate_candidates("r", "dnext_h"),
        Candidate(Mistake.GRU_INTERPOLATION_REVERSED, "dnext_h", ("z",), lambda q: -np.ones_like(q["z"])),
        Candidate(Mistake.GRU_INTERPOLATION_REVERSED, "dnext_h", ("r", "n"), lambda q: q["z"] / (1.0 - q["z"])),
    ))


# --------------------------------------------------------------- check helpers
def _params(x: str, x_axes, states: list[tuple[str, str]], weights: list[tuple[str, str]],
            blocks: tuple[str, ...] = ()) -> list[Param]:
    out = [Param(x, "d" + x, axes=x_axes)]
    out += [Param(name, grad, axes=STATE) for name, grad in states]
    for name, grad in weights:
        out.append(Param(name, grad, axes=MATRIX if name.startswith("W") else ("unit",), blocks=blocks))
    return out


def _mutations(name: str, fwd: str, bwd: str, inputs, upstream) -> list[MutationCheck]:
    return [MutationCheck(f"{name}.forward_mutation", fwd, inputs, POINTS_MUTATION),
            MutationCheck(f"{name}.backward_mutation", bwd, upstream, POINTS_MUTATION, forward=fwd,
                          forward_inputs=inputs)]


def _out_shapes(i: dict[str, Any]) -> list[tuple[int, ...]]:
    """The forward's outputs: (N, H) per state of a step (next_h, and next_c for the
    LSTM), (N, T, H) for a sequence, (N, T, 2H) for the bidirectional RNN."""
    x = i["x"]
    if "h0_f" in i:
        return [x.shape[:2] + (2 * i["h0_f"].shape[1],)]
    if "h0" in i:
        return [x.shape[:2] + i["h0"].shape[1:]]
    return [i["prev_h"].shape] + ([i["prev_c"].shape] if "prev_c" in i else [])


def _gradients(name: str, fwd: str, bwd: str, inputs, params: list[Param], probes: list[Any], n_outputs: int = 1):
    return GradientCheck(f"{name}.grad", bwd, inputs, params, POINTS_NUMERIC, points_reference=POINTS_REFERENCE,
                         forward=fwd, n_outputs=n_outputs, out_shapes=_out_shapes, probes=gradient_probes(*probes))


# ------------------------------------------------------------------ exercises
def _rnn_step_transposed(i: dict[str, Any], d: list[Any]) -> dict[str, np.ndarray]:
    """Mistake 33 in rnn_step_backward: the square Wh not transposed on the way back
    (dprev_h = da @ Wh), or dWh computed the other way round (da.T @ prev_h)."""
    da = d[0] * dtanh(_rnn_quantities(i)["h"])
    return {"prev_h": da @ i["Wh"], "Wh": da.T @ i["prev_h"]}


def _rnn_step() -> Exercise:
    fwd, bwd = "rnn_step_forward", "rnn_step_backward"
    params = _params("x", STEP_X, [("prev_h", "dprev_h")], [("Wx", "dWx"), ("Wh", "dWh"), ("b", "db")])
    checks = [
        ProbedValueCheck("rnn_step.forward", fwd, rnn_step_inputs, [Output("next_h", (0,), STATE)], POINTS_VALUE,
                         model=lambda i: [rnn_cell(i["x"], i["prev_h"], i["Wx"], i["Wh"], i["b"])]),
        _gradients("rnn_step", fwd, bwd, rnn_step_inputs, params,
                   [swapped_shapes_probe([("x", "prev_h"), ("Wx", "Wh")]), gate_probe(RNN_GATES),
                    known_variant_probe({Mistake.WEIGHT_TRANSPOSED: _rnn_step_transposed})]),
        *_mutations("rnn_step", fwd, bwd, rnn_step_inputs, _upstream("dnext_h")),
    ]
    return Exercise("rnn_step", msg("exercise.rnn_step"), MODULE, [fwd, bwd], checks, section="rnn")


def _sequence_variants(model: str):
    """Forward variants of a sequence layer: reversed time (8), h0 at every step (9), c0 = h0 (9)."""
    run = {"rnn": rnn_sequence, "lstm": lstm_sequence, "gru": gru_sequence}[model]
    variants: list[Variant] = [
        (Mistake.BPTT_TIME_ORDER, "recurrent.variant.reversed", lambda i: [run(i, reverse=True)]),
        (Mistake.BPTT_TIME_ORDER, "recurrent.variant.reversed", lambda i: [run(i, reverse=True)[:, ::-1]]),
        (Mistake.INITIAL_STATE_REUSED, "recurrent.variant.h0_every_step", lambda i: [run(i, h0_every_step=True)]),
    ]
    if model == "lstm":
        variants += [(Mistake.INITIAL_STATE_REUSED, "recurrent.variant.c0_is_h0",
                      lambda i: [lstm_sequence(i, c0_is_h0=True)]),
                     (Mistake.LSTM_CANDIDATE_SIGMOID, None, lambda i: [lstm_sequence(i, candidate=sigmoid)])]
    if model == "gru":
        variants += [(Mistake.GRU_INTERPOLATION_REVERSED, None, lambda i: [gru_sequence(i, reversed_update=True)]),
                     (Mistake.GRU_RESET_BEFORE_PRODUCT, None, lambda i: [gru_sequence(i, reset_before_product=True)])]
    return variants


def _rnn() -> Exercise:
    fwd, bwd = "rnn_forward", "rnn_backward"
    params = _params("x", SEQ_X, [("h0", "dh0")], [("Wx", "dWx"), ("Wh", "dWh"), ("b", "db")])
    checks = [
        ProbedValueCheck("rnn.forward", fwd, rnn_inputs, [Output("h", (0,), SEQ_H)], POINTS_VALUE,
                         model=lambda i: [rnn_sequence(i)],
                         probes=[variants_probe(_sequence_variants("rnn"), [(0,)]), causality_probe()]),
        _gradients("rnn", fwd, bwd, rnn_inputs, params,
                   [swapped_shapes_probe([("Wx", "Wh")]), time_step_probe(), carry_probe("rnn")]),
        *_mutations("rnn", fwd, bwd, rnn_inputs, _upstream("dh", seq=True)),
    ]
    return Exercise("rnn", msg("exercise.rnn"), MODULE, [fwd, bwd], checks, builds_on=("rnn_step",), section="rnn")


def _birnn() -> Exercise:
    fwd, bwd = "birnn_forward", "birnn_backward"
    params = _params("x", SEQ_X, [("h0_f", "dh0_f"), ("h0_b", "dh0_b")],
                     [("Wx_f", "dWx_f"), ("Wh_f", "dWh_f"), ("b_f", "db_f"),
                      ("Wx_b", "dWx_b"), ("Wh_b", "dWh_b"), ("b_b", "db_b")])
    checks = [
        ProbedValueCheck("birnn.forward", fwd, birnn_inputs, [Output("h", (0,), SEQ_H)], POINTS_VALUE,
                         model=lambda i: [np.concatenate(birnn_halves(i), axis=2)],
                         probes=[variants_probe(birnn_variants(), [(0,)]), causality_probe(bidirectional=True)]),
        _gradients("birnn", fwd, bwd, birnn_inputs, params,
                   [swapped_shapes_probe([("Wx_f", "Wh_f"), ("Wx_b", "Wh_b")]), time_step_probe(halves=2)]),
        *_mutations("birnn", fwd, bwd, birnn_inputs, _upstream("dh", seq=True, width=2 * H)),
    ]
    return Exercise("birnn", msg("exercise.birnn"), MODULE, [fwd, bwd], checks, builds_on=("rnn_step", "rnn"),
                    section="birnn")


def _lstm_step() -> Exercise:
    fwd, bwd = "lstm_step_forward", "lstm_step_backward"
    params = _params("x", STEP_X, [("prev_h", "dprev_h"), ("prev_c", "dprev_c")],
                     [("Wx", "dWx"), ("Wh", "dWh"), ("b", "db")], blocks=LSTM_BLOCKS)
    paths = [(0,), (1,)]
    sigmoid_candidate = (Mistake.LSTM_CANDIDATE_SIGMOID, None,
                         lambda i: list(lstm_cell(i["x"], i["prev_h"], i["prev_c"], i["Wx"], i["Wh"], i["b"],
                                                  candidate=sigmoid)[:2]))
    checks = [
        ProbedValueCheck("lstm_step.forward", fwd, lstm_step_inputs,
                         [Output("next_h", (0,), STATE), Output("next_c", (1,), STATE)], POINTS_VALUE,
                         model=lambda i: list(lstm_cell(i["x"], i["prev_h"], i["prev_c"], i["Wx"], i["Wh"],
                                                        i["b"])[:2]),
                         probes=[gate_order_probe("lstm_step", paths), variants_probe([sigmoid_candidate], paths),
                                 lstm_saturation_probe(sequence=False)]),
        _gradients("lstm_step", fwd, bwd, lstm_step_inputs, params,
                   [swapped_shapes_probe([("x", "prev_h"), ("Wx", "Wh")]), gate_probe(LSTM_GATES)], n_outputs=2),
        *_mutations("lstm_step", fwd, bwd, lstm_step_inputs, _upstream("dnext_h", "dnext_c")),
    ]
    return Exercise("lstm_step", msg("exercise.lstm_step"), MODULE, [fwd, bwd], checks, section="lstm")


def _lstm() -> Exercise:
    fwd, bwd = "lstm_forward", "lstm_backward"
    params = _params("x", SEQ_X, [("h0", "dh0")], [("Wx", "dWx"), ("Wh", "dWh"), ("b", "db")], blocks=LSTM_BLOCKS)
    checks = [
        ProbedValueCheck("lstm.forward", fwd, lstm_inputs, [Output("h", (0,), SEQ_H)], POINTS_VALUE,
                         model=lambda i: [lstm_sequence(i)], probes=[gate_order_probe("lstm_seq", [(0,)]),
                                 variants_probe(_sequence_variants("lstm"), [(0,)]),
                                 lstm_saturation_probe(sequence=True), causality_probe()]),
        _gradients("lstm", fwd, bwd, lstm_inputs, params,
                   [swapped_shapes_probe([("Wx", "Wh")]), time_step_probe(), carry_probe("lstm")]),
        *_mutations("lstm", fwd, bwd, lstm_inputs, _upstream("dh", seq=True)),
    ]
    return Exercise("lstm", msg("exercise.lstm"), MODULE, [fwd, bwd], checks, builds_on=("lstm_step",), section="lstm")


def _gru_step() -> Exercise:
    fwd, bwd = "gru_step_forward", "gru_step_backward"
    params = _params("x", STEP_X, [("prev_h", "dprev_h")],
                     [("Wx", "dWx"), ("Wh", "dWh"), ("bx", "dbx"), ("bh", "dbh")], blocks=GRU_BLOCKS)
    step = lambda i, **kw: [gru_cell(i["x"], i["prev_h"], i["Wx"], i["Wh"], i["bx"], i["bh"], **kw)[0]]
    variants = [(Mistake.GRU_INTERPOLATION_REVERSED, None, lambda i: step(i, reversed_update=True)),
                (Mistake.GRU_RESET_BEFORE_PRODUCT, None, lambda i: step(i, reset_before_product=True))]
    checks = [
        ProbedValueCheck("gru_step.forward", fwd, gru_step_inputs, [Output("next_h", (0,), STATE)], POINTS_VALUE,
                         model=lambda i: step(i),
                         probes=[gate_order_probe("gru_step", [(0,)]), variants_probe(variants, [(0,)]),
                                 gru_saturation_probe(sequence=False)]),
        _gradients("gru_step", fwd, bwd, gru_step_inputs, params,
                   [swapped_shapes_probe([("x", "prev_h"), ("Wx", "Wh")]), gate_probe(GRU_GATES)]),
        *_mutations("gru_step", fwd, bwd, gru_step_inputs, _upstream("dnext_h")),
    ]
    return Exercise("gru_step", msg("exercise.gru_step"), MODULE, [fwd, bwd], checks, section="gru")


def _gru() -> Exercise:
    fwd, bwd = "gru_forward", "gru_backward"
    params = _params("x", SEQ_X, [("h0", "dh0")], [("Wx", "dWx"), ("Wh", "dWh"), ("bx", "dbx"), ("bh", "dbh")],
                     blocks=GRU_BLOCKS)
    checks = [
        ProbedValueCheck("gru.forward", fwd, gru_inputs, [Output("h", (0,), SEQ_H)], POINTS_VALUE,
                         model=lambda i: [gru_sequence(i)],
                         probes=[gate_order_probe("gru_seq", [(0,)]), variants_probe(_sequence_variants("gru"), [(0,)]),
                                 gru_saturation_probe(sequence=True), causality_probe()]),
        _gradients("gru", fwd, bwd, gru_inputs, params,
                   [swapped_shapes_probe([("Wx", "Wh")]), time_step_probe(), carry_probe("gru")]),
        *_mutations("gru", fwd, bwd, gru_inputs, _upstream("dh", seq=True)),
    ]
    return Exercise("gru", msg("exercise.gru"), MODULE, [fwd, bwd], checks, builds_on=("gru_step",), section="gru")


def exercises() -> list[Exercise]:
    return [_rnn_step(), _rnn(), _birnn(), _lstm_step(), _lstm(), _gru_step(), _gru()]
