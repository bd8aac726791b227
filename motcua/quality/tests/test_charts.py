"""The server-side SVG charts: well-formed, accessible (title, desc, role), every value written,
patterns for black-and-white printing, text escaped, no inline style (CSP)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from motcua.quality.charts import Bar, HRow, bar_chart, describe, hbar_chart, line_chart

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def test_bar_chart_is_accessible_and_writes_every_value():
    bars = [Bar("Rất hài lòng", 5, "5"), Bar("Hài lòng", 3, "3"), Bar("Không hài lòng", 0, "0")]
    root = parse(bar_chart(chart_id="dg", title="Phân bố mức hài lòng", bars=bars))
    assert root.get("role") == "img" and root.get("aria-labelledby") == "dg-title dg-desc"
    assert root.find(f"{SVG}title").get("id") == "dg-title"
    assert root.find(f"{SVG}title").text == "Phân bố mức hài lòng"
    assert root.find(f"{SVG}desc").text == "Rất hài lòng: 5; Hài lòng: 3; Không hài lòng: 0"
    assert {"5", "3", "0", "Rất hài lòng", "Hài lòng", "Không hài lòng"} <= set(texts(root))
    rects = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    heights = [float(r.get("height")) for r in rects]
    assert heights[0] > heights[1] > heights[2] == 0
    assert all(r.get("fill") == "url(#dg-hatch)" and r.get("stroke") == "#000" for r in rects)


def test_hbar_chart_has_a_pattern_per_series_and_a_legend():
    rows = [
        HRow("Phòng Kinh tế", (Bar("", 8, "8"), Bar("", 2, "2"))),
        HRow("Văn phòng", (Bar("", 4, "4"), Bar("", 0, "0"))),
    ]
    svg = hbar_chart(chart_id="td", title="Tồn đọng", series=["Đang giải quyết", "Quá hạn"], rows=rows)
    root = parse(svg)
    assert (
        root.find(f"{SVG}desc").text
        == "Phòng Kinh tế: Đang giải quyết 8, Quá hạn 2; Văn phòng: Đang giải quyết 4, Quá hạn 0"
    )
    fills = {r.get("fill") for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None}
    assert fills == {"#4a4a4a", "url(#td-hatch)"}  # solid and hatched: tell apart in black and white
    assert {"Đang giải quyết", "Quá hạn", "8", "2", "4", "0", "Phòng Kinh tế"} <= set(texts(root))
    assert {p.get("id") for p in root.iter(f"{SVG}pattern")} == {"td-hatch", "td-dots"}


def test_line_chart_marks_and_writes_every_point():
    pts = [Bar("03/2026", 36.84, "36,84"), Bar("04/2026", 42, "42,00"), Bar("05/2026", 0, "0,00")]
    root = parse(line_chart(chart_id="xh", title="Điểm 766 theo tháng", points=pts, maximum=60))
    line = root.find(f"{SVG}polyline")
    ys = [float(p.split(",")[1]) for p in line.get("points").split()]
    assert ys[1] < ys[0] < ys[2]  # higher score, higher on the chart
    assert len([c for c in root.iter(f"{SVG}circle") if c.find(f"{SVG}title") is not None]) == 3
    assert {"36,84", "42,00", "0,00", "03/2026"} <= set(texts(root))


def test_text_is_escaped_and_no_inline_style():
    evil = '<script>alert(1)</script>" onload="x'
    for svg in (
        bar_chart(chart_id="a", title=evil, bars=[Bar(evil, 1, evil)]),
        hbar_chart(chart_id="b", title=evil, series=[evil], rows=[HRow(evil, (Bar(evil, 1, evil),))]),
        line_chart(chart_id="c", title=evil, points=[Bar(evil, 1, evil)]),
    ):
        assert "<script>" not in svg and "style=" not in svg
        root = parse(svg)  # still well-formed
        assert root.find(f"{SVG}title").text == evil


def test_empty_charts_say_so():
    assert describe([]) == "Không có số liệu."
    root = parse(bar_chart(chart_id="e", title="Trống", bars=[]))
    assert root.find(f"{SVG}desc").text == "Không có số liệu."
    parse(line_chart(chart_id="f", title="Trống", points=[]))
    parse(hbar_chart(chart_id="g", title="Trống", series=["A"], rows=[]))


def test_a_long_row_label_is_cut_to_the_label_area_with_an_ellipsis():
    long = "Bộ phận Một cửa (chưa chuyển phòng)"
    svg = str(
        hbar_chart(
            chart_id="c", title="t", series=["Đang giải quyết"], rows=[HRow(long, (Bar(long, 4, "4"),))]
        )
    )
    shown = re.search(r'text-anchor="end"[^>]*>([^<]*)</text>', svg).group(1)
    assert shown.endswith("…") and len(shown) <= 254 // 8
    assert long in svg  # the full name stays in the bar's title
