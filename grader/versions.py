"""Which Python and numpy the course runs on: declared once, used everywhere.

The *range* is the package's own metadata, declared in ``pyproject.toml`` only
(``requires-python`` and the ``numpy`` dependency) and read back here at run time.
The *pins* are the exact versions official grading installs (the Gradescope
autograder's ``setup.sh``) and the student release's ``requirements.txt`` names;
a test proves they lie inside the range. Every result records the versions that
graded it (:func:`running`), and the report and results.json show them.
"""

from __future__ import annotations

import functools
import platform
import re
import tomllib
from dataclasses import dataclass

from . import __version__

# Official grading: the Python the autograder provisions (the one CI tests) and numpy.
PINNED_PYTHON = "3.11"
PINNED_NUMPY = "2.4.6"
# The tool setup.sh uses to provision PINNED_PYTHON where the image lacks it.
PINNED_UV = "0.13.9"

_CLAUSE = re.compile(r"^\s*(~=|==|!=|<=|>=|<|>)\s*([0-9][0-9A-Za-z.*+!-]*)\s*$")


@dataclass(frozen=True)
class Declared:
    python: str  # e.g. ">=3.11"
    numpy: str  # e.g. ">=1.26,<3"


def _from_pyproject() -> Declared:
    from .package_data import source_checkout

    root = source_checkout()
    if root is None:
        raise RuntimeError("rnngrade's metadata is missing: install it (pip install .)")
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return Declared(project["requires-python"], _numpy_spec(project["dependencies"]))


def _numpy_spec(requirements: list[str]) -> str:
    for req in requirements:
        m = re.match(r"^\s*numpy\s*([^;]*?)\s*(;.*)?$", req)
        if m and not (m.group(2) and "extra" in m.group(2)):
            return m.group(1).strip().strip("()")
    raise RuntimeError("rnngrade declares no numpy requirement")


@functools.lru_cache(maxsize=1)
def declared() -> Declared:
    """The course's Python and numpy ranges, from the installed package's metadata
    (read once per process: a batch worker grading hundreds need not search the path
    for it each time; importlib.metadata is imported only here, off the CLI's path)."""
    import importlib.metadata

    try:
        meta = importlib.metadata.metadata("rnngrade")
        requires = importlib.metadata.requires("rnngrade") or []
    except importlib.metadata.PackageNotFoundError:
        return _from_pyproject()
    return Declared(meta["Requires-Python"], _numpy_spec(requires))


def running() -> dict[str, str]:
    """The versions grading right now: Python, numpy, rnngrade."""
    import numpy as np

    return {"python": platform.python_version(), "numpy": np.__version__, "rnngrade": __version__}


def _release(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.split("."):
        m = re.match(r"\d+", piece)
        if not m:
            break
        parts.append(int(m.group()))
        if m.group() != piece:
            break
    return tuple(parts)


def _padded(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    n = max(len(a), len(b))
    return a + (0,) * (n - len(a)), b + (0,) * (n - len(b))


def satisfies(version: str, spec: str) -> bool:
    """Does ``version`` satisfy a comma-separated specifier such as ``>=1.26,<3``?

    The operators of PEP 440 on release numbers (pre-release tags are ignored);
    ``==X.Y.*`` matches a prefix."""
    have = _release(version)
    for clause in filter(None, (c.strip() for c in spec.split(","))):
        m = _CLAUSE.match(clause)
        if not m:
            raise ValueError(f"cannot read version specifier {clause!r}")
        op, text = m.groups()
        if text.endswith(".*"):
            prefix = _release(text[:-2])
            ok = have[:len(prefix)] == prefix
            if (op == "==") != ok:
                return False
            continue
        a, b = _padded(have, _release(text))
        if op == "~=":
            want = _release(text)
            ok = a >= b and have[:len(want) - 1] == want[:-1]
        else:
            ok = {"==": a == b, "!=": a != b, "<=": a <= b, ">=": a >= b, "<": a < b, ">": a > b}[op]
        if not ok:
            return False
    return True


def outside_range(versions: dict[str, str] | None = None) -> list[tuple[str, str, str]]:
    """(name, version, declared range) of each running version outside the course's range."""
    versions = versions or running()
    spec = declared()
    out = []
    for name, rng in (("python", spec.python), ("numpy", spec.numpy)):
        if not satisfies(versions[name], rng):
            out.append((name, versions[name], rng))
    return out
