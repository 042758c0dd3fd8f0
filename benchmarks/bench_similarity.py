"""How long does the similarity check take for a class? Generates a class of N
submissions and runs what ``rnngrade similarity`` runs: read and fingerprint every
submission, score the pairs, write the HTML page, CSV and JSON.

    python benchmarks/bench_similarity.py --students 1000 --jobs 2

The generated class is built like a real one: every student assembles the graded
functions from the project's correct implementations (the reference, the
alternative implementations in tests/implementations, the sample submission), one
source per function, each written in their own words (every local name renamed,
their own comments, layout and small additions such as an assert or a copy), in
folders, single files or notebooks. Some students then copy: a whole submission,
disguised, or a single function. The script prints the time of each phase beside
the machine's load average, and where the planted copies rank.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import sys
import tempfile
import time
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the synthetic-class helpers shared with the tests

from similarity_class import (  # noqa: E402
    IMPL,
    SAMPLE,
    disguise,
    rename_locals,
    restyle,
    strip_comments_and_docstrings,
    top_level_chunks,
    write_notebook,
)

from grader import paths  # noqa: E402
from grader.similarity import compare_class, graded_functions  # noqa: E402
from grader.similarity.render import write_csv, write_html, write_json  # noqa: E402

# Statements an honest student adds in their own words (names and numbers are
# normalised away, so the variety is in the structure): about 150 different ones,
# each shared by the few students who happen to write the same.
_CALLS = ["np.asarray", "np.array", "np.copy", "np.atleast_1d", "np.ascontiguousarray", "np.float64"]
_ATTRS = ["shape", "ndim", "size", "dtype", "T", "nbytes"]
EDITS = (
    [f"    _seen = {call}({{arg}}).{attr}\n" for call in _CALLS for attr in _ATTRS]
    + [f"    assert {{arg}}.{attr} is not None\n" for attr in _ATTRS]
    + [f"    assert np.all(np.isfinite({call}({{arg}})))\n" for call in _CALLS]
    + [f"    if {{arg}}.{attr} is None:\n        raise ValueError('bad input')\n" for attr in _ATTRS]
    + [f"    _debug = [{call}({{arg}}), {{arg}}.{attr}]\n" for call in _CALLS for attr in _ATTRS]
    + [f"    _debug = {{{{'value': {{arg}}.{attr}}}}}\n" for attr in _ATTRS]
)


def sources() -> list[Path]:
    """Files with correct implementations of some graded functions."""
    found = [*sorted(paths.SOLUTIONS.glob("*.py")), *sorted(SAMPLE.glob("*.py"))]
    for folder in ("bp", "recurrent", "stability", "similarity"):
        found += sorted(p for p in (IMPL / folder).rglob("*.py") if p.name != "__init__.py")
    return found


def variants(functions: list[str]) -> dict[str, list[str]]:
    """Every available implementation of each graded function, as text."""
    pool: dict[str, list[str]] = {f: [] for f in functions}
    wanted = set(functions)
    for path in sources():
        _, chunks = top_level_chunks(path.read_text(encoding="utf-8"))
        for chunk in chunks:
            m = re.match(r"def (\w+)\(", chunk)
            if m and m.group(1) in wanted:
                text = re.sub(r"\n\s*# (BEGIN|END) SOLUTION", "", chunk)
                pool[m.group(1)].append(text)
    return pool


def _rewrite(line: str, rng: random.Random) -> str:
    """One of the small, meaning-preserving choices students make differently."""
    choice = rng.randrange(6)
    if choice == 0:
        return re.sub(r"\b(\w+)\.T\b", r"np.transpose(\1)", line, count=1)
    if choice == 1:
        return re.sub(r"\b(\w+)\.sum\(axis=(\d)\)", r"np.sum(\1, axis=\2)", line, count=1)
    if choice == 2:
        return re.sub(r"np\.zeros\((\w+)\.shape\)", r"np.zeros_like(\1)", line, count=1)
    if choice == 3:
        return re.sub(r"\b(\w+) \+= ", r"\1 = \1 + ", line, count=1)
    if choice == 4:
        return re.sub(r"(\w+)\.shape\[0\]", r"len(\1)", line, count=1)
    return re.sub(r"np\.dot\((\w+), (\w+)\)", r"\1 @ \2", line, count=1)


def own_words(text: str, rng: random.Random, seed: int) -> str:
    """A function as one student writes it: the structure of ``text``, with their
    own names, a few statements of their own and their own small choices."""
    lines = strip_comments_and_docstrings(text).splitlines(keepends=True)
    header_end = next(i for i, line in enumerate(lines) if line.rstrip().endswith(":")) + 1
    params = re.findall(r"(\w+)\s*[,)=]", lines[0].split("(", 1)[1]) or ["x"]
    out = lines[:header_end]
    depth = 0
    for line in lines[header_end:]:
        if rng.random() < 0.3:
            line = _rewrite(line, rng)
        out.append(line)
        depth += line.count("(") + line.count("[") + line.count("{") - line.count(")") - line.count("]") \
            - line.count("}")
        stripped = line.strip()
        complete = depth == 0 and stripped and not stripped.endswith((":", ",", "\\")) \
            and not stripped.startswith(("return", "raise", "None"))
        if complete and line.startswith("    ") and not line.startswith("     ") and rng.random() < 0.25:
            out.append(rng.choice(EDITS).format(arg=rng.choice(params)))
    text = "".join(out)
    try:
        return rename_locals(text, random.Random(seed))
    except (SyntaxError, tokenize.TokenError):  # an odd chunk the helper cannot lex: keep its names
        return text


def honest_submission(rng: random.Random, pool: dict[str, list[str]], seed: int) -> list[str]:
    """One student's functions, each from a random source, in the student's own words."""
    out = []
    for texts in pool.values():
        if not texts or rng.random() < 0.05:  # a few functions left undone
            continue
        text = own_words(rng.choice(texts), rng, seed * 1000 + len(out))
        out.append(restyle(text, rng, dummy=rng.random() < 0.3))
    return out


def write_student(folder: Path, student: str, functions: list[str], rng: random.Random) -> None:
    header = "import math\n\nimport numpy as np\n\n\n"
    layout = rng.random()
    if layout < 0.7:
        target = folder / student
        target.mkdir()
        split = max(1, len(functions) // 3)
        for i, part in enumerate((functions[:split], functions[split:2 * split], functions[2 * split:])):
            (target / f"part{i}.py").write_text(header + "\n\n".join(part), encoding="utf-8")
    elif layout < 0.9:
        (folder / f"{student}.py").write_text(header + "\n\n".join(functions), encoding="utf-8")
    else:
        write_notebook(folder / f"{student}.ipynb", [header, *functions])


def generate(folder: Path, students: int, seed: int) -> tuple[set[frozenset[str]], int]:
    """Write the class; returns the planted copied pairs and how many honest students."""
    rng = random.Random(seed)
    pool = variants(graded_functions())
    written: dict[str, list[str]] = {}
    planted: set[frozenset[str]] = set()
    n_copies = max(2, students // 50)
    honest = students - n_copies
    for i in range(honest):
        name = f"s{i:04d}"
        written[name] = honest_submission(rng, pool, i)
        write_student(folder, name, written[name], rng)
    for j in range(n_copies):
        name = f"s{honest + j:04d}"
        original = f"s{rng.randrange(honest):04d}"
        mine = honest_submission(rng, pool, honest + j)
        if j % 2 == 0:  # the whole submission, disguised again
            theirs = written[original]
            copied = [disguise(t, 10_000 + j, shuffle=False) for t in theirs]
            rng.shuffle(copied)
        else:  # one large function, the rest their own
            theirs = max(written[original], key=len)
            name_of = lambda text: re.search(r"def (\w+)\(", text).group(1)  # noqa: E731
            copied = [t for t in mine if name_of(t) != name_of(theirs)]
            copied.append(disguise(theirs, 20_000 + j, shuffle=False))
            rng.shuffle(copied)
        write_student(folder, name, copied, rng)
        planted.add(frozenset({name, original}))
    return planted, honest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "class"
        folder.mkdir()
        t0 = time.perf_counter()
        planted, honest = generate(folder, args.students, args.seed)
        print(f"generated {args.students} submissions ({len(planted)} planted copies) in "
              f"{time.perf_counter() - t0:.1f} s")
        load_before = os.getloadavg()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_children_before = before.ru_utime + before.ru_stime
        t0, c0 = time.perf_counter(), time.process_time()
        result = compare_class(folder, starter=[paths.EXERCISES], reference=paths.SOLUTIONS, jobs=args.jobs)
        compared = time.perf_counter() - t0
        t1 = time.perf_counter()
        out = Path(tmp) / "out"
        write_html(result, out / "similarity.html", "en")
        write_csv(result, out / "similarity.csv")
        write_json(result, out / "similarity.json")
        written = time.perf_counter() - t1
        total = time.perf_counter() - t0
        load_after = os.getloadavg()
        sizes = {p.name: p.stat().st_size for p in out.iterdir()}
        ranks = {frozenset({p.a, p.b}): p.rank for p in result.top(500)}
        found = sorted(ranks.get(pair, 0) for pair in planted)
    phases = ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items())
    print(f"compared {args.students} submissions with {args.jobs} workers in {compared:.1f} s ({phases}); "
          f"outputs in {written:.1f} s; total {total:.1f} s (parent CPU {time.process_time() - c0:.1f} s)")
    print(f"{len(result.pairs)} pairs share a fingerprint; {result.pairs.common_dropped} common fingerprints dropped "
          f"(shared by more than {result.common} students); outputs: "
          + ", ".join(f"{k} {v / 1024:.0f} KB" for k, v in sorted(sizes.items())))
    print(f"planted copies found in the top 500: {sum(1 for r in found if r)} of {len(planted)}; "
          f"ranks {[r for r in found if r]}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"CPU time of the workers: {children.ru_utime + children.ru_stime - cpu_children_before:.1f} s; "
          f"peak memory: {peak:.0f} MB in the parent, {children.ru_maxrss / 1024:.0f} MB in the largest worker")
    print(f"machine: {os.cpu_count()} CPUs, load average {load_before[0]:.2f} before, {load_after[0]:.2f} after "
          f"(1 min); Python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
