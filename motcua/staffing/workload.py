"""Workload per person and per department, per day and per week (issue 11 §3).

The numbers are the officers' numbers of issue 10 (`quality.officers.officers_numbers`: tickets
served, average service time, dossiers received, handled, average processing time in working
hours, backlog and overdue now — read their definitions there), plus what the day's plan adds:
**planned counter hours** (the officer's COUNTER slots in the period) and **tickets per planned
hour** (tickets served ÷ planned counter hours, when there are planned hours).

Per department: the sums of its people's rows (averages over all their tickets/dossiers); its
backlog and overdue now are the department's own open dossiers (`Dossier.department`), overdue
by `quality.dashboard.overdue_now_q`.

Per day or per week (a period of at most MAX_DAYS days): tickets served, dossiers received,
dossiers finished and planned counter hours of the people in scope.

**Finished** («Đã giải quyết xong») has ONE definition on this page, in the person, department
and day/week tables and the workbook alike: dossiers whose `finished_at` falls in the period and
whose assignee (the officer who handled it to its end) is the person — whenever they were
received. (Issue 10's `OfficerNumbers.finished` counts the dossiers *received* in the period and
finished by its end; it is not used here, so the three tables add up to the same total.) The
average processing time stays issue 10's (the handled dossiers received in the period).

Who sees what: the commune leader, everyone of the commune; a department head, their
department's people; any other officer only their own row (`cua-toi/`).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F
from django.db.models.functions import Coalesce
from django.utils import timezone
from openpyxl import Workbook

from motcua.core.errors import NotAllowed, ValidationFailed
from motcua.core.excel import append_text_row
from motcua.dossiers.models import Dossier
from motcua.dossiers.selectors import BACKLOG_STATES
from motcua.geo.models import Commune
from motcua.org.models import Department, Role, User
from motcua.quality.dashboard import overdue_now_q
from motcua.quality.index766 import period
from motcua.quality.officers import (
    OfficerNumbers,
    officer_self,
    officers_led_by,
    officers_numbers,
    parse_period,
)
from motcua.queueing.models import EventKind, TicketEvent

from .models import PlanSlot, SlotKind
from .setup import parse_pk

MAX_DAYS = 92
GRAINS = {"ngay": "Theo ngày", "tuan": "Theo tuần"}


def workload_period(raw_from: str | None, raw_to: str | None, *, today: dt.date) -> tuple[dt.date, dt.date]:
    """`?tu=` / `?den=` as the officers' pages read them, at most MAX_DAYS days."""
    start, end = parse_period(raw_from, raw_to, today=today)
    if (end - start).days + 1 > MAX_DAYS:
        raise ValidationFailed(
            f"Khoảng thời gian dài nhất là {MAX_DAYS} ngày; hãy chọn khoảng ngắn hơn.", code="bad_period"
        )
    return start, end


def people_for(user: Any) -> list[User]:
    """Whose rows the user sees on the whole page: the leader, the commune's staff; a department
    head, their department's. Anybody else: NotAllowed (they have «cua-toi/»)."""
    officer_self(user)
    if not user.has_role(Role.COMMUNE_LEADER, Role.DEPARTMENT_HEAD):
        raise NotAllowed("Khối lượng công việc của cả xã/phường dành cho lãnh đạo và trưởng phòng.")
    return list(officers_led_by(user))


def _minutes(a: dt.time, b: dt.time) -> int:
    return (b.hour * 60 + b.minute) - (a.hour * 60 + a.minute)


@dataclass
class PersonRow:
    numbers: OfficerNumbers
    planned_hours: float = 0.0
    finished: int = 0  # finished in the period as assignee (see the module's note)

    @property
    def officer(self) -> User:
        return self.numbers.officer

    @property
    def tickets_per_hour(self) -> float | None:
        return self.numbers.tickets_served / self.planned_hours if self.planned_hours else None


@dataclass
class DepartmentRow:
    name: str
    people: int = 0
    tickets_served: int = 0
    service_count: int = 0
    service_seconds_total: float = 0.0
    received: int = 0
    handled: int = 0
    finished: int = 0
    processing_hours: list[float] = field(default_factory=list, repr=False)
    backlog: int = 0
    overdue: int = 0
    planned_hours: float = 0.0

    @property
    def avg_service_minutes(self) -> float | None:
        return self.service_seconds_total / self.service_count / 60 if self.service_count else None

    @property
    def avg_processing_hours(self) -> float | None:
        return sum(self.processing_hours) / len(self.processing_hours) if self.processing_hours else None

    @property
    def tickets_per_hour(self) -> float | None:
        return self.tickets_served / self.planned_hours if self.planned_hours else None


@dataclass
class Bucket:
    start: dt.date
    label: str
    tickets_served: int = 0
    received: int = 0
    finished: int = 0
    planned_hours: float = 0.0

    @property
    def tickets_per_hour(self) -> float | None:
        return self.tickets_served / self.planned_hours if self.planned_hours else None


@dataclass
class Workload:
    start: dt.date
    end: dt.date
    grain: str
    people: list[PersonRow]
    departments: list[DepartmentRow]
    buckets: list[Bucket]


def _bucket_start(day: dt.date, grain: str) -> dt.date:
    return day - dt.timedelta(days=day.weekday()) if grain == "tuan" else day


def _buckets(start: dt.date, end: dt.date, grain: str) -> dict[dt.date, Bucket]:
    out: dict[dt.date, Bucket] = {}
    day = start
    while day <= end:
        key = _bucket_start(day, grain)
        if key not in out:
            label = f"Tuần từ {key:%d/%m}" if grain == "tuan" else f"{day:%d/%m}"
            out[key] = Bucket(key, label)
        day += dt.timedelta(days=1)
    return out


def workload_compute(
    *, commune: Commune, people: Sequence[User], start: dt.date, end: dt.date, grain: str, now: dt.datetime,
    with_departments: bool = True,
) -> Workload:  # fmt: skip
    """Every number of the page for `people` over [start, end]; a fixed number of queries."""
    grain = grain if grain in GRAINS else "ngay"
    ids = [p.pk for p in people]
    since, until = period(start, end)
    numbers = officers_numbers(commune=commune, officers=people, start=start, end=end, now=now)
    rows = {n.officer.pk: PersonRow(n) for n in numbers}
    buckets = _buckets(start, end, grain)

    slots = PlanSlot.objects.filter(
        commune=commune, officer_id__in=ids, kind=SlotKind.COUNTER, day__gte=start, day__lte=end
    ).values_list("officer_id", "day", "starts", "ends")
    for officer_id, day, starts, ends in slots:
        hours = _minutes(starts, ends) / 60
        rows[officer_id].planned_hours += hours
        buckets[_bucket_start(day, grain)].planned_hours += hours

    tz = timezone.get_current_timezone()
    served = TicketEvent.objects.filter(
        ticket__commune=commune, kind=EventKind.FINISHED, officer_id__in=ids, at__gte=since, at__lt=until
    ).values_list("at", flat=True)
    for at in served:
        if at is not None:
            buckets[_bucket_start(at.astimezone(tz).date(), grain)].tickets_served += 1
    dossiers = Dossier.objects.filter(commune=commune)
    for received_at in dossiers.filter(
        received_by_id__in=ids, first_received_at__gte=since, first_received_at__lt=until
    ).values_list("first_received_at", flat=True):
        if received_at is not None:
            buckets[_bucket_start(received_at.astimezone(tz).date(), grain)].received += 1
    for assignee_id, finished_at in dossiers.filter(
        assignee_id__in=ids, finished_at__gte=since, finished_at__lt=until
    ).values_list("assignee_id", "finished_at"):
        if finished_at is not None and assignee_id is not None:
            rows[assignee_id].finished += 1
            buckets[_bucket_start(finished_at.astimezone(tz).date(), grain)].finished += 1

    departments: list[DepartmentRow] = []
    if with_departments:
        by_dept: dict[int | None, DepartmentRow] = {}
        for row in rows.values():
            o = row.officer
            d = by_dept.setdefault(
                o.department_id, DepartmentRow(o.department.name if o.department else "Chưa thuộc phòng nào")
            )
            n = row.numbers
            d.people += 1
            d.tickets_served += n.tickets_served
            d.service_count += n.service_count
            d.service_seconds_total += n.service_seconds_total
            d.received += n.received
            d.handled += n.handled
            d.finished += row.finished
            d.processing_hours += n.processing_hours
            d.planned_hours += row.planned_hours
        dept_ids = [k for k in by_dept if k is not None]
        open_now = (
            dossiers.filter(department_id__in=dept_ids, state__in=BACKLOG_STATES, finished_at__isnull=True)
            .annotate(eff_due=Coalesce(F("extended_due_at"), F("due_at")))
            .values("department_id")
            .annotate(total=Count("id"), late=Count("id", filter=overdue_now_q(now)))
        )
        for r in open_now:
            by_dept[r["department_id"]].backlog = r["total"]
            by_dept[r["department_id"]].overdue = r["late"]
        departments = sorted(by_dept.values(), key=lambda d: d.name)
    return Workload(start, end, grain, list(rows.values()), departments, list(buckets.values()))


# ---- the workbook -----------------------------------------------------------------------------


def _r(value: float | None, digits: int = 1) -> float | str:
    return "" if value is None else round(value, digits)


PEOPLE_HEADER = [
    "Cán bộ", "Phòng", "Lượt phục vụ tại quầy", "Phục vụ trung bình (phút)", "Hồ sơ tiếp nhận",
    "Hồ sơ được giao xử lý", "Đã giải quyết xong", "Xử lý trung bình (giờ làm việc)", "Đang giải quyết",
    "Quá hạn", "Giờ ngồi quầy theo lịch", "Lượt mỗi giờ ngồi quầy",
]  # fmt: skip
DEPARTMENT_HEADER = [
    "Phòng", "Số người", "Lượt phục vụ tại quầy", "Phục vụ trung bình (phút)", "Hồ sơ tiếp nhận",
    "Hồ sơ được giao xử lý", "Đã giải quyết xong", "Xử lý trung bình (giờ làm việc)",
    "Hồ sơ đang giải quyết của phòng", "Quá hạn", "Giờ ngồi quầy theo lịch", "Lượt mỗi giờ ngồi quầy",
]  # fmt: skip
BUCKET_HEADER = ["Kỳ", "Lượt phục vụ tại quầy", "Hồ sơ tiếp nhận", "Hồ sơ giải quyết xong",
                 "Giờ ngồi quầy theo lịch", "Lượt mỗi giờ ngồi quầy"]  # fmt: skip


def person_cells(p: PersonRow) -> list[Any]:
    n = p.numbers
    return [
        p.officer.display_name, p.officer.department.name if p.officer.department else "", n.tickets_served,
        _r(n.avg_service_minutes), n.received, n.handled, p.finished, _r(n.avg_processing_hours), n.backlog,
        n.overdue, _r(p.planned_hours), _r(p.tickets_per_hour, 2),
    ]  # fmt: skip


def department_cells(d: DepartmentRow) -> list[Any]:
    return [
        d.name, d.people, d.tickets_served, _r(d.avg_service_minutes), d.received, d.handled, d.finished,
        _r(d.avg_processing_hours), d.backlog, d.overdue, _r(d.planned_hours), _r(d.tickets_per_hour, 2),
    ]  # fmt: skip


def bucket_cells(b: Bucket) -> list[Any]:
    return [b.label, b.tickets_served, b.received, b.finished, _r(b.planned_hours), _r(b.tickets_per_hour, 2)]


def workload_xlsx(*, commune: Commune, workload: Workload) -> bytes:
    """The page's tables as a workbook: text and number cells only, never a formula."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Cán bộ"
    title = f"Khối lượng công việc — {commune.name} — {workload.start:%d/%m/%Y}–{workload.end:%d/%m/%Y}"
    append_text_row(ws, [title])
    append_text_row(ws, PEOPLE_HEADER)
    for p in workload.people:
        append_text_row(ws, person_cells(p))
    if workload.departments:
        wd = wb.create_sheet("Phòng")
        append_text_row(wd, DEPARTMENT_HEADER)
        for d in workload.departments:
            append_text_row(wd, department_cells(d))
    wt = wb.create_sheet(GRAINS[workload.grain])
    append_text_row(wt, BUCKET_HEADER)
    for b in workload.buckets:
        append_text_row(wt, bucket_cells(b))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def department_filter(people: list[User], raw: str) -> list[User]:
    """`?phong=<id>`: the people of one department among those the user sees (unknown: all)."""
    pk = parse_pk(raw)  # ASCII digits only: «²».isdigit() is true and int("²") fails
    if pk is not None:
        return [p for p in people if p.department_id == pk]
    return people


def departments_of(people: list[User]) -> list[Department]:
    seen: dict[int, Department] = {}
    for p in people:
        if p.department is not None:
            seen.setdefault(p.department.pk, p.department)
    return sorted(seen.values(), key=lambda d: d.name)
