"""Today's hall in the demo ward (issue 8 §9): a simulated day of Thanh Khê's queue, mid-morning.

`simulate.simulate_day` (fixed seed) plans a whole day of about 600 tickets on the demo's own
counters (ward.QUEUE_COUNTERS and QUEUE_HOURS). A simulated moment is put at `now`
(`cut_for`: the same hour of the day between 09:30 and 16:30, 16:30 in the evening, 10:15
early in the morning): every ticket issued before it is written for today — done, no-show or
left when its life ended before then, called or being served when it was at a counter then,
waiting otherwise — and none after it, so the board, the consoles and the statistics show a
working hall whatever the hour the demo runs. Rows are written in bulk (a few hundred tickets and their events in
well under a second on SQLite): the same rows the services write — numbers gap-free per group,
a `TicketSequence` at the last one so that the next number taken follows, one `TicketEvent`
per step with its time, officer and counter, states and times consistent with the events.

A few appointments come with it: some of today's tickets were booked and checked in
(`booked`, source APPOINTMENT), and a few slots are booked for later today and tomorrow.
Idempotent per day: a day that already has tickets at the center gets nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from django.contrib.auth.hashers import make_password
from django.db import transaction

from motcua.core.errors import Conflict
from motcua.org.models import Department, DepartmentKind, User
from motcua.queueing.models import (
    Appointment,
    AppointmentState,
    Counter,
    CounterHours,
    EventKind,
    ServiceGroup,
    Ticket,
    TicketEvent,
    TicketSequence,
    TicketSource,
    TicketState,
)
from motcua.queueing.services import LOCAL_TZ, local_day
from motcua.queueing.simulate import (
    AFTERNOON,
    MORNING,
    CounterSpec,
    SimulatedDay,
    hm,
    simulate_day,
    thanh_khe_day,
)
from motcua.queueing.simulate import Ticket as SimTicket

from . import ward as W

QUEUE_SEED = 0
CUT = hm(10, 15)  # the simulated moment put at `now` early in the morning
# From 09:30 to 16:30 local time the hall is shown as it is at this hour of the simulated day
# (times at face value: at 15:30 about 500 of the day's ~600 tickets, the morning peak behind);
# later in the evening as at 16:30; before 09:30 as at 10:15 (the morning peak under way).
FACE_VALUE_FROM = hm(9, 30)
FACE_VALUE_UNTIL = hm(16, 30)


def cut_for(now: dt.datetime) -> float:
    """The simulated moment (seconds since midnight) that `now` shows."""
    local = now.astimezone(LOCAL_TZ)
    tod = local.hour * 3600 + local.minute * 60 + local.second
    if tod < FACE_VALUE_FROM:
        return CUT
    return float(min(tod, FACE_VALUE_UNTIL))


BOOKED_EVERY = 40  # one ticket in 40 (from 8:00, no priority) came with an appointment
LEFT_EVERY = 3  # one no-show in 3 is a resident who left before the call instead

_APPOINTMENT_PEOPLE = (
    ("Nguyễn Văn Hùng", "0905123401"),
    ("Trần Thị Lan", "0935123402"),
    ("Lê Văn Tâm", "0914123403"),
    ("Phạm Thị Hoa", "0988123404"),
    ("Hoàng Văn Nam", "0905123405"),
    ("Đỗ Thị Mai", "0932123406"),
    ("Võ Minh Triết", "0977123407"),
    ("Huỳnh Thị Yến", "0916123408"),
)


def demo_day_spec() -> SimulatedDay:
    """The demo's simulated day: Thanh Khê's arrivals and groups on the demo's counters."""
    hours: dict[int, list[tuple[float, float]]] = {}
    for number, _letter, (h1, m1), (h2, m2) in W.QUEUE_HOURS:
        window = (hm(h1, m1), hm(h2, m2))
        if window not in hours.setdefault(number, []):
            hours[number].append(window)
    counters = tuple(
        CounterSpec(number, tuple(letters), tuple(hours.get(number, (MORNING, AFTERNOON))))
        for number, letters in W.QUEUE_COUNTERS
    )
    return simulate_day(QUEUE_SEED, replace(thanh_khe_day(), counters=counters))


@dataclass(frozen=True)
class QueueDayResult:
    day: dt.date
    added: int  # tickets written (0: the day already had tickets)
    waiting: int


def setup_queue_officers() -> dict[int, User]:
    """The demo's counter officers (quầy n → motcua<n>), the missing ones created with the demo's
    password; each sits at their counter when nobody does."""
    existing = {u.username: u for u in User.objects.filter(username__regex=r"^motcua[0-9]+$")}
    password = None
    department = Department.objects.filter(
        commune_id=W.COMMUNE_CODE, kind=DepartmentKind.SERVICE_CENTER
    ).first()
    for s in W.QUEUE_OFFICERS:
        user = existing.get(s.username)
        if user is not None:
            if user.commune_id != W.COMMUNE_CODE:
                raise Conflict(
                    f"Tên đăng nhập «{s.username}» đã có ở đơn vị khác; không thể nạp phường mẫu.",
                    code="demo_username_taken",
                )
            continue
        password = password or make_password(W.PASSWORD)
        existing[s.username] = User.objects.create(
            username=s.username,
            full_name=s.full_name,
            role=s.role,
            commune_id=W.COMMUNE_CODE,
            province_id=W.PROVINCE_CODE,
            department=department,
            position=s.position,
            password=password,
        )
    officers: dict[int, User] = {}
    seated = set(Counter.objects.filter(officer__isnull=False).values_list("officer_id", flat=True))
    for counter in Counter.objects.filter(commune_id=W.COMMUNE_CODE).order_by("number"):
        user = existing.get(f"motcua{counter.number}")
        if user is None:
            continue
        officers[counter.number] = user
        if counter.officer_id is None and user.pk not in seated:
            counter.officer = user
            counter.save(update_fields=["officer"])
            seated.add(user.pk)
    return officers


def setup_counter_hours() -> None:
    groups = {g.letter: g for g in ServiceGroup.objects.filter(commune_id=W.COMMUNE_CODE)}
    counters = {c.number: c for c in Counter.objects.filter(commune_id=W.COMMUNE_CODE)}
    for number, letter, (h1, m1), (h2, m2) in W.QUEUE_HOURS:
        if number in counters and letter in groups:
            CounterHours.objects.get_or_create(
                counter=counters[number], group=groups[letter], starts=dt.time(h1, m1), ends=dt.time(h2, m2)
            )


def _state_at(t: SimTicket, cut: float, left: bool) -> tuple[str, list[tuple[str, float, bool]]]:
    """The ticket's state at `cut` and its events so far: (kind, simulated time, at a counter)."""
    events: list[tuple[str, float, bool]] = [(EventKind.ISSUED, t.issued, False)]
    assert t.called is not None and t.finished is not None
    if left:
        gone = t.issued + 0.7 * (t.called - t.issued)
        if gone <= cut:
            events.append((EventKind.LEFT, gone, False))
            return TicketState.LEFT, events
        return TicketState.WAITING, events
    if t.called > cut:
        return TicketState.WAITING, events
    events.append((EventKind.CALLED, t.called, True))
    if t.shows_up:
        assert t.served is not None
        if t.served > cut:
            return TicketState.CALLED, events
        events.append((EventKind.STARTED, t.served, True))
        if t.finished > cut:
            return TicketState.SERVING, events
        events.append((EventKind.FINISHED, t.finished, True))
        return TicketState.DONE, events
    events.extend((EventKind.RECALLED, r, True) for r in t.recalls if r <= cut)
    if t.finished > cut:
        return TicketState.CALLED, events
    events.append((EventKind.NO_SHOW, t.finished, True))
    return TicketState.NO_SHOW, events


@transaction.atomic
def queue_load_today(*, now: dt.datetime) -> QueueDayResult:
    """Write today's hall as it is at the simulated moment `cut_for(now)` (module docstring)."""
    day = local_day(now)
    setup_counter_hours()
    officers = setup_queue_officers()
    base = Ticket.objects.filter(commune_id=W.COMMUNE_CODE, day=day)
    if base.exists():
        return QueueDayResult(day, 0, base.filter(state=TicketState.WAITING).count())
    sim = demo_day_spec()
    groups = {g.letter: g for g in ServiceGroup.objects.filter(commune_id=W.COMMUNE_CODE)}
    counters = {c.number: c for c in Counter.objects.filter(commune_id=W.COMMUNE_CODE)}

    cut = cut_for(now)

    def at(seconds: float) -> dt.datetime:
        return now + dt.timedelta(seconds=seconds - cut)

    tickets: list[Ticket] = []
    plans: list[list[tuple[str, float, bool]]] = []
    no_shows = 0
    booked_candidates = 0
    for t in sim.tickets:
        if t.issued > cut:
            break
        left = False
        if t.no_show:
            left = no_shows % LEFT_EVERY == 0
            no_shows += 1
        booked = False
        if not t.priority and t.shows_up and t.issued >= hm(8):
            booked = booked_candidates % BOOKED_EVERY == BOOKED_EVERY // 2
            booked_candidates += 1
        state, events = _state_at(t, cut, left)
        times = {kind: moment for kind, moment, _ in events}
        at_counter = state not in (TicketState.WAITING, TicketState.LEFT)
        group = groups[t.group]
        tickets.append(
            Ticket(
                commune_id=W.COMMUNE_CODE, group=group, queue_group=group, day=day, seq=int(t.number[1:]),
                number=t.number, priority=t.priority, state=state,
                counter=counters[t.counter] if at_counter and t.counter else None,
                recalls=sum(1 for kind, _, _ in events if kind == EventKind.RECALLED), booked=booked,
                source=TicketSource.APPOINTMENT if booked else TicketSource.PHONE,
                issued_at=at(t.issued),
                called_at=at(times[EventKind.CALLED]) if EventKind.CALLED in times else None,
                served_at=at(times[EventKind.STARTED]) if EventKind.STARTED in times else None,
                finished_at=next(
                    (at(times[k]) for k in (EventKind.FINISHED, EventKind.NO_SHOW, EventKind.LEFT) if k in times),
                    None,
                ),
            )
        )  # fmt: skip
        plans.append(events)
    Ticket.objects.bulk_create(tickets)
    rows: list[TicketEvent] = []
    for ticket, events, t in zip(tickets, plans, sim.tickets, strict=False):
        recalls = 0
        for kind, moment, at_counter in events:
            note = ""
            if kind == EventKind.ISSUED:
                note = ", ".join(
                    lbl for flag, lbl in ((t.priority, "Ưu tiên"), (ticket.booked, "Đặt lịch")) if flag
                )
            elif kind == EventKind.RECALLED:
                recalls += 1
                note = f"Lần gọi lại thứ {recalls}"
            counter = counters[t.counter] if at_counter and t.counter else None
            rows.append(
                TicketEvent(
                    ticket=ticket,
                    kind=kind,
                    at=at(moment),
                    officer=officers.get(t.counter) if counter is not None and t.counter else None,
                    counter=counter,
                    note=note,
                )
            )
    TicketEvent.objects.bulk_create(rows, batch_size=500)
    last: dict[str, int] = {}
    for ticket in tickets:
        last[ticket.number[0]] = max(last.get(ticket.number[0], 0), ticket.seq)
    TicketSequence.objects.bulk_create(
        [TicketSequence(commune_id=W.COMMUNE_CODE, group=groups[x], day=day, last=n) for x, n in last.items()]
    )
    _appointments(now=now, tickets=[t for t in tickets if t.booked], groups=groups)
    return QueueDayResult(day, len(tickets), sum(1 for t in tickets if t.state == TicketState.WAITING))


def _appointments(*, now: dt.datetime, tickets: list[Ticket], groups: dict[str, ServiceGroup]) -> None:
    """The booked tickets' appointments (checked in), and a few booked slots later today (within
    office hours) and tomorrow morning and afternoon."""
    people = iter(_APPOINTMENT_PEOPLE * 4)
    rows: list[Appointment] = []
    for ticket in tickets:
        slot = dt.timedelta(minutes=groups[ticket.group.letter].appointment_slot_minutes)
        starts = ticket.issued_at - dt.timedelta(minutes=10)
        name, phone = next(people)
        rows.append(
            Appointment(
                commune_id=W.COMMUNE_CODE, group=ticket.group, starts_at=starts, ends_at=starts + slot,
                name=name, phone=phone, state=AppointmentState.CHECKED_IN, ticket=ticket,
                created_at=starts - dt.timedelta(days=1),
            )
        )  # fmt: skip
    local = now.astimezone(LOCAL_TZ)
    slots: list[tuple[dt.datetime, str]] = []
    later = (local + dt.timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    for k, letter in enumerate("AB"):
        moment = later + dt.timedelta(minutes=30 * k)
        if dt.time(7, 30) <= moment.time() and (moment + dt.timedelta(minutes=30)).time() <= dt.time(17, 0):
            slots.append((moment, letter))
    tomorrow = local.date() + dt.timedelta(days=1)
    for (h, m), letter in (((8, 0), "A"), ((8, 30), "B"), ((9, 0), "C"), ((14, 0), "D")):
        slots.append((dt.datetime.combine(tomorrow, dt.time(h, m), tzinfo=LOCAL_TZ), letter))
    for starts, letter in slots:
        group = groups[letter]
        name, phone = next(people)
        rows.append(
            Appointment(
                commune_id=W.COMMUNE_CODE, group=group, starts_at=starts,
                ends_at=starts + dt.timedelta(minutes=group.appointment_slot_minutes),
                name=name, phone=phone, state=AppointmentState.BOOKED, created_at=now - dt.timedelta(hours=20),
            )
        )  # fmt: skip
    Appointment.objects.bulk_create(rows)
