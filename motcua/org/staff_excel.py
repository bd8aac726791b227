"""The staff workbook: the template an administrator downloads and the reader of the filled one.

Columns: username, họ và tên, vai trò, phòng ban, chức vụ, email, điện thoại. The reader caps
the file's size, its uncompressed size, the sheet's declared dimension and the rows it reads
before openpyxl (read-only) touches a cell, so a hostile file is refused in a moment.
"""

from __future__ import annotations

import io
import zipfile
from typing import IO, Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils.cell import range_boundaries

from motcua.core.errors import ValidationFailed
from motcua.core.excel import append_text_row, text_cell
from motcua.core.text import clean_text, fold

from .models import DepartmentKind, Role
from .selectors import ASSIGNABLE_ROLES
from .services import ImportRow

MAX_BYTES = 1024 * 1024  # a commune's staff list is a few KB
MAX_UNCOMPRESSED = 10 * 1024 * 1024
MAX_ROWS = 500
MAX_COLUMNS = 30
MAX_CELL = 300

COLUMNS = ("username", "họ và tên", "vai trò", "phòng ban", "chức vụ", "email", "điện thoại")
_KEYS = ("username", "full_name", "roles", "department", "position", "email", "phone")
_ALIASES = {
    "username": {"username", "ten dang nhap"},
    "full_name": {"ho va ten", "ho ten"},
    "roles": {"vai tro"},
    "department": {"phong ban", "phong"},
    "position": {"chuc vu"},
    "email": {"email", "e-mail", "thu dien tu"},
    "phone": {"dien thoai", "so dien thoai"},
}
_REQUIRED = ("username", "full_name", "roles")


def staff_template_workbook() -> bytes:
    """The workbook to fill: the header on the first sheet; examples, the accepted roles and
    department kinds on the second. Every cell is text."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Cán bộ")
    bold = Font(bold=True)
    append_text_row(ws, [text_cell(ws, c, font=bold) for c in COLUMNS])
    help_ws = wb.create_sheet("Hướng dẫn")
    append_text_row(help_ws, [text_cell(help_ws, "Ví dụ (điền vào trang «Cán bộ», từ dòng 2)", font=bold)])
    append_text_row(help_ws, COLUMNS)
    append_text_row(
        help_ws,
        [
            "motcua2",
            "Nguyễn Thị Lan",
            "Cán bộ một cửa",
            "",
            "Cán bộ tiếp nhận",
            "lan@example.vn",
            "0905123456",
        ],
    )
    append_text_row(
        help_ws,
        [
            "pho.chutich",
            "Trần Văn Bình",
            "Lãnh đạo UBND, Trưởng phòng",
            DepartmentKind.ECONOMIC.label,
            "Phó Chủ tịch",
            "",
            "",
        ],
    )
    append_text_row(help_ws, [""])
    append_text_row(
        help_ws,
        [text_cell(help_ws, "Vai trò (cột «vai trò»; nhiều vai trò cách nhau bởi dấu phẩy)", font=bold)],
    )
    for role in ASSIGNABLE_ROLES:
        append_text_row(help_ws, [Role(role).label])
    append_text_row(help_ws, [""])
    append_text_row(
        help_ws, [text_cell(help_ws, "Phòng ban (cột «phòng ban»: tên phòng hoặc loại)", font=bold)]
    )
    for kind in DepartmentKind:
        append_text_row(help_ws, [kind.label])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed(message, code="bad_workbook")


def _check_container(data: bytes) -> None:
    if len(data) > MAX_BYTES:
        raise _refuse(f"Tệp lớn quá {MAX_BYTES // 1024} KB; danh sách cán bộ chỉ cần vài chục KB.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except zipfile.BadZipFile:
        raise _refuse("Tệp không phải Excel (.xlsx).") from None
    if len(infos) > 200 or sum(i.file_size for i in infos) > MAX_UNCOMPRESSED:
        raise _refuse("Tệp Excel giải nén ra quá lớn; hãy dùng tệp mẫu của hệ thống.")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(clean_text(str(value)).split())[: MAX_CELL + 1]


def read_staff_workbook(upload: IO[bytes]) -> list[ImportRow]:
    """The rows of the first sheet after the header, each with its Excel line number.

    Refuses (ValidationFailed) a file over a cap or without the needed columns; empty rows
    are skipped. Checking the values is `staff_import`'s job."""
    data = upload.read(MAX_BYTES + 1)
    _check_container(data)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged file
        raise _refuse("Không đọc được tệp Excel (.xlsx); hãy dùng tệp mẫu của hệ thống.") from None
    try:
        ws = wb.worksheets[0]
        dimension = ws.calculate_dimension(force=False) if hasattr(ws, "calculate_dimension") else None
        if dimension and dimension != "A1:A1":
            try:
                _, _, max_col, max_row = range_boundaries(dimension)
            except (TypeError, ValueError):
                max_col = max_row = None
            if (max_row or 0) > MAX_ROWS + 1 or (max_col or 0) > MAX_COLUMNS:
                raise _refuse(
                    f"Trang tính khai báo quá {MAX_ROWS} dòng hoặc {MAX_COLUMNS} cột; mỗi lần nhập tối đa {MAX_ROWS} cán bộ."
                )
        rows = ws.iter_rows(min_row=1, max_row=MAX_ROWS + 2, max_col=MAX_COLUMNS, values_only=True)
        header = next(rows, None)
        if header is None:
            raise _refuse("Tệp trống.")
        positions: dict[str, int] = {}
        for index, title in enumerate(header):
            key = fold(_cell(title))
            for name, aliases in _ALIASES.items():
                if key in aliases and name not in positions:
                    positions[name] = index
        missing = [COLUMNS[_KEYS.index(k)] for k in _REQUIRED if k not in positions]
        if missing:
            raise _refuse(
                "Dòng 1 phải là dòng tiêu đề của tệp mẫu; thiếu cột: "
                + ", ".join(f"«{m}»" for m in missing)
                + "."
            )
        result: list[ImportRow] = []
        for line, values in enumerate(rows, start=2):
            if line > MAX_ROWS + 1:
                raise _refuse(f"Mỗi lần nhập tối đa {MAX_ROWS} cán bộ; hãy chia tệp.")
            cells = {k: _cell(values[i]) if i < len(values) else "" for k, i in positions.items()}
            if not any(cells.values()):
                continue
            result.append(ImportRow(line=line, **{k: cells.get(k, "") for k in _KEYS}))
        return result
    finally:
        wb.close()
