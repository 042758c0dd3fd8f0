"""``rnngrade validate``: is the assignment consistent before it is released?

Checks, in order: the catalogues load; every exercise function exists in the
reference; the reference earns full marks on hidden inputs for a few student ids;
the stubs earn nothing; and ``exercises/`` is exactly what ``generate`` makes.
Returns a list of problems (empty when all is well).
"""

from __future__ import annotations

from pathlib import Path

from .assignments.config import Assignment
from .checks.model import Kind, Status
from .i18n import CatalogError, catalog


def validate(solutions: Path | str, exercises: Path | str,
             students: tuple[str, ...] = ("validate-1", "validate-2"),
             assignment: Assignment | None = None) -> list[str]:
    """The problems of the assignment (default: the one of a course without a course
    file; else an assignment of the course file, with its exercises, questions and weights)."""
    from .api import grade
    from .assignments.material import assignment_exercises, quiz_selection
    from .generate import render_release
    from .reference import load_reference
    from .specs import wanted_functions

    problems: list[str] = []
    try:
        catalog()
    except CatalogError as exc:
        return [f"message catalogue: {exc}"]
    assignment = assignment or Assignment()
    specs = assignment_exercises(assignment)
    reference = load_reference(solutions)
    for name in wanted_functions(specs):
        if name not in reference:
            problems.append(f"{name}: graded but not defined in {solutions}")
    for student in students:
        result = grade(solutions, solutions=solutions, student=student, assignment=assignment)
        for c in result.checks:
            if c.status != Status.PASSED:
                problems.append(f"reference fails {c.id} for student {student!r}")
    stubs = grade(exercises, solutions=solutions, assignment=assignment)
    for c in stubs.checks:
        if c.points > 0 and c.kind != Kind.QUIZ:
            problems.append(f"the stubs earn points on {c.id}")
    for rel, text in render_release(Path(solutions), specs, quiz_selection(assignment)).items():
        path = Path(exercises) / rel
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            problems.append(f"exercises/{rel} is not what `rnngrade generate` makes: run it")
    return problems
