"""A student's variant of each question: the order of the options and the drawn numbers.

The seed is :func:`grader.seed.student_seed` (student id, assignment, term salt), so the same
student always sees the same variant, on their laptop and in CI. Draws use SHA-256
in counter mode rather than numpy or :mod:`random`, whose streams may change between
versions: a student answering with one version and graded with another must see
the same letters and numbers. A variant depends on the question id, the option
*keys* and the parameter specs, never on the wording, so fixing a typo in the bank
changes nobody's variant.

The shuffle starts from :func:`canonical_order`, an order of the option keys that
depends on nothing but the keys (a hash of question id and key), never on the order
the instructor wrote them in: instructors tend to write the correct option first,
and the student bank lists options in this order, so the release cannot tell which
option came first in the key. Questions with ``shuffle = false`` keep their written
order (it is part of the question, e.g. one-to-one ... many-to-many).
"""

from __future__ import annotations

import hashlib
import string
from dataclasses import dataclass, field
from typing import Any

from ..seed import AssignmentId, seed_of
from .model import CHOICE_TYPES, Bank, Question

__all__ = ["LETTERS", "Stream", "Variant", "canonical_order", "fingerprint", "make_variant", "seed_of",
           "variants_for"]

LETTERS = string.ascii_uppercase


class Stream:
    """Deterministic uniform integers from a seed and a label (SHA-256, counter mode)."""

    def __init__(self, seed: int, label: str):
        self._prefix = f"{seed}\0{label}\0".encode()
        self._n = 0

    def below(self, n: int) -> int:
        """A uniform integer in [0, n) (the bias of a 256-bit modulus is negligible)."""
        self._n += 1
        digest = hashlib.sha256(self._prefix + str(self._n).encode()).digest()
        return int.from_bytes(digest, "big") % n


@dataclass(frozen=True)
class Variant:
    """What one student sees of one question."""

    question: str
    order: tuple[str, ...] = ()  # option keys in the order shown as A, B, C, ...
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def letters(self) -> str:
        return LETTERS[: len(self.order)]

    def key_of(self, letter: str) -> str:
        return self.order[LETTERS.index(letter)]

    def letter_of(self, key: str) -> str:
        return LETTERS[self.order.index(key)]


def canonical_order(q: Question) -> list[str]:
    """The option keys of ``q`` in the order the release lists them and variants start
    from: by SHA-256 of (question id, key) when shuffled, else as written."""
    keys = [o.key for o in q.options] if q.type in CHOICE_TYPES else []
    if not q.shuffle:
        return keys
    return sorted(keys, key=lambda k: hashlib.sha256(f"rnngrade-option\0{q.id}\0{k}".encode()).digest())


def make_variant(q: Question, seed: int) -> Variant:
    """The variant of ``q`` for the student whose seed is ``seed``."""
    stream = Stream(seed, q.id)
    order = canonical_order(q)
    if q.shuffle:
        for i in range(len(order) - 1, 0, -1):  # Fisher-Yates
            j = stream.below(i + 1)
            order[i], order[j] = order[j], order[i]
    params = {name: spec.value(stream.below(spec.count())) for name, spec in sorted(q.params.items())}
    return Variant(q.id, tuple(order), params)


def variants_for(bank: Bank, student: str, assignment: str | AssignmentId) -> dict[str, Variant]:
    """Every question's variant for ``student`` (the seed of the exercises' hidden inputs)."""
    seed = seed_of(student, assignment)
    return {q.id: make_variant(q, seed) for q in bank.questions}


def fingerprint(variants: dict[str, Variant]) -> str:
    """A short digest of a student's whole variant, written into the answer sheet.

    When grading computes a different one, the sheet was made for another student id
    or an older bank (options added or removed), and letters may mean other options."""
    h = hashlib.sha256()
    for qid in sorted(variants):
        v = variants[qid]
        h.update(f"{qid}|{','.join(v.order)}|{sorted(v.params.items())!r}\n".encode())
    return h.hexdigest()[:12]
