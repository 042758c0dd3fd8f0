"""The Result is plain data: message keys and parameters, no rendered text, no live
spec objects; to_dict/from_dict round-trip it losslessly, so a stored result renders
exactly like the one graded, in either language."""

from __future__ import annotations

import json
import math
import pickle

import numpy as np
import pytest
from browser.reportkit import crashing_submission, hostile_result
from support import grade_fast, grade_official, mutant

from grader import paths
from grader.checks.engine import Exercise, ExerciseInfo, ExerciseResult
from grader.i18n import Message, msg
from grader.plain import decode, encode, message
from grader.report.html import render_html
from grader.report.terminal import summary
from grader.results import FORMAT, Result
from grader.results.gradescope import to_gradescope
from grader.results.junit import to_junit

SAMPLE = paths.EXAMPLES / "sample_submission"


# ------------------------------------------------------------------ the codec
@pytest.mark.parametrize("value", [
    None, True, 0, -3, 1.5, "文字", [], {}, [1, [2, [3]]],
    (3, 4), ((1, 2), [3, (4,)]),
    {"a": (1, 2), "b": [msg("axis.sample", i=0)]},
    msg("call.error", func="f", type="ValueError", message=msg("axis.unit", i=(1, 2))),
    {"$msg": "looks like a tag", "params": 1}, {"$tuple": [1]},
    {1: "one", (2, 3): "pair"},
])
def test_plain_values_round_trip_through_json(value):
    data = json.loads(json.dumps(encode(value), allow_nan=False))
    back = decode(data)
    assert back == value and type(back) is type(value)


@pytest.mark.parametrize("x", [math.nan, math.inf, -math.inf])
def test_non_finite_floats_survive_strict_json(x):
    text = json.dumps(encode({"err": x, "shape": (x,)}), allow_nan=False)
    back = decode(json.loads(text))
    assert math.isnan(back["err"]) if math.isnan(x) else back["err"] == x
    assert isinstance(back["shape"], tuple)


def test_numpy_values_become_python_numbers():
    data = encode({"a": np.float64(0.25), "n": np.int64(3), "arr": np.arange(4.0).reshape(2, 2),
                   "flag": np.bool_(True)})
    assert json.loads(json.dumps(data)) == {"a": 0.25, "n": 3, "arr": [[0.0, 1.0], [2.0, 3.0]], "flag": True}


def test_a_live_object_is_refused_not_stored_as_its_repr():
    with pytest.raises(TypeError):
        encode({"spec": object()})
    with pytest.raises(TypeError):
        encode(Exercise("x", msg("exercise.affine"), "layers.py", [], []))


def test_messages_of_results_json_are_read_too():
    old = msg("call.error", func="f", type="T", message="m").to_dict()  # {"key", "params"}
    assert message(old) == Message("call.error", {"func": "f", "type": "T", "message": "m"})
    nested = msg("policy.pending_note", reason=msg("call.missing", func="f"), points="1").to_dict()
    assert message(nested).params["reason"] == msg("call.missing", func="f")


# ------------------------------------------------------------------ results
def _same_everywhere(a: Result, b: Result) -> None:
    for lang in ("zh", "en"):
        assert render_html(a, lang) == render_html(b, lang)
        assert summary(a, lang, verbose=True) == summary(b, lang, verbose=True)
        assert to_gradescope(a, lang) == to_gradescope(b, lang)
        assert to_junit(a, lang) == to_junit(b, lang)


def _round_trip(result: Result) -> Result:
    text = json.dumps(result.to_dict(), allow_nan=False, ensure_ascii=False)
    back = Result.from_dict(json.loads(text))
    assert back.to_dict() == result.to_dict()
    return back


@pytest.fixture(scope="module")
def sample_selfcheck(sample_selfcheck_result) -> Result:
    return sample_selfcheck_result


def test_a_self_check_round_trips_and_renders_identically(sample_selfcheck):
    back = _round_trip(sample_selfcheck)
    _same_everywhere(sample_selfcheck, back)
    assert back.score == sample_selfcheck.score and back.mistakes() == sample_selfcheck.mistakes()


def test_an_official_grade_of_a_mutant_round_trips(tmp_path):
    sub = mutant(tmp_path / "m", {"rnn_layers.py": [("i, f, o = s[:, :H], s[:, H:2 * H], s[:, 2 * H:]",
                                                     "f, i, o = s[:, :H], s[:, H:2 * H], s[:, 2 * H:]")]})
    result = grade_fast(sub, "lstm_step", "lstm")
    assert result.mistakes()
    _same_everywhere(result, _round_trip(result))


def test_a_crashed_and_a_hostile_result_round_trip(tmp_path):
    crashed = grade_official(crashing_submission(tmp_path / "crash"), "sigmoid", "relu", "net")
    for result in (crashed, hostile_result()):
        _same_everywhere(result, _round_trip(result))


def test_a_result_holds_no_live_spec_object(sample_selfcheck):
    for er in sample_selfcheck.exercises:
        assert type(er.exercise) is ExerciseInfo
        assert not hasattr(er.exercise, "checks")
    restored = pickle.loads(pickle.dumps(sample_selfcheck))  # a batch worker sends it back
    assert restored.to_dict() == sample_selfcheck.to_dict()


def test_an_exercise_result_made_from_a_spec_keeps_only_its_info():
    ex = Exercise("e", msg("exercise.affine"), "layers.py", ["affine_forward"], [], builds_on=("relu",))
    er = ExerciseResult(ex)
    assert er.exercise == ExerciseInfo("e", msg("exercise.affine"), "layers.py", ("affine_forward",), "", ("relu",))


def test_a_newer_format_is_refused_and_unknown_fields_are_ignored(sample_selfcheck):
    data = sample_selfcheck.to_dict()
    assert data["format"] == FORMAT
    with pytest.raises(ValueError, match="newer"):
        Result.from_dict(dict(data, format=FORMAT + 1))
    assert Result.from_dict(dict(data, added_later={"x": 1})).to_dict() == data
