"""The bulk address conversion: known Đà Nẵng addresses, a divided ward, junk, hostile files,
the command line, and the speed on 100,000 distinct lines."""

from __future__ import annotations

import csv
import io
import time
import zipfile

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from motcua.core.errors import NotFound, ValidationFailed
from motcua.registers import addresses
from motcua.registers.io import Limits

XUAN_HA = "12 Hà Huy Tập, phường Xuân Hà, quận Thanh Khê, Đà Nẵng"


def test_old_da_nang_address_goes_to_the_new_ward_keeping_the_street():
    r = addresses.convert_one(XUAN_HA)
    assert r.status == addresses.DONE
    assert r.address == "12 Hà Huy Tập, phường Thanh Khê, thành phố Đà Nẵng"
    assert (r.ward_code, r.ward_name) == (20209, "Phường Thanh Khê")
    assert (r.province_code, r.province_name) == (48, "Thành phố Đà Nẵng")
    assert r.cells()[1:5] == ["20209", "Phường Thanh Khê", "48", "Thành phố Đà Nẵng"]


def test_abbreviations_and_an_earlier_merge_are_understood():
    r = addresses.convert_one("K12/3 Trần Cao Vân, P. Tam Thuận, Q. Thanh Khê, TP Đà Nẵng")
    assert r.status == addresses.DONE
    assert r.address == "K12/3 Trần Cao Vân, phường Thanh Khê, thành phố Đà Nẵng"


def test_a_divided_ward_gives_the_province_and_names_the_new_wards():
    r = addresses.convert_one("5 Âu Cơ, xã Hòa Liên, huyện Hòa Vang, Đà Nẵng")
    assert r.status == addresses.PROVINCE_ONLY
    assert r.ward_code is None and r.province_code == 48
    assert r.address == "5 Âu Cơ, thành phố Đà Nẵng"
    assert "Phường Hải Vân" in r.reason and "Phường Liên Chiểu" in r.reason


def test_no_ward_written_gives_the_province_with_the_reason():
    r = addresses.convert_one("7 Lý Thái Tổ, Đà Nẵng")
    assert r.status == addresses.PROVINCE_ONLY
    assert r.reason == "Địa chỉ không ghi phường/xã."


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("asdf qwer", "Không nhận ra"),
        ("", "Dòng trống"),
        ("   \x00 ", "Dòng trống"),
        ("x" * 600, "dài quá 500"),
    ],
)
def test_junk_is_not_converted_with_its_reason(raw, reason):
    r = addresses.convert_one(raw)
    assert r.status == addresses.FAILED
    assert reason in r.reason
    assert "\x00" not in r.input


def test_100k_distinct_lines_in_seconds():
    lines = [f"{i} Hà Huy Tập, phường Xuân Hà, quận Thanh Khê, Đà Nẵng" for i in range(100_000)]
    started = time.perf_counter()
    results = addresses.convert_addresses(lines)
    seconds = time.perf_counter() - started
    assert addresses.counts(results)[addresses.DONE] == 100_000
    assert results[99_999].address == "99999 Hà Huy Tập, phường Thanh Khê, thành phố Đà Nẵng"
    assert seconds < 15, seconds


def test_read_csv_picks_the_address_column_and_keeps_every_column():
    raw = "Họ tên;Địa chỉ thường trú\nAn;" + XUAN_HA + "\nBình;asdf\n"
    table = addresses.read_table(raw.encode(), "ds.csv")
    assert table.header == ["Họ tên", "Địa chỉ thường trú"]
    column = addresses.pick_column(table.header, None)
    assert column == 1
    assert addresses.pick_column(table.header, "ho ten") == 0
    with pytest.raises(ValidationFailed, match="Không có cột"):
        addresses.pick_column(table.header, "Nơi ở")
    results = addresses.convert_table(table, column)
    out = io.StringIO()
    addresses.write_csv(table, results, out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0][:2] == ["Họ tên", "Địa chỉ thường trú"] and rows[0][2] == "Địa chỉ sau chuyển đổi"
    assert rows[1][0] == "An" and rows[1][2].endswith("phường Thanh Khê, thành phố Đà Nẵng")
    assert rows[2][-2] == addresses.FAILED


def test_no_address_header_takes_the_first_column():
    assert addresses.pick_column(["Nơi ở", "Tên"], "") == 0


def test_hostile_csv_files_are_refused_in_vietnamese():
    with pytest.raises(ValidationFailed, match="NUL"):
        addresses.read_table(b"Dia chi\n12 Le Duan\x00\n", "x.csv")
    with pytest.raises(ValidationFailed, match="UTF-8"):
        addresses.read_table("Dia chi\nHà Nội\n".encode("latin-1", "replace") + b"\xe0\n", "x.csv")
    with pytest.raises(ValidationFailed, match="vượt giới hạn 3 dòng"):
        addresses.read_table(b"Dia chi\na\nb\nc\nd\ne\n", "x.csv", limits=Limits(max_rows=3))
    with pytest.raises(ValidationFailed, match="trống"):
        addresses.read_table(b"\n\n", "x.csv")
    with pytest.raises(ValidationFailed, match="Excel"):
        addresses.read_table(b"not a zip", "x.xlsx")


def test_pasted_lines_refuse_nul_and_too_many():
    with pytest.raises(ValidationFailed, match="NUL"):
        addresses.table_from_text("a\x00b")
    with pytest.raises(ValidationFailed, match="vượt giới hạn"):
        addresses.table_from_text("a\nb\nc", limits=Limits(max_rows=2))
    assert addresses.table_from_text("a\n\n b \n").rows == [["a"], [" b "]]


def _xlsx(rows):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def test_xlsx_formula_cells_come_out_as_text(tmp_path):
    raw = _xlsx([["STT", "Địa chỉ"], [1, XUAN_HA], [2, '=HYPERLINK("http://x","y")']])
    table = addresses.read_table(raw, "ds.xlsx")
    assert table.header == ["STT", "Địa chỉ"] and table.rows[0][0] == "1"
    results = addresses.convert_table(table, addresses.pick_column(table.header, ""))
    path = tmp_path / "out.xlsx"
    addresses.write_xlsx(table, results, path)
    sheet = openpyxl.load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][2] == "12 Hà Huy Tập, phường Thanh Khê, thành phố Đà Nẵng"
    assert rows[2][1] in (None, "")  # a formula cell is read as its cached value (none here), never run


def test_formula_text_is_written_as_text(tmp_path):
    table = addresses.read_table('STT,Địa chỉ\n1,"=HYPERLINK(""http://x"",""y"")"\n'.encode(), "ds.csv")
    results = addresses.convert_table(table, 1)
    path = tmp_path / "out.xlsx"
    addresses.write_xlsx(table, results, path)
    cell = openpyxl.load_workbook(path).active.cell(row=2, column=2)
    assert cell.data_type in ("s", "inlineStr") and cell.value == '=HYPERLINK("http://x","y")'
    out = io.StringIO()
    addresses.write_csv(table, results, out)
    assert "'=HYPERLINK" in out.getvalue()


def test_xlsx_bomb_and_oversized_sheet_are_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"<a>" + b" " * (20 * 2**20) + b"</a>")
    with pytest.raises(ValidationFailed, match="bất thường"):
        addresses.read_table(buf.getvalue(), "bom.xlsx")
    raw = _xlsx([["Địa chỉ"], *[[f"{i} Lê Duẩn"] for i in range(10)]])
    with pytest.raises(ValidationFailed, match="vượt giới hạn"):
        addresses.read_table(raw, "lon.xlsx", limits=Limits(max_rows=5))


def test_guard_csv_cell():
    assert [addresses.guard_csv_cell(v) for v in ("=1", "+1", "-1", "@a", "ok")] == [
        "'=1",
        "'+1",
        "'-1",
        "'@a",
        "ok",
    ]


def test_stored_result_is_for_its_maker_only_and_old_ones_are_deleted(db, settings):
    table = addresses.table_from_text(XUAN_HA)
    results = addresses.convert_table(table, 0)
    token = addresses.store_result(user_id=7, table=table, results=results)
    assert addresses.result_path(user_id=7, token=token).is_file()
    with pytest.raises(NotFound):
        addresses.result_path(user_id=8, token=token)
    with pytest.raises(NotFound):
        addresses.result_path(user_id=7, token="../../etc/passwd")
    later = time.time() + 2 * 24 * 3600
    addresses.store_result(user_id=9, table=table, results=results, now_ts=later)
    with pytest.raises(NotFound):
        addresses.result_path(user_id=7, token=token)


def test_command_converts_a_csv(tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text("Tên,Địa chỉ\nAn," + '"' + XUAN_HA + '"' + "\n=cmd,asdf\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    call_command("registers", "convert-addresses", str(src), "--out", str(out))
    printed = capsys.readouterr().out
    assert "Đã xử lý 2 địa chỉ" in printed and "1 đã chuyển" in printed and "1 không chuyển được" in printed
    rows = list(csv.reader(out.open(encoding="utf-8-sig")))
    assert rows[1][2] == "12 Hà Huy Tập, phường Thanh Khê, thành phố Đà Nẵng"
    assert rows[2][0] == "'=cmd"


def test_command_exits_2_on_bad_input(tmp_path):
    src = tmp_path / "in.csv"
    src.write_bytes(b"Dia chi\n\x00\n")
    with pytest.raises(CommandError) as caught:
        call_command("registers", "convert-addresses", str(src), "--out", str(tmp_path / "o.csv"))
    assert caught.value.returncode == 2 and "NUL" in str(caught.value)
    src.write_bytes(b"Dia chi\n12 Le Duan\n")
    with pytest.raises(CommandError, match="Không có cột"):
        call_command(
            "registers", "convert-addresses", str(src), "--out", str(tmp_path / "o.csv"), "--column", "x"
        )
