"""How many of the catalogued mistakes that the project's mutants make does the feedback name?

    python benchmarks/diagnosis_share.py            # every mutant table: bp, recurrent, stability, capstone
    python benchmarks/diagnosis_share.py --list     # also each mutant whose names differ

Every mutant in the tables of ``tests/test_bp.py``, ``tests/test_recurrent.py``,
``tests/test_stability.py`` and ``tests/test_capstone_specs.py`` (the capstone's mistakes
37-41; its table lists the mistakes each mutant must get named) is annotated with the catalogued mistakes it makes
(``grader/mistakes.md``). Each is graded (officially, in process: trusted code) on the
exercises it touches, and the script prints, per table and overall: the mistakes made,
the share of them the feedback names, and the mistakes named that the mutant does not
make. The tests assert both exactly for every mutant; this prints the figure (issue 10).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path.insert(0, str(TESTS))

from support import grade_fast, mistakes_of, mutant  # noqa: E402


def tables() -> dict[str, list[tuple[str, dict, list[str], set[str]]]]:
    """(name, edits, exercises, mistakes made) of every mutant, by table."""
    import test_bp
    import test_capstone_specs
    import test_recurrent
    import test_stability

    bp = []
    for name, edits, must_fail, makes in test_bp.MUTANTS:
        exercises = sorted({{"softmax": "losses", "mse": "losses"}.get(c.split(".")[0], c.split(".")[0])
                            for c in must_fail})
        bp.append((name, edits, exercises, set(makes)))
    recurrent = [(name, edits, exercises, set(makes))
                 for name, (exercises, edits, makes) in test_recurrent.MUTANTS.items()]
    stability = [(name, {"stability.py": edits}, [exercise], set(makes))
                 for name, edits, exercise, _, makes in test_stability.MUTANTS]
    capstone = [(name, edits, list(test_capstone_specs.EXERCISES), {str(m) for m in makes})
                for name, (edits, _, makes) in test_capstone_specs.MUTANTS.items()]
    return {"bp": bp, "recurrent": recurrent, "stability": stability, "capstone": capstone}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="list each mutant whose named mistakes differ")
    parser.add_argument("--upto", type=int, default=None, help="count only the mistakes numbered up to this one")
    args = parser.parse_args()
    counted = (lambda ids: {m for m in ids if int(m) <= args.upto}) if args.upto else (lambda ids: set(ids))
    total_made = total_named = total_extra = total_mutants = 0
    with tempfile.TemporaryDirectory(prefix="rnngrade-share-") as tmp:
        for table, mutants in tables().items():
            made = named = extra = 0
            for k, (name, edits, exercises, makes) in enumerate(mutants):
                result = grade_fast(mutant(Path(tmp) / f"{table}{k}", edits), *exercises)
                found = counted({str(m) for m in mistakes_of(result)})
                makes = counted(makes)
                made += len(makes)
                named += len(makes & found)
                extra += len(found - makes)
                if args.list and found != makes:
                    print(f"  {table}: {name}: makes {sorted(makes)}, named {sorted(found)}")
            share = named / made if made else 1.0
            print(f"{table:10s} {len(mutants):3d} mutants  {made:3d} mistakes made  {named:3d} named "
                  f"({share:.0%})  {extra} named that are not made")
            total_made, total_named, total_extra = total_made + made, total_named + named, total_extra + extra
            total_mutants += len(mutants)
    share = total_named / total_made if total_made else 1.0
    print(f"{'all':10s} {total_mutants:3d} mutants  {total_made:3d} mistakes made  {total_named:3d} named "
          f"({share:.0%})  {total_extra} named that are not made")


if __name__ == "__main__":
    main()
