"""Where the project's folders are (the package runs from a checkout or an
editable install, next to ``solutions/``, ``exercises/`` and ``templates/``)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises"
SOLUTIONS = ROOT / "solutions"
TEMPLATES = ROOT / "templates"
EXAMPLES = ROOT / "examples"
