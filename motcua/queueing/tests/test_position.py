"""A waiting ticket's place in line is the order in which the counters will call it: priority,
then appointments checked in within their window, then order of issue; a ticket transferred
to one counter waits in that counter's line."""

import datetime as dt

from motcua.queueing.models import Ticket
from motcua.queueing.selectors import ticket_position
from motcua.queueing.services import counter_call_next, ticket_issue

from .conftest import NOW

MIN = dt.timedelta(minutes=1)


def test_positions_are_the_order_of_the_calls(ward, groups, staff, counter1):
    kinds = [(False, False), (True, False), (False, True), (False, False), (True, True), (False, True)]
    tickets = [
        ticket_issue(commune=ward, group_letter="A", priority=p, booked=b, now=NOW + i * MIN)
        for i, (p, b) in enumerate(kinds)
    ]
    positions = {t.pk: ticket_position(t) for t in tickets}
    assert sorted(positions.values()) == list(range(1, len(tickets) + 1))
    called = []
    for i in range(len(tickets)):
        t = counter_call_next(actor=staff["counter"], counter=counter1, now=NOW + (30 + i) * MIN)
        assert t is not None
        called.append(t.pk)
        Ticket.objects.filter(pk=t.pk).update(state="DONE")  # the counter is free for the next call
    assert called == sorted(positions, key=positions.__getitem__)
    # priority+booked, priority, booked (issue order), then walk-ins
    assert [positions[t.pk] for t in tickets] == [5, 2, 3, 6, 1, 4]


def test_a_ticket_sent_to_another_counter_is_not_ahead_in_the_group(ward, groups, staff, counter1, counter2):
    first = ticket_issue(commune=ward, group_letter="A", priority=False, now=NOW)
    second = ticket_issue(commune=ward, group_letter="A", priority=False, now=NOW + MIN)
    Ticket.objects.filter(pk=first.pk).update(directed_counter=counter2)
    first.refresh_from_db()
    second.refresh_from_db()
    assert ticket_position(second) == 1
    assert ticket_position(first) == 1
