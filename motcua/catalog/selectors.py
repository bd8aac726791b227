"""Reads of the procedure catalogue. The catalogue is national public information: no tenant
filter applies, but inactive procedures are hidden unless asked for."""

import time

from django.db.models import Count, Q, QuerySet
from django.db.models.signals import post_delete, post_save

from motcua.catalog.models import ChecklistItem, FormField, Procedure, ProcedureField
from motcua.core.errors import NotFound
from motcua.core.text import clean_text, fold


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
