"""``rnngrade validate``: is the assignment consistent before it is released?

Checks, in order: the catalogues load; every exercise function exists in the
reference; the reference earns full marks on hidden inputs for a few student ids;
the stubs earn nothing; and ``exercises/`` is exactly what ``generate`` makes.
Returns a list of problems (empty when all is well).
"""

from __future__ import annotations

from pathlib import Path

from .checks.model import Kind, Status
from .i18n import CatalogError, catalog


def validate(solutions: Path | str, exercises: Path | str,
             students: tuple[str, ...] = ("validate-1", "validate-2")) -> list[str]:
    from .api import grade
    from .generate import render_release
    from .reference import load_reference
    from .specs import all_exercises, wanted_functions

    problems: list[str] = []
    try:
        catalog()
    except CatalogError as exc:
        return [f"message catalogue: {exc}"]
    specs = all_exercises()
    reference = load_reference(solutions)
    for name in wanted_functions(specs):
        if name not in reference:
            problems.append(f"{name}: graded but not defined in {solutions}")
    for student in students:
        result = grade(solutions, solutions=solutions, student=student, exercises=specs)
        for c in result.checks:
            if c.status != Status.PASSED:
                problems.append(f"reference fails {c.id} for student {student!r}")
    stubs = grade(exercises, solutions=solutions, exercises=specs)
    for c in stubs.checks:
        if c.points > 0 and c.kind != Kind.QUIZ:
            problems.append(f"the stubs earn points on {c.id}")
    for rel, text in render_release(Path(solutions), specs).items():
        path = Path(exercises) / rel
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            problems.append(f"exercises/{rel} is not what `rnngrade generate` makes: run it")
    return problems
