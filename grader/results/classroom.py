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

from ..fileio import write_atomic
from ..i18n import msg, render
from ..results import Result
from ..untrusted import clean_tree
from .gradescope import to_gradescope


def to_classroom(result: Result, lang: str) -> dict:
    data = to_gradescope(result, lang)
    tests = [{
        "name": t["name"],
        "status": "pass" if t["status"] == "passed" else "fail",
        "message": t["output"] or None,
        "score": t["score"],
        "max_score": t["max_score"],
        "line_no": 0,
        "execution_time": "",
        "test_code": t["extra_data"].get("id", "") if isinstance(t.get("extra_data"), dict) else "",
    } for t in data["tests"]]
    failed_to_load = result.load_status != "loaded" and not result.checks
    status = "error" if failed_to_load else ("pass" if all(t["status"] == "pass" for t in tests) else "fail")
    mode = msg("report.mode_official" if result.official else "report.mode_selfcheck")
    return clean_tree({"version": 1, "status": status, "max_score": data["extra_data"]["max_score"],
                       "tests": tests, "output": render(mode, lang)})


def write_classroom(result: Result, path: Path | str, lang: str) -> str:
    """Write the JSON and return it base64-encoded, ready for ``$GITHUB_OUTPUT``."""
    text = json.dumps(to_classroom(result, lang), ensure_ascii=False)
    write_atomic(Path(path), text)
    return base64.b64encode(text.encode()).decode()
