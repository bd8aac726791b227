"""«Tiếp nhận hồ sơ» from the console: the intake runs with the ticket and links the dossier."""

import pytest
from django.test import Client
from django.urls import reverse

from motcua.core import clock
from motcua.dossiers.models import Dossier, State
from motcua.queueing.models import EventKind, Ticket, TicketState
from motcua.queueing.services import counter_call_next, ticket_issue, ticket_start
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
    for so, status in ((theirs.pk, 404), ("x\x00", 404), ("9" * 30, 404), (10**12, 404), (waiting.pk, 409)):
        assert c.get(url, {"so": so}).status_code == status, so
        assert c.post(url, _intake(land, so=str(so))).status_code == status, so
    # an officer who does not sit at the ticket's counter
    make_counter(ward, 3, "B", officer=officer2)
    resp = _client(officer2).post(url, _intake(land, so=str(serving.pk)))
    assert resp.status_code == 409 and "Bạn không ngồi ở quầy số 1" in resp.content.decode()
    assert not Dossier.objects.filter(commune=ward).exists()
    assert Ticket.objects.get(pk=serving.pk).dossier is None
