"""The resident's phone pages: taking a number from the QR poster's page, and the ticket."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from motcua.core import clock
from motcua.queueing.models import Ticket, TicketState
from motcua.queueing.services import counter_call_next, ticket_issue
from motcua.queueing.views import state_words

from .conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def pinned(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)


def _take(client, ward, letter):
    return client.post(reverse("queueing:take", args=[ward.code]), {"group": letter})


def test_the_qr_page_lists_the_groups_with_who_waits(client, ward, groups):
    ticket_issue(commune=ward, group_letter="B", priority=False, now=NOW)
    groups["D"].active = False
    groups["D"].save()
    resp = client.get(reverse("queueing:take", args=[ward.code]))
    html = resp.content.decode()
    assert resp.status_code == 200 and "Phường Thanh Khê" in html
    assert 'value="B"' in html and "Đất đai - Xây dựng" in html and "1 người đang chờ" in html
    assert 'value="D"' not in html, "an inactive group offers no button"
    assert "csrfmiddlewaretoken" in html and "<script" not in html
    assert "no-store" in resp["Cache-Control"]


def test_taking_a_number_from_the_page_shows_the_ticket(ward, groups):
    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("queueing:take", args=[ward.code]))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token
    assert _take(client, ward, "B").status_code == 403, "no CSRF token, no number"
    resp = client.post(
        reverse("queueing:take", args=[ward.code]), {"group": "B", "csrfmiddlewaretoken": token.group(1)}
    )
    t = Ticket.objects.get()
    assert (t.number, t.state, t.priority) == ("B001", TicketState.WAITING, False)
    assert resp.status_code == 302 and resp["Location"] == reverse("queueing:ticket", args=[t.pk, t.secret])
    ticket = client.get(resp["Location"])
    html = ticket.content.decode()
    assert ticket.status_code == 200 and "no-store" in ticket["Cache-Control"]
    assert "B001" in html and "Đất đai - Xây dựng" in html and "Đang chờ" in html
    assert "Bạn là người tiếp theo" in html and "khoảng 5 phút" in html  # 1 × 300 s
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts == [
        '<script src="/static/vendor/htmx-2.min.js" defer>',
        '<script src="/static/queueing/phone.js" defer>',
    ], "only the vendored htmx and the page's static file: no inline script (CSP)"


def test_the_place_in_line_and_the_wait(client, ward, groups):
    for _ in range(3):
        ticket_issue(commune=ward, group_letter="A", priority=False, now=NOW)
    t = ticket_issue(commune=ward, group_letter="A", priority=False, now=NOW)
    html = client.get(reverse("queueing:ticket", args=[t.pk, t.secret])).content.decode()
    assert "Còn 3 người trước bạn" in html and "khoảng 20 phút" in html


def test_the_ticket_page_re_reads_itself_while_live(client, ward, groups):
    """A live ticket's card re-reads itself on an event of the center's stream (phone.js triggers
    "queue-event") and every 30 s (htmx, no page reload: axe-core's meta-refresh rule and a
    screen reader's place); a finished ticket stops; without JavaScript «Xem lại» reloads it."""
    t = ticket_issue(commune=ward, group_letter="A", priority=False, now=NOW)
    url = reverse("queueing:ticket", args=[t.pk, t.secret])
    html = client.get(url).content.decode()
    assert 'hx-trigger="queue-event, every 30s"' in html and f'hx-get="{url}"' in html
    assert "htmx-2.min.js" in html and "queueing/phone.js" in html
    assert f'data-events="/api/queue/centers/{ward.code}/events"' in html and f'data-ticket="{t.pk}"' in html
    assert 'http-equiv="refresh"' not in html
    assert f'<a class="button primary" href="{url}">Xem lại</a>' in html
    Ticket.objects.filter(pk=t.pk).update(state=TicketState.DONE)
    html = client.get(url).content.decode()
    assert "Đã xong" in html and "hx-trigger" not in html and "htmx-2.min.js" not in html
    assert "phone.js" not in html and "data-events" not in html and "Tôi không chờ nữa" not in html


def test_the_called_ticket_names_the_counter(client, ward, groups, staff, counter1):
    t = ticket_issue(commune=ward, group_letter="B", priority=False, now=NOW)
    assert counter_call_next(actor=staff["counter"], counter=counter1, now=NOW) == t
    html = client.get(reverse("queueing:ticket", args=[t.pk, t.secret])).content.decode()
    assert "Mời bạn đến quầy số 1" in html and "queue-called" in html
    assert "Vị trí trong hàng" not in html


def test_state_words():
    t = Ticket(state=TicketState.NO_SHOW)
    assert state_words(t).startswith("Đã qua lượt")
    assert state_words(Ticket(state=TicketState.LEFT)) == "Đã rời hàng"


def test_the_same_rate_limit_as_the_api(client, ward, groups, settings):
    settings.MOTCUA_TICKET_RATE = "2/600"
    assert _take(client, ward, "A").status_code == 302
    api = client.post(
        "/api/queue/tickets", {"center": str(ward.code), "group": "A"}, content_type="application/json"
    )
    assert api.status_code == 201, "the page and the API count on one counter per client"
    resp = _take(client, ward, "A")
    assert resp.status_code == 429 and "quá nhiều lần" in resp.content.decode()
    assert Ticket.objects.count() == 2


@pytest.mark.parametrize(
    ("code", "letter"),
    [("99999", "A"), ("abc", "A"), ("20209", "Z"), ("20209", "D"), ("20209", ""), ("20209", "A\x00")],
)
def test_a_bad_center_or_group_is_a_vietnamese_404(client, ward, groups, code, letter):
    groups["D"].active = False
    groups["D"].save()
    resp = client.post(reverse("queueing:take", args=[code]), {"group": letter})
    assert resp.status_code == 404 and "Không tìm thấy" in resp.content.decode()
    assert not Ticket.objects.exists()
    if letter == "A":
        assert client.get(reverse("queueing:take", args=[code])).status_code == 404


def test_a_wrong_secret_is_404_and_shows_no_number(client, ward, groups):
    t = ticket_issue(commune=ward, group_letter="C", priority=False, now=NOW)
    for secret in ("0" * 22, t.secret[:-1], t.secret + "x", "x" * 200):
        resp = client.get(reverse("queueing:ticket", args=[t.pk, secret]))
        assert resp.status_code == 404 and "C001" not in resp.content.decode()
        assert "Không tìm thấy số thứ tự" in resp.content.decode()
    assert client.get(reverse("queueing:ticket", args=[t.pk + 1, t.secret])).status_code == 404
    # A POST leaves a phone for «Nhắn tin cho tôi khi sắp đến lượt» (notify); without one it changes nothing.
    assert client.post(reverse("queueing:ticket", args=[t.pk, t.secret])).status_code == 302
    assert Ticket.objects.get(pk=t.pk).notify_phone == ""


def test_a_priority_category_gives_a_priority_ticket(client, ward, groups):
    html = client.get(reverse("queueing:take", args=[ward.code])).content.decode()
    assert "Bạn thuộc diện ưu tiên?" in html
    for label in ("Người cao tuổi", "Người khuyết tật", "Phụ nữ mang thai", "Người có con nhỏ"):
        assert label in html
    client.post(reverse("queueing:take", args=[ward.code]), {"group": "A", "priority": ""})
    client.post(reverse("queueing:take", args=[ward.code]), {"group": "A", "priority": "cao-tuoi"})
    client.post(reverse("queueing:take", args=[ward.code]), {"group": "B", "priority": "junk\x00"})
    assert list(Ticket.objects.order_by("pk").values_list("number", "priority")) == [
        ("A001", False),
        ("A002", True),
        ("B001", False),
    ]
    t = Ticket.objects.get(number="A002")
    # The category is kept with the ticket's first event (who is served first, for the statistics).
    assert t.events.get().note == "Ưu tiên: Người cao tuổi"
    assert Ticket.objects.get(number="A001").events.get().note == ""
    html = client.get(reverse("queueing:ticket", args=[t.pk, t.secret])).content.decode()
    assert "Ưu tiên" in html and "Bạn là người tiếp theo" in html


def test_a_phone_holds_at_most_the_cap_of_live_tickets(client, ward, groups, settings):
    settings.MOTCUA_QUEUE_PHONE_MAX_LIVE = 2
    assert _take(client, ward, "A").status_code == 302
    cookie = client.cookies["motcua_phone"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["max-age"]
    assert _take(client, ward, "B").status_code == 302
    resp = _take(client, ward, "C")
    html = resp.content.decode()
    assert resp.status_code == 409 and "Điện thoại này đang giữ 2 số" in html
    a, b = Ticket.objects.order_by("pk")
    assert len({a.holder, b.holder}) == 1 and len(a.holder) == 64, "the SHA-256 of the device cookie"
    assert cookie.value.split(":")[0] not in a.holder, "the raw device id is never stored"
    for t in (a, b):
        assert reverse("queueing:ticket", args=[t.pk, t.secret]) in html, "links to the phone's live tickets"
    assert Ticket.objects.count() == 2
    # Another phone is not held back; a served ticket frees a place.
    assert _take(Client(), ward, "C").status_code == 302
    Ticket.objects.filter(pk=a.pk).update(state=TicketState.DONE)
    assert _take(client, ward, "C").status_code == 302
    # A forged device cookie is a new phone, not someone else's.
    forged = Client()
    forged.cookies["motcua_phone"] = cookie.value.split(":")[0] + ":forged"
    assert _take(forged, ward, "D").status_code == 302
    assert Ticket.objects.get(number="D001").holder != a.holder


def test_yesterdays_ticket_has_expired(client, ward, groups):
    t = ticket_issue(commune=ward, group_letter="A", priority=False, now=NOW - dt.timedelta(days=1))
    html = client.get(reverse("queueing:ticket", args=[t.pk, t.secret])).content.decode()
    assert "Số này đã hết hiệu lực (ngày 09/02/2026)" in html
    assert "hx-trigger" not in html and "Vị trí trong hàng" not in html and "Tôi không chờ nữa" not in html
    client.post(reverse("queueing:leave", args=[t.pk, t.secret]))
    assert Ticket.objects.get().state == TicketState.WAITING


def test_i_do_not_wait_any_more(client, ward, groups):
    t = ticket_issue(commune=ward, group_letter="A", priority=False, now=NOW)
    behind = ticket_issue(commune=ward, group_letter="A", priority=False, now=NOW)
    url = reverse("queueing:ticket", args=[t.pk, t.secret])
    html = client.get(url).content.decode()
    assert "Tôi không chờ nữa" in html and 'data-confirm="Bạn chắc chắn không chờ nữa?' in html
    leave = reverse("queueing:leave", args=[t.pk, t.secret])
    assert client.get(leave).status_code == 405
    assert client.post(reverse("queueing:leave", args=[t.pk, "0" * 22])).status_code == 404
    assert Ticket.objects.get(pk=t.pk).state == TicketState.WAITING
    resp = client.post(leave)
    assert resp.status_code == 302 and resp["Location"] == url
    t.refresh_from_db()
    assert t.state == TicketState.LEFT and t.events.last().kind == "LEFT"
    assert "Đã rời hàng" in client.get(url).content.decode()
    assert client.post(leave).status_code == 302, "twice: nothing more happens"
    assert t.events.filter(kind="LEFT").count() == 1
    html = client.get(reverse("queueing:ticket", args=[behind.pk, behind.secret])).content.decode()
    assert "Bạn là người tiếp theo" in html


def test_a_phone_that_drops_its_cookie_is_still_capped_by_its_address(ward, groups, settings):
    settings.MOTCUA_QUEUE_PHONE_MAX_LIVE = 2
    settings.MOTCUA_QUEUE_ADDRESS_MAX_LIVE = 3
    codes = []
    for _ in range(4):
        resp = Client().post(
            reverse("queueing:take", args=[ward.code]), {"group": "A"}
        )  # a fresh cookie each time
        codes.append(resp.status_code)
    assert codes == [302, 302, 302, 409]
    assert Ticket.objects.count() == 3
    assert len(set(Ticket.objects.values_list("holder", flat=True))) == 3
    assert len(set(Ticket.objects.values_list("address", flat=True))) == 1
