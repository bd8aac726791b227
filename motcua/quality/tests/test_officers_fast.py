"""The officers' numbers read by the database (GROUP BY officer) and the memoised working clock
give what a straightforward Python computation over every row gives (issue 10: the year's
officers' list under 1 s), and the period reads send no list of ids back to the database.

Not marked: `tools/test` runs these on SQLite and again on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from motcua.calendar.selectors import calendar_for_province
from motcua.calendar.workdays import WorkCalendar
from motcua.dossiers.models import ControlEntry, DocumentKind, Dossier, DossierDocument, State
from motcua.dossiers.selectors import BACKLOG_STATES
from motcua.org.models import DepartmentKind, Role
from motcua.quality.index766 import dossier_on_time, index_compute, period
from motcua.quality.models import Rating, RatingSource, RatingSubject
from motcua.quality.officers import RESIDENT_STATES, WorkingClock, officers_numbers, working_hours
from motcua.queueing.models import EventKind, Ticket, TicketEvent, TicketState
from motcua.testing import land_procedure, make_commune, make_service_groups, make_user

VN = ZoneInfo("Asia/Ho_Chi_Minh")
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
NOW = dt.datetime(2026, 4, 10, 9, 0, tzinfo=VN)
pytestmark = pytest.mark.django_db


def _moment(rng: random.Random, first: dt.date, days: int) -> dt.datetime:
    """Any minute of `days` days from `first` (nights, weekends and lunch included), sometimes on
    an office window's edge."""
    day = first + dt.timedelta(days=rng.randrange(days))
    if rng.random() < 0.2:
        hm = rng.choice([(7, 30), (11, 30), (13, 30), (17, 0), (0, 0)])
        return dt.datetime(day.year, day.month, day.day, *hm, tzinfo=VN)
    return dt.datetime(day.year, day.month, day.day, rng.randrange(24), rng.randrange(60), tzinfo=VN)


def test_the_working_clock_is_working_hours():
    # National Tết 2026 (mid-February), a province's extra day off and a make-up Saturday.
    cal = WorkCalendar.build(days_off=[dt.date(2026, 3, 9)], work_days=[dt.date(2026, 3, 14)])
    cal = WorkCalendar(
        extra_days_off=cal.extra_days_off,
        extra_work_days=cal.extra_work_days,
        office_windows=(*cal.office_windows, (dt.time(18, 0), dt.time(18, 0))),  # an empty window
    )
    clock = WorkingClock(cal)
    rng = random.Random(766)
    spans = [
        (_moment(rng, dt.date(2025, 12, 20), 120), _moment(rng, dt.date(2025, 12, 20), 120))
        for _ in range(3000)
    ]
    spans += [
        (dt.datetime(2026, 3, 2, 9, tzinfo=VN), dt.datetime(2026, 3, 4, 10, tzinfo=VN)),  # 16 h
        (dt.datetime(2026, 3, 2, 2, tzinfo=dt.UTC), dt.datetime(2026, 3, 2, 3, 30, 0, 5, tzinfo=dt.UTC)),
        (dt.datetime(2026, 3, 7, tzinfo=VN), dt.datetime(2026, 3, 10, tzinfo=VN)),  # weekend, day off
    ]
    for a, b in spans:
        assert clock.hours(a, b) == pytest.approx(working_hours(cal, a, b), abs=1e-9), (a, b)
    assert clock.hours(*spans[-3]) == pytest.approx(16.0)
    assert clock.hours(*spans[-1]) == 0
    # Asked first late, then early: the running totals extend both ways.
    late, early = spans[0][0] + dt.timedelta(days=400), spans[0][0] - dt.timedelta(days=400)
    assert clock.hours(early, late) == pytest.approx(working_hours(cal, early, late), abs=1e-9)


@pytest.fixture
def varied():
    """A ward, four officers and one of another ward; dossiers, control sheets, tickets and
    ratings drawn at random (seeded) around March 2026, across every state and edge."""
    rng = random.Random(10)
    ward = make_commune()
    other_ward = make_commune(code=20210, name="Phường An Khê", agency="H48.20210")
    officers = [
        make_user(ward, Role.SPECIALIST, "cv_a", DepartmentKind.ECONOMIC),
        make_user(ward, Role.SPECIALIST, "cv_b", DepartmentKind.ECONOMIC),
        make_user(ward, Role.COUNTER_OFFICER, "mc_a"),
        make_user(ward, Role.DEPARTMENT_HEAD, "tp_a", DepartmentKind.ECONOMIC),
    ]
    outsider = make_user(ward, Role.SPECIALIST, "cv_ngoai", DepartmentKind.ECONOMIC)  # not asked for
    people = [*officers, outsider, None]
    land = land_procedure()
    first = dt.date(2026, 2, 10)
    states = list(State)
    dossiers = []
    for i in range(260):
        commune = other_ward if i % 13 == 0 else ward
        received = _moment(rng, first, 70)
        due = (
            received + dt.timedelta(days=rng.randrange(0, 25), hours=rng.randrange(9))
            if rng.random() < 0.9
            else None
        )
        state = rng.choice(states)
        finished = received + dt.timedelta(hours=rng.randrange(1, 700)) if rng.random() < 0.6 else None
        dossiers.append(
            Dossier(
                commune=commune, procedure=land, state=state, applicant_name="Trần Văn Bình",
                applicant_name_folded="tran van binh", code=f"T-{i}", created_at=received,
                received_at=received, first_received_at=received, due_at=due,
                extended_due_at=due + dt.timedelta(days=3) if due and rng.random() < 0.15 else None,
                paused_at=received + dt.timedelta(days=rng.randrange(10)) if rng.random() < 0.3 else None,
                finished_at=finished, received_by=rng.choice(people), assignee=rng.choice(people),
                supplement_count=rng.choice([0, 0, 0, 1, 2]),
            )
        )  # fmt: skip
    Dossier.objects.bulk_create(dossiers)
    entries = []
    for d in Dossier.objects.all():
        assert d.first_received_at is not None
        at = d.first_received_at
        # A few spells in the resident's hands (one left open), other steps by anyone.
        for _ in range(rng.randrange(4)):
            at += dt.timedelta(hours=rng.randrange(1, 60))
            wait = rng.choice(RESIDENT_STATES)
            entries.append(
                ControlEntry(dossier=d, action="x", from_state=State.IN_PROCESS, to_state=wait, at=at)
            )
            if rng.random() < 0.85:
                at += dt.timedelta(hours=rng.randrange(1, 90))
                entries.append(
                    ControlEntry(dossier=d, action="y", from_state=wait, to_state=State.RECEIVED, at=at)
                )
        for _ in range(rng.randrange(4)):
            entries.append(
                ControlEntry(dossier=d, action="z", from_state=State.RECEIVED, to_state=State.IN_PROCESS,
                             actor=rng.choice(people), at=_moment(rng, first, 70))
            )  # fmt: skip
    ControlEntry.objects.bulk_create(entries)
    for commune in (ward, other_ward):
        make_service_groups(commune)
    group = {c.pk: c.service_groups.get(letter="A") for c in (ward, other_ward)}
    for i in range(220):
        commune = other_ward if i % 11 == 0 else ward
        issued = _moment(rng, first, 70)
        called: dt.datetime | None = issued + dt.timedelta(
            minutes=rng.randrange(1, 90), seconds=rng.randrange(60)
        )
        finish = (
            issued
            + dt.timedelta(minutes=90)
            + dt.timedelta(minutes=rng.randrange(0, 40), seconds=rng.randrange(60), microseconds=7)
        )
        if rng.random() < 0.1:
            called = None  # a finish without a recorded call: counted, not timed
        elif rng.random() < 0.05:
            called = finish + dt.timedelta(minutes=3)  # a clock error: counted, not timed
        ticket = Ticket.objects.create(
            commune=commune, group=group[commune.pk], queue_group=group[commune.pk], day=issued.date(), seq=i + 1,
            number=f"A{i:03}", state=TicketState.DONE, issued_at=issued, called_at=called, finished_at=finish,
        )  # fmt: skip
        TicketEvent.objects.create(
            ticket=ticket, kind=EventKind.FINISHED, at=finish, officer=rng.choice(people)
        )
        TicketEvent.objects.create(
            ticket=ticket, kind=EventKind.ISSUED, at=issued, officer=rng.choice(people)
        )
        Rating.objects.create(
            commune=commune, subject=RatingSubject.TICKET, ticket=ticket, questionnaire="TT01-2018-v1",
            answers={"7": 1}, overall=rng.randrange(3), source=RatingSource.RECEIPT,
            officer=rng.choice(people), created_at=_moment(rng, first, 70),
        )  # fmt: skip
    return ward, officers


def _by_hand(ward, officers, start: dt.date, end: dt.date, now: dt.datetime) -> dict[int, dict[str, Any]]:
    """The module docstring's definitions, row by row in Python (the code before issue 10's
    performance work)."""
    since, until = period(start, end)
    cal = calendar_for_province(ward.province_id)
    out: dict[int, dict[str, Any]] = {
        o.pk: defaultdict(int, late_ids=[], hours=[], service=[]) for o in officers
    }
    waits: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    began: dict[int, dt.datetime] = {}
    for e in ControlEntry.objects.order_by("dossier_id", "at", "id"):
        if e.from_state in RESIDENT_STATES and e.dossier_id in began:
            waits[e.dossier_id].append((began.pop(e.dossier_id), e.at))
        if e.to_state in RESIDENT_STATES and e.from_state != e.to_state:
            began[e.dossier_id] = e.at
    for d in Dossier.objects.filter(commune=ward):
        assert d.first_received_at is not None
        in_period = since <= d.first_received_at < until
        if in_period and d.received_by_id in out:
            out[d.received_by_id]["received"] += 1
        if d.assignee_id in out:
            row = out[d.assignee_id]
            if in_period:
                row["handled"] += 1
                if dossier_on_time(d.__dict__, until):
                    row["on_time"] += 1
                else:
                    row["late_ids"].append(d.pk)
                if d.finished_at is not None and d.finished_at < until:
                    hours = working_hours(cal, d.first_received_at, d.finished_at)
                    hours -= sum(working_hours(cal, a, b) for a, b in waits[d.pk])
                    row["hours"].append(max(0.0, hours))
            if d.finished_at is None and d.state in BACKLOG_STATES:
                row["backlog"] += 1
                due = d.extended_due_at or d.due_at
                fee_wait = (
                    d.state == State.PENDING_FEE and d.paused_at is not None and due and d.paused_at <= due
                )
                row["overdue"] += bool(due is not None and due < now and not fee_wait)
    for e in ControlEntry.objects.filter(dossier__commune=ward, at__gte=since, at__lt=until):
        if e.actor_id in out:
            out[e.actor_id]["steps"] += 1
    for ev in TicketEvent.objects.filter(
        ticket__commune=ward, kind=EventKind.FINISHED, at__gte=since, at__lt=until
    ):
        if ev.officer_id in out:
            out[ev.officer_id]["served"] += 1
            called = ev.ticket.called_at
            if called is not None and called <= ev.at:
                out[ev.officer_id]["service"].append((ev.at - called).total_seconds())
    for r in Rating.objects.filter(commune=ward, created_at__gte=since, created_at__lt=until):
        if r.officer_id in out:
            out[r.officer_id]["ratings"] += 1
            out[r.officer_id]["satisfied"] += r.overall >= 1
    return out


@pytest.mark.parametrize(
    "days", [MARCH, (dt.date(2026, 2, 1), dt.date(2026, 4, 30)), (dt.date(2026, 3, 7), dt.date(2026, 3, 8))]
)
def test_the_aggregates_equal_the_row_by_row_computation(varied, days):
    ward, officers = varied
    fast = officers_numbers(commune=ward, officers=officers, start=days[0], end=days[1], now=NOW)
    slow = _by_hand(ward, officers, days[0], days[1], NOW)
    assert [n.officer for n in fast] == officers
    busy = 0
    for n in fast:
        s = slow[n.officer.pk]
        assert (n.received, n.handled, n.on_time, n.late) == (
            s["received"], s["handled"], s["on_time"], len(s["late_ids"])
        ), n.officer  # fmt: skip
        assert n.late_ids == sorted(s["late_ids"])
        assert n.finished == len(s["hours"])
        assert sorted(n.processing_hours) == pytest.approx(sorted(s["hours"]), abs=1e-9)
        assert (n.backlog, n.overdue, n.control_steps) == (s["backlog"], s["overdue"], s["steps"])
        assert (n.tickets_served, n.service_count) == (s["served"], len(s["service"]))
        if s["service"]:
            assert n.avg_service_minutes == pytest.approx(
                sum(s["service"]) / len(s["service"]) / 60, abs=1e-9
            )
        else:
            assert n.avg_service_minutes is None
        assert (n.ratings, n.satisfied) == (s["ratings"], s["satisfied"])
        busy += n.handled + n.tickets_served + n.ratings
    if days == MARCH:
        # The fixture does exercise every number (not a comparison of zeros).
        assert all(n.handled and n.late and n.finished and n.tickets_served and n.ratings for n in fast)
        assert any(n.service_count < n.tickets_served for n in fast)
        assert busy > 200


def _sql_lengths(fn) -> list[int]:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return [len(q["sql"]) for q in ctx.captured_queries]


def test_the_period_reads_send_no_list_of_ids_back():
    """The officers' numbers and the 766 index make the same queries, of the same length, for 3
    dossiers as for 60: the period's dossiers are never sent back as `IN (id, id, …)`."""
    ward = make_commune()
    officer = make_user(ward, Role.SPECIALIST, "cv_a", DepartmentKind.ECONOMIC)
    land = land_procedure()
    received = dt.datetime(2026, 3, 2, 9, tzinfo=VN)

    def add(n: int) -> None:
        for _ in range(n):
            d = Dossier.objects.create(
                commune=ward, procedure=land, state=State.RETURNED, applicant_name="A", created_at=received,
                first_received_at=received, due_at=received + dt.timedelta(days=5),
                finished_at=received + dt.timedelta(days=1), assignee=officer,
            )  # fmt: skip
            ControlEntry.objects.create(
                dossier=d,
                action="x",
                from_state=State.IN_PROCESS,
                to_state=State.SUPPLEMENT_REQUESTED,
                at=received,
            )
            DossierDocument.objects.create(
                dossier=d,
                kind=DocumentKind.INPUT,
                uploaded_at=received,
                original_name="a.pdf",
                storage_path="x/a.pdf",
                content_type="application/pdf",
                size=1,
                sha256="0" * 64,
            )

    def measure() -> list[int]:
        return _sql_lengths(
            lambda: officers_numbers(commune=ward, officers=[officer], start=MARCH[0], end=MARCH[1], now=NOW)
        ) + _sql_lengths(lambda: index_compute(commune=ward, start=MARCH[0], end=MARCH[1]))

    calendar_for_province(ward.province_id)  # loaded once, then cached: not a query of either
    add(3)
    few = measure()
    add(57)
    assert measure() == few
