"""docs/authoring.md works as written: its worked exercise (the reference, one spec entry,
its texts) is graded with full marks and its mutants caught, and its example of a new
kind of check passes the reference and fails a layer that mixes the samples of a batch."""

from __future__ import annotations

import re
import shutil
import textwrap
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from support import SOLUTIONS

from grader import paths
from grader.api import grade
from grader.calls import Call
from grader.checks.compare import as_float_array, close
from grader.checks.engine import Exercise
from grader.checks.kinds import failed_call
from grader.checks.model import Check, CheckResult, Context, Kind
from grader.generate import strip_solutions
from grader.i18n import catalog, msg
from grader.specs import bp

GUIDE = (paths.ROOT / "docs" / "authoring.md").read_text(encoding="utf-8")


def block(lang: str, containing: str) -> str:
    """The guide's code block in ``lang`` that contains ``containing``."""
    found = [b for b in re.findall(rf"```{lang}\n(.*?)```", GUIDE, re.S) if containing in b]
    assert len(found) == 1, f"the guide has {len(found)} {lang} blocks with {containing!r}"
    return found[0]


@pytest.fixture()
def texts(monkeypatch):
    """The guide's catalogue entries, as if added to grader/i18n/messages."""
    added = {}
    for text in (block("toml", "leaky_relu.en"), block("toml", "batch_rows.en")):
        for table, entries in tomllib.loads(text).items():
            for key, value in entries.items():
                added[f"{table}.{key.split('.')[0]}"] = {**added.get(f"{table}.{key.split('.')[0]}", {}), **value} \
                    if isinstance(value, dict) else value
    for key, langs in added.items():
        monkeypatch.setitem(catalog(), key, langs)
    return added


@pytest.fixture()
def with_leaky_relu(tmp_path) -> Path:
    """The reference with the guide's leaky ReLU added to layers.py."""
    folder = tmp_path / "solutions"
    shutil.copytree(SOLUTIONS, folder, ignore=shutil.ignore_patterns("__pycache__", "quiz"))
    layers = folder / "layers.py"
    layers.write_text(layers.read_text(encoding="utf-8") + "\n\n" + block("python", "def leaky_relu_forward"),
                      encoding="utf-8")
    return folder


def _grade(submission: Path, solutions: Path, exercises: list[Exercise]):
    return grade(submission, solutions=solutions, student="author", exercises=exercises, trusted_in_process=True,
                 strict=True)


def test_the_worked_exercise_needs_only_the_reference_one_spec_entry_and_its_texts(with_leaky_relu, texts):
    assert set(texts) == {"exercise.leaky_relu", "property.batch_rows"}
    spec = bp._activation("leaky_relu")  # the one spec entry the guide adds to exercises()
    assert '_activation("leaky_relu")' in block("python", "def exercises()")
    assert spec.functions == ["leaky_relu_forward", "leaky_relu_backward"]
    result = _grade(with_leaky_relu, with_leaky_relu, [spec])
    assert result.max_score == 7 and result.score == result.max_score, \
        [(c.id, c.messages) for c in result.checks if c.status != "passed"]
    stub = strip_solutions((with_leaky_relu / "layers.py").read_text(encoding="utf-8"))
    assert 'raise NotImplementedError("leaky_relu_forward")' in stub and "np.where(x > 0, x, 0.01 * x)" not in stub

    # The guide's mutant table catches every item of the new exercise.
    table = block("python", "MUTANTS = [")
    mutants = [m for m in eval(table.split("=", 1)[1].replace("...,", ""))]  # noqa: S307 - our own document
    caught: set[str] = set()
    for k, (name, edits, must_fail, named) in enumerate(mutants):
        copy = with_leaky_relu.parent / f"mutant{k}"
        shutil.copytree(with_leaky_relu, copy)
        for file, pairs in edits.items():
            text = (copy / file).read_text(encoding="utf-8")
            for old, new in pairs:
                assert old in text, f"{name}: {old!r} is not in the guide's reference"
                text = text.replace(old, new)
            (copy / file).write_text(text, encoding="utf-8")
        graded = _grade(copy, with_leaky_relu, [spec])
        failed = {c.id for c in graded.checks if c.status != "passed"}
        assert must_fail <= failed, f"{name}: {must_fail - failed} did not fail"
        assert named <= set(graded.mistakes()), f"{name}: mistakes {named} not named"
        caught |= must_fail
    assert {c.id for c in result.checks} <= caught


def _namespace() -> dict[str, Any]:
    ns: dict[str, Any] = {"dataclass": dataclass, "Callable": Any, "Any": Any, "np": np, "Check": Check,
                          "CheckResult": CheckResult, "Context": Context, "Kind": Kind, "Call": Call, "msg": msg,
                          "failed_call": failed_call, "as_float_array": as_float_array, "close": close}
    exec("from __future__ import annotations\n" + textwrap.dedent(block("python", "class BatchRowsCheck")), ns)
    return ns


def test_the_example_check_passes_the_reference_and_fails_a_layer_that_mixes_samples(tmp_path, texts):
    BatchRowsCheck = _namespace()["BatchRowsCheck"]
    inputs = lambda rng: {"x": rng.standard_normal((5, 4)) + 0.5}  # noqa: E731
    exercise = Exercise("relu_rows", msg("exercise.relu"), "layers.py", ["relu_forward"],
                        [BatchRowsCheck("relu_rows.batch", "relu_forward", inputs, 1.0)])
    ok = _grade(SOLUTIONS, SOLUTIONS, [exercise])
    assert [c.status for c in ok.checks] == ["passed"] and ok.checks[0].kind == Kind.PROPERTY
    mixing = tmp_path / "mixing"
    shutil.copytree(SOLUTIONS, mixing, ignore=shutil.ignore_patterns("__pycache__"))
    layers = mixing / "layers.py"
    text = layers.read_text(encoding="utf-8")
    assert "    return np.maximum(0.0, x), x\n" in text
    layers.write_text(text.replace("    return np.maximum(0.0, x), x\n",
                                   "    return np.maximum(0.0, x - x.mean(axis=0) + x.mean()), x\n"),
                      encoding="utf-8")
    bad = _grade(mixing, SOLUTIONS, [exercise]).checks[0]
    assert bad.status == "failed" and bad.messages[0].key == "property.batch_rows"
    missing = _grade(paths.EXERCISES, SOLUTIONS, [exercise]).checks[0]  # a stub: the call fails, said as usual
    assert missing.status == "failed" and missing.messages[0].key == "call.not_implemented"
