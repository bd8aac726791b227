"""A seeded simulation of one day in a ward's hall (issue 8 §8): the event log each ticket would have.

Pure Python, no database: times are seconds after the local midnight of the simulated day
(Asia/Ho_Chi_Minh), so 07:30 is 27 000. The default day is Phường Thanh Khê's: about 600 tickets,
the hall open 07:30–11:30 and 13:30–17:00, a morning peak from 8 to 10 h, four groups with their
own lognormal service times, ten counters of which some serve two groups and one opens only for
the morning, ~8 % priority tickets and ~3 % no-shows.

The counters' rule is the console's: a free counter calls, among the groups it serves, the
priority tickets first, then the earliest issued. A called resident walks to the counter (the
"served" moment), is served and leaves ("finished"); a resident who does not come is recalled
twice, a minute apart, and marked no-show a minute after the second recall. Numbers are taken
until a quarter of an hour before each session ends; the counters serve everyone issued in the
session, even past its end (the office does not send people home at 11:30).
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

HOUR = 3600.0
MINUTE = 60.0


def hm(hours: int, minutes: int = 0) -> float:
    """Seconds after midnight of hh:mm."""
    return hours * HOUR + minutes * MINUTE


@dataclass(frozen=True)
class GroupSpec:
    letter: str
    name: str
    share: float  # fraction of the day's tickets
    median_service_s: float  # lognormal median of the time at the counter
    sigma: float = 0.5  # lognormal shape


@dataclass(frozen=True)
class CounterSpec:
    number: int
    groups: tuple[str, ...]
    # Windows [start, end) in which the counter calls new tickets of that session.
    windows: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class ArrivalSegment:
    start: float
    end: float
    per_hour: float  # Poisson rate of tickets taken


@dataclass(frozen=True)
class DaySpec:
    groups: tuple[GroupSpec, ...]
    counters: tuple[CounterSpec, ...]
    arrivals: tuple[ArrivalSegment, ...]
    sessions: tuple[tuple[float, float], ...]
    priority_share: float = 0.08
    no_show_share: float = 0.03
    walk_s: tuple[float, float] = (20.0, 60.0)  # from the call to the resident at the counter
    recall_every_s: float = 60.0
    recalls_before_no_show: int = 2


MORNING = (hm(7, 30), hm(11, 30))
AFTERNOON = (hm(13, 30), hm(17, 0))


def thanh_khe_day() -> DaySpec:
    """The default day: Phường Thanh Khê's hall, ~600 tickets."""
    groups = (
        GroupSpec("A", "Hộ tịch", 0.38, 5 * MINUTE),
        GroupSpec("B", "Đất đai – xây dựng", 0.12, 12 * MINUTE),
        GroupSpec("C", "Chứng thực", 0.37, 3 * MINUTE),
        GroupSpec("D", "Lao động – xã hội", 0.13, 6 * MINUTE),
    )
    both = (MORNING, AFTERNOON)
    counters = (
        CounterSpec(1, ("A",), both),
        CounterSpec(2, ("A",), both),
        CounterSpec(3, ("A", "C"), both),
        CounterSpec(4, ("C",), both),
        CounterSpec(5, ("C",), both),
        CounterSpec(6, ("B",), both),
        CounterSpec(7, ("B",), both),
        CounterSpec(8, ("B", "D"), both),
        CounterSpec(9, ("D",), both),
        # The extra counter opened for the morning peak.
        CounterSpec(10, ("A", "C"), ((hm(8, 0), MORNING[1]),)),
    )
    arrivals = (
        ArrivalSegment(hm(7, 30), hm(8, 0), 70),
        ArrivalSegment(hm(8, 0), hm(10, 0), 120),
        ArrivalSegment(hm(10, 0), hm(11, 15), 90),
        ArrivalSegment(hm(13, 30), hm(14, 30), 70),
        ArrivalSegment(hm(14, 30), hm(16, 45), 65),
    )
    return DaySpec(groups=groups, counters=counters, arrivals=arrivals, sessions=(MORNING, AFTERNOON))


@dataclass(frozen=True)
class Event:
    at: float
    ticket: str  # the ticket's number, e.g. "B012"
    kind: str  # issued, called, recalled, served, finished, no_show
    counter: int | None = None


@dataclass
class Ticket:
    number: str
    group: str
    seq: int  # order of issue over the whole hall (ties of `issued` broken by it)
    issued: float
    priority: bool
    shows_up: bool
    service_s: float  # the time the counter will take, drawn at issue
    called: float | None = None
    served: float | None = None
    finished: float | None = None  # also the moment of the no-show
    counter: int | None = None
    recalls: list[float] = field(default_factory=list)

    @property
    def wait_s(self) -> float:
        """The true wait: from taking the number to the (first) call."""
        if self.called is None:
            raise ValueError(f"{self.number} was never called")
        return self.called - self.issued

    @property
    def no_show(self) -> bool:
        return not self.shows_up

    @property
    def released(self) -> float:
        """When the counter was free again after this ticket."""
        if self.finished is None:
            raise ValueError(f"{self.number} was never finished")
        return self.finished


@dataclass(frozen=True)
class SimulatedDay:
    spec: DaySpec
    seed: int
    tickets: tuple[Ticket, ...]  # in order of issue
    events: tuple[Event, ...]  # in order of time

    def waits(self) -> dict[str, float]:
        return {t.number: t.wait_s for t in self.tickets}


def _session_of(spec: DaySpec, at: float) -> int:
    for i, (start, end) in enumerate(spec.sessions):
        if start <= at < end:
            return i
    raise ValueError(f"{at} is outside the sessions")


def _arrivals(spec: DaySpec, rng: random.Random) -> list[float]:
    times: list[float] = []
    for seg in spec.arrivals:
        rate = seg.per_hour / HOUR
        t = seg.start + rng.expovariate(rate)
        while t < seg.end:
            times.append(t)
            t += rng.expovariate(rate)
    return times


def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return rng.lognormvariate(math.log(median), sigma)


def simulate_day(seed: int = 0, spec: DaySpec | None = None) -> SimulatedDay:
    """Simulate the day; the same seed gives the same day."""
    spec = spec or thanh_khe_day()
    rng = random.Random(seed)  # noqa: S311 (a simulation, no secret)
    letters = [g.letter for g in spec.groups]
    weights = [g.share for g in spec.groups]
    by_letter = {g.letter: g for g in spec.groups}
    counts = dict.fromkeys(letters, 0)
    tickets: list[Ticket] = []
    for seq, at in enumerate(_arrivals(spec, rng)):
        letter = rng.choices(letters, weights)[0]
        counts[letter] += 1
        g = by_letter[letter]
        tickets.append(
            Ticket(
                number=f"{letter}{counts[letter]:03d}",
                group=letter,
                seq=seq,
                issued=at,
                priority=rng.random() < spec.priority_share,
                shows_up=rng.random() >= spec.no_show_share,
                service_s=_lognormal(rng, g.median_service_s, g.sigma),
            )
        )
    walks = [rng.uniform(*spec.walk_s) for _ in tickets]

    # Discrete events: (time, order, kind, index). Arrivals before counter events at the same time.
    heap: list[tuple[float, int, str, int]] = []
    for i, t in enumerate(tickets):
        heapq.heappush(heap, (t.issued, 0, "arrive", i))
    for c in spec.counters:
        for start, _ in c.windows:
            heapq.heappush(heap, (start, 1, "open", c.number))
    counters = {c.number: c for c in spec.counters}
    free = {c.number: True for c in spec.counters}
    waiting: list[int] = []  # indexes of tickets issued and not called

    def can_call(c: CounterSpec, t: Ticket, now: float) -> bool:
        if t.group not in c.groups:
            return False
        session = spec.sessions[_session_of(spec, t.issued)]
        # Within a window of the ticket's session; past the session's end only to drain it.
        return any(ws <= now and ws < session[1] and we > session[0] for ws, we in c.windows)

    def dispatch(now: float) -> None:
        for number in sorted(counters):
            if not free[number] or not waiting:
                continue
            c = counters[number]
            eligible = [i for i in waiting if can_call(c, tickets[i], now)]
            if not eligible:
                continue
            i = min(eligible, key=lambda k: (not tickets[k].priority, tickets[k].issued, tickets[k].seq))
            waiting.remove(i)
            t = tickets[i]
            t.called = now
            t.counter = number
            free[number] = False
            if t.shows_up:
                t.served = now + walks[i]
                t.finished = t.served + t.service_s
            else:
                t.recalls = [now + spec.recall_every_s * (k + 1) for k in range(spec.recalls_before_no_show)]
                t.finished = now + spec.recall_every_s * (spec.recalls_before_no_show + 1)
            heapq.heappush(heap, (t.finished, 1, "free", number))

    while heap:
        now, _, kind, key = heapq.heappop(heap)
        if kind == "arrive":
            waiting.append(key)
        elif kind == "free":
            free[key] = True
        dispatch(now)
    if waiting:
        raise RuntimeError(f"{len(waiting)} tickets never called: no counter serves their group")

    events: list[Event] = []
    for t in tickets:
        events.append(Event(t.issued, t.number, "issued"))
        events.append(Event(t.called or 0.0, t.number, "called", t.counter))
        if t.shows_up:
            events.append(Event(t.served or 0.0, t.number, "served", t.counter))
            events.append(Event(t.finished or 0.0, t.number, "finished", t.counter))
        else:
            events.extend(Event(r, t.number, "recalled", t.counter) for r in t.recalls)
            events.append(Event(t.finished or 0.0, t.number, "no_show", t.counter))
    order = {"issued": 0, "called": 1, "recalled": 2, "served": 3, "finished": 4, "no_show": 4}
    events.sort(key=lambda e: (e.at, order[e.kind]))
    return SimulatedDay(spec=spec, seed=seed, tickets=tuple(tickets), events=tuple(events))


def per_hour(tickets: Sequence[Ticket]) -> dict[int, int]:
    """Tickets issued per clock hour (7 → 07:00–08:00)."""
    out: dict[int, int] = {}
    for t in tickets:
        h = int(t.issued // HOUR)
        out[h] = out.get(h, 0) + 1
    return out
