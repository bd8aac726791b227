"""The demo ward's day plans (issue 11 §2): today's and the last two weeks' working days.

The counter officers motcua1–motcua10 at quầy 1–10 as the demo's queue day has them (quầy 10
only for the morning peak, ward.QUEUE_HOURS; its officer works at the one-stop department in the
afternoon), the departments' people at their departments, 07:30–11:30 and 13:30–17:00; today one
specialist is absent. Idempotent per day: a day that already has a plan gets nothing.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from motcua.calendar.selectors import calendar_for_province
from motcua.geo.models import Commune
from motcua.org.models import Role, User
from motcua.queueing.models import Counter
from motcua.staffing.models import PlanSlot, SlotKind

from . import ward as W

DAYS_BACK = 14
MORNING = (dt.time(7, 30), dt.time(11, 30))
AFTERNOON = (dt.time(13, 30), dt.time(17, 0))
ABSENT_TODAY = "vhxh2"


def _slots_of_day(commune: Commune, day: dt.date, today: dt.date, now: dt.datetime) -> list[PlanSlot]:
    counters = {c.number: c for c in Counter.objects.filter(commune=commune, active=True)}
    people = {
        u.username: u
        for u in User.objects.filter(commune=commune, is_active=True).select_related("department")
    }
    peak = {number: (dt.time(*a), dt.time(*b)) for number, _group, a, b in W.QUEUE_HOURS}
    out: list[PlanSlot] = []

    def slot(officer: User, hours: tuple[dt.time, dt.time], kind: str, **place: object) -> None:
        out.append(PlanSlot(commune=commune, day=day, officer=officer, starts=hours[0], ends=hours[1],
                            kind=kind, created_at=now, **place))  # fmt: skip

    for number, _letters in W.QUEUE_COUNTERS:
        officer, counter = people.get(f"motcua{number}"), counters.get(number)
        if officer is None or counter is None:
            continue
        if number in peak:
            slot(officer, peak[number], SlotKind.COUNTER, counter=counter)
            if officer.department is not None:
                slot(officer, AFTERNOON, SlotKind.DEPARTMENT, department=officer.department)
            continue
        for hours in (MORNING, AFTERNOON):
            slot(officer, hours, SlotKind.COUNTER, counter=counter)
    for member in W.STAFF:
        officer = people.get(member.username)
        if (
            officer is None
            or officer.department is None
            or member.role not in (Role.SPECIALIST, Role.DEPARTMENT_HEAD)
        ):
            continue
        if day == today and member.username == ABSENT_TODAY:
            slot(officer, (dt.time(7, 0), dt.time(17, 30)), SlotKind.ABSENT)
            out[-1].note = "Nghỉ phép"
            continue
        for hours in (MORNING, AFTERNOON):
            slot(officer, hours, SlotKind.DEPARTMENT, department=officer.department)
    return out


def plan_load(*, now: dt.datetime) -> int:
    """Write the plans of today and the last DAYS_BACK days (working days only); returns how
    many days were written."""
    commune = Commune.objects.filter(code=W.COMMUNE_CODE).first()
    if commune is None:
        return 0
    calendar = calendar_for_province(commune.province_id)
    today = timezone.localtime(now).date()
    written = 0
    for back in range(DAYS_BACK, -1, -1):
        day = today - dt.timedelta(days=back)
        if not calendar.is_working_day(day) or PlanSlot.objects.filter(commune=commune, day=day).exists():
            continue
        PlanSlot.objects.bulk_create(_slots_of_day(commune, day, today, now))
        written += 1
    return written
