"""The advisor's forecast (issue 11 §4) on a hand-made history: the expected numbers computed by hand."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from motcua.calendar.workdays import WorkCalendar
from motcua.queueing.models import ServiceGroup, Ticket, TicketState
from motcua.staffing.forecast import (
    exponential_patience,
    forecast_day,
    history_days,
    office_slots,
)
from motcua.testing import make_commune, make_service_groups

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
T8 = dt.time(8, 0)
T830 = dt.time(8, 30)


def _tickets(group: ServiceGroup, day: dt.date, at: dt.time, n: int, **extra: object) -> None:
    start = Ticket.objects.filter(group=group, day=day).count()
    moment = dt.datetime.combine(day, at, tzinfo=TZ)
    Ticket.objects.bulk_create(
        [
            Ticket(
                commune=group.commune, group=group, queue_group=group, day=day, seq=start + i + 1,
                number=f"{group.letter}{start + i + 1:03d}", issued_at=moment, **extra,
            )
            for i in range(n)
        ]
    )  # fmt: skip


def test_history_days_skip_holidays_and_stop_before_today() -> None:
    cal = WorkCalendar()
    # Monday 16/03/2026 seen from Friday 13/03: the Mondays before, 16/02 (Tết) skipped.
    days = history_days(day=dt.date(2026, 3, 16), today=dt.date(2026, 3, 13), calendar=cal, weeks=4)
    assert days == [dt.date(2026, 3, 9), dt.date(2026, 3, 2), dt.date(2026, 2, 23), dt.date(2026, 2, 9)]
    # Two weeks ahead: the Mondays before today, not 23/03 (still to come).
    days = history_days(day=dt.date(2026, 3, 30), today=dt.date(2026, 3, 20), calendar=cal, weeks=2)
    assert days == [dt.date(2026, 3, 16), dt.date(2026, 3, 9)]


def test_office_slots_are_the_half_hours_of_the_windows() -> None:
    slots = office_slots(WorkCalendar())
    assert slots[0] == dt.time(7, 30) and slots[-1] == dt.time(16, 30)
    assert dt.time(11, 30) not in slots and dt.time(13, 30) in slots
    assert len(slots) == 15


def _history() -> tuple[object, dict[str, ServiceGroup]]:
    commune = make_commune()
    groups = make_service_groups(commune)
    a = groups["A"]
    _tickets(a, dt.date(2026, 3, 9), dt.time(8, 5), 4)
    _tickets(a, dt.date(2026, 3, 9), dt.time(8, 40), 2)
    _tickets(a, dt.date(2026, 3, 2), dt.time(8, 10), 1)
    _tickets(a, dt.date(2026, 2, 23), dt.time(8, 20), 2)
    _tickets(a, dt.date(2026, 2, 9), dt.time(8, 0), 10)
    _tickets(a, dt.date(2026, 2, 16), dt.time(8, 0), 100)  # Tết: a closed day, not in the history
    _tickets(a, dt.date(2026, 3, 10), dt.time(8, 0), 50)  # a Tuesday
    return commune, groups


def test_arrivals_are_the_weighted_average_of_the_same_weekday() -> None:
    commune, _ = _history()
    f = forecast_day(commune=commune, day=dt.date(2026, 3, 16), today=dt.date(2026, 3, 13), weeks=4)
    assert f.days == [dt.date(2026, 3, 9), dt.date(2026, 3, 2), dt.date(2026, 2, 23), dt.date(2026, 2, 9)]
    a = next(g for g in f.groups if g.letter == "A")
    # weights 4, 3, 2, 1 (the most recent week weighs most): (4·4 + 3·1 + 2·2 + 1·10) / 10
    assert a.arrivals[T8] == pytest.approx(3.3)
    assert a.arrivals[T830] == pytest.approx(4 * 2 / 10)
    assert a.arrivals[dt.time(9, 0)] == 0
    b = next(g for g in f.groups if g.letter == "B")
    assert b.total == 0
    # less than a year of history: no seasonal factor, said so
    assert f.seasonal == 1.0 and "chưa có đủ một năm" in f.seasonal_note
    assert a.actual is None  # a day to come


def test_days_without_any_ticket_are_not_zeros() -> None:
    commune, _ = _history()
    # Six weeks asked: 02/02 and 26/01 had no ticket at all (before the platform): left out.
    f = forecast_day(commune=commune, day=dt.date(2026, 3, 16), today=dt.date(2026, 3, 13), weeks=6)
    assert dt.date(2026, 2, 2) not in f.days and len(f.days) == 4
    a = next(g for g in f.groups if g.letter == "A")
    assert a.arrivals[T8] == pytest.approx(3.3)


def test_a_closed_day_forecasts_nobody() -> None:
    commune, _ = _history()
    f = forecast_day(commune=commune, day=dt.date(2026, 3, 14), today=dt.date(2026, 3, 13), weeks=4)
    assert f.closed and f.total == 0


def test_a_past_day_shows_what_happened() -> None:
    commune, _ = _history()
    f = forecast_day(commune=commune, day=dt.date(2026, 3, 9), today=dt.date(2026, 3, 13), weeks=4)
    # forecast from the Mondays before 09/03 only: 02/03, 23/02, 09/02 (weights 3, 2, 1)
    assert f.days == [dt.date(2026, 3, 2), dt.date(2026, 2, 23), dt.date(2026, 2, 9)]
    a = next(g for g in f.groups if g.letter == "A")
    assert a.arrivals[T8] == pytest.approx((3 * 1 + 2 * 2 + 1 * 10) / 6)
    assert a.actual is not None and a.actual[T8] == 4 and a.actual[T830] == 2


def test_holdout_error_is_the_mean_absolute_error_per_half_hour() -> None:
    commune, _ = _history()
    f = forecast_day(commune=commune, day=dt.date(2026, 3, 16), today=dt.date(2026, 3, 13), weeks=4)
    # Held out (working days of the 2 weeks before 13/03 with tickets): 10/03 (no Tuesday history:
    # not scored), 09/03 and 02/03.
    # 09/03 from [02/03, 23/02, 09/02]: 8:00 → 17/6 vs 4; 8:30 → 0 vs 2.
    # 02/03 from [23/02, 09/02]: 8:00 → 14/3 vs 1.
    errors_a = abs(17 / 6 - 4) + 2 + abs(14 / 3 - 1)
    a = next(g for g in f.groups if g.letter == "A")
    slots = len(f.slots)
    assert a.mae == pytest.approx(errors_a / (2 * slots))
    assert f.mae == pytest.approx(errors_a / (2 * slots * 4))  # four groups, B–D exact (0)
    assert set(f.holdout_days) >= {dt.date(2026, 3, 9), dt.date(2026, 3, 2)}


def test_service_time_and_patience_from_finished_tickets() -> None:
    commune = make_commune()
    groups = make_service_groups(commune)
    b = groups["B"]
    day = dt.date(2026, 3, 9)
    issued = dt.datetime.combine(day, dt.time(8, 0), tzinfo=TZ)
    rows = [
        # state, wait until call (or until leaving), service
        (TicketState.DONE, 300, 600),
        (TicketState.DONE, 300, 900),
        (TicketState.DONE, 600, 1200),
        (TicketState.LEFT, 900, None),
        (TicketState.NO_SHOW, 300, None),
    ]
    for i, (state, wait, service) in enumerate(rows):
        called = issued + dt.timedelta(seconds=wait)
        Ticket.objects.create(
            commune=commune, group=b, queue_group=b, day=day, seq=i + 1, number=f"B{i + 1:03d}", state=state,
            issued_at=issued,
            called_at=None if state == TicketState.LEFT else called,
            finished_at=called + dt.timedelta(seconds=service or 0) if state != TicketState.LEFT else called,
        )  # fmt: skip
    f = forecast_day(commune=commune, day=dt.date(2026, 3, 16), today=dt.date(2026, 3, 13), weeks=4)
    g = next(x for x in f.groups if x.letter == "B")
    assert g.service_median_s == 900 and g.service_mean_s == pytest.approx(900)
    assert g.served == 3
    assert g.abandon_share == pytest.approx(2 / 5)
    # exposure 300 + 300 + 600 + 900 + 300 = 2400 s over 2 who gave up
    assert g.patience_s == pytest.approx(1200)


def test_exponential_patience_without_anyone_leaving_is_unknown() -> None:
    assert exponential_patience(exposure_s=[100.0, 200.0], gave_up=0) is None
    assert exponential_patience(exposure_s=[100.0, 200.0], gave_up=3) == pytest.approx(100)


def test_forecast_reads_with_few_queries(django_assert_max_num_queries: object) -> None:
    commune, _ = _history()
    with django_assert_max_num_queries(8):  # type: ignore[operator]
        forecast_day(commune=commune, day=dt.date(2026, 3, 16), today=dt.date(2026, 3, 13))


def test_slots_outside_office_hours_only_from_the_history() -> None:
    commune, groups = _history()
    _tickets(groups["A"], dt.date(2026, 3, 10), dt.time(18, 0), 3)  # a Tuesday: not this history
    _tickets(groups["A"], dt.date(2026, 3, 9), dt.time(17, 10), 4)  # a Monday of the history
    f = forecast_day(commune=commune, day=dt.date(2026, 3, 16), today=dt.date(2026, 3, 13), weeks=4)
    assert dt.time(18, 0) not in f.slots
    assert dt.time(17, 0) in f.slots and len(f.slots) == 16
    a = next(g for g in f.groups if g.letter == "A")
    assert a.arrivals[dt.time(17, 0)] == pytest.approx(4 * 4 / 10)
