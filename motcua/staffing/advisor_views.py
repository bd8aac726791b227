"""The staffing advisor's pages (issue 11 §4): `/nhan-su/du-bao/` (tomorrow — the next working day),
`<YYYY-MM-DD>/` (up to 14 days ahead; a past day shows the forecast beside what happened) and
`ap-dung/<YYYY-MM-DD>/` (POST: the proposed plan becomes the day's plan, through S3's
`plan_replace_day`). The commune leader and the department heads read; the leader and the head of
the one-stop department apply; anyone else is refused (403). Thin: parse, call, render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from motcua.calendar.selectors import calendar_for_province
from motcua.core import clock
from motcua.core.errors import NotAllowed
from motcua.org.models import User

from . import plan as P
from .advisor import Advice, advice_charts, advice_tables, advise

AHEAD_DAYS = 14
BACK_DAYS = 366


def _reader(request: HttpRequest) -> User:
    user = request.user
    if not P.may_view_day(user):
        raise NotAllowed("Trợ lý bố trí nhân sự dành cho lãnh đạo xã/phường và các trưởng phòng.")
    assert isinstance(user, User)
    return user


def _day(raw: str | None, today: dt.date, user: User) -> dt.date:
    if not raw:
        calendar = calendar_for_province(user.commune.province_id if user.commune else None)
        return calendar.next_working_day(today)
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise Http404("Ngày không hợp lệ.") from exc
    if day > today + dt.timedelta(days=AHEAD_DAYS) or day < today - dt.timedelta(days=BACK_DAYS):
        raise Http404(f"Chỉ dự báo được đến {AHEAD_DAYS} ngày tới và xem lại trong một năm qua.")
    return day


@login_required
@require_GET
def advisor_view(request: HttpRequest, day: str | None = None) -> HttpResponse:
    user = _reader(request)
    now = clock.now()
    today = P.local_date(now)
    target = _day(day, today, user)
    assert user.commune is not None
    advice: Advice = advise(commune=user.commune, day=target, today=today, simulate=target >= today)
    context: dict[str, Any] = {
        "advice": advice,
        "today": today,
        "may_apply": P.edits_all(user) and target >= today and bool(advice.plan),
        "days": [today + dt.timedelta(days=k) for k in range(1, AHEAD_DAYS + 1)],
        "tables": advice_tables(advice),
        "charts": advice_charts(advice),
        "ahead": AHEAD_DAYS,
    }
    return render(request, "staffing/advisor/day.html", context)


@login_required
@require_POST
def apply_view(request: HttpRequest, day: str) -> HttpResponse:
    user = _reader(request)
    now = clock.now()
    today = P.local_date(now)
    target = _day(day, today, user)
    assert user.commune is not None
    if not P.edits_all(user):
        raise NotAllowed("Chỉ lãnh đạo xã/phường và trưởng bộ phận một cửa áp dụng lịch đề xuất.")
    advice = advise(commune=user.commune, day=target, today=today, simulate=False)
    changed = P.plan_replace_day(
        actor=user, commune=user.commune, day=target, slots=advice.specs(),
        reason="Áp dụng lịch đề xuất của trợ lý bố trí nhân sự", now=now,
    )  # fmt: skip
    messages.success(
        request, f"Đã áp dụng lịch đề xuất cho ngày {target:%d/%m/%Y}: {changed} cán bộ có lịch thay đổi."
    )
    return redirect(reverse("staffing_advisor:day", kwargs={"day": target.isoformat()}))
