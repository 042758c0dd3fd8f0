"""Build the rnngrade wheel that an autograder or a student bundle installs."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path


class WheelError(Exception):
    """No wheel could be built (no source checkout, or the build failed)."""


def source_tree() -> Path:
    """The rnngrade source this package runs from (an editable install or a checkout)."""
    from ..package_data import source_checkout

    root = source_checkout()
    if root is None:
        raise WheelError("rnngrade is installed from a wheel here, so there is no source to build one from: "
                         "give the wheel with --wheel FILE (or run in a checkout of rnngrade)")
    return root


def build_wheel(source: Path, out: Path, isolated: bool = True) -> Path:
    """``pip wheel`` of ``source`` into ``out``; returns the wheel.

    ``isolated=False`` builds with this environment's setuptools and needs no network."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp, str(source)]
        if not isolated:
            cmd[4:4] = ["--no-build-isolation", "--no-index"]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wheels = sorted(Path(tmp).glob("rnngrade-*.whl"))
        if proc.returncode != 0 or len(wheels) != 1:
            raise WheelError(f"building the wheel failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        target = out / wheels[0].name
        target.write_bytes(wheels[0].read_bytes())
    return target
