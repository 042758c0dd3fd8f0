"""`mypy grader` is clean under the project's strict configuration ([tool.mypy] in
pyproject.toml: strict, with a short list of relaxations, each with its reason).

mypy is a test dependency (the `test` extra), so CI runs this with the README's
command; a missing mypy fails here, it is never skipped."""

from __future__ import annotations

import subprocess
import sys
import tomllib

from grader import paths


def test_the_mypy_configuration_is_strict():
    config = tomllib.loads((paths.ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert config["strict"] is True
    relaxed = [m for o in config.get("overrides", []) for m in o["module"]
               if not o.get("ignore_missing_imports")]
    # Kept short: each entry is named, with its reason, in pyproject.toml.
    assert len(relaxed) <= 10, relaxed
    assert "grader.*" not in relaxed and "grader" not in relaxed


def test_mypy_finds_no_error_in_grader():
    # mypy's own incremental cache (.mypy_cache, git-ignored): a fresh checkout pays the
    # whole check once (about 5 s), a rerun only what changed.
    done = subprocess.run([sys.executable, "-m", "mypy", "grader"],
                          cwd=paths.ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found" in done.stdout
