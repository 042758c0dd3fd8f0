"""Value probes of the recurrent exercises: why a forward output is wrong.

A probe runs only when a value check has already failed, so a correct submission
pays nothing for it; it is advice, never a verdict. Attached to a
:class:`ProbedValueCheck`, a probe ``(ctx, check, inputs, value, expected) ->
(messages, mistakes)`` may call the student's code again: the output matches a known
wrong variant (gate blocks read in another of the 24 orders, sigmoid for the
candidate, ``c0 = h0``, a BiRNN half not flipped back...), a saturated gate bias
shows what a gate really does, perturbing one time step shows whether information
flows the right way in time. The variants' outputs come from
:mod:`grader.specs.forwards`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..calls import Call
from ..checks.compare import TOL, as_float_array, close
from ..checks.kinds import Inputs, ValueCheck, extract
from ..checks.model import CheckResult, Context
from ..i18n import Message, msg
from ..mistakes import Mistake
from .forwards import (
    GRU_ORDER,
    LSTM_ORDER,
    birnn_halves,
    direction,
    gru_cell,
    gru_sequence,
    lstm_cell,
    lstm_sequence,
    rnn_sequence,
    side,
)

Finding = tuple[list[Message], list[str]]
ValueProbe = Callable[[Context, ValueCheck, Inputs, Any, list[Any]], Finding]
Variant = tuple[str, str | None, Callable[[Inputs], list[np.ndarray]]]


def guarded(probe: Callable[..., Finding], ctx: Context, *args: Any) -> Finding:
    """A probe's finding; a probe that fails costs the student nothing (and in a
    strict context, a test's, its exception propagates)."""
    try:
        return probe(*args)
    except Exception:
        if ctx.strict:
            raise
        return [], []


def merge(findings: Sequence[Finding]) -> Finding:
    """All findings in order, each message and mistake once."""
    messages: list[Message] = []
    mistakes: list[str] = []
    for m, k in findings:
        messages.extend(x for x in m if x not in messages)
        mistakes.extend(x for x in k if x not in mistakes)
    return messages, mistakes


def mistake_messages(mistakes: Sequence[str]) -> list[Message]:
    return [msg(f"mistake.{m}.found") for m in mistakes]


def names(items: Sequence[str]) -> str:
    return ", ".join(items)



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
            return [cat(birnn_halves(i)[0], direction(i, "f", i["x"][:, ::-1], h0_side)[:, ::-1])]
        return out

    def not_reversed(i):
        return [cat(birnn_halves(i)[0], direction(i, "b", i["x"]))]

    def h0_every_step(i):
        return [cat(rnn_sequence(side(i, "f"), h0_every_step=True),
                    rnn_sequence({**side(i, "b"), "x": i["x"][:, ::-1]}, h0_every_step=True)[:, ::-1])]

    return [(Mistake.BIRNN_DIRECTIONS, "recurrent.birnn.not_flipped", not_flipped),
            (Mistake.BIRNN_DIRECTIONS, "recurrent.birnn.order", swapped_halves),
            (Mistake.BIRNN_DIRECTIONS, "recurrent.birnn.shared", shared("b")),
            (Mistake.BIRNN_DIRECTIONS, "recurrent.birnn.shared", shared("f")),
            (Mistake.BIRNN_DIRECTIONS, "recurrent.birnn.not_reversed", not_reversed),
            (Mistake.INITIAL_STATE_REUSED, "recurrent.variant.h0_every_step", h0_every_step)]


@dataclass
class ProbedValueCheck(ValueCheck):
    """A :class:`ValueCheck` whose failures are explained by value probes, which may
    call the student's code again. The forward's cache stays in the child."""

    probes: list[ValueProbe] = field(default_factory=list)

    def call_student(self, ctx: Context, inputs: Inputs):
        return ctx.call(self.func, tuple(inputs.values()), keep=(-1,)), None

    def run(self, ctx: Context) -> list[CheckResult]:
        probes = self.probes

        def diagnose(inputs: Inputs, value: Any, expected: list[Any]) -> Finding:
            return merge([guarded(p, ctx, ctx, self, inputs, value, expected) for p in probes])

        return ValueCheck.run(replace(self, diagnose=diagnose, probes=[]), ctx)


def variants_probe(variants: Sequence[Variant], paths: Sequence[tuple[Any, ...]]) -> ValueProbe:
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
            if all(close(g, w, scaled=True) for (g, _), w in zip(got, want, strict=True)) and mistake not in mistakes:
                mistakes.append(mistake)
                if detail:
                    messages.append(msg(detail))
                messages.append(msg(f"mistake.{mistake}.found"))
        return messages, mistakes

    return probe


def gate_order_probe(model: str, paths: Sequence[tuple[Any, ...]]) -> ValueProbe:
    """Which ordering of the gate blocks makes the output right: the 24 orderings of
    the LSTM's i, f, o, g, or the 6 of the GRU's r, z, n (mistake 2)."""
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
            if all(close(g, w, scaled=True) for (g, _), w in zip(got, want, strict=True)):
                shown = ", ".join(order)
                order_msg = msg("recurrent.gate_order.lstm" if base == LSTM_ORDER else "recurrent.gate_order.gru",
                                order=shown)
                return [order_msg] + mistake_messages([Mistake.LSTM_GATE_ORDER]), [Mistake.LSTM_GATE_ORDER]
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
                    if close(h, lstm_sequence(p, c0_is_h0=True), rtol=TOL.probe, scaled=True):
                        mistakes.append(Mistake.INITIAL_STATE_REUSED)
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
                        mistakes.append(Mistake.LSTM_CANDIDATE_SIGMOID)
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
        return messages + mistake_messages(mistakes), mistakes

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
        reversed_ = close(h, wrong, rtol=TOL.probe, scaled=True)
        mistakes: list[str] = [Mistake.GRU_INTERPOLATION_REVERSED] if reversed_ else []
        return [msg("recurrent.saturated.gru_update", err=err)] + mistake_messages(mistakes), mistakes

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
                messages.append(msg("recurrent.causality.forward", t0=t0, steps=names([str(t) for t in early])))
                return messages + mistake_messages([Mistake.BPTT_TIME_ORDER]), [Mistake.BPTT_TIME_ORDER]
            return [], []
        half = h1.shape[2] // 2
        fwd = moved[:, :half].max(axis=1)
        bwd = moved[:, half:].max(axis=1)
        early = [t for t in range(t0) if fwd[t] > 1e-12]
        late = [t for t in range(t0 + 1, T) if bwd[t] > 1e-12]
        if early:
            messages.append(msg("recurrent.causality.forward_half", t0=t0, steps=names([str(t) for t in early])))
        if late:
            messages.append(msg("recurrent.causality.backward_half", t0=t0, steps=names([str(t) for t in late])))
        if messages:
            return messages + mistake_messages([Mistake.BIRNN_DIRECTIONS]), [Mistake.BIRNN_DIRECTIONS]
        return [], []

    return probe
