"""Which assignment a grade is for, and the per-student seed it draws from.

Ground floor: this module imports nothing else of rnngrade, so the check engine, the
quiz, the course file and the deployment code can all share one definition.

A student's hidden inputs (every value check) and quiz variant (option order, drawn
numbers) come from :func:`student_seed`: SHA-256 of the assignment's name and the
student id, and of the course's *term salt* when the course file sets one. So the
same student gets the same inputs on a laptop, in CI and in a batch, another student
other inputs, and next term (a new salt) everybody new ones, which makes copying last
term's printed outputs worthless. Without a salt the seed is the one rnngrade has
always used, so a course without a course file grades exactly as before.

Changing an assignment's name or the salt after students have started changes every
variant (an answer sheet then says it was written for another variant): set both
before the release.

The hidden inputs of official grading are further bound to the submission itself
(:func:`inputs_seed`: the student's seed and the fingerprint of what was handed in).
The check specs ship with rnngrade and the salt may be public, so without this a
student could compute their own hidden inputs offline, run any correct code on them
and hand in a table of answers; with it, every change to a submission draws new
inputs, and a table of answers can never contain the answers to the inputs it itself
causes. The same content still gets the same inputs everywhere (a re-run, a batch, CI).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

DEFAULT_ASSIGNMENT = "rnn-lstm"  # the one assignment of a course without a course file


def student_seed(student: str, assignment: str = DEFAULT_ASSIGNMENT, salt: str = "") -> int:
    """Seed of a student's hidden inputs and quiz variant: fixed by the student id, the
    assignment and the term salt (none: the seed of a course without a course file)."""
    text = f"{assignment}\0{student}" if not salt else f"{salt}\0{assignment}\0{student}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def inputs_seed(seed: int, fingerprint: str) -> int:
    """Seed of the hidden inputs of one submission: the student's ``seed`` and the
    ``fingerprint`` of the submission's content (see the module's docstring)."""
    text = f"rnngrade-inputs\0{seed}\0{fingerprint}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


# The public cases shipped with the release are drawn from this seed, the same for every
# assignment and term: they are public, and the release must not depend on the course file.
PUBLIC_SEED = student_seed("public")


@dataclass(frozen=True)
class AssignmentId:
    """An assignment as the seed sees it: its name and the course's term salt."""

    name: str = DEFAULT_ASSIGNMENT
    salt: str = ""

    def seed(self, student: str) -> int:
        return student_seed(student, self.name, self.salt)

    def __str__(self) -> str:
        return self.name


def seed_of(student: str, assignment: str | AssignmentId) -> int:
    """The seed of ``student`` for an assignment given by name (no salt) or in full."""
    if isinstance(assignment, AssignmentId):
        return assignment.seed(student)
    return student_seed(student, assignment)
