"""On PostgreSQL: two leaders booking at the same moment — the same officer twice, or one counter
for two officers — keep one slot; the other is refused (409), never two overlapping slots.

The services lock the officers' rows and then the counters' (SELECT … FOR UPDATE, in id order)
before reading the slots they check, so the second transaction waits for the first and then sees
its slot."""

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from zoneinfo import ZoneInfo

import pytest
from django.db import connections

from motcua.core.errors import Conflict
from motcua.org.models import DepartmentKind, Role, User
from motcua.queueing.models import Counter
from motcua.staffing import plan as P
from motcua.staffing.models import PlanSlot, SlotKind
from motcua.testing import make_commune, make_counter, make_service_groups, make_staff, make_user

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = dt.datetime(2026, 3, 10, 7, 0, tzinfo=TZ)
ROUNDS = 4


def _race(jobs):
    barrier = threading.Barrier(len(jobs))

    def work(job) -> str:
        officer_pk, counter_pk, day = job
        try:
            leader = User.objects.get(username="chutich")
            officer, counter = User.objects.get(pk=officer_pk), Counter.objects.get(pk=counter_pk)
            barrier.wait(timeout=30)
            P.plan_add(actor=leader, officer=officer, day=day, starts=dt.time(8), ends=dt.time(10),
                       kind=SlotKind.COUNTER, counter=counter, now=NOW)  # fmt: skip
            return "ok"
        except Conflict as exc:
            return exc.code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return sorted(pool.map(work, jobs))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_bookings_of_one_officer_keep_one():
    commune = make_commune()
    make_service_groups(commune)
    staff = make_staff(commune)
    c1, c2 = make_counter(commune, 1, "A"), make_counter(commune, 2, "A")
    for round_ in range(ROUNDS):
        day = dt.date(2026, 3, 11 + round_)
        outcomes = _race([(staff["counter"].pk, c1.pk, day), (staff["counter"].pk, c2.pk, day)])
        assert outcomes == ["officer_busy", "ok"]
        assert PlanSlot.objects.filter(day=day).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_bookings_of_one_counter_keep_one():
    commune = make_commune()
    make_service_groups(commune)
    make_staff(commune)
    a = make_user(commune, Role.COUNTER_OFFICER, "motcua_a", DepartmentKind.SERVICE_CENTER)
    b = make_user(commune, Role.COUNTER_OFFICER, "motcua_b", DepartmentKind.SERVICE_CENTER)
    c1 = make_counter(commune, 1, "A")
    for round_ in range(ROUNDS):
        day = dt.date(2026, 3, 11 + round_)
        outcomes = _race([(a.pk, c1.pk, day), (b.pk, c1.pk, day)])
        assert outcomes == ["counter_busy", "ok"]
        assert PlanSlot.objects.filter(day=day).count() == 1
