"""The report's layout decisions, without a browser: what to fix first and in which
order, causes said once, passed items folded, load errors first with the line to
fix, metadata last, the neutral state of items not counted yet, and the difference
view of wrong arrays (with the pattern it shows), only where expected values may be
shown."""

from __future__ import annotations

import numpy as np
import pytest
from browser.reportkit import Page, check, exercise, result
from support import grade_fast, mutant, write_submission

from grader import paths
from grader.api import grade
from grader.checks.engine import Exercise, ExerciseResult
from grader.i18n import msg, render
from grader.report import diff, view
from grader.report.html import render_html, rich

SAMPLE = paths.EXAMPLES / "sample_submission"


def failing(name: str, builds_on=(), mistakes=(), message=None, func="f_forward") -> ExerciseResult:
    c = check(f"{name}.forward", status="failed", points=0.0, func=func, mistakes=list(mistakes),
              messages=[message or msg("value.mismatch", func=func, output="out", err=0.5, where=[], n_wrong=1,
                                       n_total=2)])
    er = exercise(name, [c], title=msg("exercise.affine"), functions=(func,))
    er.exercise = Exercise(name, msg("exercise.affine"), "layers.py", [func], [], builds_on=tuple(builds_on)).info()
    return er


def full(name: str) -> ExerciseResult:
    return exercise(name, [check(f"{name}.forward")])


# ------------------------------------------------------------ what to fix first
def test_a_failing_building_block_comes_before_what_uses_it():
    exercises = [failing("lstm", builds_on=("lstm_step",)), full("tanh"), failing("lstm_step"),
                 failing("net", builds_on=("affine", "relu")), failing("relu")]
    order = [er.exercise.name for er in view.fix_order(exercises)]
    assert order == ["lstm_step", "lstm", "relu", "net"]
    assert order.index("lstm_step") < order.index("lstm") and "tanh" not in order


def test_each_entry_has_its_first_cause_its_mistakes_and_a_link():
    cause = msg("value.mismatch", func="mse_loss", output="dy_pred", err=0.6, where=[], n_wrong=3, n_total=4)
    exercises = [failing("losses", mistakes=["21"], message=cause, func="mse_loss")]
    (entry,) = view.fix_first(exercises, load_failed=False)
    assert entry.cause == cause and [m.id for m in entry.mistakes] == ["21"]
    assert entry.exercises == [("ex-losses", msg("exercise.affine"))]
    html = render_html(result(exercises), "en")
    page = Page(html)
    assert page.ids().index("h-fix") < page.ids().index("ex-losses")  # the list comes first, links below
    assert any(a.get("href") == "#ex-losses" for a in page.tags("a"))
    assert "dividing by N twice" in page.text


def test_exercises_failing_for_one_shared_reason_make_one_line():
    stub = msg("call.not_implemented", func="x")
    exercises = [failing(n, message=stub) for n in ("a", "b", "c")] + [failing("d")]
    entries = view.fix_first(exercises, load_failed=False)
    assert [len(e.exercises) for e in entries] == [3, 1]
    assert entries[0].cause == msg("feedback.fix.not_implemented")
    missing = [failing(n, message=msg("call.missing", func="x")) for n in ("a", "b")]
    (entry,) = view.fix_first(missing, load_failed=True)
    assert entry.cause == msg("feedback.fix.missing_not_loaded")


def test_the_untouched_exercises_need_one_line_on_the_first_screen(stubs_selfcheck_result):
    built = view.build(stubs_selfcheck_result)
    assert len(built.fix_first) == 1 and len(built.fix_first[0].exercises) == len(built.exercises)
    assert built.fix_first[0].points == 0


# ------------------------------------------------------------ causes said once
def test_checks_that_fail_because_their_function_did_not_run_are_one_cause_block():
    stub = msg("call.not_implemented", func="relu_forward")
    checks = [check(f"relu.{k}", status="failed", points=0.0, messages=[stub]) for k in ("a", "b", "c")]
    checks.append(check("relu.d", status="failed", points=0.0,
                        messages=[msg("mutation.changed", func="relu_backward", args="dout")]))
    built = view.build(result([exercise("relu", checks)]))
    (ex,) = built.exercises
    (group,) = ex.causes
    assert group.cause == stub and len(group.titles) == 3 and group.max_points == 3
    assert [i.anchor for i in ex.failed] == ["check-relu-d"]
    html = render_html(result([exercise("relu", checks)]), "en")
    section = Page(html[html.index('id="ex-relu"'):]).text
    assert section.count("relu_forward is not implemented yet") == 1  # said once, not on every check


def test_a_missing_function_points_at_the_file_that_did_not_load(tmp_path):
    sub = write_submission(tmp_path / "s", {"layers.py": "def relu_forward(x:\n    pass\n"})
    res = grade(sub)
    built = view.build(res)
    relu = next(e for e in built.exercises if e.name == "relu")
    assert relu.causes and relu.causes[0].not_loaded
    (problem,) = [p for p in built.load_problems if p.file == "layers.py"]
    assert problem.line == 1 and problem.source == "def relu_forward(x:"
    page = Page(render_html(res, "zh"))
    assert page.ids().index("loading") < page.ids().index("h-fix")  # the load error first
    assert "def relu_forward(x:" in page.text
    assert page.ids().index("about") > page.ids().index("ex-residual")  # metadata at the bottom


# ------------------------------------------------------------ folded, neutral
def test_passed_items_are_folded_and_not_counted_yet_is_neutral(tmp_path):
    sub = mutant(tmp_path / "m", {"layers.py": [("    return np.where(x > 0, dout, 0.0)\n",
                                                  "    return np.zeros_like(dout)\n")]})
    res = grade_fast(sub, "relu")
    pending = [c for c in res.checks if c.status == "pending"]
    assert pending  # inputs left unchanged, withheld
    html = render_html(res, "en")
    page = Page(html)
    folds = page.with_class("fold", "details")
    assert folds and all("open" not in d for d in folds)
    assert page.with_class("state-pending") and page.with_class("pending-note")
    (ex,) = view.build(res).exercises
    assert all(i.status != "failed" for i in ex.pending) and ex.n_pending == len(pending)
    # a pending item is never a red "failed" article
    assert not any("pending" in a.get("class", "") and "failed" in a.get("class", "")
                   for a in page.tags("article"))


def test_a_fully_passed_exercise_is_one_folded_line():
    built = view.build(result([full("tanh")]))
    (ex,) = built.exercises
    assert ex.state == "full" and not ex.failed and len(ex.passed) == 1
    html = render_html(result([full("tanh")]), "en")
    assert html.count('class="ex-status"') == 1  # inside the fold's summary, not a line of its own
    assert "Every check passed." in Page(html).text


def test_building_block_notes_and_repeated_mistakes_are_said_once_per_exercise():
    note = msg("check.builds_on", exercises=[msg("exercise.affine")])
    found = msg("mistake.21.found", ratio="1/4")
    items = [check(f"l.{k}", status="failed", points=0.0, mistakes=["21"],
                   messages=[msg("call.error", func="f", type="T", message=str(k)), found, note]) for k in range(2)]
    (ex,) = view.build(result([exercise("l", items)])).exercises
    assert ex.foundations == [note]
    assert [mv.again for i in ex.failed for mv in i.mistakes] == [False, True]
    text = Page(render_html(result([exercise("l", items)]), "en")).text
    assert text.count("Also failing") == 1 and text.count("as if the average over the batch") == 1


# ------------------------------------------------------------ difference view
def test_patterns_name_the_usual_causes():
    e = np.arange(1.0, 13.0).reshape(4, 3)
    bias = np.array([0.5, -1.0, 2.0])
    assert diff.pattern(e, e - bias).key == "feedback.diff.per_column"  # a missing bias
    assert diff.pattern(e, e * 0.25).key == "feedback.diff.scaled"
    assert diff.pattern(e, e * 0.25).params["factor"] == "0.25 (1/4)"
    assert diff.pattern(e, -e).key == "feedback.diff.sign"
    assert diff.pattern(e, e.T).key == "feedback.diff.transposed"  # a wrong shape
    square = np.array([[1.0, 2.0], [3.0, 5.0]])
    assert diff.pattern(square, square.T).key == "feedback.diff.transposed"  # same shape
    assert diff.pattern(e, e + 0.3).key == "feedback.diff.constant"
    assert diff.pattern(e, np.zeros_like(e)).key == "feedback.diff.zeros"
    assert diff.pattern(e, e + np.array([[1.0], [2.0], [3.0], [4.0]])).key == "feedback.diff.per_row"
    cube = np.arange(24.0).reshape(2, 3, 4)
    assert diff.pattern(cube, cube + np.arange(12.0).reshape(3, 4)).key == "feedback.diff.per_sample"
    rng = np.random.default_rng(0)
    assert diff.pattern(e, e + rng.standard_normal(e.shape)) is None  # no pattern: none named
    assert diff.pattern(e, e) is None and diff.pattern(e, [[np.nan] * 3] * 4) is None
    assert diff.pattern(e, np.ones(5)) is None  # another shape, not a transpose


def test_differences_are_aligned_and_right_entries_read_zero():
    d = np.array([[0.5, -0.00012], [1e-12, 2.25]])
    cells = diff.aligned(d, np.array([[True, True], [False, True]]))
    assert cells.tolist() == [["+0.500", "-1.20e-04"], ["0", "+2.250"]]
    assert {len(c) for c in cells.reshape(-1) if c not in ("0",) and "e" not in c} == {6}


def test_a_self_check_shows_the_difference_of_a_missing_bias(tmp_path):
    sub = mutant(tmp_path / "nobias", {"layers.py": [("    out = x.reshape(x.shape[0], -1) @ w + b\n",
                                                      "    out = x.reshape(x.shape[0], -1) @ w\n")]})
    res = grade(sub, trusted_in_process=True)
    item = next(i for ex in view.build(res).exercises if ex.name == "affine" for i in ex.failed
                if i.outputs and i.outputs[0].diff is not None)
    assert item.outputs[0].pattern.key == "feedback.diff.per_column"
    assert [p.key for _, p in item.patterns] == ["feedback.diff.per_column"]
    for lang in ("en", "zh"):
        text = Page(render_html(res, lang)).text
        assert render(msg("feedback.diff.per_column"), lang) in text


def test_hidden_inputs_never_get_a_difference_view(tmp_path):
    sub = mutant(tmp_path / "nobias", {"layers.py": [("    out = x.reshape(x.shape[0], -1) @ w + b\n",
                                                      "    out = x.reshape(x.shape[0], -1) @ w\n")]})
    res = grade_fast(sub, "affine")
    built = view.build(res)
    assert all(o.diff is None and o.pattern is None and o.expected is None
               for ex in built.exercises for i in ex.items for o in i.outputs)
    row = {"name": "out", "ok": False, "rel_error": 0.5, "where": [], "problem": "values",
           "expected": [[1.0, 2.0], [3.0, 4.0]], "received": [[0.5, 1.5], [2.5, 3.5]], "wrong": [[True] * 2] * 2}
    c = check("a.forward", status="failed", points=0.0, details={"hidden_inputs": False, "outputs": [dict(row)]})
    html = render_html(result([exercise("a", [c])], official=True), "en")
    assert "same amount" not in html and "table class=\"array\"" not in html


# ------------------------------------------------------------ notation
@pytest.mark.parametrize("text, html", [
    ("fan-in n_{L-1} = 3", "n<sub>L−<span class=\"num\">1</span></sub>"),
    ("(n_{L-1}, n_L)", "n<sub>L</sub>"),
])
def test_the_lectures_subscripts_are_typeset(text, html):
    out = str(rich(text))
    assert html in out and "_{" not in out
    assert "<code>lstm_step_forward</code>" in str(rich("lstm_step_forward"))


def test_the_sample_report_has_no_raw_subscript(sample_selfcheck_result):
    res = sample_selfcheck_result
    for lang in ("en", "zh"):
        assert "_{" not in Page(render_html(res, lang)).text


def test_a_transposed_result_of_the_wrong_shape_is_named(tmp_path):
    sub = mutant(tmp_path / "t", {"layers.py": [("    out = x.reshape(x.shape[0], -1) @ w + b\n",
                                                 "    out = (x.reshape(x.shape[0], -1) @ w + b).T\n")]})
    res = grade(sub, trusted_in_process=True)
    rows = [o for ex in view.build(res).exercises if ex.name == "affine" for i in ex.failed for o in i.outputs]
    assert any(o.pattern is not None and o.pattern.key == "feedback.diff.transposed" for o in rows)
    assert all(o.diff is None for o in rows if o.pattern and o.pattern.key == "feedback.diff.transposed")
