"""Fingerprints of a normalised token stream: k-gram hashes, selected by winnowing.

Every run of :data:`K` consecutive normalised tokens (a k-gram) is hashed; of every
window of :data:`WINDOW` consecutive k-gram hashes the smallest is kept (the
rightmost on ties), as in Schleimer, Wilkerson and Aiken, "Winnowing: local
algorithms for document fingerprinting" (SIGMOD 2003). Two guarantees follow:

* a shared run of at least ``K + WINDOW - 1`` tokens always yields a shared
  fingerprint, wherever it lies in either function;
* a shared run shorter than ``K`` tokens never does (noise such as
  ``V = V . zeros_like ( V ) ;`` is 9 tokens).

``K = 12`` and ``WINDOW = 6``: one ordinary statement is 8 to 15 normalised tokens,
so a fingerprint stands for more than one statement's worth of the same structure
and any copied stretch of about two statements (17 tokens) is found. About 2 in 7
k-grams are kept (density ``2 / (WINDOW + 1)``), which keeps the index small. A
larger K or window leaves short functions (``relu_backward`` is 18 tokens) without
a fingerprint; a smaller K makes single idioms fingerprints. See ``docs/similarity.md``.

Hashes are 64-bit and computed with numpy over a whole stream at once; they are
the same in every process and on every machine (no ``hash()`` of strings).
"""

from __future__ import annotations

import functools
import hashlib

import numpy as np

K = 12
WINDOW = 6

_BASE = np.uint64(0x100000001B3)  # FNV-64 prime: the polynomial's base
NO_HASH = np.uint64(0xFFFFFFFFFFFFFFFF)  # a k-gram that is no fingerprint (it spans two files)


@functools.lru_cache(maxsize=1 << 16)
def word_id(word: str) -> int:
    """A stable 64-bit number for a normalised token."""
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads every input bit over the whole hash, so the
    minimum of a window is not biased towards particular k-grams."""
    with np.errstate(over="ignore"):
        h = h ^ (h >> np.uint64(30))
        h = h * np.uint64(0xBF58476D1CE4E5B9)
        h = h ^ (h >> np.uint64(27))
        h = h * np.uint64(0x94D049BB133111EB)
        return h ^ (h >> np.uint64(31))


def kgram_hashes(words: list[str], k: int = K, pieces: np.ndarray | None = None) -> np.ndarray:
    """The hash of every k-gram of ``words`` (empty when there are fewer than k): (T - k + 1,) uint64.

    ``pieces`` (T,): which file or notebook cell each word comes from; a k-gram
    that spans two pieces gets :data:`NO_HASH` (the order in which a student's
    files are read is no evidence)."""
    n = len(words) - k + 1
    if n <= 0:
        return np.zeros(0, dtype=np.uint64)
    ids = np.fromiter((word_id(w) for w in words), dtype=np.uint64, count=len(words))
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k):  # h = sum ids[i + j] * BASE^(k - 1 - j) (mod 2^64)
            h = h * _BASE + ids[j:j + n]
    h = mix(h)
    if pieces is not None:
        h[pieces[: n] != pieces[k - 1:]] = NO_HASH
    return h


def winnow(hashes: np.ndarray, window: int = WINDOW) -> np.ndarray:
    """Indices of the k-grams kept by winnowing (sorted, unique, never a :data:`NO_HASH`): (F,) int64."""
    n = len(hashes)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if n <= window:
        chosen = np.array([n - 1 - int(np.argmin(hashes[::-1]))], dtype=np.int64)
    else:
        windows = np.lib.stride_tricks.sliding_window_view(hashes, window)
        # rightmost minimum of each window: argmin over the reversed window
        rightmost = window - 1 - np.argmin(windows[:, ::-1], axis=1)
        chosen = np.unique(rightmost + np.arange(len(windows)))
    return chosen[hashes[chosen] != NO_HASH]


def salt(unit: str) -> np.uint64:
    """A number that makes the fingerprints of one unit (function) distinct from
    the same code in another, so the index only matches like with like."""
    return np.uint64(word_id("\0unit\0" + unit))


def keyed(hashes: np.ndarray, unit: str) -> np.ndarray:
    """Fingerprints ``hashes`` as index keys of ``unit``."""
    return mix(hashes ^ salt(unit))
