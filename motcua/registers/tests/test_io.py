"""Reading registers: what is accepted, and every refusal with its file and line."""

import datetime as dt

import openpyxl
import pyarrow as pa
import pytest
from openpyxl.cell import WriteOnlyCell

from motcua.core.errors import ValidationFailed
from motcua.registers.io import COLUMNS, HEADER, SCHEMA, read_register, read_registers

ROW = 'R1,ward_1,Nguyễn Văn Hùng,12/05/1985,Nam,048085001234,"12 Lê Duẩn, P. Xuân Hà",0905123456,HK1'


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def refusal(paths):
    with pytest.raises(ValidationFailed) as caught:
        read_registers(paths)
    return caught.value


def test_reads_csv_as_strings_with_line_numbers(tmp_path):
    path = write(tmp_path, "ward_1.csv", f"{HEADER}\n{ROW}\nR2,ward_1,Trần Thị Lan,,Nữ,,,,\n")
    table = read_register(path)
    assert table.schema == SCHEMA
    assert table.column_names == [*COLUMNS, "line_no", "file_name"]
    first, second = table.to_pylist()
    assert first["full_name"] == "Nguyễn Văn Hùng"
    assert first["citizen_id"] == "048085001234"  # kept as text: leading zero intact
    assert first["address"] == "12 Lê Duẩn, P. Xuân Hà"
    assert first["line_no"] == 2 and second["line_no"] == 3
    assert first["file_name"] == "ward_1.csv"
    assert second["birth_date"] is None and second["phone"] is None  # blank → None


def test_bom_spaces_case_and_column_order_in_the_header_are_tolerated(tmp_path):
    header = " Record_ID ,SOURCE,full_name,birth_date,gender,citizen_id,address,household_no,phone"
    row = "R1,ward_1,  Lê Văn Tám  ,1985,Nam,,,HK9,0905123456"
    path = write(tmp_path, "a.csv", b"\xef\xbb\xbf" + f"{header}\r\n{row}\r\n".encode())
    (record,) = read_register(path).to_pylist()
    assert record["record_id"] == "R1"
    assert record["full_name"] == "Lê Văn Tám"  # surrounding spaces trimmed
    assert record["household_no"] == "HK9" and record["phone"] == "0905123456"


def test_semicolon_separated_csv(tmp_path):
    path = write(tmp_path, "a.csv", HEADER.replace(",", ";") + "\nR1;w;Lê Văn Tám;1985;Nam;;Đà Nẵng, VN;;\n")
    (record,) = read_register(path).to_pylist()
    assert record["address"] == "Đà Nẵng, VN"


def test_quoted_value_spanning_lines_keeps_the_next_line_numbers_right(tmp_path):
    text = f'{HEADER}\nR1,w,A,,,,"tổ 5\nphường Xuân Hà",,\nR2,w,B,,,,,,\n'
    table = read_register(write(tmp_path, "a.csv", text))
    assert table.column("line_no").to_pylist() == [2, 4]
    assert table.column("address").to_pylist()[0] == "tổ 5\nphường Xuân Hà"


def test_blank_lines_and_excel_empty_rows_are_skipped_with_exact_line_numbers(tmp_path):
    text = f"{HEADER}\nR1,w,A,,,,,,\n\n,,,,,,,,\nR2,w,B,,,,,,\n\n\n"
    table = read_register(write(tmp_path, "a.csv", text))
    assert table.column("record_id").to_pylist() == ["R1", "R2"]
    assert table.column("line_no").to_pylist() == [2, 5]


def test_wrong_header_names_missing_and_extra_columns(tmp_path):
    path = write(
        tmp_path,
        "ward_2.csv",
        "record_id,source,ten_goi,birth_date,gender,citizen_id,address,phone\nR1,w,A,,,,,\n",
    )
    error = refusal([path])
    (detail,) = error.details
    assert "ward_2.csv dòng 1" in detail
    assert "thiếu cột «full_name», «household_no»" in detail
    assert "thừa cột «ten_goi»" in detail
    assert HEADER in detail
    assert "ward_2.csv" in error.message


def test_not_utf8_names_the_file_and_the_first_bad_line(tmp_path):
    body = f"{HEADER}\nR1,w,Le Van Tam,,,,,,\nR2,w,Đoàn Văn Hà,,,,,,\nR3,w,Lê Thu Hà,,,,,,\n"
    path = write(tmp_path, "cu.csv", body, encoding="cp1258")
    (detail,) = refusal([path]).details
    assert detail.startswith("cu.csv dòng 3: tệp không phải mã UTF-8")
    assert "CSV UTF-8" in detail


def test_utf16_is_refused_with_advice(tmp_path):
    path = write(tmp_path, "u16.csv", f"{HEADER}\nR1,w,A,,,,,,\n", encoding="utf-16")
    (detail,) = refusal([path]).details
    assert "UTF-16" in detail


def test_duplicate_record_id_within_a_file_lists_every_line(tmp_path):
    text = f"{HEADER}\nR1,w,A,,,,,,\nR2,w,B,,,,,,\nR1,w,C,,,,,,\nR1,w,D,,,,,,\n"
    (detail,) = refusal([write(tmp_path, "a.csv", text)]).details
    assert detail == "record_id «R1» bị trùng: a.csv dòng 2; a.csv dòng 4; a.csv dòng 5."


def test_duplicate_record_id_across_files_lists_both_files(tmp_path):
    first = write(tmp_path, "ward_1.csv", f"{HEADER}\n1,w1,A,,,,,,\n2,w1,B,,,,,,\n")
    second = write(tmp_path, "ward_2.csv", f"{HEADER}\n7,w2,C,,,,,,\n1,w2,D,,,,,,\n")
    error = refusal([first, second])
    assert error.details[0] == "record_id «1» bị trùng: ward_1.csv dòng 2; ward_2.csv dòng 3."
    assert "tiền tố" in error.details[1]  # the advice for registers numbered from 1 each
    assert read_register(first).num_rows == 2  # each file alone is fine


def test_empty_record_id_is_refused_with_its_line(tmp_path):
    text = f"{HEADER}\nR1,w,A,,,,,,\n,w,B,,,,,,\n  ,w,C,,,,,,\n"
    assert refusal([write(tmp_path, "a.csv", text)]).details == [
        "a.csv dòng 3: thiếu record_id.",
        "a.csv dòng 4: thiếu record_id.",
    ]


def test_ragged_rows_are_listed_with_their_lines(tmp_path):
    text = f"{HEADER}\nR1,w,A,,,,,,\nR2,w,B,,,\nR3,w,C,,,,,,,,extra\n"
    assert refusal([write(tmp_path, "a.csv", text)]).details == [
        "a.csv dòng 3: có 6 ô, tiêu đề có 9 cột.",
        "a.csv dòng 4: có 11 ô, tiêu đề có 9 cột.",
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "a.csv: tệp trống."),
        (b"\xef\xbb\xbf \r\n", "a.csv: tệp trống."),
        (f"{HEADER}\n".encode(), "a.csv: tệp không có dòng dữ liệu nào"),
        (f"{HEADER}\n,,,,,,,,\n".encode(), "a.csv: tệp không có dòng dữ liệu nào"),
    ],
)
def test_empty_files_are_refused(tmp_path, content, expected):
    (detail,) = refusal([write(tmp_path, "a.csv", content)]).details
    assert detail.startswith(expected)


def test_every_problem_of_every_file_is_listed_and_nothing_is_returned(tmp_path):
    bad_header = write(tmp_path, "a.csv", "id,name\n1,A\n")
    not_utf8 = write(tmp_path, "b.csv", f"{HEADER}\nR1,w,Đoàn,,,,,,\n", encoding="cp1258")
    no_id = write(tmp_path, "c.csv", f"{HEADER}\nR1,w,A,,,,,,\n,w,B,,,,,,\nR1,w,C,,,,,,\n")
    error = refusal([bad_header, not_utf8, no_id, tmp_path / "missing.csv"])
    assert [d.split(":")[0].split(" dòng")[0] for d in error.details] == [
        "a.csv",
        "b.csv",
        "c.csv",
        "missing.csv",
        "record_id «R1» bị trùng",
    ]
    assert "có 5 lỗi" in error.message


def test_no_files_is_refused():
    with pytest.raises(ValidationFailed):
        read_registers([])


def test_read_registers_concatenates(tmp_path):
    first = write(tmp_path, "ward_1.csv", f"{HEADER}\nA1,w1,A,,,,,,\n")
    second = write(tmp_path, "ward_2.csv", f"{HEADER}\nB1,w2,B,,,,,,\nB2,w2,C,,,,,,\n")
    table = read_registers([first, second])
    assert table.column("record_id").to_pylist() == ["A1", "B1", "B2"]
    assert table.column("file_name").to_pylist() == ["ward_1.csv", "ward_2.csv", "ward_2.csv"]
    assert table.column("line_no").to_pylist() == [2, 2, 3]


# -- Excel ------------------------------------------------------------------------------------


def write_xlsx(path, rows):
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def test_xlsx_numbers_become_text_without_dot_zero_and_dates_dd_mm_yyyy(tmp_path):
    path = tmp_path / "ward_3.xlsx"
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["DANH SÁCH NHÂN KHẨU PHƯỜNG XUÂN HÀ"])  # a title above the header is common
    sheet.append([])
    sheet.append(list(COLUMNS))
    padded = WriteOnlyCell(sheet, value=48085001234)
    padded.number_format = "000000000000"  # the officer sees 048085001234
    sheet.append(
        [1, "w3", "Nguyễn Văn Hùng", dt.datetime(1985, 5, 12), 1, 48085001234, "Đà Nẵng", 905123456, 12.0]
    )
    sheet.append([2.0, "w3", "Lê Thị Lan", 31048, 0, padded, None, None, 12.5])
    workbook.save(path)
    first, second = read_register(path).to_pylist()
    assert first["record_id"] == "1" and second["record_id"] == "2"
    assert first["birth_date"] == "12/05/1985"
    assert first["gender"] == "1" and second["gender"] == "0"
    assert first["citizen_id"] == "48085001234"  # zeros were eaten in the sheet; normalize restores
    assert second["citizen_id"] == "048085001234"
    assert first["phone"] == "905123456"
    assert first["household_no"] == "12" and second["household_no"] == "12.5"
    assert second["birth_date"] == "31048"  # an Excel serial typed as a number
    assert (first["line_no"], second["line_no"]) == (4, 5)  # the sheet's row numbers
    assert first["file_name"] == "ward_3.xlsx"


def test_xlsx_wrong_header_is_refused(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [["record_id", "ten_goi"], [1, "A"]])
    (detail,) = refusal([path]).details
    assert detail.startswith("a.xlsx dòng 1: tiêu đề không đúng")
    assert "thừa cột «ten_goi»" in detail


def test_xlsx_duplicates_and_data_outside_the_header(tmp_path):
    path = write_xlsx(
        tmp_path / "a.xlsx",
        [
            list(COLUMNS),
            ["R1", "w", "A"],
            ["R1", "w", "B"],
            ["R2", "w", "C", None, None, None, None, None, None, "?"],
        ],
    )
    assert refusal([path]).details == [
        "a.xlsx dòng 4: có dữ liệu ở cột không có tiêu đề.",
        "record_id «R1» bị trùng: a.xlsx dòng 2; a.xlsx dòng 3.",
    ]


def test_xlsx_empty_sheet_and_header_only(tmp_path):
    empty = write_xlsx(tmp_path / "empty.xlsx", [])
    header_only = write_xlsx(tmp_path / "header.xlsx", [list(COLUMNS)])
    details = refusal([empty, header_only]).details
    assert details[0] == "empty.xlsx: trang tính đầu tiên trống."
    assert details[1].startswith("header.xlsx: tệp không có dòng dữ liệu nào")


def test_old_xls_and_broken_xlsx_are_refused(tmp_path):
    xls = write(tmp_path, "old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    broken = write(tmp_path, "broken.xlsx", b"PK\x03\x04 not really a zip")
    details = refusal([xls, broken]).details
    assert ".xls" in details[0]
    assert details[1].startswith("broken.xlsx: không đọc được tệp Excel")


def test_csv_fast_path_matches_the_slow_path(tmp_path):
    rows = [f'R{i},w,"Nguyễn, Văn {i}",1/1/1990,Nam,,"tổ {i}, P. Xuân Hà",,' for i in range(2000)]
    fast = read_register(write(tmp_path, "fast.csv", HEADER + "\n" + "\n".join(rows) + "\n"))
    slow = read_register(write(tmp_path, "slow.csv", HEADER + "\n\n" + "\n".join(rows) + "\n"))
    assert fast.column("line_no").to_pylist() == list(range(2, 2002))
    assert slow.column("line_no").to_pylist() == list(range(3, 2003))
    assert fast.drop_columns(["line_no", "file_name"]).equals(slow.drop_columns(["line_no", "file_name"]))
    assert isinstance(fast.column("record_id"), pa.ChunkedArray)
