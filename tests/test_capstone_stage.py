"""The capstone stage (grader/capstone/stage.py): the student's model trained in the
sandbox with the student's own layers, the failing ones computed by the reference.

The reference earns every item with runs equal, to the last bit, to the training run
in-process; each capstone mutant changes the runs the way the report says (word
vectors never updated, clipping ignored, a head that reads the padding, a broken
block in a self-check) while official grading keeps a broken block from sinking the
model; parameters stay in the child; the stage is off by default, and then trains nothing
and is no part of the grade (one line says how to run it);
broken, slow and hostile code fails the stage's items with a reason.

Full runs (the five runs of a capstone, 2-3 s each in this process) are used only
where the training itself is under test; the mechanics use one-epoch runs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from capstone_support import CAPSTONE_MUTANTS
from support import SOLUTIONS, exercises_named, mutant, reference_plus

from grader import paths
from grader.api import grade
from grader.calls import BlockError, Handle, Token
from grader.capstone import stage, train
from grader.capstone.train import ACCURACY_THRESHOLD, SETTINGS, reference_functions
from grader.checks.model import Kind
from grader.i18n import render
from grader.mistakes import Mistake
from grader.reference import load_reference
from grader.sandbox import child
from grader.sandbox.inprocess import InProcessCaller

SPECS = ("embedding", "temporal_affine", "many_to_one", "sentiment_init", "sentiment_loss", "sentiment_step")
ITEMS = {"capstone.rnn", "capstone.lstm", "capstone.gru", "capstone.clipping"}


def stage_grade(path, official=True, blocks=(), in_process=True, strict=None, **kw):
    """The capstone's exercises, the block exercises named and the stage (switched on
    unless ``capstone`` says otherwise: it is off by default)."""
    ex = exercises_named(*SPECS, *blocks) + [stage.capstone_exercise()]
    kw.setdefault("capstone", True)
    return grade(path, solutions=SOLUTIONS if official else None, exercises=ex, trusted_in_process=in_process,
                 strict=in_process if strict is None else strict, **kw)


def items(result):
    return {c.id: c for c in result.checks if c.exercise == stage.EXERCISE}


def keys(messages):
    return [m.key for m in messages]


@pytest.fixture
def one_epoch(monkeypatch):
    """Runs of one epoch: for the stage's mechanics, not its accuracy."""
    monkeypatch.setitem(train.SETTINGS, "short", SETTINGS["short"].with_(epochs=1))
    monkeypatch.setitem(train.SETTINGS, "long", SETTINGS["long"].with_(epochs=1))


@pytest.fixture(scope="module")
def capstone_mutant(tmp_path_factory):
    root = tmp_path_factory.mktemp("stage-mutants")
    return lambda name: mutant(root / name, CAPSTONE_MUTANTS[name][1])


# ------------------------------------------------------------ the reference
@pytest.fixture(scope="module")
def reference_result(capstone_reference_result):
    return capstone_reference_result


def test_the_reference_earns_every_item_with_the_runs_of_the_training_module(reference_result):
    got = items(reference_result)
    assert set(got) == ITEMS and all(c.status == "passed" and c.kind == Kind.TRAINING for c in got.values())
    assert reference_result.score == reference_result.max_score == pytest.approx(38.25 + 6)
    data = reference_result.extras["capstone"]
    assert data["status"] == "ok" and data["substituted"] == [] and data["seed"] == stage.SEED
    assert set(data["runs"]) == set(stage.RUNS)
    # The same run as the training module's with the reference imported in-process:
    # keeping the parameters in the child changes nothing, to the last bit.
    plain = train.train(reference_functions(), SETTINGS["short"].with_(cell="gru", seed=stage.SEED))
    assert data["runs"]["gru"]["losses"] == plain.losses
    assert data["runs"]["gru"]["heldout_accuracy"] == plain.heldout_accuracy
    for cell in train.CELLS:
        assert got[f"capstone.{cell}"].details["best_accuracy"] >= ACCURACY_THRESHOLD
    clipping = got["capstone.clipping"].details
    assert clipping["last_epoch_loss"] < min(stage.LN2, clipping["last_epoch_loss_unclipped"])
    assert "capstone.explain.clipping" in keys(data["explanations"])
    first = data["runs"]["lstm"]["predictions"][0]
    assert first["text"] == "今天是个好日子" and first["p_positive"] > 0.5


def test_the_stage_says_every_run_in_both_languages(reference_result):
    for m in reference_result.extras["capstone"]["explanations"]:
        for lang in ("zh", "en"):
            assert render(m, lang)
    for c in items(reference_result).values():
        assert render(c.title, "zh") and render(c.title, "en")


# ---------------------------------------------------------------- mutants
def test_word_vectors_never_updated_keep_the_model_at_chance(capstone_mutant_result):
    result = capstone_mutant_result("embedding_frozen")
    got = items(result)
    for cell in train.CELLS:
        item = got[f"capstone.{cell}"]
        assert item.status == "failed" and item.details["best_accuracy"] < ACCURACY_THRESHOLD
        assert Mistake.EMBEDDINGS_NOT_UPDATED in item.mistakes
    data = result.extras["capstone"]
    assert all(data["runs"][c]["param_change"]["W_embed"] == 0 for c in train.CELLS)
    assert "capstone.explain.frozen" in keys(data["explanations"])
    # the checks named it too, where it is: the model's loss
    assert any(Mistake.EMBEDDINGS_NOT_UPDATED in c.mistakes for c in result.checks if c.exercise == "sentiment_loss")


def test_clipping_ignored_blows_up_the_long_run(capstone_mutant_result):
    result = capstone_mutant_result("clipping_ignored")
    item = items(result)["capstone.clipping"]
    assert item.status == "failed" and Mistake.CLIPPING_IGNORED in item.mistakes
    assert item.details["last_epoch_loss"] == item.details["last_epoch_loss_unclipped"]
    assert "capstone.stage.not_lower" in keys(item.messages) or "capstone.stage.diverged" in keys(item.messages)
    runs = result.extras["capstone"]["runs"]
    assert runs["long_clipped"]["losses"] == runs["long_unclipped"]["losses"]
    assert "capstone.explain.clipping_ignored" in keys(result.extras["capstone"]["explanations"])


def test_a_head_that_reads_the_padding_inside_the_model_stays_near_chance(tmp_path):
    edits = {"sentiment.py": [("scores, c_pool = many_to_one_forward(step_scores, lengths, pool)",
                               "scores, c_pool = many_to_one_forward(step_scores, np.full_like(lengths, "
                               "x.shape[1]), pool)")]}
    result = stage_grade(mutant(tmp_path / "m", edits))
    got = items(result)
    assert sum(got[f"capstone.{c}"].status == "failed" for c in train.CELLS) >= 2
    assert any("capstone.stage.head_named" in keys(got[f"capstone.{c}"].messages) for c in train.CELLS)
    assert "capstone.explain.head" in keys(result.extras["capstone"]["explanations"])


@pytest.fixture(scope="module")
def bptt(capstone_mutant):
    path = capstone_mutant("bptt_drops_carry")
    return {"official": stage_grade(path, blocks=("rnn_step", "rnn")),
            "selfcheck": stage_grade(path, official=False, blocks=("rnn_step", "rnn"))}


def test_official_grading_trains_around_a_broken_block(bptt):
    """rnn_backward drops the gradient carried through time: charged in its own checks,
    computed by the reference in the capstone, whose runs are then the reference's."""
    result = bptt["official"]
    assert any(c.status != "passed" for c in result.checks if c.exercise == "rnn")
    data = result.extras["capstone"]
    assert {"rnn_forward", "rnn_backward"} <= set(data["substituted"])
    got = items(result)
    assert all(c.status == "passed" for c in got.values())
    assert "capstone.stage.with_reference" in keys(got["capstone.rnn"].messages)
    assert "capstone.explain.substituted" in keys(data["explanations"])
    plain = train.train(reference_functions(), SETTINGS["short"].with_(cell="rnn", seed=stage.SEED))
    assert data["runs"]["rnn"]["losses"] == plain.losses


def test_a_self_check_trains_with_the_broken_block_and_says_so(bptt):
    result = bptt["selfcheck"]
    data = result.extras["capstone"]
    assert data["substituted"] == [] and not data["official"]
    rnn = items(result)["capstone.rnn"]
    # 100 seeds of this mutant: best accuracy 0.579-0.643, below the threshold
    assert rnn.status == "failed" and rnn.details["best_accuracy"] < ACCURACY_THRESHOLD
    assert items(result)["capstone.gru"].status == "passed"  # the GRU does not use rnn_backward
    assert "capstone.explain.selfcheck_blocks" in keys(data["explanations"])


# ------------------------------------------------------- the mechanics
def test_parameters_stay_in_the_child_between_steps(one_epoch, monkeypatch):
    seen = []
    original = InProcessCaller.call_many

    def spy(self, calls, serve=None):
        out = original(self, calls, serve)
        seen.extend(zip(calls, out, strict=True))
        return out

    monkeypatch.setattr(InProcessCaller, "call_many", spy)
    before = len(child._handles)
    result = stage_grade(SOLUTIONS)
    # the stage's steps: batches of 32 sentences (the checks' have 4)
    steps = [(c, o) for c, o in seen if c.func == "sentiment_train_step" and len(c.args[1]) == 32]
    runs = result.extras["capstone"]["runs"]
    n_steps = sum(len(r["losses"]) for r in runs.values())
    assert len(steps) >= n_steps
    kept = [c for c, _ in steps if c.keep == (1,)]
    plain = [c for c, _ in steps if c.keep == ()]
    # arrays after the first step of a run and at the end of each epoch: 2 per one-epoch run
    assert len(plain) <= 2 * len(runs) + 2 and len(kept) >= n_steps - 2 * len(runs)
    assert sum(not isinstance(c.args[0], Handle) for c in kept) <= len(runs)  # each run's second step
    assert sum(bool(c.release) for c in kept) >= len(kept) - 2 * len(runs)
    assert len(child._handles) - before <= 3 * len(runs)  # released as the run moves on


@pytest.mark.parametrize("switch", [{}, {"capstone": False}, {"capstone": None}])
def test_the_stage_is_off_by_default_and_then_no_part_of_the_grade(monkeypatch, switch):
    """The lead's decision (issue 17: the capstone must not make the ordinary grade
    slow): off, nothing is trained, the stage's items are neither in the maximum nor
    pending, and the terminal says in one line that it was not run and how to run it."""
    from grader.report.terminal import summary

    def no_training(*a, **k):
        raise AssertionError("the stage trained while off")

    monkeypatch.setattr(stage, "train", no_training)
    ex = exercises_named(*SPECS) + [stage.capstone_exercise()]
    result = grade(SOLUTIONS, solutions=SOLUTIONS, exercises=ex, trusted_in_process=True, strict=True, **switch)
    assert not items(result) and stage.EXERCISE not in {e.exercise.name for e in result.exercises}
    assert result.max_score == pytest.approx(38.25) and result.score == pytest.approx(38.25)
    assert not [c for c in result.checks if c.status == "pending"]
    assert result.extras["capstone"]["status"] == "skipped"
    for lang in ("en", "zh"):
        lines = [line for line in summary(result, lang).splitlines() if "--capstone" in line]
        assert len(lines) == 1 and "capstone = true" in lines[0]


def test_the_assignments_setting_turns_the_stage_on_and_the_switch_overrides_it(one_epoch):
    from grader.assignments.config import Assignment

    on = Assignment(name="week9", capstone=True)
    ex = exercises_named(*SPECS) + [stage.capstone_exercise()]
    result = grade(SOLUTIONS, solutions=SOLUTIONS, exercises=ex, trusted_in_process=True, strict=True, assignment=on)
    assert set(items(result)) == ITEMS and result.max_score == pytest.approx(38.25 + 6)
    assert result.extras["capstone"]["status"] == "ok"
    off = grade(SOLUTIONS, solutions=SOLUTIONS, exercises=ex, trusted_in_process=True, strict=True, assignment=on,
                capstone=False)
    assert not items(off) and off.extras["capstone"]["status"] == "skipped"


def test_the_course_file_says_capstone_true_or_false():
    from grader.assignments.config import CourseFileError, parse

    course = parse({"assignment": [{"name": "a", "capstone": True}, {"name": "b"}]})
    assert [a.capstone for a in course.assignments] == [True, False]
    assert parse({"defaults": {"capstone": True}, "assignment": [{"name": "a"}]}).assignments[0].capstone
    with pytest.raises(CourseFileError, match="capstone must be true or false"):
        parse({"assignment": [{"name": "a", "capstone": "yes"}]})


def test_a_release_and_an_autograder_carry_the_setting():
    """The course.toml of a student release and of a Gradescope zip keep capstone = true,
    so their self-checks and official grades run the stage when the assignment does."""
    import tomllib

    from grader.assignments import public
    from grader.assignments.config import Assignment, parse

    for extensions in (False, True):
        on = tomllib.loads(public.render(Assignment(name="a", capstone=True), None, with_extensions=extensions))
        assert parse(on).assignments[0].capstone
        off = tomllib.loads(public.render(Assignment(name="a"), None, with_extensions=extensions))
        assert "capstone" not in off["assignment"][0] and not parse(off).assignments[0].capstone


def test_the_stage_runs_only_with_the_model_or_when_named(one_epoch):
    """On, the stage runs with the whole assignment, with the model's exercises, or when
    named; an assignment without the model's functions trains nothing."""
    result = grade(SOLUTIONS, solutions=SOLUTIONS, exercises=exercises_named("embedding", "many_to_one"),
                   trusted_in_process=True, strict=True, capstone=True)
    assert not items(result) and "capstone" not in result.extras
    result = grade(SOLUTIONS, solutions=SOLUTIONS, exercises=exercises_named(*SPECS), trusted_in_process=True,
                   strict=True, capstone=True)
    assert set(items(result)) == ITEMS
    assert stage.wants_capstone(None)


def test_stubs_fail_every_item_at_once(one_epoch):
    result = stage_grade(paths.EXERCISES)
    got = items(result)
    assert all(c.status == "failed" and c.points == 0 for c in got.values())
    assert all("call.not_implemented" in keys(c.messages) for c in got.values())
    assert result.extras["capstone"]["calls"] <= 2 * len(stage.RUNS)


def test_initial_parameters_that_fail_are_the_references(one_epoch, tmp_path):
    path = mutant(tmp_path / "m", {"sentiment.py": [("    rng = np.random.default_rng(rng)\n    params = {}",
                                                     "    rng = np.random.default_rng()\n    params = {}")]})
    result = stage_grade(path)
    assert "init_sentiment_params" in result.extras["capstone"]["substituted"]
    assert all(c.status != "failed" or "call" not in c.details for c in items(result).values())


@pytest.mark.parametrize("step, key", [
    ("return loss, 3.0, grad_norm", "capstone.failed.params"),
    ("return loss, new_params", "capstone.failed.step_return"),
    ("return loss, {k: v[:1] for k, v in new_params.items()}, grad_norm", "capstone.failed.param_shape"),
])
def test_a_step_that_returns_something_unusable_fails_the_runs_with_a_reason(one_epoch, tmp_path, step, key):
    path = mutant(tmp_path / "m", {"sentiment.py": [("    return loss, new_params, grad_norm", "    " + step)]})
    got = items(stage_grade(path))
    for c in got.values():
        assert c.status == "failed" and key in keys(c.messages), (c.id, keys(c.messages))


def test_a_step_that_breaks_later_ends_the_run_with_its_error(one_epoch, tmp_path):
    code = """
    _steps = []
    _reference_step = sentiment_train_step

    def sentiment_train_step(params, x, *args):
        _steps.append(len(x) == 32)  # the stage's batches (the checks' have 4 sentences)
        loss, new, norm = _reference_step(params, x, *args)
        return loss, (new if sum(_steps) < 3 else "junk"), norm
    """
    got = items(stage_grade(reference_plus(tmp_path / "m", code, file="sentiment.py")))
    assert got["capstone.rnn"].status == "failed" and "call.error" in keys(got["capstone.rnn"].messages)


def test_a_stage_over_its_time_budget_says_the_code_is_too_slow(one_epoch, monkeypatch):
    monkeypatch.setattr(stage, "STAGE_SECONDS", -1.0)  # the deadline has passed before the first call
    got = items(stage_grade(SOLUTIONS))
    assert all("capstone.stage.too_slow" in keys(c.messages) for c in got.values())


def test_a_grader_bug_in_the_stage_costs_only_its_items(one_epoch, monkeypatch):
    def bug(*a, **k):
        raise RuntimeError("a grader bug")

    monkeypatch.setattr(stage, "train", bug)
    result = stage_grade(SOLUTIONS, strict=False)
    got = items(result)
    assert all(c.kind == Kind.ERROR and c.status == "failed" and "grader_traceback" in c.details
               for c in got.values())
    assert all(c.status == "passed" for c in result.checks if c.exercise != stage.EXERCISE)


# ---------------------------------------------------------- the blocks
@pytest.fixture(scope="module")
def blocks():
    rows, steps = stage.data_bounds()
    return stage.ModelBlocks(load_reference(SOLUTIONS), {"V": 979, "D": 16, "H": 24, "C": 2}, rows, steps)


def test_blocks_are_served_with_the_models_shapes(blocks):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 979, (32, 9))
    out, token = blocks.serve("word_embedding_forward", (x, rng.standard_normal((979, 16))), {})
    assert out.shape == (32, 9, 16) and isinstance(token, Token)
    h, token = blocks.serve("lstm_forward", (out, np.zeros((32, 24)), rng.standard_normal((16, 96)),
                                             rng.standard_normal((24, 96)), np.zeros(96)), {})
    dx = blocks.serve("lstm_backward", (np.ones_like(h), token), {})
    assert dx[0].shape == (32, 9, 16)
    blocks.forget()
    with pytest.raises(BlockError):
        blocks.serve("lstm_backward", (np.ones_like(h), token), {})


@pytest.mark.parametrize("name, args", [
    ("word_embedding_forward", (np.zeros((2, 3), dtype=np.int64), np.zeros((979, 17)))),  # not the model's D
    ("word_embedding_forward", (np.zeros((2, 3, 4), dtype=np.int64), np.zeros((979, 16)))),  # 3-D token ids
    ("temporal_affine_forward", (np.zeros((979, 979, 1)), np.zeros((1, 979)), np.zeros(979))),
    ("softmax_loss", (np.zeros((100_000, 2)), np.zeros(100_000, dtype=np.int64))),  # more rows than the stage sends
    ("rnn_forward", (np.zeros((2, 3, 16)), np.zeros((2, 24)), np.zeros((16, 24)), np.zeros((24, 24)),
                     np.zeros(48))),  # biases of another width
    ("init_weights", ((979, 979), "xavier", 0)),  # not a block of the model
    ("sgd_step", ({"W": np.zeros((500, 500))}, {"W": np.zeros((500, 500))}, 0.1)),
    ("many_to_one_forward", (np.zeros((2, 3, 2)), Handle(1, "list", 1))),
])
def test_blocks_refuse_what_the_model_never_passes(blocks, name, args):
    with pytest.raises(BlockError):
        blocks.serve(name, args, {})


def test_a_refused_callback_fails_the_training_call_and_nothing_leaves_it(blocks):
    """The stage's stand-ins follow the rules of every substituting call (BlockScope):
    once a callback is refused, later ones are refused too and the call fails, even if
    the student's code caught the error; what the call printed or raised is dropped."""
    from grader.calls import Call, CallOutcome, CallStatus

    call = Call("sentiment_train_step", (Handle(1, "dict", 1), np.zeros((4, 3), dtype=np.int64)))
    scope = blocks.serving(call)
    assert isinstance(scope, stage.ModelScope)
    rng = np.random.default_rng(1)
    scores, y = rng.standard_normal((4, 2)), np.array([0, 1, 1, 0])
    loss, _ = scope("softmax_loss", (scores, y), {})  # the model's shapes: served
    assert np.isfinite(loss)
    ok = scope.settle(CallOutcome(CallStatus.OK, value=1.0, output=f"{loss!r}"))
    assert ok.ok and ok.output == ""
    with pytest.raises(BlockError):
        scope("softmax_loss", (np.zeros((4, 7)), y), {})  # another number of classes: refused
    with pytest.raises(BlockError):
        scope("softmax_loss", (scores, y), {})  # after a refusal, nothing more
    failed = scope.settle(CallOutcome(CallStatus.OK, value=1.0))
    assert not failed.ok and failed.error["kind"] == "blocks"


# ---------------------------------------------------- through the sandbox
def test_the_stage_through_the_sandbox_equals_the_stage_in_process(reference_result):
    result = stage_grade(SOLUTIONS, in_process=False)
    assert all(c.status == "passed" for c in items(result).values())
    here, there = reference_result.extras["capstone"]["runs"], result.extras["capstone"]["runs"]
    for name in stage.RUNS:
        assert there[name]["losses"] == here[name]["losses"], name
        assert there[name]["heldout_accuracy"] == here[name]["heldout_accuracy"], name
    assert math.isfinite(result.extras["capstone"]["seconds"])


@pytest.mark.parametrize("caller_kind", ["in_process", "sandbox"])
def test_a_released_handle_is_forgotten_by_the_child(caller_kind):
    """Call(release=...): the child drops those objects after the call (how the stage
    keeps one set of parameters in the child, not one per step)."""
    from grader.calls import Call, CallStatus
    from grader.sandbox.session import Sandbox
    from grader.submission import prepare

    prepared = prepare(SOLUTIONS)
    kind = InProcessCaller if caller_kind == "in_process" else Sandbox
    caller = kind(prepared.root, prepared.modules, ["affine_forward", "affine_backward"])
    rng = np.random.default_rng(0)
    x, w, b, dout = rng.standard_normal((2, 3)), rng.standard_normal((3, 4)), np.zeros(4), np.ones((2, 4))
    try:
        caller.start()
        cache = caller.call_many([Call("affine_forward", (x, w, b), keep=(-1,))])[0].value[-1]
        assert isinstance(cache, Handle)
        used = caller.call_many([Call("affine_backward", (dout, cache), release=(cache,))])[0]
        assert used.ok  # released after the call, not before
        again = caller.call_many([Call("affine_backward", (dout, cache))])[0]
        assert again.status == CallStatus.ERROR and "unknown handle" in again.error["message"]
    finally:
        caller.close()
        prepared.cleanup()


# ------------------------------------------------------- the switch
def _switch(student, snapshot, solutions, lang, allow_unisolated=False, course=None) -> dict:
    """A batch worker that only says whether it was asked for the capstone stage (the
    assignment's setting, which ``grade_class(capstone=...)`` sets)."""
    capstone = course is not None and course.assignment.capstone
    tests = [{"name": "t", "score": 1.0, "max_score": 1.0, "status": "passed", "output": str(capstone),
              "tags": ["capstone", "training"], "extra_data": {"id": "capstone.rnn", "mistakes": []}}]
    return {"student": student, "fingerprint": snapshot.fingerprint, "score": float(capstone), "max_score": 1.0,
            "load_status": "loaded", "isolation": "portable", "graded_at": "2025-01-01T00:00:00+00:00",
            "seconds": 0.01, "results": {"score": 1.0, "tests": tests, "extra_data": {"max_score": 1.0}},
            "html": f"<html>{student}</html>"}


def test_the_batch_passes_the_switch_to_its_workers_and_regrades_when_it_changes(tmp_path):
    from grader.assignments.config import Assignment
    from grader.batch import grade_class, grader_key
    from grader.gradebook import Gradebook

    (tmp_path / "class" / "alice").mkdir(parents=True)
    (tmp_path / "class" / "alice" / "sentiment.py").write_text("X = 1\n")
    out = tmp_path / "out"
    grade_class(tmp_path / "class", out, jobs=1, lang="en", grade_one=_switch)  # off by default
    with Gradebook(out / "gradebook.sqlite") as book:
        assert [r["score"] for r in book.students()] == [0.0]
    again = grade_class(tmp_path / "class", out, jobs=1, lang="en", grade_one=_switch, capstone=True)
    assert again.graded == ["alice"]  # switched on: graded again
    with Gradebook(out / "gradebook.sqlite") as book:
        assert [r["score"] for r in book.students()] == [1.0]
    same = grade_class(tmp_path / "class", out, jobs=1, lang="en", grade_one=_switch, capstone=True)
    assert same.graded == []
    off = grade_class(tmp_path / "class", out, jobs=1, lang="en", grade_one=_switch, capstone=False)
    assert off.graded == ["alice"]
    assert grader_key(None, Assignment()) != grader_key(None, Assignment(capstone=True))


@pytest.mark.parametrize("switch, value", [(["--no-capstone"], False), (["--capstone"], True), ([], None)])
@pytest.mark.parametrize("command", [["grade", "x.py"], ["batch", ".", "--solutions", ".", "--out", "o"]])
def test_the_command_line_switch_reaches_the_library(monkeypatch, tmp_path, command, switch, value):
    from click.testing import CliRunner

    from grader import api, batch, cli

    seen = {}

    def record(*args, **kwargs):
        seen.update(kwargs)
        raise RuntimeError("recorded")

    monkeypatch.setattr(api, "grade", record)
    monkeypatch.setattr(batch, "grade_class", record)
    monkeypatch.setattr(batch, "intake", lambda *a, **k: type("I", (), {"entries": [], "to_grade": lambda self, g: []})())
    monkeypatch.setattr("grader.sandbox.isolation.probe", lambda: type("L", (), {"isolated": True})())
    # No child started ahead of the (recorded) grade: the fake level above has nothing to launch.
    monkeypatch.setattr("grader.sandbox.prelaunch.prelaunch", lambda *a, **k: None)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.py").write_text("X = 1\n")
    result = CliRunner().invoke(cli.main, [*command, *switch])
    assert isinstance(result.exception, RuntimeError) and seen["capstone"] is value


def test_the_samples_self_check_shows_a_wrong_gradient_that_still_trains():
    """The quick start's sample: its word embedding uses dW[x] += dout (mistake 37, named
    by the gradient check) and its clip_grad_norm rescales even below the threshold
    (mistake 17, so max_norm = inf gives inf); its model still learns, and the report
    says why both things can be true."""
    result = grade(paths.EXAMPLES / "sample_submission", student="sample", trusted_in_process=True, strict=True,
                   capstone=True)
    assert {str(Mistake.EMBEDDING_NO_ADD_AT), str(Mistake.CLIP_ALWAYS)} <= set(result.mistakes())
    got = items(result)
    assert all(got[f"capstone.{c}"].status == "passed" for c in train.CELLS)
    said = keys(result.extras["capstone"]["explanations"])
    assert {"capstone.explain.selfcheck_blocks", "capstone.explain.hidden_bug",
            "capstone.explain.diverged_at_once"} <= set(said)
