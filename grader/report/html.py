"""The self-contained HTML report (inline CSS, no script, no network).

The template is ``templates/report.html.j2``; jinja2's autoescaping is on, so
everything that came from a submission (names, prints, exception text) is escaped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from .. import paths
from ..i18n import msg, render
from ..results import Result
from ..results.text import load_messages


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(paths.TEMPLATES)),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def render_html(result: Result, lang: str) -> str:
    """The report as one HTML string in ``lang``."""
    def t(key: str, **params: Any) -> str:
        return render(msg(key, **params), lang)

    def r(m: Any) -> str:
        return render(m, lang)

    template = _environment().get_template("report.html.j2")
    return template.render(result=result, lang=lang, t=t, r=r, load_messages=load_messages(result))


def write_html(result: Result, path: Path | str, lang: str) -> None:
    from ..results.gradescope import write_atomic

    write_atomic(Path(path), render_html(result, lang))
