"""The assignment as one Jupyter notebook, written with nbformat.

Students who prefer Jupyter work in ``exercises/notebook/assignment.ipynb``: the
same stubs as the ``.py`` modules, one function per code cell, each module
introduced by its docstring. Imports between the course's own modules are left
out (a notebook is one namespace) and modules come in dependency order. Cell ids
are fixed, so the file is byte-for-byte reproducible and a test can prove the
checked-in notebook is what ``rnngrade generate`` makes.
"""

from __future__ import annotations

import ast

NOTEBOOK_PATH = "notebook/assignment.ipynb"

INTRO = """# 循环神经网络 RNN 与 LSTM · 编程作业 / RNN and LSTM · programming assignment

在每个 `# YOUR CODE HERE` 处实现函数（删除 `raise NotImplementedError`）。文档字符串给出了每个数组的形状。
Implement each function at `# YOUR CODE HERE` (remove the `raise NotImplementedError`). The
docstrings give every array's shape.

自检 / Self-check (in a terminal, not in this notebook): `rnngrade grade notebook/assignment.ipynb`.
概念测验 / Concept quiz: `rnngrade quiz --student <your id>`; hand in `quiz_answers.toml` with this notebook.
"""


def _local_imports(tree: ast.Module, local: set[str]) -> set[str]:
    found = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module in local:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in local)
    return found


def _order(trees: dict[str, ast.Module]) -> list[str]:
    """Modules after the modules they import (then by name)."""
    local = set(trees)
    deps = {name: _local_imports(tree, local) for name, tree in trees.items()}
    done: list[str] = []
    while len(done) < len(trees):
        ready = sorted(n for n in trees if n not in done and deps[n] <= set(done))
        if not ready:  # an import cycle: keep the rest in name order
            ready = sorted(n for n in trees if n not in done)
        done.append(ready[0])
    return done


def build_notebook(sources: dict[str, str]) -> str:
    """The notebook (JSON text) for module sources {module name: Python source}."""
    import nbformat

    trees = {name: ast.parse(src) for name, src in sources.items()}
    local = set(sources)
    cells = [nbformat.v4.new_markdown_cell(INTRO)]
    for name in _order(trees):
        tree, lines = trees[name], sources[name].splitlines()
        doc = ast.get_docstring(tree) or ""
        cells.append(nbformat.v4.new_markdown_cell(f"## `{name}.py`\n\n{doc}".rstrip()))
        pending: list[str] = []
        for node in tree.body:
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and node is tree.body[0]:
                continue  # the module docstring, shown above
            if isinstance(node, (ast.Import, ast.ImportFrom)) and _local_imports(
                    ast.Module(body=[node], type_ignores=[]), local):
                continue  # one namespace: the course's modules are cells above
            start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
            segment = "\n".join(lines[start:node.end_lineno])
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                if pending:
                    cells.append(nbformat.v4.new_code_cell("\n".join(pending)))
                    pending = []
                cells.append(nbformat.v4.new_code_cell(segment))
            else:
                pending.append(segment)
        if pending:
            cells.append(nbformat.v4.new_code_cell("\n".join(pending)))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                   "language_info": {"name": "python"}}
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i:03d}"
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"
