"""Running a real course: assignments, deadlines, weights, regrades and overrides.

Everything an instructor changes between terms lives in the course file,
``course.toml`` at the top of the course folder (``docs/course.md``), not in Python:

* :mod:`.config`      - the course file: its model, and loading it with every problem
                        named by its key; the default course when there is none;
* :mod:`.late`        - the late policy: how late a hand-in is, and what that costs;
* :mod:`.handins`     - when each hand-in was handed in (a CSV, LMS metadata, file times);
* :mod:`.adjustments` - manual score adjustments (overrides) and the one function that
                        turns graded items, adjustments and lateness into the final score;
* :mod:`.stage`       - the course stage of a grade: an assignment's weights, visibility,
                        late penalty and adjustments applied to a result, and the view of
                        it a student may see before the due date;
* :mod:`.public`      - the public part of the course file that a student release carries;
* :mod:`.material`    - wiring: a course folder's course file, checked against its specs and
                        quiz bank; an assignment's exercise specs and quiz selection.

Without a course file there is one assignment, ``rnn-lstm``, with every exercise and
every question, no salt, no dates and no weights: grades, seeds and releases are
exactly those of rnngrade without this package.
"""

from __future__ import annotations

from ..course import COURSE_FILE
from .config import Assignment, CourseFile, CourseFileError, Known, default_course, load

__all__ = ["COURSE_FILE", "Assignment", "CourseFile", "CourseFileError", "Known", "default_course", "load"]
