"""Folders the package reads at run time (package data), wherever it is installed.

``pyproject.toml`` maps three top-level folders of the repository into the package
(``package-dir``), so a wheel holds them inside ``grader/``:

=============================  =======================  ===================================
in the wheel                    in the repository        what
=============================  =======================  ===================================
``grader/templates``           ``templates/``           the report's jinja2 templates
``grader/bundled/exercises``   ``exercises/``           the default course's public release
``grader/bundled/sample``      ``examples/sample_submission/``  the quick start's sample
=============================  =======================  ===================================

An installed wheel finds them inside the package. An editable install or a source
checkout has them where the repository keeps them (setuptools' editable finder does
not serve folders without ``__init__.py`` below a regular package), recognised by the
``pyproject.toml`` beside the package. The reference solutions are never package data.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

# package-relative folder -> repository folder; tests/test_deploy_wheel.py proves
# that this is exactly pyproject.toml's package-dir mapping.
MAPPED = {
    "templates": "templates",
    "bundled/exercises": "exercises",
    "bundled/sample": "examples/sample_submission",
}


class PackageDataError(Exception):
    """A folder the package needs is missing from this installation."""


def _package_root() -> Path:
    return Path(str(importlib.resources.files("grader")))


def source_checkout() -> Path | None:
    """The repository this package runs from (editable install or checkout), else None."""
    root = _package_root().parent
    return root if (root / "pyproject.toml").is_file() and (root / "grader").is_dir() else None


def folder(name: str) -> Path:
    """The folder of package data ``name`` (a key of :data:`MAPPED`)."""
    if name not in MAPPED:
        raise KeyError(name)
    installed = _package_root() / name
    if installed.is_dir():
        return installed
    checkout = source_checkout()
    if checkout is not None and (checkout / MAPPED[name]).is_dir():
        return checkout / MAPPED[name]
    raise PackageDataError(f"package data {name!r} is missing from this installation of rnngrade "
                           f"({_package_root()}); reinstall it")


def templates() -> Path:
    return folder("templates")


def bundled_exercises() -> Path:
    """The default course's public release (stubs, notebook, public cases, student quiz bank)."""
    return folder("bundled/exercises")


def sample_submission() -> Path:
    """The sample submission of the quick start (code with realistic mistakes and a quiz sheet)."""
    return folder("bundled/sample")
