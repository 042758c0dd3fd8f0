"""Finding 8 of the attack review: partial credit for the easy half. A clip_grad_norm
that computes the norm and never clips scored 3.75 of 8, a batch norm that updates its
running statistics and returns zeros 4 of 14. Every property, edge item and partial-
credit rule was audited (docs/scoring.md, "Partial credit"); each lazy form here is
graded, and honest partial work is shown to keep its credit. Harmless code: graded in
process."""

from __future__ import annotations

import pytest
from support import grade_fast, mutant, write_submission

from grader.api import grade
from grader.checks import policy

LAZY = {
    "clip that never clips": ("clip", '''
import numpy as np

def clip_grad_norm(grads, max_norm):
    return [g.copy() for g in grads], float(np.sqrt(sum(float(np.sum(g * g)) for g in grads)))
'''),
    "batch norm that only keeps statistics": ("batchnorm", '''
import numpy as np

def batchnorm_forward(x, gamma, beta, bn_param):
    m = bn_param.get("momentum", 0.9)
    if bn_param["mode"] == "train":
        bn_param["running_mean"] = m * bn_param.get("running_mean", np.zeros(x.shape[1])) + (1 - m) * x.mean(0)
        bn_param["running_var"] = m * bn_param.get("running_var", np.zeros(x.shape[1])) + (1 - m) * x.var(0)
    return np.zeros_like(x), None
'''),
    "an odd, bounded, increasing tanh": ("tanh", '''
import numpy as np

def tanh_forward(x):
    out = x / (1 + np.abs(x))
    return out, out

def tanh_backward(dout, cache):
    return dout * (1 - np.abs(cache)) ** 2
'''),
    "a constant, reproducible initialisation": ("init", '''
import numpy as np

def init_weights(shape, method, rng):
    return np.full(shape, float(rng)), np.zeros(shape[1])
'''),
    "an sgd step that changes nothing": ("sgd", '''
def sgd_step(params, grads, learning_rate):
    return {k: v.copy() for k, v in params.items()}
'''),
}


@pytest.mark.parametrize("name", list(LAZY))
def test_the_easy_half_alone_earns_nothing(tmp_path, name):
    exercise, code = LAZY[name]
    result = grade_fast(write_submission(tmp_path / "s", {"lazy.py": code}), exercise)
    assert result.score == 0, [(c.id, c.points) for c in result.checks if c.points]


def test_a_loss_only_l2_earns_the_loss_and_what_beside_it(tmp_path):
    """The loss is right and the gradients are zeros: right for biases, γ and β only
    because doing nothing is right there. 2.3 of 6 (before: 3.3)."""
    code = '''
import numpy as np

def l2_regularization(params, reg):
    loss = 0.5 * reg * sum(float(np.sum(v * v)) for k, v in params.items() if k.startswith("W"))
    return loss, {k: np.zeros_like(v) for k, v in params.items()}
'''
    result = grade_fast(write_submission(tmp_path / "s", {"l2.py": code}), "l2")
    by_id = {c.id: c for c in result.checks}
    assert by_id["l2.value"].points == pytest.approx(2.5 * (1 + 4 / 3) / 7, abs=1e-3)
    assert by_id["l2.not_weights"].points == 1 and by_id["l2.mutation"].points == 0.5
    assert result.score == pytest.approx(2.3333, abs=1e-3)


def test_honest_partial_work_keeps_its_credit(tmp_path):
    """A batch norm with eps missing normalises (wrongly by eps) and keeps its running
    statistics' property and its test mode; an LSTM step with a wrong next_h keeps its
    next_c's half."""
    bn = mutant(tmp_path / "bn", {"stability.py": [("np.sqrt(var + eps)", "np.sqrt(var)")]})
    result = grade_fast(bn, "batchnorm")
    by_id = {c.id: c for c in result.checks}
    assert by_id["bn.momentum"].status == "passed" and by_id["bn.test"].status == "passed"
    assert by_id["bn.train"].points == 0  # its running statistics count through bn.momentum instead
    lstm = mutant(tmp_path / "lstm", {"rnn_layers.py": [("    next_h = o * tanh_c\n", "    next_h = o * next_c\n")]})
    step = next(c for c in grade_fast(lstm, "lstm_step").checks if c.id == "lstm_step.forward")
    assert step.points == pytest.approx(1.0)


def test_a_self_check_knows_trivially_right_outputs(tmp_path):
    """A public case stores its inputs and outputs rounded differently: the running
    statistics a test-mode batch norm returns unchanged were not recognised as trivial
    there, and a batch norm returning zeros earned 1.7 points of bn.test."""
    code = '''
import numpy as np

def batchnorm_forward(x, gamma, beta, bn_param):
    return np.zeros_like(x), None
'''
    result = grade(write_submission(tmp_path / "s", {"bn.py": code}), trusted_in_process=True)
    assert not result.official
    assert result.score == 0, [(c.id, c.points) for c in result.checks if c.points]


def test_value_credit_of_by_products():
    # out wrong, running statistics right: nothing; out right, one statistic wrong: two thirds.
    assert policy.value_credit(3, [False, True, True], [False, False, False], False, [False, True, True]) == 0
    assert policy.value_credit(3, [True, True, False], [False, False, False], False, [False, True, True]) == 2
    # three clipped gradients, two right, and the norm: the norm earns two thirds of its share.
    assert policy.value_credit(2, [True, False, True, True], [False] * 4, False,
                               [False, False, False, True]) == pytest.approx(2 * (2 + 2 / 3) / 4, abs=1e-4)
