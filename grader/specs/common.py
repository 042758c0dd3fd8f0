"""Helpers shared by exercise specs: input builders and known-mistake probes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..checks.compare import close
from ..i18n import Message, msg
from ..mistakes import Mistake

Variant = Callable[[dict[str, Any], list[Any]], dict[str, np.ndarray]]


def away_from_zero(rng: np.random.Generator, shape: tuple[int, ...], scale: float = 1.0,
                   margin: float = 0.1) -> np.ndarray:
    """Random values with ``|x| >= margin``: no ReLU kink within a finite difference."""
    x = rng.standard_normal(shape) * scale
    return np.sign(x) * (np.abs(x) + margin)


def known_variant_probe(variants: Mapping[Mistake, Variant | Sequence[Variant]]) -> Callable[..., Any]:
    """A gradient-check probe naming a known mistake.

    ``variants`` maps a mistake of ``grader/mistakes.md`` to a function (or several)
    that computes, in the parent, the gradients a student who makes that mistake
    would return: ``variant(inputs, douts) -> {param name: wrong gradient}``. When
    the student's failing gradients equal a variant's, the mistake is named."""

    def probe(check, ctx, inputs, state) -> tuple[list[Message], list[str]]:
        found: list[str] = []
        for mistake, forms in variants.items():
            for variant in forms if isinstance(forms, Sequence) else [forms]:
                try:
                    with np.errstate(all="ignore"):
                        wrong = variant(inputs, state.get("douts") or [])
                except Exception:  # a variant that does not apply to these inputs
                    continue
                names = [n for n in state["failing"] if n in wrong]
                if names and all(close(state["grads"].get(n), wrong[n]) for n in names) and mistake not in found:
                    found.append(mistake)
        return [msg(f"mistake.{m}.found") for m in found], found

    return probe
