"""Parsed data files kept between processes: the i18n catalogues and the quiz bank's TOML
are parsed (and the catalogue validated) once, not at every start of ``rnngrade``.

Each entry is the ``marshal`` form of plain data (dicts, lists, strings, numbers), named
by a digest of everything it was made from (the files' bytes, the code that parses and
checks them, the interpreter's version), so a changed file or parser is simply a new entry
and a stale one is never read (in a checkout too, where the version number stays).
``marshal`` can carry code, so the cache has exactly the trust of the grader's own code,
like the compiled templates (:mod:`grader.report.template_cache`, whose docstring
gives the reasons): it lives beside the installed package (``rnngrade.cache/parsed``,
never inside ``grader/``, never in the temporary folder or the home), and a file is read
only while its folder is a real folder owned by this user with no access for group or
others and the file itself is owned by this user and writable by no one else. Where the
installation is not writable (a read-only or system-wide install) nothing is kept and
every start parses, as before. ``RNNGRADE_PARSED_CACHE=0`` turns the cache off; any other
value is taken as the folder to use instead (tests).
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from ..cache_trust import open_trusted, private_folder

T = TypeVar("T")
_OFF = ("0", "no", "off", "false")
_ENV = "RNNGRADE_PARSED_CACHE"


def folder() -> Path | None:
    """The cache's folder, or None when it is turned off."""
    chosen = os.environ.get(_ENV, "").strip()
    if chosen.lower() in _OFF:
        return None
    if chosen and chosen.lower() not in ("1", "yes", "on", "true"):
        return Path(chosen)
    return Path(__file__).resolve().parents[2] / "rnngrade.cache" / "parsed"


def digest(kind: str, parts: Iterable[bytes]) -> str:
    """The name of an entry made of ``parts`` (the bytes it is parsed from, and those of
    the code that parses them, where that is not the standard library's)."""
    h = hashlib.sha256(f"{kind}\0{sys.version}\0{marshal.version}".encode())
    for part in parts:
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)
    return f"{kind}-{h.hexdigest()[:32]}"


def read(name: str) -> Any | None:
    """The entry ``name``, or None when there is none that may be trusted."""
    where = folder()
    if where is None or not private_folder(where):
        return None
    f = open_trusted(where / name)
    if f is None:
        return None
    with f:
        try:
            return marshal.loads(f.read())
        except (EOFError, ValueError, TypeError, OSError):
            return None  # a truncated or foreign file: parsed again (and rewritten)


def write(name: str, value: Any) -> None:
    """Keep ``value`` as the entry ``name`` where the folder is (or can be made) private;
    otherwise nothing (a read-only install parses at each start)."""
    where = folder()
    if where is None:
        return
    try:
        data = marshal.dumps(value)
    except ValueError:  # not plain data (a TOML date): not kept
        return
    try:
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not private_folder(where):
            return
        temporary = where / f".{name}.{os.getpid()}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(temporary, where / name)  # atomic: a reader sees the whole entry or none
    except OSError:
        pass


def cached(name: str, make: Callable[[], T]) -> T:
    """The entry ``name`` (see :func:`digest`), made by ``make`` and kept when missing."""
    value = read(name)
    if value is None:
        value = make()
        write(name, value)
    return value


def toml(raw: bytes) -> dict[str, Any]:
    """``tomllib`` 's reading of ``raw`` (UTF-8), kept between processes; raises as
    ``tomllib.loads`` (or ``UnicodeDecodeError``) on a malformed file."""
    name = digest("toml", (raw,))
    data = read(name)
    if not isinstance(data, dict):
        data = tomllib.loads(raw.decode("utf-8"))
        write(name, data)
    return data
