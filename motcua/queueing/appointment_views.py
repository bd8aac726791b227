"""Appointments' pages (issue 8 §7): the resident books a slot on a phone (group → day → slot →
name and phone), keeps the confirmation with its QR, checks in there at the center within the
window («Tôi đã đến — lấy số») and lands on the ticket page; the counter's list of today's
appointments. Server-rendered, no JavaScript."""

from __future__ import annotations

import datetime as dt
import re

import segno
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from motcua.core import clock
from motcua.core.errors import Conflict, NotFound, RateLimited, ValidationFailed
from motcua.core.ratelimit import client_key, hit
from motcua.core.text import mask_digits
from motcua.org.models import User

from .appointments import (
    appointment_book,
    appointment_cancel,
    appointment_check_in,
    appointment_public,
    appointments_today,
    booking_days,
    checkin_window,
    group_slots,
    shown_state,
)
from .holders import address_of
from .models import Appointment, AppointmentState, ServiceGroup
from .selectors import center_by_code
from .services import LOCAL_TZ, active_group, local_day
from .views import _phone

WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
# A phone (the same signed device cookie as its tickets: views._phone) holds at most
# MOTCUA_QUEUE_MAX_BOOKINGS future bookings per center. Only its SHA-256 is stored.
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_HHMM = re.compile(r"(\d{2}):(\d{2})")


def _not_found(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "queueing/not_found.html", {"message": message}, status=404)


def day_label(day: dt.date) -> str:
    """«Thứ Tư, 11/02/2026»."""
    return f"{WEEKDAYS[day.weekday()]}, {day:%d/%m/%Y}"


def _parse_day(raw: str) -> dt.date | None:
    if not _DAY.fullmatch(raw or ""):
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return None


def _parse_slot(day: dt.date | None, raw: str) -> dt.datetime | None:
    m = _HHMM.fullmatch(raw or "")
    if day is None or not m or int(m[1]) > 23 or int(m[2]) > 59:
        return None
    return dt.datetime.combine(day, dt.time(int(m[1]), int(m[2])), tzinfo=LOCAL_TZ)


def _bookable_groups(commune_id: int) -> list[ServiceGroup]:
    return list(
        ServiceGroup.objects.filter(commune_id=commune_id, active=True, appointment_capacity__gt=0).order_by(
            "letter"
        )
    )


@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, code: str) -> HttpResponse:
    """Book a slot, one choice per screen (each a link, so the back button works): the group, the
    day (with its free places), the slot, then name and phone. A POST books and shows the
    confirmation; a refusal re-shows the form with the reason, nothing booked."""
    now = clock.now()
    try:
        commune = center_by_code(code)
    except (NotFound, ValidationFailed):
        return _not_found(request, "Không tìm thấy trung tâm này.")
    data = request.POST if request.method == "POST" else request.GET
    context: dict[str, object] = {"commune": commune, "error": "", "name": "", "phone": ""}
    letter = str(data.get("group", ""))
    if not letter:
        context["groups"] = _bookable_groups(commune.pk)
        return render(request, "queueing/book.html", context)
    try:
        group = active_group(commune=commune, letter=letter)
    except (NotFound, ValidationFailed):
        return _not_found(request, "Nhóm dịch vụ này không có hoặc đang tạm ngừng nhận đặt lịch.")
    context["group"] = group
    day = _parse_day(str(data.get("day", "")))
    days = booking_days(group=group, now=now)
    if day is None or day not in days:
        context["error"] = "Ngày này không nhận đặt lịch; vui lòng chọn ngày khác." if data.get("day") else ""
        # A day whose slots have all started (today, late) is not offered; a full one says so.
        offered = [(d, group_slots(group=group, day=d, now=now)) for d in days]
        context["days"] = [(d, day_label(d), sum(s.free for s in slots)) for d, slots in offered if slots]
        if not days:
            context["error"] = "Nhóm dịch vụ này không nhận đặt lịch hẹn."
        return render(request, "queueing/book.html", context)
    context |= {"day": day, "day_label": day_label(day)}
    starts_at = _parse_slot(day, str(data.get("slot", "")))
    slots = group_slots(group=group, day=day, now=now)
    slot = next((s for s in slots if s.starts_at == starts_at), None)
    if slot is None or (slot.free <= 0 and request.method == "GET"):
        if data.get("slot"):
            context["error"] = "Khung giờ này không còn nhận đặt lịch; vui lòng chọn khung giờ khác."
        context["slots"] = slots
        return render(request, "queueing/book.html", context)
    context["slot"] = slot
    if request.method == "GET":
        return render(request, "queueing/book.html", context)
    name, phone = str(data.get("name", "")), str(data.get("phone", ""))
    context |= {"name": name[:200], "phone": phone[:40]}
    device = _phone(request)
    holder = device.holder
    try:
        hit(purpose="appointment", key=client_key(request), rate=settings.MOTCUA_TICKET_RATE, now=now)
        a = appointment_book(
            commune=commune, group_letter=group.letter, starts_at=slot.starts_at, name=name, phone=phone,
            holder=holder, address=address_of(request), now=now,
        )  # fmt: skip
    except (ValidationFailed, Conflict, RateLimited) as exc:
        context["error"] = exc.message
        response = render(request, "queueing/book.html", context, status=exc.status)
    else:
        response = redirect("queueing:appointment", pk=a.pk, secret=a.secret)
    return device.keep(request, response)


def appointment_url(a: Appointment) -> str:
    return f"{settings.MOTCUA_PUBLIC_URL}{reverse('queueing:appointment', args=[a.pk, a.secret])}"


@require_http_methods(["GET", "POST"])
def appointment(request: HttpRequest, pk: int, secret: str) -> HttpResponse:
    """The confirmation: the slot, the group, the QR of this page, what to bring; «Tôi đã đến —
    lấy số» within the window gives the ticket (again: the same ticket), «Huỷ lịch hẹn» cancels.
    A wrong secret is 'not found'; a refusal re-shows the page with the reason, nothing changed."""
    now = clock.now()
    try:
        a = appointment_public(pk=pk, secret=secret)
    except NotFound as exc:
        return _not_found(request, exc.message)
    error, status, too_late = "", 200, False
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "checkin":
                hit(purpose="ticket", key=client_key(request), rate=settings.MOTCUA_TICKET_RATE, now=now)
                t = appointment_check_in(appointment=a, now=now)
                return redirect("queueing:ticket", pk=t.pk, secret=t.secret)
            if action == "cancel":
                appointment_cancel(appointment=a, now=now)
                return redirect("queueing:appointment", pk=a.pk, secret=a.secret)
            error, status = "Thao tác không hợp lệ.", 400
        except (Conflict, RateLimited) as exc:
            error, status, too_late = exc.message, exc.status, exc.code == "too_late"
        a = appointment_public(pk=pk, secret=secret)
    state = shown_state(a, now)
    opens, closes = checkin_window(a)
    url = appointment_url(a)
    context = {
        "a": a,
        "commune": a.commune,
        "state": state,
        "state_label": AppointmentState(state).label,
        "day_label": day_label(a.starts_at.astimezone(LOCAL_TZ).date()),
        "starts": a.starts_at.astimezone(LOCAL_TZ),
        "ends": a.ends_at.astimezone(LOCAL_TZ),
        "opens": opens.astimezone(LOCAL_TZ),
        "can_check_in": state == AppointmentState.BOOKED and opens <= now <= closes,
        "can_cancel": state == AppointmentState.BOOKED,
        "booked": state == AppointmentState.BOOKED,
        "ticket": a.ticket if state == AppointmentState.CHECKED_IN else None,
        "qr_svg": segno.make(url, error="m").svg_inline(scale=4, dark="#000", title="Mã QR của lịch hẹn"),
        "error": error,
        "too_late": too_late,
    }
    return render(request, "queueing/appointment.html", context, status=status)


@login_required
@require_GET
def today(request: HttpRequest) -> HttpResponse:
    """Today's appointments of the officer's commune, per group (counter officers, leaders)."""
    user = request.user
    assert isinstance(user, User)
    now = clock.now()
    days = appointments_today(user=user, now=now)  # NotAllowed → 403 (DomainErrorMiddleware)
    # Lists show at most the last 2 digits of a phone (mask_digits, the project's one rule).
    groups = [
        (
            d.group,
            [
                {
                    "a": a,
                    "phone": mask_digits(a.phone),
                    "state": state,
                    "label": AppointmentState(state).label,
                }
                for a, state in d.appointments
            ],
        )
        for d in days
    ]
    return render(
        request,
        "queueing/appointments_today.html",
        {"groups": groups, "day_label": day_label(local_day(now))},
    )
