"""The appointments' API: slots, booking, check-in, and their refusals in the one error shape."""

import datetime as dt
import json

import pytest
from django.test import Client

from motcua.core import clock
from motcua.queueing.models import Appointment, AppointmentState, Ticket

from .conftest import NOW, VN

pytestmark = pytest.mark.django_db

WED_0900 = dt.datetime(2026, 2, 11, 9, 0, tzinfo=VN)


@pytest.fixture(autouse=True)
def _pinned():
    with clock.pinned(NOW):
        yield


def _book(ward, **body):
    payload = {"center": str(ward.code), "group": "B", "starts_at": "2026-02-11T09:00:00+07:00",
               "name": "Nguyễn Văn An", "phone": "0905123456"} | body  # fmt: skip
    return Client().post("/api/queue/appointments", json.dumps(payload), content_type="application/json")


def _error(resp, status, code=None):
    assert resp.status_code == status, resp.content
    body = resp.json()
    assert set(body) == {"code", "message", "details"} and body["message"]
    if code:
        assert body["code"] == code
    return body


def test_slots_then_book_then_check_in(ward, groups, settings):
    resp = Client().get(f"/api/queue/centers/{ward.code}/slots", {"group": "b", "day": "2026-02-11"})
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["group"] == "B" and body["day"] == "2026-02-11" and len(body["slots"]) == 15
    assert body["slots"][0] == {
        "starts_at": "2026-02-11T07:30:00+07:00", "ends_at": "2026-02-11T08:00:00+07:00", "capacity": 2, "free": 2,
    }  # fmt: skip
    resp = _book(ward)
    assert resp.status_code == 201, resp.content
    out = resp.json()
    a = Appointment.objects.get()
    assert out == {
        "id": a.pk, "status_url": f"{settings.MOTCUA_PUBLIC_URL}/lay-so/hen/{a.pk}/{a.secret}/",
        "starts_at": "2026-02-11T09:00:00+07:00", "ends_at": "2026-02-11T09:30:00+07:00",
    }  # fmt: skip
    slots = Client().get(f"/api/queue/centers/{ward.code}/slots", {"group": "B", "day": "2026-02-11"}).json()
    assert [s["free"] for s in slots["slots"] if s["starts_at"].startswith("2026-02-11T09:00")] == [1]
    url = f"/api/queue/appointments/{a.pk}/check-in"
    with clock.pinned(WED_0900 - dt.timedelta(minutes=5)):
        resp = Client().post(f"{url}?secret={a.secret}")
        assert resp.status_code == 201, resp.content
        ticket = resp.json()
        assert (
            ticket["number"] == "B001"
            and ticket["state"] == "WAITING"
            and "/lay-so/ve/" in ticket["status_url"]
        )
        again = Client().post(f"{url}?secret={a.secret}")
    assert again.status_code == 201 and again.json()["id"] == ticket["id"] and Ticket.objects.count() == 1
    t = Ticket.objects.get()
    assert t.booked and t.source == "APPOINTMENT"


def test_a_day_off_has_no_slots(ward, groups):
    resp = Client().get(f"/api/queue/centers/{ward.code}/slots", {"group": "B", "day": "2026-02-14"})
    assert resp.status_code == 200 and resp.json()["slots"] == []


@pytest.mark.parametrize(
    ("query", "status"),
    [({"group": "Z", "day": "2026-02-11"}, 404), ({"group": "\x00", "day": "2026-02-11"}, 422),
     ({"group": "B", "day": "2026-02-31"}, 422), ({"group": "B", "day": "x" * 5000}, 422), ({"group": "B"}, 422)],
)  # fmt: skip
def test_bad_slot_queries(ward, groups, query, status):
    assert Client().get(f"/api/queue/centers/{ward.code}/slots", query).status_code == status


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"name": "A" * 101}, 422, "name_too_long"),
        ({"name": ""}, 422, "name_required"),
        ({"phone": "0905\u0000123456"}, 422, "bad_phone"),
        ({"phone": "1" * 5000}, 422, "bad_phone"),
        ({"starts_at": "2026-02-11T09:10:00+07:00"}, 422, "bad_slot"),
        ({"starts_at": "2026-02-14T09:00:00+07:00"}, 422, "bad_slot"),
        ({"center": "99999"}, 404, "center_not_found"),
        ({"group": "Z"}, 404, "group_not_found"),
        ({"starts_at": "not a date"}, 422, None),
        # At the edge of the calendar: converting to local time overflows (was a 500).
        ({"starts_at": "9999-12-31T23:30:00-12:00"}, 422, "bad_slot"),
        ({"starts_at": "0001-01-01T00:00:00+14:00"}, 422, "bad_slot"),
    ],
)
def test_bad_bookings_are_refused(ward, groups, body, status, code):
    resp = _book(ward, **body)
    assert resp.status_code == status, resp.content
    if code:
        _error(resp, status, code)
    assert Appointment.objects.count() == 0


def test_a_full_slot_is_a_409(ward, groups):
    assert _book(ward).status_code == 201 and _book(ward, name="B").status_code == 201
    _error(_book(ward, name="C"), 409, "slot_full")
    assert Appointment.objects.count() == 2


def test_a_naive_time_is_local(ward, groups):
    assert _book(ward, starts_at="2026-02-11T09:00:00").json()["starts_at"] == "2026-02-11T09:00:00+07:00"


def test_check_in_refusals_change_nothing(ward, groups):
    a = Appointment.objects.get(pk=_book(ward).json()["id"])
    url = f"/api/queue/appointments/{a.pk}/check-in"
    for secret in ("", a.secret[:-1], "0" * 22):
        _error(Client().post(f"{url}?secret={secret}"), 404, "appointment_not_found")
    _error(Client().post(f"/api/queue/appointments/{2**40}/check-in?secret=x"), 404)
    _error(Client().post(f"{url}?secret={a.secret}"), 409, "too_early")
    with clock.pinned(WED_0900 + dt.timedelta(hours=1)):
        body = _error(Client().post(f"{url}?secret={a.secret}"), 409, "too_late")
    assert "hết lúc 09:30" in body["message"]
    a.refresh_from_db()
    assert a.state == AppointmentState.BOOKED and Ticket.objects.count() == 0


def test_booking_is_rate_limited_per_client(ward, groups, settings):
    settings.MOTCUA_TICKET_RATE = "1/600"
    assert _book(ward).status_code == 201
    _error(_book(ward, name="B"), 429)
    assert Appointment.objects.count() == 1


def test_one_address_holds_a_bounded_number_of_future_bookings(ward, groups, settings):
    """The API carries no device cookie: the client's address caps it (else one script books every
    slot of every day)."""
    settings.MOTCUA_QUEUE_ADDRESS_MAX_BOOKINGS = 3
    groups["B"].appointment_capacity = 50
    groups["B"].save()
    codes = [_book(ward).status_code for _ in range(4)]
    assert codes == [201, 201, 201, 409]
    assert Appointment.objects.count() == 3
    _error(_book(ward), 409, "too_many_bookings")
