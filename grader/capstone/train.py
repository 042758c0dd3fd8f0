"""A training run of the sentiment classifier for a fixed budget, with any
implementation of the model's functions.

The run takes the three exercise functions as callables with the signatures of
``solutions/sentiment.py`` (:class:`ModelFunctions`): the reference imported
in-process (:func:`reference_functions`), or proxies that call a student's code in
the sandbox. Everything else - the data, the mini-batches, the held-out accuracy,
the probabilities of the probe sentences - is computed here, in the trusted parent,
from plain arrays. A callable that raises, or returns something of the wrong kind or
shape, ends the run with :class:`TrainingFailed`; a loss or parameters that stop
being finite end it as *diverged*, which is a result, not an error (that is what
training without gradient clipping can do).

Budget: :data:`SETTINGS` fixes every number of a run. ``"short"`` trains on the
whole data set (both languages, sentences of 4 to 20 tokens) for 10 epochs;
``"long"`` trains a vanilla RNN on *paragraphs*: each example joins :data:`PARAGRAPH`
training sentences of one label and one language (about 30 tokens, drawn anew every
epoch) - the setting in which training without gradient clipping blows up, while the
clipped run learns. ``benchmarks/bench_capstone.py`` measures the cost (about 2 s of
CPU for :func:`run_capstone`) and the distributions behind the numbers here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..i18n import Message, msg
from .dataset import SentimentData, Vocabulary, encode, load_sentiment, read_vocabulary

CELLS = ("rnn", "lstm", "gru")
NUM_CLASSES = 2
# The best held-out accuracy of a short-setting run that shows the model has learnt
# (chance is 0.5). Measured with benchmarks/bench_capstone.py: over seeds 0-19 the
# reference reached 0.671-0.714 (RNN), 0.721-0.786 (LSTM), 0.739-0.800 (GRU), and the
# RNN, the weakest, at least 0.657 in each of 100 seeds; so 0.65 leaves a margin below
# the worst seed while a head that reads the padding or frozen word vectors (medians
# 0.51-0.56) stay below it.
ACCURACY_THRESHOLD = 0.65

# Held-out sentences whose predictions a run reports (text, lang, label 1 = positive).
PROBES: tuple[tuple[str, str, int], ...] = (
    ("今天是个好日子", "zh", 1),
    ("这节课一点也不无聊", "zh", 1),
    ("这节课一点也不有趣", "zh", 0),
    ("这节课开头很好，但结束得很糟糕", "zh", 0),
    ("The lecture was not boring at all.", "en", 1),
    ("The class started well, but it ended badly.", "en", 0),
)


@dataclass(frozen=True)
class TrainConfig:
    """Every number of one run. ``max_norm=None`` trains without gradient clipping."""

    cell: str = "lstm"
    embed_dim: int = 16
    hidden_dim: int = 24
    epochs: int = 10
    batch_size: int = 32
    learning_rate: float = 1.0
    max_norm: float | None = 0.5
    pool: str = "last"
    paragraph: int = 1  # training sentences joined into one example (1: plain sentences)
    seed: int = 0

    def with_(self, **changes: Any) -> TrainConfig:
        return replace(self, **changes)


PARAGRAPH = 3
SETTINGS: dict[str, TrainConfig] = {
    "short": TrainConfig(),
    "long": TrainConfig(cell="rnn", paragraph=PARAGRAPH, learning_rate=0.5, epochs=8),
}


class TrainingFailed(Exception):
    """A model function raised or returned something unusable: ``func`` is its name,
    ``problem`` the student-facing reason (a catalogue message)."""

    def __init__(self, func: str, problem: Message) -> None:
        super().__init__(f"{func}: {problem.key}")
        self.func = func
        self.problem = problem


@dataclass(frozen=True)
class ModelFunctions:
    """The model, as callables with the exercise signatures::

        init(vocab_size, embed_dim, hidden_dim, num_classes, cell, rng) -> params
        train_step(params, x, lengths, y, learning_rate, max_norm, cell, pool)
            -> (loss, new_params, grad_norm)
        loss(params, x, lengths, None, cell, pool) -> scores (N, C)

    With ``keeps_params``, ``train_step`` also takes ``keep``: when True it may return
    the new parameters as an opaque value that stays on the model's side (a handle to
    them in the sandboxed child) instead of arrays; every function accepts such a value
    as ``params``. :func:`train` asks for arrays after the first step of a run and at
    the end of every epoch (to check them and to evaluate), and keeps them elsewhere.
    """

    init: Callable[..., Any]
    train_step: Callable[..., Any]
    loss: Callable[..., Any]
    keeps_params: bool = False


def reference_functions(solutions: Path | str | None = None) -> ModelFunctions:
    """The reference solution's functions (trusted code, imported in-process)."""
    from ..course import locate
    from ..reference import load_reference

    ref = load_reference(solutions or locate().need_solutions())
    return ModelFunctions(ref["init_sentiment_params"], ref["sentiment_train_step"], ref["sentiment_loss"])


@dataclass
class Prediction:
    text: str
    lang: str
    label: int
    p_positive: float | None  # None when the scores were not finite
    prefix_p_positive: list[float | None] = field(default_factory=list)  # after each token (pool "last")
    tokens: list[str] = field(default_factory=list)


@dataclass
class TrainRun:
    """What a run leaves: plain numbers and strings only (see :meth:`to_dict`).

    ``losses`` and ``grad_norms`` have one entry per step (the loss before that
    step's update, the gradient norm before clipping); the ``heldout_*`` lists one
    entry per epoch *including epoch 0*, before any training. ``param_change`` is
    ``||final - initial|| / ||initial||`` of every parameter (for a run that diverged
    while its model kept the parameters, "final" is the end of its last whole epoch).
    """

    config: TrainConfig
    steps_per_epoch: int
    losses: list[float] = field(default_factory=list)
    grad_norms: list[float] = field(default_factory=list)
    heldout_accuracy: list[float] = field(default_factory=list)
    heldout_loss: list[float] = field(default_factory=list)
    diverged_at: int | None = None  # the first step whose loss or new parameters were not finite
    param_change: dict[str, float] = field(default_factory=dict)
    predictions: list[Prediction] = field(default_factory=list)

    @property
    def final_accuracy(self) -> float:
        return self.heldout_accuracy[-1]

    @property
    def best_accuracy(self) -> float:
        """The highest held-out accuracy the run reached (what the threshold judges:
        the accuracy of one epoch moves by a few points from epoch to epoch)."""
        return max(self.heldout_accuracy)

    def epoch_losses(self) -> list[float]:
        """The mean training loss of each epoch."""
        k = self.steps_per_epoch
        return [float(np.mean(self.losses[i:i + k])) for i in range(0, len(self.losses), k)]

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(final_accuracy=self.final_accuracy, best_accuracy=self.best_accuracy,
                   epoch_losses=self.epoch_losses())
        return _finite(out)


def _finite(value: Any) -> Any:
    """Non-finite floats become None, so the data is valid JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


# ------------------------------------------------------------------ data
def paragraphs(data: SentimentData, size: int, vocab: Vocabulary, rng: np.random.Generator) -> SentimentData:
    """Long examples, as many as there are sentences: within each (language, label)
    group, paragraph j joins sentence j of ``size`` independent shuffles of the group
    (so every sentence ends one paragraph, and a new draw gives new paragraphs)."""
    groups: dict[tuple[str, int], list[int]] = {}
    for i, (lang, label) in enumerate(zip(data.langs, data.y.tolist(), strict=True)):
        groups.setdefault((lang, label), []).append(i)
    joined: list[tuple[str, str]] = []
    labels: list[int] = []
    for (lang, label), rows in sorted(groups.items()):
        shuffles = [rng.permutation(rows) for _ in range(size)]
        sep = " " if lang == "en" else ""
        for j in range(len(rows)):
            joined.append((sep.join(data.texts[s[j]] for s in shuffles), lang))
            labels.append(label)
    return encode(joined, vocab, labels)


def _batches(lengths: np.ndarray, size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """One epoch of mini-batches of similar lengths (less padding, so fewer time
    steps): shuffle, sort runs of 8 batches by length, cut, shuffle the batches."""
    order = rng.permutation(len(lengths))
    run = 8 * size
    chunks = [order[k:k + run] for k in range(0, len(order), run)]
    batches = [chunk[np.argsort(lengths[chunk], kind="stable")][j:j + size]
               for chunk in chunks for j in range(0, len(chunk), size)]
    return [batches[i] for i in rng.permutation(len(batches))]


# --------------------------------------------------------------- checking
def _params(func: str, value: Any, like: dict[str, np.ndarray] | None) -> dict[str, np.ndarray]:
    """``value`` as a dict of float64 arrays; with ``like``, the same names and shapes."""
    if not isinstance(value, dict) or not value:
        raise TrainingFailed(func, msg("capstone.failed.params", func=func))
    out = {}
    for k, v in value.items():
        if not isinstance(v, np.ndarray) or v.dtype.kind not in "fiu":
            raise TrainingFailed(func, msg("capstone.failed.param_not_array", func=func, name=repr(k)))
        out[str(k)] = np.asarray(v, dtype=np.float64)
    if like is not None:
        if set(out) != set(like):
            raise TrainingFailed(func, msg("capstone.failed.param_names", func=func, got=str(sorted(out)),
                                           want=str(sorted(like))))
        for k, v in like.items():
            if out[k].shape != v.shape:
                raise TrainingFailed(func, msg("capstone.failed.param_shape", func=func, name=repr(k),
                                               got=str(out[k].shape), want=str(v.shape)))
    return out


def _float(func: str, value: Any, what: str) -> float:
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "fiu":
        value = value.reshape(())
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating, np.ndarray)):
        raise TrainingFailed(func, msg("capstone.failed.not_a_number", func=func, what=what))
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TrainingFailed(func, msg("capstone.failed.not_a_number", func=func, what=what)) from None


def _scores(func: str, value: Any, n: int) -> np.ndarray:
    if not isinstance(value, np.ndarray) or value.shape != (n, NUM_CLASSES) or value.dtype.kind not in "fiu":
        got = str(value.shape) if isinstance(value, np.ndarray) else type(value).__name__
        raise TrainingFailed(func, msg("capstone.failed.scores", func=func, got=got, want=str((n, NUM_CLASSES))))
    return value.astype(np.float64, copy=False)


def _call(func: str, f: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``f(*args, **kwargs)``; an exception of the student's code (or its proxy) becomes
    :class:`TrainingFailed` (a proxy may raise TrainingFailed with its own reason)."""
    try:
        return f(*args, **kwargs)
    except TrainingFailed:
        raise
    except NotImplementedError:
        raise TrainingFailed(func, msg("call.not_implemented", func=func)) from None
    except Exception as exc:
        raise TrainingFailed(func, msg("call.error", func=func, type=type(exc).__name__,
                                       message=str(exc)[:300])) from exc


def _all_finite(params: dict[str, np.ndarray]) -> bool:
    return all(bool(np.all(np.isfinite(v))) for v in params.values())


def _p_positive(scores: np.ndarray) -> np.ndarray:
    """Softmax probability of class 1, NaN where the scores are not finite."""
    with np.errstate(all="ignore"):
        shifted = scores - scores.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        return e[:, 1] / e.sum(axis=1)


# ------------------------------------------------------------------- run
class _Evaluator:
    def __init__(self, model: ModelFunctions, cfg: TrainConfig, data: SentimentData) -> None:
        self.model, self.cfg, self.data = model, cfg, data

    def scores(self, params: Any, data: SentimentData) -> np.ndarray:
        value = _call("sentiment_loss", self.model.loss, params, data.x, data.lengths, None,
                      self.cfg.cell, self.cfg.pool)
        return _scores("sentiment_loss", value, len(data))

    def accuracy_and_loss(self, params: Any) -> tuple[float, float]:
        p = _p_positive(self.scores(params, self.data))
        if not np.all(np.isfinite(p)):
            return 0.5, math.nan  # no prediction: chance level
        acc = float(np.mean((p > 0.5) == (self.data.y == 1)))
        with np.errstate(divide="ignore"):
            nll = -np.mean(np.log(np.where(self.data.y == 1, p, 1.0 - p)))
        return acc, float(nll)


def train(model: ModelFunctions, cfg: TrainConfig = SETTINGS["short"], vocab: Vocabulary | None = None,
          train_data: SentimentData | None = None, heldout: SentimentData | None = None) -> TrainRun:
    """Train for ``cfg.epochs`` epochs of shuffled mini-batches and evaluate on the
    held-out split after each epoch. Deterministic for a given ``cfg.seed`` and
    model. Raises :class:`TrainingFailed` when a model function misbehaves."""
    if cfg.cell not in CELLS:
        raise ValueError(f"cell must be one of {CELLS}")
    vocab = read_vocabulary() if vocab is None else vocab
    rng = np.random.default_rng([cfg.seed, 17])
    train_data = load_sentiment("train", vocab=vocab) if train_data is None else train_data
    heldout = load_sentiment("heldout", vocab=vocab) if heldout is None else heldout
    sentences = train_data
    if cfg.paragraph > 1:
        heldout = paragraphs(heldout, cfg.paragraph, vocab, rng)
    evaluator = _Evaluator(model, cfg, heldout)
    n_batches = math.ceil(len(train_data) / cfg.batch_size)
    run = TrainRun(cfg, n_batches)

    params: Any = _params("init_sentiment_params", _call(
        "init_sentiment_params", model.init, len(vocab), cfg.embed_dim, cfg.hidden_dim, NUM_CLASSES, cfg.cell,
        cfg.seed), None)
    initial = seen = params  # seen: the latest parameters known as arrays
    acc, loss = evaluator.accuracy_and_loss(params)
    run.heldout_accuracy.append(acc)
    run.heldout_loss.append(loss)
    step = 0
    for _ in range(cfg.epochs):
        if cfg.paragraph > 1:  # new paragraphs every epoch
            train_data = paragraphs(sentences, cfg.paragraph, vocab, rng)
        batches = _batches(train_data.lengths, cfg.batch_size, rng)
        for j, rows in enumerate(batches):
            batch = train_data.take(rows)
            args = (params, batch.x, batch.lengths, batch.y, cfg.learning_rate, cfg.max_norm, cfg.cell, cfg.pool)
            # Arrays after the first step (their names and shapes are checked) and at the
            # end of each epoch; in between a model may keep them on its side.
            keep = model.keeps_params and step > 0 and j < len(batches) - 1
            value = _call("sentiment_train_step", model.train_step, *args, **({"keep": keep} if keep else {}))
            if not isinstance(value, (tuple, list)) or len(value) != 3:
                raise TrainingFailed("sentiment_train_step",
                                     msg("capstone.failed.step_return", func="sentiment_train_step"))
            loss = _float("sentiment_train_step", value[0], "loss")
            new = value[1] if keep else _params("sentiment_train_step", value[1], initial)
            run.losses.append(loss)
            run.grad_norms.append(_float("sentiment_train_step", value[2], "grad_norm"))
            step += 1
            if not (math.isfinite(loss) and (keep or _all_finite(new))):
                run.diverged_at = step
                break
            params = new
            if not keep:
                seen = new
        if run.diverged_at is not None:
            run.heldout_accuracy.append(0.5)
            run.heldout_loss.append(math.nan)
            break
        acc, loss = evaluator.accuracy_and_loss(params)
        run.heldout_accuracy.append(acc)
        run.heldout_loss.append(loss)

    run.param_change = {k: float(np.linalg.norm(seen[k] - v) / max(float(np.linalg.norm(v)), 1e-12))
                        for k, v in initial.items()}
    run.predictions = _predictions(evaluator, params, vocab, cfg)
    return run


def _predictions(evaluator: _Evaluator, params: Any, vocab: Vocabulary,
                 cfg: TrainConfig) -> list[Prediction]:
    probes = encode([(t, lang) for t, lang, _ in PROBES], vocab, [label for _, _, label in PROBES])
    p = _p_positive(evaluator.scores(params, probes))
    out = [Prediction(text, lang, label, float(pi) if math.isfinite(pi) else None,
                      tokens=vocab.decode(probes.x[i, :probes.lengths[i]]))
           for i, ((text, lang, label), pi) in enumerate(zip(PROBES, p, strict=True))]
    if cfg.pool == "last":
        # Every prefix of every probe in one call: the same rows with lengths 1, 2, ...
        rows = [i for i in range(len(probes)) for _ in range(probes.lengths[i])]
        lengths = np.array([t + 1 for i in range(len(probes)) for t in range(probes.lengths[i])], dtype=np.int64)
        prefixes = SentimentData(probes.x[rows], lengths, probes.y[rows], (), ())
        pp = _p_positive(evaluator.scores(params, prefixes))
        k = 0
        for i, pred in enumerate(out):
            n = int(probes.lengths[i])
            pred.prefix_p_positive = [float(v) if math.isfinite(v) else None for v in pp[k:k + n]]
            k += n
    return out


def run_capstone(model: ModelFunctions, seed: int = 0) -> dict[str, TrainRun]:
    """The whole capstone for one model: the short setting with each cell (keys
    "rnn", "lstm", "gru") and the long setting with and without gradient clipping
    ("long_clipped", "long_unclipped"), all from the same seed."""
    vocab = read_vocabulary()
    train_data, heldout = load_sentiment("train", vocab=vocab), load_sentiment("heldout", vocab=vocab)
    runs = {cell: train(model, SETTINGS["short"].with_(cell=cell, seed=seed), vocab, train_data, heldout)
            for cell in CELLS}
    long = SETTINGS["long"].with_(seed=seed)
    runs["long_clipped"] = train(model, long, vocab, train_data, heldout)
    runs["long_unclipped"] = train(model, long.with_(max_norm=None), vocab, train_data, heldout)
    return runs
