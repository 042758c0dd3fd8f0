"""The course file: what it means, and one clear message naming the key for every mistake."""

from __future__ import annotations

import datetime as _dt
import hashlib
import tomllib

import pytest
from course_support import TWO_WEEKS, course_file

from grader import paths
from grader.assignments.config import Assignment, CourseFileError, default_course, parse
from grader.assignments.material import known
from grader.checks.policy import Weights
from grader.seed import DEFAULT_ASSIGNMENT, PUBLIC_SEED, AssignmentId, seed_of, student_seed

CST = _dt.timezone(_dt.timedelta(hours=8))


# ------------------------------------------------------------------ the seed
def test_the_seed_without_a_salt_is_the_one_rnngrade_always_used():
    old = int.from_bytes(hashlib.sha256(b"rnn-lstm\0alice").digest()[:8], "big")
    assert student_seed("alice") == old == AssignmentId().seed("alice") == seed_of("alice", "rnn-lstm")
    assert PUBLIC_SEED == student_seed("public")


def test_the_term_salt_and_the_assignment_change_every_seed():
    plain = student_seed("alice", "week1")
    assert student_seed("alice", "week1", "2025-autumn") != plain
    assert student_seed("alice", "week1", "2025-autumn") != student_seed("alice", "week1", "2026-spring")
    assert student_seed("alice", "week3", "2025-autumn") != student_seed("alice", "week1", "2025-autumn")
    assert AssignmentId("week1", "s").seed("bob") == student_seed("bob", "week1", "s") == seed_of("bob",
                                                                                                   AssignmentId("week1",
                                                                                                                "s"))


# ------------------------------------------------------------------ what a course file means
def test_two_weekly_assignments_are_read_with_their_settings():
    course = course_file()
    assert course.names() == ["week1", "week3"] and course.salt == "2025-autumn"
    week1, week3 = course.assignment("week1"), course.assignment("week3")
    assert week1.exercises == ("relu", "affine") and week1.questions == ("bp_layers", "models_cnn_use")
    assert week1.identity == AssignmentId("week1", "2025-autumn")
    assert week1.title_in("zh").startswith("第一周") and week1.title_in("en").startswith("Week 1")
    # a date-time without an offset is in the course's timezone
    assert week1.due == _dt.datetime(2025, 3, 8, 23, 59, tzinfo=CST)
    assert week1.release == _dt.datetime(2025, 3, 1, 8, 0, tzinfo=CST)
    assert week1.weights == Weights({"affine": 20.0, "quiz": 4.0}, {})
    # [defaults] applies to every assignment
    assert week1.late is not None and (week1.late.per_day, week1.late.cap, week1.late.grace_minutes) == (10, 30, 30)
    assert week3.late == week1.late
    assert week3.weights == Weights({}, {"mutation": 0.0, "gradient": 2.0})
    assert week3.question_ids(known(paths.SOLUTIONS).quizzes)[:2] == ["rnn_two_inputs", "rnn_sharing"]
    assert week3.visibility.level("lstm.backward.dx", "lstm", "backward") == "after_due_date"
    assert week3.visibility.level("lstm.forward", "lstm", "value") == "visible"


def test_extensions_move_one_students_due_date():
    week3 = course_file().assignment("week3")
    due = _dt.datetime(2025, 3, 22, 23, 59, tzinfo=CST)
    assert week3.due_for("carol") == due
    assert week3.due_for("alice") == due + _dt.timedelta(days=2)
    assert week3.due_for("bob") == _dt.datetime(2025, 3, 29, 12, 0, tzinfo=CST)
    assert week3.public().extensions == {} and week3.public().due == due  # other students' circumstances stay private


def test_without_a_course_file_there_is_the_one_assignment_of_before():
    course = default_course()
    a = course.assignment()
    assert a == course.assignment(DEFAULT_ASSIGNMENT) == Assignment() and a.is_default
    assert a.identity == AssignmentId() and not a.weights and a.due_for("x") is None
    with pytest.raises(CourseFileError, match="no assignment 'week1'"):
        course.assignment("week1")


def test_course_wide_settings_alone_make_the_default_assignment_with_them():
    course = parse(tomllib.loads('[course]\nsalt = "t1"\n[defaults]\nkinds = { mutation = 0 }\n'))
    a = course.assignment()
    assert a.name == DEFAULT_ASSIGNMENT and a.salt == "t1" and a.kinds == {"mutation": 0.0} and not a.is_default


def test_choosing_an_assignment_says_what_there_is():
    course = course_file()
    with pytest.raises(CourseFileError) as exc:
        course.assignment()
    assert "2 assignments (week1, week3)" in str(exc.value) and "--assignment" in str(exc.value)
    with pytest.raises(CourseFileError) as exc:
        course.assignment("week2")
    assert "no assignment 'week2'" in str(exc.value) and "week1, week3" in str(exc.value)
    with pytest.raises(CourseFileError, match="did you mean 'week3'"):
        course.assignment("weak3")


# ------------------------------------------------------------------ one clear message per mistake
GOOD = '[[assignment]]\nname = "w"\ndue = 2025-03-08T23:59:00+08:00\n'
MISTAKES = [
    # (what the file says, what the one message must name)
    ('[course]\nsalt = 5\n', "[course] salt must be a string"),
    ('[course]\ntimezone = "Mars/Olympus"\n', "[course] timezone must be"),
    ('[course]\nsalts = "x"\n', "unknown key 'salts' (did you mean 'salt'?)"),
    ('[assignments]\nname = "w"\n', "unknown table [assignments] (did you mean [[assignment]]?)"),
    ('[assignment]\nname = "w"\n', "write each assignment as [[assignment]]"),
    ('[[assignment]]\nname = "Week 1"\n', "name must be lower-case"),
    ('[[assignment]]\nexercises = ["relu"]\n', "[[assignment]] 1: name must be"),
    ('[[assignment]]\nname = "w"\n[[assignment]]\nname = "w"\n', '"w": name is used by another assignment'),
    ('[[assignment]]\nname = "w"\nexercise = ["relu"]\n', "unknown key 'exercise' (did you mean 'exercises'?)"),
    ('[[assignment]]\nname = "w"\nexercises = ["lstmm"]\n', "exercises: no exercise 'lstmm' (did you mean 'lstm'?)"),
    ('[[assignment]]\nname = "w"\nexercises = []\n', "exercises is empty"),
    ('[[assignment]]\nname = "w"\nexercises = "relu"\n', "exercises must be a list"),
    ('[[assignment]]\nname = "w"\nexercises = ["relu", "relu"]\n', "exercises lists 'relu' twice"),
    ('[[assignment]]\nname = "w"\nquestions = ["rnn_sharng"]\n', "questions: no quiz or question 'rnn_sharng'"),
    ('[[assignment]]\nname = "w"\ndue = 2025-03-08\n', "due needs a time too"),
    ('[[assignment]]\nname = "w"\ndue = 2025-03-08T23:59:00\n', "due = 2025-03-08T23:59:00 has no UTC offset"),
    ('[[assignment]]\nname = "w"\ndue = "next friday"\n', "due must be a date-time"),
    ('[[assignment]]\nname = "w"\nrelease = 2025-03-09T00:00:00Z\ndue = 2025-03-08T23:59:00Z\n',
     "due (2025-03-08T23:59:00+00:00) is before release"),
    ('[[assignment]]\nname = "w"\npractice = "yes"\n', "practice must be true or false"),
    ('[[assignment]]\nname = "w"\nanswers_after = 7\n', "answers_after must be a date-time"),
    ('[[assignment]]\nname = "w"\nexercises = ["relu"]\npoints = { gru = 5 }\n',
     "points.gru: 'gru' is not one of its exercises"),
    ('[[assignment]]\nname = "w"\nquestions = []\npoints = { quiz = 5 }\n', "points.quiz: this assignment has no quiz"),
    ('[[assignment]]\nname = "w"\npoints = { relu = -1 }\n', "points.relu must be a number of at least 0"),
    ('[[assignment]]\nname = "w"\npoints = 10\n', "points must be a table"),
    ('[[assignment]]\nname = "w"\nkinds = { gradients = 2 }\n', "kinds.gradients: no such kind (did you mean"),
    ('[[assignment]]\nname = "w"\nkinds = { gradient = true }\n', "kinds.gradient must be a number"),
    (GOOD + 'late = { per_day = 0 }\n', "late.per_day must be a number above 0 and at most 100"),
    (GOOD + 'late = { per_day = 10, cap = 150 }\n', "late.cap must be a number above 0 and at most 100, not 150"),
    (GOOD + 'late = { per_day = 10, grace_minutes = -1 }\n', "late.grace_minutes must be a number of at least 0"),
    (GOOD + 'late = { cap = 50 }\n', "late.per_day is missing"),
    (GOOD + 'late = { per_day = 10, per_hour = 1 }\n', "late: unknown key 'per_hour'"),
    ('[[assignment]]\nname = "w"\nlate = { per_day = 10 }\n', "late needs a due date"),
    ('[[assignment]]\nname = "w"\nextensions = { "s1" = 2 }\n', "extensions need a due date"),
    (GOOD + 'extensions = { "s1" = 0 }\n', 'extensions."s1" must be more than 0 days'),
    (GOOD + 'extensions = { "s1" = "soon" }\n', 'extensions."s1" must be a date-time'),
    ('[defaults]\nextensions = { "s1" = 2025-03-09T00:00:00Z }\n', 'extensions."s1" must be a number of days here'),
    ('[defaults]\ndue = 2025-03-09T00:00:00Z\n', "[defaults] due belongs in each [[assignment]]"),
    ('[defaults]\nlate = { per_day = "10%" }\n', "[defaults] late.per_day must be a number"),
    ('[[assignment]]\nname = "w"\nvisibility = { after_due = ["backward"], hidden = ["backward"] }\n',
     "'backward' is both in after_due and in hidden"),
    ('[[assignment]]\nname = "w"\nvisibility = { later = ["backward"] }\n', "visibility: unknown key 'later'"),
    ('[[assignment]]\nname = "w"\nexercises = ["relu"]\nvisibility = { hidden = ["lstm.grad"] }\n',
     "visibility.hidden: 'lstm.grad' names no kind, exercise, check or question"),
    ('[[assignment]]\nname = "w"\ntitle = "Week"\n', "title needs a zh and an en text"),
]


@pytest.mark.parametrize("text, names", MISTAKES, ids=[m[1][:40] for m in MISTAKES])
def test_each_mistake_gets_one_clear_message_naming_the_key(text, names):
    with pytest.raises(CourseFileError) as exc:
        parse(tomllib.loads(text), known=known(paths.SOLUTIONS))
    assert len(exc.value.problems) == 1, exc.value.problems
    assert exc.value.problems[0].startswith("course.toml: ") and names in exc.value.problems[0], exc.value.problems


def test_every_mistake_of_a_file_is_found_in_one_pass():
    text = '[course]\nsalt = 5\n[[assignment]]\nname = "w"\nexercises = ["lstmm"]\nkinds = { gradients = 2 }\n'
    with pytest.raises(CourseFileError) as exc:
        parse(tomllib.loads(text), known=known(paths.SOLUTIONS))
    assert len(exc.value.problems) == 3 and "salt" in str(exc.value) and "lstmm" in str(exc.value) \
        and "gradients" in str(exc.value)


def test_a_file_that_is_not_toml_says_where(tmp_path):
    from grader.assignments.config import load

    (tmp_path / "course.toml").write_text('[[assignment]]\nname = "w\n')
    with pytest.raises(CourseFileError, match=r"course.toml: not valid TOML: .*line 2"):
        load(tmp_path / "course.toml")


def test_the_example_in_the_documentation_is_a_valid_course_file():
    doc = (paths.ROOT / "docs" / "course.md").read_text(encoding="utf-8")
    block = doc.split("```toml\n", 1)[1].split("```", 1)[0]
    course = parse(tomllib.loads(block), known=known(paths.SOLUTIONS))
    assert len(course.assignments) >= 2


def test_the_two_weeks_fixture_is_what_the_tests_say():
    assert "week3" in TWO_WEEKS and course_file().assignment("week3").exercises == ("lstm", "lstm_step")
