"""Discrete-event simulation of a hall's queues with simpy (issue 11 §4): the check on the staffing
advisor's Erlang figures, and "what happens for the rest of today if …" for the live alerts.

Pure Python, no database. Time is in minutes from the start of the simulated stretch, cut into
half hours ("slots"): slot i is [30·i, 30·(i + 1)).

The model:
- each group (A, B, C… or a procedure field) has its arrivals as a mean count per half hour —
  a non-stationary Poisson process, drawn by thinning (candidates at the day's peak rate, each
  kept with probability rate(t)/peak) — a mean service time, exponential or lognormal (given its
  shape σ), and optionally a mean patience (exponential): a resident not called by then leaves;
- counters: each has, per half hour, the set of groups it serves (empty: closed). The advisor
  passes "so many counters per group per half hour" through `counters_per_group`; the live alert
  passes the counters as they are, the rest of today's slots, the residents already waiting
  (how long each has waited) and the counters still busy (for how long);
- the rule is the console's: a free open counter calls, among the groups it serves in that half
  hour, the resident who took a number first. A counter open in the last half hour keeps serving
  until nobody waits (the office does not send people home); one that closes finishes the
  resident at its desk.

Measured per resident: when they were called (or that they left), the time actually waited (until
called or gone), and the offered wait (how long until a counter would have called them had they
stayed — a resident who left stays in the line as a ghost that takes no service, and the moment a
free counter reaches the ghost is their offered wait). Per group and half hour of arrival, and per
group for the whole stretch: the mean wait, the share called within T among all who came (leavers
count as not called — THE service level, as `erlang.erlang_a`'s `service_level`), the share whose
offered wait ≤ T (`offered_within_target`, for comparison only: it counts a leaver whose turn
would have come in time as served), the abandon rate — each the mean over replications with a
95 % confidence interval (Student's t over the replications).

Common random numbers: each group's arrivals, service times and patiences come from its own
stream, drawn before the day runs, so two staffings compared with the same seed face the very
same residents.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import simpy

SLOT_MINUTES = 30.0
MAX_SLOTS = 48 * 14  # two weeks of half hours
MAX_REPLICATIONS = 1_000
MAX_RATE_PER_SLOT = 5_000.0
MAX_MINUTES = 1_440.0
# After the last half hour the open counters drain the line; a day that still has people
# waiting this long after its end is hopeless and is stopped (those left count as not called).
DRAIN_MINUTES = 24 * 60.0

# Student's t, 97.5 % quantile, by degrees of freedom (1–30); beyond, the normal's 1.96 is close.
_T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


@dataclass(frozen=True)
class GroupDay:
    """One queue group: arrivals per half hour (mean counts), service, patience (None: nobody
    leaves), all in minutes."""

    key: str
    arrivals_per_slot: tuple[float, ...]
    service_minutes: float
    service_sigma: float | None = None  # lognormal shape; None: exponential
    patience_minutes: float | None = None


@dataclass(frozen=True)
class CounterDay:
    """One counter: the groups it serves in each half hour (an empty set: closed then)."""

    name: str
    groups_per_slot: tuple[frozenset[str], ...]


@dataclass(frozen=True)
class Estimate:
    """The mean over replications and its 95 % confidence interval; `replications` is how many
    had someone to measure (nan when none had)."""

    mean: float
    low: float
    high: float
    replications: int


@dataclass(frozen=True)
class Figures:
    group: str
    slot: int | None  # None: the whole stretch
    residents: float  # mean count per replication
    mean_wait_seconds: Estimate
    called_within_target: Estimate  # the service level: called within T among all who came
    offered_within_target: Estimate  # offered wait ≤ T (leavers whose turn came in time count)
    abandon_rate: Estimate


@dataclass(frozen=True)
class DayResult:
    target_wait_seconds: float
    replications: int
    slots: tuple[Figures, ...]  # per group and half hour of arrival (those with arrivals)
    groups: tuple[Figures, ...]  # per group, the whole stretch

    def slot(self, group: str, slot: int) -> Figures | None:
        return next((f for f in self.slots if f.group == group and f.slot == slot), None)

    def group(self, group: str) -> Figures:
        return next(f for f in self.groups if f.group == group)


@dataclass(frozen=True)
class StationaryResult:
    called_within_target: Estimate  # the service level, as erlang_a's service_level
    average_wait_seconds: Estimate
    abandon_rate: Estimate
    offered_within_target: Estimate  # as erlang_a's offered_within_target


def counters_per_group(counts: Mapping[str, Sequence[int]]) -> tuple[CounterDay, ...]:
    """ "So many counters for each group in each half hour" as counters: group G gets counters
    G1, G2, …, and Gk is open in a half hour when that half hour's count is at least k."""
    counters = []
    for key, per_slot in counts.items():
        numbers = [_count(c, f"counters of {key}") for c in per_slot]
        for k in range(1, max(numbers, default=0) + 1):
            counters.append(
                CounterDay(f"{key}{k}", tuple(frozenset({key}) if c >= k else frozenset() for c in numbers))
            )
    return tuple(counters)


def _count(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1_000:
        raise ValueError(f"{name} must be a whole number from 0 to 1000, not {value!r}")
    return value


def _finite(value: object, name: str, *, low: float, high: float, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number, not {value!r}")
    number = float(value)
    if not math.isfinite(number) or number < low or number > high or (positive and number <= 0):
        raise ValueError(
            f"{name} must be a finite number in [{low:g}, {high:g}]{' above 0' if positive else ''}"
        )
    return number


class _Resident:
    __slots__ = ("arrival", "called", "deadline", "group", "left", "offered", "service", "slot")

    def __init__(self, group: int, arrival: float, service: float, deadline: float, slot: int) -> None:
        self.group = group
        self.arrival = arrival
        self.service = service
        self.deadline = deadline  # leaves at this minute unless called (inf: never leaves)
        self.slot = slot
        self.called: float | None = None  # called by a counter (None: left, or never reached)
        self.offered: float | None = None  # the moment a counter would have called them
        self.left = math.inf  # when a resident not called left (or the run ended)


def _service_draw(rng: random.Random, mean: float, sigma: float | None) -> float:
    if sigma is None or sigma == 0.0:
        return rng.expovariate(1.0 / mean) if sigma is None else mean
    return rng.lognormvariate(math.log(mean) - sigma * sigma / 2.0, sigma)


def _residents_of(
    group_index: int,
    spec: GroupDay,
    rng: random.Random,
    waited: Sequence[float],
) -> list[_Resident]:
    """The group's residents of one replication, drawn before the day runs (common random numbers)."""
    patience = spec.patience_minutes

    def deadline(now: float) -> float:
        # exponential patience is memoryless: one already waiting has a fresh one from now
        return math.inf if patience is None else now + rng.expovariate(1.0 / patience)

    residents = [
        _Resident(group_index, -w, _service_draw(rng, spec.service_minutes, spec.service_sigma), 0.0, 0)
        for w in sorted(waited, reverse=True)
    ]
    for r in residents:
        r.deadline = deadline(0.0)
    peak = max(spec.arrivals_per_slot, default=0.0) / SLOT_MINUTES
    end = len(spec.arrivals_per_slot) * SLOT_MINUTES
    t = 0.0
    while peak > 0.0:
        t += rng.expovariate(peak)
        if t >= end:
            break
        slot = int(t // SLOT_MINUTES)
        keep = rng.random() * peak * SLOT_MINUTES < spec.arrivals_per_slot[slot]
        service = _service_draw(rng, spec.service_minutes, spec.service_sigma)
        leave = deadline(t)
        if keep:
            residents.append(_Resident(group_index, t, service, leave, slot))
    return residents


def _run_once(
    groups: Sequence[GroupDay],
    counters: Sequence[CounterDay],
    slots: int,
    seed: int,
    waiting: Mapping[str, Sequence[float]],
    busy_until: Mapping[str, float],
) -> list[_Resident]:
    env = simpy.Environment()
    index = {g.key: i for i, g in enumerate(groups)}
    everyone: list[_Resident] = []
    queues: list[deque[_Resident]] = [deque() for _ in groups]
    per_group_streams = [
        _residents_of(i, g, random.Random(f"{seed}:{g.key}"), waiting.get(g.key, ()))  # noqa: S311 (a simulation, no secret)
        for i, g in enumerate(groups)
    ]
    serves = [[frozenset(index[k] for k in s if k in index) for s in c.groups_per_slot] for c in counters]
    idle: list[simpy.Event | None] = [None] * len(counters)

    def open_groups(c: int, now: float) -> frozenset[int]:
        slot = int(now // SLOT_MINUTES)
        if slot >= slots:
            slot = slots - 1  # after the end: those open in the last half hour drain the line
        return serves[c][slot] if slot < len(serves[c]) else frozenset()

    def next_resident(c: int, now: float) -> _Resident | None:
        mine = open_groups(c, now)
        while True:
            heads = [(queues[g][0].arrival, g) for g in mine if queues[g]]
            if not heads:
                return None
            _, g = min(heads)
            resident = queues[g].popleft()
            resident.offered = now
            if resident.deadline >= now:
                resident.called = now
                return resident
            # a ghost: gone before a counter reached them; the next in line is called at once

    def counter(c: int) -> simpy.events.ProcessGenerator:
        if busy_until.get(counters[c].name, 0.0) > 0.0:
            yield env.timeout(busy_until[counters[c].name])
        while True:
            resident = next_resident(c, env.now)
            if resident is not None:
                yield env.timeout(resident.service)
                continue
            event = env.event()
            idle[c] = event
            yield event

    def wake(group: int | None) -> None:
        for c, event in enumerate(idle):
            if (
                event is not None
                and not event.triggered
                and (group is None or group in open_groups(c, env.now))
            ):
                idle[c] = None
                event.succeed()
                if group is not None:
                    return  # one free counter is enough for one resident

    def arrivals(stream: list[_Resident]) -> simpy.events.ProcessGenerator:
        for resident in stream:
            if resident.arrival > env.now:
                yield env.timeout(resident.arrival - env.now)
            everyone.append(resident)
            queues[resident.group].append(resident)
            wake(resident.group)

    def slot_changes() -> simpy.events.ProcessGenerator:
        for _ in range(1, slots):
            yield env.timeout(SLOT_MINUTES)
            wake(None)  # counters that open now look at the lines

    for stream in per_group_streams:
        env.process(arrivals(stream))
    for c in range(len(counters)):
        env.process(counter(c))
    env.process(slot_changes())
    end = slots * SLOT_MINUTES + DRAIN_MINUTES
    env.run(until=end)
    for resident in everyone:
        if resident.called is None:
            resident.left = min(resident.deadline, end)
    return everyone


def _estimate(values: Sequence[float]) -> Estimate:
    count = len(values)
    if count == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    mean = math.fsum(values) / count
    if count == 1:
        return Estimate(mean, math.nan, math.nan, 1)
    spread = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (count - 1))
    t = _T975[count - 2] if count - 1 <= len(_T975) else 1.96
    half = t * spread / math.sqrt(count)
    return Estimate(mean, mean - half, mean + half, count)


def _figures(
    key: str, slot: int | None, runs: Sequence[Sequence[_Resident]], target: float, replications: int
) -> Figures:
    waits, levels, called, abandons = [], [], [], []
    total = 0
    for residents in runs:
        if not residents:
            continue
        total += len(residents)
        count = len(residents)
        waits.append(math.fsum(_waited(r) for r in residents) / count * 60.0)
        levels.append(
            sum(1 for r in residents if r.offered is not None and r.offered - r.arrival <= target) / count
        )
        called.append(
            sum(1 for r in residents if r.called is not None and r.called - r.arrival <= target) / count
        )
        abandons.append(sum(1 for r in residents if r.called is None) / count)
    return Figures(
        group=key,
        slot=slot,
        residents=total / replications,
        mean_wait_seconds=_estimate(waits),
        called_within_target=_estimate(called),
        offered_within_target=_estimate(levels),
        abandon_rate=_estimate(abandons),
    )


def _waited(r: _Resident) -> float:
    """Minutes actually spent waiting: until called, or until gone (or the run's end)."""
    return (r.called if r.called is not None else r.left) - r.arrival


def _check(
    groups: Sequence[GroupDay],
    counters: Sequence[CounterDay],
    target_wait_seconds: float,
    replications: int,
    waiting: Mapping[str, Sequence[float]],
    busy_until: Mapping[str, float],
) -> int:
    if not groups:
        raise ValueError("at least one group is needed")
    keys = [g.key for g in groups]
    if len(set(keys)) != len(keys):
        raise ValueError("group keys must be distinct")
    slots = len(groups[0].arrivals_per_slot)
    if not 1 <= slots <= MAX_SLOTS:
        raise ValueError(f"a day has from 1 to {MAX_SLOTS} half hours")
    for g in groups:
        if len(g.arrivals_per_slot) != slots:
            raise ValueError("every group needs the same number of half hours")
        for rate in g.arrivals_per_slot:
            _finite(rate, f"arrivals of {g.key}", low=0.0, high=MAX_RATE_PER_SLOT)
        _finite(g.service_minutes, f"service minutes of {g.key}", low=0.0, high=MAX_MINUTES, positive=True)
        if g.service_sigma is not None:
            _finite(g.service_sigma, f"service shape of {g.key}", low=0.0, high=5.0)
        if g.patience_minutes is not None:
            _finite(g.patience_minutes, f"patience of {g.key}", low=0.0, high=MAX_MINUTES, positive=True)
    for c in counters:
        if len(c.groups_per_slot) != slots:
            raise ValueError(f"counter {c.name} needs one set of groups per half hour")
    if (
        isinstance(replications, bool)
        or not isinstance(replications, int)
        or not 2 <= replications <= MAX_REPLICATIONS
    ):
        raise ValueError(f"replications must be a whole number from 2 to {MAX_REPLICATIONS}")
    _finite(target_wait_seconds, "target_wait_seconds", low=0.0, high=86_400.0)
    for key, waited in waiting.items():
        if key not in keys:
            raise ValueError(f"residents waiting for an unknown group {key!r}")
        for w in waited:
            _finite(w, "minutes already waited", low=0.0, high=MAX_MINUTES)
    names = {c.name for c in counters}
    for name, minutes in busy_until.items():
        if name not in names:
            raise ValueError(f"unknown counter {name!r}")
        _finite(minutes, "minutes a counter stays busy", low=0.0, high=MAX_MINUTES)
    return slots


def simulate_day(
    *,
    groups: Sequence[GroupDay],
    counters: Sequence[CounterDay],
    target_wait_seconds: float,
    replications: int = 20,
    seed: int = 0,
    waiting: Mapping[str, Sequence[float]] | None = None,
    busy_until: Mapping[str, float] | None = None,
) -> DayResult:
    """Run the day `replications` times (seeded) and return the figures per group and half hour
    of arrival, and per group for the whole stretch. `waiting`: per group, the minutes each
    resident already in line has waited (they count in the first half hour, with their whole
    wait); `busy_until`: per counter name, the minutes until it finishes its current resident."""
    waiting = waiting or {}
    busy_until = busy_until or {}
    slots = _check(groups, counters, target_wait_seconds, replications, waiting, busy_until)
    target = target_wait_seconds / 60.0
    runs = [
        _run_once(groups, counters, slots, seed * 100_003 + r, waiting, busy_until)
        for r in range(replications)
    ]
    by_slot: list[Figures] = []
    by_group: list[Figures] = []
    for i, g in enumerate(groups):
        mine = [[r for r in run if r.group == i] for run in runs]
        by_group.append(_figures(g.key, None, mine, target, replications))
        for s in range(slots):
            these = [[r for r in run if r.slot == s] for run in mine]
            if any(these):
                by_slot.append(_figures(g.key, s, these, target, replications))
    return DayResult(target_wait_seconds, replications, tuple(by_slot), tuple(by_group))


def simulate_stationary(
    *,
    arrivals_per_hour: float,
    service_minutes: float,
    agents: int,
    target_wait_seconds: float,
    patience_minutes: float | None = None,
    hours: int = 40,
    warmup_hours: int = 4,
    replications: int = 10,
    seed: int = 0,
) -> StationaryResult:
    """M/M/n (or M/M/n+M with a patience): one group, `agents` counters open all along, residents
    arriving after the warm-up measured — the figures to set beside Erlang C (or A)."""
    _count(agents, "agents")
    if not 0 <= warmup_hours < hours <= MAX_SLOTS // 2:
        raise ValueError(f"hours must exceed warmup_hours, at most {MAX_SLOTS // 2}")
    slots = hours * 2
    per_slot = _finite(arrivals_per_hour, "arrivals_per_hour", low=0.0, high=2 * MAX_RATE_PER_SLOT) / 2
    group = GroupDay("X", (per_slot,) * slots, service_minutes, None, patience_minutes)
    counters = counters_per_group({"X": [agents] * slots})
    _check([group], counters, target_wait_seconds, replications, {}, {})
    warm = warmup_hours * 2
    runs = [
        [r for r in _run_once([group], counters, slots, seed * 100_003 + rep, {}, {}) if r.slot >= warm]
        for rep in range(replications)
    ]
    target = target_wait_seconds / 60.0
    figures = _figures("X", None, runs, target, replications)
    return StationaryResult(
        called_within_target=figures.called_within_target,
        average_wait_seconds=figures.mean_wait_seconds,
        abandon_rate=figures.abandon_rate,
        offered_within_target=figures.offered_within_target,
    )
