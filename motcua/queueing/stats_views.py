"""The leader's queue statistics page (issue 8 §8): `/lay-so/thong-ke/` (queueing:stats).

`?xa=<commune code>` (a province officer picks a commune of the province; anyone else reads
their own), `?ngay=YYYY-MM-DD` (default today), `?xuat=xlsx` for the workbook."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from motcua.core import clock
from motcua.core.errors import NotAllowed, ValidationFailed
from motcua.org.models import Role, User

from .services import local_day
from .stats import day_stats, day_stats_xlsx, parse_day, stats_commune, stats_communes_for

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
@require_GET
def stats(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not isinstance(user, User) or user.role == Role.RESIDENT:
        raise NotAllowed("Trang này dành cho cán bộ.")
    commune = stats_commune(user=user, code=request.GET.get("xa", ""))
    communes = stats_communes_for(user) if user.has_role(Role.PROVINCE_OFFICER) else None
    today = local_day(clock.now())
    context: dict[str, object] = {"commune": commune, "communes": communes, "today": today}
    try:
        day = parse_day(request.GET.get("ngay", ""), today=today)
    except ValidationFailed as exc:
        context.update(error=exc.message, day=today)
        return render(request, "queueing/stats.html", context, status=422)
    data = day_stats(commune=commune, day=day)
    if request.GET.get("xuat", "") == "xlsx":
        response = HttpResponse(day_stats_xlsx(data), content_type=XLSX_TYPE)
        response["Content-Disposition"] = (
            f'attachment; filename="thong-ke-xep-hang-{commune.pk}-{day:%Y%m%d}.xlsx"'
        )
        return response
    context.update(s=data, day=day, bars=data.bars())
    return render(request, "queueing/stats.html", context)
