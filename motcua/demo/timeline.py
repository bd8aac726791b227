"""Office time for the demo: when, on the ward's working calendar, each step happens.

Steps fall inside office hours (07:30–11:30, 13:30–16:30, with a little overrun to 17:00 as
desks do), on working days only, strictly after the previous step, and always before `cutoff`
(the start of `today`): a demo must never show something that has not happened yet.
"""

from __future__ import annotations

import datetime as dt
import random

from motcua.calendar.workdays import WorkCalendar

_MORNING = (7 * 60 + 30, 11 * 60 + 30)
_AFTERNOON = (13 * 60 + 30, 16 * 60 + 30)
_CLOSE = 17 * 60


def _minutes(t: dt.datetime) -> int:
    return t.hour * 60 + t.minute


class Timeline:
    def __init__(self, *, rng: random.Random, calendar: WorkCalendar, today: dt.date, days: int = 30):
        self.rng = rng
        self.cal = calendar
        self.tz = calendar.tz
        self.today = today
        self.days: list[dt.date] = []  # the last `days` working days before today, newest first
        day = today
        while len(self.days) < days:
            day -= dt.timedelta(days=1)
            if calendar.is_working_day(day):
                self.days.append(day)

    def day_ago(self, n: int) -> dt.date:
        """The n-th working day before today (1 = the last one)."""
        return self.days[min(max(n, 1), len(self.days)) - 1]

    def at(self, day: dt.date, minutes: int) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=self.tz)

    def office_time(
        self,
        day: dt.date,
        *,
        after: dt.datetime | None = None,
        earliest: int = 0,
        latest: int = _AFTERNOON[1],
    ) -> dt.datetime:
        """A random office-hours moment of `day`, after `after` when that is the same day."""
        lo = earliest
        if after is not None and after.astimezone(self.tz).date() == day:
            lo = max(lo, _minutes(after.astimezone(self.tz)) + 2)
        spans = [(max(a, lo), min(b, latest)) for a, b in (_MORNING, _AFTERNOON)]
        spans = [(a, b) for a, b in spans if a <= b]
        if not spans:
            if after is None:
                raise ValueError("no office time left on that day")
            return after + dt.timedelta(minutes=self.rng.randint(2, 8))
        total = sum(b - a + 1 for a, b in spans)
        pick = self.rng.randrange(total)
        for a, b in spans:
            if pick <= b - a:
                return self.at(day, a + pick)
            pick -= b - a + 1
        raise AssertionError("unreachable")

    def soon(self, t: dt.datetime, lo: int, hi: int) -> dt.datetime:
        """`lo`–`hi` minutes later; over lunch it waits for the afternoon, after closing time
        it is the next working morning."""
        local = t.astimezone(self.tz)
        later = local + dt.timedelta(minutes=self.rng.randint(lo, hi))
        m = _minutes(later)
        if later.date() == local.date() and m < _CLOSE:
            if _MORNING[1] < m < _AFTERNOON[0]:
                later += dt.timedelta(minutes=_AFTERNOON[0] - _MORNING[1])
            return later
        return self.morning(self.cal.next_working_day(local.date()))

    def morning(self, day: dt.date) -> dt.datetime:
        return self.at(day, _MORNING[0] + self.rng.randint(0, 75))

    def days_later(self, t: dt.datetime, n: int) -> dt.datetime:
        """Office time on the n-th working day after `t`'s day (n = 0: later the same day)."""
        local = t.astimezone(self.tz)
        return self.office_time(self.cal.add_working_days(local.date(), n), after=local)

    def working_days_between(self, a: dt.datetime, b: dt.datetime) -> int:
        return self.cal.working_days_between(a.astimezone(self.tz).date(), b.astimezone(self.tz).date())

    def desk_pickup(self, t: dt.datetime) -> dt.datetime:
        """When the desk opens an online submission made at `t`."""
        local = t.astimezone(self.tz)
        if self.cal.is_working_day(local.date()) and _minutes(local) < 15 * 60:
            return self.soon(local, 20, 150)
        return self.morning(self.cal.next_working_day(local.date()))

    def transfer(self, t: dt.datetime) -> dt.datetime:
        """Paper originals go to the department the same day, the next morning after 15:00."""
        local = t.astimezone(self.tz)
        if _minutes(local) >= 15 * 60:
            return self.morning(self.cal.next_working_day(local.date()))
        return self.soon(local, 5, 75)

    def any_time(self, day: dt.date) -> dt.datetime:
        """Online submissions come at any hour, evenings included."""
        return self.at(day, self.rng.randint(6 * 60, 22 * 60 + 30))
