"""The simulated day (issue 8 §8): deterministic for a seed, and a day a ward would recognise."""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise
from statistics import mean

from hypothesis import given, settings
from hypothesis import strategies as st

from motcua.queueing.simulate import SimulatedDay, hm, per_hour, simulate_day, thanh_khe_day


def check_consistent(day: SimulatedDay) -> None:
    """No ticket called before it was issued, no counter serving two at once, one life per ticket."""
    spec = day.spec
    counters = {c.number: c for c in spec.counters}
    busy: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for t in day.tickets:
        assert t.called is not None and t.finished is not None and t.counter is not None
        assert t.issued <= t.called <= t.finished
        assert t.group in counters[t.counter].groups
        if t.shows_up:
            assert t.served is not None and t.called < t.served <= t.finished
        else:
            assert t.served is None and len(t.recalls) == spec.recalls_before_no_show
        assert any(s <= t.issued < e for s, e in spec.sessions)
        busy[t.counter].append((t.called, t.finished))
    for spans in busy.values():
        spans.sort()
        for (_, end), (start, _) in pairwise(spans):
            assert end <= start
    kinds = defaultdict(list)
    for e in day.events:
        kinds[e.ticket].append(e.kind)
    for t in day.tickets:
        life = kinds[t.number]
        assert life[0] == "issued" and life[1] == "called"
        assert life[-1] == ("finished" if t.shows_up else "no_show")
    assert [e.at for e in day.events] == sorted(e.at for e in day.events)


def test_same_seed_same_day_other_seed_other_day():
    a, b, c = simulate_day(7), simulate_day(7), simulate_day(8)
    assert a.tickets == b.tickets and a.events == b.events
    assert a.events != c.events


def test_a_thanh_khe_day():
    day = simulate_day(0)
    check_consistent(day)
    assert 520 <= len(day.tickets) <= 680
    hours = per_hour(day.tickets)
    assert set(hours) <= {7, 8, 9, 10, 11, 13, 14, 15, 16}
    # The morning peak is busier than any afternoon hour.
    assert min(hours[8], hours[9]) > max(hours[14], hours[15], hours[16])
    by_group = defaultdict(list)
    for t in day.tickets:
        by_group[t.group].append(t)
    assert set(by_group) == {"A", "B", "C", "D"}
    service = {g: mean(t.service_s for t in ts) for g, ts in by_group.items()}
    # Land and construction takes far longer than civil status, certification the least.
    assert service["B"] > 2 * service["A"] > service["C"]
    assert 240 < service["A"] < 480 and 600 < service["B"] < 1100
    priority = [t for t in day.tickets if t.priority]
    no_shows = [t for t in day.tickets if t.no_show]
    assert 0.03 < len(priority) / len(day.tickets) < 0.15
    assert 1 <= len(no_shows) < 0.08 * len(day.tickets)
    # Priority tickets wait less than the others of their group.
    assert mean(t.wait_s for t in priority) < mean(t.wait_s for t in day.tickets if not t.priority)
    # The hall's day ends near closing time: everyone issued is served the same day.
    assert max(t.released for t in day.tickets) < hm(18)
    # Counter 10 opens at 8:00 for the morning only.
    tens = [t for t in day.tickets if t.counter == 10]
    assert tens and all(hm(8) <= t.called and t.issued < hm(11, 30) for t in tens)
    # Numbers run per group without gaps.
    for letter, ts in by_group.items():
        assert [t.number for t in ts] == [f"{letter}{i:03d}" for i in range(1, len(ts) + 1)]


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_any_seed_gives_a_consistent_day(seed):
    day = simulate_day(seed)
    check_consistent(day)
    assert 450 <= len(day.tickets) <= 750


def test_a_counter_for_every_group():
    spec = thanh_khe_day()
    served = {g for c in spec.counters for g in c.groups}
    assert served == {g.letter for g in spec.groups}
