"""Compiled report templates kept between processes, with exactly the trust of the
grader's own code.

jinja2 stores a compiled template as marshalled code: whoever can write the cache
can run code in the grader. Its default folder (``$TMPDIR/_jinja2-cache-<uid>``)
is shared with every process of the machine, a sandboxed child at the portable
level included, so the grader never uses it. A folder in the user's home would not
do either: at the portable level a child running as the grader's own user can
write there. This cache lives beside the installed package, in the folder that holds it
(``site-packages/rnngrade.cache/templates-<rnngrade version>``; in a checkout, its
root): whoever can write there can already plant code that Python loads into the
grader at its next start (a ``.pth`` file, the package itself), so the cache adds no
way in. Not inside ``grader/``: a folder left there by ``pip uninstall`` (which
removes only the files it installed) would make ``grader`` a namespace package that
hides a later editable install; where the installation is not writable (a system-wide install
run by another user) there is no cache and templates are compiled in memory. Every
load checks it anyway: the folder must be a real folder (not a link) owned by this
user with no permission for group or others, and each file owned by this user and
writable by no one else; otherwise the template is compiled in memory as before.
``RNNGRADE_TEMPLATE_CACHE=0`` turns the cache off; any other value is taken as the
folder to use instead (tests, or an administrator's choice).
"""

from __future__ import annotations

import os
from pathlib import Path

import jinja2

from .. import __version__
from ..cache_trust import open_trusted, private_folder

_OFF = ("0", "no", "off", "false")


class PrivateBytecodeCache(jinja2.FileSystemBytecodeCache):
    """jinja2's file cache that reads a file only while it and its folder are private."""

    def __init__(self, directory: Path) -> None:
        super().__init__(str(directory), "%s.cache")
        self.folder = directory

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if not private_folder(self.folder):
            return
        f = open_trusted(self.folder / (bucket.key + ".cache"))
        if f is not None:
            with f:
                bucket.load_bytecode(f)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if not private_folder(self.folder):
            return
        try:
            super().dump_bytecode(bucket)  # written to a temporary name and renamed: atomic
        except OSError:
            pass


def cache_folder() -> Path:
    """``RNNGRADE_TEMPLATE_CACHE`` when it names a folder, else the package's own
    neighbour ``rnngrade.cache`` (see the module's docstring for why there)."""
    chosen = os.environ.get("RNNGRADE_TEMPLATE_CACHE", "").strip()
    if chosen and chosen.lower() not in _OFF + ("1", "yes", "on", "true"):
        return Path(chosen)
    return Path(__file__).resolve().parents[2] / "rnngrade.cache" / f"templates-{__version__}"


def private_cache() -> PrivateBytecodeCache | None:
    """The cache, its folder made if need be (mode 0700); None when it is turned off
    or cannot be made private."""
    if os.environ.get("RNNGRADE_TEMPLATE_CACHE", "1").strip().lower() in _OFF:
        return None
    folder = cache_folder()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return None
    return PrivateBytecodeCache(folder) if private_folder(folder) else None
