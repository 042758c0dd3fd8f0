"""What the capstone's checks use to say *why* a result is wrong (trusted, parent side).

- :func:`model_scores`: the sentiment model's forward pass (embedding, recurrent
  layer from :mod:`grader.specs.forwards`, temporal affine, many-to-one head) with
  the head of a known mistake when asked: the last column (mistake 38), the mean
  over the padding too (mistake 39);
- :func:`head_variants`: those heads alone, for ``many_to_one_forward``;
- :func:`step_variants`: what a training step computes when it makes a known
  mistake (clipping ignored, 41; per-tensor clipping, 16; rescaling below the
  threshold, 17; word vectors left out of the update, 40), from the reference's
  loss and gradients;
- :class:`DiagnosedValueCheck`: a value check whose diagnoses get the context (the
  reference, in official grading).

Probes run only after a check failed and never change a verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..checks.compare import array_of, close
from ..checks.kinds import Inputs, ValueCheck
from ..checks.model import CheckResult, Context
from ..i18n import Message, msg
from ..mistakes import Mistake
from .forwards import gru_sequence, lstm_sequence, rnn_sequence

Finding = tuple[list[Message], list[str]]
Probe = Callable[[Context, Inputs, Any, list[Any]], Finding]


def found(*mistakes: str, extra: list[Message] | None = None) -> Finding:
    return (extra or []) + [msg(f"mistake.{m}.found") for m in mistakes], list(mistakes)


# ------------------------------------------------------------------ heads
def _mask(lengths: np.ndarray, t: int) -> np.ndarray:
    return np.arange(t)[None, :] < np.asarray(lengths)[:, None]


def head(x: np.ndarray, lengths: np.ndarray, pool: str, variant: str = "") -> np.ndarray:
    """Many to one over x (N, T, M): the right head, or a known mistake's
    (``variant`` "last_column": x[:, -1]; "mean_all": the mean over all T steps;
    "sum_over_t": the masked sum divided by T)."""
    n, t, _ = x.shape
    lengths = np.asarray(lengths)
    if variant == "last_column":
        return x[:, -1]
    if variant == "mean_all":
        return x.mean(axis=1)
    if variant == "sum_over_t":
        return (x * _mask(lengths, t)[:, :, None]).sum(axis=1) / t
    if pool == "last":
        return x[np.arange(n), lengths - 1]
    return (x * _mask(lengths, t)[:, :, None]).sum(axis=1) / lengths[:, None]


HEAD_MISTAKES = {"last": ((Mistake.HEAD_READS_PADDING, "last_column"),),
                 "mean": ((Mistake.HEAD_MEAN_OVER_PADDING, "mean_all"),
                          (Mistake.HEAD_MEAN_OVER_PADDING, "sum_over_t"))}


def head_variants(pool: str) -> tuple[tuple[str, str], ...]:
    return HEAD_MISTAKES.get(pool, ())


def model_scores(params: dict[str, np.ndarray], x: np.ndarray, lengths: np.ndarray, cell: str, pool: str,
                 variant: str = "") -> np.ndarray:
    """Class scores (N, C) of the sentiment model, h0 = 0, with the head ``variant``."""
    emb = params["W_embed"][x]
    inp = {"x": emb, "h0": np.zeros((x.shape[0], params["Wh"].shape[0])), **params}
    h = {"rnn": rnn_sequence, "lstm": lstm_sequence, "gru": gru_sequence}[cell](inp)
    steps = h @ params["W_out"] + params["b_out"]
    return head(steps, lengths, pool, variant)


def softmax_loss(scores: np.ndarray, y: np.ndarray) -> float:
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-np.mean(log_p[np.arange(len(y)), y]))


def head_probe(outputs: str) -> Probe:
    """Mistakes 38/39 in a whole model (``sentiment_loss``): its scores (``outputs``
    "scores") or its loss ("loss") equal the model's with a head that reads the
    padding."""

    def probe(ctx: Context, inputs: Inputs, value: Any, expected: list[Any]) -> Finding:
        got = value if outputs == "scores" else (value[0] if isinstance(value, (tuple, list)) and value else None)
        for mistake, variant in head_variants(inputs["pool"]):
            with np.errstate(all="ignore"):
                scores = model_scores(inputs["params"], inputs["x"], inputs["lengths"], inputs["cell"],
                                      inputs["pool"], variant)
                want = scores if outputs == "scores" else softmax_loss(scores, inputs["y"])
            if close(got, want, scaled=True):
                return found(mistake)
        return [], []

    return probe


def frozen_embedding_probe(ctx: Context, inputs: Inputs, value: Any, expected: list[Any]) -> Finding:
    """Mistake 40 in ``sentiment_loss``: the loss is right and grads["W_embed"] is zero
    (or missing) where the reference's is not."""
    if not (isinstance(value, (tuple, list)) and len(value) == 2 and isinstance(value[1], dict)):
        return [], []
    if not close(value[0], expected[0]):
        return [], []
    want = expected[1 + list(_grad_keys(inputs)).index("W_embed")]
    got = value[1].get("W_embed")
    g = array_of(got, np.shape(want)) if got is not None else None
    if np.any(want) and (got is None or (g is not None and not np.any(g))):
        return found(Mistake.EMBEDDINGS_NOT_UPDATED)
    return [], []


def _grad_keys(inputs: Inputs) -> list[str]:
    return list(inputs["params"])


# ------------------------------------------------------------- train step
def _norm(arrays: list[np.ndarray]) -> float:
    return float(np.sqrt(sum(float(np.sum(a * a)) for a in arrays)))


def step_variants(inputs: Inputs, grads: dict[str, np.ndarray]) -> list[tuple[str | None, str | None, dict[str, Any]]]:
    """(mistake, detail message key, new parameters) a step with a known mistake
    returns, from the reference's gradients ``grads``."""
    params, lr, v = inputs["params"], inputs["learning_rate"], inputs["max_norm"]
    total = _norm(list(grads.values()))

    def update(g: dict[str, np.ndarray], keep: tuple[str, ...] = ()) -> dict[str, Any]:
        return {k: p.copy() if k in keep else p - lr * g[k] for k, p in params.items()}

    def scaled(s: float) -> dict[str, Any]:
        return {k: s * g for k, g in grads.items()}

    s = 1.0 if v is None or total <= v else v / total
    out: list[tuple[str | None, str | None, dict[str, Any]]] = []
    if v is not None and total > v:
        out.append((Mistake.CLIPPING_IGNORED, None, update(grads)))
        per = {k: g * min(1.0, v / max(float(np.linalg.norm(g)), 1e-300)) for k, g in grads.items()}
        out.append((Mistake.CLIP_PER_TENSOR, None, update(per)))
    elif v is not None:
        out.append((Mistake.CLIP_ALWAYS, None, update(scaled(v / total))))
    out.append((Mistake.EMBEDDINGS_NOT_UPDATED, None, update(scaled(s), keep=("W_embed",))))
    out.append((None, "capstone.step.sign", update(scaled(-s))))
    return out


def step_probe(ctx: Context, inputs: Inputs, value: Any, expected: list[Any]) -> Finding:
    """Name what a wrong training step does: the update of a known mistake, the
    norm after clipping returned as grad_norm, the loss after the update."""
    if ctx.reference is None or not (isinstance(value, (tuple, list)) and len(value) == 3):
        return [], []
    ref_loss = ctx.reference["sentiment_loss"]
    _, grads = ref_loss(*(_copy(inputs[k]) for k in ("params", "x", "lengths", "y", "cell", "pool")))
    got = value[1] if isinstance(value[1], dict) else {}
    messages: list[Message] = []
    mistakes: list[str] = []
    for mistake, detail, new in step_variants(inputs, grads):
        if got and set(got) == set(new) and all(close(got[k], new[k]) for k in new):
            if detail:
                messages.append(msg(detail))
            if mistake:
                messages.append(msg(f"mistake.{mistake}.found"))
                mistakes.append(mistake)
            break
    total, v = _norm(list(grads.values())), inputs["max_norm"]
    if v is not None and total > v and not close(value[2], total) and close(value[2], v):
        messages.append(msg("capstone.step.norm_after", v=v, norm=total))
    return messages, mistakes


def _copy(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: np.array(a) for k, a in v.items()}
    return np.array(v) if isinstance(v, np.ndarray) else v


# ------------------------------------------------------------------ check
@dataclass
class DiagnosedValueCheck(ValueCheck):
    """A :class:`ValueCheck` whose failures are explained by probes that get the
    context: ``probe(ctx, inputs, value, expected) -> (messages, mistakes)``."""

    probes: list[Probe] = field(default_factory=list)

    def run(self, ctx: Context) -> list[CheckResult]:
        probes = self.probes
        own = self.diagnose

        def diagnose(inputs: Inputs, value: Any, expected: list[Any]) -> Finding:
            messages: list[Message] = []
            mistakes: list[str] = []
            steps = probes if own is None else [lambda c, i, v, e: own(i, v, e), *probes]
            for p in steps:
                try:
                    m, k = p(ctx, inputs, value, expected)
                except Exception:
                    if ctx.strict:
                        raise
                    continue
                messages += [x for x in m if x not in messages]
                mistakes += [x for x in k if x not in mistakes]
            return messages, mistakes

        return ValueCheck.run(replace(self, diagnose=diagnose, probes=[]), ctx)
