"""Writes to the procedure catalogue: the starter catalogue and the Excel import/export.

One workbook layout serves export and import, so an official can export, edit in Excel and
import again:

- sheet "Thủ tục": one row per procedure;
- sheet "Giấy tờ": the intake checklist, rows keyed by procedure code;
- sheet "Tờ khai": the declaration's fields, rows keyed by procedure code.

An import checks every row first and writes nothing if any row is bad: the officer gets the
full list of bad rows ("Sheet 'Thủ tục', dòng 7: …") and fixes them in one go. The starter
catalogue goes through the same validation and the same upsert.
"""

import datetime as dt
import hashlib
import io
import json
import re
import uuid
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, transaction
from django.db.models import TextChoices
from django.utils.text import slugify
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from motcua.catalog.diff import CatalogueDiff, catalogue_diff, catalogue_snapshots, fingerprint
from motcua.catalog.models import (
    CatalogueChange,
    CatalogueImport,
    ChecklistItem,
    FormField,
    OnlineLevel,
    Procedure,
    ProcedureField,
    TimeUnit,
)
from motcua.catalog.rows import ChecklistRow, FormFieldRow, ProcedureRow
from motcua.catalog.selectors import CATALOGUE_MANAGERS_ONLY, can_manage_catalogue
from motcua.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from motcua.core.excel import append_text_row
from motcua.core.text import clean_text, fold
from motcua.org.models import DepartmentKind, User

STARTER_PATH = Path(__file__).resolve().parent / "data" / "starter_catalogue.json"

# A national catalogue with every field filled is well under 1 MB; 5 MB leaves room for
# formatting and stops a zip bomb from being unpacked in memory.
MAX_IMPORT_BYTES = 5 * 1024 * 1024

# Caps on what the workbook unpacks to, checked before reading: a national catalogue is a few
# MB of XML and a few thousand rows; a spreadsheet bomb declares far more.
MAX_UNCOMPRESSED_BYTES = 64 * 1024 * 1024
MAX_ARCHIVE_ENTRIES = 200
MAX_ROWS = 20_000
MAX_COLUMNS = 60

SHEET_PROCEDURES = "Thủ tục"
SHEET_CHECKLIST = "Giấy tờ"
SHEET_FORM = "Tờ khai"
SHEET_HELP = "Hướng dẫn"

# Beyond these a value is a typing slip, and past the columns' integer range PostgreSQL would
# refuse it with a server error instead of the row's message.
MAX_TIME_VALUE = 1000
MAX_FEE_VND = 1_000_000_000
MAX_QUANTITY = 100
MAX_POSITION = 10_000
MAX_LEGAL_BASIS = 5000

_CODE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,39}$")
_SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]+$")
# "8.000", "8,000", "1 200 000": Vietnamese spreadsheets group thousands with dots.
_GROUPED_INT_RE = re.compile(r"^\d{1,3}([.,\s]\d{3})+$")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    required: bool = False


PROCEDURE_COLUMNS = (
    Column("code", "Mã thủ tục", True),
    Column("name", "Tên thủ tục", True),
    Column("field_code", "Mã lĩnh vực"),
    Column("field_name", "Lĩnh vực", True),
    Column("responsible_kind", "Đơn vị chủ trì", True),
    Column("time_unit", "Đơn vị thời gian", True),
    Column("time_value", "Thời hạn"),
    Column("time_value_difficult", "Thời hạn ở vùng khó khăn"),
    Column("fee_vnd", "Lệ phí (đồng)"),
    Column("fee_note", "Ghi chú lệ phí"),
    Column("online_level", "Mức độ trực tuyến", True),
    Column("legal_basis", "Căn cứ pháp lý"),
    Column("result_name", "Kết quả"),
    Column("is_active", "Đang áp dụng"),
)
CHECKLIST_COLUMNS = (
    Column("procedure_code", "Mã thủ tục", True),
    Column("position", "STT"),
    Column("name", "Tên giấy tờ", True),
    Column("form", "Hình thức", True),
    Column("quantity", "Số lượng"),
    Column("required", "Bắt buộc"),
)
FORM_COLUMNS = (
    Column("procedure_code", "Mã thủ tục", True),
    Column("position", "STT"),
    Column("key", "Mã trường", True),
    Column("label", "Nhãn", True),
    Column("kind", "Kiểu dữ liệu", True),
    Column("required", "Bắt buộc"),
    Column("choices", "Các lựa chọn"),
)


@dataclass(frozen=True)
class ImportReport:
    created: int = 0
    updated: int = 0
    fields_created: int = 0
    checklist_items: int = 0
    form_fields: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated

    def summary(self) -> str:
        return (
            f"Đã nhập {self.total} thủ tục ({self.created} thêm mới, {self.updated} cập nhật), "
            f"{self.checklist_items} giấy tờ, {self.form_fields} trường tờ khai."
        )


@dataclass
class _Problems:
    """Collects the problems of one row; `where` prefixes them in the report."""

    where: str
    items: list[str] = field(default_factory=list)

    def add(self, message: str) -> None:
        self.items.append(message)

    def render(self) -> str:
        return f"{self.where}: " + "; ".join(self.items)


# ---------------------------------------------------------------------------- public API


@transaction.atomic
def catalog_load_starter(*, path: Path | None = None) -> ImportReport:
    """Upsert the shipped starter catalogue. Running it again changes nothing.

    For a first start and the demo; on a catalogue in use, `motcua catalog load-starter` goes
    through `catalog_starter_preview` and the audit instead.
    """
    return _apply(catalog_parse_starter(data=(path or STARTER_PATH).read_bytes()))


def catalog_parse_starter(*, data: bytes) -> list[ProcedureRow]:
    """Validate the starter catalogue's JSON (every problem listed, like a workbook's rows)."""
    starter = json.loads(data.decode("utf-8"))
    field_names = {f["code"]: f["name"] for f in starter["fields"]}
    rows: list[ProcedureRow] = []
    errors: list[str] = []
    for index, raw in enumerate(starter["procedures"], start=1):
        where = f"starter_catalogue.json, thủ tục {index} ({raw.get('code', '?')})"
        values = {
            **raw,
            "field_code": raw.get("field", ""),
            "field_name": field_names.get(raw.get("field"), ""),
        }
        row = _parse_procedure(values, _Problems(where))
        checklist = [
            _parse_checklist(item, _Problems(f"{where}, giấy tờ {i}"))
            for i, item in enumerate(raw["checklist"], 1)
        ]
        form = [
            _parse_form_field(item, _Problems(f"{where}, tờ khai {i}"))
            for i, item in enumerate(raw["form_fields"], 1)
        ]
        for parsed in (row, *checklist, *form):
            if isinstance(parsed, _Problems):
                errors.append(parsed.render())
        if isinstance(row, ProcedureRow):
            row.checklist = [c for c in checklist if isinstance(c, ChecklistRow)]
            row.form_fields = [f for f in form if isinstance(f, FormFieldRow)]
            rows.append(row)
    if errors:
        raise ValidationFailed("Danh mục khởi tạo có lỗi.", details=errors)
    return rows


def catalog_parse_excel(*, data: bytes) -> list[ProcedureRow]:
    """Validate every row of the workbook; the rows an import would write.

    Raises ValidationFailed listing every bad row (with its sheet and line).
    """
    workbook = _open_workbook(data)
    sheets = {fold(name): name for name in workbook.sheetnames}
    if fold(SHEET_PROCEDURES) not in sheets:
        raise ValidationFailed(
            f"Tệp Excel không có sheet '{SHEET_PROCEDURES}'.",
            details=[f"Các sheet cần có: '{SHEET_PROCEDURES}', '{SHEET_CHECKLIST}', '{SHEET_FORM}'."],
        )
    errors: list[str] = []
    rows, listed_codes = _read_procedures(workbook[sheets[fold(SHEET_PROCEDURES)]], errors)
    by_code = {row.code: row for row in rows}
    if fold(SHEET_CHECKLIST) in sheets:
        for row in rows:
            row.checklist = []
        _read_children(
            workbook[sheets[fold(SHEET_CHECKLIST)]],
            SHEET_CHECKLIST,
            CHECKLIST_COLUMNS,
            by_code,
            listed_codes,
            errors,
        )
    if fold(SHEET_FORM) in sheets:
        for row in rows:
            row.form_fields = []
        _read_children(
            workbook[sheets[fold(SHEET_FORM)]], SHEET_FORM, FORM_COLUMNS, by_code, listed_codes, errors
        )
    if errors:
        raise ValidationFailed(
            f"Tệp có {len(errors)} dòng không hợp lệ; chưa nhập thủ tục nào. Sửa các dòng sau rồi nhập lại.",
            details=errors,
        )
    if not rows:
        raise ValidationFailed(f"Sheet '{SHEET_PROCEDURES}' không có dòng dữ liệu nào.")
    return rows


def _check_manager(actor: User | None, source: str) -> None:
    """The command line (a shell on the server) may act without an account; nobody else may."""
    if actor is None:
        if source != CatalogueImport.Source.COMMAND_LINE:
            raise NotAllowed(CATALOGUE_MANAGERS_ONLY)
        return
    if not can_manage_catalogue(actor):
        raise NotAllowed(CATALOGUE_MANAGERS_ONLY)


def _actor_label(actor: User | None) -> str:
    if actor is None:
        return "Dòng lệnh (trên máy chủ)"
    return f"{actor.display_name} ({actor.username})" if actor.full_name else actor.username


@dataclass(frozen=True)
class ImportPlan:
    """A validated workbook and what applying it now would change."""

    rows: list[ProcedureRow]
    diff: CatalogueDiff
    base_fingerprint: str
    file_sha256: str


def catalog_import_plan(*, file: IO[bytes] | bytes | Path) -> ImportPlan:
    """Parse, validate and compare with the catalogue; writes nothing (the `--dry-run`)."""
    data = _read_bytes(file)
    rows = catalog_parse_excel(data=data)
    current = catalogue_snapshots()
    return ImportPlan(
        rows=rows,
        diff=catalogue_diff(rows, current),
        base_fingerprint=fingerprint(current),
        file_sha256=hashlib.sha256(data).hexdigest(),
    )


def catalog_import_preview(
    *,
    actor: User | None,
    file: IO[bytes] | bytes | Path,
    filename: str,
    source: str,
    now: dt.datetime,
) -> tuple[CatalogueImport, CatalogueDiff]:
    """Validate the workbook, keep its rows server-side and say what applying it would change.

    Writes nothing to the catalogue; one bad row refuses the whole file.
    """
    _check_manager(actor, source)
    return _keep_preview(
        catalog_import_plan(file=file), actor=actor, filename=filename, source=source, now=now
    )


def catalog_starter_preview(
    *, actor: User | None, now: dt.datetime, path: Path | None = None
) -> tuple[CatalogueImport, CatalogueDiff]:
    """The shipped starter catalogue as an import: previewed, then applied with its audit (on a
    catalogue in use it puts back the starter's fees and times, so it is recorded like any import)."""
    source = CatalogueImport.Source.COMMAND_LINE
    _check_manager(actor, source)
    starter = path or STARTER_PATH
    data = starter.read_bytes()
    rows = catalog_parse_starter(data=data)
    current = catalogue_snapshots()
    plan = ImportPlan(
        rows=rows,
        diff=catalogue_diff(rows, current),
        base_fingerprint=fingerprint(current),
        file_sha256=hashlib.sha256(data).hexdigest(),
    )
    return _keep_preview(plan, actor=actor, filename=starter.name, source=source, now=now)


def _keep_preview(
    plan: ImportPlan, *, actor: User | None, filename: str, source: str, now: dt.datetime
) -> tuple[CatalogueImport, CatalogueDiff]:
    preview = CatalogueImport.objects.create(
        source=source,
        actor=actor,
        actor_label=_actor_label(actor),
        filename=clean_text(filename).strip()[:255],
        file_sha256=plan.file_sha256,
        rows=[row.to_json() for row in plan.rows],
        base_fingerprint=plan.base_fingerprint,
        previewed_at=now,
        added_count=len(plan.diff.added),
        changed_count=len(plan.diff.changed),
        unchanged_count=len(plan.diff.unchanged),
        missing_count=len(plan.diff.missing),
    )
    return preview, plan.diff


STALE_PREVIEW = (
    "Danh mục đã thay đổi kể từ khi xem trước tệp này; chưa áp dụng gì. "
    "Hãy tải tệp lên lại để xem trước các thay đổi mới nhất."
)


# Any constant: the key of the transaction-level advisory lock that serialises catalogue writes.
_CATALOGUE_LOCK_KEY = 7_202_601


def _lock_catalogue() -> None:
    """Concurrent applies queue here; the second then sees the first's changes in the
    fingerprint and is refused as stale. SQLite needs nothing: its transactions are IMMEDIATE
    (settings), so writers are already serialised."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CATALOGUE_LOCK_KEY])


@transaction.atomic
def catalog_import_apply(
    *, actor: User | None, import_id: uuid.UUID | str, now: dt.datetime
) -> CatalogueImport:
    """Apply exactly the previewed rows and record, per procedure, what changed.

    Refused (Conflict) when the catalogue changed since the preview or the preview was applied
    already: the official approved a diff, not a file.
    """
    source = CatalogueImport.Source.COMMAND_LINE if actor is None else CatalogueImport.Source.WEB
    _check_manager(actor, source)
    _lock_catalogue()
    try:
        pending = CatalogueImport.objects.select_for_update().get(pk=import_id)
    except (CatalogueImport.DoesNotExist, ValueError, DjangoValidationError) as exc:
        raise NotFound("Không tìm thấy lần nhập danh mục này.") from exc
    if actor is None and pending.source != CatalogueImport.Source.COMMAND_LINE:
        raise NotAllowed(CATALOGUE_MANAGERS_ONLY)
    if pending.status == CatalogueImport.Status.APPLIED:
        raise Conflict("Tệp này đã được áp dụng rồi.")
    current = catalogue_snapshots()
    if fingerprint(current) != pending.base_fingerprint:
        raise Conflict(STALE_PREVIEW, code="stale_preview")
    rows = [ProcedureRow.from_json(r) for r in pending.rows]
    diff = catalogue_diff(rows, current)
    _apply(rows)
    CatalogueChange.objects.bulk_create(
        [
            CatalogueChange(
                catalogue_import=pending,
                procedure_code=entry.code,
                procedure_name=entry.name,
                kind=kind,
                fields=[c.to_json() for c in entry.changes],
            )
            for kind, entries in (
                (CatalogueChange.Kind.ADDED, diff.added),
                (CatalogueChange.Kind.CHANGED, diff.changed),
            )
            for entry in entries
        ]
    )
    pending.status = CatalogueImport.Status.APPLIED
    pending.applied_at = now
    if actor is not None:
        pending.actor = actor
        pending.actor_label = _actor_label(actor)
    pending.added_count = len(diff.added)
    pending.changed_count = len(diff.changed)
    pending.unchanged_count = len(diff.unchanged)
    pending.missing_count = len(diff.missing)
    pending.save()
    return pending


def catalog_export_excel() -> bytes:
    """The whole catalogue (active and inactive) in the layout `catalog_parse_excel` reads."""
    procedures = (
        Procedure.objects.select_related("field")
        .prefetch_related("checklist", "form_fields")
        .order_by("code")
    )
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = SHEET_PROCEDURES
    checklist_sheet = workbook.create_sheet(SHEET_CHECKLIST)
    form_sheet = workbook.create_sheet(SHEET_FORM)
    _write_header(sheet, PROCEDURE_COLUMNS)
    _write_header(checklist_sheet, CHECKLIST_COLUMNS)
    _write_header(form_sheet, FORM_COLUMNS)
    for p in procedures:
        append_text_row(
            sheet,
            [
                p.code,
                p.name,
                p.field.code,
                p.field.name,
                p.get_responsible_kind_display(),
                p.get_time_unit_display(),
                p.time_value,
                p.time_value_difficult,
                p.fee_vnd,
                p.fee_note,
                p.get_online_level_display(),
                p.legal_basis,
                p.result_name,
                _yes_no(p.is_active),
            ],
        )
        for position, item in enumerate(p.checklist.all(), start=1):
            append_text_row(
                checklist_sheet,
                [p.code, position, item.name, item.get_form_display(), item.quantity, _yes_no(item.required)],
            )
        for position, ff in enumerate(p.form_fields.all(), start=1):
            append_text_row(
                form_sheet,
                [p.code, position, ff.key, ff.label, ff.get_kind_display(), _yes_no(ff.required), ff.choices],
            )
    _write_help(workbook.create_sheet(SHEET_HELP))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------- reading


def _read_bytes(file: IO[bytes] | bytes | Path) -> bytes:
    if isinstance(file, bytes):
        data = file
    elif isinstance(file, Path):
        data = file.read_bytes()
    else:
        data = file.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationFailed(f"Tệp quá lớn: tối đa {MAX_IMPORT_BYTES // (1024 * 1024)} MB.")
    return data


def _open_workbook(data: bytes) -> Any:
    not_xlsx = ValidationFailed(
        "Tệp tải lên không phải là tệp Excel .xlsx hợp lệ.",
        code="not_xlsx",
        details=[
            "Hãy chọn tệp có đuôi .xlsx (Excel 2007 trở lên). Nếu tệp là Excel 97-2003 (.xls) hoặc CSV, "
            "mở bằng Excel rồi chọn Lưu thành → Sổ làm việc Excel (.xlsx)."
        ],
    )
    # An .xlsx is a zip package; checking the signature first gives a clear message for a
    # renamed text or .xls file instead of a parser error.
    if not data.startswith(b"PK\x03\x04") or not zipfile.is_zipfile(io.BytesIO(data)):
        raise not_xlsx
    _check_unpacked_size(data, not_xlsx)
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types (KeyError, InvalidFileException…) on bad packages
        raise not_xlsx from exc


def _check_unpacked_size(data: bytes, not_xlsx: ValidationFailed) -> None:
    """A few KB can unpack to gigabytes (openpyxl holds the shared strings in memory): refuse
    by the sizes the archive declares, before anything is unpacked."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise not_xlsx from exc
    if len(entries) > MAX_ARCHIVE_ENTRIES or sum(e.file_size for e in entries) > MAX_UNCOMPRESSED_BYTES:
        raise ValidationFailed(
            "Tệp Excel quá lớn khi giải nén; chưa nhập thủ tục nào.",
            code="too_large",
            details=[
                f"Tối đa {MAX_UNCOMPRESSED_BYTES // (1024 * 1024)} MB dữ liệu sau giải nén và "
                f"{MAX_ARCHIVE_ENTRIES} thành phần. Hãy lưu lại chỉ các sheet Thủ tục, Giấy tờ, Tờ khai."
            ],
        )


def _header_map(
    header: Sequence[object], columns: Sequence[Column], sheet_name: str, errors: list[str]
) -> dict[str, int] | None:
    """Column key → index, matching the Vietnamese label (any case or diacritics) or the key."""
    wanted = {fold(c.label): c.key for c in columns} | {c.key: c.key for c in columns}
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = wanted.get(fold(_text(cell)))
        if key and key not in found:
            found[key] = index
    missing = [c.label for c in columns if c.required and c.key not in found]
    if missing:
        errors.append(f"Sheet '{sheet_name}', dòng 1: thiếu cột " + ", ".join(f"'{m}'" for m in missing))
        return None
    return found


def _data_rows(sheet: Worksheet) -> Iterator[tuple[int, tuple[object, ...]]]:
    rows = sheet.iter_rows(min_row=2, max_col=MAX_COLUMNS, values_only=True)
    for number, values in enumerate(rows, start=2):
        if number > MAX_ROWS + 1:
            raise ValidationFailed(
                f"Sheet '{sheet.title}' có hơn {MAX_ROWS:,} dòng; chưa nhập thủ tục nào.".replace(",", "."),
                code="too_many_rows",
                details=[
                    "Danh mục cấp xã chỉ có vài trăm thủ tục: hãy kiểm tra tệp có thừa dòng trống định dạng."
                ],
            )
        if any(_text(v) for v in values):
            yield number, values


def _read_procedures(sheet: Worksheet, errors: list[str]) -> tuple[list[ProcedureRow], set[str]]:
    """The valid rows, and every code the sheet lists (valid or not)."""
    header = next(sheet.iter_rows(min_row=1, max_row=1, max_col=MAX_COLUMNS, values_only=True), ())
    columns = _header_map(header, PROCEDURE_COLUMNS, SHEET_PROCEDURES, errors)
    if columns is None:
        return [], set()
    rows: list[ProcedureRow] = []
    first_line: dict[str, int] = {}
    for number, values in _data_rows(sheet):
        raw = {key: values[i] if i < len(values) else None for key, i in columns.items()}
        problems = _Problems(f"Sheet '{SHEET_PROCEDURES}', dòng {number}")
        parsed = _parse_procedure(raw, problems)
        code = _code_text(raw.get("code"))
        if code and code in first_line:
            problems.add(f"mã thủ tục '{code}' bị trùng với dòng {first_line[code]}")
            parsed = problems
        elif code:
            first_line[code] = number
        if isinstance(parsed, _Problems):
            errors.append(parsed.render())
        else:
            rows.append(parsed)
    return rows, set(first_line)


def _read_children(
    sheet: Worksheet,
    sheet_name: str,
    columns_spec: Sequence[Column],
    by_code: Mapping[str, ProcedureRow],
    listed_codes: set[str],
    errors: list[str],
) -> None:
    header = next(sheet.iter_rows(min_row=1, max_row=1, max_col=MAX_COLUMNS, values_only=True), ())
    columns = _header_map(header, columns_spec, sheet_name, errors)
    if columns is None:
        return
    is_checklist = sheet_name == SHEET_CHECKLIST
    ordered: dict[str, list[tuple[int, int, ChecklistRow | FormFieldRow]]] = {}
    keys_seen: dict[tuple[str, str], int] = {}
    for number, values in _data_rows(sheet):
        raw = {key: values[i] if i < len(values) else None for key, i in columns.items()}
        problems = _Problems(f"Sheet '{sheet_name}', dòng {number}")
        code = _code_text(raw.get("procedure_code"))
        if not code:
            problems.add("thiếu Mã thủ tục")
        elif code not in listed_codes:
            problems.add(f"mã thủ tục '{code}' không có trong sheet '{SHEET_PROCEDURES}'")
        position = _int(raw.get("position"), "STT", problems, minimum=0, maximum=MAX_POSITION)
        parsed = _parse_checklist(raw, problems) if is_checklist else _parse_form_field(raw, problems)
        if isinstance(parsed, FormFieldRow) and code:
            earlier = keys_seen.setdefault((code, parsed.key), number)
            if earlier != number:
                problems.add(f"mã trường '{parsed.key}' bị trùng với dòng {earlier} của cùng thủ tục")
        if problems.items:
            errors.append(problems.render())
            continue
        assert not isinstance(parsed, _Problems)
        if code not in by_code:
            continue  # its procedure row is bad and already reported
        ordered.setdefault(code, []).append((position if position is not None else number, number, parsed))
    for code, items in ordered.items():
        children = [item for _, _, item in sorted(items, key=lambda t: (t[0], t[1]))]
        target = by_code[code]
        if is_checklist:
            target.checklist = [c for c in children if isinstance(c, ChecklistRow)]
        else:
            target.form_fields = [f for f in children if isinstance(f, FormFieldRow)]


# ---------------------------------------------------------------------------- parsing


def _parse_procedure(raw: Mapping[str, object], problems: _Problems) -> "ProcedureRow | _Problems":
    code = _code_text(raw.get("code"))
    name = _text(raw.get("name"))
    field_name = _text(raw.get("field_name"))
    field_code = _text(raw.get("field_code")) or slugify(fold(field_name))[:40]
    if not code:
        problems.add("thiếu Mã thủ tục")
    elif not _CODE_RE.match(code):
        problems.add(f"Mã thủ tục '{code}' chỉ được gồm chữ, số, dấu chấm, gạch ngang (tối đa 40 ký tự)")
    if not name:
        problems.add("thiếu Tên thủ tục")
    elif len(name) > 400:
        problems.add("Tên thủ tục dài quá 400 ký tự")
    if not field_name:
        problems.add("thiếu Lĩnh vực")
    elif len(field_name) > 150:
        problems.add("tên Lĩnh vực dài quá 150 ký tự")
    if field_code and (not _SLUG_RE.match(field_code) or len(field_code) > 40):
        problems.add(
            f"Mã lĩnh vực '{field_code}' chỉ được gồm chữ không dấu, số, gạch ngang (tối đa 40 ký tự)"
        )
    kind = _choice(raw.get("responsible_kind"), DepartmentKind, "Đơn vị chủ trì", problems)
    unit = _choice(raw.get("time_unit"), TimeUnit, "Đơn vị thời gian", problems, aliases=_TIME_ALIASES)
    online = _choice(
        raw.get("online_level"), OnlineLevel, "Mức độ trực tuyến", problems, aliases=_ONLINE_ALIASES
    )
    value = _int(raw.get("time_value"), "Thời hạn", problems, minimum=1, maximum=MAX_TIME_VALUE)
    difficult = _int(
        raw.get("time_value_difficult"),
        "Thời hạn ở vùng khó khăn",
        problems,
        minimum=1,
        maximum=MAX_TIME_VALUE,
    )
    if (
        unit in (TimeUnit.WORKING_DAYS, TimeUnit.HOURS)
        and value is None
        and _text(raw.get("time_value")) == ""
    ):
        problems.add(f"đơn vị thời gian '{TimeUnit(unit).label}' cần ghi Thời hạn (số nguyên dương)")
    if unit in (TimeUnit.ON_THE_SPOT, TimeUnit.SAME_DAY) and (value is not None or difficult is not None):
        problems.add(f"đơn vị thời gian '{TimeUnit(unit).label}' không ghi Thời hạn; để trống ô Thời hạn")
    if value is not None and difficult is not None and difficult < value:
        problems.add("Thời hạn ở vùng khó khăn không được ngắn hơn Thời hạn")
    fee_raw = raw.get("fee_vnd")
    fee = _int(fee_raw, "Lệ phí (đồng)", problems, minimum=0, maximum=MAX_FEE_VND)
    fee_note = _text(raw.get("fee_note"))
    if len(fee_note) > 300:
        problems.add("Ghi chú lệ phí dài quá 300 ký tự")
    result_name = _text(raw.get("result_name"))
    if len(result_name) > 300:
        problems.add("Kết quả dài quá 300 ký tự")
    legal_basis = _text(raw.get("legal_basis"))
    if len(legal_basis) > MAX_LEGAL_BASIS:
        problems.add(f"Căn cứ pháp lý dài quá {MAX_LEGAL_BASIS} ký tự")
    active = _bool(raw.get("is_active"), "Đang áp dụng", problems)
    if problems.items:
        return problems
    assert kind and unit and online and active is not None
    return ProcedureRow(
        code=code,
        name=name,
        field_code=field_code,
        field_name=field_name,
        responsible_kind=kind,
        time_unit=unit,
        time_value=value,
        time_value_difficult=difficult,
        fee_vnd=fee or 0,
        fee_note=fee_note,
        online_level=online,
        legal_basis=legal_basis,
        result_name=result_name,
        is_active=active,
    )


def _parse_checklist(raw: Mapping[str, object], problems: _Problems) -> "ChecklistRow | _Problems":
    name = _text(raw.get("name"))
    if not name:
        problems.add("thiếu Tên giấy tờ")
    elif len(name) > 400:
        problems.add("Tên giấy tờ dài quá 400 ký tự")
    form = _choice(raw.get("form"), ChecklistItem.Form, "Hình thức", problems)
    quantity = _int(raw.get("quantity"), "Số lượng", problems, minimum=1, maximum=MAX_QUANTITY)
    required = _bool(raw.get("required"), "Bắt buộc", problems)
    if problems.items:
        return problems
    assert form and required is not None
    return ChecklistRow(name=name, form=form, quantity=quantity or 1, required=required)


def _parse_form_field(raw: Mapping[str, object], problems: _Problems) -> "FormFieldRow | _Problems":
    key = _text(raw.get("key"))
    label = _text(raw.get("label"))
    choices = _text(raw.get("choices"))
    if not key:
        problems.add("thiếu Mã trường")
    elif not re.match(r"^[a-z0-9_-]{1,60}$", key):
        problems.add(
            f"Mã trường '{key}' chỉ được gồm chữ thường không dấu, số, dấu gạch dưới (tối đa 60 ký tự)"
        )
    if not label:
        problems.add("thiếu Nhãn")
    elif len(label) > 200:
        problems.add("Nhãn dài quá 200 ký tự")
    kind = _choice(raw.get("kind"), FormField.Kind, "Kiểu dữ liệu", problems, aliases=_KIND_ALIASES)
    required = _bool(raw.get("required"), "Bắt buộc", problems)
    if kind == FormField.Kind.CHOICE and not [c for c in choices.split("|") if c.strip()]:
        problems.add("kiểu Lựa chọn cần ghi Các lựa chọn, cách nhau bởi dấu |")
    if len(choices) > 500:
        problems.add("Các lựa chọn dài quá 500 ký tự")
    if problems.items:
        return problems
    assert kind and required is not None
    return FormFieldRow(key=key, label=label, kind=kind, required=required, choices=choices)


_TIME_ALIASES = {
    "ngay": TimeUnit.WORKING_DAYS,
    "gio": TimeUnit.HOURS,
    "ngay khi nhan du ho so": TimeUnit.ON_THE_SPOT,
}
_ONLINE_ALIASES = {
    "khong": OnlineLevel.NONE,
    "truc tuyen toan trinh": OnlineLevel.FULL,
    "truc tuyen mot phan": OnlineLevel.PARTIAL,
}
_KIND_ALIASES = {
    "ngay": FormField.Kind.DATE,
    "so dinh danh": FormField.Kind.CITIZEN_ID,
    "cccd": FormField.Kind.CITIZEN_ID,
}


def _choice(
    value: object,
    choices: type[TextChoices],
    label: str,
    problems: _Problems,
    *,
    aliases: Mapping[str, str] | None = None,
) -> str | None:
    """Accept the stored code ("WORKING_DAYS") or the Vietnamese label, diacritics optional."""
    text = _text(value)
    if not text:
        problems.add(f"thiếu {label}")
        return None
    by_name = {fold(c.label): c.value for c in choices} | {fold(c.value): c.value for c in choices}
    by_name |= dict(aliases or {})
    found = by_name.get(fold(text))
    if found is None:
        allowed = ", ".join(f"'{c.label}'" for c in choices)
        problems.add(f"{label} '{text}' không hợp lệ (chọn một trong: {allowed})")
    return found


def _int(value: object, label: str, problems: _Problems, *, minimum: int, maximum: int) -> int | None:
    """A non-negative whole number; blank is None. Accepts "8.000" as eight thousand."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > 20:
            number = None
        elif text.lstrip("-").isdigit():
            number = int(text)
        elif _GROUPED_INT_RE.match(text):
            number = int(re.sub(r"[.,\s]", "", text))
    if number is None:
        problems.add(f"{label} '{_text(value)[:30]}' phải là số nguyên")
        return None
    if number < minimum:
        word = "không âm" if minimum == 0 else f"từ {minimum} trở lên"
        problems.add(f"{label} phải là số nguyên {word} (đang ghi {number})")
        return None
    if number > maximum:
        problems.add(f"{label} không được lớn hơn {maximum:,} (đang ghi {number:,})".replace(",", "."))
        return None
    return number


_YES = {"co", "x", "true", "1", "yes", "bat buoc", "dang ap dung"}
_NO = {"khong", "false", "0", "no", "khong bat buoc", "ngung ap dung"}


def _bool(value: object, label: str, problems: _Problems) -> bool | None:
    """Blank means yes: most documents are required and most procedures are in force."""
    if isinstance(value, bool):
        return value
    text = fold(_text(value))
    if not text or text in _YES:
        return True
    if text in _NO:
        return False
    problems.add(f"{label} '{_text(value)}' không hợp lệ (ghi 'Có' hoặc 'Không')")
    return None


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    # Control characters (NUL, which PostgreSQL refuses in text, among them) never belong in
    # a catalogue cell.
    return clean_text(str(value)).strip()


def _code_text(value: object) -> str:
    """National codes look like 1.000110; Excel turns a typed code into the number 1.00011."""
    if isinstance(value, float):
        return f"{value:.6f}"
    return _text(value)


# ---------------------------------------------------------------------------- writing


def _apply(rows: Iterable[ProcedureRow]) -> ImportReport:
    created = updated = fields_created = checklist_count = form_count = 0
    fields: dict[str, ProcedureField] = {}
    for row in rows:
        pf = fields.get(row.field_code)
        if pf is None:
            pf, was_created = ProcedureField.objects.get_or_create(
                code=row.field_code, defaults={"name": row.field_name}
            )
            fields_created += was_created
            if pf.name != row.field_name:
                pf.name = row.field_name
                pf.save(update_fields=["name"])
            fields[row.field_code] = pf
        procedure, was_created = Procedure.objects.update_or_create(
            code=row.code,
            defaults={
                "name": row.name,
                "name_folded": fold(row.name),
                "field": pf,
                "responsible_kind": row.responsible_kind,
                "time_unit": row.time_unit,
                "time_value": row.time_value,
                "time_value_difficult": row.time_value_difficult,
                "fee_vnd": row.fee_vnd,
                "fee_note": row.fee_note,
                "online_level": row.online_level,
                "legal_basis": row.legal_basis,
                "result_name": row.result_name,
                "is_active": row.is_active,
            },
        )
        if was_created:
            created += 1
        else:
            updated += 1
        if row.checklist is not None:
            checklist_count += _sync_checklist(procedure, row.checklist)
        if row.form_fields is not None:
            form_count += _sync_form_fields(procedure, row.form_fields)
    return ImportReport(
        created=created,
        updated=updated,
        fields_created=fields_created,
        checklist_items=checklist_count,
        form_fields=form_count,
    )


def _sync_checklist(procedure: Procedure, items: Sequence[ChecklistRow]) -> int:
    """Update checklist items in place by position: dossiers point at them (their scanned
    documents keep the link), so an unchanged checklist keeps its rows."""
    existing = list(procedure.checklist.order_by("position", "id"))
    for index, item in enumerate(items):
        values = {
            "position": index + 1,
            "name": item.name,
            "form": item.form,
            "quantity": item.quantity,
            "required": item.required,
        }
        if index < len(existing):
            row = existing[index]
            if any(getattr(row, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(row, k, v)
                row.save()
        else:
            ChecklistItem.objects.create(procedure=procedure, **values)
    for extra in existing[len(items) :]:
        extra.delete()
    return len(items)


def _sync_form_fields(procedure: Procedure, items: Sequence[FormFieldRow]) -> int:
    """Upsert by key (unique per procedure) and drop the keys no longer in the declaration."""
    existing = {f.key: f for f in procedure.form_fields.all()}
    for index, item in enumerate(items):
        values = {
            "position": index + 1,
            "label": item.label,
            "kind": item.kind,
            "required": item.required,
            "choices": item.choices,
        }
        row = existing.pop(item.key, None)
        if row is None:
            FormField.objects.create(procedure=procedure, key=item.key, **values)
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            row.save()
    for stale in existing.values():
        stale.delete()
    return len(items)


def _yes_no(value: bool) -> str:
    return "Có" if value else "Không"


def _write_header(sheet: Worksheet, columns: Sequence[Column]) -> None:
    append_text_row(sheet, [c.label for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = 60 if column.key in {"name", "legal_basis", "label"} else 18


def _write_help(sheet: Worksheet) -> None:
    lines: list[list[str]] = [
        ["Hướng dẫn nhập danh mục thủ tục"],
        [f"Sheet '{SHEET_PROCEDURES}': mỗi dòng một thủ tục; dòng có Mã thủ tục đã có sẽ được cập nhật."],
        [
            f"Sheet '{SHEET_CHECKLIST}' và '{SHEET_FORM}': thay toàn bộ giấy tờ, tờ khai "
            "của các thủ tục có trong tệp."
        ],
        ["Nếu có một dòng sai, không thủ tục nào được nhập; danh sách dòng sai sẽ được báo lại."],
        [],
        ["Cột", "Giá trị được chấp nhận"],
        ["Đơn vị chủ trì", "; ".join(DepartmentKind.labels)],
        ["Đơn vị thời gian", "; ".join(TimeUnit.labels)],
        ["Mức độ trực tuyến", "; ".join(OnlineLevel.labels)],
        ["Hình thức (giấy tờ)", "; ".join(ChecklistItem.Form.labels)],
        ["Kiểu dữ liệu (tờ khai)", "; ".join(FormField.Kind.labels)],
        ["Bắt buộc, Đang áp dụng", "Có; Không (để trống là Có)"],
        [
            "Thời hạn",
            "Số nguyên dương; bắt buộc với Ngày làm việc và Giờ làm việc, "
            "để trống với Giải quyết ngay và Trong ngày",
        ],
        ["Lệ phí (đồng)", "Số nguyên không âm, ví dụ 8000; 0 là miễn phí"],
    ]
    for line in lines:
        append_text_row(sheet, line)
    sheet["A1"].font = Font(bold=True)
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 110
