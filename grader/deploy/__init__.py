"""Putting the grader in front of students: generated, never described.

* :mod:`.wheel` builds the rnngrade wheel that autograders and student bundles install;
* :mod:`.gradescope` writes the Gradescope autograder zip and, inside Gradescope,
  grades one submission into a results.json the student reads there;
* :mod:`.ci` writes the GitHub Actions / GitLab CI files (the student's side runs
  only the public self-check; official grading stays with the instructor);
* :mod:`.release` writes the student bundle (exercises, notebook, public cases,
  student quiz bank, README, pinned requirements; no reference, no key).

Every deployment file is rendered from a template under ``templates/deploy/``
(package data), so what the tests run is what instructors upload.
"""

from __future__ import annotations

import functools
from typing import Any

import jinja2


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    from ..package_data import templates

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates() / "deploy")),
        autoescape=False,  # shell, YAML and Markdown: values are quoted by the templates
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def render(name: str, **params: Any) -> str:
    """A deployment file from ``templates/deploy/<name>``."""
    return _environment().get_template(name).render(**params)
