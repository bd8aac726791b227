import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError

from motcua.calendar.models import CalendarDay
from motcua.calendar.selectors import calendar_for_province
from motcua.calendar.workdays import due_at
from motcua.geo.models import Province

VN = ZoneInfo("Asia/Ho_Chi_Minh")
SATURDAY = dt.date(2026, 3, 14)
WEDNESDAY = dt.date(2026, 3, 11)

pytestmark = pytest.mark.django_db


@pytest.fixture
def hanoi():
    return Province.objects.create(code=1, name="Thành phố Hà Nội", codename="ha_noi")


@pytest.fixture
def hue():
    return Province.objects.create(code=46, name="Thành phố Huế", codename="hue")


def add(province, date, kind, name="ngày đặc biệt"):
    return CalendarDay.objects.create(province=province, date=date, kind=kind, name=name)


def test_province_day_off_applies_to_that_province_only(hanoi, hue):
    add(hanoi, WEDNESDAY, CalendarDay.Kind.DAY_OFF)
    assert not calendar_for_province(hanoi.pk).is_working_day(WEDNESDAY)
    assert calendar_for_province(hue.pk).is_working_day(WEDNESDAY)
    assert calendar_for_province(None).is_working_day(WEDNESDAY)


def test_national_row_applies_to_every_province(hanoi):
    add(None, WEDNESDAY, CalendarDay.Kind.DAY_OFF)
    assert not calendar_for_province(hanoi.pk).is_working_day(WEDNESDAY)
    assert not calendar_for_province(None).is_working_day(WEDNESDAY)


def test_province_make_up_saturday_counts_in_deadlines(hanoi, hue):
    add(hanoi, SATURDAY, CalendarDay.Kind.WORK_DAY)
    received = dt.datetime(2026, 3, 13, 9, tzinfo=VN)

    def due(province_id):
        cal = calendar_for_province(province_id)
        return due_at(received_at=received, unit="WORKING_DAYS", value=1, calendar=cal)

    assert due(hanoi.pk) == dt.datetime(2026, 3, 14, 17, tzinfo=VN)
    assert due(hue.pk) == dt.datetime(2026, 3, 16, 17, tzinfo=VN)


def test_province_day_off_wins_over_national_make_up_day(hanoi, hue):
    add(None, SATURDAY, CalendarDay.Kind.WORK_DAY, "làm bù toàn quốc")
    add(hanoi, SATURDAY, CalendarDay.Kind.DAY_OFF, "nghỉ do bão")
    assert not calendar_for_province(hanoi.pk).is_working_day(SATURDAY)
    assert calendar_for_province(hue.pk).is_working_day(SATURDAY)


def test_province_make_up_day_wins_over_national_day_off(hanoi, hue):
    add(hanoi, WEDNESDAY, CalendarDay.Kind.WORK_DAY, "làm bù")
    add(None, WEDNESDAY, CalendarDay.Kind.DAY_OFF, "nghỉ bù toàn quốc")
    assert calendar_for_province(hanoi.pk).is_working_day(WEDNESDAY)
    assert not calendar_for_province(hue.pk).is_working_day(WEDNESDAY)


def test_one_national_row_per_date():
    add(None, WEDNESDAY, CalendarDay.Kind.DAY_OFF)
    with pytest.raises(IntegrityError):
        add(None, WEDNESDAY, CalendarDay.Kind.WORK_DAY)
