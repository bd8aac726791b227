"""The day's plan screens (issue 11 §2). Thin: parse, call one service or selector, render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from motcua.core import clock
from motcua.core.errors import Conflict, NotAllowed, ValidationFailed
from motcua.core.text import form_text
from motcua.org.models import Department, User
from motcua.queueing.models import Counter

from . import plan as P
from .models import PlanSlot, SlotKind
from .setup import parse_pk

# The days a plan may be shown for (a date outside gives 404, and its neighbours exist).
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2100, 12, 31)
COPY_SOURCES = {"hom-qua": ("hôm qua", 1), "tuan-truoc": ("cùng thứ tuần trước", 7)}


def _day(raw: str | None, now: dt.datetime) -> dt.date:
    if not raw:
        return P.local_date(now)
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise Http404("Ngày không hợp lệ.") from exc
    if not FIRST_DAY <= day <= LAST_DAY:
        raise Http404("Ngày không hợp lệ.")
    return day


def _viewer(request: HttpRequest) -> User:
    user = request.user
    if not P.may_view_day(user):
        raise NotAllowed("Lịch làm việc của cả xã/phường dành cho lãnh đạo và trưởng phòng.")
    assert isinstance(user, User)
    return user


def _time(raw: Any, label: str) -> dt.time:
    text = form_text(raw, label=label, max_length=5, required=True)
    try:
        value = dt.time.fromisoformat(text)
    except ValueError as exc:
        raise ValidationFailed(
            f"{label.capitalize()} phải là giờ:phút, ví dụ 07:30.", code="bad_time"
        ) from exc
    return value.replace(second=0, microsecond=0)


def _pk(raw: Any, label: str) -> int:
    text = form_text(raw, label=label, max_length=12)
    pk = parse_pk(text)  # ASCII digits only («²».isdigit() is true), bounded
    if pk is None:
        raise ValidationFailed(f"Chưa chọn {label}.", code="required")
    return pk


def _officer(user: User, raw: Any) -> User:
    pk = _pk(raw, "cán bộ")
    officer = User.objects.filter(pk=pk, commune=user.commune, is_active=True).first()
    if officer is None:
        raise ValidationFailed("Cán bộ không thuộc xã/phường này.", code="bad_officer")
    return officer


def _place(user: User, data: Any) -> tuple[str, Counter | None, Department | None]:
    kind = form_text(data.get("kind"), label="loại ca", max_length=12, required=True)
    if kind not in SlotKind.values:
        raise ValidationFailed("Loại ca không hợp lệ.", code="bad_kind")
    counter = department = None
    if kind == SlotKind.COUNTER:
        counter = Counter.objects.filter(pk=_pk(data.get("counter"), "quầy"), commune=user.commune).first()
        if counter is None:
            raise ValidationFailed("Quầy không thuộc trung tâm của xã/phường này.", code="bad_counter")
    elif kind == SlotKind.DEPARTMENT:
        department = Department.objects.filter(
            pk=_pk(data.get("department"), "phòng"), commune=user.commune
        ).first()
        if department is None:
            raise ValidationFailed("Phòng không thuộc xã/phường này.", code="bad_department")
    return kind, counter, department


def _history(commune: Any, day: dt.date) -> list[dict[str, Any]]:
    out = []
    for c in P.changes_of_day(commune=commune, day=day)[:300]:
        out.append(
            {
                "change": c,
                "label": P.ACTION_LABELS.get(c.action, c.action),
                "before": "; ".join(P.describe(x) for x in (c.before or [])) or "—",
                "after": "; ".join(P.describe(x) for x in (c.after or [])) or "—",
            }
        )
    return out


def _render_day(
    request: HttpRequest, user: User, day: dt.date, *, error: str = "", status: int = 200
) -> HttpResponse:
    now = clock.now()
    commune = user.commune
    assert commune is not None
    grid = P.day_grid(commune=commune, day=day, now=now)
    today = P.local_date(now)
    context = {
        "grid": grid,
        "day": day,
        "today": today,
        "is_today": day == today,
        "editable": day >= today,
        "edits_all": P.edits_all(user),
        "previous": day - dt.timedelta(days=1),
        "next": day + dt.timedelta(days=1),
        "history": _history(commune, day),
        "officers": [r.officer for r in grid.officers],
        "counters": [r.counter for r in grid.counters],
        "departments": Department.objects.filter(commune=commune, closed_at__isnull=True).order_by("name"),
        "kinds": SlotKind.choices,
        "copy_sources": [(k, v[0]) for k, v in COPY_SOURCES.items()],
        "error": error,
        "form": request.POST if request.method == "POST" else {},
    }
    return render(request, "staffing/plan/day.html", context, status=status)


@login_required
@require_GET
def day_view(request: HttpRequest, day: str | None = None) -> HttpResponse:
    user = _viewer(request)
    return _render_day(request, user, _day(day, clock.now()))


def _post(request: HttpRequest, day: dt.date, action: Any) -> HttpResponse:
    user = _viewer(request)
    try:
        message = action(user)
    except (ValidationFailed, Conflict) as exc:
        return _render_day(request, user, day, error=exc.message, status=exc.status)
    messages.success(request, message)
    return redirect(reverse("staffing_plan:day", kwargs={"day": day.isoformat()}))


@login_required
@require_POST
def add_view(request: HttpRequest, day: str) -> HttpResponse:
    the_day = _day(day, clock.now())

    def act(user: User) -> str:
        data = request.POST
        kind, counter, department = _place(user, data)
        officer = _officer(user, data.get("officer"))
        P.plan_add(
            actor=user, officer=officer, day=the_day, starts=_time(data.get("starts"), "giờ bắt đầu"),
            ends=_time(data.get("ends"), "giờ kết thúc"), kind=kind, counter=counter, department=department,
            note=data.get("note", ""), reason=data.get("reason", ""), now=clock.now(),
        )  # fmt: skip
        return f"Đã thêm ca cho {officer.display_name}."

    return _post(request, the_day, act)


@login_required
@require_POST
def absent_view(request: HttpRequest, day: str) -> HttpResponse:
    the_day = _day(day, clock.now())

    def act(user: User) -> str:
        data = request.POST
        officer = _officer(user, data.get("officer"))
        whole = data.get("whole_day") == "1" or not (data.get("starts") or data.get("ends"))
        P.plan_mark_absent(
            actor=user, officer=officer, day=the_day,
            starts=None if whole else _time(data.get("starts"), "giờ bắt đầu"),
            ends=None if whole else _time(data.get("ends"), "giờ kết thúc"),
            reason=data.get("reason", ""), now=clock.now(),
        )  # fmt: skip
        return f"Đã ghi {officer.display_name} vắng."

    return _post(request, the_day, act)


@login_required
@require_POST
def copy_view(request: HttpRequest, day: str) -> HttpResponse:
    the_day = _day(day, clock.now())

    def act(user: User) -> str:
        key = form_text(request.POST.get("source"), label="ngày nguồn", max_length=20, required=True)
        if key not in COPY_SOURCES:
            raise ValidationFailed("Chọn sao chép từ hôm qua hoặc cùng thứ tuần trước.", code="bad_source")
        label, days = COPY_SOURCES[key]
        result = P.plan_copy(
            actor=user, day=the_day, source=the_day - dt.timedelta(days=days),
            reason=request.POST.get("reason", ""), now=clock.now(),
        )  # fmt: skip
        skipped = f" (bỏ qua {result.skipped} ca không còn hợp lệ)" if result.skipped else ""
        return f"Đã sao chép {result.copied} ca từ {label}{skipped}."

    return _post(request, the_day, act)


@login_required
@require_http_methods(["GET", "POST"])
def slot_view(request: HttpRequest, pk: int) -> HttpResponse:
    slot = P.slot_get_for(user=request.user, pk=pk)
    user = request.user
    assert isinstance(user, User)
    error, status = "", 200
    if request.method == "POST":
        data = request.POST
        try:
            kind, counter, department = _place(user, data)
            P.plan_change(
                actor=user, slot=slot, starts=_time(data.get("starts"), "giờ bắt đầu"),
                ends=_time(data.get("ends"), "giờ kết thúc"), kind=kind, counter=counter,
                department=department, note=data.get("note", ""), reason=data.get("reason", ""),
                now=clock.now(),
            )  # fmt: skip
        except (ValidationFailed, Conflict) as exc:
            error, status = exc.message, exc.status
        else:
            messages.success(request, "Đã sửa ca làm việc.")
            return redirect(reverse("staffing_plan:day", kwargs={"day": slot.day.isoformat()}))
    assert user.commune is not None
    context = {
        "slot": slot,
        "error": error,
        "kinds": SlotKind.choices,
        "counters": Counter.objects.filter(commune=user.commune, active=True).order_by("number"),
        "departments": Department.objects.filter(commune=user.commune, closed_at__isnull=True).order_by(
            "name"
        ),
        "form": request.POST if request.method == "POST" else None,
    }
    return render(request, "staffing/plan/slot.html", context, status=status)


@login_required
@require_POST
def slot_remove_view(request: HttpRequest, pk: int) -> HttpResponse:
    slot = P.slot_get_for(user=request.user, pk=pk)
    user = request.user
    assert isinstance(user, User)
    try:
        P.plan_remove(actor=user, slot=slot, reason=request.POST.get("reason", ""), now=clock.now())
    except (ValidationFailed, Conflict) as exc:
        return _render_day(request, user, slot.day, error=exc.message, status=exc.status)
    messages.success(request, "Đã xóa ca làm việc.")
    return redirect(reverse("staffing_plan:day", kwargs={"day": slot.day.isoformat()}))


@login_required
@require_GET
def mine_view(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    raw = request.GET.get("ngay", "")
    try:
        day = dt.date.fromisoformat(raw) if raw and len(raw) <= 10 else P.local_date(now)
    except ValueError:
        day = P.local_date(now)
    if not FIRST_DAY <= day <= LAST_DAY:
        day = P.local_date(now)
    slots: list[PlanSlot] = P.my_day(user=request.user, day=day)
    context = {
        "day": day,
        "slots": slots,
        "previous": day - dt.timedelta(days=1),
        "next": day + dt.timedelta(days=1),
        "may_view_day": P.may_view_day(request.user),
    }
    return render(request, "staffing/plan/mine.html", context)
