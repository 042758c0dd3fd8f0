"""The two callers of the check engine: the sandbox and the in-process caller for
trusted code. The in-process caller keeps the child's semantics (so mutant tables
graded in process say what the sandbox would say), and both serve substituting
calls the same way, refusing every callback they did not ask for."""

from __future__ import annotations

import textwrap
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from scoring_submissions import STARTER_BATCHNORM, constant_submission
from support import SOLUTIONS, grade_fast, grade_official, mutant, reference_plus, write_submission

from grader.calls import Call, CallStatus, Token
from grader.checks.blocks import BlockServer
from grader.reference import load_reference
from grader.sandbox.inprocess import InProcessCaller
from grader.sandbox.session import Sandbox
from grader.submission import prepare

CALLERS = [InProcessCaller, Sandbox]
REFERENCE = load_reference(SOLUTIONS)
STEPS = ("lstm_step_forward", "lstm_step_backward")


def open_caller(kind, root: Path, wanted: list[str]):
    prepared = prepare(root)
    caller = kind(prepared.root, prepared.modules, wanted)
    caller.start()
    return caller, prepared


@pytest.fixture(params=CALLERS, ids=["in-process", "sandbox"])
def caller_kind(request):
    return request.param


def lstm_inputs(seed: int = 0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((3, 4, 6)), rng.standard_normal((3, 5)), rng.standard_normal((6, 20)),
            rng.standard_normal((5, 20)), rng.standard_normal(20))


# ------------------------------------------------------------------ same verdicts
PARITY = {
    "reference": ({}, ()),
    "affine without bias": ({"layers.py": [("    out = x.reshape(x.shape[0], -1) @ w + b\n",
                                            "    out = x.reshape(x.shape[0], -1) @ w\n")]}, ("affine",)),
    "dprev_c without f": ({"rnn_layers.py": [("dprev_c = dc * f", "dprev_c = dc")]}, ("lstm_step", "lstm")),
    "sigmoid derivative of the output": ({"layers.py": [("    return dout * out * (1.0 - out)\n",
                                                         "    s = 1 / (1 + np.exp(-out))\n    return dout * s * (1 - s)\n")]},
                                         ("sigmoid", "net")),
    "relu forward in place": ({"layers.py": [("    return np.maximum(0.0, x), x\n",
                                              "    out = x\n    out[out < 0] = 0\n    return out, x.copy()\n")]}, ("relu",)),
}


def verdicts(result) -> list[tuple]:
    return [(c.id, str(c.status), c.points, sorted(c.mistakes), [m.key for m in c.messages]) for c in result.checks]


@pytest.mark.parametrize("name", list(PARITY))
def test_in_process_grading_says_exactly_what_the_sandbox_says(tmp_path, name):
    edits, exercises = PARITY[name]
    root = mutant(tmp_path / "m", edits)
    assert verdicts(grade_fast(root, *exercises)) == verdicts(grade_official(root, *exercises))


def test_hand_made_submissions_grade_the_same_in_both(tmp_path):
    zero = write_submission(tmp_path / "zero", constant_submission(0.0))
    some = ("relu", "affine", "net", "rnn_step", "lstm", "l2", "batchnorm")
    assert verdicts(grade_fast(zero, *some)) == verdicts(grade_official(zero, *some))
    starter = reference_plus(tmp_path / "starter", STARTER_BATCHNORM, "stability.py")
    assert verdicts(grade_fast(starter, "batchnorm")) == verdicts(grade_official(starter, "batchnorm"))


# ------------------------------------------------------------- the child's semantics
SEMANTICS = '''
import warnings
import numpy as np

def mutates(x):
    x[...] = 0.0
    return x.sum()

def keeps(x):
    return x * 2, object()

def stub(x):
    raise NotImplementedError("stub")

def overflows(x):
    return np.exp(x)

def warns(x):
    warnings.warn("careful")
    print("printed")
    return 1.5
'''


def test_the_in_process_caller_keeps_the_childs_semantics(tmp_path, caller_kind):
    root = write_submission(tmp_path / "s", {"semantics.py": SEMANTICS})
    caller, prepared = open_caller(caller_kind, root, ["mutates", "keeps", "stub", "overflows", "warns"])
    try:
        x = np.arange(3.0)
        out = caller.call_many([
            Call("mutates", (x,), return_args=True), Call("keeps", (x,), keep=(-1,)), Call("stub", (x,)),
            Call("overflows", (np.array([1000.0]),), errstate={"over": "raise"}), Call("warns", (x,)),
            Call("absent", (x,))])
    finally:
        caller.close()
        prepared.cleanup()
    assert np.array_equal(x, [0.0, 1.0, 2.0])  # the function got a private copy ...
    assert np.array_equal(out[0].args_after[0], [0.0, 0.0, 0.0])  # ... and its change is reported
    assert type(out[0].value) is np.ndarray and out[0].value.shape == ()  # numbers come back as arrays
    assert np.array_equal(out[1].value[0], [0.0, 2.0, 4.0]) and type(out[1].value[1]).__name__ == "Handle"
    assert out[2].status == CallStatus.NOT_IMPLEMENTED
    assert out[3].status == CallStatus.ERROR and out[3].error["type"] == "FloatingPointError"
    assert out[4].ok and "careful" in out[4].warnings[0]
    assert "printed" in "".join(o.output for o in out)  # captured (the sandbox may attribute it a call late)
    assert out[5].status == CallStatus.MISSING


def test_the_in_process_caller_leaves_the_test_process_as_it_was(tmp_path):
    import sys

    before = set(sys.modules)
    caller, prepared = open_caller(InProcessCaller, mutant(tmp_path / "m", {}), ["affine_forward"])
    caller.call_many([Call("affine_forward", (np.ones((2, 3)), np.ones((3, 4)), np.ones(4)))])
    caller.close()
    prepared.cleanup()
    assert {"layers", "bp_network", "rnn_layers", "stability"} & (set(sys.modules) - before) == set()
    assert str(prepared.root) not in sys.path
    assert load_reference(SOLUTIONS)["affine_forward"].__module__ == "layers"  # the real reference loads


# ------------------------------------------------------------- substituting calls
def test_a_composite_runs_on_the_references_blocks(tmp_path, caller_kind):
    root = mutant(tmp_path / "m", {"rnn_layers.py": [("dprev_c = dc * f", "dprev_c = dc")]})
    caller, prepared = open_caller(caller_kind, root, ["lstm_forward", "lstm_backward"])
    server = BlockServer(REFERENCE)
    try:
        args = lstm_inputs()
        h, cache = caller.call_many([Call("lstm_forward", args, keep=(-1,), substitute=STEPS)], server.serve)[0].value
        dh = np.random.default_rng(1).standard_normal((3, 4, 5))
        grads = caller.call_many([Call("lstm_backward", (dh, cache), substitute=STEPS)], server.serve)[0].value
        plain = caller.call_many([Call("lstm_backward", (dh, cache))])[0]  # the student's own step: wrong
    finally:
        caller.close()
        prepared.cleanup()
    ref_h, ref_cache = REFERENCE["lstm_forward"](*args)
    assert np.allclose(h, ref_h)
    assert all(np.allclose(a, b) for a, b in zip(grads, REFERENCE["lstm_backward"](dh, ref_cache), strict=True))
    # The cache holds the grader's tokens: the student's own step reads only zeros from them.
    assert plain.ok and all(np.all(g == 0) for g in plain.value)


def test_references_inside_a_dict_reach_the_substituted_block(tmp_path):
    """The network looks its activations up in a dict: the block's code is swapped too."""
    root = mutant(tmp_path / "m", {"layers.py": [("    return dout * out * (1.0 - out)\n",
                                                  "    return 2 * dout * out * (1.0 - out)\n")]})
    result = grade_fast(root, "sigmoid", "net")
    net = next(e for e in result.exercises if e.exercise.name == "net")
    assert net.points == net.max_points
    assert any(m.key == "policy.right_with_blocks" for c in net.results for m in c.messages)


ABUSE = '''
_STASH = {}
_plain_lstm_forward = lstm_forward
_plain_step = lstm_step_forward


def lstm_forward(x, h0, Wx, Wh, b):
    _STASH["step"] = globals()["lstm_step_forward"]  # the grader's proxy, during a substituting call
    return _plain_lstm_forward(x, h0, Wx, Wh, b)


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    stashed = _STASH.get("step")
    if stashed is not None and getattr(stashed, "__code__", None) is not _plain_step.__code__ \\
            and stashed.__name__ == "lstm_step_forward" and stashed is not lstm_step_forward:
        FORCE()
        return stashed(x, prev_h, prev_c, Wx, Wh, b)
    next_h, next_c, cache = _plain_step(x, prev_h, prev_c, Wx, Wh, b)
    return next_h + 1.0, next_c, cache
'''


@pytest.mark.parametrize("force", [False, True], ids=["stashed", "stashed-and-forced"])
def test_a_stashed_proxy_called_later_gets_nothing(tmp_path, caller_kind, force):
    """A student who keeps the grader's proxy and calls it outside a substituting call
    gets an error from the proxy; one who also switches the harness's own flag gets a
    protocol violation from the parent. Either way the call fails."""
    harness = "sys.modules['__main__']" if caller_kind is Sandbox else "sys.modules['grader.sandbox.child']"
    forcing = f"import sys\n    {harness}._substituted.add('lstm_step_forward')" if force else "pass"
    code = ABUSE + f"\n\ndef FORCE():\n    {forcing}\n"
    root = reference_plus(tmp_path / "s", code, "rnn_layers.py")
    caller, prepared = open_caller(caller_kind, root, ["lstm_forward", "lstm_step_forward"])
    try:
        args = lstm_inputs()
        first = caller.call_many([Call("lstm_forward", args, keep=(-1,), substitute=STEPS)],
                                 BlockServer(REFERENCE).serve)[0]
        later = caller.call_many([Call("lstm_step_forward", (args[0][:, 0], args[1], np.zeros((3, 5)), *args[2:]),
                                       keep=(-1,))])[0]
    finally:
        caller.close()
        prepared.cleanup()
    assert first.ok
    if force:
        assert later.status == CallStatus.PROTOCOL
    else:
        assert later.status == CallStatus.ERROR and "only while it checks another function" in later.error["message"]


def test_a_callback_for_a_name_the_call_did_not_list_is_a_protocol_violation(tmp_path, caller_kind):
    """During a call that substitutes the LSTM's steps, a callback for another block
    (here forged through the harness's own flag) is refused by the parent."""
    forged = textwrap.dedent('''
        def lstm_forward(x, h0, Wx, Wh, b):
            import sys
            harness = sys.modules.get("__main__") if "_substituted" in vars(sys.modules["__main__"]) \\
                else sys.modules["grader.sandbox.child"]
            harness._substituted.add("rnn_step_forward")
            return harness._block_proxy("rnn_step_forward")(x[:, 0], h0, Wx[:, :5], Wh[:, :5], b[:5]), None
        ''')
    root = reference_plus(tmp_path / "f", forged, "rnn_layers.py")
    caller, prepared = open_caller(caller_kind, root, ["lstm_forward"])
    try:
        out = caller.call_many([Call("lstm_forward", lstm_inputs(), keep=(-1,), substitute=STEPS)],
                               BlockServer(REFERENCE).serve)[0]
    finally:
        caller.close()
        prepared.cleanup()
    assert out.status == CallStatus.PROTOCOL


def test_the_block_server_keeps_caches_and_refuses_what_it_did_not_make():
    server = BlockServer(REFERENCE)
    x, h, c = np.ones((2, 3)), np.zeros((2, 4)), np.zeros((2, 4))
    Wx, Wh, b = np.ones((3, 16)), np.ones((4, 16)), np.zeros(16)
    next_h, next_c, token = server.serve("lstm_step_forward", (x, h, c, Wx, Wh, b), {})
    assert isinstance(token, Token) and isinstance(next_h, np.ndarray)
    assert token.skeleton["t"][0] == {"z": [2, 3]}  # only shapes, never values
    grads = server.serve("lstm_step_backward", (np.ones((2, 4)), np.ones((2, 4)), token), {})
    assert len(grads) == 6
    from grader.calls import BlockError, Handle

    for bad in [(np.ones((2, 4)), np.ones((2, 4)), (x, h)),  # the student's own cache
                (np.ones((2, 4)), np.ones((2, 4)), Token("forged")),
                (np.ones((2, 4)), Handle(1, "object", 1), token)]:
        with pytest.raises(BlockError):
            server.serve("lstm_step_backward", bad, {})
    with pytest.raises(BlockError):
        server.serve("no_such_block", (), {})
    # Arguments that would make the trusted parent compute something huge are refused
    # (an outer product of a (20000, 1) and a (1, 50000) array would take 8 GB).
    for big in [(np.ones((20000, 1)), h, c, np.ones((1, 50000)), Wh, b), (np.ones((2, 1, 1, 3)), h, c, Wx, Wh, b)]:
        with pytest.raises(BlockError):
            server.serve("lstm_step_forward", big, {})


def test_the_childs_view_of_a_reference_cache_holds_no_values(tmp_path, caller_kind):
    code = '''
    def lstm_forward(x, h0, Wx, Wh, b):
        next_h, next_c, cache = lstm_step_forward(x[:, 0], h0, np.zeros_like(h0), Wx, Wh, b)
        parts = list(cache)
        return np.stack([np.asarray(p, dtype=float).ravel()[:3] for p in parts[:2]]), len(parts)
    '''
    root = reference_plus(tmp_path / "s", code, "rnn_layers.py")
    caller, prepared = open_caller(caller_kind, root, ["lstm_forward"])
    try:
        out = caller.call_many([Call("lstm_forward", lstm_inputs(), substitute=STEPS)], BlockServer(REFERENCE).serve)[0]
    finally:
        caller.close()
        prepared.cleanup()
    assert out.ok and out.value[1] == 10  # the structure of the reference's cache ...
    assert np.all(out.value[0] == 0)  # ... with zeros in place of its arrays


# -------------------------------------------------- answers of an untrusted size
def test_an_answer_of_the_wrong_shape_is_never_converted_or_resized(tmp_path):
    """Issue 11.8: a 16 MB answer of the wrong shape; the parent allocates nothing
    derived from it (no float64 copy, no upstream gradient of its shape: 8 times
    its size each, as it did before)."""
    code = '''
    def relu_forward(x):
        return np.ones((16, 1000, 1000), dtype=np.int8), x
    '''
    root = reference_plus(tmp_path / "s", code)
    tracemalloc.start()
    try:
        result = grade_official(root, "relu")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.score < result.max_score
    assert peak < 100 << 20, f"the parent peaked at {peak >> 20} MB"  # reading the frames: a few copies
