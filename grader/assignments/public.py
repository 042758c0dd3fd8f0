"""The course file a student release carries: one assignment, its public settings only.

A student's copy of rnngrade needs to know which assignment their folder is for: its
exercises and questions (what a self-check grades), its name and the term salt (the
quiz variant's seed, which must be the one official grading uses), its weights,
dates and late policy (what the report says). It must not hold other students'
extensions. ``rnngrade release --assignment NAME`` writes this file as ``course.toml``
at the top of the bundle, where :mod:`grader.course` finds it; question ids are
written out in full, so the file reads the same against the student bank.
"""

from __future__ import annotations

from typing import Any

from ..quiz import toml_out
from .config import Assignment

HEADER = ("The assignment this folder is for, written by `rnngrade release` from the course's course file:\n"
          "rnngrade reads it to self-check your work and to draw your quiz variant. Do not edit it.")


GRADER_HEADER = ("The assignment this autograder grades, written by `rnngrade gradescope build` from the course's\n"
                 "course file (with the students' extensions): build the zip again after changing the course file.")


def render(assignment: Assignment, question_ids: list[str] | None, with_extensions: bool = False) -> str:
    """``course.toml`` of a student release for ``assignment``; ``with_extensions``: the
    grader's copy (an autograder zip), which also holds the students' extensions."""
    a = assignment if with_extensions else assignment.public()
    lines = toml_out.comment(GRADER_HEADER if with_extensions else HEADER)
    lines += ["", "[course]", f"salt = {toml_out.string(a.salt)}", "", "[[assignment]]"]
    table: dict[str, Any] = {"name": a.name}
    if a.title is not None:
        table["title"] = {"zh": a.title[0], "en": a.title[1]}
    if a.exercises is not None:
        table["exercises"] = list(a.exercises)
    if question_ids is not None:
        table["questions"] = list(question_ids)
    for key in ("release", "due", "answers_after", "practice"):
        if getattr(a, key) is not None:
            table[key] = getattr(a, key)
    for key in ("points", "kinds"):
        if getattr(a, key):
            table[key] = dict(getattr(a, key))
    if a.late is not None:
        table["late"] = a.late.to_table()
    if a.visibility.to_table():
        table["visibility"] = a.visibility.to_table()
    if a.extensions:
        table["extensions"] = dict(a.extensions)
    if a.capstone:  # the capstone's training stage runs in the self-check too
        table["capstone"] = True
    for key, value in table.items():
        lines.append(f"{toml_out.key(key)} = {toml_out.value(value)}")
    return "\n".join(lines) + "\n"
