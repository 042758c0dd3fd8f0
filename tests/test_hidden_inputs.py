"""Hidden inputs are bound to the submission's content (attack review, finding 1).

The check specs ship with rnngrade and a course's salt may be public, so a seed made
of the student id alone let a student compute their own hidden inputs offline, run
any correct code on them and hand in a table of answers (211.5 of 214.5 code points
with no layer written). Now every change to a submission draws new inputs, while the
same content still gets the same inputs everywhere."""

from __future__ import annotations

from support import SOLUTIONS, exercises_named, reference_plus

from grader.api import grade
from grader.seed import inputs_seed, student_seed

SPY = '''
_seen_relu = relu_forward


def relu_forward(x):
    print("x-sum", repr(float(x.sum())))
    return _seen_relu(x)
'''


def _inputs_seen(folder) -> str:
    result = grade(folder, solutions=SOLUTIONS, student="mallory", exercises=exercises_named("relu"),
                   trusted_in_process=True)
    value = next(c for c in result.checks if c.id == "relu.forward")
    assert value.status == "passed"
    return value.output


def test_the_same_content_gets_the_same_inputs_and_any_change_new_ones(tmp_path):
    first = _inputs_seen(reference_plus(tmp_path / "a", SPY))
    again = _inputs_seen(reference_plus(tmp_path / "b", SPY))  # same bytes, another folder
    changed = _inputs_seen(reference_plus(tmp_path / "c", SPY + "# a comment changes nothing else\n"))
    assert "x-sum" in first
    assert first == again
    assert changed != first


def test_a_table_of_answers_for_last_submission_inputs_is_worthless(tmp_path):
    """The replay attack in miniature: learn the inputs of one submission, hand in a
    table keyed by them; the table changes the submission, so its inputs are new."""
    seen = _inputs_seen(reference_plus(tmp_path / "spy", SPY))
    learned = float(seen.split("x-sum", 1)[1].split()[0])
    table = SPY.replace('print("x-sum", repr(float(x.sum())))',
                        f'print("was-known", abs(float(x.sum()) - {learned!r}) < 1e-12)')
    replay = _inputs_seen(reference_plus(tmp_path / "replay", table))
    assert "was-known False" in replay and "was-known True" not in replay


def test_inputs_seed_depends_on_student_and_fingerprint():
    a, b = student_seed("alice"), student_seed("bob")
    assert inputs_seed(a, "f1") == inputs_seed(a, "f1")
    assert len({inputs_seed(a, "f1"), inputs_seed(a, "f2"), inputs_seed(b, "f1")}) == 3
