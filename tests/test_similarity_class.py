"""Similarity on a synthetic class: every copied pair ranks above every honest pair.

Honest students hand in independently written correct code (the project's
alternative implementations and two written for these tests); copiers disguise
someone else's: every local name renamed, comments and docstrings replaced,
another indentation and blank lines, dummy statements, the functions reordered,
another layout (one file, a notebook), or only one function copied
(see ``tests/similarity_class.py``).
"""

from __future__ import annotations

import itertools
import shutil

import pytest
from similarity_class import COPIED, IMPL, build_class, disguise

from grader import paths
from grader.similarity import OTHER, compare_class


def _ranks(result) -> dict[frozenset[str], float]:
    return {frozenset({p.a, p.b}): p.score for p in result.top()}


def _separation(result) -> tuple[list, list]:
    """(copied pairs with their scores, honest pairs with their scores); every pair of
    the class is in one list (a pair that shares nothing scores 0)."""
    scores = _ranks(result)
    names = [s.student for s in result.students]
    copied, honest = [], []
    for a, b in itertools.combinations(names, 2):
        pair = frozenset({a, b})
        (copied if pair in COPIED else honest).append((scores.get(pair, 0.0), tuple(sorted(pair))))
    return copied, honest


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    return build_class(tmp_path_factory.mktemp("class") / "class")


@pytest.fixture(scope="module")
def result(klass):
    return compare_class(klass, starter=[paths.EXERCISES], reference=paths.SOLUTIONS)


def test_every_copied_pair_ranks_above_every_honest_pair(result):
    copied, honest = _separation(result)
    assert len(copied) == len(COPIED) and len(honest) > 50
    assert min(copied) > max(honest), (min(copied), max(honest))
    # and with a margin: a disguised copy is not a near tie with honest work
    assert min(copied)[0] - max(honest)[0] > 0.1


def test_whole_copies_score_near_full_whatever_the_disguise(result):
    # renamed + restyled + dummy statements; one file with reordered functions;
    # a notebook; comments and blank lines only
    for a, b in [("c1_renamed", "h1_loops"), ("c2_reordered", "h2_vector"), ("c3_notebook", "h4_sample"),
                 ("c5_lazy", "h5_functional")]:
        pair = result.pair_of(a, b)
        assert pair is not None and pair.overall > 0.9, (a, b, pair)
        assert pair.rank <= 4


def test_one_copied_function_is_found_and_named(result):
    pair = result.pair_of("c4_one_function", "h2_vector")
    assert pair.best_unit == "gru_step_backward"
    assert pair.overall < 0.3  # the rest of the two submissions is independent...
    assert pair.score > 0.4  # ...yet the pair ranks with the copies
    shared = {u.unit: u for u in pair.units}
    assert shared["gru_step_backward"].share == 1.0


def test_function_found_by_name_in_any_layout(result):
    # c2 is one file, c3 a notebook, h2 has cs231n/rnn_layers.py: all compared per function
    where = {s.student: s.where for s in result.students}
    assert where["c3_notebook"]["softmax_loss"][0].startswith("c3_notebook.ipynb [cell ")
    assert where["h2_vector"]["lstm_forward"][0] == "cs231n/rnn_layers.py"
    assert where["c2_reordered"]["lstm_forward"][0] == "c2_reordered.py"
    pair = result.pair_of("c2_reordered", "h2_vector")
    assert {u.unit for u in pair.units} >= {"lstm_forward", "gru_backward", "batchnorm_forward", OTHER}


def test_starter_code_handed_in_by_everyone_does_not_make_honest_pairs_similar(tmp_path):
    klass = build_class(tmp_path / "class", starter_everywhere=True)
    result = compare_class(klass, starter=[paths.EXERCISES], reference=paths.SOLUTIONS)
    copied, honest = _separation(result)
    assert min(copied) > max(honest)
    assert result.pair_of("h7_partial", "h8_starter") is None  # the stubs and the release's code: nothing of theirs
    # the same class without telling the tool what the starter code is: the release
    # shared by every folder now links honest students (so the exclusion is what works)
    blind = compare_class(klass, starter=[], reference=None)
    starter_pair = blind.pair_of("h7_partial", "h8_starter")
    assert starter_pair is not None and starter_pair.overall == 1.0
    linked = {frozenset({p.a, p.b}) for p in blind.top()}
    assert len(linked - COPIED) > len({frozenset({p.a, p.b}) for p in result.top()} - COPIED)


def test_reference_code_is_not_evidence(tmp_path):
    klass = tmp_path / "class"
    klass.mkdir()
    shutil.copytree(paths.SOLUTIONS, klass / "verbatim", ignore=shutil.ignore_patterns("quiz"))
    (klass / "renamed").mkdir()
    for f in sorted(paths.SOLUTIONS.glob("*.py")):
        (klass / "renamed" / f.name).write_text(disguise(f.read_text(encoding="utf-8"), 7), encoding="utf-8")
    shutil.copytree(IMPL / "similarity" / "functional", klass / "own")
    with_reference = compare_class(klass, starter=[paths.EXERCISES], reference=paths.SOLUTIONS)
    pair = with_reference.pair_of("verbatim", "renamed")
    assert pair is None or pair.score < 0.1
    without = compare_class(klass, starter=[paths.EXERCISES], reference=None)
    assert without.pair_of("verbatim", "renamed").score > 0.9


def test_outputs_rank_and_score_the_same_pairs(result, tmp_path):
    import csv
    import json

    from grader.similarity.render import to_json, write_csv

    write_csv(result, tmp_path / "pairs.csv", min_score=0.0)
    with open(tmp_path / "pairs.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    data = json.loads(json.dumps(to_json(result, min_score=0.0)))
    assert len(rows) == len(data["pairs"]) == len(result.pairs)
    assert [r["student_a"] for r in rows[:6]] == [p["a"] for p in data["pairs"][:6]]
    scores = [float(r["score"]) for r in rows]
    assert scores == sorted(scores, reverse=True)
    assert {s["student"] for s in data["students"]} == {s.student for s in result.students}
