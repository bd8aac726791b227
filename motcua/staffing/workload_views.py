"""Workload screens (issue 11 §3): the whole page (leader, department heads), the officer's own
row, the workbook. Thin: parse, call the selectors, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from motcua.core import clock
from motcua.core.errors import ValidationFailed
from motcua.core.text import clean_text
from motcua.org.models import User
from motcua.quality.charts import Bar, HRow, bar_chart, hbar_chart
from motcua.quality.officers import officer_self

from . import workload as W
from .plan import local_date

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _params(request: HttpRequest) -> tuple[str, str, str, str]:
    g = request.GET
    return (
        g.get("tu", "")[:40], g.get("den", "")[:40],
        clean_text(g.get("theo", "ngay"))[:10], clean_text(g.get("phong", ""))[:12],
    )  # fmt: skip


def _compute(request: HttpRequest, *, mine: bool, reset: bool = False) -> tuple[User, W.Workload, list, str]:
    now = clock.now()
    raw_from, raw_to, grain, dept = _params(request)
    if reset:
        raw_from = raw_to = ""
    if mine:
        user = officer_self(request.user)
        people = [user]
        departments: list = []
    else:
        people = W.people_for(request.user)
        user = request.user  # type: ignore[assignment]
        departments = W.departments_of(people)
        people = W.department_filter(people, dept)
    start, end = W.workload_period(raw_from, raw_to, today=local_date(now))
    assert user.commune is not None
    workload = W.workload_compute(
        commune=user.commune,
        people=people,
        start=start,
        end=end,
        grain=grain,
        now=now,
        with_departments=not mine,
    )
    return user, workload, departments, dept


def _page(request: HttpRequest, *, mine: bool) -> HttpResponse:
    error = ""
    try:
        _, workload, departments, dept = _compute(request, mine=mine)
    except ValidationFailed as exc:
        error = exc.message
        _, workload, departments, dept = _compute(request, mine=mine, reset=True)
    people_chart = hbar_chart(
        chart_id="workload-people",
        title="Lượt phục vụ tại quầy và giờ ngồi quầy theo lịch",
        series=["Lượt phục vụ", "Giờ ngồi quầy"],
        rows=[
            HRow(p.officer.display_name, (
                Bar("Lượt phục vụ", p.numbers.tickets_served, str(p.numbers.tickets_served)),
                Bar("Giờ ngồi quầy", p.planned_hours, f"{p.planned_hours:.1f}".replace(".", ",")),
            ))
            for p in workload.people[:40]
        ],
    )  # fmt: skip
    bucket_chart = bar_chart(
        chart_id="workload-buckets",
        title=f"Lượt phục vụ tại quầy — {W.GRAINS[workload.grain].lower()}",
        bars=[Bar(b.label, b.tickets_served, str(b.tickets_served)) for b in workload.buckets],
    )
    context = {
        "workload": workload,
        "mine": mine,
        "error": error,
        "grains": W.GRAINS.items(),
        "departments": departments,
        "dept": dept,
        "people_rows": [W.person_cells(p) for p in workload.people],
        "department_rows": [W.department_cells(d) for d in workload.departments],
        "bucket_rows": [W.bucket_cells(b) for b in workload.buckets],
        "people_header": W.PEOPLE_HEADER,
        "department_header": W.DEPARTMENT_HEADER,
        "bucket_header": W.BUCKET_HEADER,
        "people_chart": people_chart,
        "bucket_chart": bucket_chart,
        "query": request.GET.urlencode(),
    }
    return render(request, "staffing/workload/page.html", context, status=422 if error else 200)


@login_required
@require_GET
def page_view(request: HttpRequest) -> HttpResponse:
    return _page(request, mine=False)


@login_required
@require_GET
def mine_view(request: HttpRequest) -> HttpResponse:
    return _page(request, mine=True)


@login_required
@require_GET
def export_view(request: HttpRequest) -> HttpResponse:
    mine = request.GET.get("cua-toi") == "1"
    user, workload, _, _ = _compute(request, mine=mine)
    assert user.commune is not None
    data = W.workload_xlsx(commune=user.commune, workload=workload)
    response = HttpResponse(data, content_type=XLSX)
    name = f"khoi-luong-cong-viec-{workload.start:%Y%m%d}-{workload.end:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
