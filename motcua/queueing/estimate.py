"""Estimated wait of a new ticket, and the measure of each estimator against a simulated day (issue 8 §8).

Pure functions over plain data: the app builds a `QueueState` from its tickets and counters at
the moment a number is taken; `replay` builds the same state from a `SimulatedDay` at each issue
and compares every estimator's answer with the wait that actually followed.

Two estimators:

- `naive_wait`: people ahead × the group's mean service time of the day so far ÷ the counters
  open for the group — what a board would show with one line of arithmetic.
- `projected_wait`: exponentially weighted recent counter times per group (call to release, so
  the walk to the counter and no-shows count), the state of each counter (a free counter is free
  now; a busy one frees after what is left of its current ticket's expected time), each shared
  counter counted for the share of its work that the group's queue represents, and the people
  ahead handed out, in turn, to the counter that frees first. The wait is when the first counter
  is free for the new ticket.

`best_estimator` keeps the one with the lower mean absolute error.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from motcua.queueing.simulate import SimulatedDay, Ticket

DEFAULT_SERVICE_S = 600.0  # before any ticket of the day was served
EWMA_ALPHA = 0.15  # weight of the latest counter time (about the last dozen count)
MIN_LEFT_FRACTION = 0.25  # a ticket past its expected time still has this much of it left


@dataclass(frozen=True)
class CounterNow:
    """A counter open for the group at the moment of the estimate."""

    number: int
    groups: tuple[str, ...]
    busy_group: str | None = None  # the group of the ticket at the counter; None when it is free
    busy_since: float | None = None  # when that ticket was called


@dataclass(frozen=True)
class Done:
    """One finished occupation of a counter: served (served is set) or a no-show (served is None)."""

    group: str
    counter: int
    called: float
    served: float | None
    finished: float


@dataclass(frozen=True)
class QueueState:
    now: float  # seconds (any origin; only differences matter)
    group: str
    ahead: int  # people ahead of the new ticket in its group (priority tickets first)
    counters: tuple[CounterNow, ...]  # the counters open now that serve the group
    waiting: Mapping[str, int]  # people waiting per group, the new ticket not counted
    history: Sequence[Done]  # finished before `now`, in order of finishing
    priority: bool = False
    default_s: float = DEFAULT_SERVICE_S  # a counter time when `history` has none


Estimator = Callable[[QueueState], float]


def naive_wait(state: QueueState) -> float:
    """People ahead × mean service time of the day so far ÷ counters open for the group."""
    if state.ahead <= 0:
        return 0.0
    mine = [d.finished - d.served for d in state.history if d.served is not None and d.group == state.group]
    every = [d.finished - d.served for d in state.history if d.served is not None]
    sample = mine or every
    mean = sum(sample) / len(sample) if sample else state.default_s
    return state.ahead * mean / max(1, len(state.counters))


def ewma_counter_times(
    history: Sequence[Done], alpha: float = EWMA_ALPHA, default: float = DEFAULT_SERVICE_S
) -> tuple[dict[str, float], float]:
    """Exponentially weighted counter time (call to release) per group, and over all groups
    (`default` when the history is empty)."""
    per: dict[str, float] = {}
    overall: float | None = None
    for d in history:
        x = d.finished - d.called
        per[d.group] = x if d.group not in per else (1 - alpha) * per[d.group] + alpha * x
        overall = x if overall is None else (1 - alpha) * overall + alpha * x
    return per, overall if overall is not None else default


def projected_wait(state: QueueState) -> float:
    """Recent counter times, counters' state and shares, the people ahead handed to the first free counter."""
    if not state.counters:
        return math.inf if state.ahead > 0 else 0.0
    per, overall = ewma_counter_times(state.history, default=state.default_s)

    def expected(group: str) -> float:
        return per.get(group, overall)

    mine = expected(state.group)
    frees: list[float] = []
    rates: list[float] = []  # counter time of one of the group's tickets at each counter
    for c in state.counters:
        if c.busy_group is None or c.busy_since is None:
            frees.append(0.0)
        else:
            e = expected(c.busy_group)
            frees.append(max(e - (state.now - c.busy_since), MIN_LEFT_FRACTION * e))
        # The share of the counter's work that is this group's queue (the new ticket counted).
        work = {g: (state.waiting.get(g, 0) + (1 if g == state.group else 0)) * expected(g) for g in c.groups}
        total = sum(work.values())
        share = work[state.group] / total if total > 0 else 1.0
        rates.append(mine / max(share, 1e-6))
    for _ in range(max(0, state.ahead)):
        i = min(range(len(frees)), key=frees.__getitem__)
        frees[i] += rates[i]
    return min(frees)


ESTIMATORS: dict[str, Estimator] = {"naive": naive_wait, "projected": projected_wait}
# The estimator the phones and the API show: the winner of `best_estimator` on the simulated
# days (docs/performance.md; tests/test_estimate.py checks it still wins).
LIVE_ESTIMATOR = "projected"


# ---------------------------------------------------------------- replaying a simulated day


def _window_open(
    day: SimulatedDay, counter_groups: tuple[str, ...], windows: tuple[tuple[float, float], ...], t: Ticket
) -> bool:
    if t.group not in counter_groups:
        return False
    session = next(s for s in day.spec.sessions if s[0] <= t.issued < s[1])
    return any(ws <= t.issued and ws < session[1] and we > session[0] for ws, we in windows)


def states_at_issue(day: SimulatedDay) -> list[tuple[Ticket, QueueState]]:
    """The state each ticket of the day saw when it was issued (from the event log only)."""
    tickets = day.tickets
    done_order = sorted(tickets, key=lambda t: t.released)
    out: list[tuple[Ticket, QueueState]] = []
    for x in tickets:
        now = x.issued
        waiting: dict[str, int] = {}
        ahead = 0
        at_counter: dict[int, Ticket] = {}
        for t in tickets:
            if t.seq >= x.seq:
                break
            assert t.called is not None
            if t.called > now:
                waiting[t.group] = waiting.get(t.group, 0) + 1
                if t.group == x.group and (t.priority or not x.priority):
                    ahead += 1
            elif t.released > now and t.counter is not None:
                at_counter[t.counter] = t
        counters = []
        for c in day.spec.counters:
            if not _window_open(day, c.groups, c.windows, x):
                continue
            busy = at_counter.get(c.number)
            counters.append(
                CounterNow(
                    number=c.number,
                    groups=c.groups,
                    busy_group=busy.group if busy else None,
                    busy_since=busy.called if busy else None,
                )
            )
        history = [
            Done(t.group, t.counter or 0, t.called or 0.0, t.served, t.released)
            for t in done_order
            if t.released <= now
        ]
        out.append(
            (
                x,
                QueueState(
                    now=now,
                    group=x.group,
                    ahead=ahead,
                    counters=tuple(counters),
                    waiting=waiting,
                    history=history,
                    priority=x.priority,
                ),
            )
        )
    return out


@dataclass(frozen=True)
class Score:
    estimator: str
    tickets: int
    mae_s: float  # mean absolute error
    p90_s: float  # 90th percentile of the absolute error (nearest rank)
    bias_s: float  # mean of estimate − truth
    us_per_estimate: float  # microseconds per call, state building excluded


def _p90(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)] if ordered else 0.0


def replay(
    day: SimulatedDay,
    estimators: Mapping[str, Estimator] | None = None,
    states: list[tuple[Ticket, QueueState]] | None = None,
) -> dict[str, Score]:
    """Ask each estimator at every issue of the day; its errors against the true waits."""
    estimators = estimators or ESTIMATORS
    states = states if states is not None else states_at_issue(day)
    scores: dict[str, Score] = {}
    for name, estimate in estimators.items():
        errors: list[float] = []
        elapsed = 0.0
        for ticket, state in states:
            start = time.perf_counter()
            guess = estimate(state)
            elapsed += time.perf_counter() - start
            errors.append(guess - ticket.wait_s)
        n = len(errors)
        scores[name] = Score(
            estimator=name,
            tickets=n,
            mae_s=sum(abs(e) for e in errors) / n if n else 0.0,
            p90_s=_p90([abs(e) for e in errors]),
            bias_s=sum(errors) / n if n else 0.0,
            us_per_estimate=elapsed / n * 1e6 if n else 0.0,
        )
    return scores


def best_estimator(scores: Mapping[str, Score]) -> str:
    """The estimator with the lower mean absolute error (ties: the first given)."""
    return min(scores.values(), key=lambda s: s.mae_s).estimator
