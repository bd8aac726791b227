"""Server-side inline SVG charts: vertical bars, horizontal bars, a line. No JavaScript, no online
service; readable when printed in black and white (each series has its own fill pattern, every
value is written next to its bar or point) and accessible: the `<svg>` is `role="img"` with a
`<title>` and a `<desc>` (the data in words), and the page shows a data table beside it.

Presentation attributes only (fill, stroke…), never a `style` attribute: the Content-Security-
Policy allows no inline style. Every text is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
FONT = 13
# Series fills: a solid dark grey, diagonal hatching, dots — distinguishable without colour.
PATTERNS = ("solid", "hatch", "dots")


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the value as written on the chart ("12", "85,0 %")


def _n(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _fit(label: str, width: float) -> str:
    """The label cut to what `width` pixels hold at FONT (8 px a character, capitals and
    diacritics included), with an ellipsis; the full name is in the bar's title and the table."""
    room = int(width // 8)
    return label if len(label) <= room else label[: room - 1].rstrip() + "…"


def _defs(chart_id: str) -> str:
    return (
        "<defs>"
        f'<pattern id="{chart_id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#000" stroke-width="3"/></pattern>'
        f'<pattern id="{chart_id}-dots" width="5" height="5" patternUnits="userSpaceOnUse">'
        '<rect width="5" height="5" fill="#fff"/><circle cx="2.5" cy="2.5" r="1.3" fill="#000"/></pattern>'
        "</defs>"
    )


def _fill(chart_id: str, series: int) -> str:
    kind = PATTERNS[series % len(PATTERNS)]
    return "#4a4a4a" if kind == "solid" else f"url(#{chart_id}-{kind})"


def _open(chart_id: str, title: str, desc: str, height: float) -> str:
    cid = escape(chart_id)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {_n(height)}" width="100%" '
        f'role="img" aria-labelledby="{cid}-title {cid}-desc" class="chart" font-family="sans-serif">'
        f'<title id="{cid}-title">{escape(title)}</title><desc id="{cid}-desc">{escape(desc)}</desc>'
        + _defs(cid)
    )


def describe(items: Sequence[Bar]) -> str:
    """The data in words, for `<desc>`: "03/2026: 12; 04/2026: 15"."""
    return "; ".join(f"{b.label}: {b.text}" for b in items) or "Không có số liệu."


def bar_chart(*, chart_id: str, title: str, bars: Sequence[Bar], maximum: float | None = None) -> SafeString:
    """Vertical bars, one per item, the value written above each bar and the label below."""
    height, top, bottom = 240.0, 24.0, 40.0
    peak = max([maximum or 0.0, *(b.value for b in bars), 1e-9])
    n = max(len(bars), 1)
    step = WIDTH / n
    plot = height - top - bottom
    parts = [_open(chart_id, title, describe(bars), height)]
    base = height - bottom
    parts.append(
        f'<line x1="0" y1="{_n(base)}" x2="{WIDTH}" y2="{_n(base)}" stroke="#000" stroke-width="1"/>'
    )
    for i, b in enumerate(bars):
        h = plot * max(b.value, 0) / peak
        x, w = i * step + step * 0.15, step * 0.7
        cx = x + w / 2
        parts.append(
            f'<g><rect x="{_n(x)}" y="{_n(base - h)}" width="{_n(w)}" height="{_n(h)}" '
            f'fill="{_fill(escape(chart_id), 1)}" stroke="#000" stroke-width="1">'
            f"<title>{escape(b.label)}: {escape(b.text)}</title></rect>"
            f'<text x="{_n(cx)}" y="{_n(base - h - 5)}" text-anchor="middle" font-size="{FONT}" fill="#000">'
            f"{escape(b.text)}</text>"
            f'<text x="{_n(cx)}" y="{_n(base + 18)}" text-anchor="middle" font-size="{FONT - 1}" fill="#000">'
            f"{escape(b.label)}</text></g>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


@dataclass(frozen=True)
class HRow:
    label: str
    values: tuple[Bar, ...]  # one per series


def hbar_chart(
    *, chart_id: str, title: str, series: Sequence[str], rows: Sequence[HRow], maximum: float | None = None
) -> SafeString:
    """Horizontal bars: a row per item with one bar per series (each series its own pattern,
    named in the legend), the value written after each bar."""
    label_w, row_gap, bar_h = 260.0, 10.0, 16.0
    legend_h = 26.0
    per_row = bar_h * len(series) + row_gap
    height = legend_h + per_row * max(len(rows), 1) + 6
    peak = max([maximum or 0.0, *(v.value for r in rows for v in r.values), 1e-9])
    plot = WIDTH - label_w - 60
    cid = escape(chart_id)
    desc = "; ".join(
        f"{r.label}: " + ", ".join(f"{s} {v.text}" for s, v in zip(series, r.values, strict=False))
        for r in rows
    )
    parts = [_open(chart_id, title, desc or "Không có số liệu.", height)]
    x = 0.0
    for s_i, name in enumerate(series):  # the legend
        parts.append(
            f'<rect x="{_n(x)}" y="4" width="16" height="14" fill="{_fill(cid, s_i)}" stroke="#000"/>'
            f'<text x="{_n(x + 22)}" y="16" font-size="{FONT}" fill="#000">{escape(name)}</text>'
        )
        x += 30 + 8 * len(name)
    for r_i, row in enumerate(rows):
        y0 = legend_h + r_i * per_row
        parts.append(
            f'<text x="{_n(label_w - 6)}" y="{_n(y0 + per_row / 2)}" text-anchor="end" font-size="{FONT}" '
            f'fill="#000">{escape(_fit(row.label, label_w - 6))}</text>'
        )
        for s_i, v in enumerate(row.values):
            w = plot * max(v.value, 0) / peak
            y = y0 + s_i * bar_h
            parts.append(
                f'<rect x="{_n(label_w)}" y="{_n(y)}" width="{_n(w)}" height="{_n(bar_h - 2)}" '
                f'fill="{_fill(cid, s_i)}" stroke="#000" stroke-width="1">'
                f"<title>{escape(row.label)} — {escape(series[s_i])}: {escape(v.text)}</title></rect>"
                f'<text x="{_n(label_w + w + 4)}" y="{_n(y + bar_h - 4)}" font-size="{FONT - 1}" fill="#000">'
                f"{escape(v.text)}</text>"
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def line_chart(
    *, chart_id: str, title: str, points: Sequence[Bar], maximum: float | None = None
) -> SafeString:
    """A line through the points (left to right), each point marked and its value written."""
    height, top, bottom, left, right = 240.0, 24.0, 40.0, 34.0, 34.0
    peak = max([maximum or 0.0, *(p.value for p in points), 1e-9])
    n = len(points)
    step = (WIDTH - left - right) / max(n - 1, 1)
    plot = height - top - bottom
    base = height - bottom
    coords = [(left + i * step, base - plot * max(p.value, 0) / peak) for i, p in enumerate(points)]
    parts = [_open(chart_id, title, describe(points), height)]
    parts.append(
        f'<line x1="0" y1="{_n(base)}" x2="{WIDTH}" y2="{_n(base)}" stroke="#000" stroke-width="1"/>'
    )
    if coords:
        path = " ".join(f"{_n(x)},{_n(y)}" for x, y in coords)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#000" stroke-width="2"/>')
    for (x, y), p in zip(coords, points, strict=True):
        parts.append(
            f'<g><circle cx="{_n(x)}" cy="{_n(y)}" r="4" fill="#fff" stroke="#000" stroke-width="2">'
            f"<title>{escape(p.label)}: {escape(p.text)}</title></circle>"
            f'<text x="{_n(x)}" y="{_n(y - 9)}" text-anchor="middle" font-size="{FONT - 1}" fill="#000">'
            f"{escape(p.text)}</text>"
            f'<text x="{_n(x)}" y="{_n(base + 18)}" text-anchor="middle" font-size="{FONT - 2}" fill="#000">'
            f"{escape(p.label)}</text></g>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
