"""The steps added for issue 8 §4 (leave, hold, resume, dossier, transfer to a counter, hours,
directed and booked tickets, the recall limit, the phone's cap), on SQLite."""

import datetime as dt

import pytest

from motcua.core.errors import Conflict, NotAllowed
from motcua.queueing.models import EventKind, Ticket, TicketEvent, TicketState
from motcua.queueing.services import (
    counter_call_next,
    ticket_finish,
    ticket_issue,
    ticket_leave,
    ticket_start,
)
from motcua.queueing.workflow import Action, ticket_apply

from .conftest import NOW

S = TicketState
MIN = dt.timedelta(minutes=1)


def _issue(ward, letter="A", now=NOW, **kw):
    return ticket_issue(commune=ward, group_letter=letter, priority=kw.pop("priority", False), now=now, **kw)


def _kinds(ticket):
    return list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))


# --- The resident leaves («Tôi không chờ nữa») -------------------------------------------------


def test_a_waiting_resident_leaves_one_left_event_without_officer_or_counter(ward, groups, counter1):
    t = _issue(ward)
    t = ticket_leave(ticket=t, now=NOW + 5 * MIN)
    t.refresh_from_db()
    assert (t.state, t.finished_at, t.counter) == (S.LEFT, NOW + 5 * MIN, None)
    assert _kinds(t) == ["ISSUED", "LEFT"]
    ev = t.events.get(kind=EventKind.LEFT)
    assert (ev.officer, ev.counter, ev.at) == (None, None, NOW + 5 * MIN)


def test_a_called_resident_leaves_and_the_event_names_the_counter_for_the_board(
    ward, groups, staff, counter1
):
    _issue(ward)
    t = counter_call_next(actor=staff["counter"], counter=counter1, now=NOW)
    t = ticket_leave(ticket=t, now=NOW + MIN)
    assert t.state == S.LEFT
    ev = t.events.get(kind=EventKind.LEFT)
    assert (ev.officer, ev.counter) == (None, counter1)
    # The line moves on: quầy 1 calls nobody (the left ticket is not called again).
    assert counter_call_next(actor=staff["counter"], counter=counter1, now=NOW + 2 * MIN) is None


def test_leaving_is_refused_once_served_or_closed_and_changes_nothing(ward, groups, staff, counter1):
    officer = staff["counter"]
    _issue(ward)
    t = counter_call_next(actor=officer, counter=counter1, now=NOW)
    t = ticket_start(actor=officer, counter=counter1, ticket=t, now=NOW)
    with pytest.raises(Conflict):
        ticket_leave(ticket=t, now=NOW)
    t = ticket_finish(actor=officer, counter=counter1, ticket=t, now=NOW)
    with pytest.raises(Conflict):
        ticket_leave(ticket=t, now=NOW)
    left = ticket_leave(ticket=_issue(ward), now=NOW)
    with pytest.raises(Conflict):
        ticket_leave(ticket=left, now=NOW)
    assert Ticket.objects.get(pk=t.pk).state == S.DONE
    assert _kinds(t) == ["ISSUED", "CALLED", "STARTED", "FINISHED"]
    assert _kinds(left) == ["ISSUED", "LEFT"]


def test_an_officer_cannot_take_the_residents_step_nor_a_resident_an_officers(ward, groups, staff, counter1):
    t = _issue(ward)
    with pytest.raises(NotAllowed):
        ticket_apply(ticket=t, action=Action.LEAVE, actor=staff["counter"], counter=counter1, now=NOW)
    with pytest.raises(NotAllowed):
        ticket_apply(ticket=t, action=Action.CALL, actor=None, counter=None, now=NOW)
    assert Ticket.objects.get(pk=t.pk).state == S.WAITING
    assert _kinds(t) == ["ISSUED"]
