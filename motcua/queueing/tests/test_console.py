"""The officer's console (issue 8 §4): choose a counter, then work the line from it."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from motcua.core import clock
from motcua.org.models import Role
from motcua.queueing.models import Counter, EventKind, Ticket, TicketState
from motcua.queueing.services import counter_call_next, ticket_issue
from motcua.testing import make_counter, make_procedure, make_service_groups, make_staff, make_user

from .conftest import NOW

pytestmark = pytest.mark.django_db
S = TicketState
HX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def pinned(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def _issue(ward, letter="A", **kw):
    return ticket_issue(commune=ward, group_letter=letter, priority=kw.pop("priority", False), now=NOW, **kw)


def _act(client, counter, action, data=None, htmx=True):
    url = reverse("queueing:console_act", args=[counter.pk, action])
    return client.post(url, data or {}, headers=HX if htmx else {})


def test_the_counters_page_shows_who_sits_where(ward, groups, staff, counter1, counter2, officer2):
    make_counter(ward, 3, "D", officer=officer2)
    html = _client(staff["counter"]).get(reverse("queueing:console")).content.decode()
    assert "Quầy 1" in html and "Quầy 2" in html and "Quầy 3" in html
    assert "Bạn" in html and officer2.display_name in html
    assert html.count("Ngồi quầy này") == 1  # only quầy 2 is free
    assert "Rời quầy" in html
    assert reverse("queueing:console") in html, "the staff navigation links to the console"


def test_sit_and_leave_and_a_taken_counter_is_refused(ward, groups, staff, counter1, counter2, officer2):
    me = _client(staff["counter"])
    resp = _act(me, counter2, "sit", htmx=False)
    assert resp.status_code == 302 and resp["Location"] == reverse(
        "queueing:console_counter", args=[counter2.pk]
    )
    assert list(Counter.objects.filter(officer=staff["counter"])) == [counter2]  # left quầy 1
    other = _client(officer2)
    resp = _act(other, counter2, "sit")
    assert resp.status_code == 200 and "đang do cán bộ khác phụ trách" in resp.content.decode()
    assert Counter.objects.get(pk=counter2.pk).officer == staff["counter"]
    resp = _act(me, counter2, "leave", htmx=False)
    assert resp["Location"] == reverse("queueing:console")
    assert Counter.objects.get(pk=counter2.pk).officer is None


def test_only_counter_officers_use_the_console(ward, groups, staff, counter1):
    for role in ("leader", "admin", "specialist_econ"):
        c = _client(staff[role])
        # the leader and the administrator see the counters (to free one), nothing more
        assert c.get(reverse("queueing:console")).status_code == (403 if role == "specialist_econ" else 200)
        assert c.get(reverse("queueing:console_counter", args=[counter1.pk])).status_code == 403
        assert _act(c, counter1, "call").status_code == 403
    assert Client().get(reverse("queueing:console")).status_code == 302  # to the login page


def test_another_communes_counter_is_404_and_changes_nothing(ward, groups, staff, counter1, other_ward):
    outsider = make_staff(other_ward, prefix="ak_")["counter"]
    make_service_groups(other_ward)
    theirs = make_counter(other_ward, 1, "A")
    _issue(ward)
    c = _client(outsider)
    assert c.get(reverse("queueing:console_counter", args=[counter1.pk])).status_code == 404
    assert c.get(reverse("queueing:console_state", args=[counter1.pk])).status_code == 404
    assert c.get(reverse("queueing:console_intake", args=[counter1.pk]) + "?so=1").status_code == 404
    for action in ("call", "sit", "leave"):
        assert _act(c, counter1, action).status_code == 404
    assert Ticket.objects.get().state == S.WAITING
    assert Counter.objects.get(pk=counter1.pk).officer == staff["counter"]
    # and our officer cannot touch their counter, nor a ticket of ours through it
    assert _act(_client(staff["counter"]), theirs, "call").status_code == 404
    html = _client(outsider).get(reverse("queueing:console")).content.decode()
    assert reverse("queueing:console_counter", args=[theirs.pk]) in html
    assert reverse("queueing:console_counter", args=[counter1.pk]) not in html


def test_steps_are_post_only(ward, groups, staff, counter1):
    c = _client(staff["counter"])
    assert c.get(reverse("queueing:console_act", args=[counter1.pk, "call"])).status_code == 405
    assert _act(c, counter1, "teleport").status_code == 404
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(staff["counter"])
    assert _act(strict, counter1, "call").status_code == 403


def test_a_day_at_the_counter(ward, groups, staff, counter1, counter2, settings):
    settings.MOTCUA_QUEUE_MAX_RECALLS = 3
    c = _client(staff["counter"])
    p = _issue(ward, "B", priority=True)
    _issue(ward, "A")
    _issue(ward, "A")
    page = c.get(reverse("queueing:console_counter", args=[counter1.pk])).content.decode()
    assert "Chưa có số nào được gọi" in page and "Gọi số tiếp theo" in page
    assert 'hx-trigger="every 5s, queue-event"' in page and "queueing/console.js" in page
    assert re.search(r"Nhóm <strong>A</strong> — Hộ tịch: <strong>2</strong>", page)
    assert "B001</strong> (ưu tiên)" in page  # next numbers, priority first

    html = _act(c, counter1, "call").content.decode()
    assert 'id="console-state"' in html and "<html" not in html  # the block alone for htmx
    assert re.search(r'class="console-number"[^>]*>B001<', html) and "Ưu tiên" in html
    assert "Gọi lại (0/3)" in html
    html = _act(c, counter1, "recall", {"ticket": p.pk}).content.decode()
    assert "Gọi lại (1/3)" in html
    html = _act(c, counter1, "start", {"ticket": p.pk}).content.decode()
    assert "Đang phục vụ" in html and "Gọi lại" not in html
    html = _act(c, counter1, "hold", {"ticket": p.pk, "reason": "Đi photo\x00 CCCD"}).content.decode()
    assert Ticket.objects.get(pk=p.pk).state == S.HELD
    assert "Số tạm hoãn (1)" in html and "Tiếp tục B001" in html and "Đi photo CCCD" in html
    a1 = Ticket.objects.get(number="A001")
    _act(c, counter1, "call")
    html = _act(c, counter1, "transfer", {"ticket": a1.pk, "group": "C", "counter": ""}).content.decode()
    a1.refresh_from_db()
    assert (a1.state, a1.queue_group) == (S.WAITING, groups["C"])
    html = _act(c, counter1, "resume", {"ticket": p.pk}).content.decode()
    assert re.search(r'class="console-number"[^>]*>B001<', html)
    html = _act(c, counter1, "finish", {"ticket": p.pk}).content.decode()
    assert Ticket.objects.get(pk=p.pk).state == S.DONE
    assert "Chưa có số nào được gọi" in html
    kinds = list(Ticket.objects.get(pk=p.pk).events.values_list("kind", flat=True))
    assert kinds == ["ISSUED", "CALLED", "RECALLED", "STARTED", "HELD", "RESUMED", "FINISHED"]


def test_refusals_are_said_on_the_console_in_vietnamese_and_change_nothing(ward, groups, staff, counter1):
    c = _client(staff["counter"])
    t = _issue(ward)
    counter_call_next(actor=staff["counter"], counter=counter1, now=NOW)
    bad = [
        ("hold", {"ticket": t.pk, "reason": "x" * 201}, "dài quá 200 ký tự"),
        ("transfer", {"ticket": t.pk, "group": "Z"}, "Nhóm dịch vụ chuyển đến không tồn tại"),
        ("transfer", {"ticket": t.pk, "group": "\x00"}, "một chữ cái"),
        ("transfer", {"ticket": t.pk, "counter": "9" * 50}, "Quầy chuyển đến không tồn tại"),
        ("transfer", {"ticket": t.pk, "counter": "x\x00"}, "Quầy chuyển đến không tồn tại"),
        ("transfer", {"ticket": t.pk}, "Hãy chọn nhóm dịch vụ hoặc quầy"),
        ("resume", {"ticket": t.pk}, "Không thể «Tiếp tục phục vụ»"),
    ]
    for action, data, said in bad:
        resp = _act(c, counter1, action, data)
        assert resp.status_code == 200 and 'role="alert"' in resp.content.decode(), action
        assert said in resp.content.decode(), (action, data)
    for raw in ("abc", "9" * 30, "\x00", ""):
        assert _act(c, counter1, "finish", {"ticket": raw}).status_code == 404
    t.refresh_from_db()
    assert (t.state, t.counter, t.events.count()) == (S.CALLED, counter1, 2)
    # without htmx: the message on the page after the redirect
    resp = _act(c, counter1, "resume", {"ticket": t.pk}, htmx=False)
    assert resp.status_code == 302
    assert "Không thể «Tiếp tục phục vụ»" in c.get(resp["Location"]).content.decode()


def test_an_officer_at_another_counter_only_watches(ward, groups, staff, counter1, officer2):
    _issue(ward)
    html = _client(officer2).get(reverse("queueing:console_counter", args=[counter1.pk])).content.decode()
    assert "bạn chỉ xem được" in html and "Gọi số tiếp theo" not in html
    assert _act(_client(officer2), counter1, "call").status_code == 200
    assert Ticket.objects.get().state == S.WAITING


def test_the_state_block_counts_only_the_groups_served_now_and_directed_tickets(
    ward, groups, staff, counter1, officer2
):
    from motcua.queueing.models import CounterHours
    from motcua.queueing.services import ticket_transfer

    CounterHours.objects.create(
        counter=counter1, group=groups["B"], starts=NOW.time(), ends=NOW.time().replace(hour=9)
    )
    q3 = make_counter(ward, 3, "C", officer=officer2)
    t = _issue(ward, "C")
    counter_call_next(actor=officer2, counter=q3, now=NOW)
    ticket_transfer(actor=officer2, counter=q3, ticket=t, now=NOW, to_group=groups["A"], to_counter=counter1)
    html = (
        _client(staff["counter"]).get(reverse("queueing:console_state", args=[counter1.pk])).content.decode()
    )
    assert "Nhóm <strong>B</strong>" in html and "Chuyển riêng tới quầy này: <strong>1</strong>" in html
    assert "C001</strong>" in html
    assert t.events.filter(kind=EventKind.TRANSFERRED).count() == 1


def test_the_intake_picker_carries_the_ticket(ward, groups, staff, counter1):
    make_procedure()
    t = _issue(ward)
    counter_call_next(actor=staff["counter"], counter=counter1, now=NOW)
    c = _client(staff["counter"])
    url = reverse("queueing:console_intake", args=[counter1.pk])
    html = c.get(url, {"so": t.pk, "q": "khai sinh"}).content.decode()
    assert "Tiếp nhận hồ sơ cho số A001" in html
    assert reverse("dossiers:intake", args=["1.001193"]) + f"?so={t.pk}" in html
    frag = c.get(url, {"so": t.pk, "q": "khai\x00 sinh" + "x" * 500}, headers=HX)
    assert frag.status_code == 200 and "<html" not in frag.content.decode()
    assert c.get(url, {"so": "x"}).status_code == 404
    outsider_ticket_pk = 10**12
    assert c.get(url, {"so": outsider_ticket_pk}).status_code == 404


def test_the_officer_needs_the_counter_officer_role_of_the_commune(ward, groups, counter2):
    leader = make_user(ward, Role.COMMUNE_LEADER, "ct2")
    assert _client(leader).post(reverse("queueing:console_act", args=[counter2.pk, "sit"])).status_code == 403
