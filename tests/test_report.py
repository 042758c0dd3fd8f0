"""The HTML report without a browser: content, grouping, hiding, escaping, size.

The browser tests (tests/browser/) render the same reports in Chromium."""

from __future__ import annotations

import importlib.util
import re

import pytest
from browser.reportkit import (
    PAYLOAD,
    PAYLOADS,
    Page,
    check,
    crashing_submission,
    exercise,
    heading_jumps,
    hostile_result,
    result,
)
from click.testing import CliRunner
from support import grade_official, mutant, write_submission

from grader import paths
from grader.checks.engine import Exercise, ExerciseResult
from grader.checks.model import CheckResult
from grader.cli import main
from grader.i18n import msg
from grader.report import view
from grader.report.html import render_html, rich

SAMPLE = paths.EXAMPLES / "sample_submission"


@pytest.fixture(scope="module")
def sample_official(sample_official_result):
    return sample_official_result


@pytest.fixture(scope="module")
def sample_selfcheck(sample_selfcheck_result):
    return sample_selfcheck_result


def well_formed(page: Page) -> None:
    assert not page.unbalanced, f"unbalanced tags: {page.unbalanced[:5]}"
    assert not page.stack, f"unclosed tags: {page.stack[:5]}"
    assert page.headings[0] == 1 and page.headings.count(1) == 1
    assert not heading_jumps(page.headings), heading_jumps(page.headings)
    ids = page.ids()
    assert len(ids) == len(set(ids)), "duplicate id attributes"


def self_contained(html: str, page: Page) -> None:
    """No script, no external resource: nothing that could make a request."""
    assert not page.tags("script") and not page.tags("iframe") and not page.tags("link")
    assert not page.tags("img") and not page.tags("object") and not page.tags("embed")
    for _, attrs in page.elements:
        assert not any(k.startswith("on") for k in attrs), attrs
        for k in ("src", "href", "action", "srcset", "data"):
            v = attrs.get(k, "")
            assert not v or v.startswith("#"), f"{k}={v!r} would load something"
    assert not re.search(r"url\((?!#)", html) and "@import" not in html  # url(#id) is a local reference


# ------------------------------------------------------------------ sample
@pytest.mark.parametrize("lang, html_lang", [("en", "en"), ("zh", "zh-CN")])
def test_sample_report_names_mistakes_and_has_gradient_tables(sample_official, lang, html_lang):
    html = render_html(sample_official, lang)
    page = Page(html)
    well_formed(page)
    self_contained(html, page)
    assert page.tags("html")[0]["lang"] == html_lang
    mistakes = page.with_class("mistake")
    assert mistakes, "no named misconception shown"
    assert page.with_class("gradients", "table")
    assert "21" in {m.id for m, _ in view.build(sample_official).mistakes}
    name = {"en": "dividing by N twice", "zh": "重复除以 N"}[lang]
    assert name in page.text
    # the list of mistakes links to the check showing each one
    links = [a["href"][1:] for a in page.tags("a") if a.get("href", "").startswith("#")]
    assert set(links) <= set(page.ids())
    # every exercise has its section
    for er in sample_official.exercises:
        assert ("quiz" if er.exercise.name == "quiz" else view.anchor(f"ex-{er.exercise.name}")) in page.ids()


def test_sample_report_shows_quiz_and_plot_when_those_parts_exist(sample_official):
    parts = {"quiz": importlib.util.find_spec("grader.quiz"), "experiments": importlib.util.find_spec("grader.experiments")}
    if not all(parts.values()):
        pytest.skip(f"not in this checkout yet: {[k for k, v in parts.items() if v is None]}")
    for lang in ("en", "zh"):
        page = Page(render_html(sample_official, lang))
        assert "quiz" in page.ids()
        assert page.tags("svg"), "no plot in the sample report"


def test_report_is_small_for_a_full_submission(sample_selfcheck, sample_official):
    for res in (sample_selfcheck, sample_official):
        for lang in ("en", "zh"):
            assert len(render_html(res, lang).encode()) < 1_000_000


def test_unknown_language_is_refused(sample_official):
    with pytest.raises(ValueError, match="unknown language"):
        render_html(sample_official, "fr")


# ------------------------------------------------------------ hidden / public
def test_official_report_never_shows_expected_values(tmp_path):
    sub = mutant(tmp_path / "m", {"layers.py": [("-err / n", "-err / n / n")]})
    res = grade_official(sub, "losses")
    failed = [c for c in res.checks if c.status == "failed" and c.kind == "value"]
    assert failed, "the mutant should fail a value check"
    for c in res.checks:
        for row in c.details.get("outputs", []):
            assert not {"expected", "received", "wrong"} & set(row), "official details hold expected values"
    page = Page(render_html(res, "en"))
    assert not page.with_class("array", "table")
    assert "drawn for you and are not shown" in page.text


def test_view_hides_expected_values_in_official_mode_even_if_details_hold_them():
    row = {"name": "out", "ok": False, "rel_error": 0.5, "where": [], "problem": "values",
           "expected": [123.456], "received": [1.0], "wrong": [True]}
    for official, hidden in ((True, False), (False, True), (True, True)):
        c = check("a.forward", status="failed", points=0.0, details={"hidden_inputs": hidden, "outputs": [dict(row)]})
        html = render_html(result([exercise("a", [c])], official=official), "en")
        assert "123.456" not in html
    c = check("a.forward", status="failed", points=0.0, details={"hidden_inputs": False, "outputs": [dict(row)]})
    assert "123.456" in render_html(result([exercise("a", [c])], official=False), "en")


def test_selfcheck_report_marks_the_differing_entries(sample_selfcheck):
    page = Page(render_html(sample_selfcheck, "zh"))
    arrays = page.with_class("array", "table")
    assert len(arrays) >= 2  # expected and received side by side
    rows = [row for c in sample_selfcheck.checks for row in c.details.get("outputs", []) if row.get("wrong")]
    n_wrong = sum(sum(_flat(row["wrong"])) for row in rows)
    # marked in both tables (✗, bold, outline) and in the difference view (bold, outline; a right entry reads 0)
    assert len(page.with_class("wrong", "td")) == 3 * n_wrong
    assert len(page.with_class("mark", "span")) == 2 * n_wrong
    assert "标有 ✗ 的元素与期望值不同" in page.text


def _flat(v):
    return [x for item in v for x in _flat(item)] if isinstance(v, list) else [v]


def test_array_view_shapes_and_limits():
    a = view.array_view([[1.0, 2.0], [3.0, float("nan")]], [[False, True], [False, True]])
    assert a.shape == (2, 2) and a.slices[0][1] == [["1", "2"], ["3", "nan"]]
    assert a.slices[0][2] == [[False, True], [False, True]]
    cube = view.array_view([[[0.0] * 2] * 3] * 2)
    assert [s[0] for s in cube.slices] == [0, 1] and cube.shape_text == "(2, 3, 2)"
    assert view.array_view(list(range(61))) is None  # too large to draw
    assert view.array_view([[1.0], [2.0, 3.0]]) is None  # ragged
    assert view.array_view(2.5).slices[0][1] == [["2.5"]]


# ---------------------------------------------------------------- grouping
def test_gradient_items_of_one_backward_become_one_table():
    grad = lambda g: msg("title.gradient", func="lstm_step_backward", grad=g)  # noqa: E731
    ref = lambda g: msg("title.backward_reference", func="lstm_step_backward", grad=g)  # noqa: E731
    items = [
        check("lstm.grad.dx", kind="gradient", title=grad("dx"), details={"rel_error": 1e-10}),
        check("lstm.grad.dWx", kind="gradient", title=grad("dWx"), status="failed", points=0.0,
              details={"rel_error": 0.3, "probed": 48, "probed_wrong": 12, "worst_index": [1, 7],
                       "wrong_blocks": ["f", "g"]},
              messages=[msg("gradient.mismatch", func="lstm_step_backward", grad="dWx", err=0.3),
                        msg("gradient.blocks", grad="dWx", blocks="f, g"), msg("call.stale", func="PROBE")]),
        check("lstm.grad.dx.reference", kind="backward", title=ref("dx"), details={"rel_error": 2e-12}),
        check("lstm.grad.dWx.reference", kind="backward", title=ref("dWx"), status="failed", points=0.0,
              details={"rel_error": 0.4}, messages=[msg("backward.mismatch", func="lstm_step_backward", grad="dWx",
                                                        err=0.4, where=[])]),
        check("lstm.mutation", kind="mutation", title=msg("title.mutation", func="lstm_step_backward")),
    ]
    res = result([exercise("lstm", items)])
    built = view.build(res).exercises[0].items
    assert [i.kind for i in built] == ["gradient", "mutation"]
    table = built[0]
    assert [g.grad for g in table.gradients] == ["dx", "dWx"]
    assert table.status == "failed" and table.points == 2.0 and table.max_points == 4.0
    assert table.gradients[1].probe["wrong_blocks"] == ["f", "g"]
    # what the table shows is not repeated below it; the localisation moves into the row
    assert [m.key for m in table.gradients[1].notes] == ["gradient.blocks"]
    assert [m.key for m in table.messages] == ["call.stale"]
    page = Page(render_html(res, "en"))
    (tbl,) = page.with_class("gradients", "table")
    assert "Against the reference" in page.text and "lie in the gate block(s) f, g" in page.text
    assert len(page.with_class("row-failed", "tr")) == 1


def test_a_reference_mismatch_is_kept_when_the_numerical_check_passed():
    grad = msg("title.gradient", func="rnn_backward", grad="dWh")
    ref = msg("title.backward_reference", func="rnn_backward", grad="dWh")
    mismatch = msg("backward.mismatch", func="rnn_backward", grad="dWh", err=0.5, where=[msg("axis.row", i=2)])
    items = [check("rnn.grad.dWh", kind="gradient", title=grad, details={"rel_error": 1e-9}),
             check("rnn.grad.dWh.reference", kind="backward", title=ref, status="failed", points=0.0,
                   details={"rel_error": 0.5}, messages=[mismatch])]
    (table,) = view.build(result([exercise("rnn", items)])).exercises[0].items
    assert table.messages == [mismatch]


def test_a_named_mistake_gets_its_callout_with_the_found_text():
    c = check("mse.value", status="failed", points=0.0, mistakes=["21", "999"],
              messages=[msg("value.mismatch", func="mse_loss", output="dy_pred", err=0.6, where=[], n_wrong=1,
                            n_total=2),
                        msg("mistake.21.found", ratio="1/4")])
    item = view.build(result([exercise("mse", [c])])).exercises[0].items[0]
    assert [m.key for m in item.messages] == ["value.mismatch"]
    assert [(mv.id, [f.key for f in mv.found]) for mv in item.mistakes] == [("21", ["mistake.21.found"]), ("999", [])]
    text = Page(render_html(result([exercise("mse", [c])]), "zh")).text
    assert "常见错误 21：重复除以 N" in text and "常见错误 999" in text and "1/4" in text


def test_passed_checks_and_full_marks():
    res = result([exercise("a", [check("a.forward", details={"outputs": [{"name": "out", "ok": True,
                                                                            "rel_error": 1e-16}]})])])
    page = Page(render_html(res, "en"))
    assert not page.with_class("failed") and page.with_class("passed")
    assert "largest relative error" in page.text and "complete" in page.text
    assert not page.with_class("mistake-list")


# ------------------------------------------------------------ student output
def test_student_output_is_capped_and_grader_tracebacks_are_never_shown():
    long = "x" * (view.OUTPUT_CHARS + 500)
    c = check("a.forward", status="failed", points=0.0, output=long,
              details={"grader_traceback": "SECRET hidden test code", "traceback": "tb-line\n"})
    html = render_html(result([exercise("a", [c])]), "en")
    assert "x" * view.OUTPUT_CHARS in html and "x" * (view.OUTPUT_CHARS + 1) not in html
    assert "500 more characters not shown" in html
    assert "SECRET" not in html and "tb-line" in html


def test_python_warnings_of_the_student_code_are_shown_with_the_check(tmp_path):
    sub = write_submission(tmp_path / "w", {"layers.py": (
        "import warnings\nimport numpy as np\n"
        "def relu_forward(x):\n    warnings.warn('careful <b>here</b>')\n    return np.maximum(0, x), x\n")})
    res = grade_official(sub, "relu")
    by_id = {c.id: c for c in res.checks}
    assert by_id["relu.forward"].details["warnings"] == ["careful <b>here</b>"]  # value check
    assert by_id["relu.grad.dx"].details["warnings"] == ["careful <b>here</b>"]  # gradient check (forward)
    assert "warnings" not in by_id["relu.mutation"].details  # relu_backward is missing: it never ran
    page = Page(render_html(res, "zh"))
    assert page.text.count("careful <b>here</b>") >= 2 and "你的代码触发的 Python 警告" in page.text
    assert not page.tags("b")


def test_crashed_submission_still_gets_a_report(tmp_path):
    res = grade_official(crashing_submission(tmp_path / "c"), "relu", "sigmoid", "net")
    for lang in ("en", "zh"):
        html = render_html(res, lang)
        page = Page(html)
        well_formed(page)
        self_contained(html, page)
        assert "loading" in page.ids()
        assert any("syntax" in t.lower() or "语法" in t for t in [page.text])
        # one article per cause (each function that crashed or is missing), listing every check it costs
        assert len(page.with_class("failed", "article")) >= 3
        built = view.build(res)
        listed = sum(len(g.titles) for ex in built.exercises for g in ex.causes)
        listed += sum(i.count for ex in built.exercises for i in ex.failed)
        assert listed == sum(c.status == "failed" for c in res.checks) > 3
        assert res.score == 0


# ------------------------------------------------------------------ escaping
def test_every_field_from_the_submission_is_escaped():
    for lang in ("en", "zh"):
        html = render_html(hostile_result(), lang)
        page = Page(html)
        well_formed(page)
        self_contained(html, page)
        for p in PAYLOADS:
            assert p not in html or "<" not in p and '"' not in p and "'" not in p, p
        assert "&lt;script&gt;" in html
        # the payload text survives, as text, in each place
        assert page.text.count("<script>alert('xss')</script>") >= 8


def test_real_submission_with_markup_in_prints_and_errors_is_escaped(tmp_path):
    res = grade_official(crashing_submission(tmp_path / "c"), "sigmoid")
    html = render_html(res, "en")
    page = Page(html)
    self_contained(html, page)
    assert "<script>alert('xss')</script>" in page.text  # shown, as text
    assert "<script>" not in html


def test_rich_escapes_before_marking_code_and_numbers():
    out = str(rich("<script>a_b</script> it's 0.5 at (3, 4) `x < y` lstm_step_forward dx", frozenset({"dx"})))
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "<code>lstm_step_forward</code>" in out and "<code>x &lt; y</code>" in out
    assert '<span class="num">0.5</span>' in out and "<code>(3, 4)</code>" in out
    assert "&#39;" in out and "<code>dx</code>" in out
    assert str(rich("第 2 个样本")) == '第 <span class="num">2</span> 个样本'
    assert "<span" not in str(rich("&#60;"))  # digits of an entity are never split


def test_missing_catalogue_text_does_not_lose_the_report():
    c = check("a.forward", status="failed", points=0.0, messages=[msg("no.such.key", x=1)])
    assert "no.such.key" in render_html(result([exercise("a", [c])]), "en")


# -------------------------------------------------------------------- quiz
def test_quiz_results_render_as_a_quiz_section():
    q = [CheckResult(f"quiz.q{i}", "quiz", "", "quiz", msg("report.quiz_title"), 1.0,
                     points=float(i == 1), status="passed" if i == 1 else "failed",
                     details={"question": {"en": f"Question text {i}", "zh": f"题目 {i}"},
                              "answer": "B" if i == 1 else None, "correct_answer": "B",
                              "explanation": {"key": "report.public_case", "params": {}}})
         for i in (1, 2)]
    res = result([exercise("a", [check("a.forward")]),
                  ExerciseResult(Exercise("quiz", msg("report.quiz_title"), "", [], []), q)])
    page = Page(render_html(res, "zh"))
    assert "quiz" in page.ids()
    assert "题目 1" in page.text and "Question text" not in page.text
    assert "未作答" in page.text and "这些数值来自随作业发布的公开用例" in page.text
    assert len(page.with_class("failed", "article")) == 1
    built = view.build(res)
    assert built.quiz is not None and len(built.exercises) == 1 and built.n_checks == 1


def test_quiz_messages_that_repeat_the_key_or_the_explanation_are_not_shown_twice():
    body = msg("report.expected", name="EXPL")  # the explanation, unlabelled
    labelled = msg("report.received", name="EXPL")  # the same text with a label, as a message
    key = msg("report.public_case")
    c = CheckResult("quiz.q", "quiz", "", "quiz", msg("report.quiz_title"), 1.0, status="failed",
                    messages=[msg("report.no_checks"), labelled, msg("report.expected", name=key)],
                    details={"question": "Q?", "answer": "A", "correct_answer": key, "explanation": body})
    res = result([ExerciseResult(Exercise("quiz", msg("report.quiz_title"), "", [], []), [c])])
    (item,) = view.build(res).quiz_items
    assert [m.key for m in item.messages] == ["report.no_checks"]
    text = Page(render_html(res, "en")).text
    assert text.count("EXPL") == 1 and "Explanation" in text


def test_experiments_partial_is_included_when_present(sample_official):
    if not (paths.TEMPLATES / "partials" / "experiments.html.j2").exists():
        pytest.skip("templates/partials/experiments.html.j2 is not in this checkout yet")
    res = sample_official
    if not res.extras.get("experiments"):
        pytest.skip("grading produced no experiments yet")
    page = Page(render_html(res, "en"))
    assert page.tags("svg")
    assert not heading_jumps(page.headings)


# -------------------------------------------------------------------- CLI
def test_cli_writes_the_report_in_the_chosen_or_locale_language(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNGRADE_LANG", "zh_CN.UTF-8")
    out = tmp_path / "r.html"
    run = CliRunner().invoke(main, ["grade", str(SAMPLE), "--html", str(out)])
    assert run.exit_code == 0, run.output
    assert re.search(r'<html lang="zh-CN">', out.read_text(encoding="utf-8"))
    run = CliRunner().invoke(main, ["grade", str(SAMPLE), "--html", str(out), "--lang", "en"])
    assert run.exit_code == 0 and '<html lang="en">' in out.read_text(encoding="utf-8")
    assert PAYLOAD not in out.read_text(encoding="utf-8")
