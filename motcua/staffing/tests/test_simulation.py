"""The simpy simulation (motcua/staffing/simulation.py) against Erlang C / A, and its day model."""

import math

import pytest

from motcua.staffing.erlang import average_wait_seconds, erlang_a, service_level
from motcua.staffing.simulation import (
    CounterDay,
    GroupDay,
    counters_per_group,
    simulate_day,
    simulate_stationary,
)


def within(estimate, value):
    return estimate.low <= value <= estimate.high


@pytest.mark.parametrize(("lam", "s", "n", "t"), [(60, 10, 12, 300), (200, 3, 13, 20), (30, 15, 9, 900)])
def test_stationary_day_agrees_with_erlang_c_within_its_confidence_interval(lam, s, n, t):
    sim = simulate_stationary(
        arrivals_per_hour=lam,
        service_minutes=s,
        agents=n,
        target_wait_seconds=t,
        hours=40,
        replications=12,
        seed=7,
    )
    level = service_level(arrivals_per_hour=lam, service_minutes=s, agents=n, target_wait_seconds=t)
    wait = average_wait_seconds(arrivals_per_hour=lam, service_minutes=s, agents=n)
    assert within(sim.called_within_target, level), (sim.called_within_target, level)
    assert within(sim.average_wait_seconds, wait), (sim.average_wait_seconds, wait)
    assert sim.abandon_rate.mean == 0.0
    # nobody leaves: the offered wait is the wait
    assert sim.offered_within_target == sim.called_within_target
    # the interval is a real one, not a blanket: narrower than ±0.1 around the level
    assert sim.called_within_target.high - sim.called_within_target.low < 0.2


@pytest.mark.parametrize(
    ("lam", "s", "n", "p", "t"), [(60, 10, 10, 20, 300), (200, 3, 9, 2, 20), (40, 12, 6, 15, 600)]
)
def test_stationary_day_with_patience_agrees_with_erlang_a(lam, s, n, p, t):
    sim = simulate_stationary(
        arrivals_per_hour=lam,
        service_minutes=s,
        agents=n,
        target_wait_seconds=t,
        patience_minutes=p,
        hours=40,
        replications=12,
        seed=3,
    )
    exact = erlang_a(
        arrivals_per_hour=lam, service_minutes=s, patience_minutes=p, agents=n, target_wait_seconds=t
    )
    # Erlang A's service level is the simulation's share called within T (leavers not called)
    assert within(sim.called_within_target, exact.service_level), (sim.called_within_target, exact)
    assert within(sim.average_wait_seconds, exact.average_wait_seconds), (sim.average_wait_seconds, exact)
    assert within(sim.abandon_rate, exact.abandon_rate), (sim.abandon_rate, exact)
    assert within(sim.offered_within_target, exact.offered_within_target), (sim.offered_within_target, exact)
    assert sim.abandon_rate.mean > 0.0
    # a leaver is never counted as called: the level and the abandon rate add up to at most 100 %
    assert exact.service_level + exact.abandon_rate <= 1.0 + 1e-12


def _day(counts_b=(2, 3, 3, 2, 2, 1, 1, 1)):
    """A morning of 8 half hours with a peak, three groups, lognormal services, some leaving."""
    groups = [
        GroupDay("A", (10, 25, 30, 25, 15, 10, 8, 5), 6.0, 0.5, 40.0),
        GroupDay("B", (8, 20, 25, 20, 12, 8, 6, 4), 9.0, 0.6, 30.0),
        GroupDay("C", (3, 6, 8, 6, 4, 3, 2, 1), 15.0, None, None),
    ]
    counters = counters_per_group({"A": [2, 4, 4, 4, 3, 2, 2, 2], "B": list(counts_b), "C": [1] * 8})
    return groups, counters


def test_seeded_runs_are_reproducible_and_seeds_matter():
    groups, counters = _day()
    first = simulate_day(groups=groups, counters=counters, target_wait_seconds=900, replications=5, seed=11)
    again = simulate_day(groups=groups, counters=counters, target_wait_seconds=900, replications=5, seed=11)
    other = simulate_day(groups=groups, counters=counters, target_wait_seconds=900, replications=5, seed=12)
    assert first == again
    assert first != other


def test_more_counters_never_wait_longer_with_the_same_seed():
    groups, counters = _day()
    more_groups, more_counters = _day(counts_b=(3, 4, 4, 3, 3, 2, 2, 2))
    base = simulate_day(groups=groups, counters=counters, target_wait_seconds=900, replications=10, seed=5)
    more = simulate_day(
        groups=more_groups, counters=more_counters, target_wait_seconds=900, replications=10, seed=5
    )
    assert more.group("B").mean_wait_seconds.mean < base.group("B").mean_wait_seconds.mean
    assert more.group("B").called_within_target.mean >= base.group("B").called_within_target.mean
    for slot in range(8):
        assert (
            more.slot("B", slot).mean_wait_seconds.mean <= base.slot("B", slot).mean_wait_seconds.mean + 1e-9
        )
    # the other groups have their own counters and their own residents: untouched
    assert more.group("A") == base.group("A")
    assert more.group("C") == base.group("C")


def test_a_day_reports_every_group_and_half_hour_with_intervals():
    groups, counters = _day()
    day = simulate_day(groups=groups, counters=counters, target_wait_seconds=900, replications=20, seed=1)
    assert {f.group for f in day.groups} == {"A", "B", "C"}
    a = day.group("A")
    assert 120 <= a.residents <= 140  # 128 expected over the morning
    for figures in day.slots:
        for estimate in (figures.offered_within_target, figures.abandon_rate, figures.called_within_target):
            assert (
                0.0 <= estimate.low <= estimate.mean <= estimate.high <= 1.0
                or estimate.low < 0.0
                or estimate.high > 1.0
            )
        assert (
            figures.mean_wait_seconds.low <= figures.mean_wait_seconds.mean <= figures.mean_wait_seconds.high
        )
    # the peak waits longer than the quiet end of the morning
    assert day.slot("B", 2).mean_wait_seconds.mean > day.slot("B", 7).mean_wait_seconds.mean
    assert day.group("C").abandon_rate.mean == 0.0
    assert day.group("A").abandon_rate.mean > 0.0


def test_the_rest_of_the_day_starts_from_the_residents_already_waiting():
    """The live alert's question: 14 residents already wait for land, one counter or two?"""
    land = GroupDay("DD", (2, 2, 2, 2), 12.0, 0.4, None)
    waiting = {"DD": [float(m) for m in range(0, 28, 2)]}
    one = counters_per_group({"DD": [1, 1, 1, 1]})
    two = counters_per_group({"DD": [2, 2, 2, 2]})
    busy = {"DD1": 5.0}
    common = {
        "target_wait_seconds": 3600,
        "replications": 10,
        "seed": 2,
        "waiting": waiting,
        "busy_until": busy,
    }
    alone = simulate_day(groups=[land], counters=one, **common)
    helped = simulate_day(groups=[land], counters=two, **common)
    assert alone.slot("DD", 0).residents >= 14  # those waiting count in the first half hour
    assert helped.group("DD").mean_wait_seconds.mean < alone.group("DD").mean_wait_seconds.mean / 2
    assert helped.group("DD").called_within_target.mean > alone.group("DD").called_within_target.mean


def test_a_shared_counter_calls_whoever_took_a_number_first():
    """Deterministic: no arrivals, 5-minute services (σ = 0), one counter serving both groups;
    B's resident has waited 20 min, A's 10: B is called at once, A five minutes later."""
    groups = [GroupDay("A", (0.0,), 5.0, 0.0), GroupDay("B", (0.0,), 5.0, 0.0)]
    counter = CounterDay("1", (frozenset({"A", "B"}),))
    day = simulate_day(
        groups=groups,
        counters=[counter],
        target_wait_seconds=900,
        replications=2,
        waiting={"A": [10.0], "B": [20.0]},
    )
    assert day.group("B").mean_wait_seconds.mean == pytest.approx(20 * 60)
    assert day.group("A").mean_wait_seconds.mean == pytest.approx(15 * 60)
    assert day.group("A").called_within_target.mean == 1.0  # 15 min ≤ 15 min
    assert day.group("B").called_within_target.mean == 0.0


def test_a_closed_counter_calls_nobody_and_the_line_waits_for_the_next_half_hour():
    groups = [GroupDay("A", (0.0, 0.0), 5.0, 0.0)]
    counter = CounterDay("1", (frozenset(), frozenset({"A"})))
    day = simulate_day(
        groups=groups, counters=[counter], target_wait_seconds=60, replications=2, waiting={"A": [0.0]}
    )
    assert day.group("A").mean_wait_seconds.mean == pytest.approx(30 * 60)


@pytest.mark.parametrize(
    ("groups", "counters", "extra"),
    [
        ([GroupDay("A", (math.nan,), 5.0)], [], {}),
        ([GroupDay("A", (-1.0,), 5.0)], [], {}),
        ([GroupDay("A", (1.0,), 0.0)], [], {}),
        ([GroupDay("A", (1.0,), 5.0, None, math.inf)], [], {}),
        ([GroupDay("A", (1.0, 2.0), 5.0), GroupDay("B", (1.0,), 5.0)], [], {}),
        ([GroupDay("A", (1.0,), 5.0), GroupDay("A", (1.0,), 5.0)], [], {}),
        ([GroupDay("A", (1.0,), 5.0)], [CounterDay("1", (frozenset({"A"}), frozenset()))], {}),
        ([GroupDay("A", (1.0,), 5.0)], [], {"waiting": {"Z": [1.0]}}),
        ([GroupDay("A", (1.0,), 5.0)], [], {"waiting": {"A": [math.nan]}}),
        ([GroupDay("A", (1.0,), 5.0)], [], {"busy_until": {"9": 1.0}}),
        ([GroupDay("A", (1.0,), 5.0)], [], {"replications": 1}),
        ([], [], {}),
    ],
)
def test_bad_days_are_refused(groups, counters, extra):
    with pytest.raises(ValueError):
        simulate_day(
            groups=groups, counters=counters, target_wait_seconds=900, **{"replications": 3, **extra}
        )


def test_counters_per_group_opens_the_kth_counter_when_k_are_wanted():
    counters = counters_per_group({"A": [1, 3, 0], "B": [1, 1, 1]})
    assert [c.name for c in counters] == ["A1", "A2", "A3", "B1"]
    assert counters[1].groups_per_slot == (frozenset(), frozenset({"A"}), frozenset())
    with pytest.raises(ValueError):
        counters_per_group({"A": [-1]})
