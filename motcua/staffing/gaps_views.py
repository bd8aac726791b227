"""Skill gaps and training needs (issue 11 §6): thin views over `gaps.py`.

`/nhan-su/ky-nang/` the commune's fields, training needs and job positions (leader, department
heads, the administrator), `xuat-excel/` its workbook; `tinh/` the province's communes ranked by
their gaps (province officers), `tinh/xuat-excel/` its workbook, `tinh/<commune>/` one commune of
the province read-only. Every page takes `?ky=` (90-ngay, thang-nay, thang-truoc, quy-nay,
nam-nay) or `?tu=`/`?den=` (YYYY-MM-DD); nothing: the last 90 days.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from motcua.core import clock
from motcua.core.errors import NotAllowed, ValidationFailed
from motcua.org.models import Role, User
from motcua.quality import charts
from motcua.quality.dashboard import PRESETS, Period, preset_period

from . import gaps

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMNS = [
    ("ten", "Xã/phường"),
    ("thieu", "Lĩnh vực không ai làm được"),
    ("tai", "Hồ sơ/người/tháng cao nhất"),
    ("qua-han", "Quá hạn"),
    ("dao-tao", "Cần đào tạo"),
    ("dinh-bien", "Thiếu so với vị trí việc làm"),
]
CHART_ROWS = 15


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or user.has_role(Role.RESIDENT):
        raise NotAllowed("Trang này dành cho cán bộ.")
    return user


def _today() -> dt.date:
    return timezone.localtime(clock.now()).date()


def _period(request: HttpRequest) -> Period:
    return gaps.gaps_period(
        start=request.GET.get("tu", ""),
        end=request.GET.get("den", ""),
        preset=request.GET.get("ky", ""),
        today=_today(),
    )


def _base(period: Period | None) -> dict[str, Any]:
    today = _today()
    presets = [(gaps.DEFAULT_PRESET, "90 ngày gần nhất", gaps.default_period(today))]
    presets += [(key, label, preset_period(key, today=today)) for key, label in PRESETS.items()]
    return {
        "period": period,
        "presets": presets,
        "rule": {
            "target": gaps.TARGET_PER_MONTH,
            "min_skilled": gaps.MIN_SKILLED,
            "overdue": int(gaps.OVERDUE_LIMIT),
        },
    }


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _commune_chart(g: gaps.CommuneGaps) -> Any:
    rows = [f for f in g.fields if f.demand][:CHART_ROWS]
    return charts.hbar_chart(
        chart_id="ky-nang",
        title="Người làm được và người cần có theo lĩnh vực",
        series=["Người làm được", "Cần có theo quy tắc"],
        rows=[
            charts.HRow(
                f.name,
                (charts.Bar(f.name, f.skilled, str(f.skilled)), charts.Bar(f.name, f.wanted, str(f.wanted))),
            )
            for f in rows
        ],
    )


def _render_commune(request: HttpRequest, g: gaps.CommuneGaps) -> HttpResponse:
    context = _base(g.period) | {"g": g, "commune": g.commune, "chart": _commune_chart(g)}
    return render(request, "staffing/gaps/commune.html", context)


@login_required
@require_GET
def commune(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    place = gaps.commune_for(user)  # 403 before a bad period's 422
    try:
        period = _period(request)
    except ValidationFailed as exc:
        return render(
            request,
            "staffing/gaps/commune.html",
            _base(None) | {"error": exc.message, "commune": place},
            status=422,
        )
    return _render_commune(request, gaps.commune_gaps_for(user=user, period=period, now=clock.now()))


@login_required
@require_GET
def commune_export(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    place = gaps.commune_for(user)
    try:
        period = _period(request)
    except ValidationFailed as exc:
        return render(
            request,
            "staffing/gaps/commune.html",
            _base(None) | {"error": exc.message, "commune": place},
            status=422,
        )
    g = gaps.commune_gaps_for(user=user, period=period, now=clock.now())
    return _xlsx(
        gaps.commune_xlsx(g), f"ky-nang-{g.commune.pk}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx"
    )


@login_required
@require_GET
def province_commune(request: HttpRequest, commune: int) -> HttpResponse:
    user = _user(request)
    place = gaps.province_commune_for(user=user, commune_code=commune)  # 403/404 before 422
    try:
        period = _period(request)
    except ValidationFailed as exc:
        context = _base(None) | {"error": exc.message, "commune": place, "from_province": True}
        return render(request, "staffing/gaps/commune.html", context, status=422)
    return _render_commune(
        request,
        gaps.province_commune_gaps_for(user=user, commune_code=commune, period=period, now=clock.now()),
    )


def _sort_link(key: str, current: str) -> str:
    """Clicking a column sorts by it, the worst first (name: A→Z); clicking it again reverses."""
    if current.removeprefix("-") == key:
        return key if current.startswith("-") else f"-{key}"
    return key if key == "ten" else f"-{key}"


def _province_request(request: HttpRequest) -> tuple[User, Period, str]:
    user = _user(request)
    gaps.province_for(user)  # 403 before a bad parameter's 422
    return user, _period(request), gaps.parse_sort(request.GET.get("sap", ""))


def _province_error(request: HttpRequest, exc: ValidationFailed) -> HttpResponse:
    context = _base(None) | {"error": exc.message, "province": gaps.province_for(_user(request))}
    return render(request, "staffing/gaps/province.html", context, status=422)


def _province_chart(v: gaps.ProvinceGaps) -> Any:
    worst = sorted(v.rows, key=lambda r: r.rank)[:CHART_ROWS]
    return charts.hbar_chart(
        chart_id="tinh-ky-nang",
        title=f"{len(worst)} xã, phường khó khăn nhất: lĩnh vực không ai làm được và người cần đào tạo",
        series=["Lĩnh vực không ai làm được", "Cần đào tạo (người)"],
        rows=[
            charts.HRow(
                r.commune.name,
                (
                    charts.Bar(r.commune.name, r.gaps, str(r.gaps)),
                    charts.Bar(r.commune.name, r.need, str(r.need)),
                ),
            )
            for r in worst
        ],
    )


@login_required
@require_GET
def province(request: HttpRequest) -> HttpResponse:
    try:
        user, period, sort = _province_request(request)
    except ValidationFailed as exc:
        return _province_error(request, exc)
    v = gaps.province_gaps_for(user=user, period=period, now=clock.now(), sort=sort)
    context = _base(period) | {
        "v": v,
        "province": v.province,
        "sort": sort,
        "columns": [(key, label, _sort_link(key, sort)) for key, label in COLUMNS],
        "chart": _province_chart(v),
    }
    return render(request, "staffing/gaps/province.html", context)


@login_required
@require_GET
def province_export(request: HttpRequest) -> HttpResponse:
    try:
        user, period, sort = _province_request(request)
    except ValidationFailed as exc:
        return _province_error(request, exc)
    v = gaps.province_gaps_for(user=user, period=period, now=clock.now(), sort=sort)
    return _xlsx(
        gaps.province_xlsx(v), f"ky-nang-tinh-{v.province.pk}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx"
    )
