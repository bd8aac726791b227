"""The demo's office clock: pure, no database."""

from __future__ import annotations

import datetime as dt
import random

from hypothesis import given
from hypothesis import strategies as st

from motcua.calendar.workdays import VIETNAM_TZ, WorkCalendar
from motcua.demo.timeline import Timeline

CAL = WorkCalendar.build()


def _timeline(today: dt.date, seed: int = 0) -> Timeline:
    return Timeline(rng=random.Random(seed), calendar=CAL, today=today)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=VIETNAM_TZ)


def test_the_30_working_days_skip_tet():
    tl = _timeline(dt.date(2026, 3, 2))
    assert len(tl.days) == 30
    assert all(CAL.is_working_day(d) for d in tl.days)
    assert tl.day_ago(1) == dt.date(2026, 2, 27)
    assert dt.date(2026, 2, 17) not in tl.days  # Tết Bính Ngọ


def test_paper_goes_to_the_department_next_morning_after_15h():
    tl = _timeline(dt.date(2026, 3, 18))
    friday = dt.date(2026, 3, 13)
    moved = tl.transfer(_at(friday, 15, 20))
    assert moved.date() == dt.date(2026, 3, 16) and moved.time() < dt.time(9, 0)
    same_day = tl.transfer(_at(friday, 9, 0))
    assert same_day.date() == friday and same_day > _at(friday, 9, 0)


def test_soon_waits_out_the_lunch_break():
    tl = _timeline(dt.date(2026, 3, 18))
    for seed in range(50):
        tl.rng.seed(seed)
        later = tl.soon(_at(dt.date(2026, 3, 16), 11, 25), 10, 60)
        assert not (dt.time(11, 30) < later.time() < dt.time(13, 30))


@given(
    st.dates(min_value=dt.date(2025, 7, 1), max_value=dt.date(2027, 12, 31)),
    st.integers(min_value=0, max_value=5),
    st.integers(min_value=7 * 60 + 30, max_value=17 * 60),
    st.integers(min_value=0, max_value=10_000),
)
def test_steps_move_forward_on_working_days(today, n, minutes, seed):
    tl = _timeline(today, seed)
    start = _at(tl.day_ago(10), minutes // 60, minutes % 60)
    for step in (tl.days_later(start, n), tl.soon(start, 5, 90), tl.transfer(start), tl.desk_pickup(start)):
        assert step > start
        assert CAL.is_working_day(step.date())
        assert step.time() <= dt.time(17, 15)
