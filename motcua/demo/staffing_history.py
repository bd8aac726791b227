"""The demo ward's queue history (issue 11 §4): the last 8 weeks of working days' tickets, so the
staffing advisor has something to forecast from.

Each working day before today (the province's calendar: weekends and holidays have no tickets)
is a run of `queueing.simulate.simulate_day` on the demo's counters with its own seed (the day's
ordinal) and its arrivals scaled by a weekday factor (Monday busiest, Friday quietest) and a small
month factor, so the forecast has a weekly pattern to find. Every ticket is written finished:
DONE (issued, called, served, finished), NO_SHOW (called, recalled, marked), or LEFT — a resident
whose patience (exponential, mean PATIENCE_MIN minutes, drawn per ticket) ran out before the call
leaves then. Rows only, in one executemany: no TicketEvent for history days (the advisor reads the tickets'
own times; the console's event log is today's only), no TicketSequence (numbers are taken today).
Idempotent: a day that already has tickets at the center gets nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import replace
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Field

from motcua.calendar.selectors import calendar_for_province
from motcua.queueing.models import Counter, ServiceGroup, Ticket, TicketState
from motcua.queueing.services import LOCAL_TZ
from motcua.queueing.simulate import AFTERNOON, MORNING, CounterSpec, DaySpec, hm, simulate_day, thanh_khe_day

from . import ward as W

WEEKS = 8
WEEKDAY_FACTOR = {0: 1.15, 1: 1.0, 2: 0.95, 3: 1.0, 4: 0.85, 5: 0.5}
MONTH_FACTOR = {1: 1.1, 2: 0.8, 6: 1.05, 7: 1.05, 12: 1.1}  # the rest 1.0
PATIENCE_MIN = 120.0


def _spec(day: dt.date) -> DaySpec:
    hours: dict[int, list[tuple[float, float]]] = {}
    for number, _letter, (h1, m1), (h2, m2) in W.QUEUE_HOURS:
        window = (hm(h1, m1), hm(h2, m2))
        if window not in hours.setdefault(number, []):
            hours[number].append(window)
    counters = tuple(
        CounterSpec(number, tuple(letters), tuple(hours.get(number, (MORNING, AFTERNOON))))
        for number, letters in W.QUEUE_COUNTERS
    )
    base = thanh_khe_day()
    factor = WEEKDAY_FACTOR.get(day.weekday(), 1.0) * MONTH_FACTOR.get(day.month, 1.0)
    arrivals = tuple(replace(a, per_hour=a.per_hour * factor) for a in base.arrivals)
    return replace(base, counters=counters, arrivals=arrivals)


@transaction.atomic
def history_load(*, now: dt.datetime, weeks: int = WEEKS) -> int:
    """Write the missing history days; returns the tickets written."""
    groups = dict(ServiceGroup.objects.filter(commune_id=W.COMMUNE_CODE).values_list("letter", "pk"))
    counters = dict(Counter.objects.filter(commune_id=W.COMMUNE_CODE).values_list("number", "pk"))
    if not groups or not counters:
        return 0
    calendar = calendar_for_province(W.PROVINCE_CODE)
    today = now.astimezone(LOCAL_TZ).date()
    days = [today - dt.timedelta(days=k) for k in range(1, 7 * weeks + 1)]
    days = [d for d in days if calendar.is_working_day(d)]
    taken = set(
        Ticket.objects.filter(commune_id=W.COMMUNE_CODE, day__in=days)
        .values_list("day", flat=True)
        .distinct()
    )
    rows: list[dict[str, object]] = []
    for day in days:
        if day in taken:
            continue
        sim = simulate_day(day.toordinal(), _spec(day))
        rng = random.Random(day.toordinal() * 7 + 1)
        midnight = dt.datetime.combine(day, dt.time(0), tzinfo=LOCAL_TZ)

        def at(seconds: float, midnight: dt.datetime = midnight) -> dt.datetime:
            return midnight + dt.timedelta(seconds=seconds)

        for t in sim.tickets:
            assert t.called is not None and t.finished is not None
            group = groups.get(t.group)
            if group is None:
                continue
            patience = rng.expovariate(1 / (PATIENCE_MIN * 60))
            common: dict[str, object] = {
                "commune_id": W.COMMUNE_CODE, "group_id": group, "queue_group_id": group, "day": day,
                "seq": int(t.number[1:]), "number": t.number, "priority": t.priority, "issued_at": at(t.issued),
            }  # fmt: skip
            if t.called - t.issued > patience:
                rows.append(common | {"state": TicketState.LEFT, "finished_at": at(t.issued + patience)})
            elif not t.shows_up:
                rows.append(
                    common | {"state": TicketState.NO_SHOW, "counter_id": counters.get(t.counter or 0),
                              "recalls": len(t.recalls), "called_at": at(t.called), "finished_at": at(t.finished)}
                )  # fmt: skip
            else:
                assert t.served is not None
                rows.append(
                    common | {"state": TicketState.DONE, "counter_id": counters.get(t.counter or 0),
                              "called_at": at(t.called), "served_at": at(t.served), "finished_at": at(t.finished)}
                )  # fmt: skip
    _insert(rows)
    return len(rows)


def _insert(rows: list[dict[str, object]]) -> None:
    """Many tickets in one `executemany` (the ORM's bulk_create spends ~1 ms a row on preparing
    values, and SQLite's 999-parameter limit cuts it into batches of 40): every column of the
    table, the model's defaults for the ones not given, dates adapted as the ORM adapts them."""
    fields = [f for f in Ticket._meta.concrete_fields if not f.primary_key]
    ops = connection.ops

    def value(f: Field, row: dict[str, object]) -> Any:
        v: Any = row[f.attname] if f.attname in row else f.get_default()
        if isinstance(f, models.DateTimeField):
            return ops.adapt_datetimefield_value(v)
        if isinstance(f, models.DateField):
            return ops.adapt_datefield_value(v)
        return v

    qn = ops.quote_name
    # Names from the model, quoted; every value a parameter.
    columns = ", ".join(qn(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {qn(Ticket._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, [tuple(value(f, r) for f in fields) for r in rows])
