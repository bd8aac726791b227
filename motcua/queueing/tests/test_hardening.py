"""The queue's state machine hardened (issue 8 review, findings 9–11): a busy counter calls no
one, an officer does not walk away from a called ticket to another counter, a counter held by
someone who went home is freed (logout, deactivation, «Giải phóng quầy»), and tickets of
earlier days are neither live nor workable, and are closed by `close_earlier_days`."""

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import reverse

from motcua.core import clock
from motcua.core.errors import Conflict, NotAllowed
from motcua.org.models import ApiToken
from motcua.queueing.console import console_state
from motcua.queueing.models import Counter, EventKind, Ticket, TicketEvent, TicketState
from motcua.queueing.services import (
    DAY_OVER_NOTE,
    close_earlier_days,
    counter_call_next,
    counter_free,
    counter_sit,
    ticket_finish,
    ticket_for_intake,
    ticket_hold,
    ticket_issue,
    ticket_start,
)
from motcua.testing import make_counter, make_service_groups, make_staff

from .conftest import NOW

S = TicketState
MIN = dt.timedelta(minutes=1)
YESTERDAY = NOW - dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def _pinned():
    with clock.pinned(NOW):
        yield


def _issue(ward, letter="A", now=NOW):
    return ticket_issue(commune=ward, group_letter=letter, priority=False, now=now)


def _client(user):
    c = Client()
    c.force_login(user)
    return c


# --- 10. A counter with a ticket called or being served calls no one else ---------------------


def test_call_next_is_refused_while_the_counter_has_a_called_or_served_ticket(ward, groups, staff, counter1):
    officer = staff["counter"]
    first, second, third = _issue(ward), _issue(ward), _issue(ward)
    assert counter_call_next(actor=officer, counter=counter1, now=NOW).pk == first.pk
    for step in (None, ticket_start):  # called, then being served
        if step is not None:
            step(actor=officer, counter=counter1, ticket=first, now=NOW + MIN)
        with pytest.raises(Conflict) as refused:
            counter_call_next(actor=officer, counter=counter1, now=NOW + 2 * MIN)
        assert refused.value.code == "counter_busy"
        assert refused.value.message == (
            "Quầy số 1 đang phục vụ số A001: hãy hoàn thành, tạm hoãn hoặc chuyển số đó trước."
        )
    assert Ticket.objects.get(pk=second.pk).state == S.WAITING
    # a held ticket does not count: the counter calls the next while the resident fetches a copy
    ticket_hold(actor=officer, counter=counter1, ticket=first, now=NOW + 3 * MIN)
    assert counter_call_next(actor=officer, counter=counter1, now=NOW + 4 * MIN).pk == second.pk
    ticket_finish(actor=officer, counter=counter1, ticket=second, now=NOW + 5 * MIN)
    assert counter_call_next(actor=officer, counter=counter1, now=NOW + 6 * MIN).pk == third.pk


def test_the_api_answers_409_counter_busy(ward, groups, staff, counter1):
    raw = ApiToken.new_raw()
    ApiToken.objects.create(user=staff["counter"], name="t", key_hash=ApiToken.hash(raw), created_at=NOW)
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    _issue(ward), _issue(ward)
    url = f"/api/queue/counters/{counter1.pk}/call-next"
    assert api.post(url).status_code == 200
    resp = api.post(url)
    assert resp.status_code == 409
    assert resp.json()["code"] == "counter_busy" and "A001" in resp.json()["message"]
    assert Ticket.objects.filter(state=S.CALLED).count() == 1


def test_the_console_says_the_counter_is_busy(ward, groups, staff, counter1):
    _issue(ward), _issue(ward)
    c = _client(staff["counter"])
    url = reverse("queueing:console_act", args=[counter1.pk, "call"])
    c.post(url, headers={"HX-Request": "true"})
    html = c.post(url, headers={"HX-Request": "true"}).content.decode()
    assert 'role="alert"' in html and "Quầy số 1 đang phục vụ số A001" in html


# --- 9. Sitting elsewhere with a ticket left at the counter ----------------------------------


def test_an_officer_cannot_sit_elsewhere_leaving_a_called_ticket(ward, groups, staff, counter1):
    officer = staff["counter"]
    other = make_counter(ward, 3, "AB")
    _issue(ward)
    t = counter_call_next(actor=officer, counter=counter1, now=NOW)
    assert t is not None
    said = "Quầy số 1 còn số A001 đang phục vụ: hãy hoàn thành hoặc chuyển trước."
    with pytest.raises(Conflict) as refused:
        counter_sit(actor=officer, counter=other, now=NOW)
    assert (refused.value.code, refused.value.message) == ("seat_busy", said)
    _issue(ward)
    with pytest.raises(Conflict) as refused:  # calling at a free counter would sit there
        counter_call_next(actor=officer, counter=other, now=NOW)
    assert refused.value.message == said
    assert list(Counter.objects.filter(officer=officer)) == [counter1]
    ticket_finish(actor=officer, counter=counter1, ticket=t, now=NOW + MIN)
    counter_sit(actor=officer, counter=other, now=NOW + MIN)
    assert list(Counter.objects.filter(officer=officer)) == [other]


def test_a_held_ticket_does_not_keep_the_officer_at_the_counter(ward, groups, staff, counter1):
    officer = staff["counter"]
    _issue(ward)
    t = counter_call_next(actor=officer, counter=counter1, now=NOW)
    ticket_hold(actor=officer, counter=counter1, ticket=t, now=NOW)
    other = make_counter(ward, 3, "AB")
    counter_sit(actor=officer, counter=other, now=NOW)
    assert Ticket.objects.get(pk=t.pk).counter == counter1  # stays with quầy 1


# --- 9. Freed counters: logout, deactivation, «Giải phóng quầy» -------------------------------


def test_logging_out_frees_the_counter_and_the_next_officer_finishes_its_tickets(
    ward, groups, staff, counter1, officer2
):
    officer = staff["counter"]
    _issue(ward)
    _issue(ward)
    held = counter_call_next(actor=officer, counter=counter1, now=NOW)
    ticket_hold(actor=officer, counter=counter1, ticket=held, now=NOW)
    called = counter_call_next(actor=officer, counter=counter1, now=NOW + MIN)
    c = _client(officer)
    assert c.post(reverse("core:logout")).status_code in (200, 302)
    counter1.refresh_from_db()
    assert counter1.officer is None
    assert Ticket.objects.get(pk=called.pk).state == S.CALLED  # nothing written to the tickets
    assert TicketEvent.objects.count() == 5
    counter_sit(actor=officer2, counter=counter1, now=NOW + 2 * MIN)
    counter1.refresh_from_db()
    state = console_state(user=officer2, counter=counter1, now=NOW + 2 * MIN)
    assert state.mine and state.current is not None and state.current.ticket.pk == called.pk
    assert [t.pk for t in state.held] == [held.pk]
    html = _client(officer2).get(reverse("queueing:console_counter", args=[counter1.pk])).content.decode()
    assert "A002" in html and "Tiếp tục A001" in html
    ticket_finish(actor=officer2, counter=counter1, ticket=called, now=NOW + 3 * MIN)
    assert TicketEvent.objects.get(ticket=called, kind=EventKind.FINISHED).officer == officer2


def test_a_deactivated_officer_leaves_their_counter(ward, groups, staff, counter1):
    officer = staff["counter"]
    officer.is_active = False
    officer.save()
    assert Counter.objects.get(pk=counter1.pk).officer is None


def test_the_admin_or_the_leader_frees_a_counter_held_by_someone_else(
    ward, groups, staff, counter1, other_ward
):
    _issue(ward)
    t = counter_call_next(actor=staff["counter"], counter=counter1, now=NOW)
    events = TicketEvent.objects.count()
    for role in ("counter", "specialist_econ"):
        with pytest.raises(NotAllowed):
            counter_free(actor=staff[role], counter=counter1, now=NOW)
    with pytest.raises(NotAllowed):
        counter_free(actor=make_staff(other_ward, prefix="ak_")["admin"], counter=counter1, now=NOW)
    assert Counter.objects.get(pk=counter1.pk).officer == staff["counter"]
    for role in ("admin", "leader"):
        Counter.objects.filter(pk=counter1.pk).update(officer=staff["counter"])
        counter_free(actor=staff[role], counter=counter1, now=NOW)
        assert Counter.objects.get(pk=counter1.pk).officer is None
    with pytest.raises(Conflict):  # already free
        counter_free(actor=staff["admin"], counter=counter1, now=NOW)
    t.refresh_from_db()
    assert (t.state, t.counter, TicketEvent.objects.count()) == (S.CALLED, counter1, events)


def test_the_console_offers_giai_phong_quay_to_the_leader_only(ward, groups, staff, counter1, counter2):
    leader = _client(staff["leader"])
    html = leader.get(reverse("queueing:console")).content.decode()
    assert html.count("Giải phóng quầy") == 1  # quầy 1 is held; quầy 2 is free
    assert "Ngồi quầy này" not in html  # a leader does not sit at a counter, nor opens one
    assert reverse("queueing:console_counter", args=[counter1.pk]) + '"' not in html
    assert f'href="{reverse("queueing:console")}">Các quầy</a>' in html  # in the staff navigation
    officer_html = _client(staff["counter"]).get(reverse("queueing:console")).content.decode()
    assert "Giải phóng quầy" not in officer_html
    url = reverse("queueing:console_act", args=[counter1.pk, "free"])
    assert _client(staff["counter"]).post(url).status_code == 403
    assert Counter.objects.get(pk=counter1.pk).officer == staff["counter"]
    resp = leader.post(url)
    assert resp.status_code == 302 and resp["Location"] == reverse("queueing:console")
    assert Counter.objects.get(pk=counter1.pk).officer is None
    assert "Đã giải phóng quầy số 1" in leader.get(reverse("queueing:console")).content.decode()
    assert _client(staff["specialist_econ"]).post(url).status_code == 403


def test_another_communes_admin_cannot_free_the_counter(ward, groups, staff, counter1, other_ward):
    outsider = _client(make_staff(other_ward, prefix="ak_")["admin"])
    url = reverse("queueing:console_act", args=[counter1.pk, "free"])
    assert outsider.post(url).status_code == 404
    assert Counter.objects.get(pk=counter1.pk).officer == staff["counter"]


# --- 11. Earlier days' tickets are not live ----------------------------------------------------


def _yesterdays_called(ward, staff, counter1):
    _issue(ward, now=YESTERDAY)
    return counter_call_next(actor=staff["counter"], counter=counter1, now=YESTERDAY)


def test_no_officer_step_on_a_ticket_of_an_earlier_day(ward, groups, staff, counter1):
    t = _yesterdays_called(ward, staff, counter1)
    with pytest.raises(Conflict) as refused:
        ticket_finish(actor=staff["counter"], counter=counter1, ticket=t, now=NOW)
    assert refused.value.code == "ticket_expired"
    assert refused.value.message == "Số A001 là của ngày 09/02/2026, đã hết hiệu lực."
    assert Ticket.objects.get(pk=t.pk).state == S.CALLED
    # nor does it keep the counter busy today
    today = _issue(ward)
    assert counter_call_next(actor=staff["counter"], counter=counter1, now=NOW).pk == today.pk


def test_no_intake_for_a_ticket_of_an_earlier_day(ward, groups, staff, counter1):
    t = _yesterdays_called(ward, staff, counter1)
    ticket_for_intake(actor=staff["counter"], raw=str(t.pk), now=YESTERDAY + MIN)  # that day: fine
    with pytest.raises(Conflict) as refused:
        ticket_for_intake(actor=staff["counter"], raw=str(t.pk), now=NOW)
    assert refused.value.code == "ticket_expired"


def test_the_api_gives_no_place_nor_wait_to_a_ticket_of_an_earlier_day(ward, groups):
    old = _issue(ward, now=YESTERDAY)
    new = _issue(ward)
    for t, place in ((old, None), (new, 1)):
        body = Client().get(f"/api/queue/tickets/{t.pk}", {"secret": t.secret}).json()
        assert body["position"] == place
        assert (body["estimated_wait_s"] is None) == (place is None)


# --- 9. close_earlier_days ---------------------------------------------------------------------


def test_close_earlier_days_closes_yesterdays_live_tickets_with_one_event_each(
    ward, groups, staff, counter1, officer2, other_ward
):
    officer = staff["counter"]
    for _ in range(5):
        _issue(ward, now=YESTERDAY)
    done = counter_call_next(actor=officer, counter=counter1, now=YESTERDAY)
    ticket_finish(actor=officer, counter=counter1, ticket=done, now=YESTERDAY)
    held = counter_call_next(actor=officer, counter=counter1, now=YESTERDAY)
    ticket_hold(actor=officer, counter=counter1, ticket=held, now=YESTERDAY)
    serving = counter_call_next(actor=officer, counter=counter1, now=YESTERDAY)
    ticket_start(actor=officer, counter=counter1, ticket=serving, now=YESTERDAY)
    counter3 = make_counter(ward, 3, "A", officer=officer2)
    called = counter_call_next(actor=officer2, counter=counter3, now=YESTERDAY)
    waiting = Ticket.objects.get(day=YESTERDAY.date(), state=S.WAITING)
    make_service_groups(other_ward)
    theirs = _issue(other_ward, now=YESTERDAY)
    before = TicketEvent.objects.count()

    assert close_earlier_days(commune=ward, now=NOW) == 4
    today = _issue(ward)  # today's first number: nothing more to close
    expect = {waiting: S.LEFT, called: S.LEFT, held: S.LEFT, serving: S.DONE, done: S.DONE, today: S.WAITING}
    assert {t: Ticket.objects.get(pk=t.pk).state for t in expect} == expect
    assert Ticket.objects.get(pk=serving.pk).finished_at == NOW
    assert Ticket.objects.get(pk=theirs.pk).state == S.WAITING  # another commune's: not this one's call
    new = TicketEvent.objects.exclude(ticket=today).order_by("id")[before:]
    assert sorted((e.ticket_id, e.kind) for e in new) == sorted(
        [
            (waiting.pk, EventKind.LEFT),
            (called.pk, EventKind.LEFT),
            (held.pk, EventKind.LEFT),
            (serving.pk, EventKind.FINISHED),
        ]
    )
    assert {(e.note, e.officer_id, e.at) for e in new} == {(DAY_OVER_NOTE, None, NOW)}
    assert {e.ticket_id: e.counter_id for e in new} == {
        waiting.pk: None,
        called.pk: counter3.pk,
        held.pk: counter1.pk,
        serving.pk: counter1.pk,
    }
    assert close_earlier_days(commune=ward, now=NOW) == 0  # nothing left: idempotent


def test_close_earlier_days_is_a_few_statements_for_hundreds_of_tickets(
    ward, groups, django_assert_max_num_queries
):
    for _ in range(300):
        _issue(ward, now=YESTERDAY)
    with django_assert_max_num_queries(12):
        assert close_earlier_days(commune=ward, now=NOW) == 300
    assert Ticket.objects.filter(state=S.LEFT).count() == 300
    assert TicketEvent.objects.filter(kind=EventKind.LEFT, note=DAY_OVER_NOTE).count() == 300


def test_close_earlier_days_notifies_the_streams(ward, groups, monkeypatch):
    from motcua.queueing import workflow

    sent = []
    monkeypatch.setattr(workflow, "publish_many", lambda events: sent.extend(e.pk for e in events))
    _issue(ward, now=YESTERDAY)
    close_earlier_days(commune=ward, now=NOW)
    assert sent == [TicketEvent.objects.get(kind=EventKind.LEFT).pk]


def test_the_api_refuses_steps_on_an_expired_ticket_with_409(ward, groups, staff, counter1):
    t = _yesterdays_called(ward, staff, counter1)
    raw = ApiToken.new_raw()
    ApiToken.objects.create(user=staff["counter"], name="t", key_hash=ApiToken.hash(raw), created_at=NOW)
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    resp = api.post(
        f"/api/queue/counters/{counter1.pk}/finish",
        json.dumps({"ticket": t.pk}),
        content_type="application/json",
    )
    assert resp.status_code == 409 and resp.json()["code"] == "ticket_expired"


@pytest.mark.postgres
def test_closing_earlier_days_reaches_the_streams_in_order(asgi_live_server, ward, groups):
    import time

    from .test_streams import SSE, _events_path

    olds = [_issue(ward, now=YESTERDAY) for _ in range(3)]
    stream = SSE(asgi_live_server.url, _events_path(ward))
    try:
        time.sleep(0.5)
        close_earlier_days(commune=ward, now=NOW)
        events = stream.events(3, timeout=2)
        assert [(e["ticket"], e["kind"], e["state"]) for e in events] == [
            (t.pk, "LEFT", "LEFT") for t in olds
        ]
    finally:
        stream.close()


def test_the_centers_first_number_of_a_day_closes_the_earlier_days(ward, groups):
    """Yesterday's tickets still waiting are closed (LEFT, «Hết ngày làm việc») when today's first
    number is taken, so they never sit in any line, count or cap."""
    from motcua.queueing.models import TicketState
    from motcua.queueing.services import ticket_issue

    old = ticket_issue(commune=ward, group_letter="A", priority=False, now=NOW - dt.timedelta(days=1))
    today = ticket_issue(commune=ward, group_letter="B", priority=False, now=NOW)
    old.refresh_from_db()
    assert old.state == TicketState.LEFT and old.events.last().note == "Hết ngày làm việc"
    assert today.state == TicketState.WAITING
    again = ticket_issue(commune=ward, group_letter="A", priority=False, now=NOW)
    assert again.number == "A001"
