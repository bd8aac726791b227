"""Live imbalance alerts (issue 11 §5): a queue group's line or a department's backlog beyond its
target while someone with the skill is idle or serving a short line; the leader moves them, or
dismisses the alert; an alert whose line has gone down clears itself.

Detection (`alerts_detect`) runs when the leader's alerts page or an officer's alert fragment is
read (both poll every ~20 s) and from `motcua staffing tick` (a timer or cron). It is never run from
the queue's hot paths — taking a number, calling the next one — on purpose: those run inside
short row-locked transactions on every click at the counter and from every phone; detection reads
every group's line, every counter's last call and the commune's skills (a dozen queries), which
would slow each of them and serialise the hall on the alert's unique row. A line that builds over
minutes is seen soon enough 20 s later.

One OPEN alert per group and per department (partial unique constraints): a second detector
running at the same time (two leaders' pages, the timer) hits the constraint, and its
IntegrityError is caught: the alert the other one wrote is used.

State changes go through `alert_apply`, one transition function like dossiers/workflow.py:
OPEN → ACTED («move»: the leader or the service center's head moves a named helper), OPEN →
DISMISSED («dismiss», with a reason), OPEN → CLEARED («clear», the system only). Every change
records closed_by / closed_at / action_note; a move also changes the day's plan (PlanChange linked
to the alert) and, for a helper at a counter, lets their counter serve the group for the next
MOTCUA_STAFFING_ALERT_MOVE_MINUTES (a CounterHours window, so it ends by itself).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Min, Q
from django.db.models.functions import Coalesce

from motcua.calendar.selectors import calendar_for_province
from motcua.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from motcua.core.text import form_text
from motcua.dossiers.models import Dossier
from motcua.dossiers.selectors import BACKLOG_STATES
from motcua.geo.models import Commune
from motcua.org.models import Department, DepartmentKind, Role, User
from motcua.quality.dashboard import overdue_now_q
from motcua.queueing.models import Counter, CounterHours, ServiceGroup, Ticket, TicketState
from motcua.queueing.workflow import LOCAL_TZ, local_day, serves

from .forecast import forecast_day
from .models import Alert, AlertKind, AlertState, PlanSlot, SlotKind
from .people import fields_of_group, skilled_officers
from .plan import DAY_END, DAY_START, plan_move, who_is_where
from .simulation import CounterDay, GroupDay, simulate_day

MAX_HELPERS = 5
# The hall's sessions when no counter has hours of its own (the demo day's, simulate.py).
DEFAULT_SESSIONS: tuple[tuple[dt.time, dt.time], ...] = (
    (dt.time(7, 30), dt.time(11, 30)),
    (dt.time(13, 30), dt.time(17, 0)),
)


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _local(now: dt.datetime) -> dt.datetime:
    return now.astimezone(LOCAL_TZ)


def center_open(*, commune: Commune, now: dt.datetime) -> bool:
    """The center is open at `now`: on a working day of the province's calendar (no weekend but
    its make-up working days, no Tết nor other day off), within the calendar's office windows
    (07:30–11:30, 13:30–17:00) or within the hours of one of its active counters (CounterHours,
    which extend a working day, never open a day off)."""
    local = _local(now)
    calendar = calendar_for_province(commune.province_id)
    if not calendar.is_working_day(local.date()):
        return False
    at = local.time()
    if any(start <= at < end for start, end in calendar.office_windows):
        return True
    return CounterHours.objects.filter(
        counter__commune=commune, counter__active=True, starts__lte=at, ends__gt=at
    ).exists()


# ------------------------------------------------------------------ measuring


@dataclass(frozen=True)
class Line:
    group: ServiceGroup
    waiting: int
    oldest_minutes: int


def _lines(commune: Commune, now: dt.datetime) -> dict[int, Line]:
    day = local_day(now)
    rows = (
        Ticket.objects.filter(commune=commune, day=day, state=TicketState.WAITING)
        .values("queue_group_id")
        .annotate(n=Count("id"), oldest=Min("issued_at"))
        .order_by()
    )
    measured = {r["queue_group_id"]: (r["n"], r["oldest"]) for r in rows}
    lines = {}
    for group in ServiceGroup.objects.filter(commune=commune, active=True).order_by("letter"):
        n, oldest = measured.get(group.pk, (0, None))
        minutes = int((now - oldest).total_seconds() // 60) if oldest else 0
        lines[group.pk] = Line(group, n, max(0, minutes))
    return lines


def _building(line: Line) -> bool:
    return line.waiting > _setting("MOTCUA_STAFFING_ALERT_WAITING", 10) or (
        line.waiting > 0 and line.oldest_minutes > _setting("MOTCUA_STAFFING_ALERT_OLDEST_MINUTES", 20)
    )


@dataclass(frozen=True)
class CounterState:
    counter: Counter
    busy: bool
    idle_minutes: int | None  # since the last call or finish today (None: none today)
    serves_now: list[int]  # the groups it serves at this hour


def _counters(commune: Commune, now: dt.datetime) -> list[CounterState]:
    day = local_day(now)
    at = _local(now).time()
    counters = list(
        Counter.objects.filter(commune=commune, active=True, officer__isnull=False)
        .select_related("officer")
        .order_by("number")
    )
    busy = set(
        Ticket.objects.filter(
            counter__in=counters, day=day, state__in=(TicketState.CALLED, TicketState.SERVING)
        ).values_list("counter_id", flat=True)
    )
    last = dict(
        Ticket.objects.filter(counter__in=counters, day=day)
        .values("counter_id")
        .annotate(last=Max(Coalesce(F("finished_at"), F("called_at"))))
        .values_list("counter_id", "last")
        .order_by()
    )
    states = []
    for c in counters:
        moment = last.get(c.pk)
        idle = int((now - moment).total_seconds() // 60) if moment else None
        groups = [g.pk for g in c.groups.filter(active=True) if serves(c, g.pk, at=at)]
        states.append(CounterState(c, c.pk in busy, idle, groups))
    return states


def _planned_in_department(commune: Commune, now: dt.datetime) -> dict[int, PlanSlot]:
    """The officers planned today at department work at this hour (the day's plan), by id."""
    return {k: s for k, s in who_is_where(commune=commune, at=now).items() if s.kind == SlotKind.DEPARTMENT}


def _absent(commune: Commune, now: dt.datetime) -> set[int]:
    return {k for k, s in who_is_where(commune=commune, at=now).items() if s.kind == SlotKind.ABSENT}


def _name(user: User) -> str:
    return user.full_name or user.username


def _queue_helpers(
    *,
    commune: Commune,
    line: Line,
    lines: dict[int, Line],
    counters: list[CounterState],
    planned: dict[int, PlanSlot],
    absent: set[int],
) -> list[dict[str, Any]]:
    """Who could help `line`: an officer skilled in its fields at a counter that does not serve it
    now and is idle or serves only short lines; or an officer planned at department work now, who
    can sit at a free counter (the console needs the counter officer's role)."""
    fields = fields_of_group(line.group)
    skilled = {u.pk: u for u in skilled_officers(commune=commune, fields=fields)}
    idle_after = _setting("MOTCUA_STAFFING_ALERT_IDLE_MINUTES", 10)
    short = _setting("MOTCUA_STAFFING_ALERT_SHORT_LINE", 2)
    helpers: list[dict[str, Any]] = []
    seated = {cs.counter.officer_id for cs in counters}
    for cs in counters:
        officer = cs.counter.officer
        if officer is None or officer.pk not in skilled or officer.pk in absent:
            continue
        if line.group.pk in cs.serves_now:
            continue
        idle = not cs.busy and (cs.idle_minutes is None or cs.idle_minutes >= idle_after)
        short_lines = all(lines[g].waiting <= short for g in cs.serves_now if g in lines)
        if not (idle or short_lines):
            continue
        helpers.append({
            "officer": officer.pk, "name": _name(officer), "kind": "counter",
            "counter": cs.counter.pk, "counter_number": cs.counter.number,
            "why": "idle" if idle else "short",
            "idle_minutes": cs.idle_minutes,
            "lines": {lines[g].group.letter: lines[g].waiting for g in cs.serves_now if g in lines},
        })  # fmt: skip
    free = (
        Counter.objects.filter(commune=commune, active=True, officer__isnull=True)
        .annotate(serves_group=Count("groups", filter=Q(groups=line.group)))
        .order_by("-serves_group", "number")
        .first()
    )
    if free is not None:
        for officer_id, slot in planned.items():
            officer = skilled.get(officer_id)
            if officer is None or officer_id in seated or officer_id in absent:
                continue
            if not officer.has_role(Role.COUNTER_OFFICER):
                continue
            helpers.append({
                "officer": officer.pk, "name": _name(officer), "kind": "department",
                "department": slot.department_id,
                "department_name": slot.department.name if slot.department else "",
                "counter": free.pk, "counter_number": free.number, "why": "department",
            })  # fmt: skip
    return helpers[:MAX_HELPERS]


def _queue_message(line: Line, helpers: list[dict[str, Any]]) -> str:
    places = []
    for h in helpers:
        if h["kind"] == "counter":
            state = "đang trống" if h["why"] == "idle" else "hàng ngắn"
            places.append(f"Quầy {h['counter_number']} {state}")
        else:
            places.append(f"quầy {h['counter_number']} chưa có người")
    where = ", ".join(dict.fromkeys(places))
    where = where[:1].upper() + where[1:]
    if line.waiting > _setting("MOTCUA_STAFFING_ALERT_WAITING", 10):
        what = f"{line.waiting} người chờ {line.group.name.lower()}"
    else:
        what = f"{line.waiting} người chờ {line.group.name.lower()}, lâu nhất {line.oldest_minutes} phút"
    names = ", ".join(h["name"] for h in helpers)
    return f"{where}; {what} — {names} có thể hỗ trợ"[:500]


# ------------------------------------------------------------------ backlog


def _backlog_at(moment: dt.datetime) -> Q:
    return Q(first_received_at__lte=moment) & (Q(finished_at__isnull=True) | Q(finished_at__gt=moment))


def _backlogs(commune: Commune, now: dt.datetime) -> dict[int, dict[str, int]]:
    """Per department: open dossiers now, overdue now, overdue a week ago, and the backlog's
    average at this moment of each of the last 8 weeks."""
    base = Dossier.objects.filter(commune=commune, department__isnull=False).order_by()
    current = (
        base.filter(state__in=BACKLOG_STATES, finished_at__isnull=True)
        .annotate(eff_due=Coalesce(F("extended_due_at"), F("due_at")))
        .values("department_id")
        .annotate(open=Count("id"), overdue=Count("id", filter=overdue_now_q(now)))
    )
    out: dict[int, dict[str, int]] = {
        r["department_id"]: {"open": r["open"], "overdue": r["overdue"]} for r in current
    }
    week_ago = now - dt.timedelta(days=7)
    past = {f"w{i}": Count("id", filter=_backlog_at(now - dt.timedelta(weeks=i))) for i in range(1, 9)}
    # Open a week ago and overdue then by the one rule (a fee wait begun before the deadline
    # stopped the clock), as the count of now it is compared with.
    late_then = (
        Q(first_received_at__lte=week_ago)
        & (Q(finished_at__isnull=True) | Q(finished_at__gt=week_ago))
        & overdue_now_q(week_ago)
    )
    history = (
        base.exclude(state="DRAFT")
        .annotate(eff_due=Coalesce(F("extended_due_at"), F("due_at")))
        .values("department_id")
        .annotate(late_then=Count("id", filter=late_then), **past)
    )
    for r in history:
        row = out.setdefault(r["department_id"], {"open": 0, "overdue": 0})
        row["overdue_week_ago"] = r["late_then"]
        row["average"] = round(sum(r[f"w{i}"] for i in range(1, 9)) / 8)
    return out


def _department_fields(department: Department) -> list[int]:
    own = set(department.fields.values_list("pk", flat=True))
    worked = Dossier.objects.filter(
        department=department, state__in=BACKLOG_STATES, finished_at__isnull=True
    ).values_list("procedure__field_id", flat=True)
    return sorted(own | {f for f in worked if f is not None})


def _backlog_target(numbers: dict[str, int]) -> int:
    fixed = _setting("MOTCUA_STAFFING_ALERT_BACKLOG", 0)
    if fixed > 0:
        return fixed
    return max(5, round(1.5 * numbers.get("average", 0)))


def _backlog_helpers(
    *, commune: Commune, department: Department, now: dt.datetime, absent: set[int]
) -> list[dict[str, Any]]:
    """Skilled staff of another department whose own backlog is small."""
    small = _setting("MOTCUA_STAFFING_ALERT_SMALL_BACKLOG", 5)
    fields = _department_fields(department)
    people = [
        u
        for u in skilled_officers(commune=commune, fields=fields)
        if u.department_id and u.department_id != department.pk and u.pk not in absent
    ]
    loads = dict(
        Dossier.objects.filter(assignee__in=people, state__in=BACKLOG_STATES, finished_at__isnull=True)
        .values("assignee_id")
        .annotate(n=Count("id"))
        .values_list("assignee_id", "n")
        .order_by()
    )
    helpers = []
    for u in people:
        if loads.get(u.pk, 0) <= small:
            helpers.append({
                "officer": u.pk, "name": _name(u), "kind": "backlog",
                "department": u.department_id,
                "department_name": u.department.name if u.department else "",
                "backlog": loads.get(u.pk, 0),
            })  # fmt: skip
    helpers.sort(key=lambda h: (h["backlog"], h["name"]))
    return helpers[:MAX_HELPERS]


# ------------------------------------------------------------------ detection


def _upsert(
    *, commune: Commune, kind: str, group: ServiceGroup | None, department: Department | None,
    message: str, facts: dict[str, Any], now: dt.datetime,
) -> Alert:  # fmt: skip
    where: dict[str, Any] = {"group": group} if group is not None else {"department": department}
    current = Alert.objects.filter(commune=commune, kind=kind, state=AlertState.OPEN, **where).first()
    if current is None:
        try:
            with transaction.atomic():
                return Alert.objects.create(
                    commune=commune, kind=kind, message=message, facts=facts, raised_at=now, **where
                )
        except IntegrityError:
            # Another detector wrote it a moment ago (one open alert per group / department).
            current = Alert.objects.filter(commune=commune, kind=kind, state=AlertState.OPEN, **where).first()
            if current is None:
                raise
    if current.message != message or current.facts != facts:
        Alert.objects.filter(pk=current.pk, state=AlertState.OPEN).update(message=message, facts=facts)
        current.message, current.facts = message, facts
    return current


def _clear(alert: Alert, now: dt.datetime, why: str) -> None:
    with contextlib.suppress(Conflict):  # somebody acted on it meanwhile
        alert_apply(alert=alert, action=ALERT_CLEAR, actor=None, now=now, note=why)


def alerts_detect(*, commune: Commune, now: dt.datetime) -> list[Alert]:
    """Raise, update or clear the commune's alerts at `now`; the OPEN ones after it.

    Queue: a group with more than MOTCUA_STAFFING_ALERT_WAITING people waiting, or its oldest wait
    beyond MOTCUA_STAFFING_ALERT_OLDEST_MINUTES, while a skilled officer could help (see
    _queue_helpers). Backlog: a department's open dossiers beyond its target (the setting, or 1.5×
    its 8-week average, at least 5), or its overdue ones more than a week ago, while skilled staff
    of another department have small backlogs. An open alert whose line or backlog is back under
    its target is CLEARED; one still beyond it keeps its helpers up to date. Outside the center's
    hours nothing is raised (open alerts stay as they are)."""
    expire_moves(commune=commune, now=now)
    if not center_open(commune=commune, now=now):
        return list(Alert.objects.filter(commune=commune, state=AlertState.OPEN))
    open_alerts = {
        (a.kind, a.group_id or a.department_id): a
        for a in Alert.objects.filter(commune=commune, state=AlertState.OPEN)
    }
    absent = _absent(commune, now)
    lines = _lines(commune, now)
    building = [line for line in lines.values() if _building(line)]
    if building:
        counters = _counters(commune, now)
        planned = _planned_in_department(commune, now)
    for line in building:
        helpers = _queue_helpers(
            commune=commune, line=line, lines=lines, counters=counters, planned=planned, absent=absent
        )
        existing = open_alerts.pop((AlertKind.QUEUE, line.group.pk), None)
        if not helpers and existing is None:
            continue
        facts = {
            "group": line.group.letter, "group_name": line.group.name, "waiting": line.waiting,
            "oldest_minutes": line.oldest_minutes,
            "target_waiting": _setting("MOTCUA_STAFFING_ALERT_WAITING", 10),
            "target_oldest_minutes": _setting("MOTCUA_STAFFING_ALERT_OLDEST_MINUTES", 20),
            "helpers": helpers,
        }  # fmt: skip
        message = (
            _queue_message(line, helpers)
            if helpers
            else f"{line.waiting} người chờ {line.group.name.lower()} — hiện chưa có ai rảnh để hỗ trợ"
        )
        _upsert(commune=commune, kind=AlertKind.QUEUE, group=line.group, department=None,
                message=message, facts=facts, now=now)  # fmt: skip
    backlogs = _backlogs(commune, now)
    departments = {d.pk: d for d in Department.objects.filter(commune=commune, closed_at__isnull=True)}
    for dep_id, numbers in backlogs.items():
        department = departments.get(dep_id)
        if department is None or department.kind == DepartmentKind.SERVICE_CENTER:
            continue
        target = _backlog_target(numbers)
        growing = numbers["overdue"] > numbers.get("overdue_week_ago", 0) and numbers["overdue"] >= 3
        if numbers["open"] <= target and not growing:
            continue
        existing = open_alerts.pop((AlertKind.BACKLOG, dep_id), None)
        helpers = _backlog_helpers(commune=commune, department=department, now=now, absent=absent)
        if not helpers and existing is None:
            continue
        facts = {
            "department_name": department.name, "open": numbers["open"], "target": target,
            "overdue": numbers["overdue"], "overdue_week_ago": numbers.get("overdue_week_ago", 0),
            "average_8_weeks": numbers.get("average", 0), "helpers": helpers,
        }  # fmt: skip
        names = ", ".join(h["name"] for h in helpers) or "chưa có ai"
        message = (
            f"{department.name}: {numbers['open']} hồ sơ tồn (mục tiêu {target}), "
            f"{numbers['overdue']} quá hạn — {names} có thể hỗ trợ"
        )[:500]
        _upsert(commune=commune, kind=AlertKind.BACKLOG, group=None, department=department,
                message=message, facts=facts, now=now)  # fmt: skip
    for alert in open_alerts.values():
        _clear(alert, now, "Hàng chờ hoặc hồ sơ tồn đã về dưới mục tiêu.")
    return list(
        Alert.objects.filter(commune=commune, state=AlertState.OPEN).select_related("group", "department")
    )


# ------------------------------------------------------------------ the transition function

ALERT_MOVE = "move"
ALERT_DISMISS = "dismiss"
ALERT_CLEAR = "clear"


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    target: str
    system: bool = False  # only the system (actor None) takes it
    needs_note: bool = False


TRANSITIONS: dict[str, Transition] = {
    ALERT_MOVE: Transition(ALERT_MOVE, "Điều động", AlertState.ACTED),
    ALERT_DISMISS: Transition(ALERT_DISMISS, "Bỏ qua", AlertState.DISMISSED, needs_note=True),
    ALERT_CLEAR: Transition(ALERT_CLEAR, "Tự hết", AlertState.CLEARED, system=True),
}


def can_act(user: object, commune_id: int | None) -> bool:
    """The commune's leader or the head of its public service center (SERVICE_CENTER)."""
    if not isinstance(user, User) or not user.is_active or user.commune_id is None:
        return False
    if commune_id is not None and user.commune_id != commune_id:
        return False
    if user.has_role(Role.COMMUNE_LEADER):
        return True
    return (
        user.has_role(Role.DEPARTMENT_HEAD)
        and user.department is not None
        and user.department.kind == DepartmentKind.SERVICE_CENTER
    )


def _helper(alert: Alert, officer: User) -> dict[str, Any]:
    for h in alert.facts.get("helpers", []):
        if h.get("officer") == officer.pk:
            return dict(h)
    raise ValidationFailed("Cán bộ này không có trong danh sách đề xuất của cảnh báo.", code="not_a_helper")


def _stretch(now: dt.datetime, until: dt.datetime) -> tuple[dt.time, dt.time]:
    """From now (to the minute) until `until`, within the plan's day (plan.DAY_START–DAY_END)."""
    starts = max(_local(now).time().replace(second=0, microsecond=0), DAY_START)
    ends = min(_local(until).time().replace(second=0, microsecond=0), DAY_END)
    if _local(until).date() > _local(now).date():
        ends = DAY_END
    if ends <= starts:
        raise Conflict("Đã hết giờ làm việc trong ngày: không còn điều động được.", code="day_over")
    return starts, ends


def _serve_group_for_now(
    *, counter: Counter, group: ServiceGroup, now: dt.datetime, until: dt.datetime
) -> dict[str, Any]:
    """The counter serves the group from now until `until`: a CounterHours window (and the group
    added to the counter's groups when it was not one of them). CounterHours are daily hours, so
    the window is taken away again once `until` has passed (expire_moves, run by every
    detection — the helper's own console runs one when it opens). What was added, for that."""
    starts, ends = _stretch(now, until)
    added_group = not counter.groups.filter(pk=group.pk).exists()
    if added_group:
        counter.groups.add(group)
    hours = CounterHours.objects.create(counter=counter, group=group, starts=starts, ends=ends)
    return {"hours": hours.pk, "added_group": added_group, "group": group.pk}


def expire_moves(*, commune: Commune, now: dt.datetime) -> int:
    """Undo the counter windows of the moves that have ended (their CounterHours row, and the
    group when the move added it and no other hours of it remain); how many were undone."""
    undone = 0
    for alert in Alert.objects.filter(commune=commune, state=AlertState.ACTED, kind=AlertKind.QUEUE):
        moved = alert.facts.get("moved") or {}
        window = moved.get("window")
        if not window or window.get("expired") or dt.datetime.fromisoformat(moved["until"]) > now:
            continue
        with transaction.atomic():
            locked = Alert.objects.select_for_update().get(pk=alert.pk)
            moved = dict(locked.facts.get("moved") or {})
            window = dict(moved.get("window") or {})
            if window.get("expired"):
                continue
            group_id = int(window.get("group") or 0)
            counter = Counter.objects.filter(pk=int(moved.get("counter") or 0), commune=commune).first()
            CounterHours.objects.filter(pk=int(window.get("hours") or 0)).delete()
            others = CounterHours.objects.filter(counter=counter, group_id=group_id)
            if counter is not None and window.get("added_group") and not others.exists():
                counter.groups.remove(group_id)
            window["expired"] = now.isoformat()
            moved["window"] = window
            locked.facts = {**locked.facts, "moved": moved}
            locked.save(update_fields=["facts"])
            undone += 1
    return undone


def _move(*, alert: Alert, actor: User, officer: User | None, counter: Counter | None, now: dt.datetime,
          note: str) -> str:  # fmt: skip
    if officer is None:
        raise ValidationFailed("Hãy chọn cán bộ được điều động.", code="officer_required")
    if not officer.is_active or officer.commune_id != alert.commune_id:
        raise NotFound("Không tìm thấy cán bộ này.")
    helper = _helper(alert, officer)
    simulation: dict[str, Any] = {}
    window: dict[str, Any] | None = None
    until = now + dt.timedelta(minutes=_setting("MOTCUA_STAFFING_ALERT_MOVE_MINUTES", 60))
    starts, ends = _stretch(now, until)
    until = _local(now).replace(hour=ends.hour, minute=ends.minute, second=0, microsecond=0)
    until_txt = ends.strftime("%H:%M")
    target: Counter | None = None
    if alert.kind == AlertKind.QUEUE:
        group = alert.group
        assert group is not None
        target = counter
        if target is None:
            target = Counter.objects.filter(pk=int(helper.get("counter") or 0), commune=alert.commune).first()
        if target is None or target.commune_id != alert.commune_id or not target.active:
            raise ValidationFailed("Quầy được chọn không còn hoạt động.", code="bad_counter")
        if helper["kind"] == "counter" and target.pk != helper["counter"]:
            raise ValidationFailed(
                "Cán bộ đang ngồi quầy được điều động ngay tại quầy của mình.", code="bad_counter"
            )
        if helper["kind"] == "department" and target.officer_id not in (None, officer.pk):
            raise Conflict(f"Quầy số {target.number} đã có cán bộ khác ngồi.", code="counter_taken")
        simulation = {
            "before": [vars(f) for f in rest_of_day(commune=alert.commune, now=now)],
            "after": [
                vars(f)
                for f in rest_of_day(commune=alert.commune, now=now, extra=(target.pk, group.pk, until))
            ],
        }
        window = _serve_group_for_now(counter=target, group=group, now=now, until=until)
        what = f"{_name(officer)} hỗ trợ nhóm {group.letter} — {group.name} tại quầy {target.number} đến {until_txt}"
        plan_move(actor=actor, officer=officer, day=local_day(now), starts=starts, ends=ends,
                  counter=target, reason=f"Cảnh báo hàng chờ: {what}"[:300], now=now, alert=alert)  # fmt: skip
    else:
        department = alert.department
        assert department is not None
        what = f"{_name(officer)} hỗ trợ {department.name} đến {until_txt}"
        plan_move(actor=actor, officer=officer, day=local_day(now), starts=starts, ends=ends,
                  department=department, reason=f"Cảnh báo hồ sơ tồn: {what}"[:300], now=now, alert=alert)  # fmt: skip
    facts = dict(alert.facts)
    if alert.kind == AlertKind.QUEUE:
        facts["simulation"] = simulation
    facts["moved"] = {
        "officer": officer.pk, "name": _name(officer), "until": until.isoformat(),
        "counter": target.pk if target is not None else None,
        "counter_number": target.number if target is not None else None,
        "window": window,
    }  # fmt: skip
    alert.facts = facts
    return (what + (f". {note}" if note else ""))[:500]


def alert_apply(
    *,
    alert: Alert,
    action: str,
    actor: User | None,
    now: dt.datetime,
    officer: User | None = None,
    counter: Counter | None = None,
    note: str = "",
) -> Alert:
    """The one way an alert changes state (see TRANSITIONS): checks the action exists from OPEN
    and who may take it, runs its effect, records closed_by / closed_at / action_note."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise ValidationFailed(f"Thao tác không tồn tại: {action}.", code="unknown_action")
    note = form_text(note, label="ghi chú, lý do", max_length=300)
    if transition.system:
        if actor is not None:
            raise NotAllowed(f"Chỉ hệ thống mới «{transition.label}» một cảnh báo.")
    elif actor is None or not can_act(actor, alert.commune_id):
        raise NotAllowed(
            "Chỉ lãnh đạo xã, phường hoặc trưởng Trung tâm Phục vụ hành chính công mới xử lý cảnh báo."
        )
    if transition.needs_note and not note:
        raise ValidationFailed("Hãy ghi lý do bỏ qua cảnh báo.", code="reason_required")
    with transaction.atomic():
        locked = (
            Alert.objects.select_for_update(of=("self",))
            .select_related("group", "department", "commune")
            .get(pk=alert.pk)
        )
        if locked.state != AlertState.OPEN:
            raise Conflict(
                f"Cảnh báo này đã ở trạng thái «{AlertState(locked.state).label}».", code="alert_closed"
            )
        if transition.action == ALERT_MOVE:
            assert actor is not None
            action_note = _move(
                alert=locked, actor=actor, officer=officer, counter=counter, now=now, note=note
            )
        else:
            action_note = note or transition.label
        locked.state = transition.target
        locked.closed_at = now
        locked.closed_by = actor
        locked.action_note = action_note[:500]
        locked.save(update_fields=["state", "closed_at", "closed_by", "action_note", "facts"])
    return locked


# ------------------------------------------------------------------ reads


def actor_for_alerts(user: object) -> User:
    if not can_act(user, None):
        raise NotAllowed(
            "Trang này dành cho lãnh đạo xã, phường và trưởng Trung tâm Phục vụ hành chính công."
        )
    assert isinstance(user, User)
    return user


def alert_get_for(*, user: User, pk: int) -> Alert:
    acting = actor_for_alerts(user)
    alert = (
        Alert.objects.filter(pk=pk, commune_id=acting.commune_id or 0)
        .select_related("group", "department")
        .first()
    )
    if alert is None:
        raise NotFound("Không tìm thấy cảnh báo này.")
    return alert


def alerts_of_day(*, user: User, now: dt.datetime) -> tuple[list[Alert], list[Alert]]:
    """The OPEN alerts and the day's closed ones (newest first) of the acting user's commune."""
    acting = actor_for_alerts(user)
    day = _local(now).replace(hour=0, minute=0, second=0, microsecond=0)
    qs = Alert.objects.filter(commune_id=acting.commune_id or 0).select_related(
        "group", "department", "closed_by"
    )
    open_ = list(qs.filter(state=AlertState.OPEN).order_by("-raised_at"))
    closed = list(qs.exclude(state=AlertState.OPEN).filter(raised_at__gte=day).order_by("-closed_at", "-id"))
    return open_, closed


@dataclass(frozen=True)
class Notice:
    text: str
    kind: str  # "proposed" (an open alert names you) / "moved" (the leader moved you)


def notices_for(*, user: User, now: dt.datetime) -> list[Notice]:
    """What an officer is told: the open alerts that name them as a possible helper, and the
    moves the leader made of them that still run."""
    if not user.is_active or user.commune_id is None:
        return []
    notices = []
    for alert in Alert.objects.filter(commune_id=user.commune_id, state=AlertState.OPEN).select_related(
        "group"
    ):
        for h in alert.facts.get("helpers", []):
            if h.get("officer") == user.pk:
                if alert.kind == AlertKind.QUEUE and alert.group:
                    text = (
                        f"Hàng chờ {alert.group.letter} — {alert.group.name} đang dồn "
                        f"({alert.facts.get('waiting', 0)} người chờ): bạn có thể được đề nghị hỗ trợ."
                    )
                else:
                    text = f"{alert.facts.get('department_name', '')} đang tồn hồ sơ: bạn có thể được đề nghị hỗ trợ."
                notices.append(Notice(text, "proposed"))
    day_start = _local(now).replace(hour=0, minute=0, second=0, microsecond=0)
    for alert in Alert.objects.filter(
        commune_id=user.commune_id, state=AlertState.ACTED, closed_at__gte=day_start
    ).select_related("group", "department"):
        moved = alert.facts.get("moved") or {}
        if moved.get("officer") != user.pk:
            continue
        until = dt.datetime.fromisoformat(moved["until"])
        if until <= now:
            continue
        if alert.kind == AlertKind.QUEUE and alert.group:
            text = (
                f"Lãnh đạo đề nghị hỗ trợ quầy {moved.get('counter_number')}: nhóm {alert.group.letter} — "
                f"{alert.group.name}, đến {_local(until):%H:%M}."
            )
        else:
            name = alert.department.name if alert.department else ""
            text = f"Lãnh đạo đề nghị hỗ trợ {name} đến {_local(until):%H:%M}."
        notices.append(Notice(text, "moved"))
    return notices


def helper_choices(alert: Alert) -> list[dict[str, Any]]:
    return list(alert.facts.get("helpers", []))


# ------------------------------------------------------------------ the rest of the day, simulated

# Mean minutes at the counter when neither today nor the history has finished tickets of a group
# (the demo day's medians, queueing/simulate.py); 6 minutes for any other letter.
_DEFAULT_SERVICE_MIN = {"A": 5.0, "B": 12.0, "C": 3.0, "D": 6.0}
SIM_REPLICATIONS = 20
SIM_SIGMA = 0.5


@dataclass(frozen=True)
class GroupForecast:
    letter: str
    name: str
    waiting: int
    mean_wait_min: float | None  # None: nobody waits nor comes
    within_target_pct: float | None  # residents called within the target wait, %


def _session_end(now: dt.datetime) -> dt.datetime:
    """The end of the session `now` is in (11:30 or 17:00), else an hour from now."""
    local = _local(now)
    for start, end in DEFAULT_SESSIONS:
        if start <= local.time() < end:
            return local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    return local + dt.timedelta(hours=1)


def _sim_inputs(
    commune: Commune, now: dt.datetime, extra: tuple[int, int, dt.datetime] | None
) -> tuple[
    list[GroupDay], list[CounterDay], dict[str, list[float]], dict[str, float], dict[str, ServiceGroup]
]:
    """S1's simulation's inputs for the rest of the session from `now`, in half hours: each
    group's arrivals (S4's forecast of today from the queue's history, none without history),
    its mean service (today's, else the forecast's, else the usual), the counters with an officer
    and the groups each serves in each half hour (plus `extra`: counter id, group id, until), the
    residents already waiting (minutes waited) and the counters still busy (minutes left)."""
    day = local_day(now)
    local = _local(now)
    end = _session_end(now)
    slots = max(1, math.ceil((end - local).total_seconds() / 1800))
    starts = [local + dt.timedelta(minutes=30 * i) for i in range(slots)]
    groups = {g.pk: g for g in ServiceGroup.objects.filter(commune=commune, active=True).order_by("letter")}
    forecast = {g.group_id: g for g in forecast_day(commune=commune, day=day, today=day).groups}
    done: dict[int, list[float]] = {}
    for gid, called, finished in Ticket.objects.filter(
        commune=commune, day=day, state=TicketState.DONE, called_at__isnull=False, finished_at__isnull=False
    ).values_list("queue_group_id", "called_at", "finished_at"):
        if called is not None and finished is not None:
            done.setdefault(gid, []).append((finished - called).total_seconds() / 60)
    group_days = []
    service: dict[int, float] = {}
    for gid, g in groups.items():
        fc = forecast.get(gid)
        arrivals = []
        for moment in starts:
            slot = dt.time(moment.hour, 30 * (moment.minute // 30))
            rate = fc.arrivals.get(slot, 0.0) if fc is not None else 0.0
            arrivals.append(rate if moment < end - dt.timedelta(minutes=15) else 0.0)
        if len(done.get(gid, [])) >= 5:
            service[gid] = sum(done[gid]) / len(done[gid])
        elif fc is not None and fc.service_mean_s:
            service[gid] = fc.service_mean_s / 60
        else:
            service[gid] = _DEFAULT_SERVICE_MIN.get(g.letter, 6.0)
        group_days.append(GroupDay(g.letter, tuple(arrivals), max(0.5, service[gid]), SIM_SIGMA))
    counters = []
    busy: dict[str, float] = {}
    open_tickets = {
        t.counter_id: t
        for t in Ticket.objects.filter(
            commune=commune,
            day=day,
            state__in=(TicketState.CALLED, TicketState.SERVING),
            counter__isnull=False,
        )
    }
    for c in Counter.objects.filter(commune=commune, active=True, officer__isnull=False).order_by("number"):
        per_slot = []
        for moment in starts:
            at = moment.time()
            letters = {
                groups[g.pk].letter for g in c.groups.all() if g.pk in groups and serves(c, g.pk, at=at)
            }
            if extra is not None and extra[0] == c.pk and moment < extra[2]:
                letters.add(groups[extra[1]].letter)
            per_slot.append(frozenset(letters))
        name = f"Quầy {c.number}"
        counters.append(CounterDay(name, tuple(per_slot)))
        ticket = open_tickets.get(c.pk)
        if ticket is not None and ticket.called_at is not None:
            spent = (now - ticket.called_at).total_seconds() / 60
            busy[name] = max(0.5, service.get(ticket.queue_group_id, 6.0) - spent)
    waiting: dict[str, list[float]] = {}
    for issued, gid in Ticket.objects.filter(commune=commune, day=day, state=TicketState.WAITING).values_list(
        "issued_at", "queue_group_id"
    ):
        if gid in groups:
            waiting.setdefault(groups[gid].letter, []).append(max(0.0, (now - issued).total_seconds() / 60))
    return group_days, counters, waiting, busy, {g.letter: g for g in groups.values()}


def rest_of_day(
    *, commune: Commune, now: dt.datetime, extra: tuple[int, int, dt.datetime] | None = None
) -> list[GroupForecast]:
    """The rest of the session simulated from `now` with S1's simulation (the people already
    waiting included, their whole wait counted), the same seed with and without `extra` (a
    counter serving one more group until a moment): per group, the mean wait and the share called
    within the target wait (MOTCUA_STAFFING_TARGET_WAIT_SECONDS)."""
    group_days, counters, waiting, busy, by_letter = _sim_inputs(commune, now, extra)
    target = float(getattr(settings, "MOTCUA_STAFFING_TARGET_WAIT_SECONDS", 900))
    result = simulate_day(
        groups=group_days, counters=counters, target_wait_seconds=target,
        replications=SIM_REPLICATIONS, seed=0, waiting=waiting, busy_until=busy,
    )  # fmt: skip
    out = []
    for letter, g in by_letter.items():
        figures = result.group(letter)
        mean = figures.mean_wait_seconds.mean
        within = figures.called_within_target.mean
        if figures.residents == 0:  # nobody waits nor comes: no figure
            out.append(GroupForecast(letter, g.name, 0, None, None))
            continue
        out.append(
            GroupForecast(
                letter,
                g.name,
                len(waiting.get(letter, [])),
                round(mean / 60, 1) if math.isfinite(mean) else 0.0,
                round(100 * within, 1) if math.isfinite(within) else 100.0,
            )
        )
    return out


# ------------------------------------------------------------------ the command


def alerts_tick(*, code: str | None, now: dt.datetime) -> list[tuple[Commune, int]]:
    """`motcua staffing tick <commune code|--all>` (a timer or cron, e.g. every few minutes while
    the center is open): detection for one commune (its code, ASCII digits) or every commune with
    a queue; each commune and its open alerts after it. A bad or unknown code: ValidationFailed."""
    if code is None:
        communes = list(
            Commune.objects.filter(
                pk__in=ServiceGroup.objects.filter(active=True).values("commune_id")
            ).order_by("code")
        )
    else:
        raw = code.strip()
        found = (
            Commune.objects.filter(code=int(raw)).first()
            if raw.isascii() and raw.isdigit() and len(raw) < 10
            else None
        )
        if found is None:
            raise ValidationFailed(f"Không có xã, phường mã {raw[:20]!r}.", code="unknown_commune")
        communes = [found]
    return [(c, len(alerts_detect(commune=c, now=now))) for c in communes]
