"""Helpers for the tests of running a course (course file, weekly assignments, late
hand-ins, adjustments): a course file with two weekly assignments, and the course
folder around it."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

from grader import paths
from grader.assignments.config import CourseFile, parse
from grader.assignments.material import known

# Two weekly assignments: subsets of the exercises and questions in an order of their own,
# custom weights (an exercise's total, a kind's factor, the quiz's total), dates, a late
# policy from [defaults], an extension, items shown only after the due date.
TWO_WEEKS = """
[course]
salt = "2025-autumn"
timezone = "+08:00"

[defaults]
late = { per_day = 10, cap = 30, grace_minutes = 30 }

[[assignment]]
name = "week1"
title = { zh = "第一周：BP神经网络", en = "Week 1: the BP network" }
exercises = ["relu", "affine"]
questions = ["bp_layers", "models_cnn_use"]
release = 2025-03-01T08:00:00
due = 2025-03-08T23:59:00
points = { affine = 20, quiz = 4 }

[[assignment]]
name = "week3"
exercises = ["lstm", "lstm_step"]
questions = ["recurrent"]
due = 2025-03-22T23:59:00
kinds = { mutation = 0, gradient = 2 }
extensions = { "alice" = 2, "bob" = 2025-03-29T12:00:00+08:00 }
visibility = { after_due = ["backward"] }
"""


def course_file(text: str = TWO_WEEKS) -> CourseFile:
    return parse(tomllib.loads(text), known=known(paths.SOLUTIONS))


def course_folder(root: Path, text: str = TWO_WEEKS, exercises: bool = True) -> Path:
    """A course folder: course.toml, a copy of solutions/ and (optionally) of exercises/."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "course.toml").write_text(text, encoding="utf-8")
    shutil.copytree(paths.SOLUTIONS, root / "solutions", ignore=shutil.ignore_patterns("__pycache__"))
    if exercises:
        shutil.copytree(paths.EXERCISES, root / "exercises", ignore=shutil.ignore_patterns("__pycache__"))
    return root
