"""The repository checkout's folders, for the tests, benchmarks and development.

The package itself never reads these at run time (in an installed wheel they would
point into site-packages): course material is found with :mod:`grader.course`, and
package data (templates, the bundled public release) with :mod:`grader.package_data`.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises"
SOLUTIONS = ROOT / "solutions"
TEMPLATES = ROOT / "templates"
EXAMPLES = ROOT / "examples"
