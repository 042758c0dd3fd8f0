"""The sandbox and the batch pool are type-checked like every other module: no
override in pyproject.toml turns mypy's errors off (``ignore_errors``) or relaxes
the sandbox's modules (issue 16)."""

from __future__ import annotations

import tomllib

from grader import paths


def _overrides() -> list[dict[str, object]]:
    config = tomllib.loads((paths.ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    return list(config.get("overrides", []))


def test_no_module_has_its_errors_ignored():
    ignored = [o["module"] for o in _overrides() if o.get("ignore_errors")]
    assert ignored == []


def test_the_sandbox_and_the_pool_are_not_relaxed():
    relaxed = [m for o in _overrides() if not o.get("ignore_missing_imports")
               for m in ([o["module"]] if isinstance(o["module"], str) else o["module"])]
    assert not [m for m in relaxed if m.startswith("grader.sandbox") or m == "grader.batch.pool"], relaxed
