"""The queue's forecast for one day (issue 11 §4): arrivals per service group per half hour, the
service time and the residents' patience per group, from the hall's own history.

- Arrivals of a group in a half hour (local time, Asia/Ho_Chi_Minh; a ticket counts in the group
  whose letter it carries, `Ticket.group`, where the resident asked to go) = the weighted average
  of the same weekday over the last N = 8 weeks of working days before the target day (and
  before today), the most recent week weighing N, the oldest 1; days the hall had no ticket at
  all (before the platform was used) are not counted as zeros.
- Times a seasonal factor: with a year of history, the month's index (tickets per working day in
  that month of the last year ÷ the year's mean per working day) of the target day over the mean
  index of the history's days; with less than a year the factor is 1 and the page says so.
- Closed days (weekends, holidays, the province's days off: the commune's calendar) forecast 0.
- Service time per group: median and mean of (finished − called) of the DONE tickets of the
  history's days. Patience: an exponential estimate, the residents' waiting time observed (DONE:
  until the call, censored; NO_SHOW: until the call; LEFT: until they left) divided by the number
  who gave up (LEFT and NO_SHOW), the maximum-likelihood estimate with censoring.
- The forecast's error: each working day of the last 2 weeks is forecast from its own history
  only and compared with what happened: the mean absolute error per group per half hour.

Two grouped queries (arrival counts per day, group and half hour over the window; the history
days' finished tickets for times), whatever the number of days.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import Case, Count, IntegerField, Value, When
from django.db.models.functions import ExtractHour, ExtractMinute

from motcua.calendar.selectors import calendar_for_province
from motcua.calendar.workdays import WorkCalendar
from motcua.geo.models import Commune
from motcua.queueing.models import ServiceGroup, Ticket, TicketState

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
WEEKS = 8
HOLDOUT_DAYS = 14
SLOT_MINUTES = 30

Slot = dt.time  # the start of a half hour, local time


def office_slots(calendar: WorkCalendar) -> list[Slot]:
    """The half hours of the office windows (07:30, 08:00, … 11:00, 13:30, … 16:30)."""
    out: list[Slot] = []
    for opens, closes in calendar.office_windows:
        minute = opens.hour * 60 + opens.minute
        end = closes.hour * 60 + closes.minute
        while minute < end:
            out.append(dt.time(minute // 60, minute % 60))
            minute += SLOT_MINUTES
    return out


def slot_of(hour: int, minute: int) -> Slot:
    return dt.time(hour, (minute // SLOT_MINUTES) * SLOT_MINUTES)


def history_days(
    *, day: dt.date, today: dt.date, calendar: WorkCalendar, weeks: int = WEEKS
) -> list[dt.date]:
    """The same weekday as `day` in the `weeks` most recent weeks before `day` and before `today`
    that were working days, most recent first."""
    cutoff = min(day, today)
    d = day - dt.timedelta(days=7)
    while d >= cutoff:
        d -= dt.timedelta(days=7)
    out: list[dt.date] = []
    tries = 0
    while len(out) < weeks and tries < weeks * 3:
        if calendar.is_working_day(d):
            out.append(d)
        d -= dt.timedelta(days=7)
        tries += 1
    return out


def weighted_average(
    counts: Mapping[tuple[dt.date, int, Slot], int],
    *,
    days: Sequence[dt.date],
    groups: Iterable[int],
    slots: Iterable[Slot],
) -> dict[tuple[int, Slot], float]:
    """Σ wᵢ·countᵢ / Σ wᵢ over `days` (most recent first; weights len(days)…1)."""
    n = len(days)
    total_w = n * (n + 1) / 2
    out: dict[tuple[int, Slot], float] = {}
    slots = list(slots)
    for g in groups:
        for s in slots:
            if not days:
                out[(g, s)] = 0.0
                continue
            acc = sum((n - i) * counts.get((d, g, s), 0) for i, d in enumerate(days))
            out[(g, s)] = acc / total_w
    return out


@dataclass(frozen=True)
class GroupForecast:
    group_id: int
    letter: str
    name: str
    arrivals: dict[Slot, float]  # forecast per half hour
    actual: dict[Slot, int] | None  # what happened (a past day)
    service_median_s: float | None
    service_mean_s: float | None
    served: int  # DONE tickets the times come from
    abandon_share: float | None  # LEFT + NO_SHOW of the finished tickets
    patience_s: float | None  # exponential estimate (None: nobody gave up)
    mae: float | None  # mean absolute error per half hour on the held-out days

    @property
    def total(self) -> float:
        return sum(self.arrivals.values())

    @property
    def actual_total(self) -> int | None:
        return None if self.actual is None else sum(self.actual.values())


@dataclass(frozen=True)
class Forecast:
    commune_id: int
    day: dt.date
    today: dt.date
    closed: bool
    slots: list[Slot]
    days: list[dt.date]  # the history's days, most recent first
    seasonal: float
    seasonal_note: str
    groups: list[GroupForecast]
    holdout_days: list[dt.date] = field(default_factory=list)
    mae: float | None = None  # over every group and half hour of the held-out days

    @property
    def past(self) -> bool:
        return self.day < self.today

    @property
    def total(self) -> float:
        return sum(g.total for g in self.groups)


def _counts(commune: Commune, start: dt.date, end: dt.date) -> dict[tuple[dt.date, int, Slot], int]:
    """Tickets issued per (local day, group, half hour) with start ≤ day ≤ end: one grouped query."""
    half = Case(
        When(m__gte=SLOT_MINUTES, then=Value(SLOT_MINUTES)), default=Value(0), output_field=IntegerField()
    )
    rows = (
        Ticket.objects.filter(commune=commune, day__gte=start, day__lte=end)
        .annotate(h=ExtractHour("issued_at", tzinfo=LOCAL_TZ), m=ExtractMinute("issued_at", tzinfo=LOCAL_TZ))
        .annotate(half=half)
        .values("day", "group_id", "h", "half")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {(r["day"], r["group_id"], dt.time(r["h"], r["half"])): r["n"] for r in rows}


def _seasonal(
    commune: Commune, *, day: dt.date, today: dt.date, days: Sequence[dt.date], calendar: WorkCalendar
) -> tuple[float, str]:
    """The month's index of `day` over the history days' mean index; 1 without a year of history."""
    year_ago = min(day, today) - dt.timedelta(days=365)
    first = Ticket.objects.filter(commune=commune).order_by("day").values_list("day", flat=True).first()
    if first is None or first > year_ago or not days:
        return 1.0, "Hệ số mùa vụ = 1: chưa có đủ một năm số liệu hàng chờ để so sánh tháng này với cả năm."
    rows = (
        Ticket.objects.filter(commune=commune, day__gt=year_ago, day__lt=min(day, today))
        .values("day")
        .annotate(n=Count("id"))
        .order_by()
    )
    per_month: dict[int, list[int]] = defaultdict(list)
    for r in rows:
        if calendar.is_working_day(r["day"]):
            per_month[r["day"].month].append(r["n"])
    all_days = [n for ns in per_month.values() for n in ns]
    if not all_days:
        return 1.0, "Hệ số mùa vụ = 1: không có ngày làm việc nào có số liệu trong năm qua."
    mean = sum(all_days) / len(all_days)

    def index(month: int) -> float:
        ns = per_month.get(month)
        return (sum(ns) / len(ns)) / mean if ns and mean else 1.0

    base = sum(index(d.month) for d in days) / len(days)
    factor = index(day.month) / base if base else 1.0
    return factor, (
        f"Hệ số mùa vụ = {factor:.2f}: chỉ số tháng {day.month} ({index(day.month):.2f}, số lượt mỗi ngày làm việc "
        f"so với trung bình cả năm) chia cho chỉ số trung bình của các ngày lịch sử ({base:.2f})."
    )


def _times(commune: Commune, days: Sequence[dt.date]) -> dict[int, dict[str, list[float]]]:
    """Per group: service times of DONE tickets, waits observed and who gave up (LEFT, NO_SHOW)."""
    out: dict[int, dict[str, list[float]]] = defaultdict(
        lambda: {"service": [], "exposure": [], "gave_up": []}
    )
    rows = Ticket.objects.filter(
        commune=commune,
        day__in=list(days),
        state__in=[TicketState.DONE, TicketState.LEFT, TicketState.NO_SHOW],
    ).values_list("group_id", "state", "issued_at", "called_at", "finished_at")
    for group_id, state, issued, called, finished in rows:
        bucket = out[group_id]
        if state == TicketState.DONE:
            if called is not None and finished is not None:
                bucket["service"].append((finished - called).total_seconds())
                bucket["exposure"].append((called - issued).total_seconds())
        elif state == TicketState.NO_SHOW and called is not None:
            bucket["exposure"].append((called - issued).total_seconds())
            bucket["gave_up"].append(1.0)
        elif state == TicketState.LEFT and finished is not None:
            bucket["exposure"].append((finished - issued).total_seconds())
            bucket["gave_up"].append(1.0)
    return out


def exponential_patience(*, exposure_s: Sequence[float], gave_up: int) -> float | None:
    """Mean patience (s), maximum likelihood with censoring: total time waited ÷ those who left."""
    if gave_up <= 0:
        return None
    return max(sum(max(x, 0.0) for x in exposure_s), 1.0) / gave_up


def forecast_day(*, commune: Commune, day: dt.date, today: dt.date, weeks: int = WEEKS) -> Forecast:
    """The forecast of `day` for the commune's hall (module docstring)."""
    calendar = calendar_for_province(commune.province_id)
    groups = list(ServiceGroup.objects.filter(commune=commune, active=True).order_by("letter"))
    slots = office_slots(calendar)
    closed = not calendar.is_working_day(day)
    days = history_days(day=day, today=today, calendar=calendar, weeks=weeks)
    # The held-out days: the working days of the last 2 weeks before today (or before a past day).
    cutoff = min(day, today)
    holdout = [
        cutoff - dt.timedelta(days=k)
        for k in range(1, HOLDOUT_DAYS + 1)
        if calendar.is_working_day(cutoff - dt.timedelta(days=k))
    ]
    # Far enough back for the held-out days' own histories (2 weeks earlier, a holiday skipped).
    window_start = min([*days, cutoff]) - dt.timedelta(days=HOLDOUT_DAYS + 14)
    counts = _counts(commune, window_start, max(day, cutoff))
    seen_days = {d for d, _, _ in counts}
    used = [d for d in days if d in seen_days]
    # Half hours outside office hours only when the history (or the past day shown) had tickets then.
    shown = {*used, day}
    extra = sorted({s for d, _, s in counts if d in shown} - set(slots))
    slots = sorted([*slots, *extra])
    seasonal, note = _seasonal(commune, day=day, today=today, days=used, calendar=calendar)
    ids = [g.pk for g in groups]
    base = weighted_average(counts, days=used, groups=ids, slots=slots)

    # The holdout: each day forecast from its own history (the same data, no more queries).
    errors: dict[int, list[float]] = defaultdict(list)
    for h in holdout:
        if h not in seen_days:
            continue
        own = [d for d in history_days(day=h, today=h, calendar=calendar, weeks=weeks) if d in seen_days]
        if not own:
            continue
        guess = weighted_average(counts, days=own, groups=ids, slots=slots)
        for gid in ids:
            for s in slots:
                errors[gid].append(abs(guess[(gid, s)] - counts.get((h, gid, s), 0)))
    times = _times(commune, used)
    out: list[GroupForecast] = []
    for g in groups:
        t = times.get(g.pk, {"service": [], "exposure": [], "gave_up": []})
        finished = len(t["service"]) + len(t["gave_up"])
        out.append(
            GroupForecast(
                group_id=g.pk,
                letter=g.letter,
                name=g.name,
                arrivals={s: 0.0 if closed else base[(g.pk, s)] * seasonal for s in slots},
                actual={s: counts.get((day, g.pk, s), 0) for s in slots} if day < today else None,
                service_median_s=statistics.median(t["service"]) if t["service"] else None,
                service_mean_s=statistics.fmean(t["service"]) if t["service"] else None,
                served=len(t["service"]),
                abandon_share=len(t["gave_up"]) / finished if finished else None,
                patience_s=exponential_patience(exposure_s=t["exposure"], gave_up=len(t["gave_up"])),
                mae=statistics.fmean(errors[g.pk]) if errors.get(g.pk) else None,
            )
        )
    all_errors = [e for es in errors.values() for e in es]
    return Forecast(
        commune_id=commune.pk,
        day=day,
        today=today,
        closed=closed,
        slots=slots,
        days=used,
        seasonal=seasonal,
        seasonal_note=note,
        groups=out,
        holdout_days=[h for h in holdout if h in seen_days],
        mae=statistics.fmean(all_errors) if all_errors else None,
    )
