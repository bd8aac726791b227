"""Properties of the working-day arithmetic over random dates and province calendars."""

import datetime as dt
from zoneinfo import ZoneInfo

import holidays
from hypothesis import given, settings
from hypothesis import strategies as st

from motcua.calendar.workdays import WorkCalendar, due_at

VN = ZoneInfo("Asia/Ho_Chi_Minh")
FIRST, LAST = dt.date(2024, 1, 1), dt.date(2030, 12, 31)

# No example database on disk: these examples are cheap to find again, and runs stay repeatable.
fast = settings(max_examples=60, deadline=None, database=None)

dates = st.dates(min_value=FIRST, max_value=LAST)
counts = st.integers(min_value=0, max_value=45)
units = st.sampled_from(["ON_THE_SPOT", "SAME_DAY", "HOURS", "WORKING_DAYS"])
moments = st.datetimes(
    min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2030, 12, 1), timezones=st.just(VN)
)


@st.composite
def calendars(draw):
    days_off = draw(st.frozensets(dates, max_size=15))
    work_days = draw(st.frozensets(dates, max_size=15)) - days_off
    return WorkCalendar.build(days_off=days_off, work_days=work_days)


def national_weekend_work_days(day: dt.date) -> set[dt.date]:
    return set(holidays.country_holidays("VN", years=day.year).weekend_workdays)


@fast
@given(calendars(), dates, st.integers(min_value=1, max_value=45))
def test_result_is_a_later_working_day(cal, day, n):
    result = cal.add_working_days(day, n)
    assert result > day
    assert cal.is_working_day(result)


@fast
@given(calendars(), dates, counts)
def test_strictly_monotonic_in_n(cal, day, n):
    assert cal.add_working_days(day, n) < cal.add_working_days(day, n + 1)


@fast
@given(calendars(), dates, counts)
def test_no_working_day_is_skipped(cal, day, n):
    assert cal.add_working_days(day, n + 1) == cal.next_working_day(cal.add_working_days(day, n))


@fast
@given(calendars(), dates, counts)
def test_counting_inverts_adding(cal, day, n):
    assert cal.working_days_between(day, cal.add_working_days(day, n)) == n


@fast
@given(calendars(), dates, st.integers(min_value=1, max_value=45))
def test_weekend_only_when_declared_a_make_up_day(cal, day, n):
    result = cal.add_working_days(day, n)
    if result.weekday() >= 5:
        assert result in cal.extra_work_days | national_weekend_work_days(result)


@fast
@given(calendars(), dates, st.integers(min_value=1, max_value=45))
def test_never_on_a_public_holiday_or_province_day_off(cal, day, n):
    result = cal.add_working_days(day, n)
    assert result not in cal.extra_days_off
    if result not in cal.extra_work_days:
        assert result not in holidays.country_holidays("VN", years=result.year)


@fast
@given(calendars(), moments, units, counts, st.sampled_from([VN, dt.UTC]))
def test_due_is_never_before_receipt(cal, received_at, unit, value, zone):
    assert (
        due_at(received_at=received_at.astimezone(zone), unit=unit, value=value, calendar=cal) >= received_at
    )


@fast
@given(calendars(), moments, units, counts)
def test_same_instant_in_any_zone_gives_the_same_deadline(cal, received_at, unit, value):
    local = due_at(received_at=received_at, unit=unit, value=value, calendar=cal)
    utc = due_at(received_at=received_at.astimezone(dt.UTC), unit=unit, value=value, calendar=cal)
    assert local == utc


@fast
@given(calendars(), moments, st.sampled_from(["ON_THE_SPOT", "SAME_DAY", "WORKING_DAYS"]), counts)
def test_day_deadlines_fall_at_closing_time_of_a_working_day(cal, received_at, unit, value):
    due = due_at(received_at=received_at, unit=unit, value=value, calendar=cal)
    assert due.astimezone(VN).time() == cal.closing_time
    assert cal.is_working_day(due.astimezone(VN).date())


@fast
@given(calendars(), moments, st.integers(min_value=1, max_value=40))
def test_hours_end_inside_office_hours_of_a_working_day(cal, start, hours):
    end = cal.add_working_hours(start, hours)
    assert end > start
    assert cal.is_working_day(end.date())
    assert any(opens < end.time() <= closes for opens, closes in cal.office_windows)


@fast
@given(calendars(), moments, st.integers(min_value=0, max_value=40))
def test_one_more_hour_is_one_more_working_hour(cal, start, hours):
    earlier = cal.add_working_hours(start, hours)
    later = cal.add_working_hours(start, hours + 1)
    assert later > earlier
    # Adding the hour from the earlier deadline is the same as adding it from the start.
    assert cal.add_working_hours(earlier, 1) == later
