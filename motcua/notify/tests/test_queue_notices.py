"""«Nhắn tin cho tôi khi sắp đến lượt»: the ticket page's phone, and one notice when the line
moves so that MOTCUA_NOTIFY_QUEUE_AHEAD people are ahead."""

import datetime as dt

import pytest
from django.urls import reverse

from motcua.core import clock
from motcua.notify.models import Message
from motcua.queueing.models import Ticket
from motcua.queueing.services import counter_call_next, ticket_issue, ticket_set_notify_phone
from motcua.queueing.tests.conftest import NOW
from motcua.testing import make_commune, make_counter, make_service_groups, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def ward(db):
    ward = make_commune()
    make_service_groups(ward)
    return ward


@pytest.fixture
def staff(ward):
    return make_staff(ward)


@pytest.fixture
def counter1(ward, staff):
    return make_counter(ward, 1, "AB", officer=staff["counter"])


@pytest.fixture(autouse=True)
def pinned():
    with clock.pinned(NOW):
        yield


def _line(ward, n):
    return [ticket_issue(commune=ward, group_letter="B", priority=False, now=NOW) for _ in range(n)]


def _call(staff, counter1, minutes):
    t = counter_call_next(actor=staff["counter"], counter=counter1, now=NOW + dt.timedelta(minutes=minutes))
    Ticket.objects.filter(pk=t.pk).update(state="DONE")  # served, the counter is free again
    return t


def test_the_ticket_page_takes_a_phone_and_the_line_tells_it_once(client, ward, staff, counter1):
    tickets = _line(ward, 6)
    sixth = tickets[5]
    url = reverse("queueing:ticket", args=[sixth.pk, sixth.secret])
    page = client.get(url).content.decode()
    assert "Nhắn tin cho tôi khi sắp đến lượt" in page
    resp = client.post(url, {"sdt_bao": "+84 905 123 456"})
    assert resp.status_code == 302
    sixth.refresh_from_db()
    assert sixth.notify_phone == "0905123456"
    assert "Sẽ nhắn tin tới số ********56" in client.get(url).content.decode()
    assert not Message.objects.exists()  # 5 people ahead
    _call(staff, counter1, 1)  # B001 called: 4 ahead of B006
    assert not Message.objects.exists()
    _call(staff, counter1, 2)  # B002 called: 3 ahead
    [message] = Message.objects.all()
    assert message.topic == "queue.almost" and message.recipient == "0905123456"
    assert message.body.startswith("Số B006: còn 3 người trước ông/bà. Mời ông/bà đến gần quầy.")
    assert message.dedupe_key == f"queue:{sixth.pk}:almost:phone"
    _call(staff, counter1, 3)  # 2 ahead: no second notice
    assert Message.objects.count() == 1


def test_a_phone_left_near_the_front_is_told_at_once(ward, staff, counter1):
    tickets = _line(ward, 3)
    ticket_set_notify_phone(ticket=tickets[2], phone="0905123456", now=NOW)
    [message] = Message.objects.all()
    assert message.body.startswith("Số B003: còn 2 người trước ông/bà.")


@pytest.mark.parametrize(("value", "status"), [("12345", 422), ("0905\x00123456", 422), ("9" * 40, 422)])
def test_a_bad_phone_is_refused_in_vietnamese(client, ward, counter1, value, status):
    [t] = _line(ward, 1)
    resp = client.post(reverse("queueing:ticket", args=[t.pk, t.secret]), {"sdt_bao": value})
    assert resp.status_code == status
    assert "Số điện thoại di động" in resp.content.decode()
    t.refresh_from_db()
    assert t.notify_phone == ""


def test_a_ticket_no_longer_waiting_refuses(client, ward, staff, counter1):
    [t] = _line(ward, 1)
    counter_call_next(actor=staff["counter"], counter=counter1, now=NOW)
    resp = client.post(reverse("queueing:ticket", args=[t.pk, t.secret]), {"sdt_bao": "0905123456"})
    assert resp.status_code == 409 and "không còn chờ" in resp.content.decode()
    t.refresh_from_db()
    assert t.notify_phone == ""


def test_a_wrong_secret_is_not_found(client, ward, counter1):
    [t] = _line(ward, 1)
    resp = client.post(reverse("queueing:ticket", args=[t.pk, "x" * 32]), {"sdt_bao": "0905123456"})
    assert resp.status_code == 404
    t.refresh_from_db()
    assert t.notify_phone == ""
