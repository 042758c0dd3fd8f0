"""Every catalogue key is used somewhere, in both languages (the other direction,
every key the code names exists, is tests/test_i18n.py's).

A key counts as used when the code or a template names it: as a string literal, or
under a prefix that code completes at run time (``msg(f"axis.{name}")``,
``"quiz.result." + state``: the constant part of an f-string, or a literal ending in
a dot, or the left side of a ``+``). Texts found unused were removed (issue 16:
batch.run.intake, batch.students, submission.syntax_error; after the report merge
check.needs_correct_values, dashboard.stats_head, terminal.mistake_line)."""

from __future__ import annotations

import ast

from grader import paths
from grader.i18n import catalog


def _names_in_code() -> tuple[set[str], set[str]]:
    literals: set[str] = set()
    prefixes: set[str] = set()
    suffixes: set[str] = set()
    for path in (paths.ROOT / "grader").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                literals.add(node.value)
                if node.value.endswith(".") and len(node.value) > 3:
                    prefixes.add(node.value)
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and isinstance(node.left, ast.Constant) \
                    and isinstance(node.left.value, str) and len(node.left.value) > 3:
                prefixes.add(node.left.value)  # "feedback.selfcheck_totals" + ("_quiz" if quiz else "")
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and isinstance(node.right, ast.Constant) \
                    and isinstance(node.right.value, str):
                suffixes.add(node.right.value)  # key + "_of"
            elif isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
                head = str(node.values[0].value)
                if head.endswith((".", "_")) and len(head) > 3:
                    prefixes.add(head)
    return literals | {a + b for a in literals if a.count(".") == 1 for b in suffixes}, prefixes


def unused(keys: set[str]) -> list[str]:
    literals, prefixes = _names_in_code()
    templates = "\n".join(p.read_text(encoding="utf-8") for p in (paths.ROOT / "templates").rglob("*")
                          if p.is_file() and p.suffix in (".j2", ".html", ".md", ".yml", ".txt"))
    return sorted(k for k in keys if k not in literals and k not in templates
                  and not any(k.startswith(p) for p in prefixes))


def test_every_catalogue_key_is_used():
    assert unused(set(catalog())) == []


def test_every_key_has_both_languages():
    for key, texts in catalog().items():
        assert set(texts) == {"en", "zh"}, key


def test_an_unused_key_is_found():
    assert unused({"nothing.uses.this_key", "quiz.result.held_back"}) == ["nothing.uses.this_key"]
