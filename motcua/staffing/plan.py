"""The day's plan: which officer sits at which counter or works in which department, hour by hour,
and who is absent (issue 11 §2).

Every change goes through one entry point below and writes one `PlanChange` per officer touched,
with the officer's whole day before and after, the actor, the time (`now`, passed in), the reason
and the alert it answers (if any).

Rules, checked on every change:
- times within the day (DAY_START–DAY_END), start before end;
- the officer, the counter and the department belong to the plan's commune (and are active/open);
- one officer is in one place at a time (their slots never overlap);
- one counter is held by one officer at a time;
- days already past are not edited (the plan of a past day is the record of what was planned).

Concurrency: each change runs in one transaction that first locks, with SELECT … FOR UPDATE, the
rows of the officers concerned (the `User` rows, sorted by id) and then the counters concerned
(sorted by id), and only then reads the slots it checks. Two simultaneous changes of one
officer's day, or two bookings of one counter, therefore run one after the other, and the second
sees the first's slot and is refused (on PostgreSQL; SQLite serialises writers anyway). Locking
officers before counters, each in id order, keeps two changes from waiting on each other.

Who may change what (`may_edit`): the commune leader and the head of the one-stop department
(the SERVICE_CENTER department's head) change anything; another department head changes only
their own department's people's DEPARTMENT (at their department) and ABSENT slots.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from motcua.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from motcua.core.text import form_text
from motcua.geo.models import Commune
from motcua.org.models import Department, DepartmentKind, Role, User
from motcua.queueing.models import Counter

from .models import Alert, PlanChange, PlanSlot, SlotKind

DAY_START = dt.time(7, 0)
DAY_END = dt.time(17, 30)
NOTE_MAX = 300
REASON_MAX = 300


class Action:
    ADD = "ADD"
    CHANGE = "CHANGE"
    REMOVE = "REMOVE"
    ABSENT = "ABSENT"
    MOVE = "MOVE"
    COPY = "COPY"
    REPLACE = "REPLACE"


ACTION_LABELS = {
    Action.ADD: "Thêm ca",
    Action.CHANGE: "Sửa ca",
    Action.REMOVE: "Xóa ca",
    Action.ABSENT: "Báo vắng",
    Action.MOVE: "Điều động",
    Action.COPY: "Sao chép lịch",
    Action.REPLACE: "Áp dụng lịch đề xuất",
}

# Who sits somewhere and so appears on the plan.
PLANNED_ROLES = (Role.COUNTER_OFFICER, Role.SPECIALIST, Role.DEPARTMENT_HEAD)


@dataclass(frozen=True)
class SlotSpec:
    """One slot of a proposed plan (the advisor's): an officer at a counter for a stretch."""

    officer_id: int
    starts: dt.time
    ends: dt.time
    counter_id: int | None = None
    kind: str = SlotKind.COUNTER
    department_id: int | None = None
    note: str = ""


# ---- who may ---------------------------------------------------------------------------------


def _staff_of(user: Any) -> User:
    if not (isinstance(user, User) and user.is_authenticated and user.is_active and user.commune_id):
        raise NotAllowed("Lịch làm việc dành cho cán bộ của xã/phường.")
    return user


def heads_one_stop(user: User) -> bool:
    return (
        user.has_role(Role.DEPARTMENT_HEAD)
        and user.department is not None
        and user.department.kind == DepartmentKind.SERVICE_CENTER
    )


def edits_all(user: User) -> bool:
    """The commune leader and the head of the one-stop department change any slot."""
    return user.has_role(Role.COMMUNE_LEADER) or heads_one_stop(user)


def may_view_day(user: Any) -> bool:
    """The whole commune's day: the leader and the department heads."""
    return (
        isinstance(user, User)
        and user.is_authenticated
        and user.is_active
        and user.commune_id is not None
        and user.has_role(Role.COMMUNE_LEADER, Role.DEPARTMENT_HEAD)
    )


def may_edit_any(user: Any) -> bool:
    return may_view_day(user)


def may_edit(user: User, officer: User, kind: str, department_id: int | None) -> bool:
    """May `user` put `officer` into a slot of `kind` (at `department_id`)?"""
    if user.commune_id is None or officer.commune_id != user.commune_id:
        return False
    if edits_all(user):
        return True
    if not user.has_role(Role.DEPARTMENT_HEAD) or user.department_id is None:
        return False
    if officer.department_id != user.department_id:
        return False
    if kind == SlotKind.ABSENT:
        return True
    return kind == SlotKind.DEPARTMENT and department_id == user.department_id


def _require(user: User, officer: User, kind: str, department_id: int | None) -> None:
    if not may_edit(user, officer, kind, department_id):
        raise NotAllowed("Bạn không được thay đổi ca này của lịch làm việc.")


def _require_slot(user: User, slot: PlanSlot) -> None:
    _require(user, slot.officer, slot.kind, slot.department_id)


# ---- reads -----------------------------------------------------------------------------------


def local_date(now: dt.datetime) -> dt.date:
    return timezone.localtime(now).date()


def plan_of_day(*, commune: Commune, day: dt.date) -> list[PlanSlot]:
    """Every slot of the commune's day, by start, officer."""
    return list(
        PlanSlot.objects.filter(commune=commune, day=day)
        .select_related("officer", "counter", "department")
        .order_by("starts", "officer_id", "id")
    )


def who_is_where(*, commune: Commune, at: dt.datetime) -> dict[int, PlanSlot]:
    """Each planned officer's slot at the moment `at` (local time): officer id → slot."""
    local = timezone.localtime(at)
    moment = local.time().replace(tzinfo=None)
    slots = (
        PlanSlot.objects.filter(commune=commune, day=local.date(), starts__lte=moment, ends__gt=moment)
        .select_related("officer", "counter", "department")
        .order_by("starts", "id")
    )
    return {s.officer_id: s for s in slots}


def changes_of_day(*, commune: Commune, day: dt.date) -> QuerySet[PlanChange]:
    return PlanChange.objects.filter(commune=commune, day=day).select_related("officer", "by", "alert")


def planned_officers(commune: Commune) -> QuerySet[User]:
    return (
        User.objects.filter(commune=commune, is_active=True)
        .filter(Q(role__in=PLANNED_ROLES) | Q(plan_slots__commune=commune))
        .exclude(role__in=[Role.RESIDENT, Role.PROVINCE_OFFICER])
        .select_related("department")
        .distinct()
        .order_by("department__name", "full_name", "username")
    )


# ---- validation ------------------------------------------------------------------------------


def _fmt(t: dt.time) -> str:
    return f"{t:%H:%M}"


def slot_summary(slot: PlanSlot) -> dict[str, Any]:
    return {
        "id": slot.pk,
        "starts": _fmt(slot.starts),
        "ends": _fmt(slot.ends),
        "kind": slot.kind,
        "counter_id": slot.counter_id,
        "counter": slot.counter.number if slot.counter_id and slot.counter else None,
        "department_id": slot.department_id,
        "department": slot.department.name if slot.department_id and slot.department else None,
        "note": slot.note,
    }


def describe(summary: dict[str, Any]) -> str:
    """«07:30–11:30 Quầy 2» for a slot summary (the history's before/after)."""
    if summary["kind"] == SlotKind.COUNTER:
        where = f"Quầy {summary['counter']}"
    elif summary["kind"] == SlotKind.DEPARTMENT:
        where = summary["department"] or "Phòng"
    else:
        where = "Vắng"
    return f"{summary['starts']}–{summary['ends']} {where}"


def _check_times(starts: dt.time, ends: dt.time) -> None:
    if not isinstance(starts, dt.time) or not isinstance(ends, dt.time):
        raise ValidationFailed("Giờ bắt đầu và giờ kết thúc phải là giờ:phút.", code="bad_time")
    if starts >= ends:
        raise ValidationFailed("Giờ bắt đầu phải trước giờ kết thúc.", code="bad_time")
    if starts < DAY_START or ends > DAY_END:
        raise ValidationFailed(
            f"Ca làm việc phải nằm trong ngày, từ {_fmt(DAY_START)} đến {_fmt(DAY_END)}.", code="bad_time"
        )


def _check_day(day: dt.date, now: dt.datetime) -> None:
    if day < local_date(now):
        raise ValidationFailed("Không sửa lịch của ngày đã qua.", code="past_day")
    if (day - local_date(now)).days > 366:
        raise ValidationFailed("Chỉ lập lịch trong vòng một năm tới.", code="far_day")


def _check_place(
    commune: Commune, kind: str, counter: Counter | None, department: Department | None
) -> tuple[Counter | None, Department | None]:
    if kind not in SlotKind.values:
        raise ValidationFailed("Loại ca không hợp lệ.", code="bad_kind")
    if kind == SlotKind.COUNTER:
        if counter is None:
            raise ValidationFailed("Chưa chọn quầy.", code="required")
        if counter.commune_id != commune.pk or not counter.active:
            raise ValidationFailed("Quầy không thuộc trung tâm của xã/phường này.", code="bad_counter")
        return counter, None
    if kind == SlotKind.DEPARTMENT:
        if department is None:
            raise ValidationFailed("Chưa chọn phòng.", code="required")
        if department.commune_id != commune.pk or department.closed_at is not None:
            raise ValidationFailed("Phòng không thuộc xã/phường này.", code="bad_department")
        return None, department
    return None, None


def officer_gone(commune: Commune, officer: User) -> str:
    """Why `officer` can no longer be planned in `commune` («» when they still can): deactivated,
    moved to another commune, or no longer a staff member."""
    if not officer.is_active:
        return f"{officer.display_name} đã nghỉ (tài khoản bị khóa)"
    if officer.commune_id != commune.pk:
        return f"{officer.display_name} không còn thuộc xã/phường này"
    if officer.has_role(Role.RESIDENT, Role.PROVINCE_OFFICER):
        return f"{officer.display_name} không còn là cán bộ của xã/phường"
    return ""


def _check_officer(commune: Commune, officer: User) -> None:
    if officer_gone(commune, officer):
        raise ValidationFailed("Cán bộ không thuộc xã/phường này hoặc đã nghỉ.", code="bad_officer")


def _check_officer_locked(commune: Commune, officer_id: int) -> User:
    """The officer re-read after `_lock` (a deactivation or a move committed meanwhile counts)."""
    officer = User.objects.select_related("department").get(pk=officer_id)
    _check_officer(commune, officer)
    return officer


def _text(value: str, label: str, max_length: int) -> str:
    return form_text(value, label=label, max_length=max_length)


def _lock(officer_ids: Iterable[int], counter_ids: Iterable[int | None]) -> None:
    """Lock the officers' rows, then the counters', each in id order (see the module's note)."""
    officers = sorted({i for i in officer_ids})
    counters = sorted({i for i in counter_ids if i is not None})
    if officers:
        list(User.objects.select_for_update().filter(pk__in=officers).order_by("pk").values_list("pk"))
    if counters:
        list(Counter.objects.select_for_update().filter(pk__in=counters).order_by("pk").values_list("pk"))


def _day_of(commune: Commune, officer_id: int, day: dt.date) -> list[PlanSlot]:
    return list(
        PlanSlot.objects.filter(commune=commune, day=day, officer_id=officer_id)
        .select_related("counter", "department")
        .order_by("starts", "id")
    )


def _overlaps(a_start: dt.time, a_end: dt.time, b_start: dt.time, b_end: dt.time) -> bool:
    return a_start < b_end and b_start < a_end


def _check_officer_free(
    commune: Commune, officer: User, day: dt.date, starts: dt.time, ends: dt.time, exclude: int | None = None
) -> None:
    clash = PlanSlot.objects.filter(
        commune=commune, day=day, officer=officer, starts__lt=ends, ends__gt=starts
    )
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    first = clash.select_related("counter", "department").first()
    if first is not None:
        raise Conflict(
            f"{officer.display_name} đã có ca {describe(slot_summary(first))} trùng giờ.", code="officer_busy"
        )


def _check_counter_free(
    commune: Commune, counter: Counter | None, day: dt.date, starts: dt.time, ends: dt.time,
    exclude_officer: int | None = None, exclude: int | None = None,
) -> None:  # fmt: skip
    if counter is None:
        return
    clash = PlanSlot.objects.filter(
        commune=commune, day=day, counter=counter, kind=SlotKind.COUNTER, starts__lt=ends, ends__gt=starts
    )
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if exclude_officer is not None:
        clash = clash.exclude(officer_id=exclude_officer)
    # A slot of an officer deactivated or moved out since is a gap (see `day_grid`), not a holder.
    clash = clash.filter(officer__is_active=True, officer__commune=commune)
    first = clash.select_related("officer").first()
    if first is not None:
        raise Conflict(
            f"{counter} đã có {first.officer.display_name} ngồi từ {_fmt(first.starts)} đến {_fmt(first.ends)}.",
            code="counter_busy",
        )


def _record(
    *, commune: Commune, day: dt.date, officer: User, action: str, before: list[dict[str, Any]],
    actor: User, now: dt.datetime, reason: str, alert: Alert | None = None,
) -> PlanChange:  # fmt: skip
    after = [slot_summary(s) for s in _day_of(commune, officer.pk, day)]
    return PlanChange.objects.create(
        commune=commune, day=day, officer=officer, action=action, before=before, after=after,
        reason=reason, alert=alert, by=actor, at=now,
    )  # fmt: skip


def _commune_of(actor: User) -> Commune:
    assert actor.commune is not None
    return actor.commune


# ---- the changes -----------------------------------------------------------------------------


def plan_add(
    *, actor: User, officer: User, day: dt.date, starts: dt.time, ends: dt.time, kind: str,
    counter: Counter | None = None, department: Department | None = None, note: str = "",
    reason: str = "", now: dt.datetime,
) -> PlanSlot:  # fmt: skip
    """A new slot for an officer; refused when it overlaps one of theirs or the counter's."""
    actor = _staff_of(actor)
    commune = _commune_of(actor)
    note, reason = _text(note, "ghi chú", NOTE_MAX), _text(reason, "lý do", REASON_MAX)
    _check_day(day, now)
    _check_times(starts, ends)
    _check_officer(commune, officer)
    counter, department = _check_place(commune, kind, counter, department)
    _require(actor, officer, kind, department.pk if department else None)
    with transaction.atomic():
        _lock([officer.pk], [counter.pk if counter else None])
        officer = _check_officer_locked(commune, officer.pk)
        before = [slot_summary(s) for s in _day_of(commune, officer.pk, day)]
        _check_officer_free(commune, officer, day, starts, ends)
        _check_counter_free(commune, counter, day, starts, ends)
        slot = PlanSlot.objects.create(
            commune=commune, day=day, officer=officer, starts=starts, ends=ends, kind=kind,
            counter=counter, department=department, note=note, created_by=actor, created_at=now,
        )  # fmt: skip
        _record(commune=commune, day=day, officer=officer, action=Action.ADD, before=before,
                actor=actor, now=now, reason=reason)  # fmt: skip
    return slot


def slot_get_for(*, user: Any, pk: int) -> PlanSlot:
    """A slot of the user's commune that the user may see (leader, department heads)."""
    if not may_view_day(user):
        raise NotFound("Không tìm thấy ca làm việc.")
    slot = (
        PlanSlot.objects.select_related("officer", "counter", "department")
        .filter(pk=pk, commune_id=user.commune_id)
        .first()
    )
    if slot is None:
        raise NotFound("Không tìm thấy ca làm việc.")
    return slot


def plan_change(
    *, actor: User, slot: PlanSlot, starts: dt.time, ends: dt.time, kind: str,
    counter: Counter | None = None, department: Department | None = None, note: str = "",
    reason: str = "", now: dt.datetime,
) -> PlanSlot:  # fmt: skip
    """Change a slot's hours or place (same officer, same day)."""
    actor = _staff_of(actor)
    commune = _commune_of(actor)
    if slot.commune_id != commune.pk:
        raise NotFound("Không tìm thấy ca làm việc.")
    note, reason = _text(note, "ghi chú", NOTE_MAX), _text(reason, "lý do", REASON_MAX)
    _check_day(slot.day, now)
    _check_times(starts, ends)
    counter, department = _check_place(commune, kind, counter, department)
    _check_officer(commune, slot.officer)
    _require_slot(actor, slot)
    _require(actor, slot.officer, kind, department.pk if department else None)
    with transaction.atomic():
        _lock([slot.officer_id], [counter.pk if counter else None])
        fresh = _fresh_slot(commune, slot)
        officer = _check_officer_locked(commune, fresh.officer_id)
        # The checks again on the row as it is now that it is locked (another change may have
        # committed between the read above and the lock).
        _require(actor, officer, fresh.kind, fresh.department_id)
        _require(actor, officer, kind, department.pk if department else None)
        before = [slot_summary(s) for s in _day_of(commune, officer.pk, fresh.day)]
        _check_officer_free(commune, officer, fresh.day, starts, ends, exclude=fresh.pk)
        _check_counter_free(commune, counter, fresh.day, starts, ends, exclude=fresh.pk)
        fresh.starts, fresh.ends, fresh.kind = starts, ends, kind
        fresh.counter, fresh.department, fresh.note = counter, department, note
        fresh.save(update_fields=["starts", "ends", "kind", "counter", "department", "note"])
        _record(commune=commune, day=fresh.day, officer=officer, action=Action.CHANGE,
                before=before, actor=actor, now=now, reason=reason)  # fmt: skip
    return fresh


def _fresh_slot(commune: Commune, slot: PlanSlot) -> PlanSlot:
    """The slot re-read under the officer's lock; gone → Conflict."""
    fresh = (
        PlanSlot.objects.select_related("officer", "counter", "department")
        .filter(pk=slot.pk, commune=commune)
        .first()
    )
    if fresh is None:
        raise Conflict("Ca làm việc này vừa bị xóa.", code="gone")
    return fresh


def plan_remove(*, actor: User, slot: PlanSlot, reason: str = "", now: dt.datetime) -> None:
    actor = _staff_of(actor)
    commune = _commune_of(actor)
    if slot.commune_id != commune.pk:
        raise NotFound("Không tìm thấy ca làm việc.")
    reason = _text(reason, "lý do", REASON_MAX)
    _check_day(slot.day, now)
    _check_officer(commune, slot.officer)
    _require_slot(actor, slot)
    with transaction.atomic():
        _lock([slot.officer_id], [])
        fresh = _fresh_slot(commune, slot)
        officer = _check_officer_locked(commune, fresh.officer_id)
        _require(actor, officer, fresh.kind, fresh.department_id)
        before = [slot_summary(s) for s in _day_of(commune, officer.pk, fresh.day)]
        deleted, _ = PlanSlot.objects.filter(pk=fresh.pk).delete()
        if not deleted:
            raise Conflict("Ca làm việc này vừa bị xóa.", code="gone")
        _record(commune=commune, day=fresh.day, officer=officer, action=Action.REMOVE,
                before=before, actor=actor, now=now, reason=reason)  # fmt: skip


def _cut(commune: Commune, officer: User, day: dt.date, starts: dt.time, ends: dt.time, actor: User,
         now: dt.datetime, keep: Sequence[str] = ()) -> None:  # fmt: skip
    """Free [starts, ends) in the officer's day: shorten, split or delete their slots there
    (slots of a kind in `keep` stay; the caller then refuses the overlap)."""
    for s in _day_of(commune, officer.pk, day):
        if s.kind in keep or not _overlaps(s.starts, s.ends, starts, ends):
            continue
        if starts <= s.starts and s.ends <= ends:
            s.delete()
        elif s.starts < starts and ends < s.ends:
            PlanSlot.objects.create(
                commune=commune, day=day, officer=officer, starts=ends, ends=s.ends, kind=s.kind,
                counter=s.counter, department=s.department, note=s.note, created_by=actor, created_at=now,
            )  # fmt: skip
            s.ends = starts
            s.save(update_fields=["ends"])
        elif s.starts < starts:
            s.ends = starts
            s.save(update_fields=["ends"])
        else:
            s.starts = ends
            s.save(update_fields=["starts"])


def plan_move(
    *, actor: User, officer: User, day: dt.date, starts: dt.time, ends: dt.time,
    counter: Counter | None = None, department: Department | None = None, reason: str,
    now: dt.datetime, alert: Alert | None = None,
) -> PlanSlot:  # fmt: skip
    """Move an officer for a stretch to a counter (or a department): their slots in the stretch
    are cut or split, the new slot written, one PlanChange (linked to `alert`) recorded. Refused
    when the counter is held by someone else then, or the officer is absent then."""
    actor = _staff_of(actor)
    commune = _commune_of(actor)
    kind = SlotKind.COUNTER if counter is not None else SlotKind.DEPARTMENT
    if counter is not None and department is not None:
        raise ValidationFailed("Chọn một quầy hoặc một phòng, không phải cả hai.", code="bad_place")
    reason = _text(reason, "lý do", REASON_MAX)
    _check_day(day, now)
    _check_times(starts, ends)
    _check_officer(commune, officer)
    counter, department = _check_place(commune, kind, counter, department)
    _require(actor, officer, kind, department.pk if department else None)
    if alert is not None and alert.commune_id != commune.pk:
        raise NotFound("Không tìm thấy cảnh báo.")
    with transaction.atomic():
        _lock([officer.pk], [counter.pk if counter else None])
        officer = _check_officer_locked(commune, officer.pk)
        before = [slot_summary(s) for s in _day_of(commune, officer.pk, day)]
        absent = [
            s for s in _day_of(commune, officer.pk, day)
            if s.kind == SlotKind.ABSENT and _overlaps(s.starts, s.ends, starts, ends)
        ]  # fmt: skip
        if absent:
            raise Conflict(f"{officer.display_name} vắng trong khoảng giờ này.", code="officer_absent")
        for s in _day_of(commune, officer.pk, day):
            if _overlaps(s.starts, s.ends, starts, ends):
                _require(actor, officer, s.kind, s.department_id)
        _check_counter_free(commune, counter, day, starts, ends, exclude_officer=officer.pk)
        _cut(commune, officer, day, starts, ends, actor, now)
        slot = PlanSlot.objects.create(
            commune=commune, day=day, officer=officer, starts=starts, ends=ends, kind=kind,
            counter=counter, department=department, created_by=actor, created_at=now,
        )  # fmt: skip
        _record(commune=commune, day=day, officer=officer, action=Action.MOVE, before=before,
                actor=actor, now=now, reason=reason, alert=alert)  # fmt: skip
    return slot


def plan_mark_absent(
    *, actor: User, officer: User, day: dt.date, starts: dt.time | None = None,
    ends: dt.time | None = None, reason: str = "", now: dt.datetime,
) -> PlanSlot:  # fmt: skip
    """An officer absent for the whole day (no hours given) or a stretch: their slots there are
    cut or split, one ABSENT slot written."""
    actor = _staff_of(actor)
    commune = _commune_of(actor)
    starts = DAY_START if starts is None else starts
    ends = DAY_END if ends is None else ends
    reason = _text(reason, "lý do", REASON_MAX)
    _check_day(day, now)
    _check_times(starts, ends)
    _check_officer(commune, officer)
    _require(actor, officer, SlotKind.ABSENT, None)
    with transaction.atomic():
        _lock([officer.pk], [])
        officer = _check_officer_locked(commune, officer.pk)
        mine = _day_of(commune, officer.pk, day)
        before = [slot_summary(s) for s in mine]
        for s in mine:
            if s.kind != SlotKind.ABSENT and _overlaps(s.starts, s.ends, starts, ends):
                _require(actor, officer, s.kind, s.department_id)
        _cut(commune, officer, day, starts, ends, actor, now)
        slot = PlanSlot.objects.create(
            commune=commune, day=day, officer=officer, starts=starts, ends=ends, kind=SlotKind.ABSENT,
            note=reason, created_by=actor, created_at=now,
        )  # fmt: skip
        _record(commune=commune, day=day, officer=officer, action=Action.ABSENT, before=before,
                actor=actor, now=now, reason=reason)  # fmt: skip
    return slot


@dataclass
class CopyResult:
    copied: int
    skipped: int


def plan_copy(
    *, actor: User, day: dt.date, source: dt.date, reason: str = "", now: dt.datetime
) -> CopyResult:
    """Copy the plan of `source` (yesterday, the same weekday last week) to an empty `day`.
    Skipped: ABSENT slots (an absence is of one day, not a pattern), slots of officers no longer
    active in the commune, DEPARTMENT slots at a department that is no longer the officer's, and
    slots at counters/departments closed since."""
    actor = _staff_of(actor)
    if not edits_all(actor):
        raise NotAllowed("Chỉ lãnh đạo xã/phường và trưởng bộ phận một cửa sao chép cả lịch.")
    commune = _commune_of(actor)
    reason = _text(reason, "lý do", REASON_MAX)
    _check_day(day, now)
    if source == day:
        raise ValidationFailed("Ngày nguồn phải khác ngày cần lập lịch.", code="same_day")
    slots = plan_of_day(commune=commune, day=source)
    if not slots:
        raise ValidationFailed(f"Ngày {source:%d/%m/%Y} chưa có lịch để sao chép.", code="empty_source")
    officers = {s.officer_id: s.officer for s in slots}
    with transaction.atomic():
        _lock(officers, [s.counter_id for s in slots])
        if PlanSlot.objects.filter(commune=commune, day=day).exists():
            raise Conflict(
                f"Ngày {day:%d/%m/%Y} đã có lịch; hãy xóa hoặc sửa từng ca thay vì sao chép.",
                code="day_taken",
            )
        # The officers as they are now, under the lock.
        current = {u.pk: u for u in User.objects.filter(pk__in=list(officers))}
        copied = skipped = 0
        for s in slots:
            officer = current[s.officer_id]
            closed = (s.counter is not None and not s.counter.active) or (
                s.department is not None and s.department.closed_at is not None
            )
            moved = s.kind == SlotKind.DEPARTMENT and s.department_id != officer.department_id
            if s.kind == SlotKind.ABSENT or officer_gone(commune, officer) or closed or moved:
                skipped += 1
                continue
            PlanSlot.objects.create(
                commune=commune, day=day, officer_id=s.officer_id, starts=s.starts, ends=s.ends,
                kind=s.kind, counter_id=s.counter_id, department_id=s.department_id, note=s.note,
                created_by=actor, created_at=now,
            )  # fmt: skip
            copied += 1
        for officer in current.values():
            if PlanSlot.objects.filter(commune=commune, day=day, officer=officer).exists():
                _record(commune=commune, day=day, officer=officer, action=Action.COPY, before=[],
                        actor=actor, now=now, reason=reason or f"Sao chép từ ngày {source:%d/%m/%Y}")  # fmt: skip
    return CopyResult(copied, skipped)


def plan_replace_day(
    *, actor: User, commune: Commune, day: dt.date, slots: list[SlotSpec], reason: str, now: dt.datetime
) -> int:
    """Replace the day's COUNTER slots by a proposed plan (the advisor's), keeping ABSENT ones
    (and DEPARTMENT ones outside the proposed stretches). One PlanChange per officer whose day
    changed; returns how many officers changed. The whole plan is refused when one slot is not
    valid (overlap, a counter held twice, an officer absent then, another commune's)."""
    actor = _staff_of(actor)
    if actor.commune_id != commune.pk:
        raise NotFound("Không tìm thấy xã/phường.")
    if not edits_all(actor):
        raise NotAllowed("Chỉ lãnh đạo xã/phường và trưởng bộ phận một cửa áp dụng lịch đề xuất.")
    reason = _text(reason, "lý do", REASON_MAX)
    _check_day(day, now)
    officers = {u.pk: u for u in User.objects.filter(pk__in={s.officer_id for s in slots})}
    counters = {c.pk: c for c in Counter.objects.filter(pk__in={s.counter_id for s in slots if s.counter_id})}
    departments = {
        d.pk: d for d in Department.objects.filter(pk__in={s.department_id for s in slots if s.department_id})
    }
    for spec in slots:
        _check_times(spec.starts, spec.ends)
        officer = officers.get(spec.officer_id)
        if officer is None:
            raise ValidationFailed("Cán bộ không thuộc xã/phường này.", code="bad_officer")
        _check_officer(commune, officer)
        _check_place(
            commune, spec.kind, counters.get(spec.counter_id or 0), departments.get(spec.department_id or 0)
        )
    specs = sorted(slots, key=lambda s: (s.officer_id, s.starts))
    for a, b in pairwise(specs):
        if a.officer_id == b.officer_id and b.starts < a.ends:
            raise ValidationFailed(
                f"Lịch đề xuất xếp {officers[a.officer_id].display_name} hai nơi cùng lúc."
            )
    by_counter = sorted((s for s in slots if s.counter_id), key=lambda s: (s.counter_id, s.starts))
    for a, b in pairwise(by_counter):
        if a.counter_id == b.counter_id and b.starts < a.ends:
            raise ValidationFailed(f"Lịch đề xuất xếp hai người vào {counters[a.counter_id or 0]} cùng lúc.")
    existing_ids = set(PlanSlot.objects.filter(commune=commune, day=day).values_list("officer_id", flat=True))
    with transaction.atomic():
        _lock(
            existing_ids | set(officers), Counter.objects.filter(commune=commune).values_list("pk", flat=True)
        )
        officers = {pk: _check_officer_locked(commune, pk) for pk in officers}
        day_slots = plan_of_day(commune=commune, day=day)
        before: dict[int, list[dict[str, Any]]] = {}
        for s in day_slots:
            before.setdefault(s.officer_id, []).append(slot_summary(s))
        PlanSlot.objects.filter(commune=commune, day=day, kind=SlotKind.COUNTER).delete()
        for spec in slots:
            officer = officers[spec.officer_id]
            absent = PlanSlot.objects.filter(
                commune=commune, day=day, officer=officer, kind=SlotKind.ABSENT,
                starts__lt=spec.ends, ends__gt=spec.starts,
            )  # fmt: skip
            if absent.exists():
                raise Conflict(
                    f"{officer.display_name} vắng trong khoảng giờ được đề xuất.", code="officer_absent"
                )
            _cut(commune, officer, day, spec.starts, spec.ends, actor, now, keep=(SlotKind.ABSENT,))
            PlanSlot.objects.create(
                commune=commune, day=day, officer=officer, starts=spec.starts, ends=spec.ends, kind=spec.kind,
                counter=counters.get(spec.counter_id or 0), department=departments.get(spec.department_id or 0),
                note=form_text(spec.note, label="ghi chú", max_length=NOTE_MAX), created_by=actor, created_at=now,
            )  # fmt: skip
        changed = 0
        for officer_id in sorted(set(before) | set(officers)):
            officer = officers.get(officer_id) or User.objects.get(pk=officer_id)
            after = [slot_summary(s) for s in _day_of(commune, officer_id, day)]
            if [_strip(x) for x in after] == [_strip(x) for x in before.get(officer_id, [])]:
                continue
            PlanChange.objects.create(
                commune=commune, day=day, officer=officer, action=Action.REPLACE,
                before=before.get(officer_id, []), after=after, reason=reason, by=actor, at=now,
            )  # fmt: skip
            changed += 1
    return changed


def _strip(summary: dict[str, Any]) -> tuple[Any, ...]:
    return (
        summary["starts"],
        summary["ends"],
        summary["kind"],
        summary["counter_id"],
        summary["department_id"],
    )


# ---- the day's grid ----------------------------------------------------------------------------

COLUMN_MINUTES = 30


def columns() -> list[dt.time]:
    """The grid's half hours: 07:00, 07:30 … 17:00 (the last one ends at DAY_END)."""
    out, minute = [], DAY_START.hour * 60 + DAY_START.minute
    end = DAY_END.hour * 60 + DAY_END.minute
    while minute < end:
        out.append(dt.time(minute // 60, minute % 60))
        minute += COLUMN_MINUTES
    return out


def _column_end(start: dt.time) -> dt.time:
    minute = start.hour * 60 + start.minute + COLUMN_MINUTES
    return dt.time(minute // 60, minute % 60)


@dataclass
class Cell:
    slot: PlanSlot | None
    label: str = ""
    css: str = "free"
    reason: str = ""


@dataclass
class OfficerRow:
    officer: User
    cells: list[Cell]
    slots: list[PlanSlot]


@dataclass
class CounterRow:
    counter: Counter
    cells: list[Cell]
    gaps: int


@dataclass
class Mismatch:
    counter: Counter
    planned: User | None
    seated: User | None


@dataclass
class DayGrid:
    day: dt.date
    columns: list[dt.time]
    officers: list[OfficerRow]
    counters: list[CounterRow]
    now_column: int | None
    mismatches: list[Mismatch]

    @property
    def gap_count(self) -> int:
        return sum(r.gaps for r in self.counters)

    @property
    def gone_notes(self) -> list[str]:
        """«Quầy 2: Nguyễn A đã nghỉ …», once per counter and reason (the «gap-gone» cells)."""
        out: list[str] = []
        for r in self.counters:
            for cell in r.cells:
                note = f"{r.counter}: {cell.reason}" if cell.reason else ""
                if note and note not in out:
                    out.append(note)
        return out


def _label(slot: PlanSlot) -> tuple[str, str]:
    if slot.kind == SlotKind.COUNTER:
        return f"Q{slot.counter.number if slot.counter else ''}", "counter"
    if slot.kind == SlotKind.DEPARTMENT:
        return "Phòng", "department"
    return "Vắng", "absent"


def _counter_open(hours: list[tuple[dt.time, dt.time]], start: dt.time, end: dt.time) -> bool:
    """A counter with no hours serves its groups all day; with hours, only within them."""
    return not hours or any(_overlaps(a, b, start, end) for a, b in hours)


def day_grid(*, commune: Commune, day: dt.date, now: dt.datetime) -> DayGrid:
    """Officers × half hours, the counters' coverage and gaps, «now» and, today, where the plan
    and the counters' current officer disagree. A fixed number of queries.

    A COUNTER slot of an officer deactivated or moved out of the commune since it was planned is
    a gap (css «gap-gone», with the reason): nobody will sit there. Deactivating an officer does
    not delete their future slots (that would be `org.services`' business); the grid shows the
    hole instead, the counter is free to be booked again (`_check_counter_free` ignores such
    slots) and no change is accepted for the gone officer."""
    cols = columns()
    slots = plan_of_day(commune=commune, day=day)
    by_officer: dict[int, list[PlanSlot]] = {}
    for s in slots:
        by_officer.setdefault(s.officer_id, []).append(s)
    people = list(planned_officers(commune))
    known = {o.pk for o in people}
    for s in slots:
        if s.officer_id not in known:
            known.add(s.officer_id)
            people.append(s.officer)
    rows = []
    for officer in people:
        mine = by_officer.get(officer.pk, [])
        cells = []
        for c in cols:
            hit = next((s for s in mine if _overlaps(s.starts, s.ends, c, _column_end(c))), None)
            label, css = _label(hit) if hit else ("", "free")
            cells.append(Cell(hit, label, css))
        rows.append(OfficerRow(officer, cells, mine))
    counters = list(
        Counter.objects.filter(commune=commune, active=True)
        .select_related("officer")
        .prefetch_related("hours")
    )
    counter_rows = []
    for counter in counters:
        hours = [(h.starts, h.ends) for h in counter.hours.all()]
        held = [s for s in slots if s.kind == SlotKind.COUNTER and s.counter_id == counter.pk]
        cells, gaps = [], 0
        for c in cols:
            hit = next((s for s in held if _overlaps(s.starts, s.ends, c, _column_end(c))), None)
            gone = officer_gone(commune, hit.officer) if hit is not None else ""
            if hit is not None and gone:
                cells.append(Cell(hit, "Trống", "gap-gone", gone))
                gaps += 1
            elif hit is not None:
                cells.append(Cell(hit, hit.officer.display_name, "staffed"))
            elif _counter_open(hours, c, _column_end(c)):
                cells.append(Cell(None, "Trống", "gap"))
                gaps += 1
            else:
                cells.append(Cell(None, "", "closed"))
        counter_rows.append(CounterRow(counter, cells, gaps))
    local = timezone.localtime(now)
    now_column, mismatches = None, []
    if local.date() == day:
        moment = local.time().replace(tzinfo=None)
        now_column = next((i for i, c in enumerate(cols) if c <= moment < _column_end(c)), None)
        for counter in counters:
            planned = next(
                (
                    s.officer
                    for s in slots
                    if s.kind == SlotKind.COUNTER
                    and s.counter_id == counter.pk
                    and s.starts <= moment < s.ends
                ),
                None,
            )
            if (planned.pk if planned else None) != counter.officer_id:
                mismatches.append(Mismatch(counter, planned, counter.officer))
    return DayGrid(day, cols, rows, counter_rows, now_column, mismatches)


def my_day(*, user: Any, day: dt.date) -> list[PlanSlot]:
    """«Lịch của tôi»: the user's own slots of the day (any staff member of a commune)."""
    user = _staff_of(user)
    return list(
        PlanSlot.objects.filter(commune_id=user.commune_id, day=day, officer=user)
        .select_related("counter", "department")
        .order_by("starts")
    )
