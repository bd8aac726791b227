"""Wait estimators (issue 8 §8): sane on hand-made states, and the better one wins on simulated days."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from motcua.queueing.estimate import (
    ESTIMATORS,
    CounterNow,
    Done,
    QueueState,
    best_estimator,
    naive_wait,
    projected_wait,
    replay,
)
from motcua.queueing.simulate import simulate_day


def history(group: str, minutes: float, n: int = 5) -> list[Done]:
    out, t = [], 0.0
    for _ in range(n):
        out.append(Done(group, 1, t, t + 30, t + 30 + minutes * 60))
        t += 30 + minutes * 60
    return out


def state(ahead: int = 0, counters: int = 2, busy: bool = False, **kw) -> QueueState:
    cs = tuple(
        CounterNow(i + 1, ("A",), "A" if busy else None, 9_900.0 if busy else None) for i in range(counters)
    )
    base = QueueState(
        now=10_000.0,
        group="A",
        ahead=ahead,
        counters=cs,
        waiting={"A": ahead},
        history=history("A", 6),
    )
    return replace(base, **kw)


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_nobody_ahead_and_a_free_counter_means_no_wait(name):
    assert ESTIMATORS[name](state(ahead=0)) == 0.0


def test_naive_is_zero_with_nobody_ahead_even_when_counters_are_busy():
    assert naive_wait(state(ahead=0, busy=True)) == 0.0


def test_projected_counts_what_is_left_at_busy_counters():
    # Both counters called a 6½-minute ticket 100 s ago: about 290 s left.
    wait = projected_wait(state(ahead=0, busy=True))
    assert 250 < wait < 330


def test_naive_arithmetic():
    # 4 ahead × 6 min ÷ 2 counters = 12 min.
    assert naive_wait(state(ahead=4)) == pytest.approx(12 * 60)


def test_no_history_falls_back_to_a_default():
    assert naive_wait(state(ahead=2, history=[])) > 0
    assert projected_wait(state(ahead=2, history=[])) > 0


def test_a_shared_counter_counts_for_its_share():
    alone = QueueState(
        now=0.0,
        group="A",
        ahead=6,
        counters=(CounterNow(1, ("A",)), CounterNow(2, ("A", "C"))),
        waiting={"A": 6, "C": 0},
        history=history("A", 6) + history("C", 3),
    )
    crowded = replace(alone, waiting={"A": 6, "C": 20})
    assert projected_wait(crowded) > projected_wait(alone)


@settings(max_examples=60, deadline=None)
@given(
    ahead=st.integers(0, 60),
    more=st.integers(1, 20),
    counters=st.integers(1, 6),
    busy=st.booleans(),
    minutes=st.floats(1, 30),
)
def test_more_people_ahead_never_shortens_the_wait(ahead, more, counters, busy, minutes):
    s = state(ahead=ahead, counters=counters, busy=busy, history=history("A", minutes))
    t = replace(s, ahead=ahead + more, waiting={"A": ahead + more})
    for estimate in ESTIMATORS.values():
        assert estimate(t) >= estimate(s) >= 0
    assert naive_wait(t) > naive_wait(s)
    # Enough people ahead always lengthens the projected wait too.
    far = replace(s, ahead=ahead + counters * 2, waiting={"A": ahead + counters * 2})
    assert projected_wait(far) > projected_wait(s)


@settings(max_examples=40, deadline=None)
@given(ahead=st.integers(1, 60), counters=st.integers(1, 5))
def test_naive_more_counters_never_lengthen_the_wait(ahead, counters):
    assert naive_wait(state(ahead=ahead, counters=counters + 1)) < naive_wait(
        state(ahead=ahead, counters=counters)
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_on_a_simulated_day_the_projection_beats_the_naive_average(seed):
    day = simulate_day(seed)
    scores = replay(day)
    for s in scores.values():
        print(
            f"seed {seed} {s.estimator:9} MAE {s.mae_s:6.0f} s  p90 {s.p90_s:6.0f} s  "
            f"bias {s.bias_s:+5.0f} s  {s.us_per_estimate:5.1f} µs  ({s.tickets} tickets)"
        )
        assert s.tickets == len(day.tickets)
    assert scores["projected"].mae_s < scores["naive"].mae_s
    assert best_estimator(scores) == "projected"


def test_replay_is_deterministic():
    a = replay(simulate_day(3))
    b = replay(simulate_day(3))
    assert {k: (v.mae_s, v.p90_s) for k, v in a.items()} == {k: (v.mae_s, v.p90_s) for k, v in b.items()}
