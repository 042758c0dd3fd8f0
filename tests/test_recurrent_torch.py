"""The recurrent reference solutions against an independent implementation: PyTorch
autograd on the CPU in float64 (RNNCell, LSTMCell, GRUCell and nn.RNN / nn.LSTM /
nn.GRU, including the bidirectional nn.RNN), mapped to our layout.

Optional: skipped, with the reason shown, where torch is not installed
(``pip install torch==2.13.0``; CI installs it the same way)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed: `pip install torch==2.13.0` to run this check")

from support import SOLUTIONS  # noqa: E402

from grader.checks.compare import rel_error  # noqa: E402
from grader.reference import load_reference  # noqa: E402
from grader.specs import recurrent as spec  # noqa: E402

TOL = 1e-10
N, D, H, T = spec.N, spec.D, spec.H, spec.T
REF = load_reference(SOLUTIONS)


def _t(a: np.ndarray, grad: bool = False):
    return torch.tensor(np.array(a), dtype=torch.float64, requires_grad=grad)


def _np(t) -> np.ndarray:
    return t.detach().numpy()


def _set(param, value: np.ndarray) -> None:
    with torch.no_grad():
        param.copy_(torch.tensor(np.array(value), dtype=torch.float64))


def _assert_close(ours, theirs, what: str) -> None:
    ours, theirs = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} vs torch {theirs.shape}"
    err = float(np.max(rel_error(ours, theirs)))
    assert err < TOL, f"{what}: relative error {err:.3g} against PyTorch"


# our LSTM blocks are i, f, o, g; PyTorch's are i, f, g, o
LSTM_TO_TORCH = np.r_[0:H, H:2 * H, 3 * H:4 * H, 2 * H:3 * H]


@pytest.fixture(params=range(3), ids=lambda s: f"seed{s}")
def rng(request):
    return np.random.default_rng(1000 + request.param)


def test_rnn_step_matches_torch_rnncell(rng):
    i = spec.rnn_step_inputs(rng)
    dnext = rng.standard_normal((N, H))
    next_h, cache = REF["rnn_step_forward"](**i)
    dx, dprev_h, dWx, dWh, db = REF["rnn_step_backward"](dnext, cache)

    cell = torch.nn.RNNCell(D, H, nonlinearity="tanh", dtype=torch.float64)
    _set(cell.weight_ih, i["Wx"].T)
    _set(cell.weight_hh, i["Wh"].T)
    _set(cell.bias_ih, i["b"])
    _set(cell.bias_hh, np.zeros(H))
    x, h = _t(i["x"], True), _t(i["prev_h"], True)
    out = cell(x, h)
    (out * _t(dnext)).sum().backward()
    _assert_close(next_h, _np(out), "next_h")
    _assert_close(dx, _np(x.grad), "dx")
    _assert_close(dprev_h, _np(h.grad), "dprev_h")
    _assert_close(dWx, _np(cell.weight_ih.grad).T, "dWx")
    _assert_close(dWh, _np(cell.weight_hh.grad).T, "dWh")
    _assert_close(db, _np(cell.bias_ih.grad), "db")


def test_rnn_sequence_matches_torch_rnn(rng):
    i = spec.rnn_inputs(rng)
    dh = rng.standard_normal((N, T, H))
    h, cache = REF["rnn_forward"](**i)
    dx, dh0, dWx, dWh, db = REF["rnn_backward"](dh, cache)

    rnn = torch.nn.RNN(D, H, batch_first=True, dtype=torch.float64)
    _set(rnn.weight_ih_l0, i["Wx"].T)
    _set(rnn.weight_hh_l0, i["Wh"].T)
    _set(rnn.bias_ih_l0, i["b"])
    _set(rnn.bias_hh_l0, np.zeros(H))
    x, h0 = _t(i["x"], True), _t(i["h0"][None], True)
    out, _ = rnn(x, h0)
    (out * _t(dh)).sum().backward()
    _assert_close(h, _np(out), "h")
    _assert_close(dx, _np(x.grad), "dx")
    _assert_close(dh0, _np(h0.grad)[0], "dh0")
    _assert_close(dWx, _np(rnn.weight_ih_l0.grad).T, "dWx")
    _assert_close(dWh, _np(rnn.weight_hh_l0.grad).T, "dWh")
    _assert_close(db, _np(rnn.bias_ih_l0.grad), "db")


def test_birnn_matches_torch_bidirectional_rnn(rng):
    i = spec.birnn_inputs(rng)
    dh = rng.standard_normal((N, T, 2 * H))
    h, cache = REF["birnn_forward"](**i)
    grads = REF["birnn_backward"](dh, cache)

    rnn = torch.nn.RNN(D, H, batch_first=True, bidirectional=True, dtype=torch.float64)
    for suffix, side in (("", "f"), ("_reverse", "b")):
        _set(getattr(rnn, f"weight_ih_l0{suffix}"), i[f"Wx_{side}"].T)
        _set(getattr(rnn, f"weight_hh_l0{suffix}"), i[f"Wh_{side}"].T)
        _set(getattr(rnn, f"bias_ih_l0{suffix}"), i[f"b_{side}"])
        _set(getattr(rnn, f"bias_hh_l0{suffix}"), np.zeros(H))
    x, h0 = _t(i["x"], True), _t(np.stack([i["h0_f"], i["h0_b"]]), True)
    out, _ = rnn(x, h0)
    (out * _t(dh)).sum().backward()
    _assert_close(h, _np(out), "h")
    theirs = [_np(x.grad), _np(h0.grad)[0], _np(h0.grad)[1]]
    for suffix in ("", "_reverse"):
        theirs += [_np(getattr(rnn, f"weight_ih_l0{suffix}").grad).T, _np(getattr(rnn, f"weight_hh_l0{suffix}").grad).T,
                   _np(getattr(rnn, f"bias_ih_l0{suffix}").grad)]
    names = ["dx", "dh0_f", "dh0_b", "dWx_f", "dWh_f", "db_f", "dWx_b", "dWh_b", "db_b"]
    for name, ours, their in zip(names, grads, theirs, strict=True):
        _assert_close(ours, their, name)


def test_lstm_step_matches_torch_lstmcell(rng):
    i = spec.lstm_step_inputs(rng)
    dnext_h, dnext_c = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    next_h, next_c, cache = REF["lstm_step_forward"](**i)
    dx, dprev_h, dprev_c, dWx, dWh, db = REF["lstm_step_backward"](dnext_h, dnext_c, cache)

    cell = torch.nn.LSTMCell(D, H, dtype=torch.float64)
    _set(cell.weight_ih, i["Wx"][:, LSTM_TO_TORCH].T)
    _set(cell.weight_hh, i["Wh"][:, LSTM_TO_TORCH].T)
    _set(cell.bias_ih, i["b"][LSTM_TO_TORCH])
    _set(cell.bias_hh, np.zeros(4 * H))
    x, h, c = _t(i["x"], True), _t(i["prev_h"], True), _t(i["prev_c"], True)
    h2, c2 = cell(x, (h, c))
    ((h2 * _t(dnext_h)).sum() + (c2 * _t(dnext_c)).sum()).backward()
    _assert_close(next_h, _np(h2), "next_h")
    _assert_close(next_c, _np(c2), "next_c")
    _assert_close(dx, _np(x.grad), "dx")
    _assert_close(dprev_h, _np(h.grad), "dprev_h")
    _assert_close(dprev_c, _np(c.grad), "dprev_c")
    _assert_close(dWx[:, LSTM_TO_TORCH], _np(cell.weight_ih.grad).T, "dWx")
    _assert_close(dWh[:, LSTM_TO_TORCH], _np(cell.weight_hh.grad).T, "dWh")
    _assert_close(db[LSTM_TO_TORCH], _np(cell.bias_ih.grad), "db")


def test_lstm_sequence_matches_torch_lstm(rng):
    i = spec.lstm_inputs(rng)
    dh = rng.standard_normal((N, T, H))
    h, cache = REF["lstm_forward"](**i)
    dx, dh0, dWx, dWh, db = REF["lstm_backward"](dh, cache)

    lstm = torch.nn.LSTM(D, H, batch_first=True, dtype=torch.float64)
    _set(lstm.weight_ih_l0, i["Wx"][:, LSTM_TO_TORCH].T)
    _set(lstm.weight_hh_l0, i["Wh"][:, LSTM_TO_TORCH].T)
    _set(lstm.bias_ih_l0, i["b"][LSTM_TO_TORCH])
    _set(lstm.bias_hh_l0, np.zeros(4 * H))
    x, h0 = _t(i["x"], True), _t(i["h0"][None], True)
    out, _ = lstm(x, (h0, torch.zeros(1, N, H, dtype=torch.float64)))
    (out * _t(dh)).sum().backward()
    _assert_close(h, _np(out), "h")
    _assert_close(dx, _np(x.grad), "dx")
    _assert_close(dh0, _np(h0.grad)[0], "dh0")
    _assert_close(dWx[:, LSTM_TO_TORCH], _np(lstm.weight_ih_l0.grad).T, "dWx")
    _assert_close(dWh[:, LSTM_TO_TORCH], _np(lstm.weight_hh_l0.grad).T, "dWh")
    _assert_close(db[LSTM_TO_TORCH], _np(lstm.bias_ih_l0.grad), "db")


def test_gru_step_matches_torch_grucell(rng):
    i = spec.gru_step_inputs(rng)
    dnext = rng.standard_normal((N, H))
    next_h, cache = REF["gru_step_forward"](**i)
    dx, dprev_h, dWx, dWh, dbx, dbh = REF["gru_step_backward"](dnext, cache)

    cell = torch.nn.GRUCell(D, H, dtype=torch.float64)
    _set(cell.weight_ih, i["Wx"].T)
    _set(cell.weight_hh, i["Wh"].T)
    _set(cell.bias_ih, i["bx"])
    _set(cell.bias_hh, i["bh"])
    x, h = _t(i["x"], True), _t(i["prev_h"], True)
    out = cell(x, h)
    (out * _t(dnext)).sum().backward()
    _assert_close(next_h, _np(out), "next_h")
    _assert_close(dx, _np(x.grad), "dx")
    _assert_close(dprev_h, _np(h.grad), "dprev_h")
    _assert_close(dWx, _np(cell.weight_ih.grad).T, "dWx")
    _assert_close(dWh, _np(cell.weight_hh.grad).T, "dWh")
    _assert_close(dbx, _np(cell.bias_ih.grad), "dbx")
    _assert_close(dbh, _np(cell.bias_hh.grad), "dbh")


def test_gru_sequence_matches_torch_gru(rng):
    i = spec.gru_inputs(rng)
    dh = rng.standard_normal((N, T, H))
    h, cache = REF["gru_forward"](**i)
    dx, dh0, dWx, dWh, dbx, dbh = REF["gru_backward"](dh, cache)

    gru = torch.nn.GRU(D, H, batch_first=True, dtype=torch.float64)
    _set(gru.weight_ih_l0, i["Wx"].T)
    _set(gru.weight_hh_l0, i["Wh"].T)
    _set(gru.bias_ih_l0, i["bx"])
    _set(gru.bias_hh_l0, i["bh"])
    x, h0 = _t(i["x"], True), _t(i["h0"][None], True)
    out, _ = gru(x, h0)
    (out * _t(dh)).sum().backward()
    _assert_close(h, _np(out), "h")
    _assert_close(dx, _np(x.grad), "dx")
    _assert_close(dh0, _np(h0.grad)[0], "dh0")
    _assert_close(dWx, _np(gru.weight_ih_l0.grad).T, "dWx")
    _assert_close(dWh, _np(gru.weight_hh_l0.grad).T, "dWh")
    _assert_close(dbx, _np(gru.bias_ih_l0.grad), "dbx")
    _assert_close(dbh, _np(gru.bias_hh_l0.grad), "dbh")


def test_the_comparison_itself_can_fail(rng):
    """Guard against a vacuous check: a deliberately wrong reference is caught."""
    i = spec.gru_step_inputs(rng)
    next_h, _ = REF["gru_step_forward"](**i)
    cell = torch.nn.GRUCell(D, H, dtype=torch.float64)
    _set(cell.weight_ih, i["Wx"].T)
    _set(cell.weight_hh, i["Wh"].T)
    _set(cell.bias_ih, i["bx"])
    _set(cell.bias_hh, np.zeros(3 * H))  # drops bh: must no longer agree
    with pytest.raises(AssertionError, match="relative error"):
        _assert_close(next_h, _np(cell(_t(i["x"]), _t(i["prev_h"]))), "next_h")
