"""The numerical-gradient core: central differences of the student's own forward
pass, used by every gradient check, probe and experiment.

A forward pass is called with one argument moved by ``+h v`` and ``-h v``
(``h =`` :data:`H`, ``v`` a unit direction or a single coordinate), and the
difference of each output, divided by ``2h``, is its derivative along ``v``. The
numerical derivative of the scalar ``L = sum_k <out_k, dout_k>`` along ``v`` is
then ``sum_k <difference_k, dout_k>`` for any upstream gradients ``dout_k`` (it is
linear in them), so one batch of calls serves every upstream gradient a probe
tries. A loss is the one-output case with ``dout = 1``.

Output shapes are the caller's (the reference's outputs or the spec's declared
shapes), never the student's: an output of another shape makes that difference
unavailable, it is not resized. Tolerances are those of
:data:`grader.checks.compare.TOL`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..calls import Call
from .compare import TOL, agree, array_of
from .copies import fresh
from .model import Context

H = 1e-5  # the step of every central difference
DIRECTIONS = 2  # random unit directions per gradient (cheap); coordinates only to localise
ANSWER_SLACK = 1 << 16  # bytes a forward's answer may hold beyond its declared outputs (a loss's gradients)

Inputs = dict[str, Any]
Path = tuple[Any, ...]


@dataclass(frozen=True)
class Direction:
    """Move the input ``arg`` (at ``path`` inside it, for dict inputs) along ``v``."""

    arg: str
    v: np.ndarray
    path: Path = ()


@dataclass(frozen=True)
class Forward:
    """How to call a student's forward pass for differences: ``func`` returns its
    outputs first (then its cache, kept by the caller, when ``cache`` is set);
    ``shapes`` are the outputs' expected shapes (trusted)."""

    func: str
    shapes: tuple[tuple[int, ...], ...]
    cache: bool = True


def unit(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """A random direction of norm 1."""
    v = rng.standard_normal(shape)
    return v / max(float(np.linalg.norm(v)), 1e-12)


def coordinate(shape: tuple[int, ...], flat_index: int) -> np.ndarray:
    """The unit vector of one coordinate."""
    e = np.zeros(int(np.prod(shape)))
    e[flat_index] = 1.0
    return e.reshape(shape)


def moved(inputs: Inputs, d: Direction, step: float) -> Inputs:
    """A copy of ``inputs`` with ``d.arg`` (at ``d.path``) moved by ``step * d.v``."""
    new = dict(inputs)
    if not d.path:
        new[d.arg] = inputs[d.arg] + step * d.v
        return new
    target = fresh(inputs[d.arg])
    holder = target
    for key in d.path[:-1]:
        holder = holder[key]
    holder[d.path[-1]] = holder[d.path[-1]] + step * d.v
    new[d.arg] = target
    return new


def moved_copy(inputs: Inputs, d: Direction, step: float) -> Inputs:
    """``fresh(moved(inputs, d, step))`` (a private copy for a trusted function, which
    may change its arguments), copying each array once instead of twice."""
    memo: dict[int, Any] = {}
    new = {}
    for k, value in inputs.items():
        if k != d.arg:
            new[k] = fresh(value, memo)
        elif not d.path:
            new[k] = value + step * d.v  # a new array: nothing else holds it
        else:  # the copy of the moved argument shares nothing with the others' copies
            target = fresh(value)
            holder = target
            for key in d.path[:-1]:
                holder = holder[key]
            holder[d.path[-1]] = holder[d.path[-1]] + step * d.v
            new[k] = target
    return new


def outputs_of(value: Any, forward: Forward) -> list[np.ndarray] | None:
    """The forward's outputs as float64 arrays of the declared shapes, or None."""
    n = len(forward.shapes)
    if not isinstance(value, (tuple, list)) or len(value) < n + int(forward.cache):
        return None
    out = [array_of(value[k], shape) for k, shape in enumerate(forward.shapes)]
    return None if any(o is None for o in out) else out  # type: ignore[return-value]


def _arrays(v: Any) -> list[np.ndarray]:
    if isinstance(v, np.ndarray):
        return [v]
    if isinstance(v, (list, tuple)):
        return [a for x in v for a in _arrays(x)]
    if isinstance(v, dict):
        return [a for x in v.values() for a in _arrays(x)]
    return []


def differences(ctx: Context, forward: Forward, inputs: Inputs,
                directions: Sequence[Direction], h: float = H) -> list[list[np.ndarray] | None]:
    """For each direction: ``(out_k(+h v) - out_k(-h v)) / 2h`` for every output k,
    or None when a call failed or returned an output of another shape."""
    return differences_at(ctx, forward, inputs, [(d, h) for d in directions])


def differences_at(ctx: Context, forward: Forward, inputs: Inputs,
                   steps: Sequence[tuple[Direction, float]]) -> list[list[np.ndarray] | None]:
    """:func:`differences` for each ``(direction, h)`` of ``steps``, each with its own
    step ``h``, all in one request."""
    keep = (-1,) if forward.cache else ()
    # Only the declared outputs are read (and a loss's gradients, the size of its inputs):
    # an answer much larger than them is not kept.
    expected = ANSWER_SLACK + 16 * sum(int(np.prod(s)) for s in forward.shapes)
    if not forward.cache:
        expected += 2 * sum(a.nbytes for a in _arrays(inputs))
    calls = [Call(forward.func, tuple(moved(inputs, d, sign * h).values()), keep=keep, answer_bytes=expected)
             for d, h in steps for sign in (1.0, -1.0)]
    outcomes = ctx.call_many(calls)
    result: list[list[np.ndarray] | None] = []
    for k, (_, h) in enumerate(steps):
        plus, minus = outcomes[2 * k], outcomes[2 * k + 1]
        a = outputs_of(plus.value, forward) if plus.ok else None
        b = outputs_of(minus.value, forward) if minus.ok else None
        if a is None or b is None:
            result.append(None)
            continue
        with np.errstate(all="ignore"):
            result.append([(x - y) / (2 * h) for x, y in zip(a, b, strict=True)])
    return result


def trusted_differences(fn: Any, forward: Forward, inputs: Inputs,
                        directions: Sequence[Direction]) -> list[list[np.ndarray] | None]:
    """The same differences of a trusted function (the reference), in the parent."""
    result: list[list[np.ndarray] | None] = []
    for d in directions:
        pair = [outputs_of(fn(**moved_copy(inputs, d, sign * H)), forward) for sign in (1.0, -1.0)]
        if pair[0] is None or pair[1] is None:
            result.append(None)
            continue
        result.append([(x - y) / (2 * H) for x, y in zip(pair[0], pair[1], strict=True)])
    return result


def derivative(diffs: list[np.ndarray] | None, douts: Sequence[np.ndarray]) -> float | None:
    """The numerical derivative of ``sum_k <out_k, dout_k>`` from the differences."""
    if diffs is None or len(diffs) != len(douts):
        return None
    with np.errstate(all="ignore"):
        total = float(sum(np.sum(d * u) for d, u in zip(diffs, douts, strict=True)))
    return total if np.isfinite(total) else None


def along(g: np.ndarray | None, v: np.ndarray) -> float | None:
    """``<g, v>`` for a gradient of the right shape (None otherwise)."""
    if g is None or g.shape != v.shape or not np.all(np.isfinite(g)):
        return None
    return float(np.sum(g * v))


def consistent(analytic: Sequence[float | None], numeric: Sequence[float | None]) -> bool:
    """Every directional derivative of a gradient agrees with its numerical estimate."""
    return bool(analytic) and all(agree(a, n) for a, n in zip(analytic, numeric, strict=True))


def vanishes(numeric: Sequence[float | None], reference: Sequence[float]) -> bool:
    """The student's numerical derivatives vanish where the reference's clearly do not:
    the forward pass does not depend on this input as it should."""
    ref = float(np.linalg.norm(reference)) if len(reference) else 0.0
    if ref <= TOL.nonzero or any(n is None for n in numeric):
        return False
    return float(np.linalg.norm([float(n) for n in numeric if n is not None])) <= TOL.vanishing * ref
