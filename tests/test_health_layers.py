"""The layers of ``grader/`` (docs/architecture.md) hold: every import points
down, no modules import each other in a cycle, and no module reaches into another
module's private names.

A small AST walk over every module: imports at module level, inside functions and
under ``if TYPE_CHECKING:`` all count for the direction of arrows; only the
``TYPE_CHECKING`` ones (never executed) are left out of the cycle check. The few
exceptions are listed below, each with its reason."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader import paths

GRADER = paths.ROOT / "grader"

# Lowest first. An area (a top-level module or a subpackage of grader) may import its
# own modules and those of areas in LOWER tiers only; areas of one tier never import
# each other. Kept equal to the table in docs/architecture.md (a test checks it).
TIERS: list[set[str]] = [
    {"cache_trust"},
    {"grader", "seed", "paths", "untrusted", "mistakes", "fileio", "package_data", "calls", "i18n",
     "notebook_release", "reference", "display", "quick_exit"},
    {"course", "versions", "submission", "plain"},
    {"sandbox", "checks"},
    {"specs", "experiments", "public_cases", "split"},
    {"quiz", "results", "capstone"},
    {"assignments", "generate", "identity"},
    {"api", "gradebook"},
    {"report", "validate", "scoring_doc"},
    {"batch"},
    {"similarity", "deploy"},
    {"cli"},
    {"entry"},
    {"__main__"},
]

# Modules that belong to a lower tier than their folder, with the reason.
GROUND = {
    # Constants only, no imports (asserted below). It lives in sandbox/ because the
    # child loads it by path from its own folder; both sides of the protocol and the
    # checks that build substituting calls' answers read its limits.
    "grader.sandbox.wire": 1,
}

# Imports against the arrows that are the design, each (importer, imported): lazy,
# inside a function, never at import time.
ALLOWED_UPWARD = {
    # `grader.grade` is the library API, loaded on first use so `import grader` stays cheap.
    ("grader", "grader.api"),
}

# Private names (leading underscore) that one module may take from another: none.
ALLOWED_PRIVATE: set[tuple[str, str, str]] = set()


@dataclass(frozen=True)
class Import:
    importer: str
    target: str  # a module of grader
    name: str | None  # the name taken from it (from-imports), None for `import x`
    line: int
    type_only: bool  # under `if TYPE_CHECKING:`


def module_name(path: Path) -> str:
    parts = list(path.relative_to(paths.ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(GRADER.rglob("*.py"))}


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for sub in node.body:
                inside.update(id(n) for n in ast.walk(sub))
    return inside


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only = _type_checking_nodes(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "grader":
                    found.append(Import(name, alias.name, None, node.lineno, id(node) in type_only))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "grader":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in modules:  # `from grader import seed`: the module itself
                    found.append(Import(name, sub, None, node.lineno, id(node) in type_only))
                else:
                    found.append(Import(name, target, alias.name, node.lineno, id(node) in type_only))
    for imp in found:
        assert imp.target in modules, f"{name}:{imp.line} imports {imp.target}, which is not a module of grader"
    return found


def area(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "grader"


def tier(module: str) -> int:
    if module in GROUND:
        return GROUND[module]
    for level, areas in enumerate(TIERS):
        if area(module) in areas:
            return level
    raise AssertionError(f"{module} is in no layer: add its area to TIERS and to docs/architecture.md")


@pytest.fixture(scope="module")
def graph() -> dict[str, list[Import]]:
    modules = all_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def test_every_module_has_a_layer(graph):
    for name in graph:
        tier(name)
    listed = [a for areas in TIERS for a in areas]
    assert len(listed) == len(set(listed)), "an area is in two tiers"
    present = {area(m) for m in graph}
    assert set(listed) <= present, f"tiers name areas that no longer exist: {set(listed) - present}"


def test_every_import_points_down(graph):
    wrong = []
    for name, found in graph.items():
        for imp in found:
            if area(imp.target) == area(name) and imp.target not in GROUND:
                continue
            if (name, imp.target) in ALLOWED_UPWARD:
                continue
            if tier(imp.target) >= tier(name):
                wrong.append(f"{name}:{imp.line} -> {imp.target} (tier {tier(name)} -> {tier(imp.target)})")
    assert wrong == [], "imports against the layers:\n" + "\n".join(wrong)


def test_the_allowed_upward_imports_are_lazy(graph):
    for importer, target in ALLOWED_UPWARD:
        path = all_modules()[importer]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:  # module level: none of them
            if isinstance(node, ast.ImportFrom | ast.Import):
                assert target not in {i.target for i in imports_of(importer, path, all_modules()) if i.line == node.lineno}
        assert any(i.target == target for i in graph[importer]), f"{importer} no longer imports {target}: drop it"


def test_the_ground_floor_modules_import_nothing(graph):
    for name in GROUND:
        assert graph[name] == [], f"{name} must stay standalone"
        tree = ast.parse(all_modules()[name].read_text(encoding="utf-8"))
        stray = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)
                 and not (isinstance(n, ast.ImportFrom) and n.module == "__future__")]
        assert stray == [], f"{name} imports at lines {stray}"


def test_no_import_cycles(graph):
    edges = {name: {i.target for i in found if not i.type_only and i.target != name}
             for name, found in graph.items()}
    for importer, target in ALLOWED_UPWARD:
        edges[importer].discard(target)
    # Tarjan's strongly connected components
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    assert cycles == [], f"modules that import each other: {cycles}"


def test_no_module_takes_another_modules_private_names(graph):
    wrong = []
    for name, found in graph.items():
        for imp in found:
            if imp.name and imp.name.startswith("_") and not imp.name.startswith("__") \
                    and (name, imp.target, imp.name) not in ALLOWED_PRIVATE:
                wrong.append(f"{name}:{imp.line} takes {imp.target}.{imp.name}")
    assert wrong == [], "\n".join(wrong)


def test_the_architecture_document_lists_the_same_tiers():
    text = (paths.ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| ") and line[2:3].isdigit()]
    documented = []
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        documented.append({a.strip("`/ ") for a in cells[1].split(",")})
    assert documented == TIERS, "docs/architecture.md's layer table differs from this test's TIERS"


def test_the_check_finds_a_violation(tmp_path, monkeypatch):
    """The walk sees function-level imports and relative ones (so a passing test means
    something): a lazy `from ..api import grade` inside checks is an upward arrow."""
    fake = {"grader.checks.fake": tmp_path / "fake.py", "grader.api": tmp_path / "api.py"}
    fake["grader.checks.fake"].write_text("def f():\n    from ..api import grade\n    return grade\n")
    found = imports_of("grader.checks.fake", fake["grader.checks.fake"], fake)
    assert [(i.target, i.name, i.type_only) for i in found] == [("grader.api", "grade", False)]
    assert tier("grader.api") > tier("grader.checks.fake")


MAX_LINES = 420  # "about 400"
LONG_PENDING: set[str] = set()  # none: every long module says why


def test_a_long_module_says_at_its_top_why_it_is_long():
    """Small modules with one job each; a module over ~400 lines states its reason in
    its docstring ("Over 400 lines: ...")."""
    silent = []
    for name, path in all_modules().items():
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > MAX_LINES:
            doc = ast.get_docstring(ast.parse(text)) or ""
            if "over 400 lines" not in doc.lower() and name not in LONG_PENDING:
                silent.append(f"{name} ({text.count(chr(10))} lines)")
    assert silent == [], "long modules without a stated reason: " + ", ".join(silent)
