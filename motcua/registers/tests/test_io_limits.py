"""Spreadsheet bombs and over-large registers are refused in seconds, before anything big is
read; the header may be written in Vietnamese (issue 7 §3.2, §2)."""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest

from motcua.core.errors import ValidationFailed
from motcua.registers.io import COLUMNS, HEADER, Limits, check_upload, read_register, read_registers

HEADER_VI = "Mã bản ghi,Danh sách cũ,Họ và tên,Ngày sinh,Giới tính,Số CCCD,Địa chỉ,Số điện thoại,Số hộ khẩu"
ROW = "R1,ward_1,Nguyễn Văn Hùng,12/05/1985,Nam,048085001234,12 Lê Duẩn,0905123456,HK1"

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="xl/workbook.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
    '<Relationship Id="rId2" Target="sharedStrings.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
    "</Relationships>"
)


def _row(r: int, values: list[str]) -> str:
    cells = "".join(
        f'<c r="{chr(65 + i)}{r}" t="inlineStr"><is><t>{v}</t></is></c>' for i, v in enumerate(values)
    )
    return f'<row r="{r}">{cells}</row>'


def build_xlsx(
    path: Path, *, dimension: str | None, rows: list[str], shared: bytes | None = None, extra: int = 0
) -> Path:
    """A hand-made .xlsx: the parts openpyxl reads, the sheet as given (rows are <row> XML)."""
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{dim}'
        f"<sheetData>{''.join(rows)}</sheetData></worksheet>"
    )
    shared = shared or (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" uniqueCount="0"/>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _ROOT_RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
        z.writestr("xl/sharedStrings.xml", shared)
        for i in range(extra):
            z.writestr(f"customXml/item{i}.xml", "<a/>")
    return path


GOOD_ROWS = [
    _row(1, list(COLUMNS)),
    _row(2, ["R1", "w1", "Nguyễn Văn An", "01/01/1990", "Nam", "", "", "", ""]),
]


def refused_quickly(path: Path, limits: Limits | None = None) -> str:
    """The refusal's text; the reading takes < 5 s and < 50 MB of Python memory."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(ValidationFailed) as caught:
            read_registers([path], limits=limits)
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seconds < 5, seconds
    assert peak < 50 * 2**20, peak
    return " ".join(caught.value.details)


def test_a_hand_made_sheet_reads(tmp_path):
    table = read_register(build_xlsx(tmp_path / "ok.xlsx", dimension="A1:I2", rows=GOOD_ROWS))
    assert table.column("full_name").to_pylist() == ["Nguyễn Văn An"]


def test_dimension_bomb_is_refused_in_seconds(tmp_path):
    path = build_xlsx(tmp_path / "bom.xlsx", dimension="A1:I1000000000", rows=GOOD_ROWS)
    assert path.stat().st_size < 4000
    detail = refused_quickly(path)
    assert "bom.xlsx" in detail
    assert "1.000.000.000 dòng" in detail and "giới hạn 1.000.000 dòng" in detail
    with path.open("rb") as f:  # the same refusal at upload
        assert "giới hạn 1.000.000 dòng" in " ".join(check_upload(f, "bom.xlsx"))


def test_declared_columns_over_the_cap_are_refused(tmp_path):
    path = build_xlsx(tmp_path / "cot.xlsx", dimension="A1:XFD2", rows=GOOD_ROWS)
    detail = refused_quickly(path)
    assert "16.384 cột" in detail and "giới hạn 60 cột" in detail


def test_a_row_far_below_without_a_dimension_is_refused_by_counting(tmp_path):
    """No <dimension>: openpyxl yields an empty row for every row number skipped; the count stops
    at the cap instead of walking to row 900,000,000."""
    rows = [*GOOD_ROWS, _row(900_000_000, ["R2", "w1", "B", "", "", "", "", "", ""])]
    path = build_xlsx(tmp_path / "xa.xlsx", dimension=None, rows=rows)
    assert "giới hạn 1.000.000 dòng" in refused_quickly(path)
    assert "giới hạn 1.000 dòng" in refused_quickly(path, Limits(max_rows=1000))


def test_shared_strings_bomb_is_refused_before_unzipping(tmp_path):
    big = b"A" * (64 * 2**20)  # 64 MB of one letter: ~65 KB once compressed
    shared = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
        b"<si><t>" + big + b"</t></si></sst>"
    )
    path = build_xlsx(tmp_path / "chuoi.xlsx", dimension="A1:I2", rows=GOOD_ROWS, shared=shared)
    del big, shared
    assert path.stat().st_size < 400 * 1024
    detail = refused_quickly(path)
    assert "xl/sharedStrings.xml" in detail and "giới hạn" in detail
    with path.open("rb") as f:
        assert "xl/sharedStrings.xml" in " ".join(check_upload(f, "chuoi.xlsx"))


def test_uncompressed_total_and_entries_are_capped(tmp_path):
    path = build_xlsx(tmp_path / "a.xlsx", dimension="A1:I2", rows=GOOD_ROWS)
    assert "giải nén ra" in refused_quickly(path, Limits(max_uncompressed_bytes=1000))
    many = build_xlsx(tmp_path / "b.xlsx", dimension="A1:I2", rows=GOOD_ROWS, extra=600)
    assert "vượt giới hạn 500 phần" in refused_quickly(many)


def test_rows_over_the_cap_are_refused_while_streaming(tmp_path):
    rows = [GOOD_ROWS[0]] + [_row(r, [f"R{r}", "w", "A", "", "", "", "", "", ""]) for r in range(2, 40)]
    path = build_xlsx(tmp_path / "dai.xlsx", dimension=None, rows=rows)
    assert "giới hạn 20 dòng" in refused_quickly(path, Limits(max_rows=20))
    assert read_register(path, limits=Limits(max_rows=40)).num_rows == 38


def test_csv_rows_and_columns_over_the_caps(tmp_path):
    body = "".join(f"R{i},w,A,,,,,,\n" for i in range(30))
    path = tmp_path / "dai.csv"
    path.write_text(f"{HEADER}\n{body}", encoding="utf-8")
    with pytest.raises(ValidationFailed) as caught:
        read_registers([path], limits=Limits(max_rows=20))
    assert "vượt giới hạn 20 dòng" in caught.value.details[0]
    assert read_register(path, limits=Limits(max_rows=30)).num_rows == 30
    with path.open("rb") as f:
        assert "vượt giới hạn 20 dòng" in check_upload(f, "dai.csv", Limits(max_rows=20))[0]
    wide = tmp_path / "rong.csv"
    wide.write_text(HEADER + ",x" * 70 + "\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as caught:
        read_registers([wide])
    assert "79 cột" in caught.value.details[0] and "giới hạn 60 cột" in caught.value.details[0]


def test_should_stop_is_asked_while_reading(tmp_path):
    rows = [GOOD_ROWS[0]] + [_row(r, [f"R{r}", "w", "A", "", "", "", "", "", ""]) for r in range(2, 12_000)]
    path = build_xlsx(tmp_path / "dai.xlsx", dimension=None, rows=rows)
    calls = []

    class Stopped(Exception):
        pass

    def stop():
        calls.append(1)
        if len(calls) > 1:
            raise Stopped

    with pytest.raises(Stopped):
        read_registers([path], should_stop=stop)
    assert len(calls) == 2  # once before the file, once after 5,000 rows


# ------------------------------------------------------------------------------ Vietnamese header


@pytest.mark.parametrize(
    "header",
    [
        HEADER_VI,
        "MÃ BẢN GHI;DANH SÁCH CŨ;HỌ VÀ TÊN;NGÀY SINH;GIỚI TÍNH;SỐ CCCD;ĐỊA CHỈ;SỐ ĐIỆN THOẠI;SỐ HỘ KHẨU",
        "ma ban ghi,danh sach cu,ho va ten,ngay sinh,gioi tinh,so cccd,dia chi,so dien thoai,so ho khau",
        "Số hộ khẩu,Họ tên,Mã bản ghi,Nguồn,Năm sinh,Giới tính,Số CCCD/CMND,Nơi thường trú,SĐT",
    ],
)
def test_vietnamese_header_maps_to_the_canonical_columns(tmp_path, header):
    sep = ";" if ";" in header else ","
    names = [h.strip() for h in header.split(sep)]
    by_column = dict(zip(COLUMNS, ROW.split(","), strict=True))
    from motcua.registers.io import canonical_column

    values = [by_column[canonical_column(n)] for n in names]
    path = tmp_path / "vi.csv"
    path.write_text(f"{sep.join(names)}\n{sep.join(values)}\n", encoding="utf-8")
    (row,) = read_register(path).to_pylist()
    assert row["record_id"] == "R1"
    assert row["full_name"] == "Nguyễn Văn Hùng"
    assert row["citizen_id"] == "048085001234"
    assert row["household_no"] == "HK1"
    assert row["phone"] == "0905123456"


def test_english_header_still_reads_and_vietnamese_xlsx_too(tmp_path):
    path = tmp_path / "en.csv"
    path.write_text(f"{HEADER}\n{ROW}\n", encoding="utf-8")
    assert read_register(path).column("full_name").to_pylist() == ["Nguyễn Văn Hùng"]
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(HEADER_VI.split(","))
    ws.append(ROW.split(","))
    buf = io.BytesIO()
    wb.save(buf)
    xlsx = tmp_path / "vi.xlsx"
    xlsx.write_bytes(buf.getvalue())
    (row,) = read_register(xlsx).to_pylist()
    assert row["source"] == "ward_1" and row["address"] == "12 Lê Duẩn"


def test_a_header_naming_one_column_twice_is_refused(tmp_path):
    path = tmp_path / "hai.csv"
    path.write_text(HEADER + ",Họ và tên\nR1,w,A,,,,,,,B\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as caught:
        read_register(path)
    detail = caught.value.details[0]
    assert "«full_name» xuất hiện 2 lần" in detail and "Họ và tên" in detail
