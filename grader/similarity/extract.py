"""One submission's fingerprints, per unit: read, normalise, hash, winnow.

Runs in the parent or in a worker process of the parent (never in the sandbox: no
student code is run). A student's source texts are kept, so the side-by-side view
can later be rebuilt from exactly what was compared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..i18n import Message
from .fingerprint import NO_HASH, WINDOW, K, kgram_hashes, winnow
from .sources import Source, read_submission
from .tokens import LINE_BITS, OTHER, UnitTokens, split_units


@dataclass
class StudentPrints:
    """What the comparison keeps of one student."""

    student: str
    sources: list[Source]
    notes: list[Message] = field(default_factory=list)
    prints: dict[str, np.ndarray] = field(default_factory=dict)  # unit -> (F,) uint64, unique
    where: dict[str, tuple[str, int]] = field(default_factory=dict)  # graded function -> (source label, line)


@dataclass
class UnitDetail:
    """Everything about one unit needed to show which lines match: per token its
    position, per k-gram its hash."""

    unit: UnitTokens
    hashes: np.ndarray  # (T - K + 1,) uint64


def _hashes(unit: UnitTokens, k: int) -> np.ndarray:
    """All k-gram hashes of ``unit``; none spans two files or cells."""
    pieces = np.asarray(unit.pos, dtype=np.int64) >> LINE_BITS
    return kgram_hashes(unit.words, k, pieces)


def unit_details(sources: list[Source], functions: list[str] | tuple[str, ...]) -> dict[str, UnitDetail]:
    """Every unit of the code in ``sources`` with all its k-gram hashes."""
    split = split_units(sources, functions)
    return {name: UnitDetail(unit, _hashes(unit, K)) for name, unit in split.units.items()}


def fingerprint_sources(student: str, sources: list[Source], notes: list[Message],
                        functions: list[str] | tuple[str, ...], k: int = K, window: int = WINDOW) -> StudentPrints:
    split = split_units(sources, functions)
    out = StudentPrints(student, sources, [*notes, *split.notes])
    for name, unit in split.units.items():
        if name != OTHER and unit.is_stub:
            continue  # an untouched stub is starter code, not the student's
        hashes = _hashes(unit, k)
        chosen = hashes[winnow(hashes, window)]
        if len(chosen):
            out.prints[name] = np.unique(chosen)
        if unit.span is not None:
            out.where[name] = (sources[unit.span[0]].label, unit.span[1])
    return out


def fingerprint_submission(student: str, path: Path | str, functions: list[str] | tuple[str, ...],
                           k: int = K, window: int = WINDOW) -> StudentPrints:
    """Read the submission at ``path`` and fingerprint it; never raises for its content."""
    text = read_submission(path)
    return fingerprint_sources(student, text.sources, text.notes, functions, k, window)


def all_hashes(paths: list[Path], functions: list[str] | tuple[str, ...], k: int = K) -> np.ndarray:
    """Every k-gram hash (not only the winnowed ones) of the code under ``paths``:
    the starter code and the reference, whose fingerprints no pair is scored on."""
    found = [np.zeros(0, dtype=np.uint64)]
    for path in paths:
        text = read_submission(path)
        for unit in split_units(text.sources, functions).units.values():
            found.append(_hashes(unit, k))
    hashes = np.unique(np.concatenate(found))
    return hashes[hashes != NO_HASH]
