"""Load trusted reference code (``solutions/``) into the parent process.

Reference modules import each other by bare name (``from layers import ...``), like
student modules do. They are imported with their folder first on ``sys.path``, and
afterwards removed from ``sys.modules`` again so that loading several solution
folders in one process (tests do) never mixes them up.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Callable
from pathlib import Path


class ReferenceError_(Exception):
    """The solutions folder is missing or broken."""


def load_reference(folder: Path | str) -> dict[str, Callable]:
    """Every public function defined in the folder's top-level modules, by name."""
    folder = Path(folder).resolve()
    if not folder.is_dir():
        raise ReferenceError_(f"solutions folder not found: {folder}")
    before = set(sys.modules)
    sys.path.insert(0, str(folder))
    functions: dict[str, Callable] = {}
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
        sys.path.remove(str(folder))
        for name in set(sys.modules) - before:
            file = getattr(sys.modules[name], "__file__", None) or ""
            if file.startswith(str(folder)):
                del sys.modules[name]
    return functions
