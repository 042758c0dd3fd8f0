"""Notices: what the grader tells the student about the submission itself (a file it
skipped and why, a notebook cell it could not run). Each is a message-catalogue key
with parameters, rendered in the report's language."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Notice:
    """Something about the submission itself worth telling the student."""

    key: str  # message-catalogue key
    params: dict[str, Any] = field(default_factory=dict)


SAMPLES = 5  # paths or lines named in one notice; the rest are counted


class Skips:
    """Collects skipped items by reason and turns them into ONE notice per reason
    (a count, a few sample names), so a folder of 10,000 links cannot flood the report."""

    def __init__(self) -> None:
        self._items: dict[str, list[str]] = {}
        self._counts: dict[str, int] = {}
        self._params: dict[str, dict[str, Any]] = {}

    def add(self, key: str, name: str, **params: object) -> None:
        self._counts[key] = self._counts.get(key, 0) + 1
        names = self._items.setdefault(key, [])
        if len(names) < SAMPLES:
            names.append(name)
        self._params.setdefault(key, {}).update(params)

    def count(self, key: str) -> int:
        return self._counts.get(key, 0)

    def notices(self) -> list[Notice]:
        out = []
        for key, names in self._items.items():
            count = self._counts[key]
            shown = ", ".join(names) + (", …" if count > len(names) else "")
            out.append(Notice(key, {"count": count, "files": shown, **self._params[key]}))
        return out
