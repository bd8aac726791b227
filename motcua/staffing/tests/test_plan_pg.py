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


NUL, LONG = "Nguyễn\x00Văn", "ă" * 10_000


@pytest.mark.postgres
@pytest.mark.django_db
def test_nul_and_over_long_values_in_every_field_are_a_message_not_a_500(client):
    from motcua.core import clock

    commune = make_commune()
    make_service_groups(commune)
    staff = make_staff(commune)
    counter = make_counter(commune, 1, "A")
    with clock.pinned(NOW):
        slot = P.plan_add(actor=staff["leader"], officer=staff["counter"], day=NOW.date(), starts=dt.time(8),
                          ends=dt.time(9), kind=SlotKind.COUNTER, counter=counter, now=NOW)  # fmt: skip
        client.force_login(staff["leader"])
        good = {"officer": staff["counter"].pk, "kind": "COUNTER", "counter": counter.pk, "department": "",
                "starts": "13:00", "ends": "14:00", "note": "", "reason": "", "whole_day": "", "source": "hom-qua"}  # fmt: skip
        day = NOW.date().isoformat()
        targets = [f"/nhan-su/lich/{day}/{a}/" for a in ("them", "vang", "sao-chep")]
        targets += [f"/nhan-su/lich/ca/{slot.pk}/", f"/nhan-su/lich/ca/{slot.pk}/xoa/"]
        for url in targets:
            for name in good:
                for bad in (NUL, LONG):
                    response = client.post(url, {**good, name: bad})
                    assert response.status_code < 500, (url, name)
                    assert response.status_code in (200, 302, 403, 404, 409, 422), (url, name)
        for page in ("/nhan-su/cong-viec/", "/nhan-su/cong-viec/cua-toi/", "/nhan-su/cong-viec/xuat-excel/",
                     "/nhan-su/lich/cua-toi/"):  # fmt: skip
            for name in ("tu", "den", "theo", "phong", "ngay", "cua-toi"):
                for bad in (NUL, LONG):
                    assert client.get(page, {name: bad}).status_code < 500, (page, name)
    assert not PlanSlot.objects.exclude(note="").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_removal_waiting_for_the_lock_is_judged_on_the_slot_as_committed_meanwhile():
    """A department head removes their specialist's DEPARTMENT slot while the leader, holding the
    officer's lock, makes it a COUNTER slot. The head's call waits for the lock, then reads the slot
    again and is refused (a department head may not remove a counter slot); the slot stays."""
    import time

    from django.db import transaction

    from motcua.core.errors import NotAllowed
    from motcua.org.models import Department

    commune = make_commune()
    make_service_groups(commune)
    staff = make_staff(commune)
    c1 = make_counter(commune, 1, "A")
    econ = Department.objects.get(commune=commune, kind=DepartmentKind.ECONOMIC)
    officer = staff["specialist_econ"]
    slot = P.plan_add(actor=staff["leader"], officer=officer, day=NOW.date(), starts=dt.time(8),
                      ends=dt.time(10), kind=SlotKind.DEPARTMENT, department=econ, now=NOW)  # fmt: skip
    locked = threading.Event()

    def leader() -> str:
        try:
            with transaction.atomic():
                list(User.objects.select_for_update().filter(pk=officer.pk).values_list("pk"))
                PlanSlot.objects.filter(pk=slot.pk).update(kind=SlotKind.COUNTER, counter=c1, department=None)
                locked.set()
                time.sleep(1.0)  # the head's call is now waiting for the officer's lock
            return "ok"
        finally:
            connections.close_all()

    def head() -> str:
        try:
            stale = PlanSlot.objects.select_related("officer", "department").get(pk=slot.pk)
            assert stale.kind == SlotKind.DEPARTMENT
            locked.wait(timeout=30)
            P.plan_remove(actor=User.objects.get(pk=staff["head_econ"].pk), slot=stale, now=NOW)
            return "removed"
        except NotAllowed:
            return "refused"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        a, b = pool.submit(leader), pool.submit(head)
        assert (a.result(timeout=60), b.result(timeout=60)) == ("ok", "refused")
    assert PlanSlot.objects.get(pk=slot.pk).kind == SlotKind.COUNTER
