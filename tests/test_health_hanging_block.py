"""A building block that hangs does not cost the right composite built on it (review
follow-up): the composite is judged again with the reference's blocks (policy rule 4),
exactly as when the block is merely wrong.

The composite's own first call hangs too (inside the student's block), and a call
that hung poisons later calls of that function; a *substituting* call, with the
student's blocks replaced, is another computation and must still run
(grader.sandbox.session._poison_key). One sandboxed grade covers two recurrent composites
(one carrying a cell state), against a grade in which the same blocks raise instead."""

from __future__ import annotations

from support import grade_fast, grade_official, mutant

from grader.sandbox.session import Limits

# Short per-call limit: four calls hang (each block once, each composite once).
FAST = Limits(call_seconds=0.5, total_seconds=60.0, load_seconds=10.0)
BLOCKS = {"rnn": "def rnn_step_forward(x, prev_h, Wx, Wh, b):\n",
          "lstm": "def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):\n"}
EXERCISES = [name for composite in BLOCKS for name in (f"{composite}_step", composite)]


def _grade(root, body: str, grade=grade_official, **kw):
    edits = {"rnn_layers.py": [(head, head + body) for head in BLOCKS.values()]}
    result = grade(mutant(root, edits), *EXERCISES, **kw)
    return {e.exercise.name: e for e in result.exercises}


def test_a_hanging_block_costs_the_composite_what_a_wrong_block_costs(tmp_path):
    hanging = _grade(tmp_path / "hang", "    while True:\n        pass\n", limits=FAST)
    # The same blocks raising instead: trusted code, graded in this process.
    wrong = _grade(tmp_path / "wrong", "    raise ValueError('a wrong block')\n", grade_fast)
    for composite in BLOCKS:
        step = hanging[f"{composite}_step"]
        assert step.points == 0 and any(c.status == "failed" and any(m.key == "call.timeout" for m in c.messages)
                                        for c in step.results), composite  # the block itself is charged
        assert wrong[composite].points > 0.9 * wrong[composite].max_points, composite  # rescued when wrong
        assert hanging[composite].points == wrong[composite].points, composite  # ... and when it hangs
        forward = next(c for c in hanging[composite].results if c.id == f"{composite}.forward")
        assert forward.status == "passed" and forward.details.get("substituted"), composite
