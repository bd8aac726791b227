"""The leader's view of feedback and the province's inbox (issue 9 §7, §2).

- `/phan-anh/tong-hop/` (feedback_leader:overview): `?xa=<commune code>` (a province officer picks
  a commune of the province; a leader or administrator reads their own), `?tu=`/`?den=` (dates,
  the 90 days up to today by default), `?xuat=xlsx` for the workbook.
- `/phan-anh/tong-hop/tinh/` (feedback_leader:province_inbox): a province officer's escalated items.
- `/phan-anh/tong-hop/tinh/<pk>/` (feedback_leader:province_item): one of them, and its answer.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from motcua.core import clock
from motcua.core.errors import Conflict, NotAllowed, ValidationFailed
from motcua.core.text import mask_digits
from motcua.org.models import Role, User

from .models import State
from .province import province_answer
from .stats import (
    LOCAL_TZ,
    bars,
    feedback_stats,
    feedback_stats_xlsx,
    leader_commune,
    leader_communes_for,
    parse_period,
    province_inbox,
    province_item,
)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BAR_ROW = 22


def _staff(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or user.role == Role.RESIDENT:
        raise NotAllowed("Trang này dành cho cán bộ.")
    return user


def _state_label(value: str) -> str:
    return State(value).label if value in State.values else value


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    commune = leader_commune(user=user, code=request.GET.get("xa", ""))
    communes = leader_communes_for(user) if user.has_role(Role.PROVINCE_OFFICER) else None
    now = clock.now()
    today = now.astimezone(LOCAL_TZ).date()
    context: dict[str, object] = {"commune": commune, "communes": communes, "today": today}
    try:
        first, last = parse_period(request.GET.get("tu", ""), request.GET.get("den", ""), today=today)
    except ValidationFailed as exc:
        context.update(
            error=exc.message, tu=request.GET.get("tu", "")[:20], den=request.GET.get("den", "")[:20]
        )
        return render(request, "feedback/leader_overview.html", context, status=422)
    s = feedback_stats(commune=commune, first=first, last=last, now=now)
    if request.GET.get("xuat", "") == "xlsx":
        response = HttpResponse(feedback_stats_xlsx(s), content_type=XLSX_TYPE)
        response["Content-Disposition"] = (
            f'attachment; filename="tong-hop-phan-anh-{commune.pk}-{first:%Y%m%d}-{last:%Y%m%d}.xlsx"'
        )
        return response
    category_bars = bars(s.by_category, row_height=BAR_ROW)
    place_bars = bars(s.by_neighbourhood, row_height=BAR_ROW)
    context.update(
        s=s, tu=first.isoformat(), den=last.isoformat(), category_bars=category_bars, place_bars=place_bars,
        category_height=len(category_bars) * BAR_ROW + 4, place_height=len(place_bars) * BAR_ROW + 4,
    )  # fmt: skip
    return render(request, "feedback/leader_overview.html", context)


@login_required
@require_GET
def province_inbox_view(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    waiting, answered = province_inbox(user=user)
    return render(request, "feedback/province_inbox.html", {"waiting": waiting, "answered": answered})


@login_required
@require_http_methods(["GET", "POST"])
def province_item_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(request)
    item = province_item(user=user, pk=pk)
    context: dict[str, object] = {
        "item": item,
        "phone": mask_digits(item.reporter_phone) if item.reporter_phone else "",
        "events": [(e, _state_label(e.to_state)) for e in item.events.order_by("at", "pk")],
        "note": "",
    }
    if request.method == "POST":
        note = request.POST.get("note", "")
        try:
            province_answer(
                item=item, user=user, answer=request.POST.get("answer", ""), note=note, now=clock.now()
            )
        except (ValidationFailed, Conflict) as exc:
            context.update(error=exc.message, note=note[:2000])
            return render(request, "feedback/province_item.html", context, status=exc.status)
        return redirect("feedback_leader:province_item", pk=item.pk)
    return render(request, "feedback/province_item.html", context)
