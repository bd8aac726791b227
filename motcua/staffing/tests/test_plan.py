"""The day's plan's services: every change recorded, overlaps and double bookings refused, who may."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from motcua.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from motcua.org.models import Department, DepartmentKind, Role
from motcua.staffing import plan as P
from motcua.staffing.models import Alert, AlertKind, PlanChange, PlanSlot, SlotKind
from motcua.testing import make_commune, make_counter, make_service_groups, make_staff, make_user

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = dt.date(2026, 3, 10)
NOW = dt.datetime(2026, 3, 10, 7, 0, tzinfo=TZ)


def t(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


@pytest.fixture
def w():
    commune = make_commune()
    make_service_groups(commune)
    staff = make_staff(commune)
    staff["head_sc"] = make_user(commune, Role.DEPARTMENT_HEAD, "tp_motcua", DepartmentKind.SERVICE_CENTER)
    staff["counter2"] = make_user(commune, Role.COUNTER_OFFICER, "motcua2", DepartmentKind.SERVICE_CENTER)
    counters = [make_counter(commune, n, "AB") for n in (1, 2)]
    econ = Department.objects.get(commune=commune, kind=DepartmentKind.ECONOMIC)
    other = make_commune(20305, "Phường An Khê", "H48.20305")
    return {"commune": commune, "staff": staff, "counters": counters, "econ": econ, "other": other}


def add(w, officer, starts="07:30", ends="11:30", counter=0, actor="leader", **kw):
    return P.plan_add(
        actor=w["staff"][actor], officer=w["staff"][officer], day=DAY, starts=t(starts), ends=t(ends),
        kind=kw.pop("kind", SlotKind.COUNTER), counter=w["counters"][counter] if counter is not None else None,
        now=NOW, **kw,
    )  # fmt: skip


def test_add_records_a_change_with_before_and_after(w):
    slot = add(w, "counter", reason="Ca sáng")
    change = PlanChange.objects.get()
    assert (change.action, change.officer, change.by, change.at, change.reason) == (
        "ADD", w["staff"]["counter"], w["staff"]["leader"], NOW, "Ca sáng",
    )  # fmt: skip
    assert change.before == []
    after = change.after or []
    assert after[0]["id"] == slot.pk and after[0]["counter"] == 1
    assert P.describe(after[0]) == "07:30–11:30 Quầy 1"


def test_overlapping_slots_of_one_officer_are_refused(w):
    add(w, "counter")
    with pytest.raises(Conflict, match="trùng giờ"):
        add(w, "counter", "11:00", "12:00", counter=1)
    add(w, "counter", "11:30", "12:00", counter=1)  # touching is fine
    assert PlanSlot.objects.count() == 2


def test_a_counter_held_by_two_officers_at_once_is_refused(w):
    add(w, "counter")
    with pytest.raises(Conflict, match="Quầy 1 đã có"):
        add(w, "counter2", "09:00", "10:00")
    assert PlanChange.objects.count() == 1


@pytest.mark.parametrize(("starts", "ends"), [("06:30", "08:00"), ("17:00", "18:00"), ("10:00", "09:00")])
def test_times_must_lie_within_the_day(w, starts, ends):
    with pytest.raises(ValidationFailed):
        add(w, "counter", starts, ends)


def test_past_days_are_not_edited(w):
    with pytest.raises(ValidationFailed, match="đã qua"):
        P.plan_add(actor=w["staff"]["leader"], officer=w["staff"]["counter"], day=DAY - dt.timedelta(days=1),
                   starts=t("08:00"), ends=t("09:00"), kind=SlotKind.COUNTER, counter=w["counters"][0], now=NOW)  # fmt: skip


def test_officer_counter_and_department_of_another_commune_are_refused(w):
    stranger = make_user(w["other"], Role.COUNTER_OFFICER, "ak_motcua")
    foreign_counter = make_counter(w["other"], 1, "")
    foreign_dept = Department.objects.get(commune=w["other"], kind=DepartmentKind.ECONOMIC)
    leader = w["staff"]["leader"]
    with pytest.raises(ValidationFailed, match="Cán bộ"):
        P.plan_add(actor=leader, officer=stranger, day=DAY, starts=t("08:00"), ends=t("09:00"),
                   kind=SlotKind.COUNTER, counter=w["counters"][0], now=NOW)  # fmt: skip
    with pytest.raises(ValidationFailed, match="Quầy"):
        P.plan_add(actor=leader, officer=w["staff"]["counter"], day=DAY, starts=t("08:00"), ends=t("09:00"),
                   kind=SlotKind.COUNTER, counter=foreign_counter, now=NOW)  # fmt: skip
    with pytest.raises(ValidationFailed, match="Phòng"):
        P.plan_add(actor=leader, officer=w["staff"]["counter"], day=DAY, starts=t("08:00"), ends=t("09:00"),
                   kind=SlotKind.DEPARTMENT, department=foreign_dept, now=NOW)  # fmt: skip
    assert not PlanSlot.objects.exists()


@pytest.mark.parametrize(("note", "message"), [("a\x00b", "ký tự không hợp lệ"), ("x" * 301, "dài quá 300")])
def test_nul_or_over_long_note_is_refused(w, note, message):
    with pytest.raises(ValidationFailed, match=message):
        add(w, "counter", note=note)


def test_who_may_edit(w):
    # the head of the one-stop department edits counter slots
    add(w, "counter", actor="head_sc")
    # another department head: only their own people, only department or absent slots
    with pytest.raises(NotAllowed):
        add(w, "specialist_econ", counter=1, actor="head_econ")
    with pytest.raises(NotAllowed):
        add(w, "counter2", kind=SlotKind.DEPARTMENT, counter=None, department=w["econ"], actor="head_econ")
    add(w, "specialist_econ", kind=SlotKind.DEPARTMENT, counter=None, department=w["econ"], actor="head_econ")
    for role in ("counter", "specialist_office", "admin"):
        with pytest.raises(NotAllowed):
            add(w, "counter2", "13:00", "14:00", counter=1, actor=role)


def test_a_department_head_marks_own_person_absent_but_not_a_counter_officer(w):
    P.plan_mark_absent(actor=w["staff"]["head_econ"], officer=w["staff"]["specialist_econ"], day=DAY,
                       reason="Ốm", now=NOW)  # fmt: skip
    with pytest.raises(NotAllowed):
        P.plan_mark_absent(actor=w["staff"]["head_econ"], officer=w["staff"]["counter"], day=DAY, now=NOW)


def test_change_and_remove_are_recorded(w):
    slot = add(w, "counter")
    P.plan_change(actor=w["staff"]["leader"], slot=slot, starts=t("08:00"), ends=t("11:00"),
                  kind=SlotKind.COUNTER, counter=w["counters"][1], reason="Đổi quầy", now=NOW)  # fmt: skip
    slot.refresh_from_db()
    assert (slot.starts, slot.counter) == (t("08:00"), w["counters"][1])
    P.plan_remove(actor=w["staff"]["leader"], slot=slot, reason="Nghỉ", now=NOW)
    changes = list(PlanChange.objects.order_by("id"))
    assert [c.action for c in changes] == ["ADD", "CHANGE", "REMOVE"]
    assert P.describe((changes[1].before or [])[0]) == "07:30–11:30 Quầy 1"
    assert P.describe((changes[1].after or [])[0]) == "08:00–11:00 Quầy 2"
    assert changes[2].after == []
    assert not PlanSlot.objects.exists()


def test_change_refuses_an_overlap_with_another_slot_of_the_officer(w):
    add(w, "counter")
    second = add(w, "counter", "13:00", "17:00")
    with pytest.raises(Conflict):
        P.plan_change(actor=w["staff"]["leader"], slot=second, starts=t("11:00"), ends=t("17:00"),
                      kind=SlotKind.COUNTER, counter=w["counters"][0], now=NOW)  # fmt: skip


def test_absent_for_a_stretch_splits_the_officers_slot(w):
    add(w, "counter", "07:30", "17:00")
    P.plan_mark_absent(actor=w["staff"]["leader"], officer=w["staff"]["counter"], day=DAY,
                       starts=t("09:00"), ends=t("10:00"), reason="Đi khám bệnh", now=NOW)  # fmt: skip
    got = [(s.starts, s.ends, s.kind) for s in P.plan_of_day(commune=w["commune"], day=DAY)]
    assert got == [
        (t("07:30"), t("09:00"), SlotKind.COUNTER),
        (t("09:00"), t("10:00"), SlotKind.ABSENT),
        (t("10:00"), t("17:00"), SlotKind.COUNTER),
    ]
    assert PlanChange.objects.filter(action="ABSENT").count() == 1


def test_absent_for_the_day_replaces_every_slot(w):
    add(w, "counter")
    add(w, "counter", "13:00", "17:00")
    P.plan_mark_absent(actor=w["staff"]["leader"], officer=w["staff"]["counter"], day=DAY, now=NOW)
    assert [(s.starts, s.ends, s.kind) for s in PlanSlot.objects.all()] == [
        (P.DAY_START, P.DAY_END, SlotKind.ABSENT)
    ]


def test_plan_move_cuts_the_officers_slots_and_links_the_alert(w):
    add(w, "counter", "07:30", "17:00")
    alert = Alert.objects.create(
        commune=w["commune"], kind=AlertKind.QUEUE, message="Hàng chờ B", raised_at=NOW
    )
    slot = P.plan_move(actor=w["staff"]["leader"], officer=w["staff"]["counter"], day=DAY, starts=t("10:00"),
                       ends=t("11:00"), counter=w["counters"][1], reason="Hỗ trợ đất đai", now=NOW,
                       alert=alert)  # fmt: skip
    got = [
        (s.starts, s.ends, s.counter and s.counter.number)
        for s in P.plan_of_day(commune=w["commune"], day=DAY)
    ]
    assert got == [(t("07:30"), t("10:00"), 1), (t("10:00"), t("11:00"), 2), (t("11:00"), t("17:00"), 1)]
    change = PlanChange.objects.get(action="MOVE")
    assert change.alert == alert and change.reason == "Hỗ trợ đất đai" and slot.counter == w["counters"][1]
    assert len(change.before or []) == 1 and len(change.after or []) == 3


def test_plan_move_refuses_a_held_counter_and_an_absent_officer(w):
    add(w, "counter2", "07:30", "17:00", counter=1)
    with pytest.raises(Conflict, match="Quầy 2"):
        P.plan_move(actor=w["staff"]["leader"], officer=w["staff"]["counter"], day=DAY, starts=t("10:00"),
                    ends=t("11:00"), counter=w["counters"][1], reason="", now=NOW)  # fmt: skip
    P.plan_mark_absent(actor=w["staff"]["leader"], officer=w["staff"]["counter"], day=DAY, now=NOW)
    with pytest.raises(Conflict, match="vắng"):
        P.plan_move(actor=w["staff"]["leader"], officer=w["staff"]["counter"], day=DAY, starts=t("10:00"),
                    ends=t("11:00"), counter=w["counters"][0], reason="", now=NOW)  # fmt: skip


def test_plan_move_refuses_an_alert_of_another_commune(w):
    alert = Alert.objects.create(commune=w["other"], kind=AlertKind.QUEUE, message="x", raised_at=NOW)
    with pytest.raises(NotFound):
        P.plan_move(actor=w["staff"]["leader"], officer=w["staff"]["counter"], day=DAY, starts=t("10:00"),
                    ends=t("11:00"), counter=w["counters"][0], reason="", now=NOW, alert=alert)  # fmt: skip


def test_plan_replace_day_keeps_absences_and_records_each_officer(w):
    add(w, "counter")
    add(w, "specialist_econ", kind=SlotKind.DEPARTMENT, counter=None, department=w["econ"])
    P.plan_mark_absent(actor=w["staff"]["leader"], officer=w["staff"]["counter2"], day=DAY, now=NOW)
    specs = [
        P.SlotSpec(w["staff"]["counter"].pk, t("07:30"), t("11:30"), w["counters"][1].pk),
        P.SlotSpec(w["staff"]["specialist_econ"].pk, t("09:00"), t("10:00"), w["counters"][0].pk),
    ]
    changed = P.plan_replace_day(actor=w["staff"]["leader"], commune=w["commune"], day=DAY, slots=specs,
                                 reason="Theo đề xuất", now=NOW)  # fmt: skip
    assert changed == 2
    slots = {(s.officer.username, s.starts, s.kind, s.counter_id) for s in PlanSlot.objects.all()}
    assert slots == {
        ("motcua", t("07:30"), SlotKind.COUNTER, w["counters"][1].pk),
        ("motcua2", P.DAY_START, SlotKind.ABSENT, None),
        ("cv_kinhte", t("07:30"), SlotKind.DEPARTMENT, None),
        ("cv_kinhte", t("09:00"), SlotKind.COUNTER, w["counters"][0].pk),
        ("cv_kinhte", t("10:00"), SlotKind.DEPARTMENT, None),
    }
    assert PlanChange.objects.filter(action="REPLACE").count() == 2


def test_plan_replace_day_refuses_an_absent_officer_or_a_double_booking_whole(w):
    P.plan_mark_absent(actor=w["staff"]["leader"], officer=w["staff"]["counter2"], day=DAY, now=NOW)
    add(w, "counter")
    bad = [P.SlotSpec(w["staff"]["counter2"].pk, t("07:30"), t("11:30"), w["counters"][1].pk)]
    with pytest.raises(Conflict):
        P.plan_replace_day(
            actor=w["staff"]["leader"], commune=w["commune"], day=DAY, slots=bad, reason="", now=NOW
        )
    twice = [
        P.SlotSpec(w["staff"]["counter"].pk, t("07:30"), t("11:30"), w["counters"][1].pk),
        P.SlotSpec(w["staff"]["specialist_econ"].pk, t("11:00"), t("12:00"), w["counters"][1].pk),
    ]
    with pytest.raises(ValidationFailed):
        P.plan_replace_day(
            actor=w["staff"]["leader"], commune=w["commune"], day=DAY, slots=twice, reason="", now=NOW
        )
    assert PlanSlot.objects.filter(kind=SlotKind.COUNTER).get().counter == w["counters"][0]
    with pytest.raises(NotAllowed):
        P.plan_replace_day(
            actor=w["staff"]["head_econ"], commune=w["commune"], day=DAY, slots=[], reason="", now=NOW
        )


def test_copy_from_last_week_onto_an_empty_day(w):
    last_week = DAY - dt.timedelta(days=7)
    PlanSlot.objects.create(commune=w["commune"], day=last_week, officer=w["staff"]["counter"], starts=t("07:30"),
                            ends=t("11:30"), kind=SlotKind.COUNTER, counter=w["counters"][0], created_at=NOW)  # fmt: skip
    result = P.plan_copy(actor=w["staff"]["leader"], day=DAY, source=last_week, now=NOW)
    assert (result.copied, result.skipped) == (1, 0)
    assert PlanSlot.objects.filter(day=DAY).count() == 1
    assert PlanChange.objects.get().action == "COPY"
    with pytest.raises(Conflict):
        P.plan_copy(actor=w["staff"]["leader"], day=DAY, source=last_week, now=NOW)
    with pytest.raises(NotAllowed):
        P.plan_copy(actor=w["staff"]["head_econ"], day=DAY + dt.timedelta(days=1), source=last_week, now=NOW)


def test_who_is_where_at_a_moment(w):
    first = add(w, "counter")
    add(w, "counter2", "09:00", "10:00", counter=1)
    at = dt.datetime(2026, 3, 10, 9, 30, tzinfo=TZ)
    where = P.who_is_where(commune=w["commune"], at=at)
    assert where[w["staff"]["counter"].pk] == first
    assert where[w["staff"]["counter2"].pk].counter == w["counters"][1]
    assert P.who_is_where(commune=w["commune"], at=at.replace(hour=10)).keys() == {w["staff"]["counter"].pk}


# ---- review findings (issue 11): officers gone, the copy, the re-check under the lock ----------


def _deactivate(user):
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    user.refresh_from_db()


def test_a_deactivated_or_moved_out_officers_counter_slot_is_a_gap_with_the_reason(w):
    tomorrow = DAY + dt.timedelta(days=1)
    for officer, counter in (("counter", 0), ("counter2", 1)):
        P.plan_add(actor=w["staff"]["leader"], officer=w["staff"][officer], day=tomorrow, starts=t("07:00"),
                   ends=t("17:30"), kind=SlotKind.COUNTER, counter=w["counters"][counter], now=NOW)  # fmt: skip
    grid = P.day_grid(commune=w["commune"], day=tomorrow, now=NOW)
    assert grid.gap_count == 0
    _deactivate(w["staff"]["counter"])
    type(w["staff"]["counter2"]).objects.filter(pk=w["staff"]["counter2"].pk).update(commune=w["other"])
    grid = P.day_grid(commune=w["commune"], day=tomorrow, now=NOW)
    first, second = grid.counters
    assert first.gaps == second.gaps == 21 and grid.gap_count == 42
    assert {c.css for c in first.cells} == {"gap-gone"}
    assert "đã nghỉ" in first.cells[0].reason
    assert "không còn thuộc xã/phường này" in second.cells[0].reason
    assert len(grid.gone_notes) == 2
    # The counter is free to be booked again by someone still here.
    w["staff"]["leader"].refresh_from_db()
    slot = P.plan_add(actor=w["staff"]["leader"], officer=w["staff"]["head_sc"], day=tomorrow,
                      starts=t("08:00"), ends=t("09:00"), kind=SlotKind.COUNTER, counter=w["counters"][0],
                      now=NOW)  # fmt: skip
    assert slot.counter_id == w["counters"][0].pk


def test_no_change_is_accepted_for_an_inactive_officer(w):
    slot = add(w, "counter")
    _deactivate(w["staff"]["counter"])
    slot = PlanSlot.objects.select_related("officer").get(pk=slot.pk)
    leader = w["staff"]["leader"]
    with pytest.raises(ValidationFailed, match="đã nghỉ"):
        P.plan_change(actor=leader, slot=slot, starts=t("08:00"), ends=t("09:00"), kind=SlotKind.COUNTER,
                      counter=w["counters"][0], now=NOW)  # fmt: skip
    with pytest.raises(ValidationFailed, match="đã nghỉ"):
        P.plan_remove(actor=leader, slot=slot, now=NOW)
    with pytest.raises(ValidationFailed, match="đã nghỉ"):
        add(w, "counter", starts="13:30", ends="15:00", counter=1)
    with pytest.raises(ValidationFailed, match="đã nghỉ"):
        P.plan_move(actor=leader, officer=w["staff"]["counter"], day=DAY, starts=t("13:30"), ends=t("15:00"),
                    counter=w["counters"][1], reason="x", now=NOW)  # fmt: skip
    with pytest.raises(ValidationFailed, match="đã nghỉ"):
        P.plan_replace_day(actor=leader, commune=w["commune"], day=DAY, reason="x", now=NOW, slots=[
            P.SlotSpec(officer_id=w["staff"]["counter"].pk, starts=t("13:30"), ends=t("15:00"),
                       counter_id=w["counters"][1].pk)])  # fmt: skip
    assert PlanSlot.objects.count() == 1


def test_an_officer_deactivated_between_the_read_and_the_lock_is_refused(w):
    """The officer's row is read again under the lock: a stale (active) object does not pass."""
    stale = w["staff"]["counter"]
    type(stale).objects.filter(pk=stale.pk).update(is_active=False)
    assert stale.is_active  # the caller's copy is stale
    with pytest.raises(ValidationFailed, match="đã nghỉ"):
        P.plan_mark_absent(actor=w["staff"]["leader"], officer=stale, day=DAY, now=NOW)
    with pytest.raises(ValidationFailed, match="đã nghỉ"):
        add(w, "counter")
    assert not PlanSlot.objects.exists()


def test_copy_skips_absences_former_departments_and_officers_gone(w):
    staff, leader = w["staff"], w["staff"]["leader"]
    office = Department.objects.get(commune=w["commune"], kind=DepartmentKind.OFFICE)
    P.plan_mark_absent(actor=leader, officer=staff["counter"], day=DAY, reason="Ốm", now=NOW)
    add(w, "counter2", counter=1)
    dept = {"kind": SlotKind.DEPARTMENT, "counter": None, "department": w["econ"]}
    add(w, "specialist_econ", **dept)
    add(w, "head_econ", **dept)
    add(w, "head_sc", starts="13:30", ends="17:00")
    # Since: the specialist moved to the office, the economic head left, the one-stop head moved out.
    type(leader).objects.filter(pk=staff["specialist_econ"].pk).update(department=office)
    _deactivate(staff["head_econ"])
    type(leader).objects.filter(pk=staff["head_sc"].pk).update(commune=w["other"])
    result = P.plan_copy(actor=leader, day=DAY + dt.timedelta(days=1), source=DAY, now=NOW)
    assert (result.copied, result.skipped) == (1, 4)
    copied = PlanSlot.objects.filter(day=DAY + dt.timedelta(days=1))
    assert [(s.officer_id, s.kind) for s in copied] == [(staff["counter2"].pk, SlotKind.COUNTER)]
    assert list(PlanChange.objects.filter(action=P.Action.COPY).values_list("officer_id", flat=True)) == [
        staff["counter2"].pk
    ]


def test_change_and_remove_check_the_slot_as_it_is_under_the_lock(w):
    """A department head may change their people's DEPARTMENT slots only. A caller holding a stale
    copy (read as DEPARTMENT before someone made it a COUNTER slot) is judged on the fresh row."""
    head = w["staff"]["head_econ"]
    slot = add(w, "specialist_econ", kind=SlotKind.DEPARTMENT, counter=None, department=w["econ"])
    stale = PlanSlot.objects.select_related("officer", "department").get(pk=slot.pk)
    PlanSlot.objects.filter(pk=slot.pk).update(
        kind=SlotKind.COUNTER, counter=w["counters"][0], department=None
    )
    with pytest.raises(NotAllowed):
        P.plan_remove(actor=head, slot=stale, now=NOW)
    with pytest.raises(NotAllowed):
        P.plan_change(actor=head, slot=stale, starts=t("08:00"), ends=t("09:00"), kind=SlotKind.DEPARTMENT,
                      department=w["econ"], now=NOW)  # fmt: skip
    fresh = PlanSlot.objects.get(pk=slot.pk)
    assert (fresh.kind, fresh.starts) == (SlotKind.COUNTER, t("07:30"))
