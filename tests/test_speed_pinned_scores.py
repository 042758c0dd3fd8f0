"""Speed work must not change a single verdict (issue 15): the scores of the reference,
the stubs, the sample, the alternative implementations and every mutant of the
mutant tables (BP, recurrent, stability) are pinned, check by check (status, points,
the mistakes named), in ``pins/speed_scores.json``, written before the speed work began.

The sample and the reference are graded through the real sandbox too, since that is
where batching of calls and the leaner wire format live; the rest in this process
(the child's semantics, no sandbox), as the mutant tests do.

    python tests/test_speed_pinned_scores.py --write   # only when a verdict changes on purpose
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from support import SOLUTIONS, grade_fast, grade_official, mutant

from grader import paths

PINS = Path(__file__).parent / "pins" / "speed_scores.json"
IMPLEMENTATIONS = Path(__file__).parent / "implementations"


def _bp_mutants() -> dict[str, tuple[dict, list[str]]]:
    from test_bp import MUTANTS

    out = {}
    for name, edits, must_fail, _named in MUTANTS:
        names = {({"softmax": "losses", "mse": "losses"}.get(c.split(".")[0], c.split(".")[0])) for c in must_fail}
        out[f"bp: {name}"] = (edits, sorted(names))
    return out


def _recurrent_mutants() -> dict[str, tuple[dict, list[str]]]:
    from test_recurrent import MUTANTS

    return {f"recurrent: {name}": (edits, list(exercises)) for name, (exercises, edits, _) in MUTANTS.items()}


def _stability_mutants() -> dict[str, tuple[dict, list[str]]]:
    from test_stability import MUTANTS, F

    return {f"stability: {name}": ({F: edits}, [exercise]) for name, edits, exercise, _f, _n in MUTANTS}


def mutants() -> dict[str, tuple[dict, list[str]]]:
    return {**_bp_mutants(), **_recurrent_mutants(), **_stability_mutants()}


def implementations() -> list[Path]:
    return sorted(p for p in IMPLEMENTATIONS.glob("*/*") if p.is_dir() and p.parent.name != "similarity")


def scores(result) -> dict[str, list]:
    """Check id -> [status, points, mistakes named]: the verdict of every check."""
    return {c.id: [str(c.status), round(c.points, 4), sorted(c.mistakes)] for c in result.checks}


def graded(key: str, tmp: Path) -> dict[str, list]:
    """Grade the submission ``key`` names, as the pins were made."""
    if key == "reference":
        return scores(grade_fast(SOLUTIONS))
    if key == "reference (sandbox)":
        return scores(grade_official(SOLUTIONS, allow_unisolated=True))
    if key == "stubs":
        return scores(grade_fast(paths.EXERCISES))
    if key == "sample (sandbox)":
        return scores(grade_official(paths.EXAMPLES / "sample_submission", student="sample", allow_unisolated=True))
    if key.startswith("implementation: "):
        return scores(grade_fast(IMPLEMENTATIONS / key.removeprefix("implementation: ")))
    edits, exercises = mutants()[key]
    return scores(grade_fast(mutant(tmp, edits), *exercises))


def keys() -> list[str]:
    return (["reference", "reference (sandbox)", "stubs", "sample (sandbox)"]
            + [f"implementation: {p.relative_to(IMPLEMENTATIONS)}" for p in implementations()]
            + list(mutants()))


def _pins() -> dict[str, dict[str, list]]:
    return json.loads(PINS.read_text(encoding="utf-8"))


def test_every_pinned_submission_is_still_graded_here():
    """A mutant table that grows or loses an entry shows here, not as a silent gap."""
    assert sorted(_pins()) == sorted(keys())


@pytest.mark.parametrize("key", keys())
def test_verdicts_unchanged(tmp_path, key):
    pinned = _pins()[key]
    now = graded(key, tmp_path / "m")
    changed = {i: (pinned.get(i), now.get(i)) for i in set(pinned) | set(now) if pinned.get(i) != now.get(i)}
    assert not changed, f"{key}: verdicts changed (pinned, now): {changed}"


def _write() -> None:
    import tempfile

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for k, key in enumerate(keys()):
            out[key] = graded(key, Path(tmp) / str(k))
    PINS.parent.mkdir(exist_ok=True)
    lines = [f"{json.dumps(k)}: {json.dumps(out[k], sort_keys=True, separators=(',', ':'))}" for k in sorted(out)]
    PINS.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")  # one line per submission
    print(f"wrote {len(out)} submissions to {PINS}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        sys.path.insert(0, str(Path(__file__).parent))
        _write()
