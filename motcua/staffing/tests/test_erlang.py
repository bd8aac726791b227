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
    (answered within 20 s, leavers counted as not answered) 0.916792 — our service level."""
    result = erlang_a(
        arrivals_per_hour=200, service_minutes=3, patience_minutes=5, agents=14, target_wait_seconds=20
    )
    assert round(result.p_wait, 5) == 0.14526
    assert round(result.abandon_rate, 6) == 0.013984
    assert round(result.average_wait_seconds / 60, 6) == 0.069919
    assert round(result.service_level, 6) == 0.916792
    # The offered-wait share counts leavers whose turn came in time as called: at least as high.
    assert result.offered_within_target >= result.service_level


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
    assert more.offered_within_target >= here.offered_within_target - 1e-9
    for value in (here.service_level, here.abandon_rate, here.p_wait, here.offered_within_target):
        assert 0.0 <= value <= 1.0
    assert here.service_level <= here.offered_within_target + 1e-9
    # a resident who left is never counted as called in time
    assert here.service_level + here.abandon_rate <= 1.0 + 1e-9


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
def test_with_patience_the_counters_called_in_time_and_the_leavers_account_for_everyone(lam, s, t, target, p):
    """Erlang A's level is the share called within T among ALL who came: with the recommended
    counters at least the target is called in time, so at most 1 − target leave; more patience
    asks for no more counters than Erlang C's plus the ones that make up for those who leave.
    (With the strict share Erlang A may ask for MORE counters than Erlang C: a resident who
    leaves after a minute is a failure that Erlang C, where nobody leaves, never counts.)"""
    common = {
        "arrivals_per_hour": lam,
        "service_minutes": s,
        "target_wait_seconds": t,
        "service_level": target,
    }
    a = agents_needed(**common, patience_minutes=p)
    assert a.abandon_rate is not None
    assert a.service_level >= target
    assert a.abandon_rate <= 1.0 - target + 1e-9
    # more counters than needed still meet it (the bisection relied on monotonicity)
    more = erlang_a(
        arrivals_per_hour=lam,
        service_minutes=s,
        patience_minutes=p,
        agents=a.agents + 3,
        target_wait_seconds=t,
    )
    assert more.service_level >= a.service_level - 1e-9


def test_the_strict_share_is_the_target_not_the_offered_wait():
    """The reviewer's case: 60 residents an hour, 6 minutes each, 80 % within 15 minutes, a
    10-minute patience. Three counters "offer" a call within 15 minutes to 92 % but half the
    residents leave first; the strict share needs six."""
    staffing = agents_needed(
        arrivals_per_hour=60,
        service_minutes=6,
        target_wait_seconds=900,
        service_level=0.8,
        patience_minutes=10,
    )
    assert staffing.agents == 6
    assert staffing.service_level == pytest.approx(0.859277, abs=1e-6)
    three = erlang_a(
        arrivals_per_hour=60, service_minutes=6, patience_minutes=10, agents=3, target_wait_seconds=900
    )
    assert three.offered_within_target > 0.9 and three.abandon_rate > 0.5
    assert three.service_level == pytest.approx(0.480949, abs=1e-6)
    assert three.service_level + three.abandon_rate <= 1.0
    five = erlang_a(
        arrivals_per_hour=60, service_minutes=6, patience_minutes=10, agents=5, target_wait_seconds=900
    )
    assert five.service_level < 0.8


def _tagged_chain(n: int, lam_h: float, s: float, p: float, t_s: float, states: int) -> tuple[float, float]:
    """Brute force, independent of the beta functions: the hall's birth–death chain solved on
    `states` waiting places, then the tagged resident's own little chain (how many are ahead, and
    the absorbing states "called" and "left") run for T by uniformisation. Returns (share called
    within T among all arrivals, share whose offered wait ≤ T — the same chain without their own
    patience)."""
    lam, mu, theta, t = lam_h / 60, 1 / s, 1 / p, t_s / 60
    weights = [1.0]
    for k in range(1, n + states):
        weights.append(weights[-1] * lam / (min(k, n) * mu + max(k - n, 0) * theta))
    total = math.fsum(weights)
    pi = [w / total for w in weights]
    p_wait = math.fsum(pi[n:])

    def called_by_t(own_patience: float) -> float:
        # v[i]: i residents ahead (0 … states − 1); absorbing "called" accumulated apart.
        rates = [n * mu + i * theta + own_patience for i in range(states)]
        top = max(rates)
        v = [pi[n + j] for j in range(states)]
        called = 0.0
        x = top * t
        log_weight = -x
        result = 0.0
        for k in range(int(x + 12 * math.sqrt(x + 1) + 60)):
            result += math.exp(log_weight) * called
            step = [vi * (1 - rates[i] / top) for i, vi in enumerate(v)]
            for i in range(1, states):
                step[i - 1] += v[i] * (n * mu + i * theta) / top
            called += v[0] * n * mu / top
            v = step
            log_weight += math.log(x) - math.log(k + 1)
        return result

    return (1 - p_wait) + called_by_t(theta), (1 - p_wait) + called_by_t(0.0)


@pytest.mark.parametrize(
    ("n", "lam", "s", "p", "t"),
    [
        (1, 60, 6, 0.4, 900),  # θT = 37.5: x = 1 − e^{−θT} rounds to 1.0 (reference offered 0.925)
        (1, 60, 6, 0.3, 900),  # θT = 50
        (2, 60, 30, 0.01, 60),  # θT = 100
        (3, 5, 30, 0.02, 60),
        (4, 5, 30, 0.02, 60),
        (14, 200, 3, 5, 20),  # an ordinary case
    ],
)
def test_erlang_a_agrees_with_the_tagged_chain_when_x_rounds_to_one(n, lam, s, p, t):
    called, offered = _tagged_chain(n, lam, s, p, t, states=30)
    result = erlang_a(
        arrivals_per_hour=lam, service_minutes=s, patience_minutes=p, agents=n, target_wait_seconds=t
    )
    assert result.service_level == pytest.approx(called, abs=1e-7)
    assert result.offered_within_target == pytest.approx(offered, abs=1e-7)


def test_agents_needed_with_very_impatient_residents():
    """5 residents an hour, 30 minutes each, 80 % within a minute, a patience of 1.2 s: three
    counters call 71.8 % in time, four 85.0 % (the shortcut x = 1 → I = 1 said one was enough)."""
    staffing = agents_needed(
        arrivals_per_hour=5,
        service_minutes=30,
        target_wait_seconds=60,
        service_level=0.8,
        patience_minutes=0.02,
    )
    assert staffing.agents == 4
    assert staffing.service_level == pytest.approx(_tagged_chain(4, 5, 30, 0.02, 60, states=30)[0], abs=1e-7)
    assert _tagged_chain(3, 5, 30, 0.02, 60, states=30)[0] < 0.8


@settings(max_examples=60, deadline=None)
@given(arrivals, services, targets, st.integers(min_value=1, max_value=60))
def test_erlang_a_tends_to_erlang_c_as_patience_grows(lam, s, t, extra):
    n = math.floor(lam * s / 60) + extra  # a stable hall
    c_level = service_level(arrivals_per_hour=lam, service_minutes=s, agents=n, target_wait_seconds=t)
    c_wait = average_wait_seconds(arrivals_per_hour=lam, service_minutes=s, agents=n)
    # "patience → ∞": the load that leaves (≈ a·W/P erlangs) is a sliver of the spare capacity n − a
    # (near n = a even rare leavers shorten the line a lot, as they should)
    load = lam * s / 60
    # (62 an hour, 22 minutes, 27 counters: 0,1 % leavers at a day's patience cut the wait by 5 %)
    assume(load * (c_wait / 60) / 1440.0 <= 0.002 * (n - load))
    # and the share who leave even at a day's patience (≈ W/P) is a sliver too: each of them is a
    # resident not called, the gap between Erlang A's strict level and Erlang C's
    assume(c_wait / 60 / 1440.0 <= 0.01)
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
        # abandonment only shortens the line ahead: the offered wait is never longer than C's
        assert a.offered_within_target >= c_level - 1e-9
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
