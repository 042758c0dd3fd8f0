"""Helpers of the deployment tests (the fixtures are in conftest.py): running
commands as on another machine, and what the reference and the quiz key alone contain.

The wheel is built once per session without
network, and a fresh virtualenv gets rnngrade only from that wheel.

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
import subprocess
from pathlib import Path

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


