"""Working-day arithmetic on the Vietnamese calendar. Pure: no clock, no database.

A working day is Monday–Friday, not a public holiday (PyPI `holidays` knows the lunar dates:
Tết, Hùng Kings' day, and the substitute days off it has been told of, together with the
Saturdays worked in exchange for them), not a day off the province added, or any day the
government or province declared a make-up working day.

Deadlines (Decree 61/2018, art. 21; Decree 118/2025):
- WORKING_DAYS n: the end of office hours on the n-th working day after the day of receipt;
- SAME_DAY: the end of the day of receipt, or of the next working day when the dossier was
  received after the cut-off (15:00);
- ON_THE_SPOT: the end of the day of receipt (it is solved while the resident waits);
- HOURS n: n working hours counted inside office hours from the moment of receipt.

A dossier that arrives on a day off or after closing time (online, by post) counts as received
on the next working day (Decree 45/2020): otherwise the count would start on a day nobody works
and the resident would be promised a deadline the office cannot meet, or one already past.

Times are compared on the Vietnamese wall clock: the database hands back UTC datetimes, and
03:00 UTC is 10:00 in Hà Nội, which matters for the 15:00 cut-off and for the day of receipt.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

ONE_DAY = dt.timedelta(days=1)
VIETNAM_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class _NationalYear:
    days_off: frozenset[dt.date]
    weekend_work_days: frozenset[dt.date]


@lru_cache(maxsize=64)
def _national_year(year: int) -> _NationalYear:
    calendar = holidays.country_holidays("VN", years=year)
    # `weekend_workdays` also holds make-up Saturdays of other years the library keeps at
    # class level; only this year's belong in this year's cache entry.
    return _NationalYear(
        days_off=frozenset(calendar.keys()),
        weekend_work_days=frozenset(d for d in calendar.weekend_workdays if d.year == year),
    )


@dataclass(frozen=True)
class WorkCalendar:
    """A province's calendar: the national one plus its own days off and make-up days."""

    extra_days_off: frozenset[dt.date] = field(default_factory=frozenset)
    extra_work_days: frozenset[dt.date] = field(default_factory=frozenset)
    office_windows: tuple[tuple[dt.time, dt.time], ...] = (
        (dt.time(7, 30), dt.time(11, 30)),
        (dt.time(13, 30), dt.time(17, 0)),
    )
    same_day_cutoff: dt.time = dt.time(15, 0)
    tz: dt.tzinfo = VIETNAM_TZ

    def __post_init__(self) -> None:
        both = self.extra_days_off & self.extra_work_days
        if both:
            # The caller must decide which declaration wins (see selectors.calendar_for_province);
            # guessing here would silently move deadlines.
            raise ValueError(f"dates both off and working: {sorted(both)}")

    @classmethod
    def build(cls, days_off: Iterable[dt.date] = (), work_days: Iterable[dt.date] = ()) -> WorkCalendar:
        return cls(extra_days_off=frozenset(days_off), extra_work_days=frozenset(work_days))

    @property
    def closing_time(self) -> dt.time:
        return self.office_windows[-1][1]

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.extra_work_days:
            return True
        if day in self.extra_days_off:
            return False
        national = _national_year(day.year)
        if day.weekday() >= 5:
            return day in national.weekend_work_days
        return day not in national.days_off

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day strictly after `day`."""
        day += ONE_DAY
        while not self.is_working_day(day):
            day += ONE_DAY
        return day

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        """The n-th working day after `day` (n ≥ 0; n = 0 gives `day` itself)."""
        if n < 0:
            raise ValueError("n must be ≥ 0")
        for _ in range(n):
            day = self.next_working_day(day)
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]: how many the clock advanced from start to end."""
        count = 0
        day = start
        while day < end:
            day += ONE_DAY
            if self.is_working_day(day):
                count += 1
        return count

    def end_of_day(self, day: dt.date, tz: dt.tzinfo) -> dt.datetime:
        return dt.datetime.combine(day, self.closing_time, tzinfo=tz)

    def add_working_hours(self, start: dt.datetime, hours: int) -> dt.datetime:
        """`hours` working hours after `start`, counted only inside office windows."""
        if hours < 0:
            raise ValueError("hours must be ≥ 0")
        remaining = dt.timedelta(hours=hours)
        tz = start.tzinfo
        day = start.date()
        cursor = start
        while True:
            if self.is_working_day(day):
                for opens, closes in self.office_windows:
                    w_start = dt.datetime.combine(day, opens, tzinfo=tz)
                    w_end = dt.datetime.combine(day, closes, tzinfo=tz)
                    begin = max(cursor, w_start)
                    if begin >= w_end:
                        continue
                    available = w_end - begin
                    if available >= remaining:
                        return begin + remaining
                    remaining -= available
            day += ONE_DAY
            cursor = dt.datetime.combine(day, dt.time(0, 0), tzinfo=tz)

    def receipt_day(self, received_at: dt.datetime) -> dt.date:
        """The working day a dossier counts as received on (`received_at` on the local clock)."""
        day = received_at.date()
        if not self.is_working_day(day) or received_at.time() >= self.closing_time:
            return self.next_working_day(day)
        return day


def due_at(*, received_at: dt.datetime, unit: str, value: int | None, calendar: WorkCalendar) -> dt.datetime:
    """The statutory deadline of a dossier received at `received_at` (any aware datetime).

    The result is on the calendar's local clock.
    """
    if received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    local = received_at.astimezone(calendar.tz)
    tz = calendar.tz
    if unit == "ON_THE_SPOT":
        return calendar.end_of_day(calendar.receipt_day(local), tz)
    if unit == "SAME_DAY":
        day = local.date()
        if local.time() >= calendar.same_day_cutoff or not calendar.is_working_day(day):
            day = calendar.next_working_day(day)
        return calendar.end_of_day(day, tz)
    if unit not in ("WORKING_DAYS", "HOURS"):
        raise ValueError(f"unknown time unit {unit!r}")
    if value is None or value < 0:
        raise ValueError(f"{unit} needs a count ≥ 0, got {value!r}")
    if unit == "WORKING_DAYS":
        return calendar.end_of_day(calendar.add_working_days(calendar.receipt_day(local), value), tz)
    return calendar.add_working_hours(local, value)
