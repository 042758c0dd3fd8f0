"""Fixtures of the deployment tests: the wheel, built once per session without
network, and a fresh virtualenv that has rnngrade only from that wheel.

The fresh venv gets the *dependencies* (numpy, click, jinja2, nbformat ...) from the
test environment through a ``.pth`` line (like ``--system-site-packages``), so no
package is downloaded; rnngrade itself is installed from the wheel into the venv's
own site-packages, which comes first on ``sys.path``. The test environment's
editable install of rnngrade is not active there (its ``.pth`` hook is not run for a
folder added by another ``.pth``), and a test proves ``grader`` is imported from the
venv.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from grader.deploy.wheel import build_wheel

REPO = Path(__file__).resolve().parents[2]

# What a build needs; solutions/ is copied too, so the wheel is shown to leave it out.
BUILD_INPUTS = ("pyproject.toml", "setup.py", "README.md", "grader", "templates", "exercises", "examples",
                "solutions")


_BEGIN = re.compile(r"^\s*# BEGIN SOLUTION\s*$")
_END = re.compile(r"^\s*# END SOLUTION\s*$")


def reference_only_lines(solutions: Path = REPO / "solutions") -> set[str]:
    """Stripped source lines that only the reference has: inside the solution markers
    and nowhere outside them (a formula in a docstring is public), at least 12 characters."""
    inside: set[str] = set()
    outside: set[str] = set()
    for path in solutions.glob("*.py"):
        within = False
        for line in path.read_text(encoding="utf-8").splitlines():
            if _BEGIN.match(line):
                within = True
            elif _END.match(line):
                within = False
            else:
                (inside if within else outside).add(line.strip())
    return {line for line in inside - outside if len(line) >= 12}


def key_texts(solutions: Path = REPO / "solutions") -> list[str]:
    """Texts only the quiz key has: every explanation, and the key's formulas module."""
    import tomllib

    texts: list[str] = []
    for path in (solutions / "quiz").glob("*.toml"):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for q in data.get("question", []):
            for lang_text in (q.get("explanation") or {}).values():
                if isinstance(lang_text, str) and len(lang_text) > 20:
                    texts.append(lang_text)
    for line in (solutions / "quiz" / "formulas.py").read_text(encoding="utf-8").splitlines():
        if line.strip().startswith("return ") and len(line.strip()) > 20:
            texts.append(line.strip())
    return texts


def source_lines(name: str, text: str) -> set[str]:
    """Stripped lines of a file; of a notebook, the lines of its cells."""
    if name.endswith(".ipynb"):
        import json

        text = "\n".join("".join(c.get("source", "")) for c in json.loads(text).get("cells", []))
    return {line.strip() for line in text.splitlines()}


def leaks(name: str, text: str, lines: set[str], keys: list[str]) -> list[str]:
    """Reference-only lines (as whole lines) and key texts (anywhere) found in a file."""
    found = sorted(source_lines(name, text) & lines)
    return found + [k[:60] for k in keys if k in text]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a command run 'on another machine': nothing points back here."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "RNNGRADE_COURSE", "VIRTUAL_ENV", "PYTHONHOME")}
    env.update(extra)
    return env


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 300,
        check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=env or clean_env(), capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{cmd} exited {proc.returncode}\nstdout:\n{proc.stdout[-4000:]}\n"
                             f"stderr:\n{proc.stderr[-4000:]}")
    return proc


@pytest.fixture(scope="session")
def source_copy(tmp_path_factory) -> Path:
    """A clean copy of the repository's build inputs (no build/ or egg-info left in the checkout)."""
    dst = tmp_path_factory.mktemp("src") / "rnngrade"
    dst.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "quiz_answers.toml")
    for name in BUILD_INPUTS:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dst / name, ignore=ignore)
        else:
            shutil.copy2(src, dst / name)
    # the sample's own answer sheet is part of the sample
    shutil.copy2(REPO / "examples" / "sample_submission" / "quiz_answers.toml",
                 dst / "examples" / "sample_submission" / "quiz_answers.toml")
    return dst


@pytest.fixture(scope="session")
def wheel_file(source_copy, tmp_path_factory) -> Path:
    # Without build isolation: no network (the test extra brings setuptools).
    return build_wheel(source_copy, tmp_path_factory.mktemp("dist"), isolated=False)


@pytest.fixture(scope="session")
def wheel_env(wheel_file, tmp_path_factory) -> Path:
    """A fresh venv with rnngrade installed from the wheel; returns its bin/ folder."""
    venv = tmp_path_factory.mktemp("venv") / "fresh"
    base = getattr(sys, "_base_executable", sys.executable)
    run([base, "-m", "venv", "--without-pip", str(venv)], cwd=venv.parent)
    python = venv / "bin" / "python"
    site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                    cwd=venv.parent).stdout.strip())
    (site / "_rnngrade_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-index", "--no-deps",
         "--ignore-installed", str(wheel_file)], cwd=venv.parent)
    return venv / "bin"
