"""The coloured terminal summary printed by ``rnngrade grade``."""

from __future__ import annotations

import click

from ..checks.model import FAILED, PASSED, PENDING
from ..i18n import Message, msg
from ..i18n import render as _render
from ..results import Result
from ..results.text import adjustment_message, load_messages
from ..untrusted import clean


def render(m: Message | str, lang: str) -> str:
    """A message as the terminal may print it: texts carry student output, exception
    messages and file names, so control sequences are escaped before our own colours
    are added (:func:`grader.untrusted.clean`)."""
    return clean(_render(m, lang))


def _fmt(x: float) -> str:
    return f"{x:g}"


def summary(result: Result, lang: str, verbose: bool = False) -> str:
    """Per-exercise scores, failed checks with their first message, the total."""
    lines = [click.style(render(msg("report.mode_official" if result.official else "report.mode_selfcheck"),
                                lang), dim=True)]
    for m in load_messages(result):
        lines.append(click.style("! " + render(m, lang), fg="yellow"))
    for ex in result.exercises:
        full = ex.points >= ex.max_points
        mark = click.style("✔" if full else "✘", fg="green" if full else "red", bold=True)
        lines.append(f"{mark} {render(ex.exercise.title, lang)}  {_fmt(ex.points)}/{_fmt(ex.max_points)}")
        for note in ex.notes:  # items not counted yet: the reason once, first
            lines.append(click.style("    … " + render(note, lang), fg="yellow"))
        failed = [r for r in ex.results if r.status == FAILED]
        firsts = {render(r.messages[0], lang) if r.messages else "" for r in failed}
        if not verbose and len(failed) > 1 and len(firsts) == 1 and not any(r.mistakes for r in failed):
            # One cause for every failed check (typically "not implemented"): say it once.
            note = render(msg("terminal.same_cause", n=len(failed)), lang)
            lines.append(f"    {firsts.pop()} {click.style(note, dim=True)}")
            continue
        for r in ex.results:
            if r.status != FAILED and not verbose:
                continue
            colour = {PASSED: "green", PENDING: "yellow"}.get(r.status, "red")
            tag = click.style(render(msg(f"report.{r.status}"), lang), fg=colour)
            lines.append(f"    [{tag}] {render(r.title, lang)}")
            if r.messages and r.status != PENDING:
                lines.append("        " + render(r.messages[0], lang))
            for m in r.mistakes:
                line = msg("terminal.mistake_line", id=m, name=msg(f"mistake.{m}.name"))
                lines.append(click.style("        " + render(line, lang), fg="yellow"))
    if (result.extras.get("capstone") or {}).get("status") == "skipped":  # the training stage, off by default
        lines.append(click.style("… " + render(msg("capstone.stage.skipped"), lang), dim=True))
    for line in result.extras.get("terminal_lines", {}).get(lang, []):
        lines.append(clean(line))
    if result.adjustments:
        lines.append(render(msg("course.graded", score=_fmt(result.graded_score), max_score=_fmt(result.max_score)),
                            lang))
        for line in result.adjustments:
            colour = "green" if line.get("points", 0.0) > 0 else "yellow"
            lines.append(click.style("  ± " + render(adjustment_message(line), lang), fg=colour))
    total = render(msg("report.score", score=_fmt(result.score), max_score=_fmt(result.max_score)), lang)
    lines.append(click.style(total, bold=True))
    return "\n".join(lines)
