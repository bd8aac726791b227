"""The officer's own page and the officers a leader leads (issue 10 §4), under `/chat-luong/can-bo/`.

- `""` (quality_officers:me): the acting officer's own numbers;
- `danh-sach/` (list): the officers the acting user leads, sortable (`?sx=`), and its workbook
  `danh-sach/xuat-excel/` (list_export);
- `<pk>/` (officer): one officer's numbers — the officer, their department head or their commune's
  leader; anybody else gets 404; its workbook `<pk>/xuat-excel/` (export).

Every page takes the period as `?tu=` / `?den=` (default: this month up to today, ≤ 400 days).
Thin: parse, call `officers`, render."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from motcua.core import clock
from motcua.core.errors import ValidationFailed
from motcua.org.models import Role, User

from .officers import (
    COLUMNS,
    NOT_APPLICABLE,
    list_xlsx,
    officer_get_for,
    officer_page,
    officer_self,
    officer_xlsx,
    officers_led_by,
    officers_numbers,
    parse_period,
    sort_numbers,
)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _period(request: HttpRequest) -> tuple[dt.date, dt.date, dt.date]:
    today = timezone.localdate(clock.now())
    start, end = parse_period(request.GET.get("tu"), request.GET.get("den"), today=today)
    return start, end, today


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _officer(request: HttpRequest, target: User, *, own: bool, export: bool = False) -> HttpResponse:
    context: dict[str, object] = {"target": target, "own": own, "not_applicable": NOT_APPLICABLE}
    try:
        start, end, _today = _period(request)
    except ValidationFailed as exc:
        if export:
            raise
        context.update(
            error=exc.message, tu=request.GET.get("tu", "")[:20], den=request.GET.get("den", "")[:20]
        )
        return render(request, "quality/officer.html", context, status=422)
    page = officer_page(officer=target, start=start, end=end, now=clock.now())
    if export:
        return _xlsx(officer_xlsx(page), f"ket-qua-can-bo-{target.pk}-{start:%Y%m%d}-{end:%Y%m%d}.xlsx")
    context.update(
        p=page, n=page.numbers, start=start, end=end, tu=f"{start:%Y-%m-%d}", den=f"{end:%Y-%m-%d}"
    )
    return render(request, "quality/officer.html", context)


@login_required
@require_GET
def me(request: HttpRequest) -> HttpResponse:
    user = officer_self(request.user)
    return _officer(request, user, own=True)


@login_required
@require_GET
def officer(request: HttpRequest, pk: int) -> HttpResponse:
    target = officer_get_for(user=request.user, pk=pk)
    return _officer(request, target, own=target.pk == request.user.pk)


@login_required
@require_GET
def export(request: HttpRequest, pk: int) -> HttpResponse:
    target = officer_get_for(user=request.user, pk=pk)
    return _officer(request, target, own=target.pk == request.user.pk, export=True)


def _list(request: HttpRequest, *, export: bool) -> HttpResponse:
    staff = list(officers_led_by(request.user))
    user = request.user
    assert isinstance(user, User) and user.commune is not None
    commune = user.commune
    context: dict[str, object] = {
        "commune": commune, "leader": user.has_role(Role.COMMUNE_LEADER), "columns": COLUMNS, "rows": None,
    }  # fmt: skip
    try:
        start, end, _today = _period(request)
    except ValidationFailed as exc:
        if export:
            raise
        context.update(
            error=exc.message, tu=request.GET.get("tu", "")[:20], den=request.GET.get("den", "")[:20]
        )
        return render(request, "quality/officer_list.html", context, status=422)
    rows = officers_numbers(commune=commune, officers=staff, start=start, end=end, now=clock.now())
    rows, sort = sort_numbers(rows, request.GET.get("sx", ""))
    if export:
        return _xlsx(list_xlsx(commune=commune, rows=rows, start=start, end=end),
                     f"ket-qua-can-bo-{commune.pk}-{start:%Y%m%d}-{end:%Y%m%d}.xlsx")  # fmt: skip
    context.update(rows=rows, sort=sort, start=start, end=end, tu=f"{start:%Y-%m-%d}", den=f"{end:%Y-%m-%d}")
    return render(request, "quality/officer_list.html", context)


@login_required
@require_GET
def officer_list(request: HttpRequest) -> HttpResponse:
    return _list(request, export=False)


@login_required
@require_GET
def list_export(request: HttpRequest) -> HttpResponse:
    return _list(request, export=True)
