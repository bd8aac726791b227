"""Appointments (issue 8 §7): a resident books a slot of a group online, then checks in within the
slot's window and gets a ticket called ahead of walk-ins (after priority).

Slots are the center's sessions (MOTCUA_QUEUE_SESSIONS, local time) cut into the group's
`appointment_slot_minutes`, on the province's working days only, from now up to
MOTCUA_QUEUE_BOOKING_DAYS ahead; each holds at most the group's `appointment_capacity` bookings,
counted with the group's row locked so that simultaneous bookings of the last place never
overbook. Keyword-only; `now` comes from the interface (motcua.core.clock).
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q

from motcua.calendar.selectors import calendar_for_province
from motcua.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from motcua.core.text import clean_text
from motcua.geo.models import Commune
from motcua.org.models import Role, User

from .holders import lock_holders
from .models import Appointment, AppointmentState, ServiceGroup, Ticket, TicketSource
from .services import LOCAL_TZ, active_group, local_day, ticket_issue

_MAX_ID = 2**31 - 1
_NO_APPOINTMENT = "Không tìm thấy lịch hẹn."
NAME_MAX = 100
# Vietnamese mobile numbers: 10 digits, 03/05/07/08/09 (after the 2018 renumbering).
_MOBILE = re.compile(r"0[35789]\d{8}")
_SESSION = re.compile(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})")
# Bookings that hold a place in their slot.
HOLDING = (AppointmentState.BOOKED, AppointmentState.CHECKED_IN)


def sessions() -> list[tuple[dt.time, dt.time]]:
    """The center's sessions of a working day, e.g. "07:30-11:30,13:30-17:00" (local time)."""
    result = []
    for part in str(settings.MOTCUA_QUEUE_SESSIONS).split(","):
        m = _SESSION.fullmatch(part.strip())
        if not m:
            raise ValueError(f"MOTCUA_QUEUE_SESSIONS: «{part}» is not HH:MM-HH:MM")
        start = dt.time(int(m[1]), int(m[2]))
        end = dt.time(int(m[3]), int(m[4]))
        if end <= start:
            raise ValueError(f"MOTCUA_QUEUE_SESSIONS: «{part}» ends before it starts")
        result.append((start, end))
    return result


@dataclass(frozen=True)
class Slot:
    starts_at: dt.datetime  # local time
    ends_at: dt.datetime
    capacity: int
    booked: int

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.booked)


def _slot_bounds(group: ServiceGroup, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    minutes = dt.timedelta(minutes=max(1, int(group.appointment_slot_minutes)))
    bounds = []
    for start, end in sessions():
        at = dt.datetime.combine(day, start, tzinfo=LOCAL_TZ)
        close = dt.datetime.combine(day, end, tzinfo=LOCAL_TZ)
        while at + minutes <= close:
            bounds.append((at, at + minutes))
            at += minutes
    return bounds


def booking_days(*, group: ServiceGroup, now: dt.datetime) -> list[dt.date]:
    """The working days on which the group takes bookings: today up to
    MOTCUA_QUEUE_BOOKING_DAYS days ahead (none when its capacity is 0)."""
    if group.appointment_capacity <= 0:
        return []
    calendar = calendar_for_province(group.commune.province_id)
    today = local_day(now)
    days = (today + dt.timedelta(days=n) for n in range(int(settings.MOTCUA_QUEUE_BOOKING_DAYS) + 1))
    return [d for d in days if calendar.is_working_day(d)]


def group_slots(*, group: ServiceGroup, day: dt.date, now: dt.datetime) -> list[Slot]:
    """The group's bookable slots of a day with their free places: none outside the booking
    window or on a day off; a slot that has started is no longer offered."""
    if day not in booking_days(group=group, now=now):
        return []
    bounds = [(s, e) for s, e in _slot_bounds(group, day) if s > now]
    if not bounds:
        return []
    rows = (
        Appointment.objects.filter(
            group=group, state__in=HOLDING, starts_at__gte=bounds[0][0], starts_at__lte=bounds[-1][0]
        )
        .values("starts_at")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {row["starts_at"]: row["n"] for row in rows}
    return [Slot(s, e, group.appointment_capacity, counts.get(s, 0)) for s, e in bounds]


def clean_name(raw: str) -> str:
    name = " ".join(clean_text(raw).split())
    if not name:
        raise ValidationFailed("Vui lòng nhập họ và tên.", code="name_required")
    if len(name) > NAME_MAX:
        raise ValidationFailed(f"Họ và tên: tối đa {NAME_MAX} ký tự.", code="name_too_long")
    return name


def clean_phone(raw: str) -> str:
    """An optional Vietnamese mobile number: "+84 905 123 456" → "0905123456"."""
    # A control character (NUL…) is refused, not cleaned away: the number would change silently.
    if len(raw) > 30 or clean_text(raw) != raw:
        raise ValidationFailed("Số điện thoại di động không hợp lệ.", code="bad_phone")
    phone = re.sub(r"[\s.\-()]", "", raw)
    if phone.startswith("+84"):
        phone = "0" + phone[3:]
    if phone and not _MOBILE.fullmatch(phone):
        raise ValidationFailed(
            "Số điện thoại di động: 10 chữ số, bắt đầu bằng 03, 05, 07, 08 hoặc 09.", code="bad_phone"
        )
    return phone


def appointment_book(
    *,
    commune: Commune,
    group_letter: str,
    starts_at: dt.datetime,
    name: str,
    phone: str,
    now: dt.datetime,
    holder: str = "",
    address: str = "",
) -> Appointment:
    """Book the slot of the group that starts at `starts_at`. The slot's places are counted with
    the group's row locked (simultaneous bookings of the last place: exactly one succeeds); a
    phone (`holder`) holds at most MOTCUA_QUEUE_MAX_BOOKINGS future bookings per center, a client
    address (`address`) at most MOTCUA_QUEUE_ADDRESS_MAX_BOOKINGS, counted under the holders'
    lock (holders.lock_holders: bookings of one phone for two groups do not pass each other)."""
    group = active_group(commune=commune, letter=group_letter)
    name, phone = clean_name(name), clean_phone(phone)
    if starts_at.tzinfo is None:
        starts_at = starts_at.replace(tzinfo=LOCAL_TZ)
    try:
        local = starts_at.astimezone(LOCAL_TZ)
    except (OverflowError, ValueError):  # year 1 or 9999 at the edge of the calendar
        raise ValidationFailed("Khung giờ này không nhận đặt lịch hẹn.", code="bad_slot") from None
    if group.appointment_capacity <= 0:
        raise ValidationFailed("Nhóm dịch vụ này không nhận đặt lịch hẹn.", code="no_booking")
    slot = next((b for b in _slot_bounds(group, local.date()) if b[0] == local), None)
    if slot is None or local.date() not in booking_days(group=group, now=now) or local <= now:
        raise ValidationFailed("Khung giờ này không nhận đặt lịch hẹn.", code="bad_slot")
    with transaction.atomic():
        lock_holders(holder, address)
        group = ServiceGroup.objects.select_for_update().get(pk=group.pk)
        caps = (
            (holder, "holder", settings.MOTCUA_QUEUE_MAX_BOOKINGS, "Điện thoại này"),
            (address, "address", settings.MOTCUA_QUEUE_ADDRESS_MAX_BOOKINGS, "Địa chỉ mạng này"),
        )
        for value, field, cap, who in caps:
            if not value:
                continue
            mine = Appointment.objects.filter(
                commune=commune, state=AppointmentState.BOOKED, ends_at__gt=now, **{field: value}
            ).count()
            if mine >= cap:
                raise Conflict(
                    f"{who} đã có {mine} lịch hẹn chưa đến; vui lòng huỷ bớt trước khi đặt thêm.",
                    code="too_many_bookings",
                )
        taken = Appointment.objects.filter(group=group, starts_at=slot[0], state__in=HOLDING).count()
        if taken >= group.appointment_capacity:
            raise Conflict("Khung giờ này vừa hết chỗ. Vui lòng chọn khung giờ khác.", code="slot_full")
        return Appointment.objects.create(
            commune=commune, group=group, starts_at=slot[0], ends_at=slot[1], name=name, phone=phone,
            created_at=now, holder=holder, address=address,
        )  # fmt: skip


def appointment_public(*, pk: int, secret: str) -> Appointment:
    """A resident's appointment by id and the secret of its link: a wrong secret is 'not found'."""
    appointment = None
    if 0 < pk <= _MAX_ID and secret and len(secret) <= 64:
        appointment = Appointment.objects.select_related("group", "commune", "ticket").filter(pk=pk).first()
    if appointment is None or not hmac.compare_digest(
        appointment.secret.encode(), secret.encode("utf-8", "replace")
    ):
        raise NotFound(_NO_APPOINTMENT, code="appointment_not_found")
    return appointment


def shown_state(appointment: Appointment, now: dt.datetime) -> str:
    """The state as the resident and the officer read it: a booking whose slot has ended without a
    check-in is «Không đến» even before appointments_mark_missed ran."""
    if appointment.state == AppointmentState.BOOKED and appointment.ends_at <= now:
        return AppointmentState.MISSED
    return appointment.state


def appointments_mark_missed(*, now: dt.datetime, commune: Commune | None = None) -> int:
    """Mark MISSED every booking whose slot ended without a check-in (for the demo and the
    statistics; the pages already show them so). Returns how many."""
    qs = Appointment.objects.filter(state=AppointmentState.BOOKED, ends_at__lte=now)
    if commune is not None:
        qs = qs.filter(commune=commune)
    return qs.update(state=AppointmentState.MISSED)


def checkin_window(appointment: Appointment) -> tuple[dt.datetime, dt.datetime]:
    early = dt.timedelta(minutes=int(settings.MOTCUA_QUEUE_CHECKIN_EARLY_MINUTES))
    return appointment.starts_at - early, appointment.ends_at


def _hhmm(moment: dt.datetime) -> str:
    return f"{moment.astimezone(LOCAL_TZ):%H:%M}"


def appointment_check_in(*, appointment: Appointment, now: dt.datetime) -> Ticket:
    """Give the appointment its ticket (booked, source APPOINTMENT) within the window
    [starts_at − MOTCUA_QUEUE_CHECKIN_EARLY_MINUTES, ends_at]. Checking in again returns the
    same ticket; too early, too late or cancelled: a Conflict that changes nothing."""
    with transaction.atomic():
        # No join in the locking read: after waiting for another check-in, PostgreSQL re-reads the
        # locked row but not the rows joined to it (its new ticket would look missing).
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if locked.state == AppointmentState.CHECKED_IN and locked.ticket_id is not None:
            return Ticket.objects.select_related("group", "queue_group", "counter").get(pk=locked.ticket_id)
        if locked.state == AppointmentState.CANCELLED:
            raise Conflict(
                "Lịch hẹn này đã được huỷ. Bạn vẫn có thể lấy số thường tại trung tâm.", code="cancelled"
            )
        opens, closes = checkin_window(locked)
        if now < opens:
            raise Conflict(
                f"Chưa đến giờ hẹn; bạn có thể nhận số từ {_hhmm(opens)}"
                + (
                    ""
                    if local_day(opens) == local_day(now)
                    else f" ngày {opens.astimezone(LOCAL_TZ):%d/%m/%Y}"
                )
                + ".",
                code="too_early",
            )
        if now > closes or locked.state == AppointmentState.MISSED:
            raise Conflict(
                f"Lịch hẹn đã quá giờ (hết lúc {_hhmm(closes)}). Bạn vẫn có thể lấy số thường.",
                code="too_late",
            )
        ticket = ticket_issue(
            commune=locked.commune, group_letter=locked.group.letter, priority=False, now=now,
            source=TicketSource.APPOINTMENT, booked=True,
        )  # fmt: skip
        locked.ticket = ticket
        locked.state = AppointmentState.CHECKED_IN
        locked.save(update_fields=["ticket", "state"])
        return ticket


def appointment_cancel(*, appointment: Appointment, now: dt.datetime) -> Appointment:
    """Cancel a booking not yet checked in whose slot has not ended: its place is free again."""
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if locked.state == AppointmentState.CANCELLED:
            return locked
        if locked.state != AppointmentState.BOOKED or locked.ends_at <= now:
            raise Conflict("Lịch hẹn này không còn huỷ được.", code="not_cancellable")
        locked.state = AppointmentState.CANCELLED
        locked.save(update_fields=["state"])
        return locked


def _check_reader(user: User) -> None:
    if user.commune_id is None or not user.has_role(Role.COUNTER_OFFICER, Role.COMMUNE_LEADER):
        raise NotAllowed("Trang này dành cho cán bộ một cửa và lãnh đạo xã, phường.", code="not_counter")


@dataclass(frozen=True)
class GroupDay:
    group: ServiceGroup
    appointments: list[tuple[Appointment, str]]  # with the state shown


def appointments_today(*, user: User, now: dt.datetime) -> list[GroupDay]:
    """Today's appointments of the user's own commune, per group (counter officers and leaders)."""
    _check_reader(user)
    commune_id = user.commune_id
    assert commune_id is not None  # _check_reader
    day = local_day(now)
    start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=LOCAL_TZ)
    rows: Iterable[Appointment] = (
        Appointment.objects.select_related("ticket")
        .filter(commune_id=commune_id, starts_at__gte=start, starts_at__lt=start + dt.timedelta(days=1))
        .order_by("starts_at", "id")
    )
    by_group: dict[int, list[tuple[Appointment, str]]] = {}
    for a in rows:
        by_group.setdefault(a.group_id, []).append((a, shown_state(a, now)))
    groups = ServiceGroup.objects.filter(commune_id=commune_id).filter(
        Q(active=True) | Q(pk__in=list(by_group))
    )
    return [GroupDay(g, by_group.get(g.pk, [])) for g in groups.order_by("letter")]
