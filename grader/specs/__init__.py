"""Exercise specs: what each exercise's functions are and how they are graded.

Each module here covers one part of the lecture and exposes ``exercises()``. To add
an exercise: write the reference in ``solutions/``, a spec here, and its texts in
``grader/i18n/messages/``; ``rnngrade generate`` makes the stub.
"""

from __future__ import annotations

import importlib
import pkgutil

from ..checks.engine import Exercise

ORDER = {"bp": 0, "recurrent": 1, "stability": 2, "normalisation": 3}  # the lecture's order


def all_exercises() -> list[Exercise]:
    """Every exercise of the assignment, in the lecture's order: the modules here
    that define ``exercises()`` (the others are helpers)."""
    out: list[Exercise] = []
    names = sorted(m.name for m in pkgutil.iter_modules(__path__))
    for name in sorted(names, key=lambda n: (ORDER.get(n, 99), n)):
        module = importlib.import_module(f"{__name__}.{name}")
        if callable(getattr(module, "exercises", None)):
            out.extend(module.exercises())
    functions = {e.name: e.functions for e in out}
    for e in out:  # a composite's building blocks, by function (even when only the composite is graded)
        e.block_functions = tuple(f for b in e.builds_on if b not in e.not_substituted for f in functions.get(b, ()))
    return out


def wanted_functions(exercises: list[Exercise]) -> list[str]:
    seen: list[str] = []
    for ex in exercises:
        for f in ex.functions:
            if f not in seen:
                seen.append(f)
    return seen
