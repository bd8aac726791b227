"""Small workbooks in the import layout, built in memory for the tests."""

import io
from collections.abc import Sequence

from openpyxl import Workbook, load_workbook

from motcua.catalog.services import CHECKLIST_COLUMNS, FORM_COLUMNS, PROCEDURE_COLUMNS, catalog_export_excel

# One valid "Thủ tục" row, written the way an official would: labels, grouped fee.
GOOD: list[object] = [
    "9.000001", "Thủ tục thử nghiệm", "", "Lĩnh vực thử", "Văn phòng HĐND và UBND",
    "Ngày làm việc", 5, None, "8.000", "", "Toàn trình", "", "Kết quả thử", "Có",
]  # fmt: skip


def workbook_bytes(
    procedures: Sequence[Sequence[object]],
    checklist: Sequence[Sequence[object]] = (),
    form: Sequence[Sequence[object]] = (),
) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Thủ tục"
    ws.append([c.label for c in PROCEDURE_COLUMNS])
    for row in procedures:
        ws.append(row)
    ws2 = wb.create_sheet("Giấy tờ")
    ws2.append([c.label for c in CHECKLIST_COLUMNS])
    for row in checklist:
        ws2.append(row)
    ws3 = wb.create_sheet("Tờ khai")
    ws3.append([c.label for c in FORM_COLUMNS])
    for row in form:
        ws3.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def changed_workbook() -> bytes:
    """The exported catalogue with a new procedure, a new fee and a renamed document for
    birth registration, and the marriage registration left out of the file."""
    wb = load_workbook(io.BytesIO(catalog_export_excel()))
    procedures = wb["Thủ tục"]
    drop = None
    for row in procedures.iter_rows(min_row=2):
        if row[0].value == "2.000635":
            row[8].value = 10000
        if row[0].value == "1.000894":
            drop = row[0].row
    assert drop is not None
    procedures.delete_rows(drop)
    procedures.append(GOOD)
    for name in ("Giấy tờ", "Tờ khai"):
        sheet = wb[name]
        for number in reversed([r[0].row for r in sheet.iter_rows(min_row=2) if r[0].value == "1.000894"]):
            sheet.delete_rows(number)
    for row in wb["Giấy tờ"].iter_rows(min_row=2):
        if row[0].value == "1.001193" and row[1].value == 2:
            row[2].value = "Giấy chứng sinh (bản chính)"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def import_workbook(data, *, actor=None):
    """Preview then apply, as the command line does (actor None) or as `actor`."""
    from motcua.catalog.models import CatalogueImport
    from motcua.catalog.services import catalog_import_apply, catalog_import_preview
    from motcua.core import clock

    pending, _ = catalog_import_preview(
        actor=actor,
        file=data,
        filename="dm.xlsx",
        source=CatalogueImport.Source.COMMAND_LINE,
        now=clock.now(),
    )
    return catalog_import_apply(actor=actor, import_id=pending.pk, now=clock.now())
