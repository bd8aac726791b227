"""The live wait estimate (issue 8 §8): the simulated day's winner, fed from the database."""

from __future__ import annotations

import datetime as dt

import pytest

from motcua.org.models import Role
from motcua.queueing.estimate import (
    LIVE_ESTIMATOR,
    CounterNow,
    Done,
    QueueState,
    best_estimator,
    projected_wait,
    replay,
)
from motcua.queueing.models import CounterHours
from motcua.queueing.selectors import estimated_wait_s, queue_state, ticket_position
from motcua.queueing.services import counter_call_next, ticket_finish, ticket_issue, ticket_start
from motcua.queueing.simulate import simulate_day
from motcua.testing import make_counter, make_user

from .conftest import NOW

MIN = dt.timedelta(minutes=1)


@pytest.fixture
def officers(ward):
    return [make_user(ward, Role.COUNTER_OFFICER, f"quay{i}") for i in range(1, 5)]


def _issue(ward, letter="A", n=1, at=NOW):
    return [ticket_issue(commune=ward, group_letter=letter, priority=False, now=at) for _ in range(n)]


def _wait(ticket, now=NOW):
    return estimated_wait_s(ticket, position=ticket_position(ticket), now=now)


def _serve(counter, officer, minutes, n, start):
    """The counter calls, serves and finishes `n` tickets of `minutes` each from `start`."""
    t = start
    for _ in range(n):
        ticket = counter_call_next(actor=officer, counter=counter, now=t)
        assert ticket is not None
        ticket_start(actor=officer, counter=counter, ticket=ticket, now=t + dt.timedelta(seconds=30))
        t += dt.timedelta(minutes=minutes)
        ticket_finish(actor=officer, counter=counter, ticket=ticket, now=t)
    return t


def test_the_live_estimator_is_the_simulated_days_winner():
    assert best_estimator(replay(simulate_day(0))) == LIVE_ESTIMATOR == "projected"


def test_more_open_counters_give_a_shorter_wait(ward, groups, officers, settings):
    settings.MOTCUA_QUEUE_AVG_SERVICE_SECONDS = 300
    *_, last = _issue(ward, n=6)
    make_counter(ward, 1, "A", officer=officers[0])
    one = _wait(last)
    make_counter(ward, 2, "A", officer=officers[1])
    make_counter(ward, 3, "AC", officer=officers[2])
    three = _wait(last)
    assert one == 5 * 300  # five ahead, one free counter
    assert 0 < three < one


def test_a_counter_without_officer_or_out_of_its_hours_is_not_open(ward, groups, officers, settings):
    settings.MOTCUA_QUEUE_AVG_SERVICE_SECONDS = 300
    *_, last = _issue(ward, n=4)
    make_counter(ward, 1, "A", officer=officers[0])
    alone = _wait(last)
    make_counter(ward, 2, "A")  # nobody sits there
    afternoon = make_counter(ward, 3, "A", officer=officers[1])
    CounterHours.objects.create(
        counter=afternoon, group=groups["A"], starts=dt.time(13, 30), ends=dt.time(17)
    )
    assert _wait(last) == alone
    assert _wait(last, now=NOW.replace(hour=14)) < alone  # 14:00: quầy 3 serves A


def test_slower_recent_service_gives_a_longer_wait(ward, groups, officers, settings):
    settings.MOTCUA_QUEUE_AVG_SERVICE_SECONDS = 300
    fast = make_counter(ward, 1, "A", officer=officers[0])
    slow = make_counter(ward, 2, "B", officer=officers[1])
    _issue(ward, "A", n=4)
    _issue(ward, "B", n=4)
    end = max(_serve(fast, officers[0], 2, 4, NOW), _serve(slow, officers[1], 12, 4, NOW))
    a = _issue(ward, "A", n=3, at=end)[-1]
    b = _issue(ward, "B", n=3, at=end)[-1]
    wait_a, wait_b = _wait(a, end), _wait(b, end)
    assert 2 * 2 * 60 <= wait_a < 2 * 4 * 60  # two ahead at about 2 min each
    assert 2 * 11 * 60 <= wait_b < 2 * 13 * 60  # two ahead at about 12 min each
    assert wait_b > 4 * wait_a


def test_a_fresh_day_uses_the_configured_average(ward, groups, officers, settings):
    settings.MOTCUA_QUEUE_AVG_SERVICE_SECONDS = 420
    counter = make_counter(ward, 1, "A", officer=officers[0])
    _issue(ward, n=2)
    end = _serve(counter, officers[0], 1, 2, NOW)  # two finished: still too few to trust
    last = _issue(ward, n=3, at=end)[-1]
    assert queue_state(last, position=3, now=end).history == ()
    assert _wait(last, end) == 2 * 420


def test_no_counter_open_waits_a_counter_time_per_place_in_line(ward, groups, settings):
    settings.MOTCUA_QUEUE_AVG_SERVICE_SECONDS = 240
    *_, last = _issue(ward, n=3)
    assert _wait(last) == 3 * 240


def test_the_estimate_is_projected_wait_of_the_state_read_from_the_database(ward, groups, officers, settings):
    settings.MOTCUA_QUEUE_AVG_SERVICE_SECONDS = 300
    c1 = make_counter(ward, 1, "A", officer=officers[0])
    make_counter(ward, 2, "AC", officer=officers[1])
    _issue(ward, "A", n=3)
    _issue(ward, "C", n=2)
    end = _serve(c1, officers[0], 4, 3, NOW)
    busy = counter_call_next(actor=officers[0], counter=c1, now=end)  # no A waits: quầy 1 serves A only
    assert busy is None
    a = _issue(ward, "A", n=2, at=end)
    busy = counter_call_next(actor=officers[0], counter=c1, now=end + MIN)
    assert busy is not None and busy.number == "A004"
    now = end + 3 * MIN
    mine = a[-1]
    state = queue_state(mine, position=ticket_position(mine), now=now)
    t0 = NOW.timestamp()
    expected = QueueState(
        now=now.timestamp(),
        group="A",
        ahead=0,
        counters=(
            CounterNow(1, ("A",), "A", (end + MIN).timestamp()),
            CounterNow(2, ("A", "C")),
        ),
        waiting={"C": 2},
        history=[Done("A", 1, t0 + 240 * k, t0 + 240 * k + 30, t0 + 240 * (k + 1)) for k in range(3)],
        default_s=300.0,
    )
    assert state == expected
    assert _wait(mine, now) == round(projected_wait(expected))


def test_the_estimate_reads_the_database_a_handful_of_times(
    ward, groups, officers, settings, django_assert_max_num_queries
):
    for i, letters in enumerate(("A", "AC", "B", "BD")):
        make_counter(ward, i + 1, letters, officer=officers[i])
    *_, last = _issue(ward, n=20)
    with django_assert_max_num_queries(7):  # the place in line and six reads for the estimate
        assert _wait(last, NOW) is not None
