"""Small bar charts for the pages: inline SVG drawn on the server, and the same chart as a Vega-Lite spec.

The caller (a page's view model) hands over everything a chart says, already in the reader's
language and taken from the release: labels, values and how people read them, the title, the
description and the scale in words. This module only draws; it holds no figure and no wording.

The SVG is for people and screen readers alike: ``role="img"`` named by its ``<title>`` and
``<desc>`` (the description and the scale), every label, value and tick as real ``<text>``, the
scale as visible text, presentation attributes only (no ``style=``, which the pages' CSP blocks),
no script, no link (a link inside ``role="img"`` is not announced: the page puts a data table with
the links beside the chart) and nothing fetched. Horizontal bars, each with its label above it, so
long cohort names and CJK text get the full width; a label that still does not fit wraps onto a
second line and is then shortened with an ellipsis (the table beside the chart keeps the full text).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass
from html import escape

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
FONT = "system-ui, 'Noto Sans CJK KR', 'Noto Sans CJK JP', sans-serif"
INK = "#1b1b1b"  # text: 17:1 on white
MUTED = "#4d4d4d"  # notes and ticks: 8.5:1 on white
BAR = "#0b5cad"  # bars: 6.7:1 on white, and white text on them
AXIS = "#595959"  # the baseline: 7:1 on white
GRID = "#d0d0d0"  # grid lines (the values they mark are also text)

WIDTH = 640
LEFT = 16  # the plot's left edge: room for half of the first tick's text
PLOT = WIDTH - LEFT - 40  # the plot's width: room on the right for half of the last tick's text
TOP = 8
LABEL_SIZE, LABEL_LINE, LABEL_LINES = 14, 18, 2
NOTE_SIZE, NOTE_LINE = 12, 16
BAR_HEIGHT, BAR_GAP = 20, 14
VALUE_SIZE = 13
TICK_SIZE = 12
_ID = re.compile(r"[A-Za-z][\w.:-]*")


@dataclass(frozen=True, kw_only=True)
class Bar:
    label: str  # category label, already in the reader's language (or the one it has: see lang)
    value: float  # the number drawn
    display: str  # the number as people read it ("USD 77.2 billion"), shown as text
    href: str = ""  # the observation's page: for the page's data table and the Vega-Lite data, never a link in the SVG
    lang: str = ""  # language tag of label, when known
    note: str = ""  # an optional second line under the label ("234 companies")


@dataclass(frozen=True, kw_only=True)
class Chart:
    id: str  # unique on the page; the SVG's element ids start with it
    title: str
    description: str  # what the chart shows, with the numbers
    scale_note: str  # the scale in words, shown in the SVG and read out with the description
    bars: tuple[Bar, ...]
    scale: str = "linear"  # "linear" or "log"
    domain: tuple[float, float] | None = None  # a fixed axis range; None: from 0 (linear) or the decade below (log)
    value_title: str = ""
    category_title: str = ""


def compact(value: float) -> str:
    """A tick value in few characters (``0.25``, ``80``, ``2.5 k``, ``100 M``, ``1 B``): the default tick text."""
    rounded = float(f"{value:.3g}")
    if rounded == 0:
        return "0"
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(rounded) >= size:
            return f"{rounded / size:g} {suffix}"
    return f"{rounded:g}"


@dataclass(frozen=True)
class _Axis:
    lo: float
    hi: float
    log: bool

    def fraction(self, value: float) -> float:
        """Where ``value`` lies from ``lo`` (0) to ``hi`` (1), kept inside the plot."""
        if self.log:
            low = math.log10(self.lo)
            share = (math.log10(value) - low) / (math.log10(self.hi) - low) if value > 0 else 0.0
        else:
            share = (value - self.lo) / (self.hi - self.lo)
        return min(1.0, max(0.0, share))

    def baseline(self) -> float:
        """The value bars grow from: zero, or the axis end nearest to it (always ``lo`` on a log axis)."""
        return self.lo if self.log else min(self.hi, max(self.lo, 0.0))

    def ticks(self) -> list[float]:
        """Grid values: every power of ten (log), or round steps of 1, 2 or 5 (linear)."""
        if self.log:
            first, last = math.ceil(math.log10(self.lo) - 1e-9), math.floor(math.log10(self.hi) + 1e-9)
            return [10.0**e for e in range(first, last + 1)]
        step = _step(self.hi - self.lo)
        first, last = math.ceil(self.lo / step - 1e-9), math.floor(self.hi / step + 1e-9)
        return [round(k * step, 12) for k in range(first, last + 1)]


def _step(span: float) -> float:
    """A round step (1, 2 or 5 times a power of ten) giving about five intervals over ``span``."""
    raw = span / 5
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if raw <= m * power * (1 + 1e-9))


def _axis(chart: Chart) -> _Axis:
    """The axis range: the chart's domain, else from 0 or the decade below the smallest value to a round maximum."""
    if chart.scale not in ("linear", "log"):
        raise ValueError(f"chart {chart.id!r}: scale must be 'linear' or 'log', not {chart.scale!r}")
    values = [bar.value for bar in chart.bars]
    if not values:
        raise ValueError(f"chart {chart.id!r} has no bars")
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"chart {chart.id!r}: every value must be a finite number")
    log = chart.scale == "log"
    if log and min(values) <= 0:
        raise ValueError(f"chart {chart.id!r}: a logarithmic scale needs values above zero")
    if chart.domain is not None:
        lo, hi = chart.domain
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi) or (log and lo <= 0):
            raise ValueError(f"chart {chart.id!r}: domain {chart.domain!r} is not a range of this scale")
        return _Axis(lo, hi, log)
    if log:
        low = 10.0 ** math.floor(math.log10(min(values)) + 1e-9)
        if low >= min(values):  # the smallest value is a power of ten: its bar keeps a length
            low /= 10
        return _Axis(low, max(10.0 ** math.ceil(math.log10(max(values)) - 1e-9), low * 10), log)
    small, large = min(0.0, *values), max(0.0, *values)
    if small == large:
        return _Axis(0.0, 1.0, log)
    step = _step(large - small)
    return _Axis(math.floor(small / step + 1e-9) * step, math.ceil(large / step - 1e-9) * step, log)


def _width(text: str, size: float) -> float:
    """The estimated width of ``text`` at font ``size``: a wide (CJK) character is 1 em, another 0.6 em."""
    return size * sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.6 for c in text)


def _wrap(text: str, size: float, room: float, lines: int) -> list[str]:
    """``text`` on at most ``lines`` lines of ``room`` width: broken at spaces, or anywhere in a run
    without spaces (Japanese); the last line ends with an ellipsis when the text is longer."""
    out: list[str] = []
    rest = " ".join(text.split())
    while rest and len(out) < lines:
        if _width(rest, size) <= room:
            out.append(rest)
            rest = ""
            break
        cut = 1
        while cut < len(rest) and _width(rest[: cut + 1], size) <= room:
            cut += 1
        space = rest.rfind(" ", 0, cut + 1)
        cut = space if space > 0 else cut
        out.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        last = out[-1]
        while len(last) > 1 and _width(last + "…", size) > room:
            last = last[:-1]
        out[-1] = last.rstrip() + "…"
    return out


def _n(number: float) -> str:
    """A coordinate with at most one decimal."""
    return f"{number:.1f}".removesuffix(".0")


def _attr(value: str) -> str:
    """An attribute value between double quotes (single quotes, as in the font list, stay as they are)."""
    return escape(value, quote=False).replace('"', "&quot;")


def _text(x: float, y: float, content: str, **attributes: str) -> str:
    extra = "".join(f' {name.replace("_", "-")}="{_attr(value)}"' for name, value in attributes.items() if value)
    return f'<text x="{_n(x)}" y="{_n(y)}"{extra}>{escape(content, quote=False)}</text>'


def _value(bar_start: float, bar_end: float, y: float, display: str) -> str:
    """The bar's value as text: after the bar's end when it fits there, else inside the bar in white."""
    forward = bar_end >= bar_start
    room = (WIDTH - 4 - bar_end) if forward else (bar_end - 4)
    outside = _width(display, VALUE_SIZE) + 6 <= room or _width(display, VALUE_SIZE) + 12 > abs(bar_end - bar_start)
    if outside:
        return _text(bar_end + 6 if forward else bar_end - 6, y, display, text_anchor="" if forward else "end")
    return _text(bar_end - 6 if forward else bar_end + 6, y, display, text_anchor="end" if forward else "",
                 fill="#fff")


def svg(chart: Chart, *, lang: str, tick_format: Callable[[float], str] | None = None) -> str:
    """The chart as an ``<svg>`` element for an HTML page in ``lang``; ``tick_format`` writes the grid values
    (default :func:`compact`; the page passes one in the reader's language)."""
    if not _ID.fullmatch(chart.id):
        raise ValueError(f"chart id {chart.id!r} must start with a letter and hold no spaces (it names element ids)")
    if not chart.title.strip():
        raise ValueError(f"chart {chart.id!r} needs a title: it is the chart's accessible name")
    axis = _axis(chart)
    fmt = tick_format or compact

    def x(value: float) -> float:
        return LEFT + PLOT * axis.fraction(value)

    body: list[str] = []
    bars: list[str] = []
    y = TOP
    base = x(axis.baseline())
    for bar in chart.bars:
        other = {"lang": bar.lang} if bar.lang and bar.lang.lower() != lang.lower() else {}
        for line in _wrap(bar.label, LABEL_SIZE, WIDTH - 2 * LEFT, LABEL_LINES):
            body.append(_text(LEFT, y + LABEL_SIZE, line, **other))
            y += LABEL_LINE
        for line in _wrap(bar.note, NOTE_SIZE, WIDTH - 2 * LEFT, 1):
            body.append(_text(LEFT, y + NOTE_SIZE, line, font_size=str(NOTE_SIZE), fill=MUTED))
            y += NOTE_LINE
        end = x(bar.value)
        y += 4
        bars.append(f'<rect x="{_n(min(base, end))}" y="{y}" width="{_n(abs(end - base))}" height="{BAR_HEIGHT}"/>')
        body.append(_value(base, end, y + BAR_HEIGHT / 2 + VALUE_SIZE * 0.35, bar.display))
        y += BAR_HEIGHT + BAR_GAP
    bottom = y - BAR_GAP + 4
    ticks = axis.ticks()
    grid = "".join(f"M{_n(x(t))} {TOP}V{bottom}" for t in ticks)
    tick_text = "".join(_text(x(t), bottom + TICK_SIZE + 4, fmt(t)) for t in ticks)
    y = bottom + TICK_SIZE + 4
    notes = []
    for line in _wrap(chart.scale_note, TICK_SIZE, WIDTH - 2 * LEFT, 3):
        y += TICK_SIZE + 6
        notes.append(_text(LEFT, y, line))
    height = y + 8
    ids = f"{chart.id}-title {chart.id}-desc"
    desc = " ".join(part for part in (chart.description.strip(), chart.scale_note.strip()) if part)
    return "".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{_attr(ids)}"'
        f' viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}"'
        f' font-family="{_attr(FONT)}" font-size="{LABEL_SIZE}" fill="{INK}">',
        f'<title id="{_attr(chart.id)}-title">{escape(chart.title, quote=False)}</title>',
        f'<desc id="{_attr(chart.id)}-desc">{escape(desc, quote=False)}</desc>',
        f'<path d="{grid}" stroke="{GRID}" fill="none"/>' if grid else "",
        f'<path d="M{_n(base)} {TOP}V{bottom}" stroke="{AXIS}"/>',
        f'<g fill="{BAR}">', *bars, "</g>",
        *body,
        f'<g font-size="{TICK_SIZE}" fill="{MUTED}" text-anchor="middle">{tick_text}</g>',
        f'<g font-size="{TICK_SIZE}" fill="{MUTED}">', *notes, "</g>",
        "</svg>",
    ])


def vega_lite(chart: Chart) -> dict[str, object]:
    """The chart as a Vega-Lite v5 spec with its data inline (``$schema`` names the schema; nothing is fetched)."""
    _axis(chart)  # the same checks as the SVG: a spec is never made of a chart that cannot be drawn
    scale: dict[str, object] = {}
    if chart.scale == "log":
        scale["type"] = "log"
    if chart.domain is not None:
        scale["domain"] = list(chart.domain)
    x: dict[str, object] = {"field": "value", "type": "quantitative"}
    y: dict[str, object] = {"field": "label", "type": "nominal", "sort": None}
    if chart.value_title:
        x["title"] = chart.value_title
    if chart.category_title:
        y["title"] = chart.category_title
    if scale:
        x["scale"] = scale
    label: dict[str, object] = {"field": "label", "type": "nominal", "title": chart.category_title or "label"}
    shown: dict[str, object] = {"field": "display", "type": "nominal", "title": chart.value_title or "value"}
    encoding: dict[str, object] = {"y": y, "x": x, "tooltip": [label, shown]}
    if any(bar.href for bar in chart.bars):
        encoding["href"] = {"field": "href", "type": "nominal"}
    return {
        "$schema": SCHEMA,
        "title": chart.title,
        "description": " ".join(part for part in (chart.description.strip(), chart.scale_note.strip()) if part),
        "data": {"values": [asdict(bar) for bar in chart.bars]},
        "mark": {"type": "bar", "color": BAR},
        "encoding": encoding,
    }
