"""«Tiếp nhận hồ sơ» from the console: the intake runs with the ticket and links the dossier."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from motcua.core import clock
from motcua.dossiers.models import Dossier, State
from motcua.queueing.models import EventKind, Ticket, TicketState
from motcua.queueing.services import (
    counter_call_next,
    counter_free,
    ticket_finish,
    ticket_issue,
    ticket_leave,
    ticket_start,
    ticket_transfer,
)
from motcua.testing import land_procedure, make_counter, make_service_groups, make_staff

from .conftest import NOW

pytestmark = pytest.mark.django_db
S = TicketState


@pytest.fixture(autouse=True)
def pinned(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)


@pytest.fixture
def land(db):
    return land_procedure()


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def _intake(procedure, **extra):
    return {
        "applicant_name": "Trần Văn Bình", "applicant_phone": "0905 111 222",
        "applicant_citizen_id": "048090001111", "applicant_address": "12 Hà Huy Tập, tổ 5",
        "checklist": [str(i.id) for i in procedure.checklist.all()], "outcome": "receive", **extra,
    }  # fmt: skip


@pytest.fixture
def serving(ward, groups, staff, counter1):
    t = ticket_issue(commune=ward, group_letter="B", priority=False, now=NOW)
    t = counter_call_next(actor=staff["counter"], counter=counter1, now=NOW)
    return ticket_start(actor=staff["counter"], counter=counter1, ticket=t, now=NOW)


def test_the_intake_links_the_dossier_to_the_ticket_and_the_console_shows_its_code(
    ward, staff, counter1, land, serving
):
    c = _client(staff["counter"])
    url = reverse("dossiers:intake", args=[land.code])
    form = c.get(url, {"so": serving.pk}).content.decode()
    assert "Tiếp nhận cho số thứ tự <strong>B001</strong> tại quầy số 1" in form
    assert f'name="so" value="{serving.pk}"' in form
    resp = c.post(url, _intake(land, so=str(serving.pk)))
    assert resp.status_code == 302
    d = Dossier.objects.get()
    assert d.state == State.RECEIVED and resp.url.startswith(reverse("dossiers:form", args=[d.pk, "01"]))
    t = Ticket.objects.get(pk=serving.pk)
    assert (t.dossier, t.state) == (d, S.SERVING)
    ev = t.events.get(kind=EventKind.DOSSIER)
    assert (ev.note, ev.officer, ev.counter) == (d.code, staff["counter"], counter1)
    console = c.get(reverse("queueing:console_counter", args=[counter1.pk])).content.decode()
    assert d.code in console and "Hồ sơ đã tiếp nhận" in console


def test_an_intake_without_a_ticket_is_as_before(ward, staff, counter1, land, serving):
    resp = _client(staff["counter"]).post(reverse("dossiers:intake", args=[land.code]), _intake(land))
    assert resp.status_code == 302 and Dossier.objects.count() == 1
    assert Ticket.objects.get(pk=serving.pk).dossier is None


def test_a_refused_form_links_nothing(ward, staff, counter1, land, serving):
    resp = _client(staff["counter"]).post(
        reverse("dossiers:intake", args=[land.code]), _intake(land, so=str(serving.pk), applicant_name="")
    )
    assert resp.status_code == 422 and f'name="so" value="{serving.pk}"' in resp.content.decode()
    assert not Dossier.objects.exists()
    assert not Ticket.objects.get(pk=serving.pk).events.filter(kind=EventKind.DOSSIER).exists()


def test_bad_tickets_are_refused_and_nothing_is_received(
    ward, groups, staff, counter1, land, serving, officer2, other_ward
):
    c = _client(staff["counter"])
    url = reverse("dossiers:intake", args=[land.code])
    waiting = ticket_issue(commune=ward, group_letter="A", priority=False, now=NOW)
    make_service_groups(other_ward)
    outsider = make_staff(other_ward, prefix="ak_")["counter"]
    theirs = ticket_issue(commune=other_ward, group_letter="B", priority=False, now=NOW)
    counter_call_next(actor=outsider, counter=make_counter(other_ward, 1, "B", officer=outsider), now=NOW)
    for so in (theirs.pk, "x\x00", "9" * 30, 10**12):
        assert c.get(url, {"so": so}).status_code == 404, so
        assert c.post(url, _intake(land, so=str(so))).status_code == 404, so
    # a form is not opened for a ticket that is not at the officer's counter (a POST for one is
    # received without the link: the ticket may have moved on while the form was open, below)
    assert c.get(url, {"so": waiting.pk}).status_code == 409
    make_counter(ward, 3, "B", officer=officer2)
    resp = _client(officer2).get(url, {"so": serving.pk})
    assert resp.status_code == 409 and "Bạn không ngồi ở quầy số 1" in resp.content.decode()
    assert not Dossier.objects.filter(commune=ward).exists()
    assert Ticket.objects.get(pk=serving.pk).dossier is None


# ---- the ticket moved on while the form was open (review finding 12) ---------------------------


def _moved_finished(staff, counter1, counter2, ticket):
    ticket_finish(actor=staff["counter"], counter=counter1, ticket=ticket, now=NOW)


def _moved_transferred(staff, counter1, counter2, ticket):
    to_group = counter2.groups.get(letter="C")
    ticket_transfer(actor=staff["counter"], counter=counter1, ticket=ticket, to_group=to_group, now=NOW)


def _counter_freed(staff, counter1, counter2, ticket):
    counter_free(actor=staff["leader"], counter=counter1, now=NOW)


@pytest.mark.parametrize(
    ("move", "why"),
    [
        (_moved_finished, "đã hoàn thành"),
        (_moved_transferred, "đã được chuyển và đang chờ gọi"),
        (_counter_freed, "đang ở quầy số 1, không phải quầy bạn đang ngồi"),
    ],
)
def test_a_ticket_that_moved_on_while_the_form_was_open_does_not_lose_the_form(
    ward, staff, counter1, counter2, land, serving, move, why
):
    c = _client(staff["counter"])
    url = reverse("dossiers:intake", args=[land.code])
    assert c.get(url, {"so": serving.pk}).status_code == 200
    move(staff, counter1, counter2, serving)
    resp = c.post(url, _intake(land, so=str(serving.pk)), follow=True)
    assert resp.status_code == 200
    d = Dossier.objects.get()
    assert d.state == State.RECEIVED and d.applicant_name == "Trần Văn Bình"
    page = resp.content.decode()
    assert f"Hồ sơ {d} đã được tiếp nhận nhưng không gắn với số B001 vì số này {why}." in page
    assert 'class="msg-warning" role="alert"' in page  # on the receipt's toolbar, not on the paper
    t = Ticket.objects.get(pk=serving.pk)
    assert t.dossier is None and not t.events.filter(kind=EventKind.DOSSIER).exists()
    # the form itself is still refused for that ticket
    assert c.get(url, {"so": serving.pk}).status_code == 409


def test_a_called_ticket_whose_resident_left_is_named_in_the_warning(ward, staff, counter1, land, serving):
    ticket_finish(actor=staff["counter"], counter=counter1, ticket=serving, now=NOW)
    ticket_issue(commune=ward, group_letter="A", priority=False, now=NOW)
    called = counter_call_next(actor=staff["counter"], counter=counter1, now=NOW)
    c = _client(staff["counter"])
    url = reverse("dossiers:intake", args=[land.code])
    assert c.get(url, {"so": called.pk}).status_code == 200
    ticket_leave(ticket=called, now=NOW)
    resp = c.post(url, _intake(land, so=str(called.pk)), follow=True)
    d = Dossier.objects.get()
    assert (
        f"Hồ sơ {d} đã được tiếp nhận nhưng không gắn với số A001 vì số này đã rời hàng."
        in resp.content.decode()
    )
    assert Ticket.objects.get(pk=called.pk).dossier is None


def test_a_ticket_of_an_earlier_day_is_named_in_the_warning(
    ward, staff, counter1, land, serving, monkeypatch
):
    c = _client(staff["counter"])
    url = reverse("dossiers:intake", args=[land.code])
    monkeypatch.setattr(clock, "now", lambda: NOW + dt.timedelta(days=1))
    resp = c.post(url, _intake(land, so=str(serving.pk)), follow=True)
    d = Dossier.objects.get()
    assert (
        f"Hồ sơ {d} đã được tiếp nhận nhưng không gắn với số B001 vì số này là số của ngày 10/02/2026."
        in resp.content.decode()
    )
    assert Ticket.objects.get(pk=serving.pk).dossier is None


def test_a_refused_form_for_a_moved_ticket_says_it_will_not_be_linked(ward, staff, counter1, land, serving):
    c = _client(staff["counter"])
    url = reverse("dossiers:intake", args=[land.code])
    ticket_finish(actor=staff["counter"], counter=counter1, ticket=serving, now=NOW)
    resp = c.post(url, _intake(land, so=str(serving.pk), applicant_name=""))
    page = resp.content.decode()
    assert resp.status_code == 422
    assert "Số B001 đã hoàn thành: khi lưu, hồ sơ sẽ được tiếp nhận nhưng không gắn với số này." in page
    assert 'name="so"' not in page and 'value="12 Hà Huy Tập, tổ 5"' in page
    assert not Dossier.objects.exists()


def test_a_ticket_that_moves_between_the_check_and_the_link_leaves_the_dossier_received(
    ward, staff, counter1, land, serving, monkeypatch
):
    """The race: the ticket was still at the counter when the POST began, and finished before the
    intake's transaction linked it; the link alone is undone."""
    from motcua.dossiers import views

    real = views.ticket_for_intake

    def then_finished(**kwargs):
        found = real(**kwargs)
        ticket_finish(actor=staff["counter"], counter=counter1, ticket=found[0], now=NOW)
        return found

    monkeypatch.setattr(views, "ticket_for_intake", then_finished)
    resp = _client(staff["counter"]).post(
        reverse("dossiers:intake", args=[land.code]), _intake(land, so=str(serving.pk)), follow=True
    )
    d = Dossier.objects.get()
    assert d.state == State.RECEIVED
    assert "không gắn với số B001 vì số này đã hoàn thành." in resp.content.decode()
    t = Ticket.objects.get(pk=serving.pk)
    assert (t.state, t.dossier) == (S.DONE, None)
    assert not t.events.filter(kind=EventKind.DOSSIER).exists()
