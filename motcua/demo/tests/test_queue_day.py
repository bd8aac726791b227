"""The demo's hall (issue 8 §9): today's queue, mid-morning, from the simulated day."""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict

import pytest

from motcua.demo import ward as W
from motcua.demo.queue_day import CUT, cut_for, demo_day_spec, queue_load_today
from motcua.demo.services import _setup_queue_hall
from motcua.org.models import Role
from motcua.queueing.models import (
    Appointment,
    AppointmentState,
    Counter,
    CounterHours,
    EventKind,
    Ticket,
    TicketEvent,
    TicketSequence,
    TicketSource,
    TicketState,
)
from motcua.queueing.selectors import estimated_wait_s, ticket_position
from motcua.queueing.services import LOCAL_TZ, ticket_issue
from motcua.queueing.simulate import hm
from motcua.testing import make_commune, make_user

NOW = dt.datetime(2026, 3, 18, 10, 0, tzinfo=LOCAL_TZ)
DAY = NOW.date()

pytestmark = pytest.mark.django_db

# What the last event of a ticket leaves it in.
_STATE_AFTER = {
    EventKind.ISSUED: TicketState.WAITING,
    EventKind.CALLED: TicketState.CALLED,
    EventKind.RECALLED: TicketState.CALLED,
    EventKind.STARTED: TicketState.SERVING,
    EventKind.FINISHED: TicketState.DONE,
    EventKind.NO_SHOW: TicketState.NO_SHOW,
    EventKind.LEFT: TicketState.LEFT,
}


def _empty_hall():
    commune = make_commune(W.COMMUNE_CODE)
    for n in range(1, 6):
        make_user(commune, Role.COUNTER_OFFICER, f"motcua{n}")
    _setup_queue_hall()


@pytest.fixture
def hall(db):
    _empty_hall()
    started = time.perf_counter()
    result = queue_load_today(now=NOW)
    return result, time.perf_counter() - started


def test_the_simulated_day_has_about_600_tickets_and_the_morning_peak():
    sim = demo_day_spec()
    assert 500 <= len(sim.tickets) <= 700
    peak = sum(1 for t in sim.tickets if hm(7, 30) <= t.issued < hm(9, 30))
    afternoon = sum(1 for t in sim.tickets if hm(14) <= t.issued < hm(16))
    assert peak > afternoon * 1.3
    assert max(t.wait_s for t in sim.tickets) < 2 * 3600  # the demo's counters keep up


def test_today_is_the_simulated_morning_up_to_now(hall):
    result, seconds = hall
    assert seconds < 5
    sim = demo_day_spec()
    before = [t for t in sim.tickets if t.issued <= cut_for(NOW)]
    tickets = Ticket.objects.filter(commune_id=W.COMMUNE_CODE)
    assert result.added == tickets.count() == len(before) and 200 < len(before) < 400
    assert set(tickets.values_list("day", flat=True)) == {DAY}
    counts = defaultdict(int)
    for state in tickets.values_list("state", flat=True):
        counts[state] += 1
    assert counts[TicketState.DONE] > 150 and counts[TicketState.WAITING] == result.waiting > 10
    assert counts[TicketState.NO_SHOW] >= 1 and counts[TicketState.LEFT] >= 1
    assert counts[TicketState.CALLED] + counts[TicketState.SERVING] >= 5
    # At 10:00 the hall is the simulated 10:00 at face value: the first ticket at about 07:30.
    first = tickets.order_by("issued_at").first()
    assert first is not None and dt.timedelta(hours=2, minutes=25) < NOW - first.issued_at < dt.timedelta(
        hours=2, minutes=45
    )
    assert not TicketEvent.objects.filter(at__gt=NOW).exists()
    assert TicketEvent.objects.filter(ticket__commune_id=W.COMMUNE_CODE).count() > 3 * len(before)


def test_states_times_officers_and_counters_agree_with_the_events(hall):
    officers = dict(Counter.objects.filter(commune_id=W.COMMUNE_CODE).values_list("pk", "officer_id"))
    assert all(officers.values()) and len(officers) == 10  # motcua1–motcua10 sit at quầy 1–10
    events = defaultdict(list)
    for e in TicketEvent.objects.filter(ticket__commune_id=W.COMMUNE_CODE).order_by("at", "id"):
        events[e.ticket_id].append(e)
    at_counter = defaultdict(int)
    for t in Ticket.objects.filter(commune_id=W.COMMUNE_CODE):
        mine = events[t.pk]
        assert mine[0].kind == EventKind.ISSUED and mine[0].at == t.issued_at
        assert t.state == _STATE_AFTER[EventKind(mine[-1].kind)], t.number
        assert [e.at for e in mine] == sorted(e.at for e in mine)
        called = [e for e in mine if e.kind == EventKind.CALLED]
        assert (called[0].at if called else None) == t.called_at
        assert t.recalls == sum(1 for e in mine if e.kind == EventKind.RECALLED)
        if t.state in (TicketState.DONE, TicketState.NO_SHOW, TicketState.LEFT):
            assert t.finished_at == mine[-1].at
        for e in mine[1:]:
            if e.kind == EventKind.LEFT:
                assert e.counter_id is None and e.officer_id is None
            else:
                assert e.counter_id == t.counter_id and e.officer_id == officers[e.counter_id]
        if t.state in (TicketState.CALLED, TicketState.SERVING):
            at_counter[t.counter_id] += 1
    assert at_counter and max(at_counter.values()) == 1  # one resident at a counter at a time


def test_numbers_are_gap_free_per_group_and_the_next_one_follows(hall):
    seqs = defaultdict(list)
    for letter, seq, number in Ticket.objects.filter(commune_id=W.COMMUNE_CODE).values_list(
        "group__letter", "seq", "number"
    ):
        assert number == f"{letter}{seq:03d}"
        seqs[letter].append(seq)
    assert set(seqs) == {"A", "B", "C", "D"}
    for letter, got in seqs.items():
        assert sorted(got) == list(range(1, len(got) + 1))
        row = TicketSequence.objects.get(commune_id=W.COMMUNE_CODE, group__letter=letter, day=DAY)
        assert row.last == len(got)
    commune = Counter.objects.get(commune_id=W.COMMUNE_CODE, number=1).commune
    new = ticket_issue(commune=commune, group_letter="B", priority=False, now=NOW)
    assert new.number == f"B{len(seqs['B']) + 1:03d}"
    assert estimated_wait_s(new, position=ticket_position(new), now=NOW) > 0


def test_rerun_the_same_day_adds_nothing_and_a_later_day_adds_that_day(hall):
    before = (Ticket.objects.count(), TicketEvent.objects.count(), Appointment.objects.count())
    again = queue_load_today(now=NOW + dt.timedelta(hours=3))
    assert again.added == 0
    assert (Ticket.objects.count(), TicketEvent.objects.count(), Appointment.objects.count()) == before
    later = queue_load_today(now=NOW + dt.timedelta(days=1))
    assert later.day == DAY + dt.timedelta(days=1) and later.added == hall[0].added
    assert Ticket.objects.filter(day=later.day, number="A001").exists()


def test_counter_hours_and_appointments(hall):
    ten = Counter.objects.get(commune_id=W.COMMUNE_CODE, number=10)
    hours = CounterHours.objects.filter(counter=ten)
    assert {(h.group.letter, h.starts, h.ends) for h in hours} == {
        ("A", dt.time(8), dt.time(11, 30)),
        ("C", dt.time(8), dt.time(11, 30)),
    }
    checked_in = Appointment.objects.filter(state=AppointmentState.CHECKED_IN)
    assert checked_in.count() >= 3
    for a in checked_in.select_related("ticket"):
        assert a.ticket is not None and a.ticket.booked and a.ticket.source == TicketSource.APPOINTMENT
        assert a.starts_at <= a.ticket.issued_at < a.ends_at and a.group_id == a.ticket.group_id
    booked = Appointment.objects.filter(state=AppointmentState.BOOKED, ticket__isnull=True)
    days = {a.starts_at.astimezone(LOCAL_TZ).date() for a in booked}
    assert DAY + dt.timedelta(days=1) in days and DAY in days
    assert all(a.starts_at > NOW for a in booked)


@pytest.mark.parametrize(
    ("hour", "minute", "shown"),
    [
        (6, 0, CUT),
        (9, 29, CUT),
        (9, 30, hm(9, 30)),
        (15, 30, hm(15, 30)),
        (16, 30, hm(16, 30)),
        (21, 0, hm(16, 30)),
    ],
)
def test_the_hall_shows_the_hour_of_the_day_it_runs(hour, minute, shown):
    assert cut_for(NOW.replace(hour=hour, minute=minute)) == shown


def test_an_afternoon_demo_has_most_of_the_days_600_tickets(db):
    _empty_hall()
    afternoon = NOW.replace(hour=15, minute=30)
    result = queue_load_today(now=afternoon)
    assert 450 < result.added < 600
    assert Ticket.objects.filter(commune_id=W.COMMUNE_CODE, state=TicketState.WAITING).exists()
    assert not TicketEvent.objects.filter(at__gt=afternoon).exists()
