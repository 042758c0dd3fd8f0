"""Load trusted reference code (``solutions/``) into the parent process.

Reference modules import each other by bare name (``from layers import ...``), like
student modules do. While a folder loads, a finder placed first on ``sys.meta_path``
resolves its top-level modules by name (the folder is never put on ``sys.path``);
afterwards they are removed from ``sys.modules`` again so that loading several
solution folders in one process (tests do) never mixes them up.

Modules are compiled from their source every time they load: no ``__pycache__`` file is
read or written, so nothing another process left next to the reference (a stale or
planted ``.pyc`` whose timestamps match) can run in the grader. The code compiled from a
given source is kept in this process's memory, keyed by that source's bytes as read
now, so a batch worker grading hundreds compiles the reference once.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import inspect
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any


class ReferenceError_(Exception):
    """The solutions folder is missing or broken."""


_COMPILED: dict[tuple[str, bytes], types.CodeType] = {}
_COMPILED_MAX = 64


def _compiled(path: Path) -> types.CodeType:
    """The code of ``path``'s source as it is now (compiled once per process per source)."""
    source = path.read_bytes()
    key = (str(path), source)
    code = _COMPILED.get(key)
    if code is None:
        code = compile(source, str(path), "exec", dont_inherit=True)
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.clear()
        _COMPILED[key] = code
    return code


def source_module(name: str, path: Path) -> types.ModuleType:
    """Execute the Python file ``path`` as a new module ``name``, compiled from source."""
    module = types.ModuleType(name)
    module.__file__ = str(path)
    exec(_compiled(path), module.__dict__)
    return module


class _FolderFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Top-level modules of one folder, by bare name, compiled from source."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def find_spec(self, name: str, path: object = None, target: object = None) -> importlib.machinery.ModuleSpec | None:
        if path is not None or "." in name:
            return None
        file = self.folder / f"{name}.py"
        if not file.is_file():
            return None
        return importlib.util.spec_from_loader(name, self, origin=str(file))

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None  # the default module object

    def exec_module(self, module: types.ModuleType) -> None:
        assert module.__spec__ is not None and module.__spec__.origin is not None
        file = Path(module.__spec__.origin)
        module.__file__ = str(file)
        exec(_compiled(file), module.__dict__)


def load_reference(folder: Path | str) -> dict[str, Callable[..., Any]]:
    """Every public function defined in the folder's top-level modules, by name."""
    folder = Path(folder).resolve()
    if not folder.is_dir():
        raise ReferenceError_(f"solutions folder not found: {folder}")
    before = set(sys.modules)
    finder = _FolderFinder(folder)
    sys.meta_path.insert(0, finder)
    functions: dict[str, Callable[..., Any]] = {}
    try:
        for path in sorted(folder.glob("*.py")):
            if path.stem.startswith("_"):
                continue
            module = importlib.import_module(path.stem)
            for name, obj in vars(module).items():
                if inspect.isfunction(obj) and obj.__module__ == module.__name__ and not name.startswith("_"):
                    functions[name] = obj
    except Exception as exc:
        raise ReferenceError_(f"cannot import the reference in {folder}: {exc!r}") from exc
    finally:
        sys.meta_path.remove(finder)
        for name in set(sys.modules) - before:
            file = getattr(sys.modules[name], "__file__", None) or ""
            if file.startswith(str(folder)):
                del sys.modules[name]
    return functions
