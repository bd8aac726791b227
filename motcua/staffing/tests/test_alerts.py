"""Live imbalance alerts (issue 11 §5): detection of each condition, one alert only, cleared when
the line drops; alert_apply's state machine and who may take it; the pages' access."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from motcua.calendar import selectors as calendar_selectors
from motcua.calendar.models import CalendarDay
from motcua.catalog.models import ProcedureField
from motcua.core.errors import Conflict, NotAllowed, ValidationFailed
from motcua.dossiers.models import Dossier, State
from motcua.org.models import Department, DepartmentKind, Role, User
from motcua.queueing.models import Counter, CounterHours, Ticket, TicketState
from motcua.queueing.services import counter_call_next, ticket_issue
from motcua.queueing.workflow import serves
from motcua.staffing.alerts import alert_apply, alerts_detect, center_open, notices_for
from motcua.staffing.models import (
    Alert,
    AlertKind,
    AlertState,
    GroupField,
    PlanChange,
    PlanSlot,
    Skill,
    SlotKind,
)
from motcua.testing import (
    land_procedure,
    make_commune,
    make_counter,
    make_service_groups,
    make_staff,
    make_user,
)

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# A Tuesday, 09:00 in the hall.
NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=TZ)


def hall(now: dt.datetime = NOW, waiting: int = 14, prefix: str = "", code: int = 20209) -> dict[str, Any]:
    """A ward whose land line (B) has `waiting` people while quầy 2 (group A, nobody waiting) is
    idle and its officer, Nguyễn Văn Minh, can handle land."""
    names = {20209: "Phường Thanh Khê", 20210: "Phường An Khê"}
    commune = make_commune(code, names.get(code, f"Phường {code}"), f"H48.{code}")
    staff = make_staff(commune, prefix=prefix)
    groups = make_service_groups(commune)
    land, _ = ProcedureField.objects.get_or_create(code="dat-dai", defaults={"name": "Đất đai"})
    GroupField.objects.get_or_create(group=groups["B"], field=land)
    center = Department.objects.get(commune=commune, kind=DepartmentKind.SERVICE_CENTER)
    b_officer = make_user(commune, Role.COUNTER_OFFICER, f"{prefix}quay_dat")
    minh = make_user(commune, Role.COUNTER_OFFICER, f"{prefix}minh")
    User.objects.filter(pk=minh.pk).update(full_name="Nguyễn Văn Minh", department=center)
    minh.refresh_from_db()
    Skill.objects.create(user=minh, field=land, level="CAN", updated_at=now)
    b_counter = make_counter(commune, 1, "B", officer=b_officer)
    a_counter = make_counter(commune, 2, "A", officer=minh)
    for i in range(waiting):
        ticket_issue(
            commune=commune, group_letter="B", priority=False, now=now - dt.timedelta(minutes=15 - i % 10)
        )
    return {
        "commune": commune, "staff": staff, "groups": groups, "land": land, "minh": minh,
        "b_officer": b_officer, "b_counter": b_counter, "a_counter": a_counter, "center": center,
    }  # fmt: skip


def test_a_building_line_and_an_idle_skilled_officer_raise_one_alert_naming_them():
    w = hall()
    alerts = alerts_detect(commune=w["commune"], now=NOW)
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.kind == AlertKind.QUEUE and alert.group == w["groups"]["B"]
    assert (
        alert.message == "Quầy 2 đang trống; 14 người chờ đất đai - xây dựng — Nguyễn Văn Minh có thể hỗ trợ"
    )
    assert alert.facts["waiting"] == 14 and alert.facts["target_waiting"] == 10
    [helper] = alert.facts["helpers"]
    assert helper["officer"] == w["minh"].pk and helper["counter_number"] == 2 and helper["why"] == "idle"
    # Detecting again adds nothing: one open alert per group.
    alerts_detect(commune=w["commune"], now=NOW + dt.timedelta(seconds=20))
    assert Alert.objects.count() == 1


def test_no_alert_when_nobody_skilled_is_free():
    w = hall()
    Skill.objects.filter(user=w["minh"]).update(level="LEARNING")  # learning is not enough
    assert alerts_detect(commune=w["commune"], now=NOW) == []
    Skill.objects.filter(user=w["minh"]).update(level="TRAINER")
    # Skilled, but busy: a ticket of A called two minutes ago and a long line of A.
    for _ in range(5):
        ticket_issue(
            commune=w["commune"], group_letter="A", priority=False, now=NOW - dt.timedelta(minutes=5)
        )
    counter_call_next(actor=w["minh"], counter=w["a_counter"], now=NOW - dt.timedelta(minutes=2))
    assert alerts_detect(commune=w["commune"], now=NOW) == []
    assert Alert.objects.count() == 0


def test_a_short_line_makes_a_helper_too():
    w = hall()
    ticket_issue(commune=w["commune"], group_letter="A", priority=False, now=NOW - dt.timedelta(minutes=3))
    counter_call_next(actor=w["minh"], counter=w["a_counter"], now=NOW - dt.timedelta(minutes=1))
    [alert] = alerts_detect(commune=w["commune"], now=NOW)
    assert alert.facts["helpers"][0]["why"] == "short"
    assert alert.message.startswith("Quầy 2 hàng ngắn; 14 người chờ")


def test_a_short_line_with_a_long_wait_raises_it_too(settings):
    w = hall(waiting=3)
    assert alerts_detect(commune=w["commune"], now=NOW) == []  # 3 people, the oldest 15 minutes
    [alert] = alerts_detect(commune=w["commune"], now=NOW + dt.timedelta(minutes=10))
    assert "lâu nhất 25 phút" in alert.message


def test_an_officer_planned_in_a_department_is_proposed_at_a_free_counter():
    w = hall()
    Skill.objects.filter(user=w["minh"]).delete()
    econ = Department.objects.get(commune=w["commune"], kind=DepartmentKind.ECONOMIC)
    lan = make_user(w["commune"], Role.COUNTER_OFFICER, "lan", DepartmentKind.ECONOMIC)
    Skill.objects.create(user=lan, field=w["land"], level="CAN", updated_at=NOW)
    free = make_counter(w["commune"], 5, "C")
    PlanSlot.objects.create(
        commune=w["commune"], day=NOW.date(), officer=lan, starts=dt.time(7, 30), ends=dt.time(11, 30),
        kind=SlotKind.DEPARTMENT, department=econ, created_at=NOW,
    )  # fmt: skip
    [alert] = alerts_detect(commune=w["commune"], now=NOW)
    [helper] = alert.facts["helpers"]
    assert helper["kind"] == "department" and helper["counter"] == free.pk
    assert "quầy 5 chưa có người" in alert.message.lower()


def test_an_absent_officer_is_not_proposed():
    w = hall()
    PlanSlot.objects.create(
        commune=w["commune"], day=NOW.date(), officer=w["minh"], starts=dt.time(8, 0), ends=dt.time(12, 0),
        kind=SlotKind.ABSENT, created_at=NOW,
    )  # fmt: skip
    assert alerts_detect(commune=w["commune"], now=NOW) == []


def test_the_alert_clears_when_the_line_drops():
    w = hall()
    [alert] = alerts_detect(commune=w["commune"], now=NOW)
    Ticket.objects.filter(id__in=Ticket.objects.filter(state=TicketState.WAITING).values("id")[:10]).update(
        state=TicketState.DONE
    )
    assert alerts_detect(commune=w["commune"], now=NOW + dt.timedelta(minutes=1)) == []
    alert.refresh_from_db()
    assert alert.state == AlertState.CLEARED and alert.closed_by is None and alert.closed_at is not None
    assert alert.action_note


def test_nothing_is_raised_while_the_center_is_closed():
    w = hall()
    lunch = NOW.replace(hour=12, minute=15)
    assert not center_open(commune=w["commune"], now=lunch)
    assert alerts_detect(commune=w["commune"], now=lunch) == []
    assert not center_open(commune=w["commune"], now=NOW.replace(day=15))  # a Sunday


@pytest.fixture
def fresh_calendar():
    """The province's calendar is cached per process; the rows a test adds are rolled back."""
    calendar_selectors._cache.clear()
    yield
    calendar_selectors._cache.clear()


@pytest.mark.usefixtures("fresh_calendar")
def test_the_center_is_closed_on_the_calendars_days_off_even_with_counter_hours():
    w = hall(waiting=0)
    commune = w["commune"]
    # a counter open 07:00–18:00 every day: extends a working day, never opens a day off
    CounterHours.objects.create(
        counter=w["b_counter"], group=w["groups"]["B"], starts=dt.time(7, 0), ends=dt.time(18, 0)
    )
    tuesday = NOW  # 10/03/2026 09:00
    assert center_open(commune=commune, now=tuesday)
    assert center_open(commune=commune, now=tuesday.replace(hour=17, minute=30))  # the counter's hours
    assert not center_open(commune=commune, now=tuesday.replace(hour=18, minute=30))
    assert not center_open(commune=commune, now=dt.datetime(2026, 3, 14, 9, 0, tzinfo=TZ))  # Saturday
    assert not center_open(commune=commune, now=dt.datetime(2026, 3, 15, 9, 0, tzinfo=TZ))  # Sunday
    assert not center_open(commune=commune, now=dt.datetime(2026, 2, 17, 9, 0, tzinfo=TZ))  # Tết
    # no alert is raised on a day off, however long the line
    sunday = dt.datetime(2026, 3, 15, 9, 0, tzinfo=TZ)
    for i in range(14):
        ticket_issue(
            commune=commune, group_letter="B", priority=False, now=sunday - dt.timedelta(minutes=20 - i)
        )
    assert alerts_detect(commune=commune, now=sunday) == []
    # the province's own calendar: a make-up working Saturday opens, a local day off closes
    CalendarDay.objects.create(
        date=dt.date(2026, 3, 14), kind=CalendarDay.Kind.WORK_DAY, province=commune.province
    )
    CalendarDay.objects.create(
        date=dt.date(2026, 3, 10), kind=CalendarDay.Kind.DAY_OFF, province=commune.province
    )
    assert center_open(commune=commune, now=dt.datetime(2026, 3, 14, 9, 0, tzinfo=TZ))
    assert not center_open(commune=commune, now=tuesday)


def test_a_department_backlog_beyond_its_target_names_skilled_people_with_small_backlogs(settings):
    settings.MOTCUA_STAFFING_ALERT_BACKLOG = 3
    w = hall(waiting=0)
    econ = Department.objects.get(commune=w["commune"], kind=DepartmentKind.ECONOMIC)
    office = Department.objects.get(commune=w["commune"], kind=DepartmentKind.OFFICE)
    procedure = land_procedure()
    for i in range(5):
        Dossier.objects.create(
            commune=w["commune"], procedure=procedure, department=econ, state=State.IN_PROCESS,
            applicant_name=f"Người {i}", applicant_name_folded=f"nguoi {i}", created_at=NOW - dt.timedelta(days=3),
            first_received_at=NOW - dt.timedelta(days=3), due_at=NOW + dt.timedelta(days=10),
        )  # fmt: skip
    helper = w["staff"]["specialist_office"]
    assert helper.department == office
    Skill.objects.create(user=helper, field=procedure.field, level="CAN", updated_at=NOW)
    [alert] = alerts_detect(commune=w["commune"], now=NOW)
    assert alert.kind == AlertKind.BACKLOG and alert.department == econ
    assert alert.facts["open"] == 5 and alert.facts["target"] == 3
    assert [h["officer"] for h in alert.facts["helpers"]] == [helper.pk]
    assert helper.full_name in alert.message
    # The leader moves them: planned in the economic department, the change linked to the alert.
    done = alert_apply(alert=alert, action="move", actor=w["staff"]["leader"], now=NOW, officer=helper)
    assert done.state == AlertState.ACTED
    slot = PlanSlot.objects.get(officer=helper)
    assert slot.kind == SlotKind.DEPARTMENT and slot.department == econ
    assert PlanChange.objects.get(officer=helper).alert == alert


# ------------------------------------------------------------------ the state machine


def test_move_lets_the_helpers_counter_call_the_group_and_records_everything():
    w = hall()
    [alert] = alerts_detect(commune=w["commune"], now=NOW)
    leader = w["staff"]["leader"]
    done = alert_apply(alert=alert, action="move", actor=leader, now=NOW, officer=w["minh"], note="Gấp")
    assert done.state == AlertState.ACTED and done.closed_by == leader and done.closed_at == NOW
    assert "Nguyễn Văn Minh hỗ trợ nhóm B" in done.action_note and "quầy 2 đến 10:00" in done.action_note
    change = PlanChange.objects.get(alert=alert)
    assert change.officer == w["minh"] and change.by == leader
    slot = PlanSlot.objects.get(officer=w["minh"], kind=SlotKind.COUNTER)
    assert (slot.counter, slot.starts, slot.ends) == (w["a_counter"], dt.time(9, 0), dt.time(10, 0))
    called = counter_call_next(actor=w["minh"], counter=w["a_counter"], now=NOW + dt.timedelta(minutes=1))
    assert called is not None and called.queue_group.letter == "B"
    # After the hour, quầy 2 serves only A again.
    a_counter = Counter.objects.get(pk=w["a_counter"].pk)
    assert serves(a_counter, w["groups"]["B"].pk, at=dt.time(9, 30))
    assert not serves(a_counter, w["groups"]["B"].pk, at=dt.time(10, 1))
    notices = notices_for(user=w["minh"], now=NOW + dt.timedelta(minutes=2))
    assert [n.text for n in notices] == [
        "Lãnh đạo đề nghị hỗ trợ quầy 2: nhóm B — Đất đai - Xây dựng, đến 10:00."
    ]
    assert notices_for(user=w["minh"], now=NOW + dt.timedelta(minutes=61)) == []
    # CounterHours are daily: once the move is over, the next detection takes the window away
    # (tomorrow at 09:30 quầy 2 serves A only, as before).
    alerts_detect(commune=w["commune"], now=NOW + dt.timedelta(minutes=59))
    assert serves(a_counter, w["groups"]["B"].pk, at=dt.time(9, 30))
    alerts_detect(commune=w["commune"], now=NOW + dt.timedelta(minutes=61))
    assert not a_counter.groups.filter(letter="B").exists()
    assert not CounterHours.objects.filter(counter=a_counter).exists()
    assert Alert.objects.get(pk=alert.pk).facts["moved"]["window"]["expired"]


def test_an_open_alert_tells_the_named_officer():
    w = hall()
    alerts_detect(commune=w["commune"], now=NOW)
    [notice] = notices_for(user=w["minh"], now=NOW)
    assert notice.kind == "proposed" and "14 người chờ" in notice.text
    assert notices_for(user=w["b_officer"], now=NOW) == []


def test_the_state_machine_refuses_what_is_not_a_transition():
    w = hall()
    [alert] = alerts_detect(commune=w["commune"], now=NOW)
    leader = w["staff"]["leader"]
    with pytest.raises(ValidationFailed):
        alert_apply(alert=alert, action="explode", actor=leader, now=NOW)
    with pytest.raises(ValidationFailed):  # dismiss needs a reason
        alert_apply(alert=alert, action="dismiss", actor=leader, now=NOW, note="  ")
    with pytest.raises(ValidationFailed):  # not one of the proposed helpers
        alert_apply(alert=alert, action="move", actor=leader, now=NOW, officer=w["b_officer"])
    with pytest.raises(NotAllowed):  # only the system clears
        alert_apply(alert=alert, action="clear", actor=leader, now=NOW)
    with pytest.raises(ValidationFailed):
        alert_apply(alert=alert, action="dismiss", actor=leader, now=NOW, note="x" * 301)
    with pytest.raises(ValidationFailed, match="ký tự không hợp lệ"):
        alert_apply(alert=alert, action="dismiss", actor=leader, now=NOW, note="Quầy 2\x00")
    done = alert_apply(alert=alert, action="dismiss", actor=leader, now=NOW, note=" Quầy 2  sắp nghỉ ")
    assert done.state == AlertState.DISMISSED and done.action_note == "Quầy 2 sắp nghỉ"
    with pytest.raises(Conflict):
        alert_apply(alert=alert, action="move", actor=leader, now=NOW, officer=w["minh"])
    # Dismissed: the next detection raises a new one (the line is still long).
    assert len(alerts_detect(commune=w["commune"], now=NOW + dt.timedelta(minutes=1))) == 1


@pytest.mark.parametrize("who", ["counter", "specialist_econ", "head_econ", "admin"])
def test_only_the_leader_and_the_service_center_head_act(who):
    w = hall()
    [alert] = alerts_detect(commune=w["commune"], now=NOW)
    with pytest.raises(NotAllowed):
        alert_apply(alert=alert, action="dismiss", actor=w["staff"][who], now=NOW, note="không")
    head = make_user(w["commune"], Role.DEPARTMENT_HEAD, "gd_trungtam", DepartmentKind.SERVICE_CENTER)
    assert (
        alert_apply(alert=alert, action="dismiss", actor=head, now=NOW, note="ok").state
        == AlertState.DISMISSED
    )


def test_another_communes_leader_cannot_act():
    w = hall()
    other = make_staff(make_commune(20210, "Phường An Khê", "H48.20210"), prefix="ak_")
    [alert] = alerts_detect(commune=w["commune"], now=NOW)
    with pytest.raises(NotAllowed):
        alert_apply(alert=alert, action="dismiss", actor=other["leader"], now=NOW, note="x")


def test_the_move_simulates_the_rest_of_the_day_before_and_after():
    w = hall()
    [alert] = alerts_detect(commune=w["commune"], now=NOW)
    done = alert_apply(alert=alert, action="move", actor=w["staff"]["leader"], now=NOW, officer=w["minh"])
    sim = done.facts["simulation"]
    before = {g["letter"]: g for g in sim["before"]}
    after = {g["letter"]: g for g in sim["after"]}
    assert before["B"]["waiting"] == after["B"]["waiting"] == 14
    assert after["B"]["mean_wait_min"] < before["B"]["mean_wait_min"]
    assert after["B"]["within_target_pct"] > before["B"]["within_target_pct"]


def _econ_dossiers(w: dict[str, Any], count: int, *, received_days_ago: int, due_in_days: int) -> None:
    econ = Department.objects.get(commune=w["commune"], kind=DepartmentKind.ECONOMIC)
    procedure = land_procedure()
    for i in range(count):
        Dossier.objects.create(
            commune=w["commune"], procedure=procedure, department=econ, state=State.IN_PROCESS,
            applicant_name=f"Người {i}", applicant_name_folded=f"nguoi {i}",
            created_at=NOW - dt.timedelta(days=received_days_ago),
            first_received_at=NOW - dt.timedelta(days=received_days_ago),
            due_at=NOW + dt.timedelta(days=due_in_days),
        )  # fmt: skip
    Skill.objects.get_or_create(
        user=w["staff"]["specialist_office"],
        field=procedure.field,
        defaults={"level": "CAN", "updated_at": NOW},
    )


def test_overdue_dossiers_growing_raise_a_backlog_alert_under_the_open_target(settings):
    settings.MOTCUA_STAFFING_ALERT_BACKLOG = 50
    w = hall(waiting=0)
    _econ_dossiers(w, 3, received_days_ago=3, due_in_days=5)
    assert alerts_detect(commune=w["commune"], now=NOW) == []  # 3 open, none overdue
    Dossier.objects.update(due_at=NOW - dt.timedelta(days=2))  # late now, not a week ago
    [alert] = alerts_detect(commune=w["commune"], now=NOW)
    assert (
        alert.kind == AlertKind.BACKLOG
        and alert.facts["overdue"] == 3
        and alert.facts["overdue_week_ago"] == 0
    )


def test_overdue_a_week_ago_follows_the_one_rule_of_overdue(settings):
    """A week ago the 5 dossiers were past their deadline, but one had been waiting for the fee
    since before it (its clock stopped): 4 were overdue then, as the count of now says."""
    settings.MOTCUA_STAFFING_ALERT_BACKLOG = 50
    w = hall(waiting=0)
    _econ_dossiers(w, 5, received_days_ago=20, due_in_days=-10)
    first = Dossier.objects.order_by("pk").first()
    Dossier.objects.filter(pk=first.pk).update(state=State.PENDING_FEE, paused_at=NOW - dt.timedelta(days=12))
    from motcua.staffing.alerts import _backlogs

    [numbers] = _backlogs(w["commune"], NOW).values()
    assert (numbers["open"], numbers["overdue"], numbers["overdue_week_ago"]) == (5, 4, 4)


def test_the_backlog_target_is_one_and_a_half_times_the_8_week_average():
    w = hall(waiting=0)
    # 4 dossiers open for 10 weeks: the average backlog is 4, the target 6 (and never under 5).
    _econ_dossiers(w, 4, received_days_ago=70, due_in_days=30)
    assert alerts_detect(commune=w["commune"], now=NOW) == []
    _econ_dossiers(w, 2, received_days_ago=1, due_in_days=30)
    assert alerts_detect(commune=w["commune"], now=NOW) == []  # 6 open: at the target
    _econ_dossiers(w, 1, received_days_ago=1, due_in_days=30)
    [alert] = alerts_detect(commune=w["commune"], now=NOW)
    assert (alert.facts["open"], alert.facts["average_8_weeks"], alert.facts["target"]) == (7, 4, 6)
