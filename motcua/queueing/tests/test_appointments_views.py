"""Appointments' pages: booking step by step, the confirmation, check-in, cancel, today's list."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from motcua.core import clock
from motcua.org.models import Role
from motcua.queueing.appointments import appointment_book, appointment_check_in
from motcua.queueing.models import Appointment, AppointmentState, Ticket, TicketSource
from motcua.queueing.views import PHONE_COOKIE as DEVICE_COOKIE
from motcua.testing import make_service_groups, make_user

from .conftest import NOW, VN

pytestmark = pytest.mark.django_db

WED_0900 = dt.datetime(2026, 2, 11, 9, 0, tzinfo=VN)


@pytest.fixture(autouse=True)
def pinned():
    with clock.pinned(NOW):
        yield


def _book_url(ward, **q):
    url = reverse("queueing:book", args=[ward.code])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in q.items()) if q else "")


def _post(client, ward, **data):
    body = {"group": "B", "day": "2026-02-11", "slot": "09:00", "name": "Nguyễn Văn An", "phone": ""} | data
    return client.post(reverse("queueing:book", args=[ward.code]), body)


def _appt(ward, name="Nguyễn Văn An", starts_at=WED_0900):
    return appointment_book(commune=ward, group_letter="B", starts_at=starts_at, name=name, phone="", now=NOW)


def _url(a):
    return reverse("queueing:appointment", args=[a.pk, a.secret])


def test_booking_step_by_step(client, ward, groups):
    groups["D"].appointment_capacity = 0
    groups["D"].save()
    html = client.get(_book_url(ward)).content.decode()
    assert "Chọn lĩnh vực" in html and "?group=B" in html and "?group=D" not in html, "D takes no booking"
    resp = client.get(_book_url(ward, group="B"))
    html = resp.content.decode()
    assert "Chọn ngày" in html and "Thứ Tư, 11/02/2026" in html and "còn 30 chỗ" in html  # 15 slots × 2
    assert "Thứ Ba, 10/02/2026" in html and "còn 26 chỗ" in html  # today from 08:30
    assert "14/02/2026" not in html and "17/02/2026" not in html, "Saturday, Tết"
    assert "no-store" in resp["Cache-Control"]
    _appt(ward)
    _appt(ward, name="Trần Thị Bình")
    html = client.get(_book_url(ward, group="B", day="2026-02-11")).content.decode()
    assert "Chọn giờ" in html and "còn 28 chỗ" not in html
    assert "slot=09:00" not in html and "Hết chỗ" in html and "slot=09:30" in html
    html = client.get(_book_url(ward, group="B", day="2026-02-11", slot="09:30")).content.decode()
    assert 'name="name"' in html and 'value="09:30"' in html and "09:30–10:00" in html


def test_booking_gives_the_confirmation_with_its_qr(ward, groups):
    client = Client(enforce_csrf_checks=True)
    form = client.get(_book_url(ward, group="B", day="2026-02-11", slot="09:00")).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    assert token
    assert _post(client, ward).status_code == 403, "no CSRF token, no booking"
    resp = _post(client, ward, csrfmiddlewaretoken=token.group(1), phone="0905 123 456")
    a = Appointment.objects.get()
    assert (a.name, a.phone, a.starts_at, a.state) == ("Nguyễn Văn An", "0905123456", WED_0900, "BOOKED")
    assert resp.status_code == 302 and resp["Location"] == _url(a)
    assert a.holder and DEVICE_COOKIE in resp.cookies and a.holder not in resp.cookies[DEVICE_COOKIE].value
    page = client.get(resp["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert "09:00–09:30" in html and "Thứ Tư, 11/02/2026" in html and "Đất đai - Xây dựng" in html
    assert "<svg" in html and "Mã QR của lịch hẹn" in html and "Huỷ lịch hẹn" in html
    assert "từ 08:45 đến 09:30" in html and reverse("catalog:list") in html
    assert "<script" not in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, "Vui lòng nhập họ và tên."),
        ({"name": "A\x00"}, None),  # cleaned: the NUL is dropped, the booking made
        ({"name": "A" * 101}, "tối đa 100 ký tự"),
        ({"phone": "12345"}, "Số điện thoại di động"),
        ({"phone": "0905\x00123456"}, "Số điện thoại di động không hợp lệ."),
        ({"phone": "9" * 5000}, "Số điện thoại di động không hợp lệ."),
    ],
)
def test_bad_input_re_shows_the_form(client, ward, groups, data, message):
    resp = _post(client, ward, **data)
    if message is None:
        assert resp.status_code == 302 and Appointment.objects.get().name == "A"
        return
    html = resp.content.decode()
    assert resp.status_code == 422 and message in html and 'name="name"' in html
    assert Appointment.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"slot": "09:10"}, 200),  # not a slot: the slots again
        ({"slot": "\x00"}, 200),
        ({"day": "2026-02-14"}, 200),  # Saturday: the days again
        ({"day": "2026-13-45"}, 200),
        ({"day": "x" * 5000}, 200),
        ({"group": "Z"}, 404),
        ({"group": "\x00"}, 404),
    ],
)
def test_a_bad_choice_books_nothing(client, ward, groups, data, status):
    resp = _post(client, ward, **data)
    assert resp.status_code == status and Appointment.objects.count() == 0
    if status == 200:
        assert "không" in resp.content.decode() and 'name="name"' not in resp.content.decode()


def test_a_full_slot_and_the_per_phone_cap_are_explained(client, ward, groups):
    _appt(ward)
    _appt(ward, name="Trần Thị Bình")
    resp = _post(client, ward)
    assert resp.status_code == 409 and "vừa hết chỗ" in resp.content.decode()
    assert _post(client, ward, slot="10:00").status_code == 302
    assert _post(client, ward, slot="10:30").status_code == 302
    resp = _post(client, ward, slot="11:00")
    assert resp.status_code == 409 and "đã có 2 lịch hẹn" in resp.content.decode()
    assert Appointment.objects.count() == 4
    other = Client()
    assert _post(other, ward, slot="11:00").status_code == 302, "another phone"


def test_unknown_center_is_a_vietnamese_404(client, ward, groups):
    resp = client.get(reverse("queueing:book", args=["99999"]))
    assert resp.status_code == 404 and "Không tìm thấy trung tâm" in resp.content.decode()


def test_check_in_within_the_window_leads_to_the_ticket(client, ward, groups):
    a = _appt(ward)
    with clock.pinned(WED_0900 - dt.timedelta(minutes=10)):
        html = client.get(_url(a)).content.decode()
        assert "Tôi đã đến — lấy số" in html
        resp = client.post(_url(a), {"action": "checkin"})
        t = Ticket.objects.get()
        assert resp.status_code == 302 and resp["Location"] == reverse(
            "queueing:ticket", args=[t.pk, t.secret]
        )
        assert (t.booked, t.source, t.number) == (True, TicketSource.APPOINTMENT, "B001")
        again = client.post(_url(a), {"action": "checkin"})
        assert again["Location"] == resp["Location"] and Ticket.objects.count() == 1
        html = client.get(_url(a)).content.decode()
        assert "Đã đến" in html and "Xem số B001" in html and "Huỷ lịch hẹn" not in html


@pytest.mark.parametrize(
    ("at", "message", "take_link"),
    [
        (WED_0900 - dt.timedelta(minutes=20), "Chưa đến giờ hẹn; bạn có thể nhận số từ 08:45", False),
        (
            WED_0900 + dt.timedelta(minutes=40),
            "Lịch hẹn đã quá giờ (hết lúc 09:30). Bạn vẫn có thể lấy số thường.",
            True,
        ),
    ],
)
def test_check_in_outside_the_window_is_refused_and_changes_nothing(
    client, ward, groups, at, message, take_link
):
    a = _appt(ward)
    with clock.pinned(at):
        resp = client.post(_url(a), {"action": "checkin"})
    html = resp.content.decode()
    assert resp.status_code == 409 and message in html
    assert (reverse("queueing:take", args=[ward.code]) in html) == take_link
    a.refresh_from_db()
    assert a.state == AppointmentState.BOOKED and Ticket.objects.count() == 0


def test_past_appointments_never_checked_in_show_as_missed(client, ward, groups):
    a = _appt(ward)
    with clock.pinned(WED_0900 + dt.timedelta(hours=1)):
        html = client.get(_url(a)).content.decode()
    assert "Không đến" in html and "Tôi đã đến" not in html and "Huỷ lịch hẹn" not in html


def test_cancel(client, ward, groups):
    a = _appt(ward)
    resp = client.post(_url(a), {"action": "cancel"})
    assert resp.status_code == 302 and resp["Location"] == _url(a)
    a.refresh_from_db()
    assert a.state == AppointmentState.CANCELLED
    html = client.get(_url(a)).content.decode()
    assert "Đã huỷ" in html and "Tôi đã đến" not in html
    with clock.pinned(WED_0900):
        resp = client.post(_url(a), {"action": "checkin"})
    assert resp.status_code == 409 and "đã được huỷ" in resp.content.decode() and Ticket.objects.count() == 0
    assert client.post(_url(a), {"action": "\x00"}).status_code == 400


def test_a_forged_secret_is_the_vietnamese_404(client, ward, groups):
    a = _appt(ward)
    for secret in (a.secret[:-1], a.secret + "x", "0" * 22):
        resp = client.post(reverse("queueing:appointment", args=[a.pk, secret]), {"action": "cancel"})
        assert resp.status_code == 404 and "Không tìm thấy lịch hẹn." in resp.content.decode()
        assert client.get(reverse("queueing:appointment", args=[a.pk, secret])).status_code == 404
    a.refresh_from_db()
    assert a.state == AppointmentState.BOOKED


def test_todays_list_for_counter_officers_and_leaders_of_the_commune(client, ward, groups, staff, other_ward):
    a = appointment_book(
        commune=ward, group_letter="B", starts_at=dt.datetime(2026, 2, 10, 9, 0, tzinfo=VN),
        name="Nguyễn Văn An", phone="0905123456", now=NOW,
    )  # fmt: skip
    appointment_check_in(appointment=a, now=dt.datetime(2026, 2, 10, 8, 50, tzinfo=VN))
    url = reverse("queueing:appointments_today")
    assert client.get(url).status_code == 302, "login first"
    for user in (staff["counter"], staff["leader"]):
        client.force_login(user)
        resp = client.get(url)
        html = resp.content.decode()
        assert resp.status_code == 200 and "Nguyễn Văn An" in html and "Đã đến" in html and "B001" in html
        assert "0905123456" not in html and "********56" in html
    client.force_login(staff["specialist_econ"])
    assert client.get(url).status_code == 403
    make_service_groups(other_ward)
    client.force_login(make_user(other_ward, Role.COUNTER_OFFICER, "ak_motcua"))
    resp = client.get(url)
    assert resp.status_code == 200 and "Nguyễn Văn An" not in resp.content.decode()


def test_a_phones_bookings_and_tickets_share_one_device_cookie(ward, groups):
    client = Client()
    client.post(reverse("queueing:take", args=[ward.code]), {"group": "A"})
    assert DEVICE_COOKIE in client.cookies
    _post(client, ward)
    a = Appointment.objects.get()
    assert a.holder and a.holder == Ticket.objects.get().holder
