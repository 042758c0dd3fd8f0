"""results.json in Gradescope's autograder format.

Top level: ``score``, ``output``, ``visibility``, ``stdout_visibility``,
``execution_time``, ``tests`` and ``extra_data``. Each test: ``name``, ``number``,
``score``, ``max_score``, ``status`` ("passed"/"failed", the two Gradescope knows; it is
optional there, and an item not counted (pending: ours in ``extra_data``) has none, so
that no export calls it "failed"), ``output``,
``visibility``, ``tags``. Our own fields (mistake ids, details, both languages of
each message) go under ``extra_data`` where Gradescope ignores them. GitHub
Classroom's autograding reads the same file's ``score``/``max_score``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..checks.model import PASSED, PENDING
from ..fileio import write_atomic
from ..i18n import LANGS, msg
from ..i18n import render_lenient as render
from ..results import Result
from ..untrusted import clean, clean_tree, json_is_clean
from .text import adjustment_message, adjustment_title, check_output, notices_text

_PLAIN = frozenset({str, int, bool, type(None)})  # exactly these types: numpy's scalars subclass some


def _jsonable(v: Any) -> Any:
    if type(v) in _PLAIN:  # most of the leaves: returned as they are by the tests below too
        return v
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if hasattr(v, "to_dict"):
        return v.to_dict()
    if hasattr(v, "item"):
        return v.item()
    if isinstance(v, float) and v != v:
        return None
    return v


def to_gradescope(result: Result, lang: str) -> dict[str, Any]:
    """The results as Gradescope's dict, every string made safe (:func:`grader.untrusted.clean_tree`)."""
    return clean_tree(_gradescope(result, lang))


def _gradescope(result: Result, lang: str) -> dict[str, Any]:
    """The same, its strings as they are."""
    tests: list[dict[str, Any]] = []
    for number, r in enumerate(result.checks, start=1):
        test = {
            "name": render(r.title, lang),
            "number": str(number),
            "score": r.points,
            "max_score": r.max_points,
            "output": check_output(r, lang),
            "visibility": r.visibility,
            "tags": [r.exercise, r.kind] + [f"mistake-{m}" for m in r.mistakes],
            "extra_data": {
                "id": r.id,
                "status": str(r.status),  # ours: passed, failed or pending (not counted yet)
                "function": r.func,
                "mistakes": r.mistakes,
                "messages": {lg: [render(m, lg) for m in r.messages] for lg in LANGS},
                "details": _jsonable(r.details),
            },
        }
        if r.status != PENDING:  # Gradescope knows passed and failed; not counted is neither
            test["status"] = "passed" if r.status == PASSED else "failed"
        tests.append(test)
    tests += result.extras.get("gradescope_tests", [])
    # Manual adjustments and the late penalty: each is said as a test worth nothing itself (a
    # test's score stays within 0 and its maximum) and no item id (the gradebook does not count
    # it among the checks); the top-level score, which Gradescope takes over the tests' sum,
    # includes their points.
    adjusted = 0.0
    for line in result.adjustments:
        points = float(line.get("points", 0.0))
        adjusted += points
        tests.append({
            "name": render(adjustment_title(line), lang) + f" ({points:+g})",
            "score": 0.0,
            "max_score": 0.0,
            "status": "passed" if points >= 0 else "failed",
            "output": render(adjustment_message(line), lang),
            "visibility": "visible",
            "tags": [line.get("kind", "adjustment")],
            "extra_data": {"adjustment": dict(line), "points": points},
        })
    score = round(max(sum(t["score"] for t in tests) + adjusted, 0.0), 4) + 0.0
    max_score = round(sum(t["max_score"] for t in tests), 4)
    mode = msg("report.mode_official" if result.official else "report.mode_selfcheck")
    return {
        "score": score,
        "output": render(mode, lang) + "\n" + notices_text(result, lang),
        "output_format": "text",
        "test_output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "execution_time": round(result.seconds, 3),
        "tests": tests,
        "extra_data": {
            "max_score": max_score,
            "student": result.student,
            "assignment": result.assignment,
            "official": result.official,
            "isolation": result.isolation,
            "isolated": result.isolated,
            "fingerprint": result.fingerprint,
            "files": result.files,
            "grader_version": result.version,
            "versions": dict(result.versions),
            "graded_at": result.graded_at,
            "mistakes": result.mistakes(),
            "graded_score": result.graded_score,
            "adjustments": [dict(line) for line in result.adjustments],
            "due": result.due,
            "handed_in": result.handed_in,
            "exercises": [{"name": e.exercise.name, "score": e.points, "max_score": e.max_points,
                           "notes": {lg: [render(n, lg) for n in e.notes] for lg in LANGS}}
                          for e in result.exercises],
        },
    }


# JSON's own escapes of the control characters clean() changes (it keeps only TAB and LF):
# \b, \f, \r and \u0000-\u001f. A match may be an escaped backslash followed by one of
# these letters: that only sends the text the long way.
_JSON_CONTROL = re.compile(r"\\[bfr]|\\u00[01]")


def dumps_clean(tree: Any) -> str:
    """``json.dumps(clean_tree(tree))``, compact, not ASCII-escaped; the same text.

    Nearly always nothing in the tree needs cleaning, and the dumped text says so at the
    cost of two searches: every character clean() changes from DEL up is written as it
    is, and the controls below it as JSON escapes. Only then is the whole tree walked."""
    text = json.dumps(tree, ensure_ascii=False, separators=(",", ":"))
    if clean(text) is text and _JSON_CONTROL.search(text) is None:
        return text
    return json.dumps(clean_tree(tree), ensure_ascii=False, separators=(",", ":"))


def gradescope_json(result: Result, lang: str) -> tuple[dict[str, Any], str]:
    """:func:`to_gradescope`'s dict and its text as :func:`write_results` writes it, for a
    batch worker that sends both (the parent writes the text and records the dict).
    The dict is walked to clean only when the text shows something to clean; it may
    then share values with ``result`` (tuples stay tuples): send it, do not change it."""
    tree = _gradescope(result, lang)
    text = json.dumps(tree, ensure_ascii=False, separators=(",", ":"))
    if json_is_clean(text):
        return tree, text
    tree = clean_tree(tree)
    return tree, json.dumps(tree, ensure_ascii=False, separators=(",", ":"))


def write_results(result: Result, path: Path | str, lang: str) -> None:
    """Write results.json atomically (a reader never sees half a file). The sink
    boundary: every string (student output, file names, messages) made safe to write."""
    write_atomic(Path(path), dumps_clean(_gradescope(result, lang)))
