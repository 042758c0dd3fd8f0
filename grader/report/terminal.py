"""The terminal summary printed by ``rnngrade grade``: one screen for a typical
submission.

Its first line says what was graded (the folder or file, and its files); then what
did not load, with the line to fix; then one line per exercise, each followed by
one line per *cause* of its failures (checks that fail for the same reason are one
line, "and 4 more like it: dh0, dWx, ..."), once per known mistake, and the reason
points are not counted yet; complete exercises share one line; the concept quiz is
one line (wrong and unanswered questions by number); the total last, with a
self-check's total explained against the official one. ``-v`` lists every item.

Output goes to terminals of every kind: colour only where wanted (:func:`style_for`:
``NO_COLOR``, ``FORCE_COLOR``, a TTY or not), and marks that the output encoding can
carry (a Chinese Windows console's GBK has no ✔: ASCII marks then), every other
character that cannot be encoded replaced, never an exception.
"""

from __future__ import annotations

import codecs
import os
import sys
from dataclasses import dataclass
from typing import IO, Any

import click

from ..checks.model import FAILED, PASSED, PENDING, CheckResult, is_side_note
from ..display import shown
from ..i18n import Message, msg
from ..i18n import render_lenient as _render
from ..results import Result
from ..results.text import adjustment_message, load_error_messages, load_failed_message
from ..untrusted import clean

FILES_SHOWN = 6  # files named on the first line; the rest are counted
UNICODE_MARKS = {"ok": "✔", "bad": "✘", "pending": "…", "partial": "◐", "mistake": "⚠", "arrow": "→"}
ASCII_MARKS = {"ok": "[ok]", "bad": "[x]", "pending": "...", "partial": "[~]", "mistake": "!", "arrow": "->"}


@dataclass(frozen=True)
class Style:
    """How to write for one output: with colour or not, in which encoding."""

    color: bool = False
    encoding: str = "utf-8"

    @property
    def marks(self) -> dict[str, str]:
        try:
            "".join(UNICODE_MARKS.values()).encode(self.encoding)
        except (UnicodeEncodeError, LookupError):
            return ASCII_MARKS
        return UNICODE_MARKS

    def paint(self, text: str, **how: Any) -> str:
        return click.style(text, **how) if self.color else text

    def fit(self, text: str) -> str:
        """``text`` with every character the encoding cannot carry replaced."""
        try:
            codecs.lookup(self.encoding)
        except LookupError:
            return text.encode("ascii", "replace").decode("ascii")
        return text.encode(self.encoding, "replace").decode(self.encoding)


def style_for(stream: IO[str] | None = None, environ: dict[str, str] | None = None) -> Style:
    """The style for ``stream`` (default: stdout): colour on a terminal unless
    ``NO_COLOR`` is set (https://no-color.org), or anywhere with ``FORCE_COLOR``;
    the stream's own encoding."""
    stream = stream if stream is not None else sys.stdout
    env = os.environ if environ is None else environ
    isatty = bool(getattr(stream, "isatty", lambda: False)())
    if env.get("NO_COLOR"):
        color = False
    elif env.get("FORCE_COLOR"):
        color = True
    else:
        color = isatty
    return Style(color=color, encoding=getattr(stream, "encoding", None) or "utf-8")


def render(m: Message | str, lang: str) -> str:
    """A message as the terminal may print it: texts carry student output, exception
    messages and file names, so control sequences are escaped before our own colours
    are added (:func:`grader.untrusted.clean`)."""
    return clean(_render(m, lang))


def _fmt(x: float) -> str:
    return shown(x)


def nothing_graded(result: Result) -> bool:
    """No function of the assignment and no quiz answer sheet was found in the
    submission (a wrong folder, an empty one, a typo): the summary warns and the
    command exits non-zero. A hand-in of the quiz sheet alone is graded (its code
    earns nothing, and the report says why)."""
    code = [er for er in result.exercises if er.exercise.name != "quiz"]
    sheet = any(er.graded_from for er in result.exercises if er.exercise.name == "quiz")
    return bool(code) and not sheet and not any(er.graded_from for er in code)


def first_line(result: Result, lang: str) -> str:
    """What was graded: the folder or file as given, and its files."""
    files: list[str] = list(result.files)[:FILES_SHOWN]
    if len(result.files) > FILES_SHOWN:
        files[-1] += render(msg("feedback.tty.more_files", n=len(result.files) - FILES_SHOWN), lang)
    key = "feedback.tty.graded_official" if result.official else "feedback.tty.graded_selfcheck"
    return render(msg(key, path=result.submission or "-", student=result.student,
                      files=files or render(msg("feedback.tty.no_files"), lang)), lang)


def _label(r: CheckResult, m: Message) -> str:
    """What tells apart items failing for one cause: their gradient, output or function."""
    for k in ("grad", "output"):
        v = m.params.get(k)
        if isinstance(v, str) and v:
            return v
    grad = r.details.get("grad")
    return str(grad) if grad else r.func


# Causes the terminal says shortly (the report has the long form with what to check).
SHORT_CAUSES = {"call.not_implemented": "feedback.tty.short_not_implemented",
                "call.missing": "feedback.tty.short_missing"}


def _causes(failed: list[CheckResult], lang: str) -> list[str]:
    """One line per cause: items whose first messages say the same thing about the same
    function (the same text, or the same kind of problem with other numbers)."""
    groups: list[tuple[tuple[str, str], list[tuple[CheckResult, Message]]]] = []
    for r in failed:
        m = r.messages[0] if r.messages else r.title
        key = (m.key, str(m.params.get("func", r.func)))
        same = next((g for k, g in groups if k == key), None)
        if same is None:
            groups.append((key, [(r, m)]))
        else:
            same.append((r, m))
    if len(groups) > 1 and all(k[0] == "call.not_implemented" for k, _ in groups):
        # Several functions, all still stubs: one line, as for one function.
        funcs = ", ".join(dict.fromkeys(k[1] for k, _ in groups))
        gap = "" if lang == "zh" else " "
        return [render(msg("feedback.tty.short_not_implemented_many", funcs=funcs), lang) + gap
                + render(msg("terminal.same_cause", n=sum(len(g) for _, g in groups)), lang)]
    lines = []
    for _, members in groups:
        r, m = members[0]
        short = SHORT_CAUSES.get(m.key)
        text = render(msg(short, func=m.params.get("func", r.func)) if short else m, lang)
        if r.func and r.func not in text:
            text = render(msg("feedback.tty.line.func_says", func=r.func, text=text), lang)  # zh: full-width colon
        texts = {render(x, lang) for _, x in members} if not short else {text}
        gap = "" if lang == "zh" else " "  # Chinese brackets carry their own space
        if len(members) > 1 and len(texts) == 1:
            text += gap + render(msg("terminal.same_cause", n=len(members)), lang)
        elif len(members) > 1:
            labels = list(dict.fromkeys(_label(x, mx) for x, mx in members[1:]))
            text += gap + render(msg("feedback.tty.more_like", n=len(members) - 1, names=labels), lang)
        lines.append(text)
    return lines


def _quiz_line(er: Any, lang: str, style: Style, marks: dict[str, str], verbose: bool = False) -> list[str]:
    """The quiz in one line (and, with ``verbose``, why each unreadable answer is).
    An answer that could not be read is not a wrong one; a self-check of a counted quiz
    (nothing counts here: 0 of 0) calls nothing right or wrong and is not a failure."""
    states: dict[str, list[int]] = {}
    for n, r in enumerate(er.results, start=1):
        state = str(r.details.get("state") or ("correct" if r.status == PASSED else "wrong"))
        states.setdefault(state, []).append(n)
    wrong = sorted(n for s in ("wrong", "partial") for n in states.get(s, []))
    unreadable = states.get("malformed", [])
    parts = []
    if wrong:
        parts.append(render(msg("feedback.tty.quiz_wrong_n", n=len(wrong), numbers=_numbers(wrong)), lang))
    if unreadable:
        parts.append(render(msg("feedback.tty.quiz_unreadable", n=len(unreadable), numbers=_numbers(unreadable)),
                            lang))
    if states.get("empty"):
        parts.append(render(msg("feedback.tty.quiz_empty_n", n=len(states["empty"]),
                                numbers=_numbers(states["empty"])), lang))
    if states.get("unverifiable"):
        parts.append(render(msg("feedback.tty.quiz_recorded_n", n=len(states["unverifiable"])), lang))
    if states.get("correct"):
        parts.append(render(msg("feedback.tty.quiz_right", n=len(states["correct"])), lang))
    full = not wrong and not unreadable and not states.get("empty") \
        and not any(r.status == FAILED for r in er.results)
    if not er.max_points and er.results:
        # Nothing counts here (a self-check of a counted quiz records the answers): neutral,
        # as in the HTML report; unreadable and unanswered ones are said, not called wrong.
        mark = style.paint(marks["pending"], fg="blue", bold=True)
        parts.insert(0, render(msg("report.ex_not_judged"), lang))
    else:
        # As an exercise's line: partly right is partly right, not a failure.
        state = "ok" if full else ("partial" if er.points > 0 else "bad")
        mark = style.paint(marks[state], fg={"ok": "green", "partial": "yellow", "bad": "red"}[state], bold=True)
    title = render(er.exercise.title, lang)
    score = f"{_fmt(er.points)}/{_fmt(er.max_points)}"
    text = msg("feedback.tty.line.quiz", title=title, score=score,
               parts=render(msg("feedback.tty.line.sep"), lang).join(parts))
    lines = [f"{mark} {render(text, lang)}"]
    if verbose:
        for n in unreadable:
            r = er.results[n - 1]
            why = r.messages[0] if r.messages else msg("report.unreadable")
            lines.append("    " + render(msg("feedback.tty.quiz_why", number=n, why=why), lang))
    return lines


def _numbers(ns: list[int], limit: int = 12) -> list[str]:
    """Question numbers for a ``{numbers:list}`` field: at most ``limit``, then "…"."""
    return [str(n) for n in ns[:limit]] + (["…"] if len(ns) > limit else [])


def summary(result: Result, lang: str, verbose: bool = False, style: Style | None = None) -> str:
    """The summary as text, for ``style``'s output (default: plain UTF-8, no colour)."""
    style = style or Style()
    marks = style.marks
    dim = {"dim": True}
    lines = [style.paint(first_line(result, lang), bold=True),
             style.paint(render(msg("report.mode_official" if result.official else "report.mode_selfcheck"), lang),
                         **dim)]
    # A file's own error before the files that failed importing it (its consequence).
    for e in sorted(result.load_errors, key=lambda e: e.get("kind") == "import"):
        said = load_error_messages(e)
        lines.append(style.paint(f"{marks['bad']} " + render(said[0], lang), fg="red"))
        lines += [f"    {render(m, lang)}" for m in said[1:]]
        if e.get("source") and not (e.get("kind") == "syntax" and e.get("text")):  # a syntax error quotes it
            lines.append(style.paint(f"    {e.get('line')} | {clean(str(e['source']))}", **dim))
    load_failed = load_failed_message(result)
    if load_failed is not None:
        lines.append(style.paint(f"{marks['bad']} " + render(load_failed, lang), fg="red"))
    # Where loading stopped is the failure itself (said once, not also as a raw status code).
    stopped = [n for n in result.notices if n.key.startswith("load.stopped.")]
    for n in stopped:
        lines.append(style.paint(f"{marks['bad']} " + render(msg(n.key, **n.params), lang), fg="red"))
    if nothing_graded(result) and result.load_status == "loaded" and not result.load_errors:
        # Before the lines about what was not found: they are its consequences. (Code that
        # did not load says so above: that is the cause, not a wrong folder.)
        lines.append(style.paint(f"{marks['bad']} " + render(msg("feedback.tty.nothing_graded",
                                                                 path=result.submission or "-"), lang),
                                 fg="red", bold=True))
    for n in result.notices:
        if n not in stopped:
            lines.append(style.paint(f"{marks['mistake']} " + render(msg(n.key, **n.params), lang), fg="yellow"))
    for er in result.exercises:
        for func, others in er.alternatives.items():
            lines.append(style.paint(f"{marks['mistake']} " + render(msg(
                "submission.graded_from", func=func, file=er.graded_from[func], others=", ".join(others)), lang),
                fg="yellow"))
    complete: list[Any] = []
    for er in result.exercises:
        if er.exercise.name == "quiz":
            lines += _quiz_line(er, lang, style, marks, verbose)
            continue
        failed = [r for r in er.results if r.status == FAILED]
        pending = [r for r in er.results if r.status == PENDING]
        full = er.points >= er.max_points and not failed and not pending
        if full and not verbose:
            complete.append(er)
            continue
        state = "ok" if full else ("partial" if er.points > 0 else "bad")
        colour = {"ok": "green", "partial": "yellow", "bad": "red"}[state]
        head = f"{style.paint(marks[state], fg=colour, bold=True)} {render(er.exercise.title, lang)}  " \
               f"{_fmt(er.points)}/{_fmt(er.max_points)}"
        causes = _causes(failed, lang)
        if len(causes) == 1 and not er.notes and not verbose and not any(r.mistakes for r in failed):
            lines.append(f"{head} {style.paint(marks['arrow'], **dim)} {causes[0]}")  # one cause: one line
            continue
        lines.append(head)
        # Not counted (yet): each reason once, first (docs/scoring.md); but a side item that
        # only waits for its function's results is a consequence, said after the causes.
        side = [note for note in er.notes if is_side_note(note)]
        # A failing building block is the cause of a composite (a self-check: "fix that first"):
        # said before what waits because of it.
        relay = not verbose and any(r.messages and r.messages[0].key == "check.builds_on" for r in failed)
        if relay:
            lines += [f"    {line}" for line in causes]
        for note in er.notes:
            if note not in side:
                lines.append(style.paint(f"    {marks['pending']} {render(note, lang)}", fg="blue"))
        if verbose:
            for r in er.results:
                colour = {PASSED: "green", PENDING: "blue"}.get(r.status, "red")
                tag = style.paint(render(msg(f"report.{r.status}"), lang), fg=colour)
                lines.append(f"    [{tag}] {render(r.title, lang)}")
                if r.messages and r.status == FAILED:
                    lines.append("        " + render(r.messages[0], lang))
        elif not relay:
            lines += [f"    {line}" for line in causes]
        said_keys = {(r.messages[0].key if r.messages else "") for r in failed}
        for mid in dict.fromkeys(m for r in failed for m in r.mistakes):
            if f"mistake.{mid}.found" in said_keys and not verbose:
                continue  # the cause line is the mistake's own explanation
            line = msg("feedback.tty.mistake", id=mid, name=msg(f"mistake.{mid}.name"))
            lines.append(style.paint(f"    {marks['mistake']} " + render(line, lang), fg="yellow"))
        for note in side:
            lines.append(style.paint(f"    {marks['pending']} {render(note, lang)}", fg="blue"))
    if complete:
        names = [er.exercise.name for er in complete]
        points = sum(er.points for er in complete)
        lines.append(style.paint(marks["ok"], fg="green", bold=True) + " " + render(
            msg("feedback.tty.complete", n=len(complete), names=names, points=_fmt(round(points, 4))), lang))
    if (result.extras.get("capstone") or {}).get("status") == "skipped":  # the training stage, off by default
        lines.append(style.paint("… " + render(msg("capstone.stage.skipped"), lang), **dim))
    for line in result.extras.get("terminal_lines", {}).get(lang, []):
        lines.append(clean(line))
    if result.adjustments:
        lines.append(render(msg("course.graded", score=_fmt(result.graded_score), max_score=_fmt(result.max_score)),
                            lang))
        for adjustment in result.adjustments:
            colour = "green" if adjustment.get("points", 0.0) > 0 else "yellow"
            lines.append(style.paint("  ± " + render(adjustment_message(adjustment), lang), fg=colour))
    total = render(msg("report.score", score=_fmt(result.score), max_score=_fmt(result.max_score)), lang)
    lines.append(style.paint(total, bold=True))
    if not result.official and result.official_max is not None and result.official_max != result.max_score:
        quiz = any(er.exercise.name == "quiz" for er in result.exercises)
        lines.append(style.paint(render(msg("feedback.selfcheck_totals" + ("_quiz" if quiz else ""),
                                            max_score=_fmt(result.max_score),
                                            official_max=_fmt(result.official_max)), lang), **dim))
    return style.fit("\n".join(lines))
