"""Probes that localise a fault in the recurrent exercises and name known mistakes.

A probe runs only when a check has already failed, so a correct submission pays
nothing for it. Two families:

* **value probes** (``(ctx, check, inputs, value, expected) -> (messages, mistakes)``),
  attached to a :class:`ProbedValueCheck`, explain a wrong forward output: the
  output matches a known wrong variant (gate blocks read in another of the 24
  orders, sigmoid for the candidate, ``c0 = h0``, a BiRNN half not flipped back...),
  a saturated gate bias shows what a gate really does, perturbing one time step
  shows whether information flows the right way in time;
* **gradient probes** (:data:`grader.checks.gradient.Probe`), attached to a
  :class:`~grader.checks.gradient.GradientCheck`, explain a wrong gradient: upstream
  gradient only on ``dnext_h`` or only on ``dnext_c``; upstream gradient at one time
  step only (which step first goes wrong); the gradient reaching each gate's
  pre-activation, sample by sample (which gate block carries the error, and whether
  it is off by exactly the factor a known mistake produces).

The yardstick of every gradient probe is the numerical derivative of the student's
*own* forward (central differences, the same step as the gradient checks), so probes
work without the reference and never charge a forward bug to the backward. A
student's gate gradient is read off the bias gradient when the upstream gradient
sits on one sample only. The forward formulas below (trusted, parent side) only
compute what a student making a known mistake would output; no backward pass is
written here, and the wrong-derivative factors are ratios of forward quantities.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..checks.compare import as_float_array
from ..checks.gradient import GRAD_TOL, GradientCheck, Param
from ..checks.gradient import H as STEP
from ..checks.kinds import Inputs, ValueCheck, extract
from ..checks.model import CheckResult, Context
from ..i18n import Message, msg
from ..sandbox.protocol import Handle
from ..sandbox.session import Call

Finding = tuple[list[Message], list[str]]
ValueProbe = Callable[[Context, ValueCheck, Inputs, Any, list], Finding]
Variant = tuple[str, str | None, Callable[[Inputs], list[np.ndarray]]]

# Tests set this to let a probe's own exception propagate; while grading, a probe
# that fails (it is advice, not a verdict) is skipped and costs the student nothing.
STRICT = False


def _guarded(probe: Callable[..., Finding], *args: Any) -> Finding:
    try:
        return probe(*args)
    except Exception:
        if STRICT:
            raise
        return [], []


def _merge(findings: Sequence[Finding]) -> Finding:
    """All findings in order, each message and mistake once."""
    messages: list[Message] = []
    mistakes: list[str] = []
    for m, k in findings:
        messages.extend(x for x in m if x not in messages)
        mistakes.extend(x for x in k if x not in mistakes)
    return messages, mistakes


def gradient_probes(*probes: Callable) -> list[Callable]:
    """The probes of one gradient check as a single guarded probe whose findings are
    merged (a mistake two probes recognise is named once)."""

    def probe(check: GradientCheck, ctx: Context, inputs: Inputs, state: dict) -> Finding:
        return _merge([_guarded(p, check, ctx, inputs, state) for p in probes])

    return [probe]


def _mistake_messages(mistakes: Sequence[str]) -> list[Message]:
    return [msg(f"mistake.{m}.found") for m in mistakes]


def _close(a: Any, b: np.ndarray, rtol: float = 1e-6) -> bool:
    a = as_float_array(a)
    b = np.asarray(b, dtype=np.float64)
    if a is None or a.shape != b.shape or not np.all(np.isfinite(a)):
        return False
    scale = max(1.0, float(np.max(np.abs(b)))) if b.size else 1.0
    return bool(np.allclose(a, b, rtol=rtol, atol=1e-9 * scale))


def _names(items: Sequence[str]) -> str:
    return ", ".join(items)


# =====================================================================================
# Forward formulas (what the reference computes, and what known mistakes compute)
# =====================================================================================
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


def run_sequence(step: Callable, x: np.ndarray, h0: np.ndarray, c0: np.ndarray | None = None,
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


def _direction(inp: Inputs, side: str, x: np.ndarray, h0_side: str | None = None) -> np.ndarray:
    return rnn_sequence({"x": x, "h0": inp[f"h0_{h0_side or side}"], "Wx": inp[f"Wx_{side}"],
                         "Wh": inp[f"Wh_{side}"], "b": inp[f"b_{side}"]})


def birnn_halves(inp: Inputs) -> tuple[np.ndarray, np.ndarray]:
    """The two (N, T, H) halves of a bidirectional RNN, aligned to the time index."""
    x = inp["x"]
    return _direction(inp, "f", x), _direction(inp, "b", x[:, ::-1])[:, ::-1]


def birnn_variants() -> list[Variant]:
    """(mistake, detail message key, outputs(inputs)) of known BiRNN mistakes (13, 9)."""
    cat = lambda a, b: np.concatenate([a, b], axis=2)

    def not_flipped(i):
        hf, hb = birnn_halves(i)
        return [cat(hf, hb[:, ::-1])]

    def swapped_halves(i):
        hf, hb = birnn_halves(i)
        return [cat(hb, hf)]

    def shared(h0_side):
        def out(i):
            return [cat(birnn_halves(i)[0], _direction(i, "f", i["x"][:, ::-1], h0_side)[:, ::-1])]
        return out

    def not_reversed(i):
        return [cat(birnn_halves(i)[0], _direction(i, "b", i["x"]))]

    def h0_every_step(i):
        return [cat(rnn_sequence(_side(i, "f"), h0_every_step=True),
                    rnn_sequence({**_side(i, "b"), "x": i["x"][:, ::-1]}, h0_every_step=True)[:, ::-1])]

    return [("13", "recurrent.birnn.not_flipped", not_flipped),
            ("13", "recurrent.birnn.order", swapped_halves),
            ("13", "recurrent.birnn.shared", shared("b")),
            ("13", "recurrent.birnn.shared", shared("f")),
            ("13", "recurrent.birnn.not_reversed", not_reversed),
            ("9", "recurrent.variant.h0_every_step", h0_every_step)]


def _side(inp: Inputs, side: str) -> Inputs:
    return {"x": inp["x"], "h0": inp[f"h0_{side}"], "Wx": inp[f"Wx_{side}"], "Wh": inp[f"Wh_{side}"],
            "b": inp[f"b_{side}"]}


# =====================================================================================
# Value checks with probes
# =====================================================================================
@dataclass
class ProbedValueCheck(ValueCheck):
    """A :class:`ValueCheck` whose failures are explained by value probes, which may
    call the student's code again. The forward's cache stays in the child."""

    probes: list[ValueProbe] = field(default_factory=list)

    def call_student(self, ctx: Context, inputs: Inputs):
        return ctx.call(self.func, tuple(inputs.values()), keep=(-1,)), None

    def run(self, ctx: Context) -> list[CheckResult]:
        probes = self.probes

        def diagnose(inputs: Inputs, value: Any, expected: list) -> Finding:
            return _merge([_guarded(p, ctx, self, inputs, value, expected) for p in probes])

        return ValueCheck.run(replace(self, diagnose=diagnose, probes=[]), ctx)


def variants_probe(variants: Sequence[Variant], paths: Sequence[tuple]) -> ValueProbe:
    """Name a known mistake when the student's outputs (at ``paths``) equal what a
    student making it would compute: ``(mistake, detail message key or None,
    outputs(inputs))``."""

    def probe(ctx, check, inputs, value, expected) -> Finding:
        got = [extract(value, p) for p in paths]
        if not all(found for _, found in got):
            return [], []
        messages: list[Message] = []
        mistakes: list[str] = []
        for mistake, detail, outputs in variants:
            with np.errstate(all="ignore"):
                want = outputs(inputs)
            if all(_close(g, w) for (g, _), w in zip(got, want, strict=True)) and mistake not in mistakes:
                mistakes.append(mistake)
                if detail:
                    messages.append(msg(detail))
                messages.append(msg(f"mistake.{mistake}.found"))
        return messages, mistakes

    return probe


def gate_order_probe(model: str, paths: Sequence[tuple]) -> ValueProbe:
    """Which ordering of the gate blocks makes the output right: the 24 orderings of
    the LSTM's i, f, o, g, or the 6 of the GRU's r, z, n (for the LSTM, mistake 2)."""
    base = LSTM_ORDER if model.startswith("lstm") else GRU_ORDER

    def outputs(inputs: Inputs, order: str) -> list[np.ndarray]:
        if model == "lstm_step":
            h, c, _ = lstm_cell(inputs["x"], inputs["prev_h"], inputs["prev_c"], inputs["Wx"], inputs["Wh"],
                                inputs["b"], order)
            return [h, c]
        if model == "gru_step":
            return [gru_cell(inputs["x"], inputs["prev_h"], inputs["Wx"], inputs["Wh"], inputs["bx"],
                             inputs["bh"], order)[0]]
        return [lstm_sequence(inputs, order) if model == "lstm_seq" else gru_sequence(inputs, order)]

    def probe(ctx, check, inputs, value, expected) -> Finding:
        got = [extract(value, p) for p in paths]
        if not all(found for _, found in got):
            return [], []
        for perm in itertools.permutations(base):
            order = "".join(perm)
            if order == base:
                continue
            want = outputs(inputs, order)
            if all(_close(g, w) for (g, _), w in zip(got, want, strict=True)):
                shown = ", ".join(order)
                if base == LSTM_ORDER:
                    return [msg("recurrent.gate_order.lstm", order=shown), msg("mistake.2.found")], ["2"]
                return [msg("recurrent.gate_order.gru", order=shown)], []
        return [], []

    return probe


# ------------------------------------------------------------------ saturated gates
SATURATED = 10.0  # a bias this large saturates a gate (sigmoid(10) = 0.99995)


def _saturated_inputs(inputs: Inputs, bias: str, blocks: str, values: dict[str, float]) -> Inputs:
    """Copy of ``inputs`` with small weights (x 0.1) and the named gate biases set."""
    new = {k: (np.array(v) * 0.1 if k.startswith("W") else np.array(v)) if isinstance(v, np.ndarray) else v
           for k, v in inputs.items()}
    width = new[bias].shape[0] // len(blocks)
    b = np.zeros_like(new[bias])
    for gate, val in values.items():
        k = blocks.index(gate)
        b[k * width:(k + 1) * width] = val
    new[bias] = b
    for other in ("bh",):
        if other in new and other != bias:
            new[other] = np.zeros_like(new[other])
    return new


def lstm_saturation_probe(sequence: bool) -> ValueProbe:
    """LSTM gates pushed into saturation by their biases.

    One step: (a) input gate open, forget gate closed, candidate strongly negative:
    next_c must be close to -1 (about 0 when the candidate uses sigmoid, mistake 1);
    (b) forget gate open, input gate closed: next_c must stay prev_c.
    Sequence: forget gate open, input gate closed, output gate open: the cell state
    stays at its start 0, so h stays near 0 (not when c0 = h0, mistake 9)."""
    S = SATURATED
    configs = ([("candidate", {"i": S, "f": -S, "o": S, "g": -S}), ("memory", {"i": -S, "f": S, "o": S, "g": 0.0})]
               if not sequence else [("memory_seq", {"i": -S, "f": S, "o": S, "g": 0.0})])

    def probe(ctx, check, inputs, value, expected) -> Finding:
        probes = [_saturated_inputs(inputs, "b", LSTM_ORDER, vals) for _, vals in configs]
        outs = ctx.call_many([Call(check.func, tuple(p.values()), keep=(-1,)) for p in probes])
        messages: list[Message] = []
        mistakes: list[str] = []
        fine: list[str] = []
        for (name, _), p, o in zip(configs, probes, outs, strict=True):
            if not o.ok or not isinstance(o.value, tuple):
                continue
            if name == "memory_seq":
                h = as_float_array(o.value[0])
                if h is None or h.shape != p["x"].shape[:2] + (p["h0"].shape[1],):
                    continue
                got = float(np.max(np.abs(h)))
                if got > 0.05:
                    messages.append(msg("recurrent.saturated.lstm_memory_seq", got=got))
                    if _close(h, lstm_sequence(p, c0_is_h0=True), rtol=1e-5):
                        mistakes.append("9")
                else:
                    fine.append(name)
                continue
            c = as_float_array(o.value[1]) if len(o.value) > 2 else None
            if c is None or c.shape != p["prev_c"].shape:
                continue
            if name == "candidate":
                got = float(np.mean(c))
                if abs(got + 1.0) > 0.05:
                    messages.append(msg("recurrent.saturated.lstm_candidate", got=got))
                    if abs(got) < 0.05:
                        mistakes.append("1")
                else:
                    fine.append(name)
            else:
                err = float(np.max(np.abs(c - p["prev_c"])))
                if err > 0.05:
                    messages.append(msg("recurrent.saturated.lstm_memory", err=err))
                else:
                    fine.append(name)
        if fine:
            messages.append(msg("recurrent.saturated.fine", probes=[msg(f"recurrent.saturated.name.{n}")
                                                                    for n in fine]))
        return messages + _mistake_messages(mistakes), mistakes

    return probe


def gru_saturation_probe(sequence: bool) -> ValueProbe:
    """Update gate pushed to 1 by its bias: the GRU must keep its state (next_h close
    to prev_h; over a sequence, h close to h0). Reversed interpolation (mistake 11)
    gives the new state n instead."""

    def probe(ctx, check, inputs, value, expected) -> Finding:
        p = _saturated_inputs(inputs, "bx", GRU_ORDER, {"z": SATURATED})
        o = ctx.call(check.func, tuple(p.values()), keep=(-1,))
        if not o.ok or not isinstance(o.value, tuple):
            return [], []
        h = as_float_array(o.value[0])
        start = p["h0"] if sequence else p["prev_h"]
        want_shape = (p["x"].shape[0], p["x"].shape[1], start.shape[1]) if sequence else start.shape
        if h is None or h.shape != want_shape:
            return [], []
        kept = h - (start[:, None, :] if sequence else start)
        err = float(np.max(np.abs(kept)))
        if err <= 0.05:
            return [msg("recurrent.saturated.fine", probes=[msg("recurrent.saturated.name.update")])], []
        wrong = (gru_sequence(p, reversed_update=True) if sequence else
                 gru_cell(p["x"], p["prev_h"], p["Wx"], p["Wh"], p["bx"], p["bh"], reversed_update=True)[0])
        mistakes = ["11"] if _close(h, wrong, rtol=1e-5) else []
        return [msg("recurrent.saturated.gru_update", err=err)] + _mistake_messages(mistakes), mistakes

    return probe


# ------------------------------------------------------------------ time direction
def causality_probe(bidirectional: bool = False) -> ValueProbe:
    """Change x at one time step t0 only. A forward-in-time layer may change only at
    steps t >= t0; the backward layer of a BiRNN only at t <= t0. A violation means
    the sequence is read in the wrong direction (mistake 8) or, for the BiRNN, a
    half is not aligned to the time index (mistake 13)."""

    def probe(ctx, check, inputs, value, expected) -> Finding:
        x = inputs["x"]
        T = x.shape[1]
        t0 = T // 2
        x2 = x.copy()
        x2[:, t0] += 1.0
        changed = {**inputs, "x": x2}
        a, b = ctx.call_many([Call(check.func, tuple(inputs.values()), keep=(-1,)),
                              Call(check.func, tuple(changed.values()), keep=(-1,))])
        if not (a.ok and b.ok and isinstance(a.value, tuple) and isinstance(b.value, tuple)):
            return [], []
        h1, h2 = as_float_array(a.value[0]), as_float_array(b.value[0])
        if h1 is None or h2 is None or h1.shape != h2.shape or h1.ndim != 3 or h1.shape[1] != T:
            return [], []
        moved = np.max(np.abs(h2 - h1), axis=(0, 2) if not bidirectional else (0,))  # (T,) or (T, K)
        messages: list[Message] = []
        if not bidirectional:
            early = [t for t in range(t0) if moved[t] > 1e-12]
            if early:
                messages.append(msg("recurrent.causality.forward", t0=t0, steps=_names([str(t) for t in early])))
                return messages + _mistake_messages(["8"]), ["8"]
            return [], []
        half = h1.shape[2] // 2
        fwd = moved[:, :half].max(axis=1)
        bwd = moved[:, half:].max(axis=1)
        early = [t for t in range(t0) if fwd[t] > 1e-12]
        late = [t for t in range(t0 + 1, T) if bwd[t] > 1e-12]
        if early:
            messages.append(msg("recurrent.causality.forward_half", t0=t0, steps=_names([str(t) for t in early])))
        if late:
            messages.append(msg("recurrent.causality.backward_half", t0=t0, steps=_names([str(t) for t in late])))
        if messages:
            return messages + _mistake_messages(["13"]), ["13"]
        return [], []

    return probe


# =====================================================================================
# Gradient probes
# =====================================================================================
def _grad_path(check: GradientCheck, p: Param) -> tuple:
    return p.grad_path if p.grad_path else ((check.params.index(p),) if len(check.params) > 1 else ())


def student_backward(check: GradientCheck, ctx: Context, inputs: Inputs,
                     upstreams: Sequence[Sequence[np.ndarray]]) -> list[dict[str, np.ndarray | None] | None]:
    """The student's gradients (by parameter name) for each list of upstream gradients;
    each backward gets the cache of its own fresh forward call."""
    fwd = ctx.call_many([Call(check.forward, tuple(inputs.values()), keep=(-1,)) for _ in upstreams])
    calls, index = [], []
    for k, (f, douts) in enumerate(zip(fwd, upstreams, strict=True)):
        if f.ok and isinstance(f.value, tuple) and f.value and isinstance(f.value[-1], Handle):
            calls.append(Call(check.func, tuple(douts) + (f.value[-1],)))
            index.append(k)
    result: list[dict[str, np.ndarray | None] | None] = [None] * len(upstreams)
    for k, o in zip(index, ctx.call_many(calls), strict=True):
        if o.ok:
            result[k] = {p.name: as_float_array(extract(o.value, _grad_path(check, p))[0]) for p in check.params}
    return result


def own_differences(check: GradientCheck, ctx: Context, inputs: Inputs,
                    directions: Sequence[tuple[str, np.ndarray]]) -> list[list[np.ndarray] | None]:
    """For each (argument, direction v): the central differences
    ``(out_k(arg + h v) - out_k(arg - h v)) / 2h`` of every output of the student's
    own forward. The numerical derivative of ``sum_k <out_k, dout_k>`` along v is then
    ``sum_k <difference_k, dout_k>`` for any upstream gradients (it is linear in them)."""
    batch = []
    for arg, v in directions:
        for sign in (1.0, -1.0):
            new = dict(inputs)
            new[arg] = inputs[arg] + sign * STEP * v
            batch.append(Call(check.forward, tuple(new.values()), keep=(-1,)))
    outs = ctx.call_many(batch)
    result: list[list[np.ndarray] | None] = []
    for k in range(len(directions)):
        plus, minus = outs[2 * k], outs[2 * k + 1]
        diffs: list[np.ndarray] | None = []
        for j in range(check.n_outputs):
            a = as_float_array(plus.value[j]) if plus.ok and isinstance(plus.value, tuple) else None
            b = as_float_array(minus.value[j]) if minus.ok and isinstance(minus.value, tuple) else None
            if a is None or b is None or a.shape != b.shape:
                diffs = None
                break
            diffs.append((a - b) / (2 * STEP))
        result.append(diffs)
    return result


def _numeric(diffs: list[np.ndarray] | None, douts: Sequence[np.ndarray]) -> float | None:
    if diffs is None or any(d.shape != u.shape for d, u in zip(diffs, douts, strict=True)):
        return None
    return float(sum(np.sum(d * u) for d, u in zip(diffs, douts, strict=True)))


def _agree(analytic: float | None, numeric: float | None) -> bool:
    if analytic is None or numeric is None:
        return False
    return abs(analytic - numeric) / max(abs(analytic), abs(numeric), 1e-6) <= GRAD_TOL


def _along(g: np.ndarray | None, v: np.ndarray) -> float | None:
    if g is None or g.shape != v.shape or not np.all(np.isfinite(g)):
        return None
    return float(np.sum(g * v))


def _unit(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    v = rng.standard_normal(shape)
    return v / max(float(np.linalg.norm(v)), 1e-12)


def _is_zero(g: np.ndarray | None) -> bool:
    return g is not None and bool(np.all(np.abs(g) <= 1e-12))


# ------------------------------------------------------------------ swapped slices
def swapped_shapes_probe(pairs: Sequence[tuple[str, str]]) -> Callable:
    """Mistake 14: the gradients of two stacked inputs come out exchanged (``dx`` with
    the shape of ``prev_h``, ``dWx`` with the shape of ``dWh``); D != H makes it visible."""

    def probe(check: GradientCheck, ctx: Context, inputs: Inputs, state: dict) -> Finding:
        by_name = {p.name: p for p in check.params}
        grads = state["grads"]
        found = []
        for a, b in pairs:
            pa, pb = by_name[a], by_name[b]
            va, vb = np.shape(check.param_value(inputs, pa)), np.shape(check.param_value(inputs, pb))
            ga, gb = np.shape(grads.get(a)) if grads.get(a) is not None else None, \
                np.shape(grads.get(b)) if grads.get(b) is not None else None
            if va != vb and (ga == vb or gb == va):
                found.append(msg("recurrent.swapped", a=pa.grad, b=pb.grad, shape_a=str(va), shape_b=str(vb)))
        if found:
            return found + _mistake_messages(["14"]), ["14"]
        return [], []

    return probe


# ------------------------------------------------------------------ gate gradients
@dataclass(frozen=True)
class Candidate:
    """A known wrong gate gradient: with the upstream gradient only on ``setting``, the
    student's gradient of each gate block in ``blocks`` equals the right one times
    ``ratio(quantities)`` (an (N, H) factor of forward quantities)."""

    mistake: str
    setting: str
    blocks: tuple[str, ...]
    ratio: Callable[[dict], np.ndarray]


@dataclass(frozen=True)
class GateModel:
    """How to read one recurrent cell's gate gradients.

    ``bias`` is the argument whose gradient, with the upstream gradient on one sample
    only, equals that sample's gradient of the gate pre-activations (blocks in the
    order ``blocks``); ``upstream`` names the forward outputs (one setting each: the
    upstream gradient on that output only); ``quantities(inputs)`` gives the forward
    quantities the candidates' ratios use."""

    blocks: tuple[str, ...]
    bias: str
    upstream: tuple[str, ...]
    quantities: Callable[[Inputs], dict]
    candidates: tuple[Candidate, ...] = ()
    rules: tuple[Callable[[dict], Finding], ...] = ()


def gate_probe(model: GateModel) -> Callable:
    """Probe a one-step backward with the upstream gradient on one output at a time
    (for the LSTM: only ``dnext_h``, only ``dnext_c``) and one sample at a time.

    Reports, per setting, which gradients are wrong and which gate blocks carry the
    error; names a mistake when a block is off by exactly a candidate's factor."""

    def probe(check: GradientCheck, ctx: Context, inputs: Inputs, state: dict) -> Finding:
        douts = state.get("douts") or []
        if len(douts) != len(model.upstream):
            return [], []
        rng = ctx.rng(check.id + ".gates")
        N = douts[0].shape[0]
        bias_param = next(p for p in check.params if p.argname == model.bias)
        G = np.shape(inputs[model.bias])[0]
        width = G // len(model.blocks)
        q = model.quantities(inputs)

        # settings: upstream gradient on one output only, all samples / one sample
        settings: dict[str, list[np.ndarray]] = {}
        for k, name in enumerate(model.upstream):
            settings[name] = [rng.standard_normal(d.shape) if j == k else np.zeros(d.shape)
                              for j, d in enumerate(douts)]
        requests = []
        for name in model.upstream:
            requests.append(settings[name])
            for n in range(N):
                requests.append([_only_sample(d, n) for d in settings[name]])
        got = student_backward(check, ctx, inputs, requests)

        # numerical yardstick: every bias coordinate, one random direction per parameter
        dirs: list[tuple[str, np.ndarray]] = []
        for j in range(G):
            e = np.zeros(G)
            e[j] = 1.0
            dirs.append((model.bias, e))
        param_dirs = {p.name: _unit(rng, np.shape(check.param_value(inputs, p))) for p in check.params}
        dirs += [(p.argname, param_dirs[p.name]) for p in check.params]
        diffs = own_differences(check, ctx, inputs, dirs)
        bias_diffs, param_diffs = diffs[:G], dict(zip([p.name for p in check.params], diffs[G:], strict=True))

        messages: list[Message] = []
        mistakes: list[str] = []
        data: dict[str, Any] = {"settings": settings, "wrong": {}, "full": {}, "q": q, "inputs": inputs}
        at = 0
        for name in model.upstream:
            full, per_sample = got[at], got[at + 1:at + 1 + N]
            at += 1 + N
            data["full"][name] = full
            if full is None:
                continue
            wrong = [p for p in check.params
                     if not _agree(_along(full[p.name], param_dirs[p.name]),
                                   _numeric(param_diffs[p.name], settings[name]))]
            data["wrong"][name] = [p.name for p in wrong]
            if len(model.upstream) > 1:
                messages.append(msg("recurrent.upstream.wrong", setting=name, grads=_names([p.grad for p in wrong]))
                                if wrong else msg("recurrent.upstream.right", setting=name))
            # gate gradients, sample by sample
            if any(s is None or s[bias_param.name] is None or s[bias_param.name].shape != (G,) for s in per_sample):
                continue
            student = np.stack([s[bias_param.name] for s in per_sample])  # (N, G)
            numeric = np.array([[_numeric(bias_diffs[j], [_only_sample(d, n) for d in settings[name]]) or 0.0
                                 for j in range(G)] for n in range(N)])
            blocks = {b: (student[:, k * width:(k + 1) * width], numeric[:, k * width:(k + 1) * width])
                      for k, b in enumerate(model.blocks)}
            bad = [b for b, (s, m) in blocks.items() if not _close(s, m, rtol=1e-5)]
            if wrong and not bad and len(model.blocks) > 1:
                messages.append(msg("recurrent.gates.right", setting=name, grads=_names([p.grad for p in wrong])))
            elif bad and len(model.blocks) > 1:
                messages.append(msg("recurrent.gates.wrong", setting=name, blocks=_names(bad)))
            for cand in model.candidates:
                if cand.setting != name or cand.mistake in mistakes or not all(b in bad for b in cand.blocks):
                    continue
                with np.errstate(all="ignore"):
                    ratio = np.asarray(cand.ratio(q), dtype=np.float64)
                if all(_close(blocks[b][0], blocks[b][1] * ratio, rtol=1e-5) for b in cand.blocks):
                    mistakes.append(cand.mistake)
        for rule in model.rules:
            m, k = rule(data)
            messages.extend(m)
            mistakes.extend(x for x in k if x not in mistakes)
        return messages + _mistake_messages(mistakes), mistakes

    return probe


def _only_sample(d: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros_like(d)
    out[n] = d[n]
    return out


def lstm_cell_state_rules(data: dict) -> Finding:
    """Mistakes 3 and 4, read off dprev_c.

    3: with the upstream gradient only on dnext_h, dprev_c comes out exactly 0 (the
    path from next_h into the cell state is missing). 4: with it only on dnext_c,
    dprev_c equals dnext_c (the forget gate's factor is missing)."""
    found: list[str] = []
    wrong, full, settings = data["wrong"], data["full"], data["settings"]
    if "prev_c" in wrong.get("dnext_h", []) and full.get("dnext_h") and _is_zero(full["dnext_h"].get("prev_c")):
        found.append("3")
    if "prev_c" in wrong.get("dnext_c", []) and full.get("dnext_c") is not None:
        if _close(full["dnext_c"].get("prev_c"), settings["dnext_c"][1]):
            found.append("4")
    return [], found


# ------------------------------------------------------------------ one time step
def time_step_probe(halves: int = 1) -> Callable:
    """Probe a sequence backward with the upstream gradient at one time step only
    (for a BiRNN: on one half of dh at one step). The same upstream vector is used at
    every step, so the right dx at step s with the upstream at s is the local
    gradient of step s.

    Reports, per time step, which gradients are wrong and where dx first goes wrong
    going back in time. Names mistake 7 when the gradient is not carried back (dx
    and dh0 exactly 0 before the last step) or the weight gradients are overwritten
    (right with the upstream at step 0 only), mistake 8 (13 for the BiRNN) when dx
    appears on the wrong side of the step, or when a step's dx is the local gradient
    of another step (a wrong cache index)."""

    def probe(check: GradientCheck, ctx: Context, inputs: Inputs, state: dict) -> Finding:
        douts = state.get("douts") or []
        x = inputs["x"]
        N, T, _ = x.shape
        if len(douts) != 1 or douts[0].ndim != 3 or douts[0].shape[:2] != (N, T):
            return [], []
        K = douts[0].shape[2]
        if K % halves:
            return [], []
        width = K // halves
        rng = ctx.rng(check.id + ".timesteps")
        u = rng.standard_normal((N, width))
        settings = []
        for half in range(halves):
            for t in range(T):
                d = np.zeros(douts[0].shape)
                d[:, t, half * width:(half + 1) * width] = u
                settings.append((half, t, d))
        got = student_backward(check, ctx, inputs, [[d] for _, _, d in settings])

        v = _unit(rng, (N, x.shape[2]))
        x_dirs = []
        for s in range(T):
            e = np.zeros(x.shape)
            e[:, s] = v
            x_dirs.append(("x", e))
        others = [p for p in check.params if p.argname != "x"]
        other_dirs = {p.name: _unit(rng, np.shape(check.param_value(inputs, p))) for p in others}
        diffs = own_differences(check, ctx, inputs, x_dirs + [(p.argname, other_dirs[p.name]) for p in others])
        x_diffs, o_diffs = diffs[:T], dict(zip([p.name for p in others], diffs[T:], strict=True))
        x_param = next(p for p in check.params if p.argname == "x")

        messages: list[Message] = []
        right_steps: dict[int, list[str]] = {h: [] for h in range(halves)}
        rows: list[_StepRow] = []
        for (half, t, d), g in zip(settings, got, strict=True):
            if g is None or g.get(x_param.name) is None or g[x_param.name].shape != x.shape:
                return [], []
            gx = g[x_param.name]
            ana = [float(np.sum(gx[:, s] * v)) for s in range(T)]
            num = [_numeric(x_diffs[s], [d]) for s in range(T)]
            bad_x = [s for s in range(T) if not _agree(ana[s], num[s])]
            bad_o = [p for p in others if not _agree(_along(g.get(p.name), other_dirs[p.name]),
                                                      _numeric(o_diffs[p.name], [d]))]
            rows.append(_StepRow(half, t, ana, num, bad_x, bad_o, g))
            label = _half_label(half, halves)
            if not bad_x and not bad_o:
                right_steps[half].append(str(t))
                continue
            grads = [x_param.grad] * bool(bad_x) + [p.grad for p in bad_o]
            if bad_x:
                # going back in time from t: for the backward half of a BiRNN, "back" is later steps
                order = sorted(bad_x, key=lambda s: (s > t, -s) if half == 0 else (s < t, s))
                messages.append(msg("recurrent.timestep.wrong", t=t, half=label, grads=_names(grads),
                                    first=order[0], steps=_names([str(s) for s in sorted(bad_x)])))
            else:
                messages.append(msg("recurrent.timestep.wrong_params", t=t, half=label, grads=_names(grads)))
        for half, steps in right_steps.items():
            if steps:
                messages.append(msg("recurrent.timestep.right", steps=_names(steps), half=_half_label(half, halves)))
        found = _time_direction(rows, x_param.name, "13" if halves > 1 else "8", halves)
        mistakes = found[1]
        messages += found[0]
        if _not_carried(rows, x_param.name, [p.name for p in others if p.argname.startswith("h0")],
                        [p.name for p in others if p.argname.startswith(("W", "b"))]):
            mistakes.append("7")
        return messages + _mistake_messages(mistakes), mistakes

    return probe


@dataclass(frozen=True)
class _StepRow:
    """The time-step probe's findings for one setting (upstream only at step t of a half)."""

    half: int
    t: int
    along_x: list[float]  # the student's dx at each step, projected on the probe direction
    numeric_x: list[float | None]  # the same from the student's own forward
    wrong_x: list[int]  # steps where they disagree
    wrong_other: list[Param]
    grads: dict[str, np.ndarray | None]


def _half_label(half: int, halves: int) -> Message | str:
    return msg(f"recurrent.half.{'backward' if half else 'forward'}") if halves > 1 else ""


def _time_direction(rows: list[_StepRow], x_name: str, mistake: str, halves: int) -> Finding:
    """A dx on the wrong side of the step that received the upstream gradient, or a
    step's dx equal to another step's local gradient: time steps are mixed up."""
    for row in rows:
        gx = row.grads[x_name]
        assert gx is not None
        T = gx.shape[1]
        wrong_side = [s for s in range(T) if (s > row.t if row.half == 0 else s < row.t)
                      and np.max(np.abs(gx[:, s])) > 1e-9
                      and row.numeric_x[s] is not None and abs(row.numeric_x[s]) < 1e-9]
        if wrong_side:
            return [msg("recurrent.timestep.wrong_side", t=row.t, half=_half_label(row.half, halves),
                        steps=_names([str(s) for s in wrong_side]))], [mistake]
    for row in rows:
        t = row.t
        if t not in row.wrong_x:
            continue
        for other in rows:
            s = other.t
            if other.half == row.half and s != t and _agree(row.along_x[t], other.numeric_x[s]) \
                    and not _agree(row.numeric_x[t], other.numeric_x[s]):
                return [msg("recurrent.timestep.other_step", t=t, s=s)], [mistake]
    return [], []


def _not_carried(rows: list[_StepRow], x_name: str, h0_names: list[str], weight_names: list[str]) -> bool:
    """Mistake 7. With the upstream gradient only at the last step a layer reads, dx
    is right at that step but exactly 0 at every other step, and so is dh0 (nothing
    is carried back); or dx is right everywhere but the weight gradients are right
    only when the upstream gradient sits at the first step read (they are
    overwritten, not summed). A carry dropped on one path only (an LSTM that keeps
    dprev_c but drops dprev_h) is localised by the messages but not named."""
    T = len(rows[0].along_x)
    for row in rows:
        if row.t != (T - 1 if row.half == 0 else 0):
            continue
        gx = row.grads[x_name]
        assert gx is not None
        before = [s for s in range(T) if s != row.t]
        h0 = h0_names[row.half:row.half + 1] or h0_names
        if row.t not in row.wrong_x and any(s in row.wrong_x for s in before) \
                and all(np.all(np.abs(gx[:, s]) <= 1e-12) for s in before) \
                and all(_is_zero(row.grads.get(n)) for n in h0):
            return True
    if any(row.wrong_x for row in rows):
        return False
    first = [row for row in rows if row.t == (0 if row.half == 0 else T - 1)]
    later = [row for row in rows if row.t != (0 if row.half == 0 else T - 1)]
    only_weights = all(p.name in weight_names for row in rows for p in row.wrong_other)
    return only_weights and not any(row.wrong_other for row in first) and any(row.wrong_other for row in later)
