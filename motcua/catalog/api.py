"""The catalogue over JSON.

The list and detail endpoints are public (`auth=None`): the procedure catalogue is the
disclosure the law requires of every commune, the same information as the public pages at
/thu-tuc/. Everything else in the API keeps the default token auth; the import endpoints
(upload → preview → apply, and the audit) are for installation administrators only, the same
rule as the screens (`can_manage_catalogue`).
"""

import uuid

from django.http import HttpRequest
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from motcua.catalog.diff import CatalogueDiff, ProcedureDiff
from motcua.catalog.formatting import procedure_fee, procedure_time
from motcua.catalog.models import CatalogueImport, Procedure
from motcua.catalog.selectors import (
    catalogue_import_list,
    catalogue_import_preview_get,
    procedure_get,
    procedure_search,
)
from motcua.catalog.services import MAX_IMPORT_BYTES, catalog_import_apply, catalog_import_preview
from motcua.core import clock
from motcua.core.errors import ValidationFailed
from motcua.org.models import User

router = Router(tags=["Thủ tục"])


class ErrorOut(Schema):
    code: str
    message: str
    details: list[str]


class ProcedureListParams(Schema):
    q: str = ""
    field: str | None = None
    limit: int = 50


class ProcedureSummaryOut(Schema):
    code: str
    name: str
    field_code: str
    field_name: str
    time_text: str
    fee_vnd: int
    fee_text: str
    online_level: str


class ChecklistItemOut(Schema):
    position: int
    name: str
    form: str
    form_label: str
    quantity: int
    required: bool


class FormFieldOut(Schema):
    key: str
    label: str
    kind: str
    required: bool
    choices: list[str]


class ProcedureDetailOut(ProcedureSummaryOut):
    responsible_kind: str
    responsible_unit: str
    time_unit: str
    time_value: int | None
    time_value_difficult: int | None
    fee_note: str
    online_level_label: str
    legal_basis: str
    result_name: str
    checklist: list[ChecklistItemOut]
    form_fields: list[FormFieldOut]


def _summary(p: Procedure) -> dict[str, object]:
    return {
        "code": p.code,
        "name": p.name,
        "field_code": p.field.code,
        "field_name": p.field.name,
        "time_text": procedure_time(p),
        "fee_vnd": p.fee_vnd,
        "fee_text": procedure_fee(p),
        "online_level": p.online_level,
    }


@router.get("", response=list[ProcedureSummaryOut], auth=None, summary="Tìm thủ tục")
def list_procedures(request: HttpRequest, params: Query[ProcedureListParams]) -> list[dict[str, object]]:
    """Search without diacritics ("chung thuc") on the name, or by code."""
    limit = min(max(params.limit, 1), 200)
    results = procedure_search(query=params.q[:200], field_code=params.field, limit=limit)
    return [_summary(p) for p in results]


class FieldChangeOut(Schema):
    field: str
    before: str
    after: str


class ProcedureChangeOut(Schema):
    code: str
    name: str
    changes: list[FieldChangeOut]


class ImportOut(Schema):
    id: uuid.UUID
    status: str
    source: str
    actor: str
    filename: str
    file_sha256: str
    previewed_at: str
    applied_at: str | None
    added_count: int
    changed_count: int
    unchanged_count: int
    missing_count: int


class ImportPreviewOut(ImportOut):
    stale: bool
    added: list[ProcedureChangeOut]
    changed: list[ProcedureChangeOut]
    unchanged: list[str]
    missing: list[str]


class AppliedImportOut(ImportOut):
    changes: list[ProcedureChangeOut]


def _import(imp: CatalogueImport) -> dict[str, object]:
    return {
        "id": imp.pk,
        "status": imp.status,
        "source": imp.source,
        "actor": imp.actor_label,
        "filename": imp.filename,
        "file_sha256": imp.file_sha256,
        "previewed_at": imp.previewed_at.isoformat(),
        "applied_at": imp.applied_at.isoformat() if imp.applied_at else None,
        "added_count": imp.added_count,
        "changed_count": imp.changed_count,
        "unchanged_count": imp.unchanged_count,
        "missing_count": imp.missing_count,
    }


def _entry(entry: ProcedureDiff) -> dict[str, object]:
    return {"code": entry.code, "name": entry.name, "changes": [c.to_json() for c in entry.changes]}


def _preview(imp: CatalogueImport, diff: CatalogueDiff, *, stale: bool) -> dict[str, object]:
    return {
        **_import(imp),
        "stale": stale,
        "added": [_entry(e) for e in diff.added],
        "changed": [_entry(e) for e in diff.changed],
        "unchanged": [e.code for e in diff.unchanged],
        "missing": [e.code for e in diff.missing],
    }


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # the token auth let only an active staff account through
    return user


@router.get(
    "/imports", response={200: list[AppliedImportOut], 403: ErrorOut}, summary="Lịch sử nhập danh mục"
)
def list_imports(request: HttpRequest) -> list[dict[str, object]]:
    """Applied imports, newest first: who, when, which procedures changed, before → after."""
    return [
        {
            **_import(imp),
            "changes": [
                {"code": c.procedure_code, "name": c.procedure_name, "changes": c.fields}
                for c in imp.changes.all()
            ],
        }
        for imp in catalogue_import_list(user=request.user)
    ]


@router.post(
    "/imports",
    response={201: ImportPreviewOut, 403: ErrorOut, 422: ErrorOut},
    summary="Tải lên tệp Excel danh mục để xem trước",
)
def upload_import(request: HttpRequest, file: File[UploadedFile]) -> Status:
    """Validates every row (one bad row refuses the file, every bad row named) and returns what
    applying it would change. Nothing is written to the catalogue."""
    if file.size is not None and file.size > MAX_IMPORT_BYTES:
        raise ValidationFailed(f"Tệp quá lớn: tối đa {MAX_IMPORT_BYTES // (1024 * 1024)} MB.")
    pending, diff = catalog_import_preview(
        actor=_actor(request),
        file=file,
        filename=file.name or "",
        source=CatalogueImport.Source.API,
        now=clock.now(),
    )
    return Status(201, _preview(pending, diff, stale=False))


@router.get(
    "/imports/{import_id}",
    response={200: ImportPreviewOut, 403: ErrorOut, 404: ErrorOut},
    summary="Xem trước một lần nhập danh mục",
)
def get_import(request: HttpRequest, import_id: uuid.UUID) -> dict[str, object]:
    preview = catalogue_import_preview_get(user=request.user, import_id=import_id)
    return _preview(preview.catalogue_import, preview.diff, stale=preview.stale)


@router.post(
    "/imports/{import_id}/apply",
    response={200: ImportOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Áp dụng đúng tệp đã xem trước",
)
def apply_import(request: HttpRequest, import_id: uuid.UUID) -> dict[str, object]:
    """Refused (409 `stale_preview`) when the catalogue changed since the preview."""
    applied = catalog_import_apply(actor=_actor(request), import_id=import_id, now=clock.now())
    return _import(applied)


@router.get(
    "/{code}", response={200: ProcedureDetailOut, 404: ErrorOut}, auth=None, summary="Chi tiết thủ tục"
)
def get_procedure(request: HttpRequest, code: str) -> dict[str, object]:
    p = procedure_get(code=code)
    return {
        **_summary(p),
        "responsible_kind": p.responsible_kind,
        "responsible_unit": p.get_responsible_kind_display(),
        "time_unit": p.time_unit,
        "time_value": p.time_value,
        "time_value_difficult": p.time_value_difficult,
        "fee_note": p.fee_note,
        "online_level_label": p.get_online_level_display(),
        "legal_basis": p.legal_basis,
        "result_name": p.result_name,
        "checklist": [
            {
                "position": c.position,
                "name": c.name,
                "form": c.form,
                "form_label": c.get_form_display(),
                "quantity": c.quantity,
                "required": c.required,
            }
            for c in p.checklist.all()
        ],
        "form_fields": [
            {
                "key": f.key,
                "label": f.label,
                "kind": f.kind,
                "required": f.required,
                "choices": [c.strip() for c in f.choices.split("|") if c.strip()],
            }
            for f in p.form_fields.all()
        ],
    }
