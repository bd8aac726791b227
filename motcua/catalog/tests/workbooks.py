"""Small workbooks in the import layout, built in memory for the tests."""

import io
from collections.abc import Sequence

from openpyxl import Workbook

from motcua.catalog.services import CHECKLIST_COLUMNS, FORM_COLUMNS, PROCEDURE_COLUMNS

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
