"""Fingerprints (k-grams, winnowing) and the inverted index that scores pairs."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from grader.similarity.fingerprint import NO_HASH, WINDOW, K, kgram_hashes, winnow, word_id
from grader.similarity.index import MIN_UNIT, default_common, score_pairs

VOCAB = ["V", "=", "(", ")", ".", "sum", "N", ";", "+", "*", "@", "exp", "{", "}", "return", ","]


def stream(rng: np.random.Generator, n: int) -> list[str]:
    return [VOCAB[i] for i in rng.integers(0, len(VOCAB), n)]


def prints(words: list[str]) -> np.ndarray:
    h = kgram_hashes(words)
    return np.unique(h[winnow(h)])


# ---------------------------------------------------------------- fingerprints
def test_a_shared_run_of_k_plus_window_minus_one_tokens_always_shares_a_fingerprint():
    rng = np.random.default_rng(0)
    guarantee = K + WINDOW - 1
    for _ in range(300):
        run = stream(rng, guarantee)
        a = stream(rng, int(rng.integers(0, 40))) + run + stream(rng, int(rng.integers(0, 40)))
        b = stream(rng, int(rng.integers(0, 40))) + run + stream(rng, int(rng.integers(0, 40)))
        assert np.intersect1d(prints(a), prints(b)).size > 0


def test_runs_shorter_than_k_share_nothing():
    a = ["V", "=", "V", ".", "sum", "(", "V", ")", ";", "return", "V"]  # 11 < K tokens
    assert len(a) < K
    assert kgram_hashes(a).size == 0 and prints(a).size == 0


def test_winnowing_keeps_a_bounded_share_and_every_window_has_a_kept_kgram():
    rng = np.random.default_rng(1)
    h = kgram_hashes(stream(rng, 2000))
    kept = winnow(h)
    assert np.all(np.diff(kept) <= WINDOW)  # no window of WINDOW hashes without a fingerprint
    assert 0.2 < len(kept) / len(h) < 0.4  # about 2 / (WINDOW + 1)
    assert winnow(h[:3]).tolist() == [int(np.argmin(h[:3][::-1]) * -1 + 2)]


def test_kgrams_across_two_files_are_no_fingerprints():
    words = ["V"] * 20
    pieces = np.array([0] * 10 + [1] * 10)
    h = kgram_hashes(words, K, pieces)
    assert np.all(h[: 10 - K + 1] != NO_HASH) if 10 >= K else True
    crossing = [i for i in range(len(h)) if pieces[i] != pieces[i + K - 1]]
    assert crossing and np.all(h[crossing] == NO_HASH)
    assert NO_HASH not in h[winnow(h)]


def test_hashes_are_the_same_in_every_process_and_hash_seed():
    words = ["V", "=", "V", ".", "tanh", "(", "V", ")", ";", "return", "V", ",", "V", ";"]
    here = kgram_hashes(words).tolist()
    code = ("from grader.similarity.fingerprint import kgram_hashes, word_id;"
            f"print(kgram_hashes({words!r}).tolist(), word_id('V'))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == f"{here} {word_id('V')}"
    # blake2b of the word, little-endian: a fixed value on every machine
    assert word_id("V") == int.from_bytes(__import__("hashlib").blake2b(b"V", digest_size=8).digest(), "little")


# ----------------------------------------------------------------------- index
def table(students: list[dict[str, np.ndarray]], units=("f", "g"), common=10, excluded=()):
    return score_pairs(students, list(units), np.array(excluded, dtype=np.uint64), common)


def fp(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.uint64)


def test_only_pairs_that_share_a_fingerprint_are_scored_and_like_is_compared_with_like():
    big = fp(*range(100, 100 + MIN_UNIT))
    t = table([{"f": big}, {"f": big}, {"g": big}, {"f": fp(1, 2, 3)}])
    assert len(t) == 1 and (t.a[0], t.b[0]) == (0, 1)  # student 2 has the same hashes, in another function
    assert t.score[0] == 1.0 and t.overall[0] == 1.0 and t.exclusive[0] == MIN_UNIT


def test_a_large_class_of_unrelated_students_costs_no_pair_at_all():
    rng = np.random.default_rng(2)
    students = [{"f": np.unique(rng.integers(0, 2**63, 60, dtype=np.uint64))} for _ in range(3000)]
    t = table(students)
    assert len(t) == 0 and t.sizes.shape == (3000, 2)


def test_common_and_excluded_fingerprints_are_dropped_before_scoring():
    shared = fp(*range(1, 1 + MIN_UNIT))
    rare = fp(*range(1000, 1000 + MIN_UNIT))
    students = [{"f": shared} for _ in range(12)]
    students[0] = {"f": np.concatenate([shared, rare])}
    students[1] = {"f": np.concatenate([shared, rare])}
    t = table(students, common=10)
    assert len(t) == 1 and t.common_dropped == MIN_UNIT  # 12 students share `shared`: common code
    assert t.score[0] == 1.0
    t = table(students, common=10, excluded=rare)
    assert len(t) == 0 and t.excluded_dropped == 2 * MIN_UNIT
    t = table(students, common=20)  # a higher cap: every pair is scored
    assert len(t) == 66


def test_own_share_discounts_what_other_students_share_too():
    f = fp(*range(1, 1 + MIN_UNIT))
    # a and b share f with nobody else; c, d, e all share g
    students = [{"f": f}, {"f": f}, {"g": f}, {"g": f}, {"g": f}]
    t = table(students)
    rows = {(int(a), int(b)): i for i, (a, b) in enumerate(zip(t.a, t.b, strict=True))}
    assert t.best_own[rows[(0, 1)]] == 1.0 and t.exclusive[rows[(0, 1)]] == MIN_UNIT
    assert t.best_own[rows[(2, 3)]] == pytest.approx(0.5) and t.exclusive[rows[(2, 3)]] == 0
    assert t.overall[rows[(2, 3)]] == 1.0  # a group sharing whole submissions still scores on overall
    assert list(t.a[:1]) == [0]  # the exclusive pair ranks first


def test_a_function_too_small_to_judge_does_not_score_alone():
    small = fp(*range(1, MIN_UNIT))  # one fingerprint short
    other_a = fp(*range(100, 200))
    other_b = fp(*range(300, 400))
    t = table([{"f": small, "g": other_a}, {"f": small, "g": other_b}])
    assert len(t) == 1 and t.best_unit[0] == -1 and t.best_own[0] == 0.0
    assert t.score[0] == t.overall[0] < 0.2
    t = table([{"f": np.concatenate([small, fp(99)]), "g": other_a}, {"f": np.concatenate([small, fp(99)]), "g": other_b}])
    assert t.best_unit[0] == 0 and t.score[0] == 1.0


def test_ranking_is_by_score_then_overall_then_shared_count():
    rng = np.random.default_rng(3)
    students = []
    base = fp(*range(1, 200))
    for i in range(30):
        keep = rng.random(len(base)) < rng.random()
        students.append({"f": base[keep], "g": fp(*range(1000 * (i + 1), 1000 * (i + 1) + 30))})
    t = table(students, common=default_common(30) + 30)
    key = list(zip(-t.score, -t.overall, -t.matched, strict=True))
    assert key == sorted(key)
