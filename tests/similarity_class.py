"""A synthetic class for the similarity tests: honest students with independently
written correct code, and copiers who disguised someone else's code.

Honest code comes from the project's alternative correct implementations
(``tests/implementations``) and two more written for these tests
(``tests/implementations/similarity``). Pieces known to share an author's habits
(the sample submission's recurrent layers and ``cs231n_classic``) are never given
to two different honest students.

:func:`disguise` is what a copier does to hide a copy: every local name renamed,
comments and docstrings replaced, indentation and blank lines changed, a dummy
statement here and there, the functions in another order.
"""

from __future__ import annotations

import builtins
import io
import json
import keyword
import random
import re
import shutil
import tokenize
from pathlib import Path

from grader import paths

IMPL = Path(__file__).parent / "implementations"
SAMPLE = paths.EXAMPLES / "sample_submission"
GRADED_NAMES = frozenset({
    "sigmoid_forward", "sigmoid_backward", "tanh_forward", "tanh_backward", "relu_forward", "relu_backward",
    "affine_forward", "affine_backward", "softmax_loss", "mse_loss", "two_layer_net_loss", "sgd_step",
    "rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward", "birnn_forward", "birnn_backward",
    "lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward", "gru_step_forward",
    "gru_step_backward", "gru_forward", "gru_backward", "clip_grad_norm", "init_weights", "l2_regularization",
    "batchnorm_forward", "batchnorm_backward", "residual_forward", "residual_backward",
})
_KEEP = GRADED_NAMES | {"np", "numpy", "math", "layers", "self"} | set(dir(builtins))
_WORDS = ["val", "tmp", "acc", "res", "buf", "arr", "mat", "vec", "item", "part", "piece", "elem", "thing", "data",
          "my", "cur", "nxt", "aux", "q", "z"]
_COMMENTS = ["# compute this part", "# now the main step", "# TODO tidy up", "# (from the lecture)",
             "# gradient here", "# keep for later", "# check the shapes", "# loop over time"]


def rename_locals(text: str, rng: random.Random) -> str:
    """Every identifier that is not a graded function, a module, a builtin, an
    attribute or a keyword argument gets a new name (consistently)."""
    toks = list(tokenize.generate_tokens(io.StringIO(text).readline))
    protected = set(_KEEP)
    depth = 0
    for i, tok in enumerate(toks):  # names used as keyword arguments or defaults keep their name
        if tok.type == tokenize.OP and tok.string in "([{":
            depth += 1
        elif tok.type == tokenize.OP and tok.string in ")]}":
            depth -= 1
        elif tok.type == tokenize.NAME and depth and i + 1 < len(toks) and toks[i + 1].string == "=":
            protected.add(tok.string)
    mapping: dict[str, str] = {}
    lines = text.splitlines(keepends=True)
    edits: list[tuple[int, int, int, str]] = []
    for i, tok in enumerate(toks):
        if tok.type != tokenize.NAME or keyword.iskeyword(tok.string) or tok.string in protected:
            continue
        if i and toks[i - 1].string == ".":
            continue
        if i and toks[i - 1].string == "import" or (i > 1 and toks[i - 2].string == "from"):
            continue
        if tok.string not in mapping:
            mapping[tok.string] = f"{rng.choice(_WORDS)}_{len(mapping)}{rng.choice('abcxyz')}"
        edits.append((tok.start[0], tok.start[1], tok.end[1], mapping[tok.string]))
    for row, start, end, new in sorted(edits, reverse=True):
        line = lines[row - 1]
        lines[row - 1] = line[:start] + new + line[end:]
    return "".join(lines)


def strip_comments_and_docstrings(text: str) -> str:
    """Drop comments and docstrings (replaced by nothing; see recomment)."""
    toks = list(tokenize.generate_tokens(io.StringIO(text).readline))
    lines = text.splitlines(keepends=True)
    removals: list[tuple[int, int, int, int]] = []
    prev = tokenize.NEWLINE
    for tok in toks:
        if tok.type == tokenize.COMMENT:
            removals.append((*tok.start, *tok.end))
        elif tok.type == tokenize.STRING and prev in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.NL):
            removals.append((*tok.start, *tok.end))
        if tok.type not in (tokenize.COMMENT, tokenize.NL):
            prev = tok.type
    for (r1, c1, r2, c2) in sorted(removals, reverse=True):
        if r1 == r2:
            lines[r1 - 1] = lines[r1 - 1][:c1] + ("None" if lines[r1 - 1][:c1].strip() == "" and toks else "") \
                + lines[r1 - 1][c2:]
        else:
            lines[r1 - 1] = lines[r1 - 1][:c1] + "None\n"
            for r in range(r1, r2 - 1):
                lines[r] = ""
            lines[r2 - 1] = lines[r2 - 1][c2:]
    out = "".join(lines)
    # a docstring replaced by "None" is a harmless statement; comments leave blanks
    return re.sub(r"[ \t]+\n", "\n", out)


def restyle(text: str, rng: random.Random, dummy: bool = True) -> str:
    """Indent with 2 spaces instead of 4, add blank lines, new comments and (with
    ``dummy``) a harmless statement after some function headers."""
    out = []
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        line = " " * (indent // 2) + stripped if indent % 4 == 0 else line
        out.append(line)
        if stripped.startswith("def ") and line.rstrip().endswith(":") and dummy and rng.random() < 0.4:
            out.append("  _unused = 0  # placeholder" if indent == 0 else line[: indent // 2] + "  pass")
        if stripped and rng.random() < 0.15 and not line.rstrip().endswith((",", "(", "[", "{", "\\")):
            out.append("")
        if stripped.startswith("def ") and indent == 0 and rng.random() < 0.5:
            out.append("  " + rng.choice(_COMMENTS))
    return "\n".join(out) + "\n"


def top_level_chunks(text: str) -> tuple[list[str], list[str]]:
    """(header lines before the first def, one chunk per top-level statement group)."""
    lines = text.splitlines()
    head: list[str] = []
    chunks: list[list[str]] = []
    for line in lines:
        starts = line.startswith(("def ", "@", "class ")) or (line[:1].isalpha() and not line.startswith(("import", "from")) and chunks)
        if starts and not (chunks and chunks[-1] and chunks[-1][-1].startswith("@")):
            chunks.append([line])
        elif chunks:
            chunks[-1].append(line)
        else:
            head.append(line)
    return head, ["\n".join(c).rstrip() + "\n" for c in chunks]


def reorder(text: str, rng: random.Random) -> str:
    head, chunks = top_level_chunks(text)
    rng.shuffle(chunks)
    return "\n".join(head).rstrip() + "\n\n\n" + "\n\n".join(chunks)


def disguise(text: str, seed: int, *, shuffle: bool = True, dummy: bool = True) -> str:
    rng = random.Random(seed)
    text = strip_comments_and_docstrings(text)
    text = rename_locals(text, rng)
    if shuffle:
        text = reorder(text, rng)
    return restyle(text, rng, dummy)


def write_notebook(path: Path, cells: list[str]) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# My RNN homework")] + [nbformat.v4.new_code_cell(c) for c in cells]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")


def function_source(path: Path, name: str) -> str:
    """The text of the top-level function ``name`` in ``path``."""
    _, chunks = top_level_chunks(path.read_text(encoding="utf-8"))
    for chunk in chunks:
        if chunk.startswith(f"def {name}("):
            return chunk
    raise KeyError(name)


def _copy(files: list[Path], target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for f in files:
        shutil.copy(f, target / f.name)


# which pairs share copied code (unordered)
COPIED = {
    frozenset({"h1_loops", "c1_renamed"}),
    frozenset({"h2_vector", "c2_reordered"}),
    frozenset({"h4_sample", "c3_notebook"}),
    frozenset({"h5_functional", "c5_lazy"}),
    frozenset({"h2_vector", "c4_one_function"}),
    frozenset({"c2_reordered", "c4_one_function"}),
}


def build_class(root: Path, starter_everywhere: bool = False) -> Path:
    """Write the synthetic class under ``root`` (one folder or file per student).

    With ``starter_everywhere``, every folder also holds the untouched release
    (``starter/``: the stubs, their docstrings, the imports, the notebook), as when
    students hand in the folder they were given."""
    root.mkdir(parents=True, exist_ok=True)
    bp, rec, st, sim = IMPL / "bp", IMPL / "recurrent", IMPL / "stability", IMPL / "similarity"
    h1 = [*sorted((bp / "loops").glob("*.py")), rec / "cs231n_classic" / "cs231n" / "rnn_layers.py",
          st / "compact_style" / "stability.py"]
    h2 = [*sorted((bp / "einsum").glob("*.py")), rec / "cs231n_vectorised" / "cs231n" / "rnn_layers.py",
          st / "graph_style" / "stability.py"]
    # honest students
    _copy(h1, root / "h1_loops")
    _copy(h2[:2] + h2[3:], root / "h2_vector")
    (root / "h2_vector" / "cs231n").mkdir()
    shutil.copy(h2[2], root / "h2_vector" / "cs231n" / "rnn_layers.py")
    _copy([bp / "cachedict" / "all_in_one.py", rec / "notebook" / "RNN_layers.ipynb"], root / "h3_cachedict")
    _copy([SAMPLE / "layers.py", SAMPLE / "bp_network.py", SAMPLE / "stability.py"], root / "h4_sample")
    _copy(sorted((sim / "functional").glob("*.py")), root / "h5_functional")
    # a student who only did the vanilla RNN and left every other stub as released
    shutil.copytree(paths.EXERCISES, root / "h7_partial", ignore=shutil.ignore_patterns("quiz", "notebook", "*.json"))
    shutil.copy(st / "rnn_student" / "rnn.py", root / "h7_partial" / "rnn.py")
    # a student who handed in the release untouched
    shutil.copytree(paths.EXERCISES, root / "h8_starter", ignore=shutil.ignore_patterns("quiz", "*.json"))
    # copiers
    (root / "c1_renamed").mkdir()
    for i, f in enumerate(h1):  # same layout, everything renamed and restyled, functions in place
        (root / "c1_renamed" / f.name).write_text(disguise(f.read_text(encoding="utf-8"), 100 + i, shuffle=False),
                                                  encoding="utf-8")
    # one file, the functions of all of h2's files reordered
    merged = "\n\n".join(f.read_text(encoding="utf-8") for f in h2)
    merged = re.sub(r"^from layers import \([^)]*\)\n|^from layers import .*\n", "", merged, flags=re.M)
    (root / "c2_reordered.py").write_text("import numpy as np\n\n" + disguise(merged, 200), encoding="utf-8")
    # h4's code as a notebook, renamed, one function per cell
    cells = []
    for i, f in enumerate([SAMPLE / "layers.py", SAMPLE / "bp_network.py", SAMPLE / "stability.py"]):
        head, chunks = top_level_chunks(disguise(f.read_text(encoding="utf-8"), 300 + i))
        cells.append("\n".join(line for line in head if line.strip()))
        cells.extend(chunks)
    write_notebook(root / "c3_notebook.ipynb", cells)
    # own code everywhere except one function, copied from h2 and renamed
    _copy(sorted((sim / "explicit").glob("*.py")), root / "c4_one_function")
    own = root / "c4_one_function" / "rnn_layers.py"
    text = own.read_text(encoding="utf-8")
    mine = function_source(own, "gru_step_backward")
    theirs = disguise(function_source(h2[2], "gru_step_backward"), 400, shuffle=False, dummy=False)
    own.write_text(text.replace(mine, theirs), encoding="utf-8")
    # only comments and blank lines changed
    (root / "c5_lazy").mkdir()
    for f in sorted((sim / "functional").glob("*.py")):
        text = strip_comments_and_docstrings(f.read_text(encoding="utf-8"))
        (root / "c5_lazy" / f.name).write_text("# my homework\n" + text.replace("\n\n\n", "\n\n\n\n"), encoding="utf-8")
    if starter_everywhere:
        for student in root.iterdir():
            if student.is_dir() and not (student / "starter").exists():
                shutil.copytree(paths.EXERCISES, student / "starter", ignore=shutil.ignore_patterns("quiz", "*.json"))
    return root
