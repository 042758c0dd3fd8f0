"""``rnngrade validate``: is the assignment consistent before it is released?

Checks, in order: the catalogues load; every exercise function exists in the
reference; the reference earns full marks on hidden inputs for a few student ids;
the stubs earn nothing; and ``exercises/`` is exactly what ``generate`` makes.
Returns a list of problems (empty when all is well): each is a :class:`Problem`, a
string in English naming the check by its id (for logs and tests) that also carries
the catalogue message the command prints in the chosen language, with the check's
readable title.
"""

from __future__ import annotations

from pathlib import Path

from .assignments.config import Assignment
from .checks.model import Kind, Status
from .i18n import CatalogError, Message, catalog, msg


class Problem(str):
    """One problem: the English line, plus ``message`` for people (any language)."""

    message: Message | str

    def __new__(cls, text: str, message: Message | str) -> Problem:
        problem = super().__new__(cls, text)
        problem.message = message
        return problem


def validate(solutions: Path | str, exercises: Path | str,
             students: tuple[str, ...] = ("validate-1", "validate-2"),
             assignment: Assignment | None = None) -> list[Problem]:
    """The problems of the assignment (default: the one of a course without a course
    file; else an assignment of the course file, with its exercises, questions and weights)."""
    from .api import grade
    from .assignments.material import assignment_exercises, quiz_selection
    from .generate import render_release
    from .reference import load_reference
    from .specs import wanted_functions

    problems: list[Problem] = []
    try:
        catalog()
    except CatalogError as exc:
        return [Problem(f"message catalogue: {exc}", f"message catalogue: {exc}")]  # no catalogue to say it with
    assignment = assignment or Assignment()
    specs = assignment_exercises(assignment)
    reference = load_reference(solutions)
    for name in wanted_functions(specs):
        if name not in reference:
            problems.append(Problem(f"{name}: graded but not defined in {solutions}",
                                    msg("validate.not_defined", func=name, solutions=str(solutions))))
    for student in students:
        result = grade(solutions, solutions=solutions, student=student, assignment=assignment)
        for c in result.checks:
            if c.status != Status.PASSED:
                problems.append(Problem(f"reference fails {c.id} for student {student!r}",
                                        msg("validate.reference_fails", check=c.title, id=c.id, student=student)))
    stubs = grade(exercises, solutions=solutions, assignment=assignment)
    for c in stubs.checks:
        if c.points > 0 and c.kind != Kind.QUIZ:
            problems.append(Problem(f"the stubs earn points on {c.id}",
                                    msg("validate.stubs_earn", check=c.title, id=c.id, points=c.points)))
    for rel, text in render_release(Path(solutions), specs, quiz_selection(assignment)).items():
        path = Path(exercises) / rel
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            problems.append(Problem(f"exercises/{rel} is not what `rnngrade generate` makes: run it",
                                    msg("validate.out_of_sync", file=f"exercises/{rel}")))
    return problems
