"""The quality dashboards (issue 10 §3): thin views over `dashboard.py` and `province.py`.

`/chat-luong/` (quality:dashboard) the commune leader's (a department head: their department's),
`chi-so/<code>/` the drill-down of one 766 indicator, `xuat-excel/` and `chi-so/<code>/xuat-excel/`
their workbooks; `tinh/` the province's ranking, `tinh/<commune>/` and `tinh/<commune>/chi-so/<code>/`
a commune of the province read-only (each with its `xuat-excel/`), `tinh/xuat-excel/` the
ranking's workbook. Every page takes
`?ky=` (thang-nay, thang-truoc, quy-nay, nam-nay) or `?tu=`/`?den=` (YYYY-MM-DD).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from motcua.core import clock
from motcua.core.errors import NotAllowed, ValidationFailed
from motcua.org.models import Role, User

from . import charts, exports
from .dashboard import (
    DRILL_PAGE,
    PRESETS,
    Dashboard,
    Period,
    dashboard_for,
    dashboard_scope_for,
    dashboard_xlsx,
    drill_rows,
    indicator_for,
    minutes,
    parse_period,
    preset_period,
)
from .province import SORTS, parse_sort, province_for, province_view_for, province_xlsx

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or user.role == Role.RESIDENT:
        raise NotAllowed("Trang này dành cho cán bộ.")
    return user


def _period(request: HttpRequest) -> Period:
    today = timezone.localtime(clock.now()).date()
    return parse_period(
        start=request.GET.get("tu", ""),
        end=request.GET.get("den", ""),
        preset=request.GET.get("ky", ""),
        today=today,
    )


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} %".replace(".", ",")


def _charts(d: Dashboard) -> dict[str, Any]:
    out: dict[str, Any] = {
        "trend": charts.line_chart(
            chart_id="xu-huong",
            title=f"Điểm chỉ số 766 theo tháng (tối đa đo được {d.index.measurable_maximum:g})",
            points=[charts.Bar(t.label, t.total, f"{t.total:.2f}".replace(".", ",")) for t in d.trend],
            maximum=d.index.measurable_maximum,
        ),
        "backlog": charts.hbar_chart(
            chart_id="ton-dong",
            title="Hồ sơ đang giải quyết và quá hạn theo phòng",
            series=["Đang giải quyết", "Quá hạn"],
            rows=[
                charts.HRow(
                    r.name,
                    (
                        charts.Bar(r.name, r.total, str(r.total)),
                        charts.Bar(r.name, r.overdue, str(r.overdue)),
                    ),
                )
                for r in d.backlog
            ],
        ),
        "ratings": charts.bar_chart(
            chart_id="danh-gia",
            title="Phân bố mức hài lòng chung",
            bars=[charts.Bar(label, n, str(n)) for _, label, n in d.ratings.distribution],
        ),
    }
    if d.queue:
        out["queue"] = charts.hbar_chart(
            chart_id="xep-hang",
            title="Thời gian chờ theo nhóm (phút)",
            series=["Chờ trung bình", "Chờ P80"],
            rows=[
                charts.HRow(f"{g.letter} — {g.name}", (
                    charts.Bar(g.name, (g.wait_mean or 0) / 60, minutes(g.wait_mean) or "—"),
                    charts.Bar(g.name, (g.wait_p80 or 0) / 60, minutes(g.wait_p80) or "—"),
                ))
                for g in d.queue
                if g.issued
            ],
        )  # fmt: skip
    return out


def _presets(today_period: dict[str, Period]) -> list[tuple[str, str, Period]]:
    return [(key, label, today_period[key]) for key, label in PRESETS.items()]


def _base_context(request: HttpRequest, period: Period | None) -> dict[str, Any]:
    today = timezone.localtime(clock.now()).date()
    return {
        "period": period,
        "presets": _presets({k: preset_period(k, today=today) for k in PRESETS}),
        "today": today,
    }


def _period_or_422(
    request: HttpRequest, user: User, commune_code: int | None, template: str
) -> Period | HttpResponse:
    """The period asked for, or the page itself with the Vietnamese message and 422 (after the
    403/404 of the commune, so a bad period never tells an outsider more than a good one)."""
    try:
        return _period(request)
    except ValidationFailed as exc:
        access = dashboard_scope_for(user=user, commune_code=commune_code)
        context = _base_context(request, None) | {"error": exc.message, "access": access}
        return render(request, template, context, status=422)


def _dashboard(request: HttpRequest, commune_code: int | None) -> HttpResponse:
    user = _user(request)
    period = _period_or_422(request, user, commune_code, "quality/dashboard.html")
    if isinstance(period, HttpResponse):
        return period
    d = dashboard_for(user=user, period=period, now=clock.now(), commune_code=commune_code)
    context = _base_context(request, period) | {
        "d": d,
        "access": d.access,
        "charts": _charts(d),
        "ratio_pct": {i.code: _pct(100 * i.ratio) for i in d.index.indicators if i.ratio is not None},
        "pct": {"on_time": _pct(d.on_time.percent), "feedback": _pct(d.feedback_on_time.percent),
                "satisfied": _pct(d.ratings.satisfied_percent)},
    }  # fmt: skip
    return render(request, "quality/dashboard.html", context)


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    return _dashboard(request, None)


@login_required
@require_GET
def province_commune(request: HttpRequest, commune: int) -> HttpResponse:
    return _dashboard(request, commune)


def _indicator(request: HttpRequest, code: str, commune_code: int | None) -> HttpResponse:
    user = _user(request)
    period = _period_or_422(request, user, commune_code, "quality/indicator.html")
    if isinstance(period, HttpResponse):
        return period
    drill = indicator_for(user=user, code=code, period=period, commune_code=commune_code)
    page = Paginator(drill.ids, DRILL_PAGE).get_page(request.GET.get("trang"))
    context = _base_context(request, period) | {
        "drill": drill,
        "access": drill.access,
        "i": drill.indicator,
        "page": page,
        "rows": drill_rows(drill, page.object_list),
        "export_max_rows": exports.EXPORT_MAX_ROWS,
    }
    return render(request, "quality/indicator.html", context)


@login_required
@require_GET
def indicator(request: HttpRequest, code: str) -> HttpResponse:
    return _indicator(request, code, None)


@login_required
@require_GET
def province_indicator(request: HttpRequest, commune: int, code: str) -> HttpResponse:
    return _indicator(request, code, commune)


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _export(request: HttpRequest, commune_code: int | None) -> HttpResponse:
    user = _user(request)
    dashboard_scope_for(user=user, commune_code=commune_code)  # 403/404 before a bad period's 422
    period = _period_or_422(request, user, commune_code, "quality/dashboard.html")
    if isinstance(period, HttpResponse):
        return period
    d = dashboard_for(user=user, period=period, now=clock.now(), commune_code=commune_code)
    return _xlsx(
        dashboard_xlsx(d), f"chat-luong-{d.commune.pk}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx"
    )


@login_required
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    return _export(request, None)


@login_required
@require_GET
def province_commune_export(request: HttpRequest, commune: int) -> HttpResponse:
    return _export(request, commune)


def _indicator_export(request: HttpRequest, code: str, commune_code: int | None) -> HttpResponse:
    user = _user(request)
    period = _period_or_422(request, user, commune_code, "quality/indicator.html")
    if isinstance(period, HttpResponse):
        return period
    drill = indicator_for(user=user, code=code, period=period, commune_code=commune_code)
    name = f"chi-so-{drill.indicator.code}-{drill.access.commune.pk}"
    if drill.access.department is not None:
        name += f"-phong-{drill.access.department.pk}"
    return _xlsx(exports.indicator_xlsx(drill), f"{name}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx")


@login_required
@require_GET
def indicator_export(request: HttpRequest, code: str) -> HttpResponse:
    return _indicator_export(request, code, None)


@login_required
@require_GET
def province_indicator_export(request: HttpRequest, commune: int, code: str) -> HttpResponse:
    return _indicator_export(request, code, commune)


def _province_request(request: HttpRequest) -> tuple[User, Period, str]:
    user = _user(request)
    province_for(user)  # 403 before a bad parameter's 422
    return user, _period(request), parse_sort(request.GET.get("sap", ""))


@login_required
@require_GET
def province(request: HttpRequest) -> HttpResponse:
    try:
        user, period, sort = _province_request(request)
    except ValidationFailed as exc:
        context = _base_context(request, None) | {
            "error": exc.message,
            "province": province_for(_user(request)),
        }
        return render(request, "quality/province.html", context, status=422)
    view = province_view_for(user=user, period=period, now=clock.now(), sort=sort)
    columns = [
        ("ten", "Xã/phường"), ("dung-han", "Đúng hạn"), ("qua-han", "Quá hạn hiện nay"),
        ("cho", "Chờ trung bình (phút)"), ("phan-anh", "Phản ánh đúng hạn"), ("hai-long", "Hài lòng"),
        ("diem", "Điểm 766"),
    ]  # fmt: skip
    context = _base_context(request, period) | {
        "v": view,
        "province": view.province,
        "columns": [(key, label, _sort_link(key, sort)) for key, label in columns],
        "sort_keys": list(SORTS),
    }
    return render(request, "quality/province.html", context)


def _sort_link(key: str, current: str) -> str:
    """Clicking a column sorts by it; clicking the column already sorted reverses it. Rates and
    the score start with the worst (lowest) first, counts and waits with the highest first."""
    first_desc = key in {"qua-han", "cho"}
    if current.removeprefix("-") == key:
        return key if current.startswith("-") else f"-{key}"
    return f"-{key}" if first_desc else key


@login_required
@require_GET
def province_export(request: HttpRequest) -> HttpResponse:
    try:
        user, period, sort = _province_request(request)
    except ValidationFailed as exc:
        context = _base_context(request, None) | {
            "error": exc.message,
            "province": province_for(_user(request)),
        }
        return render(request, "quality/province.html", context, status=422)
    view = province_view_for(user=user, period=period, now=clock.now(), sort=sort)
    return _xlsx(
        province_xlsx(view),
        f"chat-luong-tinh-{view.province.pk}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx",
    )
