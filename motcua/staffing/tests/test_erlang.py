"""Erlang C and Erlang A (motcua/staffing/erlang.py): published examples, then properties."""

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from motcua.staffing.erlang import (
    agents_needed,
    average_wait_seconds,
    erlang_a,
    erlang_b,
    erlang_c,
    service_level,
)


def test_call_centre_helper_worked_example():
    """Call Centre Helper, "Erlang C formula — example": 100 calls in 30 minutes, 180 s handling,
    80 % within 20 s → 14 agents (before shrinkage), probability of waiting 17.4 %, service level
    88.8 % — https://www.callcentrehelper.com/erlang-c-formula-example-121281.htm (the same
    figures, to 3 decimals, in pyworkforce's test of that example:
    https://github.com/rodrigo-arenas/pyworkforce/blob/main/pyworkforce/queuing/tests/test_erlang.py)."""
    staffing = agents_needed(
        arrivals_per_hour=200, service_minutes=3, target_wait_seconds=20, service_level=0.8
    )
    assert staffing.agents == 14
    assert round(staffing.service_level, 3) == 0.888
    assert round(erlang_c(agents=14, offered_load=10.0), 3) == 0.174
    assert staffing.abandon_rate is None
    # one fewer misses the target (the example's 13 agents: 79.6 %)
    assert (
        round(service_level(arrivals_per_hour=200, service_minutes=3, agents=13, target_wait_seconds=20), 3)
        == 0.796
    )


def test_wikipedia_erlang_c_identity_with_erlang_b():
    """Wikipedia, "Erlang (unit)" § Erlang C: C = n·B / (n − A·(1 − B))
    (https://en.wikipedia.org/wiki/Erlang_(unit)#Erlang_C_formula); the textbook sum form
    C = (Aⁿ/n!·n/(n−A)) / (Σ_{k<n} Aᵏ/k! + Aⁿ/n!·n/(n−A)) computed directly agrees."""
    for n, load in [(1, 0.5), (2, 1.5), (14, 10.0), (55, 48.0), (30, 29.9)]:
        head = load**n / math.factorial(n) * n / (n - load)
        direct = head / (sum(load**k / math.factorial(k) for k in range(n)) + head)
        assert erlang_c(agents=n, offered_load=load) == pytest.approx(direct, rel=1e-12)
    # M/M/1: C = ρ, mean wait = ρ·S/(1 − ρ)
    assert erlang_c(agents=1, offered_load=0.75) == pytest.approx(0.75)
    assert average_wait_seconds(arrivals_per_hour=45, service_minutes=1, agents=1) == pytest.approx(
        0.75 / 0.25 * 60
    )


def test_erlang_a_agrees_with_pyworkforce_published_figures():
    """Erlang A, same example with a 5-minute patience, 14 agents: pyworkforce's published test
    (https://github.com/rodrigo-arenas/pyworkforce/blob/main/pyworkforce/queuing/tests/test_abandonment.py)
    gives P(wait) 0.14526, P(abandon) 0.013984, mean wait 0.069919 min, and a service level
    (answered within 20 s, leavers counted as not answered) 0.916792 — our `served_within_target`."""
    result = erlang_a(
        arrivals_per_hour=200, service_minutes=3, patience_minutes=5, agents=14, target_wait_seconds=20
    )
    assert round(result.p_wait, 5) == 0.14526
    assert round(result.abandon_rate, 6) == 0.013984
    assert round(result.average_wait_seconds / 60, 6) == 0.069919
    assert round(result.served_within_target, 6) == 0.916792
    # The offered-wait level counts nobody who left against the counters: it is at least as high.
    assert result.service_level >= result.served_within_target


def test_two_hundred_agents_do_not_overflow():
    c = erlang_c(agents=200, offered_load=190.0)
    assert 0.0 < c < 1.0
    assert erlang_b(agents=10_000, offered_load=9_000.0) > 0.0
    level = service_level(arrivals_per_hour=3800, service_minutes=3, agents=200, target_wait_seconds=20)
    assert 0.0 < level < 1.0


def test_unstable_and_empty():
    assert erlang_c(agents=10, offered_load=10.0) == 1.0
    assert service_level(arrivals_per_hour=200, service_minutes=3, agents=10, target_wait_seconds=20) == 0.0
    assert average_wait_seconds(arrivals_per_hour=200, service_minutes=3, agents=9) == math.inf
    assert service_level(arrivals_per_hour=0, service_minutes=3, agents=0, target_wait_seconds=20) == 1.0
    assert (
        agents_needed(
            arrivals_per_hour=0, service_minutes=3, target_wait_seconds=20, service_level=0.8
        ).agents
        == 0
    )
    assert (
        agents_needed(
            arrivals_per_hour=0.01, service_minutes=1, target_wait_seconds=20, service_level=0.5
        ).agents
        == 1
    )
    nobody = erlang_a(
        arrivals_per_hour=60, service_minutes=3, patience_minutes=2, agents=0, target_wait_seconds=20
    )
    assert (nobody.service_level, nobody.abandon_rate) == (0.0, 1.0)
    assert nobody.average_wait_seconds == pytest.approx(120.0)  # everyone waits out their patience


@pytest.mark.parametrize(
    "kwargs",
    [
        {"arrivals_per_hour": -1},
        {"arrivals_per_hour": math.nan},
        {"arrivals_per_hour": math.inf},
        {"arrivals_per_hour": 1e9},
        {"service_minutes": 0},
        {"target_wait_seconds": -5},
        {"service_level": 0},
        {"service_level": 1},
        {"service_level": 80},
        {"patience_minutes": 0},
        {"patience_minutes": math.nan},
        {"arrivals_per_hour": True},
        {"arrivals_per_hour": "12"},
    ],
)
def test_bad_inputs_are_refused(kwargs):
    base = {
        "arrivals_per_hour": 60.0,
        "service_minutes": 5.0,
        "target_wait_seconds": 900.0,
        "service_level": 0.8,
    }
    with pytest.raises(ValueError):
        agents_needed(**{**base, **kwargs})


def test_bad_agents_are_refused():
    with pytest.raises(ValueError):
        erlang_c(agents=-1, offered_load=1.0)
    with pytest.raises(ValueError):
        erlang_c(agents=2.5, offered_load=1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="do not reach"):
        agents_needed(
            arrivals_per_hour=600, service_minutes=60, target_wait_seconds=20, service_level=0.8, max_agents=5
        )


arrivals = st.floats(min_value=0.5, max_value=400.0)
services = st.floats(min_value=0.5, max_value=30.0)
targets = st.floats(min_value=0.0, max_value=3600.0)
patiences = st.floats(min_value=0.5, max_value=240.0)
levels = st.floats(min_value=0.05, max_value=0.99)


@settings(max_examples=150, deadline=None)
@given(arrivals, services, targets, st.integers(min_value=0, max_value=150))
def test_more_agents_never_lower_the_level_nor_raise_the_wait(lam, s, t, n):
    def level(k: int) -> float:
        return service_level(arrivals_per_hour=lam, service_minutes=s, agents=k, target_wait_seconds=t)

    def wait(k: int) -> float:
        return average_wait_seconds(arrivals_per_hour=lam, service_minutes=s, agents=k)

    assert level(n + 1) >= level(n) - 1e-12
    assert wait(n + 1) <= wait(n) or wait(n) == math.inf
    assert 0.0 <= level(n) <= 1.0


@settings(max_examples=100, deadline=None)
@given(arrivals, services, targets, patiences, st.integers(min_value=0, max_value=120))
def test_erlang_a_more_agents_never_lower_the_level_nor_raise_the_wait(lam, s, t, p, n):
    def at(k: int):
        return erlang_a(
            arrivals_per_hour=lam, service_minutes=s, patience_minutes=p, agents=k, target_wait_seconds=t
        )

    here, more = at(n), at(n + 1)
    assert more.service_level >= here.service_level - 1e-9
    assert more.average_wait_seconds <= here.average_wait_seconds + 1e-9
    for value in (here.service_level, here.abandon_rate, here.p_wait, here.served_within_target):
        assert 0.0 <= value <= 1.0
    assert here.served_within_target <= here.service_level + 1e-9


@settings(max_examples=100, deadline=None)
@given(arrivals, services, targets, levels, st.one_of(st.none(), patiences))
def test_agents_needed_meets_the_target_and_one_fewer_does_not(lam, s, t, target, p):
    staffing = agents_needed(
        arrivals_per_hour=lam,
        service_minutes=s,
        target_wait_seconds=t,
        service_level=target,
        patience_minutes=p,
    )
    assert staffing.agents >= 1
    assert staffing.service_level >= target
    if staffing.agents > 1:
        if p is None:
            fewer = service_level(
                arrivals_per_hour=lam, service_minutes=s, agents=staffing.agents - 1, target_wait_seconds=t
            )
        else:
            fewer = erlang_a(
                arrivals_per_hour=lam,
                service_minutes=s,
                patience_minutes=p,
                agents=staffing.agents - 1,
                target_wait_seconds=t,
            ).service_level
        assert fewer < target
    assert (staffing.abandon_rate is None) == (p is None)


@settings(max_examples=100, deadline=None)
@given(arrivals, services, targets, levels, patiences)
def test_with_patience_never_more_agents_than_erlang_c(lam, s, t, target, p):
    common = {
        "arrivals_per_hour": lam,
        "service_minutes": s,
        "target_wait_seconds": t,
        "service_level": target,
    }
    assert agents_needed(**common, patience_minutes=p).agents <= agents_needed(**common).agents


@settings(max_examples=60, deadline=None)
@given(arrivals, services, targets, st.integers(min_value=1, max_value=60))
def test_erlang_a_tends_to_erlang_c_as_patience_grows(lam, s, t, extra):
    n = math.floor(lam * s / 60) + extra  # a stable hall
    c_level = service_level(arrivals_per_hour=lam, service_minutes=s, agents=n, target_wait_seconds=t)
    c_wait = average_wait_seconds(arrivals_per_hour=lam, service_minutes=s, agents=n)
    # "patience → ∞": the load that leaves (≈ a·W/P erlangs) is a sliver of the spare capacity n − a
    # (near n = a even rare leavers shorten the line a lot, as they should)
    load = lam * s / 60
    assume(load * (c_wait / 60) / 1440.0 <= 0.01 * (n - load))
    gaps = []
    for patience in (s * 4, s * 40, 1440.0):
        a = erlang_a(
            arrivals_per_hour=lam,
            service_minutes=s,
            patience_minutes=patience,
            agents=n,
            target_wait_seconds=t,
        )
        gaps.append(abs(a.service_level - c_level) + abs(a.average_wait_seconds - c_wait) / (c_wait + 1.0))
        assert a.service_level >= c_level - 1e-9  # abandonment only shortens the line ahead
    assert gaps[-1] <= gaps[0] + 1e-9
    assert gaps[-1] < 0.05


@pytest.mark.parametrize(
    ("lam", "s", "p", "n"), [(200, 3, 5, 14), (323, 8.4, 1440, 46), (60, 10, 30, 8), (90, 12, 20, 10)]
)
def test_erlang_a_agrees_with_the_birth_death_chain_solved_by_brute_force(lam, s, p, n):
    """The chain's balance equations solved naively on 20 000 states (no series, no logarithms)."""
    rate, mu, theta = lam / 60, 1 / s, 1 / p
    weights = [1.0]
    for k in range(1, 20_000):
        weights.append(weights[-1] * rate / (min(k, n) * mu + max(k - n, 0) * theta))
        if weights[-1] < 1e-300:
            break
    total = math.fsum(weights)
    p_wait = math.fsum(weights[n:]) / total
    queue = math.fsum((k - n) * w for k, w in enumerate(weights) if k > n) / total
    result = erlang_a(
        arrivals_per_hour=lam, service_minutes=s, patience_minutes=p, agents=n, target_wait_seconds=60
    )
    assert result.p_wait == pytest.approx(p_wait, rel=1e-9)
    assert result.average_wait_seconds == pytest.approx(queue / rate * 60, rel=1e-9)
    assert result.abandon_rate == pytest.approx(theta * queue / rate, rel=1e-9)
