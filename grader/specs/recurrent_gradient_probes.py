"""Gradient probes of the recurrent exercises: why a backward's gradients are wrong.

Attached to a :class:`~grader.checks.gradient.GradientCheck`, a probe ``(check, ctx,
inputs, state) -> (messages, mistakes)`` runs when a gradient failed: upstream
gradient only on ``dnext_h`` or only on ``dnext_c``; upstream gradient at one time
step only (which step first goes wrong); the gradient reaching each gate's
pre-activation, sample by sample (which gate block carries the error, and whether
it is off by exactly the factor a known mistake produces).

The yardstick of every probe is the numerical derivative of the student's *own*
forward (:mod:`grader.checks.numeric`, the same central differences as the checks),
so probes work without the reference and never charge a forward bug to the
backward. A student's gate gradient is read off the bias gradient when the
upstream gradient sits on one sample only. The wrong-derivative factors are ratios
of forward quantities (:mod:`grader.specs.forwards`).

Over 400 lines: one job, the gradient probes of the recurrent exercises (carry, time
step, gate block), which share one yardstick and one table of known factors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..calls import Call, Handle
from ..checks import numeric
from ..checks.compare import TOL, agree, array_of, close
from ..checks.gradient import GradientCheck, Param
from ..checks.kinds import Inputs, extract
from ..checks.model import Context
from ..i18n import Message, msg
from ..mistakes import Mistake
from .forwards import gru_cell, lstm_cell, rnn_cell
from .recurrent_value_probes import Finding, guarded, merge, mistake_messages, names


def gradient_probes(*probes: Callable[..., Any]) -> list[Callable[..., Any]]:
    """The probes of one gradient check as a single guarded probe whose findings are
    merged (a mistake two probes recognise is named once)."""

    def probe(check: GradientCheck, ctx: Context, inputs: Inputs, state: dict[str, Any]) -> Finding:
        return merge([guarded(p, ctx, check, ctx, inputs, state) for p in probes])

    return [probe]



def student_backward(check: GradientCheck, ctx: Context, inputs: Inputs,
                     upstreams: Sequence[Sequence[np.ndarray]]) -> list[dict[str, np.ndarray | None] | None]:
    """The student's gradients (by parameter name, float64 arrays of the parameters'
    shapes or None) for each list of upstream gradients; each backward gets the
    cache of its own fresh forward call."""
    assert check.forward is not None
    fwd = ctx.call_many([Call(check.forward, tuple(inputs.values()), keep=(-1,)) for _ in upstreams])
    calls, index = [], []
    for k, (f, douts) in enumerate(zip(fwd, upstreams, strict=True)):
        if f.ok and isinstance(f.value, tuple) and f.value and isinstance(f.value[-1], Handle):
            calls.append(Call(check.func, tuple(douts) + (f.value[-1],)))
            index.append(k)
    shapes = {p.name: np.shape(check.param_value(inputs, p)) for p in check.params}
    result: list[dict[str, np.ndarray | None] | None] = [None] * len(upstreams)
    for k, o in zip(index, ctx.call_many(calls), strict=True):
        if o.ok:
            result[k] = {p.name: array_of(extract(o.value, check.grad_path(p))[0], shapes[p.name])
                         for p in check.params}
    return result


def own_differences(check: GradientCheck, ctx: Context, inputs: Inputs,
                    directions: Sequence[tuple[str, np.ndarray]]) -> list[list[np.ndarray] | None]:
    """For each (argument, direction v): the central differences of every output of
    the student's own forward (see :func:`grader.checks.numeric.differences`)."""
    return numeric.differences(ctx, check.forward_spec(inputs), inputs,
                               [numeric.Direction(arg, v) for arg, v in directions])


def _is_zero(g: np.ndarray | None) -> bool:
    return g is not None and bool(np.all(np.abs(g) <= 1e-12))


# ------------------------------------------------------------------ swapped slices
def swapped_shapes_probe(pairs: Sequence[tuple[str, str]]) -> Callable[..., Any]:
    """Mistake 14: the gradients of two stacked inputs come out exchanged (``dx`` with
    the shape of ``prev_h``, ``dWx`` with the shape of ``dWh``); D != H makes it visible."""

    def probe(check: GradientCheck, ctx: Context, inputs: Inputs, state: dict[str, Any]) -> Finding:
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
            return found + mistake_messages([Mistake.STACKED_SLICES_SWAPPED]), [Mistake.STACKED_SLICES_SWAPPED]
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
    ratio: Callable[[dict[str, Any]], np.ndarray]


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
    quantities: Callable[[Inputs], dict[str, Any]]
    candidates: tuple[Candidate, ...] = ()
    rules: tuple[Callable[[dict[str, Any]], Finding], ...] = ()


def gate_probe(model: GateModel) -> Callable[..., Any]:
    """Probe a one-step backward with the upstream gradient on one output at a time
    (for the LSTM: only ``dnext_h``, only ``dnext_c``) and one sample at a time.

    Reports, per setting, which gradients are wrong and which gate blocks carry the
    error; names a mistake when a block is off by exactly a candidate's factor."""

    def probe(check: GradientCheck, ctx: Context, inputs: Inputs, state: dict[str, Any]) -> Finding:
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
        param_dirs = {p.name: numeric.unit(rng, np.shape(check.param_value(inputs, p))) for p in check.params}
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
                     if not agree(numeric.along(full[p.name], param_dirs[p.name]),
                                   numeric.derivative(param_diffs[p.name], settings[name]))]
            data["wrong"][name] = [p.name for p in wrong]
            if len(model.upstream) > 1:
                messages.append(msg("recurrent.upstream.wrong", setting=name, grads=names([p.grad for p in wrong]))
                                if wrong else msg("recurrent.upstream.right", setting=name))
            # gate gradients, sample by sample
            sample_grads = [s.get(bias_param.name) if s is not None else None for s in per_sample]
            if any(g is None or g.shape != (G,) for g in sample_grads):
                continue
            student = np.stack([g for g in sample_grads if g is not None])  # (N, G)
            measured = np.array([[numeric.derivative(bias_diffs[j], [_only_sample(d, n) for d in settings[name]])
                                  or 0.0 for j in range(G)] for n in range(N)])
            blocks = {b: (student[:, k * width:(k + 1) * width], measured[:, k * width:(k + 1) * width])
                      for k, b in enumerate(model.blocks)}
            bad = [b for b, (s, m) in blocks.items() if not close(s, m, rtol=TOL.probe, scaled=True)]
            if wrong and not bad and len(model.blocks) > 1:
                messages.append(msg("recurrent.gates.right", setting=name, grads=names([p.grad for p in wrong])))
            elif bad and len(model.blocks) > 1:
                messages.append(msg("recurrent.gates.wrong", setting=name, blocks=names(bad)))
            for cand in model.candidates:
                if cand.setting != name or cand.mistake in mistakes or not all(b in bad for b in cand.blocks):
                    continue
                with np.errstate(all="ignore"):
                    ratio = np.asarray(cand.ratio(q), dtype=np.float64)
                if all(close(blocks[b][0], blocks[b][1] * ratio, rtol=TOL.probe, scaled=True) for b in cand.blocks):
                    mistakes.append(cand.mistake)
        for rule in model.rules:
            said, named = rule(data)
            messages.extend(said)
            mistakes.extend(x for x in named if x not in mistakes)
        return messages + mistake_messages(mistakes), mistakes

    return probe


def _only_sample(d: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros_like(d)
    out[n] = d[n]
    return out


def lstm_cell_state_rules(data: dict[str, Any]) -> Finding:
    """Mistakes 3 and 4, read off dprev_c.

    3: with the upstream gradient only on dnext_h, dprev_c comes out exactly 0 (the
    path from next_h into the cell state is missing). 4: with it only on dnext_c,
    dprev_c equals dnext_c (the forget gate's factor is missing)."""
    found: list[str] = []
    wrong, full, settings = data["wrong"], data["full"], data["settings"]
    if "prev_c" in wrong.get("dnext_h", []) and full.get("dnext_h") and _is_zero(full["dnext_h"].get("prev_c")):
        found.append(Mistake.LSTM_NO_DH_INTO_DC)
    if "prev_c" in wrong.get("dnext_c", []) and full.get("dnext_c") is not None:
        if close(full["dnext_c"].get("prev_c"), settings["dnext_c"][1], scaled=True):
            found.append(Mistake.LSTM_DPREV_C_WITHOUT_F)
    return [], found


# ------------------------------------------------------------------ one time step
def time_step_probe(halves: int = 1) -> Callable[..., Any]:
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

    def probe(check: GradientCheck, ctx: Context, inputs: Inputs, state: dict[str, Any]) -> Finding:
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

        v = numeric.unit(rng, (N, x.shape[2]))
        x_dirs = []
        for s in range(T):
            e = np.zeros(x.shape)
            e[:, s] = v
            x_dirs.append(("x", e))
        others = [p for p in check.params if p.argname != "x"]
        other_dirs = {p.name: numeric.unit(rng, np.shape(check.param_value(inputs, p))) for p in others}
        diffs = own_differences(check, ctx, inputs, x_dirs + [(p.argname, other_dirs[p.name]) for p in others])
        x_diffs, o_diffs = diffs[:T], dict(zip([p.name for p in others], diffs[T:], strict=True))
        x_param = next(p for p in check.params if p.argname == "x")

        messages: list[Message] = []
        right_steps: dict[int, list[str]] = {h: [] for h in range(halves)}
        rows: list[_StepRow] = []
        for (half, t, d), g in zip(settings, got, strict=True):
            gx = g.get(x_param.name) if g is not None else None
            if g is None or gx is None or gx.shape != x.shape:
                return [], []
            ana = [float(np.sum(gx[:, s] * v)) for s in range(T)]
            num = [numeric.derivative(x_diffs[s], [d]) for s in range(T)]
            bad_x = [s for s in range(T) if not agree(ana[s], num[s])]
            bad_o = [p for p in others if not agree(numeric.along(g.get(p.name), other_dirs[p.name]),
                                                      numeric.derivative(o_diffs[p.name], [d]))]
            rows.append(_StepRow(half, t, ana, num, bad_x, bad_o, g))
            label = _half_label(half, halves)
            if not bad_x and not bad_o:
                right_steps[half].append(str(t))
                continue
            grads = [x_param.grad] * bool(bad_x) + [p.grad for p in bad_o]
            if bad_x:
                # going back in time from t: for the backward half of a BiRNN, "back" is later steps
                order = sorted(bad_x, key=lambda s: (s > t, -s) if half == 0 else (s < t, s))
                messages.append(msg("recurrent.timestep.wrong", t=t, half=label, grads=names(grads),
                                    first=order[0], steps=names([str(s) for s in sorted(bad_x)])))
            else:
                messages.append(msg("recurrent.timestep.wrong_params", t=t, half=label, grads=names(grads)))
        for half, steps in right_steps.items():
            if steps:
                messages.append(msg("recurrent.timestep.right", steps=names(steps), half=_half_label(half, halves)))
        mixed_up = Mistake.BIRNN_DIRECTIONS if halves > 1 else Mistake.BPTT_TIME_ORDER
        found = _time_direction(rows, x_param.name, mixed_up, halves)
        mistakes = found[1]
        messages += found[0]
        if _not_carried(rows, x_param.name, [p.name for p in others if p.argname.startswith("h0")],
                        [p.name for p in others if p.argname.startswith(("W", "b"))]):
            mistakes.append(Mistake.BPTT_NOT_CARRIED)
        return messages + mistake_messages(mistakes), mistakes

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
                      and (n := row.numeric_x[s]) is not None and abs(n) < 1e-9]
        if wrong_side:
            return [msg("recurrent.timestep.wrong_side", t=row.t, half=_half_label(row.half, halves),
                        steps=names([str(s) for s in wrong_side]))], [mistake]
    for row in rows:
        t = row.t
        if t not in row.wrong_x:
            continue
        for other in rows:
            s = other.t
            if other.half == row.half and s != t and agree(row.along_x[t], other.numeric_x[s]) \
                    and not agree(row.numeric_x[t], other.numeric_x[s]):
                return [msg("recurrent.timestep.other_step", t=t, s=s)], [mistake]
    return [], []


def _not_carried(rows: list[_StepRow], x_name: str, h0_names: list[str], weight_names: list[str]) -> bool:
    """Mistake 7. With the upstream gradient only at the last step a layer reads, dx
    is right at that step but exactly 0 at every other step, and so is dh0 (nothing
    is carried back); or dx is right everywhere but the weight gradients are right
    only when the upstream gradient sits at the first step read (they are
    overwritten, not summed). A carry dropped on one path only (an LSTM that keeps
    dprev_c but drops dprev_h) is named by :func:`carry_probe`."""
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


# ------------------------------------------------------------------ carried gradients
CARRIED = {"rnn": ("h",), "gru": ("h",), "lstm": ("h", "c")}


def detached_sequence(model: str, inputs: Inputs, detach: str, base: Inputs) -> np.ndarray:
    """Hidden states (N, T, H) of a sequence layer in which the state ``detach`` ("h"
    or "c") that each step passes to the next is a constant: the states of a run on
    ``base`` (so no change of ``inputs`` reaches a later step along that path).
    Its derivatives are what BPTT computes when it drops that carry (mistake 7)."""
    def steps(inp: Inputs, fixed: list[tuple[np.ndarray, np.ndarray | None]] | None):
        x, h = inp["x"], inp["h0"]
        c = np.zeros_like(h) if model == "lstm" else None
        out = []
        for t in range(x.shape[1]):
            h_in, c_in = h, c
            if fixed is not None and t > 0:
                h_in = fixed[t - 1][0] if detach == "h" else h
                c_in = fixed[t - 1][1] if detach == "c" else c
            if model == "rnn":
                h = rnn_cell(x[:, t], h_in, inp["Wx"], inp["Wh"], inp["b"])
            elif model == "lstm":
                h, c, _ = lstm_cell(x[:, t], h_in, c_in, inp["Wx"], inp["Wh"], inp["b"])
            else:
                h = gru_cell(x[:, t], h_in, inp["Wx"], inp["Wh"], inp["bx"], inp["bh"])[0]
            out.append((h, c))
        return out

    fixed = steps(base, None)
    return np.stack([h for h, _ in steps(inputs, fixed)], axis=1)


def carry_probe(model: str) -> Callable[..., Any]:
    """Mistake 7 when only one of the carries is dropped: the student's dx equals the
    derivative of the layer with that carry detached (an LSTM that passes dprev_c
    back but not dprev_h, or the other way round), along two random directions."""

    def probe(check: GradientCheck, ctx: Context, inputs: Inputs, state: dict[str, Any]) -> Finding:
        douts = state.get("douts") or []
        gx = state["grads"].get("x")
        x = inputs["x"]
        if "x" not in state.get("failing", []) or len(douts) != 1 or gx is None or np.shape(gx) != x.shape:
            return [], []
        rng = ctx.rng(check.id + ".carry")
        directions = [numeric.unit(rng, x.shape) for _ in range(2)]
        ana = [float(np.sum(np.asarray(gx) * v)) for v in directions]
        h = numeric.H
        for detach in CARRIED[model]:
            num = []
            for v in directions:
                up = detached_sequence(model, {**inputs, "x": x + h * v}, detach, inputs)
                down = detached_sequence(model, {**inputs, "x": x - h * v}, detach, inputs)
                num.append(float(np.sum((up - down) / (2 * h) * douts[0])))
            if all(agree(a, n) for a, n in zip(ana, num, strict=True)):
                return [msg(f"recurrent.carry.{detach}")] + mistake_messages([Mistake.BPTT_NOT_CARRIED]), \
                    [Mistake.BPTT_NOT_CARRIED]
        return [], []

    return probe
