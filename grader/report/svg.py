"""A small SVG line-plot helper for the report (no matplotlib, no script).

:func:`line_plot` draws one panel: axes with ticks, an optional log-scale y axis,
axis labels, a title, a legend, and ``<title>``/``<desc>`` for screen readers. It
is called at render time with texts already in the report's language. Every text
is escaped here and every number is formatted here, in the parent, so nothing in
the markup can come from a submission unescaped. Series are told apart by colour
*and* dash pattern and marker shape, so the plot also reads in grey print.

Points that cannot be drawn (NaN, inf, or values <= 0 on a log axis) break the
line instead of bending it to a made-up value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from markupsafe import Markup, escape

from ..i18n import Message

# Okabe-Ito's hues (distinguishable with the common colour-vision deficiencies),
# darkened so that every line and marker has a contrast of at least 4.5:1 on white
# (a test checks); series also differ by dash pattern and marker shape.
COLOURS = ("#0072B2", "#B34700", "#00795C", "#A8467F", "#8A5A00", "#6A3D9A", "#000000")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2", "10 4")
MARKERS = ("circle", "square", "triangle", "diamond", "circle", "square", "triangle")

# Sizes in the SVG's own units. A plot is drawn WIDTH units wide and shown at most that
# many pixels wide (in a phone's 390 px at about 360 px): text of TEXT_SIZE units is
# never below 11 px on screen.
WIDTH, HEIGHT = 400, 250
TEXT_SIZE, LABEL_SIZE, TITLE_SIZE = 13, 13, 14
LEFT, RIGHT, TOP, BOTTOM = 60, 14, 30, 46
LEGEND_ROW = 20


def fmt(v: float) -> str:
    """A short, exact-enough label for a tick or a value: 0.5, 20, 1e-06, 2.5e+03."""
    if v == 0:
        return "0"
    if not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    a = abs(v)
    if 1e-3 <= a < 1e5:
        text = f"{v:.4g}"
    else:
        mant, exp = f"{v:.2e}".split("e")
        text = f"{mant.rstrip('0').rstrip('.')}e{int(exp):+03d}"
    return text


def _num(v: float) -> str:
    """A coordinate in the SVG (two decimals are plenty at this size)."""
    return f"{v:.2f}".rstrip("0").rstrip(".") if v != int(v) else str(int(v))


def nice_ticks(lo: float, hi: float, target: int = 5) -> list[float]:
    """Round tick values (1, 2, 2.5, 5 x 10^k steps) from below ``lo`` to above ``hi``."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(target, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw * (1 - 1e-12))
    first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    return [round(k * step, 12) for k in range(first, last + 1)]


def _extent(values: list[float], log: bool) -> tuple[float, float] | None:
    ok = [v for v in values if math.isfinite(v) and (v > 0 or not log)]
    if not ok:
        return None
    return min(ok), max(ok)


def _segments(xs: Sequence[float | None], ys: Sequence[float | None],
              log_y: bool) -> list[list[tuple[float, float]]]:
    """Runs of drawable points; a point that cannot be drawn ends a run."""
    runs: list[list[tuple[float, float]]] = [[]]
    for x, y in zip(xs, ys, strict=False):
        if x is not None and y is not None and math.isfinite(x) and math.isfinite(y) and (y > 0 or not log_y):
            runs[-1].append((float(x), float(y)))
        elif runs[-1]:
            runs.append([])
    return [r for r in runs if r]


def _marker(kind: str, x: float, y: float, colour: str) -> str:
    s = 3.2
    if kind == "square":
        return (f'<rect x="{_num(x - s)}" y="{_num(y - s)}" width="{_num(2 * s)}" height="{_num(2 * s)}" '
                f'fill="{colour}"/>')
    if kind == "triangle":
        pts = f"{_num(x)},{_num(y - s - 0.8)} {_num(x - s)},{_num(y + s)} {_num(x + s)},{_num(y + s)}"
        return f'<polygon points="{pts}" fill="{colour}"/>'
    if kind == "diamond":
        pts = (f"{_num(x)},{_num(y - s - 0.6)} {_num(x + s)},{_num(y)} "
               f"{_num(x)},{_num(y + s + 0.6)} {_num(x - s)},{_num(y)}")
        return f'<polygon points="{pts}" fill="{colour}"/>'
    return f'<circle cx="{_num(x)}" cy="{_num(y)}" r="{_num(s)}" fill="{colour}"/>'


def text_width(text: str, size: float) -> float:
    """About how wide ``text`` is at font size ``size`` (a CJK character is square,
    a Latin one a little over half as wide): enough to lay out a legend."""
    return sum(size if ord(ch) > 0x2E80 else 0.54 * size for ch in text)


def line_plot(
    series: Sequence[dict[str, Any]],
    *,
    title: str,
    desc: str = "",
    x_label: str = "",
    y_label: str = "",
    log_y: bool = False,
    width: int = WIDTH,
    height: int = HEIGHT,
    id_prefix: str = "plot",
    markers_every: int = 0,
    y_floor: float | None = None,
    visible_title: bool = True,
) -> Markup:
    """One line plot as inline SVG markup.

    ``series``: dicts with ``label`` (text), ``x`` and ``y`` (numbers, same
    length). ``title`` and ``desc`` become the accessible name/description, and
    ``title`` the visible title too unless ``visible_title`` is false (the page then
    shows it above the plot, where a long title can wrap); ``markers_every`` draws a
    marker on every k-th point (0: about ten per line). ``y_floor`` (log axis) hides
    values below it, e.g. 1e-30 for "vanished". The legend has two columns when the
    labels fit, else one. Returns :class:`markupsafe.Markup` that is safe to embed."""
    pid = "".join(c if c.isalnum() or c in "-_" else "-" for c in id_prefix)
    n_legend = len(series)
    col_w = (width - 20) / 2
    widest = max((text_width(str(s.get("label", "")), TEXT_SIZE) for s in series), default=0.0)
    columns = 2 if widest + 34 <= col_w else 1
    legend_h = LEGEND_ROW * ((n_legend + columns - 1) // columns) + 6 if n_legend else 0
    top = TOP if visible_title else 12
    total_h = height - (TOP - top) + legend_h
    height = height - (TOP - top)
    pw, ph = width - LEFT - RIGHT, height - top - BOTTOM
    xs_all = [float(x) for s in series for x in s.get("x", []) if x is not None]
    ys_all = [float(y) for s in series for y in s.get("y", []) if y is not None]
    if log_y and y_floor is not None:
        ys_all = [y for y in ys_all if y >= y_floor]
    x_ext, y_ext = _extent(xs_all, False), _extent(ys_all, log_y)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="plot" role="img" viewBox="0 0 {width} {total_h}" '
        f'width="100%" style="max-width:{width}px" aria-labelledby="{pid}-title {pid}-desc">',
        f'<title id="{pid}-title">{escape(title)}</title>',
        f'<desc id="{pid}-desc">{escape(desc)}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{total_h}" fill="#ffffff"/>',
    ]
    if visible_title:
        parts.append(f'<text x="{_num(width / 2)}" y="20" text-anchor="middle" font-size="{TITLE_SIZE}" '
                     f'font-weight="600" fill="#1f2328">{escape(title)}</text>')
    if x_ext is None or y_ext is None:
        parts.append(f'<text x="{_num(width / 2)}" y="{_num(height / 2)}" text-anchor="middle" '
                     f'font-size="{TEXT_SIZE}" fill="#57606a">-</text></svg>')
        return Markup("".join(parts))

    x0, x1 = x_ext
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1
    if log_y:
        lo_e = math.floor(math.log10(y_ext[0]))
        hi_e = math.ceil(math.log10(y_ext[1]))
        if hi_e == lo_e:
            hi_e += 1
        y0, y1 = float(lo_e), float(hi_e)
        stride = max(1, math.ceil((hi_e - lo_e) / 7))
        y_ticks = [(float(e), fmt(10.0 ** e)) for e in range(lo_e, hi_e + 1) if (e - lo_e) % stride == 0]
    else:
        ticks = nice_ticks(0.0 if y_ext[0] >= 0 else y_ext[0], y_ext[1])  # non-negative data start at 0
        y0, y1 = ticks[0], ticks[-1]
        if y1 == y0:
            y1 = y0 + 1
        y_ticks = [(t, fmt(t)) for t in ticks]
    x_ticks = [t for t in nice_ticks(x0, x1, 6) if x0 - 1e-9 <= t <= x1 + 1e-9]

    def sx(x: float) -> float:
        return LEFT + (x - x0) / (x1 - x0) * pw

    def sy(y: float) -> float:
        v = math.log10(y) if log_y else y
        return top + (1 - (v - y0) / (y1 - y0)) * ph

    def sy_axis(v: float) -> float:
        return top + (1 - (v - y0) / (y1 - y0)) * ph

    # grid, ticks and tick labels
    parts.append(f'<g font-size="{TEXT_SIZE}" fill="#1f2328">')
    for v, label in y_ticks:
        y = sy_axis(v)
        parts.append(f'<line x1="{LEFT}" y1="{_num(y)}" x2="{LEFT + pw}" y2="{_num(y)}" stroke="#e6e9ed"/>')
        parts.append(f'<text x="{LEFT - 5}" y="{_num(y + 4)}" text-anchor="end">{escape(label)}</text>')
    for v in x_ticks:
        x = sx(v)
        parts.append(f'<line x1="{_num(x)}" y1="{top + ph}" x2="{_num(x)}" y2="{top + ph + 5}" stroke="#57606a"/>')
        parts.append(f'<text x="{_num(x)}" y="{top + ph + 18}" text-anchor="middle">{escape(fmt(v))}</text>')
    parts.append("</g>")
    # axes
    parts.append(f'<path d="M{LEFT},{top} V{top + ph} H{LEFT + pw}" fill="none" stroke="#57606a"/>')
    parts.append(f'<text x="{_num(LEFT + pw / 2)}" y="{top + ph + 38}" text-anchor="middle" font-size="{LABEL_SIZE}" '
                 f'fill="#1f2328">{escape(x_label)}</text>')
    parts.append(f'<text transform="translate(14 {_num(top + ph / 2)}) rotate(-90)" text-anchor="middle" '
                 f'font-size="{LABEL_SIZE}" fill="#1f2328">{escape(y_label)}</text>')
    # lines
    parts.append(f'<clipPath id="{pid}-clip"><rect x="{LEFT}" y="{top - 2}" width="{pw}" height="{ph + 4}"/>'
                 f'</clipPath><g clip-path="url(#{pid}-clip)" fill="none" stroke-width="2">')
    for k, s in enumerate(series):
        colour, dash, marker = COLOURS[k % len(COLOURS)], DASHES[k % len(DASHES)], MARKERS[k % len(MARKERS)]
        ys = [None if (y is None or (log_y and y_floor is not None and y < y_floor)) else float(y)
              for y in s.get("y", [])]
        xs = [None if x is None else float(x) for x in s.get("x", [])]
        every = markers_every or max(1, len(xs) // 10)
        for run in _segments(xs, ys, log_y):
            pts = " ".join(f"{_num(sx(x))},{_num(sy(y))}" for x, y in run)
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(f'<polyline points="{pts}" stroke="{colour}"{dash_attr}/>')
        for i, (px, py) in enumerate(zip(xs, ys, strict=False)):
            if i % every == 0 and px is not None and py is not None and math.isfinite(px) and math.isfinite(py) \
                    and (py > 0 or not log_y):
                parts.append(_marker(marker, sx(px), sy(py), colour))
    parts.append("</g>")
    # legend under the plot, in one or two columns
    if n_legend:
        parts.append(f'<g font-size="{TEXT_SIZE}" fill="#1f2328">')
        for k, s in enumerate(series):
            colour, dash, marker = COLOURS[k % len(COLOURS)], DASHES[k % len(DASHES)], MARKERS[k % len(MARKERS)]
            lx = 20 + (k % columns) * col_w
            ly = height + LEGEND_ROW * (k // columns) + 4
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(f'<line x1="{_num(lx)}" y1="{_num(ly)}" x2="{_num(lx + 26)}" y2="{_num(ly)}" '
                         f'stroke="{colour}" stroke-width="2"{dash_attr}/>')
            parts.append(_marker(marker, lx + 13, ly, colour))
            parts.append(f'<text x="{_num(lx + 32)}" y="{_num(ly + 4)}">{escape(str(s.get("label", "")))}</text>')
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))


def plot_from_data(plot: dict[str, Any], text: Callable[..., str], id_prefix: str = "plot",
                   visible_title: bool = True) -> Markup:
    """Draw one plot of an experiment result (see ``grader/experiments/model.py``).

    ``text(key, **params)`` renders a catalogue message in the report's language
    (the report's ``t`` helper); the plot's title, description, axis labels and
    series labels are :class:`~grader.i18n.Message` values rendered through it."""
    def say(m: Any) -> str:
        if isinstance(m, Message):
            return str(text(m.key, **m.params))
        return "" if m is None else str(m)

    series = [{"label": say(s.get("label")), "x": s.get("x", []), "y": s.get("y", [])}
              for s in plot.get("series", [])]
    return line_plot(series, title=say(plot.get("title")), desc=say(plot.get("desc")),
                     x_label=say(plot.get("x_label")), y_label=say(plot.get("y_label")),
                     log_y=bool(plot.get("log_y")), id_prefix=id_prefix, visible_title=visible_title)


def histogram(values: Sequence[float], bins: Sequence[float], title: str, x_label: str, y_label: str,
              desc: str, width: int = WIDTH, height: int = HEIGHT) -> Markup:
    """Bars counting ``values`` in the half-open ``bins`` intervals (the last one
    closed). Every count is also written above its bar, so the chart reads
    without colour and in print."""
    counts = [0] * (len(bins) - 1)
    for v in values:
        for i in range(len(counts)):
            last = i == len(counts) - 1
            if bins[i] <= v < bins[i + 1] or (last and v == bins[-1]):
                counts[i] += 1
                break
    top = max(counts + [1])
    head = TOP + 16  # room for the title and the count above the tallest bar
    plot_w, plot_h = width - LEFT - RIGHT, height - head - BOTTOM
    bar_w = plot_w / max(len(counts), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="plot" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width:{width}px" aria-labelledby="hist-t hist-d">',
        f'<title id="hist-t">{escape(title)}</title><desc id="hist-d">{escape(desc)}</desc>',
        f'<text x="{width / 2}" y="18" text-anchor="middle" font-size="{TITLE_SIZE}" font-weight="700" '
        f'fill="#1f2328">{escape(title)}</text>',
        f'<line x1="{LEFT}" y1="{head + plot_h}" x2="{LEFT + plot_w}" y2="{head + plot_h}" stroke="#1f2328"/>',
        f'<line x1="{LEFT}" y1="{head}" x2="{LEFT}" y2="{head + plot_h}" stroke="#1f2328"/>',
    ]
    for i, c in enumerate(counts):
        h = plot_h * c / top
        x = LEFT + i * bar_w
        parts.append(f'<rect x="{_num(x + 1)}" y="{_num(head + plot_h - h)}" width="{_num(bar_w - 2)}" '
                     f'height="{_num(h)}" fill="{COLOURS[0]}"/>')
        if c:
            parts.append(f'<text x="{_num(x + bar_w / 2)}" y="{_num(head + plot_h - h - 3)}" text-anchor="middle" '
                         f'font-size="{TEXT_SIZE}" fill="#1f2328">{c}</text>')
    for i, b in enumerate(bins):
        if i % 2 == 0 or len(bins) <= 6:  # every other bin edge: the labels keep their room
            parts.append(f'<text x="{_num(LEFT + i * bar_w)}" y="{head + plot_h + 16}" text-anchor="middle" '
                         f'font-size="{TEXT_SIZE}" fill="#57606a">{escape(fmt(b))}</text>')
    parts.append(f'<text x="{LEFT + plot_w / 2}" y="{height - 8}" text-anchor="middle" font-size="{LABEL_SIZE}" '
                 f'fill="#1f2328">{escape(x_label)}</text>')
    parts.append(f'<text x="14" y="{head + plot_h / 2}" text-anchor="middle" font-size="{LABEL_SIZE}" fill="#1f2328" '
                 f'transform="rotate(-90 14 {head + plot_h / 2})">{escape(y_label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
