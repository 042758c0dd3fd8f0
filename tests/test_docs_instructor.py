"""What a new instructor and student read says the right thing (tryout finding 21):
every similarity option is documented; the README names the dashboard; the release
README says exactly what to hand in, notebook-only included; docs/ci.md's recipe for
trying run_autograder locally uses the names the code uses; ``generate`` says where
it wrote; ``validate`` speaks the chosen language with readable check names."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

import grader.validate
from grader import paths
from grader.cli import main
from grader.deploy import gradescope
from grader.deploy.release import bundle_files
from grader.i18n import msg

ROOT = Path(__file__).resolve().parents[1]


def test_every_similarity_option_is_in_its_table():
    table = (ROOT / "docs" / "similarity.md").read_text(encoding="utf-8")
    command = main.commands["similarity"]
    for param in command.params:
        if param.param_type_name != "option" or param.name == "help":
            continue
        assert any(f"`{opt}" in table for opt in param.opts), param.opts


def test_the_readme_names_the_dashboard_and_the_gradebook_statistics():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "--dashboard" in readme and "class statistics" in readme


def test_the_release_readme_says_what_to_hand_in_in_both_languages():
    readme = bundle_files(paths.SOLUTIONS, "en", with_ci=False)["README.md"]
    zh, en = readme.split("## English")
    assert "What to hand in" in en and "提交什么" in zh
    for part in (en, zh):
        assert "exercises/quiz_answers.toml" in part and "assignment.ipynb" in part and ".ipynb" in part
        assert "rnngrade grade" in part and "zip" in part


def test_the_local_run_autograder_recipe_uses_the_codes_names():
    doc = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    section = doc[doc.index("### Testing `run_autograder` on your own machine"):doc.index("## GitHub Classroom")]
    script = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    assert f'{gradescope.ROOT_ENV}="$ROOT" bash "$ROOT/source/run_autograder"' in script
    assert "submission_metadata.json" in script and '"$ROOT/results/results.json"' in script
    metadata = json.loads(re.search(r"<<'JSON'\n(.*?)\nJSON", script, re.S).group(1))
    assert gradescope.student_id(metadata) == "2024001"  # the sid, as the text says
    assert "setup.sh" in section and "apt-get" in section and "root" in section  # what it needs, and why left out


def test_generate_says_where_it_wrote(tmp_path):
    result = CliRunner(env={"RNNGRADE_LANG": "en"}).invoke(main, ["generate", "--out", str(tmp_path / "rel")])
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.startswith("Wrote ") and str(tmp_path / "rel") in first and str(paths.SOLUTIONS) in first
    assert "  layers.py" in result.output


def test_validate_speaks_the_chosen_language_with_check_titles(monkeypatch):
    problem = grader.validate.Problem(
        "reference fails affine.grad.db for student 'v'",
        msg("validate.reference_fails", check=msg("title.backward_reference", func="affine_backward", grad="db"),
            id="affine.grad.db", student="v"))
    monkeypatch.setattr(grader.validate, "validate", lambda *a, **k: [problem])
    zh = CliRunner().invoke(main, ["validate", "--lang", "zh"])
    assert zh.exit_code == 1 and "参考答案未通过“affine_backward：db" in zh.output and "affine.grad.db" in zh.output
    en = CliRunner().invoke(main, ["validate", "--lang", "en"])
    assert "The reference fails “affine_backward: db matches the reference” (affine.grad.db)" in en.output
    monkeypatch.setattr(grader.validate, "validate", lambda *a, **k: [])
    ok = CliRunner().invoke(main, ["validate", "--lang", "zh"])
    assert ok.exit_code == 0 and "作业一致" in ok.output
