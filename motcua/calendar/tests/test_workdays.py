import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from motcua.calendar.workdays import WorkCalendar, due_at

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NATIONAL = WorkCalendar()


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=VN)


def due(received_at: dt.datetime, unit: str, value: int | None = None, cal: WorkCalendar = NATIONAL):
    return due_at(received_at=received_at, unit=unit, value=value, calendar=cal)


class TestNationalCalendar:
    @pytest.mark.parametrize("day", range(16, 21))
    def test_tet_2026_weekdays_are_days_off(self, day):
        assert not NATIONAL.is_working_day(dt.date(2026, 2, day))

    def test_ordinary_weekday_around_tet_is_working(self):
        assert NATIONAL.is_working_day(dt.date(2026, 2, 13))
        assert NATIONAL.is_working_day(dt.date(2026, 2, 23))

    def test_weekend_is_off(self):
        assert not NATIONAL.is_working_day(dt.date(2026, 3, 7))
        assert not NATIONAL.is_working_day(dt.date(2026, 3, 8))

    @pytest.mark.parametrize(
        "day",
        [
            dt.date(2026, 1, 1),  # New Year
            dt.date(2026, 4, 27),  # Hùng Kings' day (lunar 10/3) fell on a Sunday
            dt.date(2026, 4, 30),
            dt.date(2026, 5, 1),
            dt.date(2026, 9, 1),
            dt.date(2026, 9, 2),
        ],
    )
    def test_public_holidays_are_off(self, day):
        assert not NATIONAL.is_working_day(day)

    def test_saturday_worked_in_exchange_for_a_substitute_day_off_is_working(self):
        # 31/08/2026 is a day off given in exchange for working Saturday 22/08/2026.
        assert not NATIONAL.is_working_day(dt.date(2026, 8, 31))
        assert NATIONAL.is_working_day(dt.date(2026, 8, 22))
        assert NATIONAL.next_working_day(dt.date(2026, 8, 21)) == dt.date(2026, 8, 22)


class TestWorkingDays:
    def test_legal_example_twenty_days_skip_tet(self):
        assert due(at(2026, 2, 10, 9), "WORKING_DAYS", 20) == at(2026, 3, 17, 17)

    def test_add_and_count_are_inverse_on_the_legal_example(self):
        assert NATIONAL.add_working_days(dt.date(2026, 2, 10), 20) == dt.date(2026, 3, 17)
        assert NATIONAL.working_days_between(dt.date(2026, 2, 10), dt.date(2026, 3, 17)) == 20

    def test_counting_starts_the_day_after_receipt(self):
        assert due(at(2026, 3, 10, 9), "WORKING_DAYS", 1) == at(2026, 3, 11, 17)

    def test_received_on_a_saturday_counts_from_monday(self):
        # Received online Sat 07/03: deemed received Mon 09/03, day 1 is Tue 10/03.
        assert due(at(2026, 3, 7, 10), "WORKING_DAYS", 1) == at(2026, 3, 10, 17)

    def test_received_after_closing_counts_from_the_next_working_day(self):
        assert due(at(2026, 3, 10, 20), "WORKING_DAYS", 1) == at(2026, 3, 12, 17)

    def test_utc_input_is_read_on_the_vietnamese_clock(self):
        # 23:00 UTC on Monday 09/03 is already 06:00 Tuesday 10/03 in Hà Nội.
        received = dt.datetime(2026, 3, 9, 23, 0, tzinfo=dt.UTC)
        assert due(received, "WORKING_DAYS", 1) == at(2026, 3, 11, 17)

    @pytest.mark.parametrize("value", [None, -1])
    def test_missing_or_negative_count_is_refused(self, value):
        with pytest.raises(ValueError, match="WORKING_DAYS"):
            due(at(2026, 3, 10, 9), "WORKING_DAYS", value)

    def test_negative_add_is_refused(self):
        with pytest.raises(ValueError):
            NATIONAL.add_working_days(dt.date(2026, 3, 10), -1)


class TestSameDay:
    def test_before_cutoff_is_due_the_same_evening(self):
        assert due(at(2026, 4, 24, 14, 59), "SAME_DAY") == at(2026, 4, 24, 17)

    def test_after_cutoff_skips_weekend_and_holiday(self):
        # Friday 24/04 after 15:00 → Sat, Sun, Mon 27/04 (Hùng Kings, observed) → Tue 28/04.
        assert due(at(2026, 4, 24, 15, 1), "SAME_DAY") == at(2026, 4, 28, 17)

    def test_after_cutoff_on_a_utc_clock(self):
        # 08:30 UTC is 15:30 in Hà Nội: after the cut-off although 08:30 is before it.
        received = dt.datetime(2026, 3, 10, 8, 30, tzinfo=dt.UTC)
        assert due(received, "SAME_DAY") == at(2026, 3, 11, 17)

    def test_received_on_a_holiday(self):
        assert due(at(2026, 2, 17, 9), "SAME_DAY") == at(2026, 2, 23, 17)


class TestOnTheSpot:
    def test_due_at_closing_time_of_the_day(self):
        assert due(at(2026, 2, 10, 9), "ON_THE_SPOT") == at(2026, 2, 10, 17)

    def test_after_closing_is_due_the_next_working_day(self):
        assert due(at(2026, 2, 10, 18), "ON_THE_SPOT") == at(2026, 2, 11, 17)

    def test_received_during_tet_is_due_after_tet(self):
        assert due(at(2026, 2, 14, 9), "ON_THE_SPOT") == at(2026, 2, 23, 17)


class TestHours:
    def test_across_the_lunch_break(self):
        # 10:30–11:30 is one hour, 13:30–16:30 the other three.
        assert due(at(2026, 2, 10, 10, 30), "HOURS", 4) == at(2026, 2, 10, 16, 30)

    def test_overnight(self):
        assert due(at(2026, 2, 10, 16), "HOURS", 4) == at(2026, 2, 11, 10, 30)

    def test_overnight_across_weekend_and_tet(self):
        assert due(at(2026, 2, 13, 16), "HOURS", 2) == at(2026, 2, 23, 8, 30)

    def test_received_before_opening_counts_from_opening(self):
        assert due(at(2026, 2, 10, 6), "HOURS", 1) == at(2026, 2, 10, 8, 30)

    def test_negative_hours_are_refused(self):
        with pytest.raises(ValueError):
            NATIONAL.add_working_hours(at(2026, 2, 10, 9), -1)


class TestInput:
    def test_naive_datetime_is_refused(self):
        with pytest.raises(ValueError, match="aware"):
            due(dt.datetime(2026, 2, 10, 9), "ON_THE_SPOT")

    def test_unknown_unit_is_refused(self):
        with pytest.raises(ValueError, match="unknown"):
            due(at(2026, 2, 10, 9), "WEEKS", 2)


class TestProvinceDays:
    def test_extra_day_off(self):
        cal = WorkCalendar.build(days_off=[dt.date(2026, 3, 11)])
        assert not cal.is_working_day(dt.date(2026, 3, 11))
        assert cal.add_working_days(dt.date(2026, 3, 10), 1) == dt.date(2026, 3, 12)

    def test_make_up_saturday_counts(self):
        cal = WorkCalendar.build(work_days=[dt.date(2026, 3, 14)])
        assert cal.is_working_day(dt.date(2026, 3, 14))
        assert due(at(2026, 3, 13, 9), "WORKING_DAYS", 1, cal) == at(2026, 3, 14, 17)

    def test_make_up_day_overrides_a_public_holiday(self):
        cal = WorkCalendar.build(work_days=[dt.date(2026, 2, 20)])
        assert cal.is_working_day(dt.date(2026, 2, 20))

    def test_day_off_overrides_the_national_make_up_saturday(self):
        cal = WorkCalendar.build(days_off=[dt.date(2026, 8, 22)])
        assert not cal.is_working_day(dt.date(2026, 8, 22))

    def test_a_date_both_off_and_working_is_refused(self):
        with pytest.raises(ValueError, match="both"):
            WorkCalendar.build(days_off=[dt.date(2026, 3, 14)], work_days=[dt.date(2026, 3, 14)])
