"""Exercise specs: what each exercise's functions are and how they are graded.

Each module here covers one part of the lecture and exposes ``exercises()``. To add
an exercise: write the reference in ``solutions/``, a spec here, and its texts in
``grader/i18n/messages/``; ``rnngrade generate`` makes the stub.
"""

from __future__ import annotations

import importlib
import pkgutil

from ..checks.engine import Exercise

_SKIP = {"common", "recurrent_probes"}  # helper modules, not exercise families


def all_exercises() -> list[Exercise]:
    """Every exercise of the assignment, in the lecture's order."""
    out: list[Exercise] = []
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name not in _SKIP)
    order = {"bp": 0, "recurrent": 1, "stability": 2}
    for name in sorted(names, key=lambda n: (order.get(n, 99), n)):
        module = importlib.import_module(f"{__name__}.{name}")
        out.extend(module.exercises())
    return out


def wanted_functions(exercises: list[Exercise]) -> list[str]:
    seen: list[str] = []
    for ex in exercises:
        for f in ex.functions:
            if f not in seen:
                seen.append(f)
    return seen
