"""On PostgreSQL: 500 simultaneous ticket requests get 500 distinct consecutive numbers, and 20
officers pressing "call next" at 20 counters at once never get the same ticket."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from motcua.org.models import Role
from motcua.queueing.models import Ticket, TicketEvent, TicketState
from motcua.queueing.services import counter_call_next, ticket_finish, ticket_issue
from motcua.testing import make_commune, make_counter, make_service_groups, make_user

from .conftest import NOW

TICKETS = 500
OFFICERS = 20


def _threads(wanted: int) -> int:
    """As many threads as the server's max_connections allows (tools/pg.sh: 200), with room to spare."""
    with connection.cursor() as cur:
        cur.execute("SHOW max_connections")
        max_conn = int(cur.fetchone()[0])
    return min(wanted, max_conn - 20)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_ticket_requests_get_distinct_consecutive_numbers():
    ward = make_commune()
    make_service_groups(ward)
    threads = _threads(50)  # 50 threads × 10 requests
    barrier = threading.Barrier(threads)
    per_thread = [TICKETS // threads + (1 if i < TICKETS % threads else 0) for i in range(threads)]

    def work(count: int) -> list[str]:
        try:
            barrier.wait(timeout=60)
            return [
                ticket_issue(commune=ward, group_letter="B", priority=False, now=NOW).number
                for _ in range(count)
            ]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        numbers = [n for batch in pool.map(work, per_thread) for n in batch]

    assert len(numbers) == TICKETS and len(set(numbers)) == TICKETS, "no repeats"
    assert sorted(numbers) == [f"B{i:03d}" for i in range(1, TICKETS + 1)], "no gaps"
    assert Ticket.objects.count() == TicketEvent.objects.count() == TICKETS


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_officers_calling_at_once_never_get_the_same_ticket():
    ward = make_commune()
    make_service_groups(ward)
    officers = [make_user(ward, Role.COUNTER_OFFICER, f"quay{i}") for i in range(OFFICERS)]
    counters = [make_counter(ward, i + 1, "AB", officer=officers[i]) for i in range(OFFICERS)]
    waiting = 3 * OFFICERS + 7  # more calls than tickets: the last calls find nobody
    for i in range(waiting):
        ticket_issue(commune=ward, group_letter="AB"[i % 2], priority=i % 5 == 0, now=NOW)
    rounds = 4
    barrier = threading.Barrier(OFFICERS)

    def work(i: int) -> list[int | None]:
        try:
            got = []
            for _ in range(rounds):
                barrier.wait(timeout=60)
                t = counter_call_next(actor=officers[i], counter=counters[i], now=NOW)
                got.append(t.pk if t else None)
                if t is not None:  # a counter with a called ticket calls no one else
                    ticket_finish(actor=officers[i], counter=counters[i], ticket=t, now=NOW)
            return got
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=OFFICERS) as pool:
        results = [pk for batch in pool.map(work, range(OFFICERS)) for pk in batch]

    called = [pk for pk in results if pk is not None]
    assert len(called) == len(set(called)), "two officers got the same ticket"
    assert len(called) == waiting, "every waiting ticket was called once"
    assert not Ticket.objects.filter(state=TicketState.WAITING).exists()
    assert TicketEvent.objects.filter(kind="CALLED").count() == waiting
    assert TicketEvent.objects.filter(kind="FINISHED").count() == waiting
    by_counter = Ticket.objects.values_list("pk", "counter_id")
    assert all(counter is not None for _, counter in by_counter)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_phone_asking_for_twenty_numbers_at_once_gets_only_its_cap(settings):
    """The cap is counted under the holder's advisory lock: requests of one phone for four groups
    (four different sequence rows, which never wait for each other) cannot all count 0."""
    from motcua.core.errors import Conflict

    settings.MOTCUA_QUEUE_PHONE_MAX_LIVE = 3
    ward = make_commune()
    make_service_groups(ward)
    threads = _threads(20)
    barrier = threading.Barrier(threads)

    def work(i: int) -> str:
        try:
            barrier.wait(timeout=60)
            try:
                ticket_issue(
                    commune=ward, group_letter="ABCD"[i % 4], priority=False, now=NOW, holder="h" * 64
                )
            except Conflict as exc:
                return exc.code
            return "ok"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        outcomes = list(pool.map(work, range(threads)))
    assert outcomes.count("ok") == 3 and outcomes.count("too_many_live_tickets") == threads - 3
    assert Ticket.objects.filter(holder="h" * 64).count() == 3
