"""Reads of the procedure catalogue. The catalogue is national public information: no tenant
filter applies, but inactive procedures are hidden unless asked for.

It is also shared by every commune of the installation, so changing it is for installation
administrators only: `can_manage_catalogue` is the one rule, used by the views, the API and the
services.
"""

import time
import uuid
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Q, QuerySet
from django.db.models.signals import post_delete, post_save

from motcua.catalog.diff import CatalogueDiff, catalogue_diff, catalogue_snapshots, fingerprint
from motcua.catalog.models import (
    CatalogueImport,
    ChecklistItem,
    FormField,
    Procedure,
    ProcedureField,
)
from motcua.catalog.rows import ProcedureRow
from motcua.core.errors import NotAllowed, NotFound
from motcua.core.text import clean_text, fold

CATALOGUE_MANAGERS_ONLY = (
    "Danh mục thủ tục dùng chung cho mọi xã, phường của hệ thống: chỉ quản trị viên hệ thống "
    "được nhập, sửa hoặc xuất danh mục."
)


def can_manage_catalogue(user: object) -> bool:
    """An installation administrator: a superuser (made with `motcua createsuperuser` or
    `motcua setup-commune`). A commune's ADMIN or leader is not one: the catalogue they would
    change is every commune's."""
    if user is None or isinstance(user, AnonymousUser):
        return False
    return bool(getattr(user, "is_active", False) and getattr(user, "is_superuser", False))


def _require_manager(user: object) -> None:
    if not can_manage_catalogue(user):
        raise NotAllowed(CATALOGUE_MANAGERS_ONLY)


def catalogue_import_list(*, user: object, limit: int = 100) -> QuerySet[CatalogueImport]:
    """Applied imports, newest first, with their per-procedure changes."""
    _require_manager(user)
    return (
        CatalogueImport.objects.filter(status=CatalogueImport.Status.APPLIED)
        .defer("rows")  # the whole parsed workbook: not needed to list what changed
        .prefetch_related("changes")
        .order_by("-applied_at")[:limit]
    )


def catalogue_import_get(*, user: object, import_id: uuid.UUID | str) -> CatalogueImport:
    _require_manager(user)
    try:
        return CatalogueImport.objects.prefetch_related("changes").get(pk=import_id)
    except (CatalogueImport.DoesNotExist, ValueError, DjangoValidationError) as exc:
        raise NotFound("Không tìm thấy lần nhập danh mục này.") from exc


@dataclass(frozen=True)
class ImportPreview:
    catalogue_import: CatalogueImport
    diff: CatalogueDiff
    # The catalogue changed since the upload: "Áp dụng" would be refused.
    stale: bool


def catalogue_import_preview_get(*, user: object, import_id: uuid.UUID | str) -> ImportPreview:
    """A pending import and what it would change now."""
    pending = catalogue_import_get(user=user, import_id=import_id)
    current = catalogue_snapshots()
    rows = [ProcedureRow.from_json(r) for r in pending.rows]
    return ImportPreview(
        catalogue_import=pending,
        diff=catalogue_diff(rows, current),
        stale=fingerprint(current) != pending.base_fingerprint,
    )


def procedure_search(
    *, query: str, field_code: str | None = None, limit: int | None = 50, include_inactive: bool = False
) -> QuerySet[Procedure]:
    """Diacritic- and case-insensitive search on the name, or a match on the code.

    Every word of the query must appear in the name, in any order: "khai sinh dang ky" finds
    "Thủ tục đăng ký khai sinh". An empty query lists everything (grouped by field order).
    """
    qs = Procedure.objects.select_related("field").order_by("field__name", "name")
    if not include_inactive:
        qs = qs.filter(is_active=True)
    if field_code:
        qs = qs.filter(field__code=clean_text(field_code))
    text = clean_text(query).strip()
    if text:
        by_name = Q()
        for word in fold(text).split():
            by_name &= Q(name_folded__contains=word)
        qs = qs.filter(by_name | Q(code__icontains=text))
    return qs[:limit] if limit is not None else qs


def procedure_get(*, code: str, include_inactive: bool = False) -> Procedure:
    """One procedure with its checklist and form fields; NotFound if unknown (or inactive)."""
    qs = Procedure.objects.select_related("field").prefetch_related("checklist", "form_fields")
    if not include_inactive:
        qs = qs.filter(is_active=True)
    procedure = qs.filter(code=clean_text(code).strip()).first()
    if procedure is None:
        raise NotFound(f"Không tìm thấy thủ tục có mã '{code}'.")
    return procedure


def procedure_field_list() -> QuerySet[ProcedureField]:
    """The fields that have at least one active procedure, with how many."""
    return (
        ProcedureField.objects.annotate(
            active_count=Count("procedures", filter=Q(procedures__is_active=True))
        )
        .filter(active_count__gt=0)
        .order_by("name")
    )


# Receipts read their procedure (with checklist and form fields: 3 queries) on every request;
# the catalogue changes a few times a month. Kept per process for a minute, dropped at once by
# a change made in the same process.
_INTAKE_TTL_S = 60.0
_intake_cache: dict[str, tuple[float, Procedure]] = {}


def _forget_procedures(**_kwargs: object) -> None:
    _intake_cache.clear()


for _model in (Procedure, ChecklistItem, FormField, ProcedureField):
    post_save.connect(_forget_procedures, sender=_model, dispatch_uid=f"intake_cache_save_{_model.__name__}")
    post_delete.connect(
        _forget_procedures, sender=_model, dispatch_uid=f"intake_cache_delete_{_model.__name__}"
    )


def procedure_for_intake(*, code: str) -> Procedure:
    """procedure_get for the receipt path, cached (read-only use: never modify the result)."""
    hit = _intake_cache.get(code)
    if hit is not None and time.monotonic() - hit[0] < _INTAKE_TTL_S:
        return hit[1]
    procedure = procedure_get(code=code)
    _intake_cache[code] = (time.monotonic(), procedure)
    return procedure
