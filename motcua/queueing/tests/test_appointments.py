"""Appointments (issue 8 §7): slots, booking, check-in within the window, cancel, missed."""

import datetime as dt

import pytest

from motcua.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from motcua.org.models import Role
from motcua.queueing.appointments import (
    appointment_book,
    appointment_cancel,
    appointment_check_in,
    appointment_public,
    appointments_mark_missed,
    appointments_today,
    booking_days,
    clean_phone,
    group_slots,
    sessions,
)
from motcua.queueing.models import Appointment, AppointmentState, Ticket, TicketSource, TicketState
from motcua.queueing.services import counter_call_next, ticket_issue
from motcua.testing import make_service_groups, make_user

from .conftest import NOW, VN

pytestmark = pytest.mark.django_db

TUE = dt.date(2026, 2, 10)  # NOW's day, a Tuesday
WED_0900 = dt.datetime(2026, 2, 11, 9, 0, tzinfo=VN)


def _book(ward, starts_at=WED_0900, letter="B", name="Nguyễn Văn An", phone="", holder="", now=NOW):
    return appointment_book(
        commune=ward, group_letter=letter, starts_at=starts_at, name=name, phone=phone, holder=holder, now=now
    )


def test_sessions_default_and_setting(settings):
    assert sessions() == [(dt.time(7, 30), dt.time(11, 30)), (dt.time(13, 30), dt.time(17, 0))]
    settings.MOTCUA_QUEUE_SESSIONS = "08:00-10:00"
    assert sessions() == [(dt.time(8, 0), dt.time(10, 0))]
    settings.MOTCUA_QUEUE_SESSIONS = "10:00-08:00"
    with pytest.raises(ValueError):
        sessions()


def test_a_days_slots_cut_the_sessions_and_skip_the_past(ward, groups):
    b = groups["B"]
    wed = group_slots(group=b, day=WED_0900.date(), now=NOW)
    # 07:30–11:30 is 8 slots of 30 min, 13:30–17:00 is 7.
    assert len(wed) == 15
    assert (wed[0].starts_at.time(), wed[0].ends_at.time()) == (dt.time(7, 30), dt.time(8, 0))
    assert wed[8].starts_at.time() == dt.time(13, 30) and wed[-1].ends_at.time() == dt.time(17, 0)
    assert all(s.free == 2 and s.capacity == 2 for s in wed)
    today = group_slots(group=b, day=TUE, now=NOW)  # 08:00: the 07:30 and 08:00 slots have started
    assert today[0].starts_at.time() == dt.time(8, 30) and len(today) == 13
    b.appointment_slot_minutes = 60
    assert len(group_slots(group=b, day=WED_0900.date(), now=NOW)) == 4 + 3


def test_no_slots_on_weekends_holidays_beyond_the_window_or_without_capacity(ward, groups, settings):
    b = groups["B"]
    days = booking_days(group=b, now=NOW)
    assert dt.date(2026, 2, 14) not in days and dt.date(2026, 2, 15) not in days  # Saturday, Sunday
    assert dt.date(2026, 2, 17) not in days  # Tết (lunar new year)
    assert days[0] == TUE and max(days) <= TUE + dt.timedelta(days=14)
    assert group_slots(group=b, day=dt.date(2026, 2, 14), now=NOW) == []
    assert group_slots(group=b, day=dt.date(2026, 2, 17), now=NOW) == []
    assert group_slots(group=b, day=dt.date(2026, 3, 2), now=NOW) == []  # 20 days ahead
    assert group_slots(group=b, day=dt.date(2026, 2, 9), now=NOW) == []  # yesterday
    settings.MOTCUA_QUEUE_BOOKING_DAYS = 30
    assert group_slots(group=b, day=dt.date(2026, 3, 2), now=NOW)
    b.appointment_capacity = 0
    assert booking_days(group=b, now=NOW) == [] and group_slots(group=b, day=WED_0900.date(), now=NOW) == []


def test_booking_takes_a_place_until_the_slot_is_full(ward, groups):
    a = _book(ward, phone="+84 905 123 456", name="  Nguyễn\x00 Văn   An ")
    assert (a.name, a.phone, a.state, a.group.letter) == (
        "Nguyễn Văn An",
        "0905123456",
        AppointmentState.BOOKED,
        "B",
    )
    assert a.ends_at - a.starts_at == dt.timedelta(minutes=30)
    slots = {s.starts_at: s for s in group_slots(group=groups["B"], day=WED_0900.date(), now=NOW)}
    assert slots[WED_0900].free == 1
    _book(ward, name="Trần Thị Bình")
    assert slots[WED_0900].free == 1, "a Slot is a snapshot"
    assert {s.starts_at: s.free for s in group_slots(group=groups["B"], day=WED_0900.date(), now=NOW)}[
        WED_0900
    ] == 0
    with pytest.raises(Conflict) as exc:
        _book(ward, name="Lê Văn Cường")
    assert exc.value.code == "slot_full" and "hết chỗ" in exc.value.message
    assert Appointment.objects.count() == 2
    # A cancelled booking frees its place.
    appointment_cancel(appointment=a, now=NOW)
    assert _book(ward, name="Lê Văn Cường").pk


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"name": ""}, "name_required"),
        ({"name": "  \x00 "}, "name_required"),
        ({"name": "A" * 101}, "name_too_long"),
        ({"phone": "0123"}, "bad_phone"),
        ({"phone": "02363123456"}, "bad_phone"),  # a landline
        ({"phone": "0905\x00123456"}, "bad_phone"),
        ({"phone": "9" * 400}, "bad_phone"),
        ({"starts_at": dt.datetime(2026, 2, 11, 9, 10, tzinfo=VN)}, "bad_slot"),  # not a slot's start
        ({"starts_at": dt.datetime(2026, 2, 11, 12, 0, tzinfo=VN)}, "bad_slot"),  # lunch
        ({"starts_at": dt.datetime(2026, 2, 10, 7, 30, tzinfo=VN)}, "bad_slot"),  # past
        ({"starts_at": dt.datetime(2026, 2, 14, 9, 0, tzinfo=VN)}, "bad_slot"),  # Saturday
        ({"starts_at": dt.datetime(2026, 2, 17, 9, 0, tzinfo=VN)}, "bad_slot"),  # Tết
        ({"letter": "1"}, "bad_group"),
    ],
)
def test_bad_bookings_are_refused_in_vietnamese(ward, groups, kwargs, code):
    with pytest.raises(ValidationFailed) as exc:
        _book(ward, **kwargs)
    assert exc.value.code == code
    assert Appointment.objects.count() == 0


def test_a_group_without_capacity_or_an_unknown_group_takes_no_booking(ward, groups):
    groups["B"].appointment_capacity = 0
    groups["B"].save()
    with pytest.raises(ValidationFailed) as exc:
        _book(ward)
    assert exc.value.code == "no_booking"
    with pytest.raises(NotFound):
        _book(ward, letter="Z")


def test_a_phone_holds_at_most_two_future_bookings_per_center(ward, groups, other_ward):
    make_service_groups(other_ward)
    _book(ward, holder="h1")
    second = _book(ward, holder="h1", starts_at=WED_0900 + dt.timedelta(hours=1))
    with pytest.raises(Conflict) as exc:
        _book(ward, holder="h1", starts_at=WED_0900 + dt.timedelta(hours=2))
    assert exc.value.code == "too_many_bookings"
    assert _book(ward, holder="h2", starts_at=WED_0900 + dt.timedelta(hours=2)).pk, "another phone"
    assert _book(other_ward, holder="h1").pk, "another center"
    appointment_cancel(appointment=second, now=NOW)
    assert _book(ward, holder="h1", starts_at=WED_0900 + dt.timedelta(hours=2)).pk


def test_clean_phone():
    assert clean_phone("") == ""
    assert clean_phone("0905.123.456") == "0905123456"
    assert clean_phone("(+84) 38 123 4567") == "0381234567"


def test_check_in_within_the_window_gives_a_booked_ticket_once(ward, groups):
    a = _book(ward)
    at = WED_0900 - dt.timedelta(minutes=15)  # the window opens 15 min before
    t = appointment_check_in(appointment=a, now=at)
    assert (t.number, t.booked, t.source, t.state) == (
        "B001",
        True,
        TicketSource.APPOINTMENT,
        TicketState.WAITING,
    )
    a.refresh_from_db()
    assert a.state == AppointmentState.CHECKED_IN and a.ticket_id == t.pk
    again = appointment_check_in(appointment=a, now=at + dt.timedelta(minutes=5))
    assert again.pk == t.pk and Ticket.objects.count() == 1
    # Still returns the ticket after the window: it was checked in.
    assert appointment_check_in(appointment=a, now=WED_0900 + dt.timedelta(hours=3)).pk == t.pk


def test_a_checked_in_appointment_is_called_after_priority_and_before_walk_ins(ward, groups, staff, counter1):
    at = WED_0900
    walk_in = ticket_issue(commune=ward, group_letter="B", priority=False, now=at - dt.timedelta(minutes=30))
    prio = ticket_issue(commune=ward, group_letter="B", priority=True, now=at - dt.timedelta(minutes=1))
    booked = appointment_check_in(appointment=_book(ward), now=at)
    order = []
    for _ in range(3):  # each finished before the next call: a busy counter is refused
        t = counter_call_next(actor=staff["counter"], counter=counter1, now=at)
        assert t is not None
        order.append(t)
        Ticket.objects.filter(pk=t.pk).update(state=TicketState.DONE)
    assert [t.pk for t in order if t] == [prio.pk, booked.pk, walk_in.pk]


@pytest.mark.parametrize(
    ("minutes", "code", "text"),
    [
        (-16, "too_early", "Chưa đến giờ hẹn; bạn có thể nhận số từ 08:45"),
        (31, "too_late", "Lịch hẹn đã quá giờ (hết lúc 09:30). Bạn vẫn có thể lấy số thường."),
    ],
)
def test_check_in_outside_the_window_changes_nothing(ward, groups, minutes, code, text):
    a = _book(ward)
    with pytest.raises(Conflict) as exc:
        appointment_check_in(appointment=a, now=WED_0900 + dt.timedelta(minutes=minutes))
    assert exc.value.code == code and text in exc.value.message
    a.refresh_from_db()
    assert a.state == AppointmentState.BOOKED and a.ticket is None and Ticket.objects.count() == 0


def test_too_early_on_another_day_names_the_day(ward, groups):
    with pytest.raises(Conflict) as exc:
        appointment_check_in(appointment=_book(ward), now=NOW)
    assert "08:45 ngày 11/02/2026" in exc.value.message


def test_the_window_edges_are_inside(ward, groups):
    a = _book(ward)
    b = _book(ward, name="Trần Thị Bình")
    assert appointment_check_in(appointment=a, now=WED_0900 - dt.timedelta(minutes=15)).booked
    assert appointment_check_in(appointment=b, now=WED_0900 + dt.timedelta(minutes=30)).booked


def test_a_cancelled_appointment_neither_checks_in_nor_cancels_after_check_in(ward, groups):
    a = _book(ward)
    appointment_cancel(appointment=a, now=NOW)
    assert appointment_cancel(appointment=a, now=NOW).state == AppointmentState.CANCELLED, "twice: no error"
    with pytest.raises(Conflict) as exc:
        appointment_check_in(appointment=a, now=WED_0900)
    assert exc.value.code == "cancelled" and "đã được huỷ" in exc.value.message
    assert Ticket.objects.count() == 0
    b = _book(ward)
    appointment_check_in(appointment=b, now=WED_0900)
    with pytest.raises(Conflict):
        appointment_cancel(appointment=b, now=WED_0900)
    b.refresh_from_db()
    assert b.state == AppointmentState.CHECKED_IN


def test_public_read_needs_the_secret(ward, groups):
    a = _book(ward)
    assert appointment_public(pk=a.pk, secret=a.secret).pk == a.pk
    for pk, secret in (
        (a.pk, a.secret[:-1]),
        (a.pk, ""),
        (a.pk, "x" * 65),
        (a.pk + 1, a.secret),
        (2**40, "x"),
    ):
        with pytest.raises(NotFound):
            appointment_public(pk=pk, secret=secret)


def test_missed_appointments(ward, groups):
    a = _book(ward)
    b = _book(ward, name="Trần Thị Bình")
    appointment_check_in(appointment=b, now=WED_0900)
    after = WED_0900 + dt.timedelta(minutes=31)
    assert appointments_mark_missed(now=WED_0900 + dt.timedelta(minutes=29)) == 0
    assert appointments_mark_missed(now=after) == 1
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.state, b.state) == (AppointmentState.MISSED, AppointmentState.CHECKED_IN)


def test_todays_appointments_for_counter_officers_and_leaders_of_the_commune(ward, groups, staff, other_ward):
    a = _book(ward)
    _book(ward, starts_at=WED_0900 + dt.timedelta(days=1), name="Ngày Mai")
    days = appointments_today(user=staff["counter"], now=WED_0900 + dt.timedelta(hours=1))
    by_letter = {d.group.letter: d.appointments for d in days}
    assert [(x.pk, state) for x, state in by_letter["B"]] == [(a.pk, AppointmentState.MISSED)]
    assert by_letter["A"] == []
    leader = make_user(ward, Role.COMMUNE_LEADER, "lanhdao2")
    assert appointments_today(user=leader, now=WED_0900)
    with pytest.raises(NotAllowed):
        appointments_today(user=staff["specialist_econ"], now=WED_0900)
    outsider = make_user(other_ward, Role.COUNTER_OFFICER, "ak_motcua")
    assert appointments_today(user=outsider, now=WED_0900) == [], "another commune: none of A's groups"
