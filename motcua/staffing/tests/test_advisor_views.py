"""The advisor's pages (issue 11 §4): who reads, who applies, the plan written through S3, the
simulation shown side by side, absence and skills respected end to end."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from motcua.catalog.models import ProcedureField
from motcua.core import clock
from motcua.org.models import DepartmentKind, Role
from motcua.queueing.models import ServiceGroup, Ticket, TicketState
from motcua.staffing.advisor import advise
from motcua.staffing.models import GroupField, PlanChange, PlanSlot, Skill, SkillLevel, SlotKind
from motcua.testing import make_commune, make_counter, make_service_groups, make_staff, make_user

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = dt.datetime(2026, 3, 13, 9, 0, tzinfo=TZ)  # Friday; tomorrow's page is Monday 16/03
MONDAY = dt.date(2026, 3, 16)


def _history(group: ServiceGroup, per_half_hour: int) -> None:
    rows = []
    for day in (dt.date(2026, 3, 9), dt.date(2026, 3, 2), dt.date(2026, 2, 23), dt.date(2026, 2, 9)):
        seq = 0
        for h, m in ((8, 0), (8, 30), (9, 0), (9, 30)):
            for k in range(per_half_hour):
                seq += 1
                issued = dt.datetime.combine(day, dt.time(h, m + k % 30), tzinfo=TZ)
                called = issued + dt.timedelta(minutes=5)
                rows.append(
                    Ticket(
                        commune=group.commune, group=group, queue_group=group, day=day, seq=seq,
                        number=f"{group.letter}{seq:03d}", state=TicketState.DONE, issued_at=issued,
                        called_at=called, served_at=called, finished_at=called + dt.timedelta(minutes=10),
                    )
                )  # fmt: skip
    Ticket.objects.bulk_create(rows)


@pytest.fixture
def world() -> dict[str, Any]:
    commune = make_commune()
    staff = make_staff(commune)
    groups = make_service_groups(commune)
    land, _ = ProcedureField.objects.get_or_create(code="test-dat-dai", defaults={"name": "Đất đai"})
    GroupField.objects.create(group=groups["B"], field=land)
    officers = {
        name: make_user(commune, Role.COUNTER_OFFICER, name, DepartmentKind.SERVICE_CENTER)
        for name in ("ong_an", "ba_binh", "chi_chau")
    }
    officers["cv_dat"] = staff["specialist_econ"]
    for name in ("ong_an", "ba_binh", "cv_dat"):
        Skill.objects.create(user=officers[name], field=land, level=SkillLevel.CAN, updated_at=NOW)
    counters = [
        make_counter(commune, n, "B", officer=officers["ong_an"] if n == 1 else None) for n in (1, 2, 3)
    ]
    _history(groups["B"], 12)  # 24 an hour, 10 minutes each: 4 erlangs
    head_center = make_user(commune, Role.DEPARTMENT_HEAD, "tp_motcua", DepartmentKind.SERVICE_CENTER)
    return {"commune": commune, "staff": staff, "groups": groups, "officers": officers, "counters": counters,
            "head_center": head_center}  # fmt: skip


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_leader_reads_tomorrow_forecast_recommendation_simulation_and_plan(world: dict[str, Any]) -> None:
    with clock.pinned(NOW):
        r = _client(world["staff"]["leader"]).get(reverse("staffing_advisor:tomorrow"))
    assert r.status_code == 200
    html = r.content.decode()
    assert "16/03/2026" in html
    assert "Erlang C" in html and "Erlang A" in html
    assert "Bố trí hiện tại" in html and "Theo đề xuất" in html and "Theo lịch xếp được" in html
    assert "<svg" in html and "khoảng tin cậy 95 %" in html
    assert "Áp dụng cho ngày 16/03/2026" in html
    assert "Ong An" in html  # the officer already at counter 1 sits there in the plan


def test_the_plan_respects_skills_absence_and_names_the_shortfall(world: dict[str, Any]) -> None:
    commune, o = world["commune"], world["officers"]
    PlanSlot.objects.create(
        commune=commune, day=MONDAY, officer=o["ba_binh"], starts=dt.time(7, 0), ends=dt.time(12, 0),
        kind=SlotKind.ABSENT, created_at=NOW,
    )  # fmt: skip
    advice = advise(commune=commune, day=MONDAY, today=NOW.date(), simulate=False)
    morning = [r for r in advice.plan if r.starts < dt.time(11, 30)]
    seated = {r.officer_id for r in morning}
    assert o["ba_binh"].pk not in seated  # absent
    assert o["chi_chau"].pk not in {r.officer_id for r in advice.plan}  # no land skill
    need = max(ga.slots[dt.time(8, 0)].counters for ga in advice.groups if ga.letter == "B")
    assert need >= 2
    # Ong An and the economic department's land specialist (flagged) cover the morning
    assert o["cv_dat"].pk in seated
    assert any("department" in r.flags for r in morning if r.officer_id == o["cv_dat"].pk)
    if need > 2:
        assert any(letter == "B" and reason == "officers" for _, letter, _, reason in advice.short)


def test_apply_writes_the_plan_through_the_day_plan(world: dict[str, Any]) -> None:
    with clock.pinned(NOW):
        r = _client(world["staff"]["leader"]).post(
            reverse("staffing_advisor:apply", kwargs={"day": MONDAY.isoformat()})
        )
    assert r.status_code == 302
    slots = PlanSlot.objects.filter(commune=world["commune"], day=MONDAY, kind=SlotKind.COUNTER)
    assert slots.exists()
    assert set(slots.values_list("counter_id", flat=True)) <= {c.pk for c in world["counters"]}
    assert PlanChange.objects.filter(day=MONDAY, action="REPLACE").exists()
    advice = advise(commune=world["commune"], day=MONDAY, today=NOW.date(), simulate=False)
    assert advice.current_source == "plan"


def test_the_one_stop_head_applies_another_head_reads_only(world: dict[str, Any]) -> None:
    url = reverse("staffing_advisor:apply", kwargs={"day": MONDAY.isoformat()})
    with clock.pinned(NOW):
        econ = _client(world["staff"]["head_econ"])
        page = econ.get(reverse("staffing_advisor:day", kwargs={"day": MONDAY.isoformat()}))
        assert page.status_code == 200 and "Áp dụng cho ngày" not in page.content.decode()
        assert econ.post(url).status_code == 403
        assert not PlanSlot.objects.filter(day=MONDAY).exists()
        assert _client(world["head_center"]).post(url).status_code == 302
    assert PlanSlot.objects.filter(day=MONDAY, kind=SlotKind.COUNTER).exists()


@pytest.mark.parametrize("role", ["counter", "specialist_econ", "admin"])
def test_others_are_refused(world: dict[str, Any], role: str) -> None:
    with clock.pinned(NOW):
        c = _client(world["staff"][role])
        assert c.get(reverse("staffing_advisor:tomorrow")).status_code == 403
        assert (
            c.post(reverse("staffing_advisor:apply", kwargs={"day": MONDAY.isoformat()})).status_code == 403
        )


def test_another_communes_leader_sees_only_their_own_commune(world: dict[str, Any]) -> None:
    other = make_commune(20210, "Phường Khác", "H48.20210")
    leader_b = make_staff(other, prefix="b_")["leader"]
    with clock.pinned(NOW):
        r = _client(leader_b).get(reverse("staffing_advisor:day", kwargs={"day": MONDAY.isoformat()}))
        assert r.status_code == 200
        assert "Đất đai" not in r.content.decode() and "Ong An" not in r.content.decode()
        _client(leader_b).post(reverse("staffing_advisor:apply", kwargs={"day": MONDAY.isoformat()}))
    assert not PlanSlot.objects.filter(commune=world["commune"]).exists()


def test_days_beyond_two_weeks_or_malformed_are_not_found(world: dict[str, Any]) -> None:
    c = _client(world["staff"]["leader"])
    with clock.pinned(NOW):
        far = (NOW.date() + dt.timedelta(days=15)).isoformat()
        assert c.get(reverse("staffing_advisor:day", kwargs={"day": far})).status_code == 404
        assert c.get("/nhan-su/du-bao/2026-02-30/").status_code == 404
        assert c.get("/nhan-su/du-bao/2026-03-16%00/").status_code == 404


def test_a_past_day_shows_forecast_against_what_happened(world: dict[str, Any]) -> None:
    with clock.pinned(NOW):
        r = _client(world["staff"]["leader"]).get(
            reverse("staffing_advisor:day", kwargs={"day": "2026-03-09"})
        )
    html = r.content.decode()
    assert r.status_code == 200 and "Thực tế" in html
    assert "Áp dụng cho ngày" not in html


def test_a_holiday_forecasts_nobody(world: dict[str, Any]) -> None:
    with clock.pinned(NOW):
        r = _client(world["staff"]["leader"]).get(
            reverse("staffing_advisor:day", kwargs={"day": "2026-03-14"})
        )
    assert "là ngày nghỉ" in r.content.decode()


def test_the_recommendation_meets_the_target_in_the_simulation(world: dict[str, Any]) -> None:
    # Only counter 1 serves land: today's staffing is one counter for a load of 4 erlangs.
    for c in world["counters"][1:]:
        c.active = False
        c.save()
    advice = advise(commune=world["commune"], day=MONDAY, today=NOW.date(), runs=10)
    b = next(ga for ga in advice.groups if ga.letter == "B")
    assert max(b.current.values()) == 1
    cur, adv = advice.simulations["current"], advice.simulations["advised"]
    assert cur.runs == adv.runs == 10
    assert adv.day_within[b.group_id].mean > cur.day_within[b.group_id].mean
    assert adv.day_wait_min[b.group_id].mean < cur.day_wait_min[b.group_id].mean
    # the recommendation meets 80 % within 15 minutes, within the simulation's interval
    assert adv.day_within[b.group_id].high >= 0.8
    w = adv.within[(b.group_id, dt.time(8, 0))]
    assert w.low <= w.mean <= w.high
    # the plan can seat someone at the one land counter only: no better than today
    plan = advice.simulations["plan"]
    assert {r.counter_id for r in advice.plan} == {world["counters"][0].pk}
    assert plan.day_within[b.group_id].mean < adv.day_within[b.group_id].mean
    assert any(reason == "counters" for _, _, _, reason in advice.short)
