"""The compiled report templates kept between processes (grader/report/template_cache.py):
used from the grader's own package folder (here a test folder named by
RNNGRADE_TEMPLATE_CACHE), never from one another user or process could have written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jinja2

from grader import paths
from grader.report import template_cache

ROOT = Path(__file__).resolve().parents[1]
RENDER = (
    "import jinja2\n"
    "compiled = []\n"
    "original = jinja2.Environment._compile\n"
    "def counting(self, source, filename):\n"
    "    compiled.append(filename)\n"
    "    return original(self, source, filename)\n"
    "jinja2.Environment._compile = counting\n"
    "from grader.results import Result\n"
    "from grader.report.html import render_html\n"
    "html = render_html(Result(student='s', assignment='a', official=False, exercises=[]), 'en')\n"
    "assert '<html' in html\n"
    "print(len(compiled))\n"
)


def _render(cache_home: Path, **env: str) -> int:
    """Render a report in a fresh process; how many templates it had to compile."""
    env = {"RNNGRADE_TEMPLATE_CACHE": str(_folder(cache_home)), **env}
    run = subprocess.run([sys.executable, "-c", RENDER], env=dict(os.environ, **env),
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return int(run.stdout.split()[-1])


def _folder(cache_home: Path) -> Path:
    return cache_home / "rnngrade" / "templates"


def test_by_default_the_cache_lives_beside_the_package(monkeypatch):
    monkeypatch.delenv("RNNGRADE_TEMPLATE_CACHE", raising=False)
    folder = template_cache.cache_folder()
    package = Path(template_cache.__file__).resolve().parents[1]
    assert folder.parent == package.parent / "rnngrade.cache"  # beside the package, as trusted as it
    assert not str(folder).startswith(str(package) + "/")  # never inside it (pip uninstall would leave it)
    assert not str(folder).startswith(str(Path.home() / ".cache"))


def _poison(folder: Path, marker: Path) -> None:
    """Compiled code for the report's templates that creates ``marker`` when loaded."""
    cache = jinja2.FileSystemBytecodeCache(str(folder), "%s.cache")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(paths.TEMPLATES)), bytecode_cache=cache)
    for name in ("report.html.j2", "partials/macros.html.j2", "partials/item.html.j2"):
        source, filename, _ = env.loader.get_source(env, name)
        bucket = cache.get_bucket(env, name, filename, source)
        bucket.code = compile(f"open({str(marker)!r}, 'w').write('pwned')\n", "<poison>", "exec")
        cache.set_bucket(bucket)


def test_a_second_process_compiles_nothing(tmp_path):
    first = _render(tmp_path)
    assert first > 0
    assert _render(tmp_path) == 0  # every template from the cache
    folder = _folder(tmp_path)
    assert folder.stat().st_mode & 0o777 == 0o700
    assert all(p.stat().st_mode & 0o077 == 0 for p in folder.iterdir())


def test_turned_off_it_compiles_every_time(tmp_path):
    assert _render(tmp_path, RNNGRADE_TEMPLATE_CACHE="0") > 0
    assert _render(tmp_path, RNNGRADE_TEMPLATE_CACHE="0") > 0
    assert not (tmp_path / "rnngrade").exists()


def test_a_folder_others_can_write_is_not_read(tmp_path):
    folder = _folder(tmp_path)
    folder.mkdir(parents=True)
    marker = tmp_path / "executed-in-the-grader"
    _poison(folder, marker)
    os.chmod(folder, 0o777)  # a folder anyone could have written into
    assert _render(tmp_path) > 0  # compiled afresh
    assert not marker.exists(), "code from a folder others can write ran in the grader"


def test_a_file_others_can_write_is_not_read(tmp_path):
    folder = _folder(tmp_path)
    folder.mkdir(parents=True, mode=0o700)
    marker = tmp_path / "executed-in-the-grader"
    _poison(folder, marker)
    for p in folder.iterdir():
        os.chmod(p, 0o666)
    assert _render(tmp_path) > 0
    assert not marker.exists(), "code from a file others can write ran in the grader"


def test_a_linked_file_is_not_followed(tmp_path):
    folder = _folder(tmp_path)
    folder.mkdir(parents=True, mode=0o700)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    marker = tmp_path / "executed-in-the-grader"
    _poison(elsewhere, marker)
    for p in elsewhere.iterdir():
        (folder / p.name).symlink_to(p)
    assert _render(tmp_path) > 0
    assert not marker.exists(), "code behind a link ran in the grader"


def test_a_folder_that_is_a_link_is_not_used(tmp_path):
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    marker = tmp_path / "executed-in-the-grader"
    _poison(real, marker)
    folder = _folder(tmp_path)
    folder.parent.mkdir(parents=True)
    folder.symlink_to(real)
    assert _render(tmp_path) > 0
    assert not marker.exists(), "code behind a linked folder ran in the grader"
