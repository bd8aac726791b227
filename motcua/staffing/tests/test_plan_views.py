"""The day's plan screens: the grid (slots, coverage, gaps, «now», the counters' current officer),
the forms (each change recorded, bad input a Vietnamese message, never a 500), who may."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from motcua.core import clock
from motcua.org.models import Department, DepartmentKind, Role
from motcua.queueing.models import CounterHours
from motcua.staffing import plan as P
from motcua.staffing.models import PlanChange, PlanSlot, SlotKind
from motcua.testing import make_commune, make_counter, make_service_groups, make_staff, make_user

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = dt.datetime(2026, 3, 10, 9, 40, tzinfo=TZ)
DAY = "2026-03-10"


@pytest.fixture(autouse=True)
def _clock():
    with clock.pinned(NOW):
        yield


@pytest.fixture
def w():
    commune = make_commune()
    groups = make_service_groups(commune)
    staff = make_staff(commune)
    staff["counter2"] = make_user(commune, Role.COUNTER_OFFICER, "motcua2", DepartmentKind.SERVICE_CENTER)
    c1 = make_counter(commune, 1, "A", officer=staff["counter2"])
    c2 = make_counter(commune, 2, "B")
    CounterHours.objects.create(counter=c2, group=groups["B"], starts=dt.time(13, 30), ends=dt.time(17, 0))
    P.plan_add(actor=staff["leader"], officer=staff["counter"], day=NOW.date(), starts=dt.time(7, 30),
               ends=dt.time(11, 30), kind=SlotKind.COUNTER, counter=c1, now=NOW)  # fmt: skip
    return {"commune": commune, "staff": staff, "c1": c1, "c2": c2}


def test_the_grid_shows_slots_coverage_gaps_now_and_the_counters_disagreement(client, w):
    client.force_login(w["staff"]["leader"])
    page = client.get("/nhan-su/lich/").content.decode()
    assert "Lịch làm việc ngày 10/03/2026 (hôm nay)" in page
    assert "07:30–11:30 Quầy 1" in page
    assert page.count(">Q1<") == 8  # 07:30 … 11:00
    assert "(bây giờ)" in page  # 09:30 column
    grid = P.day_grid(commune=w["commune"], day=NOW.date(), now=NOW)
    c1_row, c2_row = grid.counters
    assert grid.now_column == 5
    # counter 1 serves all day: staffed 07:30–11:30, a gap in the other 13 half hours
    assert [c.css for c in c1_row.cells].count("staffed") == 8 and c1_row.gaps == 13
    # counter 2 opens only 13:30–17:00: 7 gaps, closed otherwise
    assert c2_row.gaps == 7 and c2_row.cells[0].css == "closed"
    # the counter screen has motcua2 at counter 1, the plan motcua
    assert [(m.counter.number, m.planned.username, m.seated.username) for m in grid.mismatches] == [
        (1, "motcua", "motcua2")
    ]
    assert "Đang ngồi (màn hình quầy)" in page


def test_the_grid_takes_a_fixed_number_of_queries(client, w, django_assert_max_num_queries):
    for n in range(3, 9):
        officer = make_user(w["commune"], Role.COUNTER_OFFICER, f"extra{n}", DepartmentKind.SERVICE_CENTER)
        counter = make_counter(w["commune"], n, "A")
        P.plan_add(actor=w["staff"]["leader"], officer=officer, day=NOW.date(), starts=dt.time(13, 0),
                   ends=dt.time(17, 0), kind=SlotKind.COUNTER, counter=counter, now=NOW)  # fmt: skip
    client.force_login(w["staff"]["leader"])
    with django_assert_max_num_queries(15):
        assert client.get(f"/nhan-su/lich/{DAY}/").status_code == 200


def test_add_through_the_form_is_recorded_and_shown_in_the_history(client, w):
    client.force_login(w["staff"]["leader"])
    response = client.post(f"/nhan-su/lich/{DAY}/them/", {
        "officer": w["staff"]["counter2"].pk, "kind": "COUNTER", "counter": w["c2"].pk,
        "starts": "13:30", "ends": "17:00", "reason": "Ca chiều đất đai",
    })  # fmt: skip
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Đã thêm ca cho Motcua2." in page
    assert "Ca chiều đất đai" in page and "13:30–17:00 Quầy 2" in page
    assert PlanChange.objects.filter(officer=w["staff"]["counter2"], action="ADD").count() == 1


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"starts": "10:00", "ends": "11:00", "counter": "c1"}, 409, "Quầy 1 đã có"),
        ({"starts": "06:00", "ends": "08:00"}, 422, "Ca làm việc phải nằm trong ngày"),
        ({"starts": "8h", "ends": "09:00"}, 422, "Giờ bắt đầu phải là giờ:phút"),
        ({"note": "a\x00"}, 422, "Ghi chú có ký tự không hợp lệ"),
        ({"reason": "x" * 301}, 422, "Lý do dài quá 300 ký tự"),
        ({"officer": "abc"}, 422, "Chưa chọn cán bộ"),
        ({"counter": "\x00"}, 422, "Quầy có ký tự không hợp lệ"),
    ],
)
def test_bad_input_gives_a_message_not_a_500(client, w, data, status, message):
    client.force_login(w["staff"]["leader"])
    form = {"officer": w["staff"]["counter2"].pk, "kind": "COUNTER", "counter": w["c2"].pk,
            "starts": "13:30", "ends": "17:00"}  # fmt: skip
    form.update(data)
    if form["counter"] == "c1":
        form["counter"] = w["c1"].pk
    response = client.post(f"/nhan-su/lich/{DAY}/them/", form)
    assert response.status_code == status
    assert message in response.content.decode()
    assert not PlanSlot.objects.filter(officer=w["staff"]["counter2"]).exists()


def test_another_communes_counter_or_officer_is_refused(client, w):
    other = make_commune(20305, "Phường An Khê", "H48.20305")
    stranger = make_user(other, Role.COUNTER_OFFICER, "ak_motcua")
    foreign = make_counter(other, 1, "")
    client.force_login(w["staff"]["leader"])
    form = {
        "officer": stranger.pk,
        "kind": "COUNTER",
        "counter": w["c2"].pk,
        "starts": "13:30",
        "ends": "17:00",
    }
    assert client.post(f"/nhan-su/lich/{DAY}/them/", form).status_code == 422
    form.update(officer=w["staff"]["counter2"].pk, counter=foreign.pk)
    assert client.post(f"/nhan-su/lich/{DAY}/them/", form).status_code == 422
    assert PlanSlot.objects.count() == 1


def test_edit_and_remove_a_slot(client, w):
    slot = PlanSlot.objects.get()
    client.force_login(w["staff"]["leader"])
    assert "Ca của Motcua" in client.get(f"/nhan-su/lich/ca/{slot.pk}/").content.decode()
    response = client.post(f"/nhan-su/lich/ca/{slot.pk}/", {
        "kind": "COUNTER", "counter": w["c1"].pk, "starts": "08:00", "ends": "11:30", "reason": "Đến muộn",
    })  # fmt: skip
    assert response.status_code == 302
    slot.refresh_from_db()
    assert slot.starts == dt.time(8, 0)
    assert client.post(f"/nhan-su/lich/ca/{slot.pk}/xoa/", {"reason": "Hủy"}).status_code == 302
    assert [c.action for c in PlanChange.objects.order_by("id")] == ["ADD", "CHANGE", "REMOVE"]


def test_absent_and_copy_forms(client, w):
    client.force_login(w["staff"]["leader"])
    response = client.post(f"/nhan-su/lich/{DAY}/vang/", {"officer": w["staff"]["counter"].pk,
                                                          "whole_day": "1", "reason": "Ốm"})  # fmt: skip
    assert response.status_code == 302
    assert PlanSlot.objects.get().kind == SlotKind.ABSENT
    P.plan_add(actor=w["staff"]["leader"], officer=w["staff"]["counter2"], day=NOW.date(), starts=dt.time(13, 30),
               ends=dt.time(17, 0), kind=SlotKind.COUNTER, counter=w["c2"], now=NOW)  # fmt: skip
    response = client.post("/nhan-su/lich/2026-03-11/sao-chep/", {"source": "hom-qua"}, follow=True)
    assert "Đã sao chép 1 ca từ hôm qua (bỏ qua 1 ca không còn hợp lệ)." in response.content.decode()
    # An absence is of its day: it is not copied; the counter slot is.
    copied = PlanSlot.objects.filter(day=dt.date(2026, 3, 11))
    assert [(s.officer_id, s.kind) for s in copied] == [(w["staff"]["counter2"].pk, SlotKind.COUNTER)]
    assert client.post("/nhan-su/lich/2026-03-11/sao-chep/", {"source": "hom-qua"}).status_code == 409
    assert client.post("/nhan-su/lich/2026-03-12/sao-chep/", {"source": "x"}).status_code == 422


def test_a_past_day_is_read_only(client, w):
    client.force_login(w["staff"]["leader"])
    page = client.get("/nhan-su/lich/2026-03-09/").content.decode()
    assert "Ngày đã qua: lịch chỉ để xem." in page
    form = {"officer": w["staff"]["counter2"].pk, "kind": "COUNTER", "counter": w["c2"].pk,
            "starts": "13:30", "ends": "17:00"}  # fmt: skip
    assert client.post("/nhan-su/lich/2026-03-09/them/", form).status_code == 422


def test_access(client, w):
    staff = w["staff"]
    head_sc = make_user(w["commune"], Role.DEPARTMENT_HEAD, "tp_motcua", DepartmentKind.SERVICE_CENTER)
    slot = PlanSlot.objects.get()
    for user in (staff["leader"], staff["head_econ"], head_sc):
        client.force_login(user)
        assert client.get(f"/nhan-su/lich/{DAY}/").status_code == 200
    for user in (staff["counter"], staff["specialist_office"], staff["admin"]):
        client.force_login(user)
        assert client.get(f"/nhan-su/lich/{DAY}/").status_code == 403
        assert client.get(f"/nhan-su/lich/ca/{slot.pk}/").status_code == 404
        assert client.post(f"/nhan-su/lich/{DAY}/vang/", {"officer": staff["counter"].pk}).status_code == 403
    # the economic department's head may not touch a counter slot
    client.force_login(staff["head_econ"])
    assert client.post(f"/nhan-su/lich/ca/{slot.pk}/xoa/").status_code == 403
    econ = Department.objects.get(commune=w["commune"], kind=DepartmentKind.ECONOMIC)
    response = client.post(f"/nhan-su/lich/{DAY}/them/", {
        "officer": staff["specialist_econ"].pk, "kind": "DEPARTMENT", "department": econ.pk,
        "starts": "07:30", "ends": "11:30",
    })  # fmt: skip
    assert response.status_code == 302
    # another commune's leader sees nothing of this slot
    other = make_commune(20305, "Phường An Khê", "H48.20305")
    client.force_login(make_user(other, Role.COMMUNE_LEADER, "ak_chutich"))
    assert client.get(f"/nhan-su/lich/ca/{slot.pk}/").status_code == 404
    assert "Motcua" not in client.get(f"/nhan-su/lich/{DAY}/").content.decode()
    client.logout()
    assert client.get(f"/nhan-su/lich/{DAY}/").status_code == 302


def test_my_day(client, w):
    client.force_login(w["staff"]["counter"])
    page = client.get("/nhan-su/lich/cua-toi/").content.decode()
    assert "Lịch của tôi — ngày 10/03/2026" in page and "Quầy 1" in page
    assert "chưa được xếp lịch" in client.get("/nhan-su/lich/cua-toi/?ngay=2026-03-11").content.decode()
    assert client.get("/nhan-su/lich/cua-toi/?ngay=x\x00").status_code == 200
    client.force_login(w["staff"]["counter2"])
    assert "chưa được xếp lịch" in client.get("/nhan-su/lich/cua-toi/").content.decode()


def test_the_hub_links_the_plan(client, w):
    client.force_login(w["staff"]["leader"])
    page = client.get("/nhan-su/").content.decode()
    assert 'href="/nhan-su/lich/"' in page and 'href="/nhan-su/lich/cua-toi/"' in page
    client.force_login(w["staff"]["counter"])
    page = client.get("/nhan-su/").content.decode()
    assert 'href="/nhan-su/lich/"' not in page and 'href="/nhan-su/lich/cua-toi/"' in page


def test_dates_out_of_range_are_not_found_not_a_500(client, w):
    client.force_login(w["staff"]["leader"])
    for day in ("9999-12-31", "0001-01-01", "2026-02-30"):
        assert client.get(f"/nhan-su/lich/{day}/").status_code == 404
        assert (
            client.post(f"/nhan-su/lich/{day}/vang/", {"officer": w["staff"]["counter"].pk}).status_code
            == 404
        )
    page = client.get("/nhan-su/lich/cua-toi/?ngay=9999-12-31")
    assert page.status_code == 200 and "10/03/2026" in page.content.decode()


def test_superscript_digits_as_ids_are_a_message_not_a_500(client, w):
    """«²».isdigit() is true but int("²") fails: ids are ASCII digits only."""
    client.force_login(w["staff"]["leader"])
    base = {"officer": w["staff"]["counter2"].pk, "kind": "COUNTER", "counter": w["c2"].pk,
            "starts": "13:30", "ends": "17:00"}  # fmt: skip
    for key in ("officer", "counter"):
        response = client.post(f"/nhan-su/lich/{DAY}/them/", base | {key: "²"})
        assert response.status_code == 422
        assert "Chưa chọn" in response.content.decode()
    response = client.post(f"/nhan-su/lich/{DAY}/them/", base | {"officer": "99999999999"})
    assert response.status_code == 422


def test_the_grid_page_names_why_a_planned_counter_is_empty(client, w):
    client.force_login(w["staff"]["leader"])
    w["staff"]["counter"].__class__.objects.filter(pk=w["staff"]["counter"].pk).update(is_active=False)
    page = client.get("/nhan-su/lich/").content.decode()
    assert 'class="cell-gap-gone' in page
    assert "Trống vì Quầy 1: Motcua đã nghỉ (tài khoản bị khóa)." in page
