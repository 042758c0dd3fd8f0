"""Results for GitHub Classroom's autograding reporter.

The reporter (``autograding-grading-reporter``) reads, per test runner, a JSON
object passed base64-encoded in the environment variable ``<RUNNER>_RESULTS``:
``{"version": 1, "status": "pass"|"fail"|"error", "max_score": N, "tests": [{"name",
"status", "message", "score", ...}]}``; it adds up the tests' ``score`` against
``max_score`` and shows each test's name and message. ``docs/ci.md`` has the
workflow that wires ``rnngrade grade --classroom`` into it.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from ..checks.model import Status
from ..fileio import write_atomic
from ..i18n import msg, render
from ..results import Result
from ..untrusted import clean_tree
from .gradescope import to_gradescope


def to_classroom(result: Result, lang: str) -> dict[str, Any]:
    data = to_gradescope(result, lang)
    # A self-check's items it cannot judge (a counted quiz's answers: pending, worth 0
    # of 0) are neither a pass nor a failure: Classroom's reporter has no third state,
    # so they are left out here (results.json keeps them, with their status).
    judged = [t for t in data["tests"]
              if not (t["max_score"] == 0 and isinstance(t.get("extra_data"), dict)
                      and t["extra_data"].get("status") == Status.PENDING)]
    tests = [{
        "name": t["name"],
        "status": "pass" if t.get("status") == "passed" else "fail",  # no neutral state there
        "message": t["output"] or None,
        "score": t["score"],
        "max_score": t["max_score"],
        "line_no": 0,
        "execution_time": "",
        "test_code": t["extra_data"].get("id", "") if isinstance(t.get("extra_data"), dict) else "",
    } for t in judged]
    failed_to_load = result.load_status != "loaded" and not result.checks
    status = "error" if failed_to_load else ("pass" if all(t["status"] == "pass" for t in tests) else "fail")
    mode = msg("report.mode_official" if result.official else "report.mode_selfcheck")
    return clean_tree({"version": 1, "status": status, "max_score": data["extra_data"]["max_score"],
                       "tests": tests, "output": render(mode, lang)})


# The reporter receives the base64 JSON in one environment variable; Linux caps one
# "NAME=value" string at MAX_ARG_STRLEN = 128 KiB. Leave room for the name.
ENV_VALUE_BYTES = 128 * 1024 - 256
MESSAGE_CHARS = (400, 160, 60)  # successive caps of one test's message while the payload is too big


def _encoded_size(data: dict[str, Any]) -> int:
    n = len(json.dumps(data, ensure_ascii=False).encode())
    return 4 * ((n + 2) // 3)


def _grouped(data: dict[str, Any], result: Result, lang: str) -> dict[str, Any]:
    """One test per exercise (points kept): the last resort for a payload still too big."""
    tests = []
    for ex in result.exercises:
        failed = [c for c in ex.results if c.status != Status.PASSED]
        tests.append({"name": render(ex.exercise.title, lang), "status": "fail" if failed else "pass",
                      "message": render(msg("deploy.classroom_grouped", failed=len(failed), total=len(ex.results)),
                                        lang),
                      "score": ex.points, "max_score": ex.max_points, "line_no": 0, "execution_time": "",
                      "test_code": ex.exercise.name})
    return dict(data, tests=tests)


def fit_classroom(data: dict[str, Any], result: Result, lang: str, limit: int = ENV_VALUE_BYTES) -> dict[str, Any]:
    """``data`` shortened until its base64 form fits one environment variable: messages
    capped, then one test per exercise. Scores never change."""
    if _encoded_size(data) <= limit:
        return data
    for cap in MESSAGE_CHARS:
        tests = [dict(t, message=(t["message"][:cap] + "…") if t.get("message") and len(t["message"]) > cap
                      else t.get("message"), test_code="") for t in data["tests"]]
        shorter = dict(data, tests=tests)
        if _encoded_size(shorter) <= limit:
            return shorter
    return _grouped(data, result, lang)


def write_classroom(result: Result, path: Path | str, lang: str) -> str:
    """Write the JSON and return it base64-encoded, ready for ``$GITHUB_OUTPUT`` (within
    the size of one environment variable: :func:`fit_classroom`)."""
    text = json.dumps(fit_classroom(to_classroom(result, lang), result, lang), ensure_ascii=False)
    write_atomic(Path(path), text)
    return base64.b64encode(text.encode()).decode()
