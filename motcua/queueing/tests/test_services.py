"""The queue's services and the ticket's transitions (SQLite)."""

import datetime as dt

import pytest

from motcua.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from motcua.org.models import Role
from motcua.queueing.models import EventKind, Ticket, TicketEvent, TicketState
from motcua.queueing.selectors import estimated_wait_s, ticket_position
from motcua.queueing.services import (
    counter_call_next,
    ticket_finish,
    ticket_issue,
    ticket_no_show,
    ticket_recall,
    ticket_start,
    ticket_transfer,
)
from motcua.queueing.workflow import TRANSITIONS, Action, ticket_apply
from motcua.testing import make_counter, make_service_groups, make_staff, make_user

from .conftest import NOW, VN

S = TicketState


def _issue(ward, letter="A", priority=False, now=NOW):
    return ticket_issue(commune=ward, group_letter=letter, priority=priority, now=now)


def _called(staff, counter):
    t = counter_call_next(actor=staff["counter"], counter=counter, now=NOW)
    assert t is not None
    return t


def _kinds(ticket):
    return list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))


def test_numbers_are_letter_and_three_digits_per_group_and_day(ward, groups):
    a1, a2, b1 = _issue(ward), _issue(ward, " a "), _issue(ward, "B")
    assert [a1.number, a2.number, b1.number] == ["A001", "A002", "B001"]
    assert (a1.seq, a1.day, a1.state, a1.group, a1.queue_group) == (
        1,
        NOW.date(),
        S.WAITING,
        groups["A"],
        groups["A"],
    )
    assert _kinds(a1) == [EventKind.ISSUED]
    assert len({a1.secret, a2.secret, b1.secret}) == 3 and len(a1.secret) >= 20


def test_the_day_is_the_local_day_in_ho_chi_minh_city(ward, groups):
    late = dt.datetime(2026, 2, 10, 23, 50, tzinfo=VN)
    after_midnight = dt.datetime(2026, 2, 10, 17, 5, tzinfo=dt.UTC)  # 00:05 on the 11th in Vietnam
    t1, t2 = _issue(ward, now=late), _issue(ward, now=after_midnight)
    assert (t1.number, t1.day) == ("A001", dt.date(2026, 2, 10))
    assert (t2.number, t2.day) == ("A001", dt.date(2026, 2, 11))


@pytest.mark.parametrize("letter", ["", "AB", "1", "Ă", "A\x00", "x" * 500])
def test_a_group_letter_must_be_one_letter(ward, groups, letter):
    with pytest.raises(ValidationFailed):
        _issue(ward, letter)
    assert not Ticket.objects.exists()


def test_unknown_or_inactive_group_is_not_found(ward, groups):
    groups["D"].active = False
    groups["D"].save()
    for letter in ("D", "Z"):
        with pytest.raises(NotFound):
            _issue(ward, letter)
    assert not Ticket.objects.exists()


def test_call_next_priority_first_then_order_of_issue_in_the_counters_groups(ward, groups, staff, counter1):
    b1 = _issue(ward, "B", now=NOW)
    _issue(ward, "C", now=NOW)  # quầy 1 does not serve C
    a1 = _issue(ward, "A", now=NOW + dt.timedelta(minutes=1))
    pa = _issue(ward, "A", priority=True, now=NOW + dt.timedelta(minutes=2))
    yesterday = _issue(ward, "A", now=NOW - dt.timedelta(days=1))
    officer = staff["counter"]
    called = []
    for i in range(4):  # each called one is finished before the next call (a busy counter is refused)
        at = NOW + dt.timedelta(minutes=5 + i)
        called.append(t := counter_call_next(actor=officer, counter=counter1, now=at))
        if t is not None:
            ticket_finish(actor=officer, counter=counter1, ticket=t, now=at)
    assert [t.number if t else None for t in called] == [pa.number, b1.number, a1.number, None]
    first = Ticket.objects.get(pk=pa.pk)
    assert (first.state, first.counter, first.called_at) == (
        S.DONE,
        counter1,
        NOW + dt.timedelta(minutes=5),
    )
    ev = TicketEvent.objects.get(ticket=first, kind=EventKind.CALLED)
    assert (ev.officer, ev.counter) == (officer, counter1)
    assert Ticket.objects.get(pk=yesterday.pk).state == S.WAITING  # yesterday's line is not called


def test_an_officer_calling_at_a_free_counter_sits_there_and_another_may_not(
    ward, groups, staff, counter2, officer2
):
    _issue(ward, "C")
    _issue(ward, "C")
    assert counter_call_next(actor=officer2, counter=counter2, now=NOW).number == "C001"
    counter2.refresh_from_db()
    assert counter2.officer == officer2
    with pytest.raises(NotAllowed):
        counter_call_next(actor=staff["counter"], counter=counter2, now=NOW)
    assert Ticket.objects.get(number="C002").state == S.WAITING


def test_only_counter_officers_of_the_commune_may_call(ward, groups, staff, counter2, other_ward):
    _issue(ward, "C")
    outsider = make_staff(other_ward, prefix="ak_")["counter"]
    for actor in (staff["leader"], staff["admin"], outsider):
        with pytest.raises(NotAllowed):
            counter_call_next(actor=actor, counter=counter2, now=NOW)
    staff["leader"].extra_roles = [Role.COUNTER_OFFICER]
    staff["leader"].save()
    assert counter_call_next(actor=staff["leader"], counter=counter2, now=NOW).number == "C001"


def test_a_closed_counter_or_one_without_groups_does_not_call(ward, groups, staff):
    _issue(ward, "A")
    closed = make_counter(ward, 5, "A")
    closed.active = False
    closed.save()
    with pytest.raises(Conflict):
        counter_call_next(actor=staff["counter"], counter=closed, now=NOW)
    with pytest.raises(ValidationFailed):
        counter_call_next(actor=staff["counter"], counter=make_counter(ward, 6, ""), now=NOW)


def test_a_ticket_lives_through_recall_start_finish_one_event_per_change(ward, groups, staff, counter1):
    officer = staff["counter"]
    t = _issue(ward)
    t = counter_call_next(actor=officer, counter=counter1, now=NOW)
    t = ticket_recall(actor=officer, counter=counter1, ticket=t, now=NOW + dt.timedelta(seconds=30))
    t = ticket_recall(actor=officer, counter=counter1, ticket=t, now=NOW + dt.timedelta(seconds=60))
    assert (t.state, t.recalls) == (S.CALLED, 2)
    t = ticket_start(actor=officer, counter=counter1, ticket=t, now=NOW + dt.timedelta(minutes=2))
    t = ticket_finish(actor=officer, counter=counter1, ticket=t, now=NOW + dt.timedelta(minutes=9))
    t.refresh_from_db()
    assert t.state == S.DONE
    assert (t.served_at, t.finished_at) == (NOW + dt.timedelta(minutes=2), NOW + dt.timedelta(minutes=9))
    assert _kinds(t) == ["ISSUED", "CALLED", "RECALLED", "RECALLED", "STARTED", "FINISHED"]
    assert all(
        e.officer == officer and e.counter == counter1 for e in t.events.exclude(kind=EventKind.ISSUED)
    )


def test_no_show_after_a_call(ward, groups, staff, counter1):
    t = _issue(ward)
    t = counter_call_next(actor=staff["counter"], counter=counter1, now=NOW)
    t = ticket_no_show(actor=staff["counter"], counter=counter1, ticket=t, now=NOW + dt.timedelta(minutes=3))
    assert (t.state, t.finished_at) == (S.NO_SHOW, NOW + dt.timedelta(minutes=3))
    assert _kinds(t)[-1] == EventKind.NO_SHOW


def test_finish_straight_after_the_call_counts_service_from_then(ward, groups, staff, counter1):
    _issue(ward)
    t = _called(staff, counter1)
    t = ticket_finish(actor=staff["counter"], counter=counter1, ticket=t, now=NOW + dt.timedelta(minutes=4))
    assert (t.state, t.served_at) == (S.DONE, NOW + dt.timedelta(minutes=4))


def test_transfer_puts_the_ticket_back_in_line_in_another_group_with_its_number(
    ward, groups, staff, counter1, counter2, officer2
):
    t = _issue(ward, "A")
    t = counter_call_next(actor=staff["counter"], counter=counter1, now=NOW)
    t = ticket_transfer(actor=staff["counter"], counter=counter1, ticket=t, to_group=groups["C"], now=NOW)
    assert (t.state, t.number, t.group, t.queue_group, t.counter) == (
        S.WAITING,
        "A001",
        groups["A"],
        groups["C"],
        None,
    )
    assert TicketEvent.objects.get(ticket=t, kind=EventKind.TRANSFERRED).note == "A → C"
    later_c = _issue(ward, "C", now=NOW + dt.timedelta(minutes=1))
    assert counter_call_next(actor=officer2, counter=counter2, now=NOW + dt.timedelta(minutes=2)).pk == t.pk
    ticket_finish(actor=officer2, counter=counter2, ticket=t, now=NOW + dt.timedelta(minutes=2))
    assert (
        counter_call_next(actor=officer2, counter=counter2, now=NOW + dt.timedelta(minutes=3)).pk
        == later_c.pk
    )


def test_transfer_to_the_same_or_an_inactive_group_is_refused(ward, groups, staff, counter1):
    _issue(ward, "A")
    t = _called(staff, counter1)
    groups["D"].active = False
    groups["D"].save()
    for to in (groups["A"], groups["D"]):
        with pytest.raises(ValidationFailed):
            ticket_transfer(actor=staff["counter"], counter=counter1, ticket=t, to_group=to, now=NOW)
    assert Ticket.objects.get(pk=t.pk).queue_group == groups["A"]


def test_steps_not_allowed_from_the_current_state_change_nothing(ward, groups, staff, counter1):
    officer = staff["counter"]
    t = _issue(ward)
    for step in (ticket_recall, ticket_no_show, ticket_start, ticket_finish):
        with pytest.raises(Conflict):
            step(actor=officer, counter=counter1, ticket=t, now=NOW)
    t = counter_call_next(actor=officer, counter=counter1, now=NOW)
    t = ticket_finish(actor=officer, counter=counter1, ticket=t, now=NOW)
    for step in (ticket_recall, ticket_no_show, ticket_start, ticket_finish):
        with pytest.raises(Conflict):
            step(actor=officer, counter=counter1, ticket=t, now=NOW)
    assert _kinds(t) == ["ISSUED", "CALLED", "FINISHED"]


def test_a_ticket_is_worked_only_from_the_counter_that_called_it(ward, groups, staff, counter1, officer2):
    other_ab = make_counter(ward, 3, "AB", officer=officer2)
    _issue(ward)
    t = _called(staff, counter1)
    with pytest.raises(Conflict):
        ticket_finish(actor=officer2, counter=other_ab, ticket=t, now=NOW)
    with pytest.raises(NotAllowed):  # the officer does not sit at quầy 1
        ticket_finish(actor=officer2, counter=counter1, ticket=t, now=NOW)
    c_only = make_counter(ward, 4, "C", officer=officer2)
    with pytest.raises(ValidationFailed):  # quầy 4 does not serve group A
        ticket_finish(actor=officer2, counter=c_only, ticket=t, now=NOW)
    assert Ticket.objects.get(pk=t.pk).state == S.CALLED


def test_another_communes_officer_and_counter_are_refused(ward, groups, staff, counter1, other_ward):
    outsider = make_user(other_ward, Role.COUNTER_OFFICER, "ak_motcua")
    make_service_groups(other_ward)
    their_counter = make_counter(other_ward, 1, "AB", officer=outsider)
    _issue(ward)
    t = _called(staff, counter1)
    with pytest.raises(NotAllowed):
        ticket_finish(actor=outsider, counter=their_counter, ticket=t, now=NOW)
    with pytest.raises(NotAllowed):
        ticket_finish(actor=outsider, counter=counter1, ticket=t, now=NOW)
    assert Ticket.objects.get(pk=t.pk).state == S.CALLED


def test_unknown_action_is_refused(ward, groups, staff, counter1):
    with pytest.raises(ValidationFailed):
        ticket_apply(
            ticket=_issue(ward), action="teleport", actor=staff["counter"], counter=counter1, now=NOW
        )


def test_the_transition_table_names_every_event_kind_but_issue():
    assert {t.event for t in TRANSITIONS.values()} == set(EventKind) - {EventKind.ISSUED}
    assert set(TRANSITIONS) == set(Action)


def test_position_and_placeholder_estimate(ward, groups, settings):
    settings.MOTCUA_QUEUE_AVG_SERVICE_SECONDS = 240
    a1, a2 = _issue(ward), _issue(ward, now=NOW + dt.timedelta(minutes=1))
    p = _issue(ward, priority=True, now=NOW + dt.timedelta(minutes=2))
    _issue(ward, "B")
    assert [ticket_position(t) for t in (p, a1, a2)] == [1, 2, 3]
    assert estimated_wait_s(a2, position=ticket_position(a2), now=NOW) == 720
    Ticket.objects.filter(pk=a1.pk).update(state=S.LEFT)
    assert ticket_position(a2) == 2 and ticket_position(Ticket.objects.get(pk=a1.pk)) is None
    assert estimated_wait_s(a2, position=None, now=NOW) is None
