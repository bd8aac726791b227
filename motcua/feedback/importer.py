"""Feedback gathered in a Zalo group or on a fan page, imported from an .xlsx (issue 9 §1).

`read_feedback_workbook(data, name=…)` reads the first sheet: a header row (within the first 20
rows; columns matched by their Vietnamese names, any case, with or without diacritics, in any
order) naming at least «thời gian», «người gửi» and «nội dung», and optionally «số điện thoại»,
«địa chỉ», «tổ dân phố». Each row with content becomes an `ImportRow` with its problems (a bad
time or phone, an over-long value) and warnings (an unknown neighbourhood is left blank).

The file is checked like the registers' files before anything unzips it (the same caps on rows,
columns and unzipped size, `registers.io.check_xlsx_archive`: a «zip bomb» or a sheet declaring a
billion rows is refused in a second) and read row by row with the same row parser (only the rows
written); a formula cell anywhere refuses the file (what an export holds is values).

`import_rows(...)` creates every row or none (one transaction, `feedback_create` with channel
IMPORT and import_ref `<sha256 of the file>:<row>`): a file imported twice adds nothing the second
time, and rows already imported are counted, not duplicated.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction

from motcua.core.errors import NotAllowed, ValidationFailed
from motcua.core.text import clean_text, fold, mask_digits
from motcua.geo.models import Commune
from motcua.org.models import Role, User
from motcua.registers.io import Limits, check_xlsx_archive, limits_from_settings

from .models import Category, Channel, FeedbackItem, Neighbourhood
from .services import Reporter, clean_phone, feedback_create

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MAX_BYTES = 10 * 1024 * 1024  # an upload (a chat export of a year is well under this)
MAX_ROWS = 2000  # rows of one import (below the registers' cap)
MAX_CONTENT = 4000
TITLE_CHARS = 120
IMPORT_ROLES = (Role.COMMUNE_LEADER, Role.DEPARTMENT_HEAD, Role.ADMIN)
DEFAULT_CATEGORY = "khac"
_HEADER_ROWS = 20

COLUMNS: dict[str, tuple[str, ...]] = {
    "at": ("Thời gian", "Ngày giờ", "Thời điểm", "Ngày gửi", "Ngày", "Giờ gửi", "Time", "Date"),
    "sender": (
        "Người gửi",
        "Người phản ánh",
        "Tên người gửi",
        "Họ tên",
        "Họ và tên",
        "Tên",
        "Tài khoản",
        "Sender",
    ),
    "content": ("Nội dung", "Nội dung phản ánh", "Tin nhắn", "Bình luận", "Phản ánh", "Message", "Content"),
    "phone": ("Số điện thoại", "Điện thoại", "SĐT", "Số ĐT", "Phone"),
    "address": ("Địa chỉ", "Địa điểm", "Address"),
    "neighbourhood": ("Tổ dân phố", "Tổ", "TDP", "Khu phố", "Thôn", "Tổ dân phố/thôn"),
}
REQUIRED = ("at", "sender", "content")
LABELS = {"at": "thời gian", "sender": "người gửi", "content": "nội dung"}


def _key(text: object) -> str:
    return " ".join(fold(str(text)).replace("_", " ").split()).strip(" :.*")


_ALIASES = {_key(alias): column for column, aliases in COLUMNS.items() for alias in aliases}


@dataclass
class ImportRow:
    line: int
    at: dt.datetime | None
    sender: str
    content: str
    phone: str = ""
    address: str = ""
    neighbourhood: Neighbourhood | None = None
    neighbourhood_text: str = ""
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def phone_masked(self) -> str:
        return mask_digits(self.phone)

    @property
    def title(self) -> str:
        first = self.content.strip().splitlines()[0] if self.content.strip() else ""
        if len(first) <= TITLE_CHARS:
            return first
        cut = first[:TITLE_CHARS].rsplit(" ", 1)[0] or first[:TITLE_CHARS]
        return cut.rstrip(" ,.;:") + "…"


@dataclass
class Workbook:
    sha256: str
    rows: list[ImportRow]

    @property
    def problems(self) -> list[str]:
        return [f"Dòng {r.line}: {p}" for r in self.rows for p in r.problems]


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed(message, code="bad_file", details=[message])


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def import_limits() -> Limits:
    caps = limits_from_settings()
    return Limits(
        max_rows=min(caps.max_rows, MAX_ROWS + _HEADER_ROWS),
        max_columns=caps.max_columns,
        max_uncompressed_bytes=caps.max_uncompressed_bytes,
        max_zip_entries=caps.max_zip_entries,
        max_ratio=caps.max_ratio,
    )


def read_feedback_workbook(data: bytes, *, name: str, commune: Commune) -> Workbook:
    """The rows of an export (ValidationFailed, in Vietnamese, for a file that cannot be taken)."""
    if len(data) > MAX_BYTES:
        raise _refuse(f"{name}: tệp lớn hơn {MAX_BYTES // (1024 * 1024)} MB.")
    if not data.startswith(b"PK\x03\x04"):
        raise _refuse(f"{name}: không phải tệp Excel .xlsx; hãy mở bằng Excel và lưu lại thành .xlsx.")
    limits = import_limits()
    refused = check_xlsx_archive(data, name, limits)
    if refused:
        raise _refuse(refused[0])
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise _refuse(
            f"{name}: không đọc được tệp Excel ({type(exc).__name__}). Hãy lưu lại thành .xlsx."
        ) from None
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise _refuse(
            f"{name}: không đọc được tệp Excel ({type(exc).__name__}). Hãy lưu lại thành .xlsx."
        ) from None
    try:
        if not workbook.worksheets:
            raise _refuse(f"{name}: tệp Excel không có trang tính nào.")
        sheet = workbook.worksheets[0]
        try:
            rows = _rows(_sheet_cells(sheet, name, limits), name, commune)
        except ValidationFailed:
            raise
        except Exception as exc:  # a broken sheet is the officer's file, not a server error
            raise _refuse(
                f"{name}: không đọc được tệp Excel ({type(exc).__name__}). Hãy lưu lại thành .xlsx."
            ) from None
    finally:
        workbook.close()
    return Workbook(sha256=file_sha256(data), rows=rows)


def _sheet_cells(sheet: Any, name: str, limits: Limits) -> Iterable[tuple[int, list[Any]]]:
    """(row number, cells) for the rows written only (never the declared dimension's blanks);
    refused past the caps, and at the first formula."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet._reader import WorkSheetParser

    book = sheet.parent
    with sheet._get_source() as source:
        parser = WorkSheetParser(
            source, sheet._shared_strings, data_only=False, epoch=book.epoch,
            date_formats=book._date_formats, timedelta_formats=book._timedelta_formats,
        )  # fmt: skip
        for row_no, cells in parser.parse():
            if row_no > limits.max_rows:
                raise _refuse(f"{name}: mỗi lần nhập tối đa {MAX_ROWS} dòng; hãy chia tệp.")
            values: list[Any] = []
            for c in cells:
                if c["column"] > limits.max_columns:
                    if c["value"] not in (None, ""):
                        raise _refuse(f"{name}: tệp có hơn {limits.max_columns} cột.")
                    continue
                if c.get("data_type") == "f":
                    where = f"{get_column_letter(c['column'])}{row_no}"
                    raise _refuse(
                        f"{name}: ô {where} chứa công thức. Hãy sao chép rồi «Dán giá trị» (Paste Values) "
                        "để tệp chỉ còn giá trị, rồi lưu lại."
                    )
                while len(values) < c["column"] - 1:
                    values.append(None)
                values.append(c["value"])
            yield row_no, values


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean_text(str(value)).strip()


_DATE_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%H:%M %d/%m/%Y", "%H:%M:%S %d/%m/%Y", "%d/%m/%Y",
                 "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%d-%m-%Y %H:%M", "%d-%m-%Y")  # fmt: skip


def parse_time(value: Any) -> dt.datetime | None:
    """A cell's time as an aware local datetime; None when it cannot be read."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=LOCAL_TZ)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=LOCAL_TZ)
    text = " ".join(_text(value).replace(",", " ").split())
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=LOCAL_TZ)
        except ValueError:
            continue
    return None


def _header(values: list[Any]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for i, v in enumerate(values):
        column = _ALIASES.get(_key(v)) if isinstance(v, str) else None
        if column and column not in positions:
            positions[column] = i
    return positions


def _number(text: str) -> str:
    m = re.search(r"([0-9]+)\s*$", text)
    return m.group(1).lstrip("0") if m else ""


def match_neighbourhood(text: str, places: list[Neighbourhood]) -> Neighbourhood | None:
    """«Tổ dân phố 3», «to dan pho 3», «TDP 3», «Tổ 3» or «3» all name «Tổ dân phố 3»."""
    if not text:
        return None
    key = _key(text)
    for p in places:
        if _key(p.name) == key:
            return p
    number = _number(key)
    if number:
        same = [p for p in places if _number(_key(p.name)) == number]
        if len(same) == 1:
            return same[0]
    return None


def _rows(cells: Iterable[tuple[int, list[Any]]], name: str, commune: Commune) -> list[ImportRow]:
    places = list(Neighbourhood.objects.filter(commune=commune, active=True))
    positions: dict[str, int] | None = None
    out: list[ImportRow] = []
    for row_no, values in cells:
        if positions is None:
            found = _header(values)
            if all(c in found for c in REQUIRED):
                positions = found
            elif row_no >= _HEADER_ROWS:
                break
            continue
        cols: dict[str, int] = positions

        def cell(column: str, values: list[Any] = values, cols: dict[str, int] = cols) -> Any:
            i = cols.get(column)
            return values[i] if i is not None and i < len(values) else None

        content = _text(cell("content"))
        if not content:
            continue
        if len(out) >= MAX_ROWS:
            raise _refuse(f"{name}: mỗi lần nhập tối đa {MAX_ROWS} dòng; hãy chia tệp.")
        out.append(_row(row_no, content, cell, places))
    if positions is None:
        raise _refuse(
            f"{name}: không thấy dòng tiêu đề có các cột «thời gian», «người gửi», «nội dung» "
            "(có thể thêm «số điện thoại», «địa chỉ», «tổ dân phố»)."
        )
    if not out:
        raise _refuse(f"{name}: tệp không có dòng nào có nội dung.")
    return out


def _row(line: int, content: str, cell: Any, places: list[Neighbourhood]) -> ImportRow:
    problems: list[str] = []
    warnings: list[str] = []
    raw_at = cell("at")
    at = parse_time(raw_at)
    if at is None and _text(raw_at):
        problems.append(f"thời gian «{_text(raw_at)[:40]}» không đọc được (dạng 25/02/2026 08:30).")
    sender = _text(cell("sender"))
    if len(sender) > 150:
        problems.append("tên người gửi quá 150 ký tự.")
    if len(content) > MAX_CONTENT:
        problems.append(f"nội dung quá {MAX_CONTENT} ký tự.")
    phone = ""
    raw_phone = _text(cell("phone"))
    if raw_phone:
        try:
            phone = clean_phone(raw_phone)
        except ValidationFailed as exc:
            problems.append(f"{exc.message} («{raw_phone[:20]}»)")
    address = _text(cell("address"))
    if len(address) > 300:
        problems.append("địa chỉ quá 300 ký tự.")
    place_text = _text(cell("neighbourhood"))
    place = match_neighbourhood(place_text, places)
    if place_text and place is None:
        warnings.append(f"không có tổ dân phố «{place_text[:40]}»: để trống.")
    return ImportRow(
        line=line, at=at, sender=sender[:150], content=content, phone=phone, address=address,
        neighbourhood=place, neighbourhood_text=place_text, problems=problems, warnings=warnings,
    )  # fmt: skip


# ---------------------------------------------------------------------------------- the import


def check_importer(user: User) -> None:
    if not user.is_active or user.commune_id is None or not user.has_role(*IMPORT_ROLES):
        raise NotAllowed(
            "Chỉ lãnh đạo xã, phường, trưởng phòng hoặc quản trị được nhập phản ánh từ Excel.",
            code="not_allowed",
        )


def import_ref(sha256: str, line: int) -> str:
    return f"{sha256}:{line}"


def already_imported(commune: Commune, book: Workbook) -> set[int]:
    refs = {import_ref(book.sha256, r.line): r.line for r in book.rows}
    done = FeedbackItem.objects.filter(commune=commune, import_ref__in=list(refs)).values_list(
        "import_ref", flat=True
    )
    return {refs[ref] for ref in done}


@dataclass(frozen=True)
class Imported:
    created: list[FeedbackItem]
    skipped: int


def import_rows(
    *, actor: User, commune: Commune, book: Workbook, choices: dict[int, str], now: dt.datetime
) -> Imported:
    """Every row of `book` (or none): `choices` maps a row's line to a category code (default
    «khac»). Rows imported before (the same file) are skipped."""
    check_importer(actor)
    if actor.commune_id != commune.pk:
        raise NotAllowed("Chỉ nhập được vào xã, phường của mình.", code="not_allowed")
    if book.problems:
        raise ValidationFailed(
            "Tệp còn dòng sai; hãy sửa trong Excel rồi tải lên lại.", code="bad_rows", details=book.problems
        )
    categories = {c.code: c for c in Category.objects.filter(commune=commune, active=True)}
    if DEFAULT_CATEGORY not in categories and not all(choices.get(r.line) in categories for r in book.rows):
        raise ValidationFailed("Hãy chọn lĩnh vực cho từng dòng.", code="bad_category")
    done = already_imported(commune, book)
    created: list[FeedbackItem] = []
    try:
        with transaction.atomic():
            for row in book.rows:
                if row.line in done:
                    continue
                code = choices.get(row.line) or DEFAULT_CATEGORY
                category = categories.get(code)
                if category is None:
                    raise ValidationFailed(f"Dòng {row.line}: lĩnh vực không hợp lệ.", code="bad_category")
                attributes = {"nguon": "Nhóm Zalo, fanpage"}
                if row.at is not None:
                    attributes["thoi_gian_gui"] = row.at.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M")
                item = feedback_create(
                    commune=commune, channel=Channel.IMPORT, category=category, title=row.title,
                    description=row.content, neighbourhood=row.neighbourhood, address=row.address,
                    reporter=Reporter(name=row.sender, phone=row.phone), actor=actor, now=now,
                    attributes=attributes, import_ref=import_ref(book.sha256, row.line),
                )  # fmt: skip
                created.append(item)
    except IntegrityError:  # the same file imported at this very moment by someone else
        raise ValidationFailed("Tệp này đang được nhập ở nơi khác; hãy tải lại trang.", code="busy") from None
    return Imported(created=created, skipped=len(done))
