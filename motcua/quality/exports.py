"""The drill-down's workbook (issue 10 §3 "everything exports to Excel"): every dossier or
feedback item that pulled one 766 indicator down in the period, with the page's columns.

All the rows, not one page, but bounded: at most `EXPORT_MAX_ROWS` (the sheet says so when the
list was cut). Rows are read `CHUNK` ids at a time (`dashboard.drill_rows`, one query per chunk)
and written to a write-only sheet, every cell through `motcua.core.excel` (text, never a formula).
"""

from __future__ import annotations

import datetime as dt
import io

from django.utils import timezone
from openpyxl import Workbook

from motcua.core.excel import append_text_row

from .dashboard import Drill, drill_rows

EXPORT_MAX_ROWS = 20_000
CHUNK = 500


def _when(value: dt.datetime | None, empty: str) -> str:
    return empty if value is None else f"{timezone.localtime(value):%H:%M %d/%m/%Y}"


def _count(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def drill_header(drill: Drill) -> list[str]:
    feedback = drill.kind == "feedback"
    return [
        "Mã",
        "Nội dung" if feedback else "Thủ tục",
        "Phòng",
        "Hạn",
        "Xử lý xong" if feedback else "Giải quyết xong",
        "Lý do",
    ]


def indicator_xlsx(drill: Drill, *, max_rows: int | None = None) -> bytes:
    """The rows that pulled `drill.indicator` down, as on the drill-down page, in one sheet
    (at most `max_rows`, by default `EXPORT_MAX_ROWS`)."""
    if max_rows is None:
        max_rows = EXPORT_MAX_ROWS
    i, access, period = drill.indicator, drill.access, drill.period
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(i.code)
    title = f"{i.code} — {i.name} — {access.commune.name}"
    if access.department is not None:
        title += f" — {access.department.name}"
    append_text_row(ws, [title])
    append_text_row(ws, [f"Từ {period.start:%d/%m/%Y} đến {period.end:%d/%m/%Y}"])
    inputs = f"{i.numerator}/{i.denominator}" if i.measurable else "—"
    points = "chưa đo được" if i.points is None or not i.measurable else round(i.points, 2)
    append_text_row(ws, ["Đầu vào", inputs, "Công thức", i.formula, "Điểm", points, "Tối đa", i.maximum])
    total = len(drill.ids)
    what = "phản ánh" if drill.kind == "feedback" else "hồ sơ"
    if total > max_rows:
        append_text_row(
            ws,
            [
                f"Có {_count(total)} {what} làm giảm điểm; tệp chỉ gồm {_count(max_rows)} {what} đầu tiên. "
                "Chọn kỳ ngắn hơn để tải đủ."
            ],
        )
    else:
        append_text_row(ws, [f"{_count(total)} {what} làm giảm điểm"])
    append_text_row(ws, drill_header(drill))
    ids = drill.ids[:max_rows]
    for start in range(0, len(ids), CHUNK):
        for r in drill_rows(drill, ids[start : start + CHUNK]):
            append_text_row(
                ws,
                [
                    r.code,
                    r.what,
                    r.department or "—",
                    _when(r.due_at, "—"),
                    _when(r.finished_at, "chưa xong"),
                    r.reason,
                ],
            )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
