"""The demo's plans (issue 11 §2): today and the last two weeks' working days, counter officers at
their counters, department people at their departments, one absent today; a second load adds
nothing; the workload then has planned hours."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from motcua.demo import ward as W
from motcua.demo.staffing_plan import plan_load
from motcua.org.models import DepartmentKind, Role
from motcua.staffing import plan as P
from motcua.staffing.models import PlanSlot, SlotKind
from motcua.testing import make_commune, make_counter, make_service_groups, make_user

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = dt.datetime(2026, 6, 10, 9, 45, tzinfo=TZ)  # a Wednesday


def test_today_and_two_weeks_of_plans_once():
    commune = make_commune()
    assert commune.code == W.COMMUNE_CODE
    make_service_groups(commune)
    for number, letters in W.QUEUE_COUNTERS:
        make_counter(commune, number, letters)
        make_user(commune, Role.COUNTER_OFFICER, f"motcua{number}", DepartmentKind.SERVICE_CENTER)
    make_user(commune, Role.SPECIALIST, "diachinh1", DepartmentKind.ECONOMIC)
    make_user(commune, Role.SPECIALIST, "vhxh2", DepartmentKind.CULTURE_SOCIAL)
    make_user(commune, Role.COMMUNE_LEADER, "chutich")

    assert plan_load(now=NOW) == 11  # 27/05 … 10/06: 11 working days (weekends left out)
    assert plan_load(now=NOW) == 0
    assert not PlanSlot.objects.filter(day=dt.date(2026, 6, 6)).exists()  # a Saturday

    today = {(s.officer.username, s.starts, s.kind, s.counter.number if s.counter else None)
             for s in P.plan_of_day(commune=commune, day=NOW.date())}  # fmt: skip
    assert ("motcua3", dt.time(7, 30), SlotKind.COUNTER, 3) in today
    assert ("motcua3", dt.time(13, 30), SlotKind.COUNTER, 3) in today
    assert ("motcua10", dt.time(8, 0), SlotKind.COUNTER, 10) in today
    assert ("motcua10", dt.time(13, 30), SlotKind.DEPARTMENT, None) in today
    assert ("diachinh1", dt.time(7, 30), SlotKind.DEPARTMENT, None) in today
    assert ("vhxh2", dt.time(7, 0), SlotKind.ABSENT, None) in today
    yesterday = {
        (s.officer.username, s.kind) for s in P.plan_of_day(commune=commune, day=dt.date(2026, 6, 9))
    }
    assert ("vhxh2", SlotKind.DEPARTMENT) in yesterday
    # every counter staffed through its hours today: no gap between 08:00 and 11:30
    grid = P.day_grid(commune=commune, day=NOW.date(), now=NOW)
    morning = [i for i, c in enumerate(grid.columns) if dt.time(8, 0) <= c < dt.time(11, 30)]
    assert all(row.cells[i].css == "staffed" for row in grid.counters for i in morning)
