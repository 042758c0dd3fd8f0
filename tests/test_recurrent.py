"""The recurrent exercises (RNN, BPTT, BiRNN, LSTM, GRU): the reference earns full
marks, stubs earn 0, every check fails on some mutant of the reference, every known
mistake 1-14 is named when a mutant makes it (and only then), bugs that are not on
the list still lose points, and correct implementations in other styles and
layouts (CS231n's ``cs231n/rnn_layers.py``, a notebook) grade unchanged.

Mutants are graded once per module, up to three at a time (one per family: RNN,
LSTM, GRU, whose exercises never call each other's functions), and the tests read
each mutant's own exercises out of the shared results."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from support import (
    SOLUTIONS,
    exercises_named,
    failed_ids,
    grade_fast,
    grade_official,
    mistakes_of,
    mutant,
    statuses,
    write_submission,
)

from grader import paths
from grader.api import grade
from grader.i18n import LANGS, render

F = "rnn_layers.py"
RECURRENT = ["rnn_step", "rnn", "birnn", "lstm_step", "lstm", "gru_step", "gru"]
IMPLEMENTATIONS = Path(__file__).parent / "implementations" / "recurrent"
SIGMOID_G = "0.5 * (1.0 + np.tanh(0.5 * a[:, 3 * H:]))"


def edits(*pairs: tuple[str, str]) -> dict[str, list[tuple[str, str]]]:
    return {F: list(pairs)}


# name: (exercises graded, edits, the mistakes that must be named - exactly)
MUTANTS: dict[str, tuple[list[str], dict, set[str]]] = {
    # ---- mistakes of course/mistakes.md
    "1_candidate_sigmoid": (["lstm_step"], edits(("g = np.tanh(a[:, 3 * H:])", f"g = {SIGMOID_G}")), {"1"}),
    "2_gate_order_ifgo": (["lstm_step", "lstm"], edits(
        ("i, f, o = s[:, :H], s[:, H:2 * H], s[:, 2 * H:]\n    g = np.tanh(a[:, 3 * H:])",
         "s = 0.5 * (1.0 + np.tanh(0.5 * a))\n    i, f, o = s[:, :H], s[:, H:2 * H], s[:, 3 * H:]\n"
         "    g = np.tanh(a[:, 2 * H:3 * H])")), {"2"}),
    "2_gate_order_in_sequence": (["lstm"], edits(
        ("        prev_h, prev_c, step_cache = lstm_step_forward(x[:, t], prev_h, prev_c, Wx, Wh, b)\n",
         "        a = x[:, t] @ Wx + prev_h @ Wh + b\n        H = prev_h.shape[1]\n"
         "        s = 0.5 * (1.0 + np.tanh(0.5 * a))\n"
         "        i, f, o, g = s[:, :H], s[:, H:2 * H], s[:, 3 * H:], np.tanh(a[:, 2 * H:3 * H])\n"
         "        prev_c = f * prev_c + i * g\n        prev_h = o * np.tanh(prev_c)\n        step_cache = None\n")),
        {"2"}),
    "3_no_dh_into_dc": (["lstm_step"], edits(("dc = dnext_c + dnext_h * o * (1.0 - tanh_c**2)", "dc = dnext_c")),
                        {"3"}),
    "4_dprev_c_without_f": (["lstm_step"], edits(("dprev_c = dc * f", "dprev_c = dc")), {"4"}),
    "5_tanh_prev_c_in_do": (["lstm_step"], edits(("do = dnext_h * tanh_c", "do = dnext_h * np.tanh(prev_c)")), {"5"}),
    "5_tanh_prev_c_in_dc": (["lstm_step"], edits(("dc = dnext_c + dnext_h * o * (1.0 - tanh_c**2)",
                                                  "dc = dnext_c + dnext_h * o * (1.0 - np.tanh(prev_c)**2)")), {"5"}),
    "6_rnn_tanh_twice": (["rnn_step"], edits(("da = dnext_h * (1.0 - next_h**2)",
                                              "da = dnext_h * (1.0 - np.tanh(next_h)**2)")), {"6"}),
    "6_lstm_candidate_tanh_twice": (["lstm_step"], edits(("dg * (1.0 - g**2)", "dg * (1.0 - np.tanh(g)**2)")), {"6"}),
    "6_lstm_cell_derivative": (["lstm_step"], edits(("dnext_h * o * (1.0 - tanh_c**2)", "dnext_h * o * (1.0 - c**2)"),
                                                    ("x, prev_h, prev_c, Wx, Wh, i, f, o, g, tanh_c = cache",
                                                     "x, prev_h, prev_c, Wx, Wh, i, f, o, g, tanh_c = cache\n"
                                                     "    c = np.arctanh(tanh_c)")), {"6"}),
    "6_gru_sigmoid_of_gate": (["gru_step"], edits(("daz = dnext_h * (prev_h - n) * z * (1.0 - z)",
                                                   "daz = dnext_h * (prev_h - n) * (1 / (1 + np.exp(-z)))"
                                                   " * (1 - 1 / (1 + np.exp(-z)))")), {"6"}),
    "7_rnn_carry_dropped": (["rnn"], edits(("rnn_step_backward(dh[:, t] + dprev_h, caches[t])",
                                            "rnn_step_backward(dh[:, t], caches[t])")), {"7"}),
    "7_rnn_dW_overwritten": (["rnn"], edits(("rnn_step_backward(dh[:, t] + dprev_h, caches[t])\n"
                                             "        dWx += dWx_t\n        dWh += dWh_t\n        db += db_t",
                                             "rnn_step_backward(dh[:, t] + dprev_h, caches[t])\n"
                                             "        dWx = dWx_t\n        dWh = dWh_t\n        db = db_t")), {"7"}),
    "7_lstm_carry_dropped": (["lstm"], edits(("lstm_step_backward(dh[:, t] + dprev_h, dprev_c, caches[t])",
                                              "lstm_step_backward(dh[:, t], np.zeros_like(dprev_c), caches[t])")),
                             {"7"}),
    "8_bptt_loop_forward_in_time": (["rnn", "lstm", "gru"], edits(("for t in reversed(range(T)):",
                                                                   "for t in range(T):")), {"8"}),
    "8_bptt_cache_index": (["rnn", "lstm", "gru"], edits(("caches[t])", "caches[T - 1 - t])")), {"8"}),
    "8_forward_reads_backwards": (["rnn"], edits(("rnn_step_forward(x[:, t], prev_h, Wx, Wh, b)",
                                                  "rnn_step_forward(x[:, T - 1 - t], prev_h, Wx, Wh, b)")), {"8"}),
    "9_h0_every_step": (["rnn"], edits(("rnn_step_forward(x[:, t], prev_h, Wx, Wh, b)",
                                        "rnn_step_forward(x[:, t], h0, Wx, Wh, b)")), {"9"}),
    "9_c0_is_h0": (["lstm"], edits(("prev_h, prev_c = h0, np.zeros_like(h0)", "prev_h, prev_c = h0, h0")), {"9"}),
    "10_dnext_c_in_place": (["lstm_step"], edits(("    dc = dnext_c + dnext_h * o * (1.0 - tanh_c**2)",
                                                  "    dnext_c += dnext_h * o * (1.0 - tanh_c**2)\n    dc = dnext_c")),
                            {"10"}),
    "10_dh_in_place": (["rnn"], edits(("rnn_step_backward(dh[:, t] + dprev_h, caches[t])",
                                       "rnn_step_backward(dh[:, t].__iadd__(dprev_h), caches[t])")), {"10"}),
    "11_gru_interpolation_reversed": (["gru_step", "gru"], edits(("next_h = (1.0 - z) * n + z * prev_h",
                                                                  "next_h = z * n + (1.0 - z) * prev_h")), {"11"}),
    "12_gru_reset_before_product": (["gru_step", "gru"], edits(("n = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])",
                                                                "n = np.tanh(ax[:, 2 * H:] + (r * prev_h) @ Wh[:, 2 * H:]"
                                                                " + bh[2 * H:])")), {"12"}),
    "13_backward_half_not_flipped": (["birnn"], edits(("np.concatenate([h_f, h_b_reversed[:, ::-1]], axis=2)",
                                                       "np.concatenate([h_f, h_b_reversed], axis=2)")), {"13"}),
    "13_weights_shared": (["birnn"], edits(("rnn_forward(x[:, ::-1], h0_b, Wx_b, Wh_b, b_b)",
                                            "rnn_forward(x[:, ::-1], h0_b, Wx_f, Wh_f, b_f)")), {"13"}),
    "13_backward_forward_order": (["birnn"], edits(("np.concatenate([h_f, h_b_reversed[:, ::-1]], axis=2)",
                                                    "np.concatenate([h_b_reversed[:, ::-1], h_f], axis=2)")), {"13"}),
    "13_dh_not_flipped_in_backward": (["birnn"], edits(("rnn_backward(dh[:, ::-1, H:], cache_b)",
                                                        "rnn_backward(dh[:, :, H:], cache_b)")), {"13"}),
    "14_rnn_lstm_slices_swapped": (["rnn_step", "lstm_step"], edits(("dx = da @ Wx.T\n    dprev_h = da @ Wh.T",
                                                                     "dx = da @ Wh.T\n    dprev_h = da @ Wx.T")),
                                   {"14"}),
    "14_gru_slices_swapped": (["gru_step"], edits(("dx = dax @ Wx.T", "dx = dax @ Wh.T")), {"14"}),
    # ---- bugs that are not on the list: they lose points, nothing is named
    "32_rnn_step_no_bias": (["rnn_step"], edits(("next_h = np.tanh(x @ Wx + prev_h @ Wh + b)",
                                                 "next_h = np.tanh(x @ Wx + prev_h @ Wh)")), {"32"}),
    "rnn_step_db_wrong_axis": (["rnn_step"], edits(("    db = da.sum(axis=0)\n    return dx, dprev_h, dWx, dWh, db",
                                                    "    db = da.sum(axis=1)\n    return dx, dprev_h, dWx, dWh, db")),
                               {"29"}),
    "rnn_step_prev_h_updated_in_place": (["rnn_step", "rnn"], edits(
        ("next_h = np.tanh(x @ Wx + prev_h @ Wh + b)\n    cache = (x, prev_h, Wx, Wh, next_h)",
         "next_h = np.tanh(x @ Wx + prev_h @ Wh + b)\n    cache = (x, prev_h.copy(), Wx, Wh, next_h)\n"
         "    prev_h[...] = next_h")), {"10"}),  # it also breaks rnn_forward's cache: charged to the step only
    "rnn_step_dnext_h_in_place": (["rnn_step"], edits(("    da = dnext_h * (1.0 - next_h**2)",
                                                       "    dnext_h *= 1.0 - next_h**2\n    da = dnext_h")), {"10"}),
    "rnn_h_shifted": (["rnn"], edits(("        prev_h, step_cache = rnn_step_forward(x[:, t], prev_h, Wx, Wh, b)\n"
                                      "        h[:, t] = prev_h",
                                      "        h[:, t] = prev_h\n"
                                      "        prev_h, step_cache = rnn_step_forward(x[:, t], prev_h, Wx, Wh, b)")),
                      set()),
    "birnn_dx_forward_half_only": (["birnn"], edits(("dx = dx_f + dx_b_reversed[:, ::-1]", "dx = dx_f")), set()),
    "13_halves_swapped_in_backward": (["birnn"], edits(("rnn_backward(dh[:, :, :H], cache_f)",
                                                        "rnn_backward(dh[:, :, H:], cache_f)")), {"13"}),
    "birnn_x_reversed_in_place": (["birnn"], edits(("h_b_reversed, cache_b = rnn_forward(x[:, ::-1], h0_b,",
                                                    "x[:] = x[:, ::-1].copy()\n"
                                                    "    h_b_reversed, cache_b = rnn_forward(x, h0_b,")), {"10"}),
    "birnn_dh_flipped_in_place": (["birnn"], edits(("rnn_backward(dh[:, ::-1, H:], cache_b)",
                                                    "rnn_backward(_flip(dh, H), cache_b)"),
                                                   ("def birnn_backward(dh, cache):",
                                                    "def _flip(dh, H):\n    dh[:, :, H:] = dh[:, ::-1, H:].copy()\n"
                                                    "    return dh[:, :, H:]\n\n\ndef birnn_backward(dh, cache):")),
                                  {"10"}),
    "lstm_step_next_h_without_tanh": (["lstm_step"], edits(("next_h = o * tanh_c", "next_h = o * next_c")), set()),
    "lstm_step_df_wrong": (["lstm_step"], edits(("di, df, dg = dc * g, dc * prev_c, dc * i",
                                                 "di, df, dg = dc * g, dc * f, dc * i")), set()),
    "lstm_step_prev_c_in_place": (["lstm_step"], edits(("next_c = f * prev_c + i * g",
                                                        "prev_c *= f\n    next_c = prev_c + i * g")), {"10"}),
    "lstm_h0_zeroed_in_place": (["lstm"], edits(("prev_h, prev_c = h0, np.zeros_like(h0)",
                                                 "prev_h, prev_c = h0, h0\n    prev_c *= 0.0")), {"10"}),
    "lstm_dh_in_place": (["lstm"], edits(("lstm_step_backward(dh[:, t] + dprev_h, dprev_c, caches[t])",
                                          "lstm_step_backward(dh[:, t].__iadd__(dprev_h), dprev_c, caches[t])")),
                         {"10"}),
    "gru_step_dprev_h_without_z": (["gru_step"], edits(("dprev_h = dah @ Wh.T + dnext_h * z", "dprev_h = dah @ Wh.T")),
                                   set()),
    "gru_step_dbh_is_dbx": (["gru_step"], edits(("dax.sum(axis=0), dah.sum(axis=0)",
                                                 "dax.sum(axis=0), dax.sum(axis=0)")), set()),
    "gru_step_prev_h_in_place": (["gru_step", "gru"], edits(("next_h = (1.0 - z) * n + z * prev_h",
                                                      "prev_h *= z\n    next_h = (1.0 - z) * n + prev_h")), {"10"}),
    "gru_step_dnext_h_in_place": (["gru_step"], edits(("    dan = dnext_h * (1.0 - z) * (1.0 - n**2)",
                                                       "    carried = dnext_h * z\n    dnext_h *= 1.0 - z\n"
                                                       "    dan = dnext_h * (1.0 - n**2)"),
                                                      ("daz = dnext_h * (prev_h - n) * z * (1.0 - z)",
                                                       "daz = dnext_h / (1.0 - z) * (prev_h - n) * z * (1.0 - z)"),
                                                      ("dprev_h = dah @ Wh.T + dnext_h * z",
                                                       "dprev_h = dah @ Wh.T + carried")), {"10"}),
    "gru_starts_from_zero": (["gru"], edits(("    prev_h = h0\n    caches = []\n    for t in range(T):\n"
                                             "        prev_h, step_cache = gru_step_forward",
                                             "    prev_h = np.zeros_like(h0)\n    caches = []\n    for t in range(T):\n"
                                             "        prev_h, step_cache = gru_step_forward")), set()),
    "gru_dh_in_place": (["gru"], edits(("gru_step_backward(dh[:, t] + dprev_h, caches[t])",
                                        "gru_step_backward(dh[:, t].__iadd__(dprev_h), caches[t])")), {"10"}),
    # ---- found in students' code (issue 10): forms public solutions use
    "2_gru_gate_order_zrn": (["gru_step", "gru"], edits(("    r, z = s[:, :H], s[:, H:]\n", "    z, r = s[:, :H], s[:, H:]\n")),
                             {"2"}),
    "7_lstm_drops_only_the_h_carry": (["lstm"], edits(("lstm_step_backward(dh[:, t] + dprev_h, dprev_c, caches[t])",
                                                       "lstm_step_backward(dh[:, t], dprev_c, caches[t])")), {"7"}),
    "7_lstm_drops_only_the_c_carry": (["lstm"], edits(("lstm_step_backward(dh[:, t] + dprev_h, dprev_c, caches[t])",
                                                       "lstm_step_backward(dh[:, t] + dprev_h, 0 * dprev_c, caches[t])")),
                                      {"7"}),
    "7_gru_carry_dropped": (["gru"], edits(("gru_step_backward(dh[:, t] + dprev_h, caches[t])",
                                            "gru_step_backward(dh[:, t], caches[t])")), {"7"}),
    "10_rnn_backward_pops_its_cache": (["rnn"], edits(("rnn_step_backward(dh[:, t] + dprev_h, caches[t])",
                                                       "rnn_step_backward(dh[:, t] + dprev_h, caches.pop())")), {"10"}),
    "10_lstm_backward_pops_its_cache": (["lstm"], edits(("lstm_step_backward(dh[:, t] + dprev_h, dprev_c, caches[t])",
                                                         "lstm_step_backward(dh[:, t] + dprev_h, dprev_c, caches.pop())")),
                                        {"10"}),
    "31_lstm_step_in_float32": (["lstm_step"], edits((
        "    H = prev_h.shape[1]\n    a = x @ Wx + prev_h @ Wh + b\n",
        "    x, prev_h, prev_c, Wx, Wh, b = (v.astype(np.float32) for v in (x, prev_h, prev_c, Wx, Wh, b))\n"
        "    H = prev_h.shape[1]\n    a = x @ Wx + prev_h @ Wh + b\n")), {"31"}),
    "31_lstm_step_float32_gates": (["lstm_step"], edits(("    a = x @ Wx + prev_h @ Wh + b\n    s = 0.5",
                                                         "    a = (x @ Wx + prev_h @ Wh + b).astype(np.float32)\n    s = 0.5")),
                                   {"31"}),
    "32_gru_step_without_bh": (["gru_step"], edits(("ah = prev_h @ Wh + bh", "ah = prev_h @ Wh")), {"32"}),
    "33_rnn_step_prev_h_at_Wh_T": (["rnn_step"], edits(("next_h = np.tanh(x @ Wx + prev_h @ Wh + b)",
                                                        "next_h = np.tanh(x @ Wx + prev_h @ Wh.T + b)")), {"33"}),
    "33_rnn_step_x_at_Wx_T": (["rnn_step"], edits(("next_h = np.tanh(x @ Wx + prev_h @ Wh + b)",
                                                   "next_h = np.tanh(x @ Wx.T + prev_h @ Wh + b)")), {"33"}),
    "33_rnn_step_backward_da_at_Wh": (["rnn_step"], edits(("    dprev_h = da @ Wh.T\n    dWx = x.T @ da\n    dWh = prev_h.T @ da\n"
                                                           "    db = da.sum(axis=0)\n    return dx, dprev_h, dWx, dWh, db\n",
                                                           "    dprev_h = da @ Wh\n    dWx = x.T @ da\n    dWh = prev_h.T @ da\n"
                                                           "    db = da.sum(axis=0)\n    return dx, dprev_h, dWx, dWh, db\n")),
                                      {"33"}),
    "33_lstm_step_backward_da_at_Wh": (["lstm_step"], edits((
        "    dprev_h = da @ Wh.T\n    dWx = x.T @ da\n    dWh = prev_h.T @ da\n    db = da.sum(axis=0)\n"
        "    return dx, dprev_h, dprev_c,", "    dprev_h = da @ Wh\n    dWx = x.T @ da\n    dWh = prev_h.T @ da\n"
        "    db = da.sum(axis=0)\n    return dx, dprev_h, dprev_c,")), {"33"}),
    "35_rnn_backward_averages_over_time": (["rnn"], edits((
        "    return dx, dprev_h, dWx, dWh, db\n    # END SOLUTION\n\n\n# ------------------------------------------------------------ bidi",
        "    return dx, dprev_h, dWx / T, dWh / T, db / T\n    # END SOLUTION\n\n\n"
        "# ------------------------------------------------------------ bidi")), {"35"}),
}


FAMILY = {"rnn_step": "rnn", "rnn": "rnn", "birnn": "rnn", "lstm_step": "lstm", "lstm": "lstm",
          "gru_step": "gru", "gru": "gru"}


@dataclass
class Part:
    """The exercises of one mutant, cut out of a grade of several mutants."""

    exercises: list

    @property
    def checks(self) -> list:
        return [c for e in self.exercises for c in e.results]

    @property
    def score(self) -> float:
        return round(sum(c.points for c in self.checks), 4)

    @property
    def max_score(self) -> float:
        return round(sum(c.max_points for c in self.checks), 4)


def _functions(source: str) -> dict[str, str]:
    """Each top-level function's source (its whole lines; ast.get_source_segment is
    quadratic in the file's length)."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    return {n.name: "".join(lines[n.lineno - 1:n.end_lineno]) for n in tree.body if isinstance(n, ast.FunctionDef)}


def _apply(source: str, pairs: list[tuple[str, str]]) -> str:
    for old, new in pairs:
        assert old in source, old
        source = source.replace(old, new)
    return source


def _batches() -> list[list[str]]:
    """Mutants of different families (RNN, LSTM, GRU) share one submission and one grade.

    Safe because a family's exercises call only that family's functions; checked:
    each mutant changes only functions of its own families, and the combined file
    holds exactly each mutant's version of the functions it changes."""
    reference = (SOLUTIONS / F).read_text(encoding="utf-8")
    base = _functions(reference)
    batches: list[tuple[set, list[str]]] = []
    for name, (exercises, changes, _) in MUTANTS.items():
        families = {FAMILY[e] for e in exercises}
        changed = {f for f, src in _functions(_apply(reference, changes[F])).items() if base.get(f) != src}
        assert all(FAMILY[f.rsplit("_", 1)[0]] in families for f in changed if f in base), (name, changed)
        for fams, names in batches:
            if not fams & families:
                fams |= families
                names.append(name)
                break
        else:
            batches.append((set(families), [name]))
    for _, names in batches:
        combined = _functions(_apply(reference, [p for n in names for p in MUTANTS[n][1][F]]))
        for n in names:
            alone = _functions(_apply(reference, MUTANTS[n][1][F]))
            assert all(combined.get(f) == src for f, src in alone.items() if base.get(f) != src), n
    return [names for _, names in batches]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every mutant graded (only the exercises it touches) in this process, probes strict."""
    out = {}
    for k, names in enumerate(_batches()):
        changes = {F: [p for n in names for p in MUTANTS[n][1][F]]}
        exercises = [e for n in names for e in MUTANTS[n][0]]
        result = grade_fast(mutant(tmp_path_factory.mktemp(f"batch{k}"), changes), *exercises)
        for n in names:
            out[n] = Part([e for e in result.exercises if e.exercise.name in MUTANTS[n][0]])
    out["reference"] = grade_fast(SOLUTIONS, *RECURRENT)
    return out


def no_grader_errors(result) -> None:
    assert not [c.id for c in result.checks if c.kind == "error"], "a check crashed inside the grader"


# ----------------------------------------------------------------- reference and stubs
def test_reference_gets_full_marks_and_names_nothing(graded):
    ref = graded["reference"]
    assert ref.max_score > 0 and ref.score == ref.max_score
    assert {e.exercise.name for e in ref.exercises} == set(RECURRENT)
    assert mistakes_of(ref) == set()


def test_stubs_score_zero_saying_not_implemented():
    result = grade_official(paths.EXERCISES, *RECURRENT)
    assert result.score == 0 and result.max_score > 0
    for check in result.checks:
        keys = [m.key for m in check.messages]
        assert "call.not_implemented" in keys, (check.id, keys)
    no_grader_errors(result)


# ----------------------------------------------------------------------- mutants
@pytest.mark.parametrize("name", list(MUTANTS))
def test_mutant_loses_points_and_names_exactly_its_mistakes(graded, name):
    result = graded[name]
    no_grader_errors(result)
    assert result.score < result.max_score, f"{name} got full marks"
    assert mistakes_of(result) == MUTANTS[name][2]


def test_every_mistake_of_the_recurrent_list_is_named_by_some_mutant():
    named = set().union(*(m for _, _, m in MUTANTS.values()))
    assert {str(k) for k in range(1, 15)} <= named


def test_every_recurrent_check_fails_on_some_mutant_and_passes_on_the_reference(graded):
    ref = statuses(graded["reference"])
    assert set(ref.values()) == {"passed"}
    failed = set().union(*(failed_ids(graded[name]) for name in MUTANTS))
    assert set(ref) <= failed, f"checks no mutant makes fail: {sorted(set(ref) - failed)}"


@pytest.mark.parametrize("exercise", RECURRENT)
def test_each_exercise_has_three_mutants_that_lose_points_including_one_off_the_list(graded, exercise):
    losing = []
    for name, (exercises, _, mistakes) in MUTANTS.items():
        ex = next((e for e in graded[name].exercises if e.exercise.name == exercise), None)
        if exercise in exercises and ex is not None and ex.points < ex.max_points:
            losing.append((name, mistakes))
    assert len(losing) >= 3, losing
    assert any(not (m - {"10"}) for _, m in losing), "no bug off the list of mistakes loses points here"


def test_one_wrong_gradient_costs_only_its_own_items(graded):
    result = graded["4_dprev_c_without_f"]
    assert failed_ids(result) == {"lstm_step.grad.dprev_c", "lstm_step.grad.dprev_c.reference"}
    assert result.score == result.max_score - 2


def test_every_message_renders_in_both_languages(graded):
    for result in graded.values():
        for check in result.checks:
            for m in check.messages:
                for lang in LANGS:
                    assert render(m, lang).strip()


# ------------------------------------------------------------------ what the probes say
def keys_of(result, check_id: str) -> list:
    check = next(c for c in result.checks if c.id == check_id)
    return check.messages


def test_gate_order_probe_names_the_order_found(graded, tmp_path):
    found = [m for m in keys_of(graded["2_gate_order_ifgo"], "lstm_step.forward") if m.key == "recurrent.gate_order.lstm"]
    assert [m.params["order"] for m in found] == ["i, f, g, o"]
    # lstm_forward itself is right: it fails only through lstm_step_forward, and says so.
    lstm = next(c for c in graded["2_gate_order_ifgo"].checks if c.id == "lstm.forward")
    assert lstm.status == "passed" and lstm.messages[0].key == "policy.right_with_blocks"
    # An LSTM over a sequence that reads the blocks in another order itself is named there.
    found = [m for m in keys_of(graded["2_gate_order_in_sequence"], "lstm.forward")
             if m.key == "recurrent.gate_order.lstm"]
    assert [m.params["order"] for m in found] == ["i, f, g, o"]


def test_saturated_candidate_probe_reports_g_near_zero(graded):
    sat = [m for m in keys_of(graded["1_candidate_sigmoid"], "lstm_step.forward")
           if m.key == "recurrent.saturated.lstm_candidate"]
    assert len(sat) == 1 and abs(sat[0].params["got"]) < 0.05


def test_upstream_split_and_gate_blocks_localise_mistake_5(graded):
    messages = keys_of(graded["5_tanh_prev_c_in_do"], "lstm_step.grad.dx")
    by_key = {(m.key, m.params.get("setting")): m for m in messages}
    assert ("recurrent.upstream.right", "dnext_c") in by_key
    assert by_key[("recurrent.gates.wrong", "dnext_h")].params["blocks"] == "o"


def test_time_step_probe_says_where_the_carry_breaks(graded):
    messages = keys_of(graded["7_rnn_carry_dropped"], "rnn.grad.dx")
    last = [m for m in messages if m.key == "recurrent.timestep.wrong" and m.params["t"] == 3]
    assert last and last[0].params["first"] == 2
    assert any(m.key == "recurrent.timestep.right" and m.params["steps"] == "0" for m in messages)


def test_cache_index_is_found_by_matching_another_steps_local_gradient(graded):
    messages = keys_of(graded["8_bptt_cache_index"], "rnn.grad.dx")
    assert any(m.key == "recurrent.timestep.other_step" and m.params["s"] == 3 - m.params["t"] for m in messages)


def test_birnn_causality_probe_points_at_the_backward_half(graded):
    messages = keys_of(graded["13_backward_half_not_flipped"], "birnn.forward")
    assert any(m.key == "recurrent.causality.backward_half" for m in messages)
    assert any(m.key == "recurrent.birnn.not_flipped" for m in messages)


def test_swapped_slices_are_reported_with_the_due_shapes(graded):
    messages = keys_of(graded["14_rnn_lstm_slices_swapped"], "rnn_step.grad.dx")
    swapped = [m for m in messages if m.key == "recurrent.swapped"]
    assert swapped and swapped[0].params["shape_a"] == "(3, 6)" and swapped[0].params["shape_b"] == "(3, 5)"


# ------------------------------------------------------- other correct implementations
@pytest.mark.parametrize("impl", sorted(p.name for p in IMPLEMENTATIONS.iterdir() if p.is_dir()))
def test_other_correct_implementations_get_full_marks(impl):
    result = grade_fast(IMPLEMENTATIONS / impl, *RECURRENT)
    no_grader_errors(result)
    assert result.score == result.max_score, [c.id for c in result.checks if c.status != "passed"]
    assert mistakes_of(result) == set()


def test_cs231n_layout_is_graded_from_the_nested_module():
    result = grade_fast(IMPLEMENTATIONS / "cs231n_classic", "lstm_step")
    assert result.exercises[0].graded_from["lstm_step_forward"].endswith("cs231n/rnn_layers.py")


def test_sample_submission_shows_exactly_two_named_mistakes():
    result = grade_official(Path(paths.ROOT) / "examples" / "sample_submission", *RECURRENT)
    no_grader_errors(result)
    assert mistakes_of(result) == {"4", "11"}
    assert 0 < result.score < result.max_score


# ---------------------------------------------------------------- without solutions
def test_self_check_without_solutions_still_localises_and_names(tmp_path):
    exercises = exercises_named(*RECURRENT)
    ref = grade(SOLUTIONS, exercises=exercises, trusted_in_process=True, strict=True)
    assert not ref.official and ref.score == ref.max_score
    assert {c.kind for c in ref.checks} >= {"value", "gradient", "mutation"}
    wrong = grade(mutant(tmp_path / "m3", MUTANTS["3_no_dh_into_dc"][1]), exercises=exercises_named("lstm_step"),
                  trusted_in_process=True, strict=True)
    assert "3" in mistakes_of(wrong)
    wrong = grade(mutant(tmp_path / "m11", MUTANTS["11_gru_interpolation_reversed"][1]),
                  exercises=exercises_named("gru_step"), trusted_in_process=True, strict=True)
    assert "11" in mistakes_of(wrong)


# ---------------------------------------------------------------- malformed answers
MALFORMED = '''
import numpy as np

def rnn_step_forward(x, prev_h, Wx, Wh, b):
    return [np.tanh(x @ Wx + prev_h @ Wh + b)]            # no cache

def rnn_step_backward(dnext_h, cache):
    return None

def rnn_forward(x, h0, Wx, Wh, b):
    return np.zeros((x.shape[0], x.shape[1], h0.shape[1])), "cache"

def rnn_backward(dh, cache):
    return np.zeros(dh.shape), 0.0                        # too few, wrong shapes

def birnn_forward(x, h0_f, h0_b, Wx_f, Wh_f, b_f, Wx_b, Wh_b, b_b):
    return np.zeros((2, 2)), None

def birnn_backward(dh, cache):
    return tuple(np.full((1,), np.nan) for _ in range(9))

def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    return prev_h, prev_c                                  # cache missing

def lstm_step_backward(dnext_h, dnext_c, cache):
    return dnext_h, dnext_c

def lstm_forward(x, h0, Wx, Wh, b):
    h = np.repeat(h0[:, None, :], x.shape[1], axis=1)
    return h, {"h": h}

def lstm_backward(dh, cache):
    return (np.zeros((1, 1, 1)),) * 5

def gru_step_forward(x, prev_h, Wx, Wh, bx, bh):
    return prev_h.astype(np.float32), object()

def gru_step_backward(dnext_h, cache):
    return {"dx": 1}

def gru_forward(x, h0, Wx, Wh, bx, bh):
    raise ValueError("not today")

def gru_backward(dh, cache):
    return dh
'''


def test_malformed_answers_fail_cleanly_without_grader_errors(tmp_path):
    sub = write_submission(tmp_path / "bad", {"rnn_layers.py": MALFORMED})
    result = grade_official(sub, *RECURRENT)
    no_grader_errors(result)
    for check in result.checks:
        if check.kind == "mutation" and check.status != "failed":
            # these functions return garbage, but they do leave their arguments alone: not counted yet
            assert check.status == "passed" or (check.status == "pending" and check.points == 0
                                                and check.messages), check.id
            continue
        assert check.status == "failed" and check.messages, check.id
    assert sum(c.points for c in result.checks if c.kind != "mutation") == 0


def test_probes_only_run_on_failures_and_hidden_inputs_differ_per_student():
    a = grade_fast(SOLUTIONS, "lstm_step", student="alice")
    b = grade_fast(SOLUTIONS, "lstm_step", student="bob")
    assert a.score == a.max_score == b.score
    assert all(not c.messages for c in a.checks)
    from grader.api import student_seed
    from grader.checks.model import Context
    from grader.specs.recurrent import lstm_step_inputs

    x_a = lstm_step_inputs(Context(None, {}, student_seed("alice")).rng("lstm_step.forward"))["x"]
    x_b = lstm_step_inputs(Context(None, {}, student_seed("bob")).rng("lstm_step.forward"))["x"]
    assert not np.allclose(x_a, x_b)
