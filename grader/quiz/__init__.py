"""The concept quiz: a bilingual question bank, per-student variants, answer sheets.

One module per job, in the order data flows through them:

* :mod:`.model`       - the bank's vocabulary (sections, quizzes, questions, options);
* :mod:`.policy`      - counted or practice, and when the key may be seen (one object);
* :mod:`.bank`        - load a bank folder (TOML) and validate it, with clear errors;
* :mod:`.variants`    - a student's variant: option order and drawn numbers, from a seed;
* :mod:`.answers`     - read one answer (a letter, a number, ...) and the salted digests;
* :mod:`.sheet`       - the answer sheet file (``quiz_answers.toml``): find, read, write;
* :mod:`.grading`     - grade a sheet against the key (or the digests) as check results;
* :mod:`.release`     - the student bank: the key stripped (digests for practice quizzes only);
* :mod:`.interactive` - ``rnngrade quiz``: ask the questions in the terminal;
* :mod:`.toml_out`    - the small TOML writer the sheet and the release use.

The format of every file is documented in ``docs/quiz.md``.
"""

from __future__ import annotations

QUIZ_EXERCISE = "quiz"
SHEET_NAME = "quiz_answers.toml"
