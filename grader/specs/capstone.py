"""Exercise specs of the capstone: a sentiment classifier (情感分类) built from the
student's own layers (``solutions/sentiment.py``; lecture section 多对一, the
sentence "今天是个好日子").

Sizes all different (N = 4 sentences, T = 6 time steps, V = 13 tokens, D = 5, H = 7,
C = 3 classes, so that a hard-coded 2 or a transposed array cannot pass); every batch
has a sentence of length 1, one of length T and two in between, padded with token 0,
so a head that reads the padding is wrong on most rows; N * T > V, so tokens repeat
(a ``dW[x] += dout`` keeps one of their gradients).

Exercises, in the order the model is built: the word embedding, the temporal affine
layer, the many-to-one head (last step and masked mean), the initial parameters, the
model's loss and gradients (a composite over the embedding, the student's RNN, LSTM or
GRU, the head and the softmax loss: judged with the reference's blocks where a block
fails, policy rule 4), and the training step (a composite over the loss, clipping and
SGD). The trained model itself is graded by the capstone stage
(:mod:`grader.capstone.stage`), not here.
"""

from __future__ import annotations

import numpy as np

from ..checks.compare import array_of
from ..checks.engine import Exercise
from ..checks.gradient import GradientCheck, Param
from ..checks.kinds import Output, RepeatedCallCheck
from ..checks.model import Check
from ..checks.mutation import MutationCheck
from ..i18n import Message, msg
from ..mistakes import Mistake
from .capstone_probes import (
    DiagnosedValueCheck,
    found,
    frozen_embedding_probe,
    head,
    head_probe,
    head_variants,
    step_probe,
)
from .common import known_variant_probe
from .stability import Z, init_scale, variance_z

N, T, V, D, H, C = 4, 6, 13, 5, 7, 3
M = 3  # the temporal affine layer's and the head's feature size in their own exercises
MODULE = "sentiment.py"
SECTION = "rnn_types"
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
CELLS = tuple(GATES)
# The exercises whose functions the model's loss calls (directly, or through the
# student's sequence layers): the blocks substituted when they fail (policy rule 4).
# The training step calls them too, through its loss.
MODEL_BLOCKS = ("embedding", "temporal_affine", "many_to_one", "losses", "rnn_step", "rnn", "lstm_step", "lstm",
                "gru_step", "gru")

SEQ = ("sample", "time", "feature")
TOKENS = ("sample", "time")
STATE = ("sample", "class")
MATRIX = ("row", "col")


# ---------------------------------------------------------------------- inputs
def _lengths(rng: np.random.Generator) -> np.ndarray:
    """N lengths in a random order: 1, T and two in between."""
    inner = rng.integers(2, T, size=N - 2)
    return rng.permutation(np.concatenate([[1, T], inner])).astype(np.int64)


def _sentences(rng: np.random.Generator, lengths: np.ndarray) -> np.ndarray:
    """Token ids (N, T): real tokens 1..V-1 (1 is <unk>), then padding 0."""
    x = rng.integers(1, V, size=(N, T))
    x[np.arange(T)[None, :] >= lengths[:, None]] = 0
    return x.astype(np.int64)


def _params(rng: np.random.Generator, cell: str) -> dict[str, np.ndarray]:
    g = GATES[cell] * H
    p = {"W_embed": rng.standard_normal((V, D)), "Wx": 0.6 * rng.standard_normal((D, g)),
         "Wh": 0.6 * rng.standard_normal((H, g))}
    for name in ("bx", "bh") if cell == "gru" else ("b",):
        p[name] = 0.3 * rng.standard_normal(g)
    p["W_out"] = rng.standard_normal((H, C))
    p["b_out"] = 0.3 * rng.standard_normal(C)
    return p


def embedding_inputs(rng):
    return {"x": rng.integers(0, V, size=(N, T)).astype(np.int64), "W": rng.standard_normal((V, D))}


def temporal_inputs(rng):
    return {"x": rng.standard_normal((N, T, D)), "w": rng.standard_normal((D, M)) / np.sqrt(D),
            "b": rng.standard_normal(M)}


def head_inputs(pool: str):
    def make(rng):
        return {"x": rng.standard_normal((N, T, M)), "lengths": _lengths(rng), "pool": pool}
    return make


def model_inputs(cell: str, pool: str = "last", labels: bool = True):
    def make(rng):
        lengths = _lengths(rng)
        return {"params": _params(rng, cell), "x": _sentences(rng, lengths), "lengths": lengths,
                "y": rng.integers(0, C, size=N).astype(np.int64) if labels else None, "cell": cell, "pool": pool}
    return make


def step_inputs(cell: str, max_norm: float | None):
    def make(rng):
        i = model_inputs(cell)(rng)
        return {"params": i["params"], "x": i["x"], "lengths": i["lengths"], "y": i["y"],
                "learning_rate": float(rng.uniform(0.2, 0.8)), "max_norm": max_norm, "cell": cell, "pool": "last"}
    return make


def init_inputs(cell: str):
    return lambda rng: {"vocab_size": V, "embed_dim": D, "hidden_dim": H, "num_classes": C, "cell": cell,
                        "rng": int(rng.integers(0, 2**31 - 1))}


def param_names(cell: str) -> list[str]:
    return ["W_embed", "Wx", "Wh", *(("bx", "bh") if cell == "gru" else ("b",)), "W_out", "b_out"]


def param_shapes(cell: str, v: int = V, d: int = D, h: int = H, c: int = C) -> dict[str, tuple[int, ...]]:
    g = GATES[cell] * h
    shapes = {"W_embed": (v, d), "Wx": (d, g), "Wh": (h, g), "b": (g,), "bx": (g,), "bh": (g,), "W_out": (h, c),
              "b_out": (c,)}
    return {k: shapes[k] for k in param_names(cell)}


def param_axes(name: str) -> tuple[str, ...]:
    """Axis names of a model parameter, for saying where an entry is wrong."""
    if name == "W_embed":
        return ("token", "feature")
    return MATRIX if name.startswith("W") else ("unit",)


def _upstream(shape):
    return lambda rng: {"dout": rng.standard_normal(shape)}


# ------------------------------------------------------------------- diagnoses
def _overwrite(i, d):
    """Mistake 37: dW[x] += dout, so a repeated token keeps one occurrence's gradient."""
    dW = np.zeros(i["W"].shape)
    dW[i["x"]] += d[0]
    return {"W": dW}


def _head_diagnosis(inputs, value, expected):
    """Mistakes 38/39: the head reads the padding."""
    got = value[0] if isinstance(value, (tuple, list)) and value else None
    out = array_of(got, np.shape(expected[0])) if got is not None else None
    if out is None:
        return [], []
    for mistake, variant in head_variants(inputs["pool"]):
        if np.allclose(out, head(inputs["x"], inputs["lengths"], inputs["pool"], variant)):
            return found(mistake)
    return [], []


def _init_diagnosis(inputs, value, expected) -> tuple[list[Message], list[str]]:
    """Keys, shapes, zero biases; then whether the weights are at least drawn like
    init_weights(..., "xavier") (right spread, other values: another order of draws)."""
    cell = inputs["cell"]
    shapes = param_shapes(cell)
    if not isinstance(value, dict) or set(value) != set(shapes):
        got = sorted(value) if isinstance(value, dict) else type(value).__name__
        return [msg("capstone.init.keys", got=str(got), want=str(list(shapes)))], []
    problems: list[Message] = []
    spread_ok = True
    for k, shape in shapes.items():
        a = array_of(value[k], shape)
        if a is None:
            problems.append(msg("capstone.init.shape", name=k, want=str(shape)))
            spread_ok = False
        elif k.startswith("b"):
            if np.any(a != 0):
                problems.append(msg("capstone.init.bias", name=k))
        elif not np.all(np.isfinite(a)) or abs(variance_z(a, init_scale("xavier", shape[0]))) > Z:
            problems.append(msg("capstone.init.spread", name=k, fan_in=shape[0]))
            spread_ok = False
    if spread_ok and not problems:
        problems.append(msg("capstone.init.order"))
    return problems, []


def _init_reproducible(values, inputs):
    def weights(v):
        return [np.asarray(v[k]) for k in ("W_embed", "Wx")] if isinstance(v, dict) and {"W_embed", "Wx"} <= set(v) \
            else None
    ws = [weights(v) for v in values]
    if any(w is None for w in ws):
        return [msg("capstone.init.keys", got="-", want=str(param_names(inputs[0]["cell"])))], []
    same = lambda a, b: all(x.shape == y.shape and np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    if not same(ws[0], ws[1]):
        return [msg("capstone.init.not_reproducible")], []
    if same(ws[0], ws[2]):
        return [msg("capstone.init.seed_ignored")], []
    return [], []


# ------------------------------------------------------------------ exercises
def _embedding() -> Exercise:
    fwd, bwd = "word_embedding_forward", "word_embedding_backward"
    checks = [
        DiagnosedValueCheck("embedding.forward", fwd, embedding_inputs, [Output("out", (0,), SEQ)], 2),
        GradientCheck("embedding.grad", bwd, embedding_inputs, [Param("W", "dW", axes=("token", "feature"))], 1,
                      points_reference=1, forward=fwd, out_shapes=lambda i: [i["x"].shape + (i["W"].shape[1],)],
                      probes=[known_variant_probe({Mistake.EMBEDDING_NO_ADD_AT: _overwrite})]),
        MutationCheck("embedding.forward_mutation", fwd, embedding_inputs),
        MutationCheck("embedding.backward_mutation", bwd, _upstream((N, T, D)), forward=fwd,
                      forward_inputs=embedding_inputs),
    ]
    return Exercise("embedding", msg("exercise.embedding"), MODULE, [fwd, bwd], checks, section=SECTION)


def _temporal_affine() -> Exercise:
    fwd, bwd = "temporal_affine_forward", "temporal_affine_backward"
    params = [Param("x", "dx", axes=SEQ), Param("w", "dw", axes=MATRIX), Param("b", "db", axes=("unit",))]
    checks = [
        DiagnosedValueCheck("temporal_affine.forward", fwd, temporal_inputs, [Output("out", (0,), SEQ)], 2),
        GradientCheck("temporal_affine.grad", bwd, temporal_inputs, params, 0.5, points_reference=0.5, forward=fwd,
                      out_shapes=lambda i: [i["x"].shape[:2] + (i["w"].shape[1],)]),
        MutationCheck("temporal_affine.forward_mutation", fwd, temporal_inputs),
        MutationCheck("temporal_affine.backward_mutation", bwd, _upstream((N, T, M)), forward=fwd,
                      forward_inputs=temporal_inputs),
    ]
    return Exercise("temporal_affine", msg("exercise.temporal_affine"), MODULE, [fwd, bwd], checks, section=SECTION)


def _many_to_one() -> Exercise:
    fwd, bwd = "many_to_one_forward", "many_to_one_backward"
    checks: list[Check] = []
    for pool in ("last", "mean"):
        checks += [
            DiagnosedValueCheck(f"many_to_one.{pool}", fwd, head_inputs(pool), [Output("out", (0,), STATE)], 1.5,
                                diagnose=_head_diagnosis, title=msg("capstone.title.head", func=fwd, pool=pool)),
            GradientCheck(f"many_to_one.grad_{pool}", bwd, head_inputs(pool), [Param("x", "dx", axes=SEQ)], 0.75,
                          points_reference=0.75, forward=fwd, out_shapes=lambda i: [(N, M)],
                          label=f'pool="{pool}"'),
        ]
    checks += [MutationCheck("many_to_one.forward_mutation", fwd, head_inputs("mean")),
               MutationCheck("many_to_one.backward_mutation", bwd, _upstream((N, M)), forward=fwd,
                             forward_inputs=head_inputs("last"))]
    return Exercise("many_to_one", msg("exercise.many_to_one"), MODULE, [fwd, bwd], checks, section=SECTION)


def _init() -> Exercise:
    func = "init_sentiment_params"
    checks: list[Check] = [
        DiagnosedValueCheck(f"sentiment_init.{cell}", func, init_inputs(cell),
                            [Output(f"params['{k}']", (k,), param_axes(k)) for k in param_names(cell)], 1,
                            diagnose=_init_diagnosis,
                            title=msg("capstone.title.init", func=func, cell=cell))
        for cell in CELLS
    ]

    def reproducible(rng):
        a = int(rng.integers(0, 2**31 - 1))
        b = (a + 1 + int(rng.integers(0, 2**30))) % (2**31 - 1)
        return [{**init_inputs("rnn")(rng), "rng": s} for s in (a, a, b)]

    checks.append(RepeatedCallCheck("sentiment_init.reproducible", func, reproducible, _init_reproducible, 0.5,
                                    title=msg("capstone.title.init_reproducible", func=func)))
    checks.append(MutationCheck("sentiment_init.mutation", func, init_inputs("lstm")))
    # init_weights draws from the rng Generator the student's code made in the child: the
    # reference cannot draw that stream in the parent, so it is pointed to, not substituted.
    return Exercise("sentiment_init", msg("exercise.sentiment_init"), MODULE, [func], checks, section=SECTION,
                    builds_on=("init",), not_substituted=("init",))


def _loss() -> Exercise:
    func = "sentiment_loss"
    checks: list[Check] = [
        DiagnosedValueCheck("sentiment_loss.scores", func, model_inputs("lstm", labels=False),
                            [Output("scores", (), STATE)], 1, probes=[head_probe("scores")],
                            title=msg("capstone.title.scores", func=func)),
    ]
    for cell, pool, points in (("rnn", "last", 1.5), ("lstm", "last", 1.5), ("gru", "last", 1.5),
                               ("gru", "mean", 1.0)):
        name = cell if pool == "last" else f"{cell}_{pool}"
        outputs = [Output("loss", (0,))] + [Output(f"grads['{k}']", (1, k), param_axes(k)) for k in param_names(cell)]
        checks.append(DiagnosedValueCheck(
            f"sentiment_loss.{name}", func, model_inputs(cell, pool), outputs, points,
            probes=[head_probe("loss"), frozen_embedding_probe],
            title=msg("capstone.title.loss", func=func, cell=cell, pool=pool)))
    for cell in CELLS:
        checks.append(GradientCheck(
            f"sentiment_loss.grad_{cell}", func, model_inputs(cell),
            [Param(f"params['{k}']", f"grads['{k}']", path=(k,), arg="params", grad_path=(1, k), axes=param_axes(k))
             for k in param_names(cell)], 0.25, label=cell))
    checks.append(MutationCheck("sentiment_loss.mutation", func, model_inputs("gru")))
    return Exercise("sentiment_loss", msg("exercise.sentiment_loss"), MODULE, [func], checks, section=SECTION,
                    builds_on=MODEL_BLOCKS)


def _step() -> Exercise:
    func = "sentiment_train_step"

    def outputs(cell):
        return [Output("loss", (0,))] + [Output(f"new_params['{k}']", (1, k), param_axes(k))
                                         for k in param_names(cell)] + [
            Output("grad_norm", (2,))]

    # The gradient norm of these inputs is 0.36 - 14 (200 draws per cell): 0.02 always clips, 1000 never.
    checks = [
        DiagnosedValueCheck("sentiment_step.clipped", func, step_inputs("lstm", 0.02), outputs("lstm"), 2,
                            probes=[step_probe], title=msg("capstone.title.step_clipped", func=func)),
        DiagnosedValueCheck("sentiment_step.below", func, step_inputs("rnn", 1000.0), outputs("rnn"), 1,
                            probes=[step_probe], title=msg("capstone.title.step_below", func=func)),
        DiagnosedValueCheck("sentiment_step.no_clipping", func, step_inputs("gru", None), outputs("gru"), 1,
                            probes=[step_probe], title=msg("capstone.title.step_none", func=func)),
        MutationCheck("sentiment_step.mutation", func, step_inputs("lstm", 0.02)),
    ]
    return Exercise("sentiment_step", msg("exercise.sentiment_step"), MODULE, [func], checks, section=SECTION,
                    builds_on=("sentiment_loss", "clip", "sgd", *MODEL_BLOCKS))


def exercises() -> list[Exercise]:
    return [_embedding(), _temporal_affine(), _many_to_one(), _init(), _loss(), _step()]
