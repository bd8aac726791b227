"""The staffing advisor (issue 11 §4): from the forecast (forecast.py) to the counters each service
group needs per half hour, the simulated day under today's staffing and under the recommendation,
and the plan of which officer sits where each hour.

Recommendation. Per group and half hour, with λ the forecast arrivals per hour, the group's mean
service time (Erlang's models take the mean; the median is shown beside it), the target "a share
MOTCUA_STAFFING_SERVICE_LEVEL (0.8) called within MOTCUA_STAFFING_TARGET_WAIT_SECONDS (900 s)":
Erlang C's fewest counters (S1's `erlang.agents_needed`) and Erlang A's with the group's
exponential patience (residents who leave). Erlang A's level is the share of ALL residents who come
that are called within the target — one who leaves first counts as not called — the very share the
simulation below reports as "called within the target". The plan follows Erlang A when the
patience is known (residents do leave: Erlang C ignores both the line they shorten and the
residents lost), Erlang C otherwise — both are shown.

The check. S1's simulation of the whole day (`simulation.py`), replicated with several seeds:
(a) today's staffing — the day's plan (S3) when it seats officers at counters, else the counters as
set (active counters, their groups, CounterHours) — and (b) the recommendation; per group and half
hour the share called within the target and the mean wait, with 95 % confidence intervals over the
replications; and (c) the plan as it can be staffed (below): the counters it seats someone at, each
serving the groups it is set up for (a plan says who sits where, not what a counter serves), so a
shortfall of counters or of skilled people shows in the waits.

The plan (greedy, hour by hour, documented here because it is a heuristic, not an optimum):
1. An hour's need for a group is the larger of its two half hours' recommendations.
2. Counters: each group gets that many counters that serve it (Counter.groups, CounterHours),
   groups with the fewest possible counters first; a counter the group had the hour before is
   taken first (fewer moves), then counters serving only that group, then by number.
3. Officers: available = not ABSENT in the day's plan during that hour; skilled = CAN or TRAINER
   in one of the group's procedure fields (S2's skills; a group with no field linked accepts any
   one-stop officer, flagged). A counter keeps the officer it had the hour before when they are
   still available and skilled; the other counters, most constrained first, take the best
   candidate: the officer who sat there before (Counter.officer), then a one-stop officer (moved
   from another counter, then one who was not at a counter), then a LEARNING officer when someone
   skilled already sits at that group in that hour (paired, flagged), and only then a department's
   skilled specialist (flagged «cán bộ phòng»: left at their department unless nobody else can).
4. A counter nobody can take is a shortfall: «Nhóm B thiếu 1 người lúc 08:30–09:30».
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from django.conf import settings

from motcua.geo.models import Commune
from motcua.org.models import DepartmentKind, Role
from motcua.quality.charts import Bar, HRow, bar_chart, hbar_chart
from motcua.queueing.models import Counter

from . import simulation
from .erlang import Staffing, agents_needed
from .forecast import LOCAL_TZ, Forecast, GroupForecast, forecast_day
from .models import SkillLevel, SlotKind
from .people import fields_of_group, skilled_officers
from .plan import SlotSpec, plan_of_day, planned_officers

SKILLED = "SKILLED"
LEARNING = "LEARNING"


# ---- the plan: pure ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """An hour of the plan (the last of a session may be half an hour)."""

    starts: dt.time
    ends: dt.time


@dataclass(frozen=True)
class CounterInfo:
    counter_id: int
    number: int
    groups: frozenset[int]
    # group → windows when the counter serves it (none: all day)
    hours: Mapping[int, tuple[tuple[dt.time, dt.time], ...]] = field(default_factory=dict)
    officer_id: int | None = None  # who sits there now

    def serves(self, group: int, block: Block) -> bool:
        if group not in self.groups:
            return False
        windows = self.hours.get(group)
        if not windows:
            return True
        return any(s <= block.starts and block.ends <= e for s, e in windows)


@dataclass(frozen=True)
class OfficerInfo:
    officer_id: int
    name: str
    one_stop: bool  # of the one-stop department (or a counter officer)
    skills: Mapping[int, str]  # group id → SKILLED / LEARNING (from the group's fields)
    absent: tuple[tuple[dt.time, dt.time], ...] = ()

    def available(self, block: Block) -> bool:
        return not any(s < block.ends and block.starts < e for s, e in self.absent)


@dataclass(frozen=True)
class Seat:
    block: Block
    group_id: int
    counter_id: int
    officer_id: int
    flags: tuple[str, ...] = ()  # "paired", "department", "no_fields"


@dataclass(frozen=True)
class Shortfall:
    block: Block
    group_id: int
    missing: int
    reason: str  # "officers" (nobody skilled and free) or "counters" (not enough counters)


@dataclass
class Assignment:
    seats: list[Seat]
    short: list[Shortfall]

    def moves(self) -> int:
        """Officers who change counter (or start one) from one hour to the next within a session."""
        by_officer: dict[int, list[Seat]] = defaultdict(list)
        for s in self.seats:
            by_officer[s.officer_id].append(s)
        count = 0
        for seats in by_officer.values():
            seats.sort(key=lambda s: s.block.starts)
            for a, b in pairwise(seats):
                if a.block.ends == b.block.starts and a.counter_id != b.counter_id:
                    count += 1
        return count


def blocks_of(slots: Sequence[dt.time], minutes: int = 30) -> list[Block]:
    """Hours made of consecutive half hours: 07:30–08:30, …, 10:30–11:30, 13:30–14:30, …, 16:30–17:00."""

    def plus(t: dt.time, m: int) -> dt.time:
        total = t.hour * 60 + t.minute + m
        return dt.time(total // 60, total % 60)

    out: list[Block] = []
    i = 0
    while i < len(slots):
        start = slots[i]
        if i + 1 < len(slots) and slots[i + 1] == plus(start, minutes):
            out.append(Block(start, plus(start, 2 * minutes)))
            i += 2
        else:
            out.append(Block(start, plus(start, minutes)))
            i += 1
    return out


def assign(
    *,
    blocks: Sequence[Block],
    needs: Mapping[tuple[int, dt.time], int],  # (group, block start) → counters
    counters: Sequence[CounterInfo],
    officers: Sequence[OfficerInfo],
    group_has_fields: Mapping[int, bool],
) -> Assignment:
    """The greedy plan (module docstring)."""
    planner = _Planner(counters=counters, officers=officers, group_has_fields=group_has_fields)
    groups = sorted({g for g, _ in needs})
    for i, block in enumerate(blocks):
        if i and blocks[i - 1].ends != block.starts:  # a new session: nobody carries over
            planner.prev_counter_group, planner.prev_officer_at = {}, {}
        planner.hour(block, {g: needs.get((g, block.starts), 0) for g in groups})
    return Assignment(seats=planner.seats, short=_merge_short(planner.short))


class _Planner:
    def __init__(
        self,
        *,
        counters: Sequence[CounterInfo],
        officers: Sequence[OfficerInfo],
        group_has_fields: Mapping[int, bool],
    ) -> None:
        self.counters = counters
        self.officers = officers
        self.by_id = {o.officer_id: o for o in officers}
        self.group_has_fields = group_has_fields
        self.seats: list[Seat] = []
        self.short: list[Shortfall] = []
        self.prev_counter_group: dict[int, int] = {}  # counter → group the hour before
        self.prev_officer_at: dict[int, int] = {}  # counter → officer the hour before
        # this hour
        self.block = Block(dt.time(0), dt.time(0, 30))
        self.taken: set[int] = set()
        self.busy: set[int] = set()
        self.here: dict[int, int] = {}
        self.skilled_at: dict[int, int] = defaultdict(int)

    def skill(self, o: OfficerInfo, g: int) -> str | None:
        if not self.group_has_fields.get(g, False):
            return SKILLED if o.one_stop else None
        return o.skills.get(g)

    def possible(self, g: int) -> list[CounterInfo]:
        return [c for c in self.counters if c.serves(g, self.block) and c.counter_id not in self.taken]

    def seat(self, g: int, c: CounterInfo, o: OfficerInfo, flags: tuple[str, ...]) -> None:
        self.busy.add(o.officer_id)
        self.here[c.counter_id] = o.officer_id
        if self.skill(o, g) == SKILLED:
            self.skilled_at[g] += 1
        if not self.group_has_fields.get(g, False):
            flags = (*flags, "no_fields")
        self.seats.append(Seat(self.block, g, c.counter_id, o.officer_id, flags))

    def candidates(
        self, g: int, c: CounterInfo
    ) -> list[tuple[tuple[int, int, str], OfficerInfo, tuple[str, ...]]]:
        out: list[tuple[tuple[int, int, str], OfficerInfo, tuple[str, ...]]] = []
        was_seated = set(self.prev_officer_at.values())
        for o in self.officers:
            if o.officer_id in self.busy or not o.available(self.block):
                continue
            level = self.skill(o, g)
            if level == SKILLED and o.one_stop:
                rank = 0 if c.officer_id == o.officer_id else (1 if o.officer_id in was_seated else 2)
                out.append(((rank, 0, o.name), o, ()))
            elif level == LEARNING and self.skilled_at[g] > 0:
                out.append(((3, 0, o.name), o, ("paired",)))
            elif level == SKILLED:
                stays = 0 if self.prev_officer_at.get(c.counter_id) == o.officer_id else 1
                out.append(((4, stays, o.name), o, ("department",)))
        out.sort(key=lambda x: x[0])
        return out

    def _counter_order(self, c: CounterInfo, g: int) -> tuple[bool, int, int]:
        """The group's counter of the hour before first, then counters serving fewer groups."""
        return (self.prev_counter_group.get(c.counter_id) != g, len(c.groups), c.number)

    def hour(self, block: Block, need: Mapping[int, int]) -> None:
        self.block = block
        self.taken, self.busy, self.here = set(), set(), {}
        self.skilled_at = defaultdict(int)
        # 2. counters per group, the groups with the fewest possible counters first
        opened: list[tuple[int, CounterInfo]] = []
        for g in sorted(need, key=lambda g: (len(self.possible(g)), g)):
            if need[g] <= 0:
                continue
            chosen = sorted(self.possible(g), key=lambda c: self._counter_order(c, g))[: need[g]]
            for c in chosen:
                self.taken.add(c.counter_id)
                opened.append((g, c))
            if len(chosen) < need[g]:
                self.short.append(Shortfall(block, g, need[g] - len(chosen), "counters"))
        # 3. officers: a counter keeps its one-stop officer of the hour before
        pending: list[tuple[int, CounterInfo]] = []
        for g, c in opened:
            keep = self.by_id.get(self.prev_officer_at.get(c.counter_id, -1))
            if (
                keep is not None
                and keep.one_stop
                and keep.officer_id not in self.busy
                and self.prev_counter_group.get(c.counter_id) == g
                and keep.available(block)
                and self.skill(keep, g) == SKILLED
            ):
                self.seat(g, c, keep, ())
            else:
                pending.append((g, c))
        # the other counters, most constrained first
        pending.sort(key=lambda gc: (len(self.candidates(*gc)), gc[1].number))
        for g, c in pending:
            ranked = self.candidates(g, c)
            if not ranked:
                self.short.append(Shortfall(block, g, 1, "officers"))
                continue
            _, officer, flags = ranked[0]
            self.seat(g, c, officer, flags)
        self.prev_counter_group = {c.counter_id: g for g, c in opened if c.counter_id in self.here}
        self.prev_officer_at = dict(self.here)


def _merge_short(short: list[Shortfall]) -> list[Shortfall]:
    acc: dict[tuple[Block, int, str], int] = defaultdict(int)
    for s in short:
        acc[(s.block, s.group_id, s.reason)] += s.missing
    return [
        Shortfall(b, g, n, r) for (b, g, r), n in sorted(acc.items(), key=lambda x: (x[0][0].starts, x[0][1]))
    ]


def merged_slots(seats: Sequence[Seat]) -> list[tuple[int, int, dt.time, dt.time, tuple[str, ...]]]:
    """Consecutive hours of one officer at one counter as one stretch: (officer, counter, from, to, flags)."""
    out: list[tuple[int, int, dt.time, dt.time, tuple[str, ...]]] = []
    for s in sorted(seats, key=lambda s: (s.officer_id, s.block.starts)):
        if out and out[-1][0] == s.officer_id and out[-1][1] == s.counter_id and out[-1][3] == s.block.starts:
            o, c, a, _, f = out[-1]
            out[-1] = (o, c, a, s.block.ends, tuple(dict.fromkeys((*f, *s.flags))))
        else:
            out.append((s.officer_id, s.counter_id, s.block.starts, s.block.ends, s.flags))
    return out


# ---- the recommendation: pure -----------------------------------------------------------------

DEFAULT_SERVICE_S = 300.0  # a group with no finished ticket in its history: 5 minutes, flagged


@dataclass(frozen=True)
class SlotRecommendation:
    arrivals: float  # forecast in the half hour
    erlang_c: Staffing
    erlang_a: Staffing | None  # None without a patience estimate

    @property
    def counters(self) -> int:
        """What the plan uses: Erlang A when residents' patience is known, else Erlang C."""
        return (self.erlang_a or self.erlang_c).agents


def recommend_slot(
    *,
    arrivals_half_hour: float,
    service_s: float,
    patience_s: float | None,
    target_wait_s: float,
    level: float,
    max_agents: int = 60,
) -> SlotRecommendation:
    """Erlang C and Erlang A for one half hour, its arrivals taken as a stationary Poisson stream."""
    per_hour = max(arrivals_half_hour, 0.0) * 2
    minutes = max(service_s, 1.0) / 60
    c = agents_needed(
        arrivals_per_hour=per_hour, service_minutes=minutes, target_wait_seconds=target_wait_s,
        service_level=level, max_agents=max_agents,
    )  # fmt: skip
    a = None
    if patience_s:
        a = agents_needed(
            arrivals_per_hour=per_hour, service_minutes=minutes, target_wait_seconds=target_wait_s,
            service_level=level, patience_minutes=max(patience_s / 60, 0.01), max_agents=max_agents,
        )  # fmt: skip
    return SlotRecommendation(arrivals_half_hour, c, a)


# ---- the simulated check: S1's simulation of the day ---------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """A mean over the simulation's replications and its 95 % confidence interval."""

    mean: float
    low: float
    high: float
    runs: int


@dataclass(frozen=True)
class SimulationSummary:
    """One staffing simulated `runs` times: per (group, half hour of issue) the share called within
    the target and the mean wait (minutes), each with its 95 % CI, and the same over the day."""

    label: str
    runs: int
    within: dict[tuple[int, dt.time], Estimate]
    wait_min: dict[tuple[int, dt.time], Estimate]
    day_within: dict[int, Estimate]
    day_wait_min: dict[int, Estimate]
    left_share: dict[int, Estimate]


def _est(e: simulation.Estimate, scale: float = 1.0) -> Estimate | None:
    if e.replications == 0 or math.isnan(e.mean):
        return None
    return Estimate(e.mean * scale, e.low * scale, e.high * scale, e.replications)


def _lognormal_sigma(median_s: float | None, mean_s: float) -> float | None:
    """The lognormal's shape fitted to the median and the mean (mean = median·e^{σ²/2}); None
    (exponential) when the mean is not above the median."""
    if not median_s or mean_s <= median_s * 1.0001:
        return None
    return math.sqrt(2 * math.log(mean_s / median_s))


def _half_hour(s: dt.time) -> Block:
    total = s.hour * 60 + s.minute + 30
    return Block(s, dt.time(total // 60 % 24, total % 60))


def day_slots(slots: Sequence[dt.time]) -> list[dt.time]:
    """Every half hour from the first office slot to the last (the lunch break included: S1's
    simulation runs one contiguous stretch; at lunch nobody arrives and every counter is closed)."""
    if not slots:
        return []
    out = [slots[0]]
    while out[-1] < slots[-1]:
        total = out[-1].hour * 60 + out[-1].minute + 30
        out.append(dt.time(total // 60, total % 60))
    return out


def _summary(
    label: str, result: simulation.DayResult, groups: Sequence[GroupAdvice], full: Sequence[dt.time]
) -> SimulationSummary:
    within: dict[tuple[int, dt.time], Estimate] = {}
    wait: dict[tuple[int, dt.time], Estimate] = {}
    day_within: dict[int, Estimate] = {}
    day_wait: dict[int, Estimate] = {}
    left: dict[int, Estimate] = {}
    for ga in groups:
        for i, s in enumerate(full):
            f = result.slot(ga.letter, i)
            if f is None:
                continue
            if (w := _est(f.called_within_target)) is not None:
                within[(ga.group_id, s)] = w
            if (m := _est(f.mean_wait_seconds, 1 / 60)) is not None:
                wait[(ga.group_id, s)] = m
        g = result.group(ga.letter)
        if (w := _est(g.called_within_target)) is not None:
            day_within[ga.group_id] = w
        if (m := _est(g.mean_wait_seconds, 1 / 60)) is not None:
            day_wait[ga.group_id] = m
        if (a := _est(g.abandon_rate)) is not None:
            left[ga.group_id] = a
    return SimulationSummary(label, result.replications, within, wait, day_within, day_wait, left)


def simulate_both(
    *,
    advice: Advice,
    current: Mapping[tuple[int, dt.time], Sequence[int]],
    counters: Sequence[CounterInfo],
    runs: int,
) -> dict[str, SimulationSummary]:
    """S1's `simulation.simulate_day`, with the same seed (the same residents) for (a) today's
    staffing — each counter with the groups it serves per half hour — and (b) the recommendation —
    that many counters dedicated to each group per half hour."""
    fc = advice.forecast
    full = day_slots(fc.slots)
    groups = [
        simulation.GroupDay(
            key=ga.letter,
            arrivals_per_slot=tuple(ga.forecast.arrivals.get(s, 0.0) for s in full),
            service_minutes=ga.service_s / 60,
            service_sigma=_lognormal_sigma(ga.forecast.service_median_s, ga.service_s),
            patience_minutes=None if ga.forecast.patience_s is None else ga.forecast.patience_s / 60,
        )
        for ga in advice.groups
    ]
    letters = {ga.group_id: ga.letter for ga in advice.groups}
    serves: dict[int, list[set[str]]] = defaultdict(lambda: [set() for _ in full])
    for (group_id, s), counter_ids in current.items():
        if s not in full:
            continue
        for c in counter_ids:
            serves[c][full.index(s)].add(letters[group_id])
    now_counters = [
        simulation.CounterDay(str(c), tuple(frozenset(x) for x in per_slot))
        for c, per_slot in sorted(serves.items())
    ]
    advised = simulation.counters_per_group(
        {ga.letter: [ga.slots[s].counters if s in ga.slots else 0 for s in full] for ga in advice.groups}
    )
    # (c) the plan as it can be staffed: a counter the plan seats someone at serves, then, every
    # group it is set up for (the plan says who sits where, not what the counter serves)
    info = {c.counter_id: c for c in counters}
    seated: dict[int, list[set[str]]] = defaultdict(lambda: [set() for _ in full])
    for r in advice.plan:
        for i, s in enumerate(full):
            if r.starts <= s < r.ends:
                block = _half_hour(s)
                served = {ga.letter for ga in advice.groups if info[r.counter_id].serves(ga.group_id, block)}
                seated[r.counter_id][i] |= served | {r.group}
    plan_counters = [
        simulation.CounterDay(str(c), tuple(frozenset(x) for x in per_slot))
        for c, per_slot in sorted(seated.items())
    ]
    target = advice.target_wait_s
    out = {}
    for key, label, staffing in (
        ("current", "Bố trí hiện tại", now_counters),
        ("advised", "Theo đề xuất", advised),
        ("plan", "Theo lịch xếp được", plan_counters),
    ):
        result = simulation.simulate_day(
            groups=groups, counters=staffing, target_wait_seconds=target, replications=runs, seed=1
        )
        out[key] = _summary(label, result, advice.groups, full)
    return out


# ---- the advice of a day: reads the database ----------------------------------------------------


@dataclass(frozen=True)
class GroupAdvice:
    forecast: GroupForecast
    service_s: float
    service_guessed: bool  # no finished ticket in the history: DEFAULT_SERVICE_S
    slots: dict[dt.time, SlotRecommendation]
    current: dict[dt.time, int]  # counters serving the group today (plan or counters as set)

    @property
    def group_id(self) -> int:
        return self.forecast.group_id

    @property
    def letter(self) -> str:
        return self.forecast.letter

    @property
    def name(self) -> str:
        return self.forecast.name


@dataclass(frozen=True)
class PlanRow:
    officer_id: int
    officer: str
    department: str
    counter_id: int
    counter: str
    group: str
    starts: dt.time
    ends: dt.time
    flags: tuple[str, ...]

    @property
    def note(self) -> str:
        notes = {
            "paired": "đang học, ngồi cùng giờ với người làm được",
            "department": "cán bộ phòng: chỉ đề xuất vì không còn cán bộ một cửa có kỹ năng",
            "no_fields": "nhóm chưa gắn lĩnh vực: xếp cán bộ một cửa",
        }
        return "; ".join(notes[f] for f in self.flags if f in notes)


@dataclass(frozen=True)
class Advice:
    commune: Commune
    day: dt.date
    forecast: Forecast
    target_wait_s: float
    level: float
    groups: list[GroupAdvice]
    current_source: str  # "plan" (the day's plan seats officers) or "counters" (as set up)
    blocks: list[Block]
    plan: list[PlanRow]
    short: list[tuple[Block, str, int, str]]  # block, group letter, missing, reason
    moves: int
    simulations: dict[str, SimulationSummary] = field(default_factory=dict)

    def specs(self) -> list[SlotSpec]:
        return [
            SlotSpec(officer_id=r.officer_id, starts=r.starts, ends=r.ends, counter_id=r.counter_id,
                     kind=SlotKind.COUNTER, note=f"Đề xuất: nhóm {r.group}")
            for r in self.plan
        ]  # fmt: skip


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def _counter_infos(commune: Commune) -> list[CounterInfo]:
    counters = list(
        Counter.objects.filter(commune=commune, active=True)
        .prefetch_related("groups", "hours")
        .order_by("number")
    )
    out = []
    for c in counters:
        hours: dict[int, list[tuple[dt.time, dt.time]]] = defaultdict(list)
        for h in c.hours.all():
            hours[h.group_id].append((h.starts, h.ends))
        out.append(
            CounterInfo(
                counter_id=c.pk, number=c.number, groups=frozenset(g.pk for g in c.groups.all()),
                hours={g: tuple(w) for g, w in hours.items()}, officer_id=c.officer_id,
            )
        )  # fmt: skip
    return out


def _officer_infos(
    commune: Commune, day: dt.date, groups: Sequence[int]
) -> tuple[list[OfficerInfo], dict[int, bool], dict[int, Any]]:
    users = list(planned_officers(commune).exclude(role=Role.COMMUNE_LEADER))
    absent: dict[int, list[tuple[dt.time, dt.time]]] = defaultdict(list)
    for s in plan_of_day(commune=commune, day=day):
        if s.kind == SlotKind.ABSENT:
            absent[s.officer_id].append((s.starts, s.ends))
    skills: dict[int, dict[int, str]] = defaultdict(dict)
    has_fields: dict[int, bool] = {}
    for g in groups:
        fields = fields_of_group(g)
        has_fields[g] = bool(fields)
        if not fields:
            continue
        for u in skilled_officers(commune=commune, fields=fields, min_level=SkillLevel.LEARNING):
            skills[u.pk][g] = LEARNING
        for u in skilled_officers(commune=commune, fields=fields, min_level=SkillLevel.CAN):
            skills[u.pk][g] = SKILLED
    infos = [
        OfficerInfo(
            officer_id=u.pk, name=u.display_name,
            one_stop=u.role == Role.COUNTER_OFFICER
            or (u.department is not None and u.department.kind == DepartmentKind.SERVICE_CENTER),
            skills=skills.get(u.pk, {}), absent=tuple(absent.get(u.pk, ())),
        )
        for u in users
    ]  # fmt: skip
    return infos, has_fields, {u.pk: u for u in users}


def _current(
    commune: Commune,
    day: dt.date,
    counters: Sequence[CounterInfo],
    groups: Sequence[int],
    slots: Sequence[dt.time],
) -> tuple[dict[tuple[int, dt.time], list[int]], str]:
    """Counters open per (group, half hour): the day's plan when it seats officers, else every
    active counter within its hours. Returns (group, slot) → counter ids, and the source."""
    seated = [s for s in plan_of_day(commune=commune, day=day) if s.kind == SlotKind.COUNTER and s.counter_id]
    out: dict[tuple[int, dt.time], list[int]] = defaultdict(list)
    for slot in slots:
        block = Block(slot, (dt.datetime.combine(day, slot) + dt.timedelta(minutes=30)).time())
        for c in counters:
            if seated and not any(s.counter_id == c.counter_id and s.starts <= slot < s.ends for s in seated):
                continue
            for g in groups:
                if c.serves(g, block):
                    out[(g, slot)].append(c.counter_id)
    return out, "plan" if seated else "counters"


def advise(
    *, commune: Commune, day: dt.date, today: dt.date, simulate: bool = True, runs: int = 20
) -> Advice:
    """The whole advice of `day` (module docstring)."""
    fc = forecast_day(commune=commune, day=day, today=today)
    target = _setting("MOTCUA_STAFFING_TARGET_WAIT_SECONDS", 900)
    level = _setting("MOTCUA_STAFFING_SERVICE_LEVEL", 0.8)
    counters = _counter_infos(commune)
    group_ids = [g.group_id for g in fc.groups]
    current, source = _current(commune, day, counters, group_ids, fc.slots)
    groups: list[GroupAdvice] = []
    for g in fc.groups:
        service = g.service_mean_s or g.service_median_s
        recs = {
            s: recommend_slot(
                arrivals_half_hour=g.arrivals[s], service_s=service or DEFAULT_SERVICE_S, patience_s=g.patience_s,
                target_wait_s=target, level=level,
            )
            for s in fc.slots
        }  # fmt: skip
        groups.append(
            GroupAdvice(
                forecast=g, service_s=service or DEFAULT_SERVICE_S, service_guessed=service is None, slots=recs,
                current={s: len(current.get((g.group_id, s), [])) for s in fc.slots},
            )
        )  # fmt: skip
    blocks = blocks_of(fc.slots)
    needs: dict[tuple[int, dt.time], int] = {}
    for ga in groups:
        for b in blocks:
            inside = [s for s in fc.slots if b.starts <= s < b.ends]
            needs[(ga.group_id, b.starts)] = max((ga.slots[s].counters for s in inside), default=0)
    officers, has_fields, users = _officer_infos(commune, day, group_ids)
    result = assign(
        blocks=blocks, needs=needs, counters=counters, officers=officers, group_has_fields=has_fields
    )
    numbers = {c.counter_id: c.number for c in counters}
    letters = {g.group_id: g.letter for g in groups}
    group_of: dict[tuple[int, dt.time], int] = {
        (s.counter_id, s.block.starts): s.group_id for s in result.seats
    }
    plan = []
    for officer_id, counter_id, starts, ends, flags in merged_slots(result.seats):
        u = users[officer_id]
        plan.append(
            PlanRow(
                officer_id=officer_id, officer=u.display_name, department=u.department.name if u.department else "",
                counter_id=counter_id, counter=f"Quầy {numbers[counter_id]}",
                group=letters[group_of[(counter_id, starts)]], starts=starts, ends=ends, flags=flags,
            )
        )  # fmt: skip
    plan.sort(key=lambda r: (r.starts, numbers[r.counter_id]))
    advice = Advice(
        commune=commune, day=day, forecast=fc, target_wait_s=target, level=level, groups=groups,
        current_source=source, blocks=blocks, plan=plan,
        short=[(s.block, letters[s.group_id], s.missing, s.reason) for s in result.short],
        moves=result.moves(),
    )  # fmt: skip
    if simulate and not fc.closed and fc.total > 0:
        advice.simulations.update(simulate_both(advice=advice, current=current, counters=counters, runs=runs))
    return advice


# ---- what the page and the command show ----------------------------------------------------------


def _hours(starts: dt.time, ends: dt.time) -> float:
    return (ends.hour * 60 + ends.minute - starts.hour * 60 - starts.minute) / 60


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %".replace(".", ",")


def _num(x: float, digits: int = 1) -> str:
    return f"{x:.{digits}f}".replace(".", ",")


def _ci(e: Estimate | None, *, percent: bool = False) -> str:
    if e is None:
        return "—"
    if percent:
        return f"{_pct(e.mean)} ({_pct(max(e.low, 0))}–{_pct(min(e.high, 1))})"
    return f"{_num(e.mean)} ({_num(max(e.low, 0))}–{_num(e.high)})"


def advice_tables(advice: Advice) -> dict[str, Any]:
    """Rows ready for the template (and the command): forecast, recommendation, simulations."""
    fc = advice.forecast
    forecast_rows = []
    for s in fc.slots:
        cells = []
        for g in fc.groups:
            cells.append(
                {"forecast": _num(g.arrivals[s]), "actual": None if g.actual is None else g.actual[s]}
            )
        forecast_rows.append({"slot": f"{s:%H:%M}", "cells": cells})
    rec_rows = []
    for s in fc.slots:
        rec_rows.append(
            {
                "slot": f"{s:%H:%M}",
                "cells": [
                    {
                        "current": ga.current[s],
                        "c": ga.slots[s].erlang_c.agents,
                        "a": None if (ea := ga.slots[s].erlang_a) is None else ea.agents,
                        "plan": ga.slots[s].counters,
                    }
                    for ga in advice.groups
                ],
            }
        )
    sims = advice.simulations
    sim_rows = []
    if sims:
        cur, adv = sims.get("current"), sims.get("advised")
        for s in fc.slots:
            cells = []
            for ga in advice.groups:
                key = (ga.group_id, s)
                cells.append(
                    {
                        "within_current": _ci(cur.within.get(key) if cur else None, percent=True),
                        "within_advised": _ci(adv.within.get(key) if adv else None, percent=True),
                        "wait_current": _ci(cur.wait_min.get(key) if cur else None),
                        "wait_advised": _ci(adv.wait_min.get(key) if adv else None),
                    }
                )
            sim_rows.append({"slot": f"{s:%H:%M}", "cells": cells})
    day_rows = []
    for ga in advice.groups:
        g = ga.forecast
        cur = sims.get("current")
        adv = sims.get("advised")
        pl = sims.get("plan")
        day_rows.append(
            {
                "letter": g.letter,
                "name": g.name,
                "total": _num(g.total),
                "actual": g.actual_total,
                "service_median": "—" if g.service_median_s is None else _num(g.service_median_s / 60),
                "service_mean": _num(ga.service_s / 60) + (" (giả định)" if ga.service_guessed else ""),
                "abandon": "—" if g.abandon_share is None else _pct(g.abandon_share),
                "patience": "—" if g.patience_s is None else _num(g.patience_s / 60),
                "mae": "—" if g.mae is None else _num(g.mae, 2),
                "counter_hours_current": _num(sum(ga.current.values()) / 2),
                "counter_hours_advised": _num(sum(r.counters for r in ga.slots.values()) / 2),
                "within_current": _ci(cur.day_within.get(ga.group_id) if cur else None, percent=True),
                "within_advised": _ci(adv.day_within.get(ga.group_id) if adv else None, percent=True),
                "wait_current": _ci(cur.day_wait_min.get(ga.group_id) if cur else None),
                "wait_advised": _ci(adv.day_wait_min.get(ga.group_id) if adv else None),
                "left_current": _ci(cur.left_share.get(ga.group_id) if cur else None, percent=True),
                "left_advised": _ci(adv.left_share.get(ga.group_id) if adv else None, percent=True),
                "within_plan": _ci(pl.day_within.get(ga.group_id) if pl else None, percent=True),
                "wait_plan": _ci(pl.day_wait_min.get(ga.group_id) if pl else None),
                "left_plan": _ci(pl.left_share.get(ga.group_id) if pl else None, percent=True),
                "counter_hours_plan": _num(
                    sum(_hours(r.starts, r.ends) for r in advice.plan if r.group == ga.letter)
                ),
            }
        )
    grid: dict[str, dict[dt.time, str]] = defaultdict(dict)
    for r in advice.plan:
        for b in advice.blocks:
            if r.starts <= b.starts and b.ends <= r.ends:
                grid[r.counter][b.starts] = f"{r.officer} ({r.group})" + (" *" if r.flags else "")
    counters = sorted(grid, key=lambda name: int(name.split()[-1]))
    plan_grid = [
        {"counter": c, "cells": [grid[c].get(b.starts, "") for b in advice.blocks]} for c in counters
    ]
    return {
        "forecast": forecast_rows,
        "recommendation": rec_rows,
        "simulation": sim_rows,
        "day": day_rows,
        "plan_grid": plan_grid,
        "blocks": [f"{b.starts:%H:%M}–{b.ends:%H:%M}" for b in advice.blocks],
        "short": [
            f"Nhóm {letter} thiếu {n} {'người có kỹ năng' if reason == 'officers' else 'quầy phục vụ nhóm này'} "
            f"lúc {b.starts:%H:%M}–{b.ends:%H:%M}"
            for b, letter, n, reason in advice.short
        ],
    }


def advice_charts(advice: Advice) -> dict[str, Any]:
    """SVG charts (quality.charts): the forecast per half hour; per group, the share called within
    the target and the mean wait under today's staffing and under the plan."""
    fc = advice.forecast
    out: dict[str, Any] = {
        "forecast": bar_chart(
            chart_id="du-bao-luot",
            title=f"Số lượt dự báo mỗi nửa giờ, ngày {fc.day:%d/%m/%Y}",
            bars=[
                Bar(
                    f"{s:%H:%M}",
                    sum(g.arrivals[s] for g in fc.groups),
                    _num(sum(g.arrivals[s] for g in fc.groups), 0),
                )
                for s in fc.slots
            ],
        )
    }
    sims = [advice.simulations[k] for k in ("current", "advised", "plan") if k in advice.simulations]
    if sims:
        series = [x.label for x in sims]
        rows_within, rows_wait = [], []
        for ga in advice.groups:
            within = [x.day_within.get(ga.group_id) for x in sims]
            waits = [x.day_wait_min.get(ga.group_id) for x in sims]
            label = f"{ga.letter} — {ga.name}"
            rows_within.append(
                HRow(label, tuple(Bar(x.label, 100 * e.mean, _pct(e.mean)) if e else Bar(x.label, 0, "—")
                                  for x, e in zip(sims, within, strict=True)))
            )  # fmt: skip
            rows_wait.append(
                HRow(label, tuple(Bar(x.label, e.mean, _num(e.mean) + " ph") if e else Bar(x.label, 0, "—")
                                  for x, e in zip(sims, waits, strict=True)))
            )  # fmt: skip
        target_min = _num(advice.target_wait_s / 60, 0)
        out["within"] = hbar_chart(
            chart_id="mo-phong-dat", title=f"Tỷ lệ được gọi trong {target_min} phút (mô phỏng)",
            series=series, rows=rows_within, maximum=100,
        )  # fmt: skip
        out["wait"] = hbar_chart(
            chart_id="mo-phong-cho",
            title="Thời gian chờ trung bình, phút (mô phỏng)",
            series=series,
            rows=rows_wait,
        )
    return out


def advice_json(advice: Advice) -> dict[str, Any]:
    """The advice as plain data (the `motcua staffing advise --json` output)."""

    def est(e: Estimate | None) -> dict[str, float] | None:
        return (
            None
            if e is None
            else {"mean": round(e.mean, 4), "low": round(e.low, 4), "high": round(e.high, 4)}
        )

    fc = advice.forecast
    sims = advice.simulations
    groups = []
    for ga in advice.groups:
        g = ga.forecast
        groups.append(
            {
                "letter": g.letter, "name": g.name, "forecast_total": round(g.total, 2),
                "actual_total": g.actual_total, "service_median_minutes": None if g.service_median_s is None
                else round(g.service_median_s / 60, 2), "service_mean_minutes": round(ga.service_s / 60, 2),
                "abandon_share": None if g.abandon_share is None else round(g.abandon_share, 4),
                "patience_minutes": None if g.patience_s is None else round(g.patience_s / 60, 2),
                "mae_per_half_hour": None if g.mae is None else round(g.mae, 3),
                "half_hours": [
                    {
                        "at": f"{s:%H:%M}", "arrivals": round(g.arrivals[s], 2),
                        "actual": None if g.actual is None else g.actual[s],
                        "counters_now": ga.current[s], "erlang_c": ga.slots[s].erlang_c.agents,
                        "erlang_a": None if (ea := ga.slots[s].erlang_a) is None else ea.agents,
                        "advised": ga.slots[s].counters,
                        "simulated": {
                            k: {"within_target": est(v.within.get((ga.group_id, s))),
                                "mean_wait_minutes": est(v.wait_min.get((ga.group_id, s)))}
                            for k, v in sims.items()
                        },
                    }
                    for s in fc.slots
                ],
                "simulated_day": {
                    k: {"within_target": est(v.day_within.get(ga.group_id)),
                        "mean_wait_minutes": est(v.day_wait_min.get(ga.group_id)),
                        "left_share": est(v.left_share.get(ga.group_id))}
                    for k, v in sims.items()
                },
            }
        )  # fmt: skip
    return {
        "commune": advice.commune.pk,
        "day": advice.day.isoformat(),
        "closed": fc.closed,
        "history_days": [d.isoformat() for d in fc.days],
        "seasonal_factor": round(fc.seasonal, 4),
        "seasonal_note": fc.seasonal_note,
        "mae_per_half_hour": None if fc.mae is None else round(fc.mae, 3),
        "target_wait_seconds": advice.target_wait_s,
        "service_level": advice.level,
        "current_staffing": advice.current_source,
        "runs": next(iter(sims.values())).runs if sims else 0,
        "groups": groups,
        "plan": [
            {
                "officer": r.officer,
                "counter": r.counter,
                "group": r.group,
                "from": f"{r.starts:%H:%M}",
                "to": f"{r.ends:%H:%M}",
                "flags": list(r.flags),
            }
            for r in advice.plan
        ],
        "moves": advice.moves,
        "short": [
            {
                "from": f"{b.starts:%H:%M}",
                "to": f"{b.ends:%H:%M}",
                "group": letter,
                "missing": n,
                "reason": reason,
            }
            for b, letter, n, reason in advice.short
        ],
    }


def advice_text(advice: Advice) -> str:
    """The advice as text for a terminal (`motcua staffing advise`): per group the forecast, the
    counters (now, Erlang C, Erlang A), the two simulations, then the plan and the shortfalls."""
    t = advice_tables(advice)
    fc = advice.forecast
    lines = [
        f"Ngày {advice.day:%d/%m/%Y}" + (" — ngày nghỉ" if fc.closed else ""),
        f"Lịch sử: {', '.join(f'{d:%d/%m}' for d in fc.days) or 'không có'}; {fc.seasonal_note}",
        f"Mục tiêu: {advice.level:.0%} được gọi trong {advice.target_wait_s / 60:.0f} phút; "
        f"MAE mỗi nửa giờ (2 tuần gần nhất): {'—' if fc.mae is None else f'{fc.mae:.2f}'}",
        "",
        "Nhóm | lượt dự báo | phục vụ TB (ph) | kiên nhẫn (ph) | giờ-quầy hiện tại → đề xuất → lịch xếp được | "
        "gọi trong mục tiêu: hiện tại → đề xuất → lịch | chờ TB (ph): hiện tại → đề xuất → lịch",
    ]
    for r in t["day"]:
        lines.append(
            f"{r['letter']} | {r['total']} | {r['service_mean']} | {r['patience']} | "
            f"{r['counter_hours_current']} → {r['counter_hours_advised']} → {r['counter_hours_plan']} | "
            f"{r['within_current']} → {r['within_advised']} → {r['within_plan']} | "
            f"{r['wait_current']} → {r['wait_advised']} → {r['wait_plan']}"
        )
    lines += ["", "Giờ | " + " | ".join(f"{g.letter}: lượt, quầy hiện tại/C/A" for g in advice.groups)]
    for s in fc.slots:
        cells = []
        for ga in advice.groups:
            ea = ga.slots[s].erlang_a
            cells.append(
                f"{ga.forecast.arrivals[s]:.1f}, {ga.current[s]}/{ga.slots[s].erlang_c.agents}/"
                f"{'—' if ea is None else ea.agents}"
            )
        lines.append(f"{s:%H:%M} | " + " | ".join(cells))
    lines += ["", "Lịch đề xuất:"]
    lines += [
        f"  {r.starts:%H:%M}–{r.ends:%H:%M} {r.counter} (nhóm {r.group}): {r.officer}"
        + (f" — {r.note}" if r.flags else "")
        for r in advice.plan
    ]
    lines += [f"  {s}" for s in t["short"]]
    return "\n".join(lines)


def advise_cli(*, code: str, day: str, as_json: bool, now: dt.datetime, runs: int = 20) -> str:
    """`motcua staffing advise <commune code> --day YYYY-MM-DD [--json]`: the forecast, the
    recommendation and the two simulations of the day, as text or JSON. ValidationFailed /
    NotFound with a Vietnamese message for a bad code or date."""
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    from motcua.core.errors import NotFound, ValidationFailed

    text = (code or "").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 6):
        raise ValidationFailed("Mã xã/phường phải là số, ví dụ 20209.", code="bad_commune_code")
    commune = Commune.objects.filter(pk=int(text)).first()
    if commune is None:
        raise NotFound(f"Không có xã/phường mã {text}.")
    from .advisor_views import AHEAD_DAYS, BACK_DAYS  # the web page's window, the same here

    raw = (day or "").strip()
    try:
        if len(raw) != 10 or not raw.isascii() or raw[4] != "-" or raw[7] != "-":
            raise ValueError(raw)  # fromisoformat also takes 20261201 and 2026-W49-1
        target = dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise ValidationFailed("Ngày phải có dạng YYYY-MM-DD, ví dụ 2026-12-01.", code="bad_day") from exc
    today = now.astimezone(LOCAL_TZ).date()
    first, last = today - dt.timedelta(days=BACK_DAYS), today + dt.timedelta(days=AHEAD_DAYS)
    if not first <= target <= last:
        raise ValidationFailed(
            f"Chỉ dự báo được đến {AHEAD_DAYS} ngày tới và xem lại trong một năm qua: "
            f"ngày từ {first:%d/%m/%Y} đến {last:%d/%m/%Y}.",
            code="day_out_of_window",
        )
    advice = advise(commune=commune, day=target, today=today, runs=runs)
    if as_json:
        return json.dumps(advice_json(advice), ensure_ascii=False, indent=2, cls=DjangoJSONEncoder)
    return advice_text(advice)
