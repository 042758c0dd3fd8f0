"""Helpers shared by the report tests (unit and browser): synthetic results, the
payloads that must come out escaped, and a small HTML reader built on the stdlib."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from support import write_submission

from grader.checks.engine import Exercise, ExerciseResult
from grader.checks.model import CheckResult
from grader.i18n import msg
from grader.results import Result
from grader.submission import Notice

# Every field that came from a submission is fed these; none may become markup.
PAYLOADS = (
    "<script>alert('xss')</script>",
    '"><img src=x onerror=alert(1)>',
    "' onmouseover='alert(2)",
    "</pre></details><script>alert(3)</script>",
    "`<b>tick</b>` &amp; &#60;",
)
PAYLOAD = " ".join(PAYLOADS)

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source"}


class Page(HTMLParser):
    """Elements with their attributes, headings in order, text, and tag balance."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.headings: list[int] = []
        self.stack: list[str] = []
        self.unbalanced: list[str] = []
        self.text_parts: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {k: v or "" for k, v in attrs}))
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self.headings.append(int(tag[1]))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()
        else:
            self.unbalanced.append(tag)

    def handle_data(self, data):
        self.text_parts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.text_parts)

    def tags(self, name: str) -> list[dict[str, str]]:
        return [a for t, a in self.elements if t == name]

    def with_class(self, cls: str, tag: str | None = None) -> list[dict[str, str]]:
        return [a for t, a in self.elements
                if cls in a.get("class", "").split() and (tag is None or t == tag)]

    def ids(self) -> list[str]:
        return [a["id"] for _, a in self.elements if "id" in a]


def heading_jumps(levels: list[int]) -> list[tuple[int, int]]:
    """Places where a heading skips a level going down (h2 -> h4)."""
    return [(a, b) for a, b in zip(levels, levels[1:], strict=False) if b > a + 1]


def exercise(name: str, checks: list[CheckResult], title=None, functions=("f_forward",)) -> ExerciseResult:
    ex = Exercise(name, title or msg("exercise.affine"), "layers.py", list(functions), [])
    return ExerciseResult(ex, checks, graded_from={f: "layers.py" for f in functions})


def check(id: str, kind: str = "value", status: str = "passed", points: float = 1.0, max_points: float = 1.0,
          title=None, **kw) -> CheckResult:
    c = CheckResult(id, "x", kw.pop("func", "affine_forward"), kind,
                    title or msg("title.value", func="affine_forward", outputs="out"), max_points,
                    points=points, status=status, **kw)
    return c


def result(exercises: list[ExerciseResult], official: bool = True, **kw) -> Result:
    base = dict(student="s1", assignment="rnn-lstm", official=official, exercises=exercises,
                isolation="bubblewrap", fingerprint="abc123", graded_at="2026-01-02T03:04:05+00:00",
                version="0.1.0", files=["layers.py"])
    base.update(kw)
    return Result(**base)


def hostile_result() -> Result:
    """A synthetic result with a payload in every field that a submission controls."""
    failing = check(
        "affine.forward", status="failed", points=0.0, output=PAYLOAD * 3,
        messages=[msg("call.error", func="affine_forward", type="ValueError", message=PAYLOAD),
                  msg("mutation.changed", func="affine_forward", args=PAYLOAD)],
        details={"traceback": f'  File "/submission/{PAYLOAD}.py", line 1\nValueError: {PAYLOAD}\n',
                 "warnings": [PAYLOAD],
                 "hidden_inputs": False,
                 "outputs": [{"name": "out", "ok": False, "rel_error": 1.0, "where": [msg("axis.sample", i=0)],
                              "problem": "values", "expected": [1.0, 2.0], "received": [1.0, 3.0],
                              "wrong": [False, True]}]},
        mistakes=["10"],
    )
    grad = check("affine.grad.dx", kind="gradient", status="failed", points=0.0, output=PAYLOAD,
                 title=msg("title.gradient", func="affine_backward", grad="dx"),
                 messages=[msg("call.error", func="affine_backward", type="KeyError", message=PAYLOAD)],
                 details={"traceback": PAYLOAD})
    er = exercise("affine", [failing, grad])
    er.graded_from = {"affine_forward": f"{PAYLOAD}.py"}
    er.alternatives = {"affine_forward": [f"other{PAYLOAD}.py"]}
    quiz_check = CheckResult("quiz.q1", "quiz", "", "quiz", msg("exercise.affine"), 1.0, status="failed",
                             details={"question": {"en": "Which gate?", "zh": "哪个门？"}, "answer": PAYLOAD,
                                      "explanation": {"en": "Because.", "zh": "因为。"}})
    quiz = ExerciseResult(Exercise("quiz", msg("exercise.affine"), "", [], []), [quiz_check])
    return result(
        [er, quiz], official=False, student=PAYLOAD, files=[f"{PAYLOAD}.py"],
        notices=[Notice("submission.unreadable", {"file": f"{PAYLOAD}.py", "error": PAYLOAD})],
        load_errors=[{"kind": "error", "where": f"{PAYLOAD}.py", "type": PAYLOAD, "message": PAYLOAD},
                     {"kind": "syntax", "where": PAYLOAD, "line": PAYLOAD}],
        load_output=PAYLOAD, isolation=PAYLOAD,
    )


def crashing_submission(root: Path) -> Path:
    """A submission that prints while loading, has a syntax error in one file,
    raises with markup in its message and ends the process in another function."""
    return write_submission(root, {
        "layers.py": (
            "import os\n"
            f"print({PAYLOAD!r})\n"
            "def relu_forward(x):\n"
            "    os._exit(3)\n"
            "def sigmoid_forward(x):\n"
            f"    print({PAYLOAD!r})\n"
            f"    raise ValueError({PAYLOAD!r})\n"
        ),
        "bp_network.py": "def two_layer_net_loss(:\n    pass\n",
    })
