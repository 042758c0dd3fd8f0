"""The trusted parent loads no code from a place another process could have written:
no template bytecode from the temp folder, no ``.pyc`` next to the reference or the
quiz key's formulas, no folder put on ``sys.path``."""

from __future__ import annotations

import importlib.util
import marshal
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jinja2

from grader import paths
from grader.quiz.bank import load_bank
from grader.reference import load_reference

ROOT = Path(__file__).resolve().parents[1]


def _poison_template_cache(cache_dir: Path, marker: Path) -> None:
    """Write what a child could write into jinja2's default bytecode cache: compiled
    code for the report template that creates ``marker`` when loaded."""
    cache = jinja2.FileSystemBytecodeCache(str(cache_dir))
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(paths.TEMPLATES)), bytecode_cache=cache)
    for name in ("report.html.j2", "partials/macros.html.j2"):
        source, filename, _ = env.loader.get_source(env, name)
        bucket = cache.get_bucket(env, name, filename, source)
        bucket.code = compile(f"open({str(marker)!r}, 'w').write('pwned')\n", "<poison>", "exec")
        cache.set_bucket(bucket)


def test_templates_are_never_loaded_from_a_bytecode_cache(tmp_path):
    # jinja2's default cache folder is $TMPDIR/_jinja2-cache-<uid>: point TMPDIR at a
    # private folder so the planted cache cannot touch anything else on the machine.
    tmp = tmp_path / "tmp"
    tmp.mkdir(mode=0o700)
    cache_dir = tmp / f"_jinja2-cache-{os.geteuid()}"
    cache_dir.mkdir(mode=0o700)
    marker = tmp_path / "executed-in-the-grader"
    _poison_template_cache(cache_dir, marker)
    render = (
        "from grader.results import Result\n"
        "from grader.report.html import render_html\n"
        "html = render_html(Result(student='s', assignment='a', official=False, exercises=[]), 'en')\n"
        "assert '<html' in html\n"
    )
    run = subprocess.run([sys.executable, "-c", render], env=dict(os.environ, TMPDIR=str(tmp)),
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert not marker.exists(), "code from the temp folder ran in the grader"


def _plant_pyc(source: Path, code: str) -> None:
    """A .pyc that Python's import system would accept for ``source`` (same mtime and
    size), holding other code."""
    st = source.stat()
    data = bytearray(importlib.util.MAGIC_NUMBER)
    data += (0).to_bytes(4, "little") + (int(st.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little")
    data += (st.st_size & 0xFFFFFFFF).to_bytes(4, "little")
    data += marshal.dumps(compile(code, str(source), "exec"))
    target = Path(importlib.util.cache_from_source(str(source)))
    target.parent.mkdir(exist_ok=True)
    target.write_bytes(bytes(data))


def test_the_reference_is_compiled_from_source_never_from_pycache(tmp_path):
    solutions = shutil.copytree(paths.SOLUTIONS, tmp_path / "solutions",
                                ignore=shutil.ignore_patterns("__pycache__"))
    marker = tmp_path / "planted-pyc-ran"
    _plant_pyc(solutions / "layers.py", f"open({str(marker)!r}, 'w').write('x')\n")
    _plant_pyc(solutions / "quiz" / "formulas.py", f"open({str(marker)!r}, 'w').write('x')\n")
    path_before = list(sys.path)
    functions = load_reference(solutions)
    assert "relu_forward" in functions and not marker.exists()
    assert sys.path == path_before and "layers" not in sys.modules
    bank = load_bank(solutions / "quiz", with_key=True)
    assert bank.formulas and not marker.exists()
    # Nothing is written next to the reference either: only the planted files are there.
    assert sorted(p.name.split(".")[0] for p in solutions.rglob("*.pyc")) == ["formulas", "layers"]


def test_reference_modules_still_import_each_other_by_bare_name():
    functions = load_reference(paths.SOLUTIONS)  # bp_network.py does `from layers import ...`
    assert "two_layer_net_loss" in functions and "relu_forward" in functions
