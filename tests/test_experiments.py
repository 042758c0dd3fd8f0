"""The experiments on the student's code and their plots: the numbers behind the
lecture's claims, failure isolation, the SVG helper and the report partial."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from support import SOLUTIONS, grade_official, write_submission

from grader import paths
from grader.checks.model import Context
from grader.experiments import EXPERIMENTS, run_experiments
from grader.i18n import msg, render
from grader.report import svg
from grader.sandbox.session import Sandbox
from grader.submission import prepare

ALL_FUNCTIONS = [f for _, functions, _ in EXPERIMENTS for f in functions]
RNN = Path(__file__).parent / "implementations" / "stability" / "rnn_student" / "rnn.py"


def run_on(folder: Path, functions: list[str] = ALL_FUNCTIONS) -> dict[str, dict]:
    prepared = prepare(folder)
    try:
        with Sandbox(prepared.root, prepared.modules, functions) as sandbox:
            return {e["id"]: e for e in run_experiments(Context(sandbox, None, 0), functions)}
    finally:
        prepared.cleanup()


def submission(tmp_path: Path, stability: Path = SOLUTIONS / "stability.py") -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    shutil.copy(stability, tmp_path / "stability.py")
    shutil.copy(RNN, tmp_path / "rnn.py")
    return tmp_path


@pytest.fixture(scope="module")
def reference_runs(tmp_path_factory) -> dict[str, dict]:
    return run_on(submission(tmp_path_factory.mktemp("reference")))


# ----------------------------------------------------------- the lecture's claims
def test_rnn_gradient_vanishes_at_small_scale_and_explodes_at_large(reference_runs):
    e = reference_runs["gradient_flow"]
    assert e["status"] == "ok"
    f = e["figures"]["tanh"]  # gradient at t = 0 relative to the last of 50 steps
    assert f["0.5"] < 1e-10  # falls by orders of magnitude
    assert f["0.9"] < 1e-1
    assert 0.5 < f["1.0"] < 2  # w = 1: neither
    assert f["1.1"] > 10 and f["1.5"] > 100  # grows
    relu = e["figures"]["relu"]
    assert relu["1.0"] == pytest.approx(1.0) and relu["0.5"] < 1e-10 and relu["1.5"] > 1e6
    assert e["figures"]["tanh_positive_w1"] < 1e-6  # saturated tanh loses the gradient even at w = 1
    tanh_plot = e["plots"][0]
    assert len(tanh_plot["series"]) == 5 and all(len(s["y"]) == 50 for s in tanh_plot["series"])
    assert tanh_plot["series"][0]["y"][-1] == pytest.approx(1.0)


def test_initialisation_claims(reference_runs):
    e = reference_runs["initialisation"]
    std = e["figures"]["std"]
    assert e["status"] == "ok" and e["figures"]["width"] == 128 and len(std["tanh"]["small"]) == 10
    assert std["tanh"]["small"][-1] < 1e-6
    assert std["tanh"]["xavier"][-1] > 0.1
    assert 0.5 < std["relu"]["he"][-1] < 2 and 0.5 < min(std["relu"]["he"])
    assert std["relu"]["xavier"][-1] < std["relu"]["xavier"][0] / 5 < 0.2  # decays


def test_clipping_bounds_the_updates(reference_runs):
    f = reference_runs["clipping"]["figures"]
    assert f["max_update_clipped"] <= f["bound"] * (1 + 1e-9)
    assert f["max_update_plain"] > 5 * f["bound"]
    assert f["final_loss_clipped"] < f["final_loss_plain"]
    assert len(f["updates_clipped"]) == 30


def test_explanations_carry_the_measured_numbers(reference_runs):
    e = reference_runs["initialisation"]
    text = render(e["explanation"], "en")
    assert f"{e['figures']['std']['tanh']['small'][-1]:.2g}" in text
    assert "n_{L-1}" in render(e["explanation"], "zh")
    for run in reference_runs.values():
        for p in run["plots"]:
            for key in ("title", "desc", "x_label", "y_label"):
                assert render(p[key], "zh") and render(p[key], "en")


# ------------------------------------------------------------ failures stay local
def test_a_failing_function_fails_only_its_experiment(tmp_path):
    source = (SOLUTIONS / "stability.py").read_text()
    broken = source.replace('    rng = np.random.default_rng(rng)\n', '    raise RuntimeError("boom")\n', 1)
    assert broken != source
    runs = run_on(submission(tmp_path, write_submission(tmp_path / "src", {"stability.py": broken}) / "stability.py"))
    assert runs["initialisation"]["status"] == "failed"
    problem = render(runs["initialisation"]["problem"], "en")
    assert "init_weights" in problem and "boom" in problem
    assert runs["initialisation"]["plots"] == []
    assert runs["gradient_flow"]["status"] == runs["clipping"]["status"] == "ok"


def test_wrong_shapes_are_explained(tmp_path):
    write_submission(tmp_path, {"s.py": "import numpy as np\n"
                                "def clip_grad_norm(grads, max_norm):\n    return [g[:1] for g in grads], 1.0\n"
                                "def init_weights(shape, method, rng):\n    return np.ones(3), np.zeros(3)\n"})
    runs = run_on(tmp_path, ["init_weights", "clip_grad_norm"])
    assert set(runs) == {"initialisation", "clipping"}  # rnn functions not wanted: experiment left out
    assert "(128, 128)" in render(runs["initialisation"]["problem"], "en")
    assert "clip_grad_norm" in render(runs["clipping"]["problem"], "zh")


def test_stubs_say_not_implemented():
    runs = run_on(paths.EXERCISES)
    assert all(e["status"] == "failed" for e in runs.values())
    assert "NotImplementedError" in render(runs["clipping"]["problem"], "en")


def test_grade_stores_the_experiments_of_the_graded_functions():
    result = grade_official(SOLUTIONS, "clip", "init", experiments=True)
    ids = [e["id"] for e in result.extras["experiments"]]
    assert ids == ["initialisation", "clipping"]
    assert all(e["status"] == "ok" for e in result.extras["experiments"])


# ----------------------------------------------------------------- SVG helper
def test_line_plot_escapes_text_and_is_valid_svg():
    out = svg.line_plot([{"label": "<script>alert(1)</script>", "x": [0, 1, 2], "y": [1.0, 2.0, 3.0]}],
                        title='a "quoted" <b>title</b>', desc="x & y", x_label="t", y_label="y")
    assert "<script>" not in out and "&lt;script&gt;" in out and "<b>" not in out
    root = ET.fromstring(str(out))
    ns = "{http://www.w3.org/2000/svg}"
    assert root.attrib["role"] == "img"
    assert root.find(f"{ns}title").text == 'a "quoted" <b>title</b>'
    assert root.find(f"{ns}desc").text == "x & y"
    assert len(root.findall(f".//{ns}polyline")) == 1


def test_log_axis_has_decade_ticks_and_breaks_at_undrawable_points():
    out = str(svg.line_plot([{"label": "s", "x": [0, 1, 2, 3, 4], "y": [1e-6, 1e-3, 0.0, None, 10.0]}],
                            title="t", log_y=True))
    assert "1e-06" in out and "10" in out
    assert out.count("<polyline") == 2  # the zero and the gap split the line
    empty = str(svg.line_plot([{"label": "s", "x": [0], "y": [0.0]}], title="t", log_y=True))
    assert "<polyline" not in empty and ET.fromstring(empty) is not None


def test_nice_ticks_and_number_format():
    assert svg.nice_ticks(0, 7.3) == [0, 2, 4, 6, 8]
    assert svg.fmt(1.5e-15) == "1.5e-15" and svg.fmt(0.25) == "0.25" and svg.fmt(float("nan")) == "nan"


def test_plot_from_data_renders_messages_in_the_chosen_language():
    plot = {"title": msg("experiment.initialisation.tanh_title"), "desc": msg("experiment.initialisation.desc",
            activation="tanh", summary="x"), "x_label": msg("experiment.initialisation.x_label"),
            "y_label": msg("experiment.initialisation.tanh_y_label"), "log_y": True,
            "series": [{"label": msg("experiment.initialisation.series", method="he"), "x": [1, 2], "y": [1, 0.5]}]}

    def t(key, **params):
        return render(msg(key, **params), "zh")

    out = str(svg.plot_from_data(plot, t, id_prefix="p"))
    assert "tanh 层" in out and "激活值标准差" in out and 'id="p-title"' in out


# ------------------------------------------------------------- report partial
def test_report_shows_plots_and_failed_experiments(tmp_path):
    from grader.report.html import render_html

    result = grade_official(SOLUTIONS, "clip", "init", experiments=True)
    result.extras["experiments"][1]["status"] = "failed"
    result.extras["experiments"][1]["problem"] = msg("experiment.failed",
                                                     problem=msg("call.error", func="clip_grad_norm",
                                                                 type="ValueError", message="<img src=x>"))
    for lang, heading in (("en", "Experiments with your code"), ("zh", "用你的代码做的实验")):
        html = render_html(result, lang)
        assert heading in html and 'id="experiment-initialisation"' in html
        assert html.count("<svg") >= 2 and "<img src=x>" not in html and "&lt;img src=x&gt;" in html
