"""What a comparison shows: a terminal list, CSV and JSON of pair scores, and one
self-contained HTML page (``templates/similarity.html.j2``: inline CSS, no script,
no network, everything from a submission escaped) with the most similar pairs and
their matching code side by side. Every text is from the message catalogues, and
every output says that similarity is evidence for a human, never a verdict.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from pathlib import Path
from typing import Any

from .. import __version__
from ..fileio import write_atomic
from ..i18n import LANGS, Message, msg, render
from . import OTHER, PairView, ReferenceCopy, Similarity
from .evidence import Evidence

HTML_TOP = 50  # pairs with a section of their own in the page
TABLE_ROWS = 200  # pairs in the page's table
MIN_SCORE = 0.1  # default floor of the CSV and JSON: below it, pairs share a few fingerprints by chance
UNITS_SHOWN = 4  # functions shown side by side per pair (the most shared)
NAME = 28  # characters of a student name in the terminal list


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _unit_name(unit: str | None, lang: str) -> str:
    if unit is None:
        return "-"
    return render(msg("similarity.other_code"), lang) if unit == OTHER else unit


def _short(name: str) -> str:
    return name if len(name) <= NAME else name[: NAME - 1] + "…"


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    fill = " " * max(0, width - _width(text))
    return fill + text if right else text + fill


def terminal_lines(result: Similarity, lang: str, top: int = 20, min_score: float = MIN_SCORE) -> list[str]:
    """The most similar pairs as lines of text for the terminal."""
    def t(key: str, **params: Any) -> str:
        return render(msg(key, **params), lang)

    pairs = result.top(top, min_score)
    lines = [t("similarity.summary", students=len(result.students), pairs=len(result.pairs)),
             t("similarity.not_a_verdict")]
    if not pairs:
        lines += [render(m, lang) for m in what_is_listed(result, min_score, 0)]
        return lines + reference_lines(result, lang, top) + _notes_count(result, lang)
    names = [f"{_short(p.a)} ↔ {_short(p.b)}" for p in pairs]
    heads = [t("similarity.col.rank"), t("similarity.col.score"), t("similarity.col.overall"), t("similarity.col.pair")]
    widths = [max(5, _width(heads[0])), max(6, _width(heads[1])), max(7, _width(heads[2])),
              max(_width(heads[3]), *(_width(n) for n in names))]
    lines.append("  ".join([_pad(heads[0], widths[0], True), _pad(heads[1], widths[1], True),
                            _pad(heads[2], widths[2], True), _pad(heads[3], widths[3]),
                            t("fixb.sim_col_strongest")]))
    for p, name in zip(pairs, names, strict=True):
        strongest = f"{_unit_name(p.best_unit, lang)} {_pct(p.best_own)}" if p.best_unit else "-"
        lines.append("  ".join([_pad(str(p.rank), widths[0], True), _pad(_pct(p.score), widths[1], True),
                                _pad(_pct(p.overall), widths[2], True), _pad(name, widths[3]), strongest]))
    lines.append(t("fixb.sim_legend"))
    lines += [render(m, lang) for m in what_is_listed(result, min_score, len(pairs))]
    return lines + reference_lines(result, lang, top) + _notes_count(result, lang)


def _notes_count(result: Similarity, lang: str) -> list[str]:
    noted = sum(1 for s in result.students if s.notes)
    return [render(msg("similarity.notes_count", n=noted), lang)] if noted else []


def what_is_listed(result: Similarity, min_score: float, shown: int) -> list[Message]:
    """What a list of the ``shown`` best pairs leaves out, one sentence each, so that it
    never contradicts the count of pairs that share code: no pair shares any; none
    reaches ``min_score``; only the best ``shown`` of those that do are listed; how many
    share less (nothing when the list is complete)."""
    above, total = result.count(min_score), len(result.pairs)
    floor = f"{min_score:g}"
    if total == 0:
        return [msg("similarity.no_pairs")]
    if above == 0:
        return [msg("similarity.none_above", pairs=total, min_score=floor)]
    said = []
    if shown < above:
        said.append(msg("similarity.top_cut", shown=shown, above=above, min_score=floor))
    if total > above:
        said.append(msg("similarity.below_floor", below=total - above, min_score=floor))
    return said


def _matches(copy: ReferenceCopy, limit: int | None = None) -> str:
    shown = copy.matches[:limit] if limit else copy.matches
    more = " …" if limit and len(copy.matches) > limit else ""
    return ", ".join(f"{m.function} {_pct(m.share)}" for m in shown) + more


def reference_lines(result: Similarity, lang: str, top: int = 20) -> list[str]:
    """The students whose code matches the reference, as lines for the terminal."""
    if result.reference_copies is None:
        return [render(msg("similarity.reference.not_checked"), lang)]
    copies = result.reference_copies
    lines = [render(msg("similarity.reference.heading", n=len(copies), share=_pct(result.reference_share),
                        min_unit=result.min_unit), lang)]
    for c in copies[:top]:
        lines.append(f"  {_short(c.student)}: " + render(msg("similarity.reference.student", n=len(c.matches),
                                                           of=c.long_functions, functions=_matches(c, 4)), lang))
    return lines


CSV_FIELDS = ["rank", "student_a", "student_b", "score", "overall", "matched", "exclusive", "best_function",
              "best_own", "functions"]


def csv_text(result: Similarity, min_score: float = MIN_SCORE) -> str:
    """One row per pair that shares a fingerprint (at least ``min_score``), best first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for p in result.top(None, min_score):
        functions = "; ".join(f"{u.unit} {u.matched}/{min(u.size_a, u.size_b)}" for u in p.units)
        writer.writerow([p.rank, _csv_safe(p.a), _csv_safe(p.b), f"{p.score:.4f}", f"{p.overall:.4f}", p.matched,
                         p.exclusive, p.best_unit or "", f"{p.best_own:.4f}", functions])
    return out.getvalue()


def _csv_safe(name: str) -> str:
    """A student name that a spreadsheet will not run as a formula."""
    return "'" + name if name[:1] in ("=", "+", "-", "@", "\t", "\r") else name


def write_csv(result: Similarity, path: Path | str, min_score: float = MIN_SCORE) -> list[Path]:
    """The pairs' CSV at ``path`` and, when a reference was given, the students whose
    code matches it beside it (``reference_csv_path``); returns the files written."""
    write_atomic(Path(path), csv_text(result, min_score))
    if result.reference_copies is None:
        return [Path(path)]
    write_atomic(reference_csv_path(path), reference_csv_text(result))
    return [Path(path), reference_csv_path(path)]


REFERENCE_CSV_FIELDS = ["student", "functions_matching", "long_functions", "functions"]


def reference_csv_path(path: Path | str) -> Path:
    """Where the CSV of reference matches goes: ``pairs.csv`` -> ``pairs-reference.csv``."""
    path = Path(path)
    return path.with_name(f"{path.stem}-reference{path.suffix or '.csv'}")


def reference_csv_text(result: Similarity) -> str:
    """One row per student whose long graded functions match the reference."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REFERENCE_CSV_FIELDS)
    for c in result.reference_copies or []:
        writer.writerow([_csv_safe(c.student), len(c.matches), c.long_functions,
                         "; ".join(f"{m.function} {m.matched}/{m.size}" for m in c.matches)])
    return out.getvalue()


def to_json(result: Similarity, min_score: float = MIN_SCORE) -> dict[str, Any]:
    """Everything needed to re-read the comparison: parameters, students (with their
    notes as message keys and parameters), and every pair with its functions."""
    return {
        "generator": f"rnngrade {__version__}",
        "about": {lang: render(msg("similarity.not_a_verdict"), lang) for lang in LANGS},
        "parameters": {"k": result.k, "window": result.window, "common": result.common,
                       "min_function_fingerprints": result.min_unit, "functions": result.functions,
                       "excluded_sources": result.excluded_sources},
        "students": [{"student": s.student, "fingerprints": int(result.pairs.sizes[i].sum()),
                      "notes": [n.to_dict() for n in s.notes]} for i, s in enumerate(result.students)],
        "pairs": [p.to_dict() for p in result.top(None, min_score)],
        "reference": None if result.reference_copies is None else {
            "share": result.reference_share, "min_function_fingerprints": result.min_unit,
            "students": [c.to_dict() for c in result.reference_copies]},
    }


def write_json(result: Similarity, path: Path | str, min_score: float = MIN_SCORE) -> None:
    write_atomic(Path(path), json.dumps(to_json(result, min_score), ensure_ascii=False, indent=1))


def _pair_section(p: PairView, result: Similarity, evidence: Evidence, lang: str) -> dict[str, Any]:
    a, b = result.index_of(p.a), result.index_of(p.b)
    units = []
    for u in p.units:
        units.append({"name": _unit_name(u.unit, lang), "matched": u.matched, "smaller": min(u.size_a, u.size_b),
                      "share": u.share, "own": u.own, "counts": u.unit == p.best_unit,
                      "small": min(u.size_a, u.size_b) < result.min_unit})
    shown = [u.unit for u in p.units[:UNITS_SHOWN]]
    if p.best_unit and p.best_unit not in shown:
        shown = [p.best_unit, *shown[: UNITS_SHOWN - 1]]
    views = []
    for unit in shown:
        view = evidence.view(a, b, unit)
        if view is not None and view.blocks:
            views.append({"name": _unit_name(unit, lang), "view": view, "open": unit == (p.best_unit or shown[0])})
    return {"pair": p, "anchor": f"pair-{p.rank}", "units": units, "views": views}


def render_html(result: Similarity, lang: str, top: int = HTML_TOP, min_score: float = MIN_SCORE) -> str:
    """The page as one HTML string in ``lang``."""
    from ..report.html import environment

    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; expected one of {LANGS}")

    def t(key: str, **params: Any) -> str:
        return render(msg(key, **params), lang)

    evidence = Evidence(result.students, list(result.split), result.excluded)
    pairs = result.top(max(top, TABLE_ROWS), min_score)
    sections = [_pair_section(p, result, evidence, lang) for p in pairs[:top]]
    notes = [{"student": s.student, "notes": [render(n, lang) for n in s.notes]}
             for s in result.students if s.notes]
    template = environment().get_template("similarity.html.j2")
    return template.render(
        t=t, lang=lang, html_lang="zh-CN" if lang == "zh" else "en", version=__version__, result=result,
        pairs=pairs, listed=result.count(min_score), sections=sections, notes=notes, pct=_pct,
        unit_name=lambda u: _unit_name(u, lang), copies=result.reference_copies,
        left_out=" ".join(render(m, lang) for m in what_is_listed(result, min_score, len(pairs))),
    )


def write_html(result: Similarity, path: Path | str, lang: str, top: int = HTML_TOP,
               min_score: float = MIN_SCORE) -> None:
    write_atomic(Path(path), render_html(result, lang, top, min_score))
