"""The harness a sandboxed child runs, compiled once and kept between children.

A child is started as ``python -I -B child.py``: a script given by name is compiled
on every start and ``-B`` keeps it from caching its siblings (``wire.py``,
``confine.py``), ~8 ms of CPU for each child, that is, each submission of a batch.
This module compiles the three once into ``.pyc`` files and hands out
``child.pyc``: Python runs a compiled file given by name as it runs the source, and
the harness loads its siblings as ``.pyc`` from beside it (``child.py: _sibling``).

Trust is that of the grader's own bytecode, as for the report templates
(:mod:`grader.report.template_cache`): the files live beside the package, in the
folder that holds it (``site-packages/rnngrade.cache/harness-<digest>``; in a checkout,
the checkout's root), which whoever can write can already plant code the grader
itself loads (a ``.pth`` file, or ``child.py`` itself). Not inside ``grader/``: a folder
left there after ``pip uninstall`` (which removes only the files it installed) would
make ``grader`` a namespace package that hides a later editable install. The folder's
name is a digest of the three sources and of the interpreter's version, so an edited
harness or another Python never runs an old file. Every use checks the folder (a real
folder owned by this user, no access for group or others) and each file (regular,
owned by this user, writable by no one else); otherwise, and wherever the package
cannot be written, the child runs the source as before.
``RNNGRADE_HARNESS_CACHE=0`` turns the cache off.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import py_compile
import sys
from pathlib import Path

from ..cache_trust import private_folder, trusted_file

# Beside the package, never inside it (see the module docstring); a dot keeps it unimportable.
CACHE_FOLDER = "rnngrade.cache"
HERE = Path(__file__).resolve().parent
SOURCE = HERE / "child.py"
SIBLINGS = ("wire", "confine", "forkserver")  # loaded by child.py from its own folder (isolation.HARNESS_SIBLINGS);
# forkserver: the batch workers' fork server (grader/sandbox/zygote.py), compiled with them
_OFF = ("0", "no", "off", "false")


def _digest() -> str:
    h = hashlib.sha256(importlib.util.MAGIC_NUMBER + sys.version.encode())
    for name in ("child", *SIBLINGS):
        h.update((HERE / f"{name}.py").read_bytes())
    return h.hexdigest()[:20]


def _build(folder: Path) -> None:
    folder.parent.mkdir(exist_ok=True)
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        pass
    if not private_folder(folder):
        return
    for name in ("child", *SIBLINGS):
        target = folder / f"{name}.pyc"
        if trusted_file(target):
            continue
        temporary = folder / f".{name}.{os.getpid()}.pyc"
        # Unchecked: nothing compares it with a source (the folder's name already does).
        py_compile.compile(str(HERE / f"{name}.py"), cfile=str(temporary), doraise=True,
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)


def harness() -> Path:
    """The file the child runs: ``child.pyc`` from the cache, with its siblings beside
    it, or ``child.py`` where there is no usable cache (see the module docstring)."""
    if os.environ.get("RNNGRADE_HARNESS_CACHE", "").strip().lower() in _OFF:
        return SOURCE
    try:
        folder = HERE.parent.parent / CACHE_FOLDER / f"harness-{_digest()}"
        files = [folder / f"{name}.pyc" for name in ("child", *SIBLINGS)]
        if not (private_folder(folder) and all(trusted_file(f) for f in files)):
            _build(folder)
        if private_folder(folder) and all(trusted_file(f) for f in files):
            return files[0]
    except (OSError, py_compile.PyCompileError):
        pass
    return SOURCE
