"""Fixtures of the deployment tests: the wheel, built once per session without
network, and a fresh virtualenv that has rnngrade only from that wheel (see
deploykit.py for how the venv gets its dependencies)."""

from __future__ import annotations

import shutil
import sys
import sysconfig
from pathlib import Path

import pytest
from deploykit import BUILD_INPUTS, REPO, run

from grader.deploy.wheel import build_wheel


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
