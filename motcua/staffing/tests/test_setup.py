"""The people set-up (issue 11 §1): positions, skills, trainings, moves, group ↔ field links —
the services' rules and the screens' access."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from motcua.catalog.models import ProcedureField
from motcua.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from motcua.org.models import Department, DepartmentKind, Role
from motcua.staffing import people, setup
from motcua.staffing.models import GroupField, JobPosition, Skill, StaffMove, Training
from motcua.testing import make_commune, make_service_groups, make_staff, make_user

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def world():
    commune = make_commune()
    other = make_commune(code=20212, name="Phường An Khê", agency="H48.20212")
    staff = make_staff(commune)
    staff_b = make_staff(other, prefix="b_")
    land = ProcedureField.objects.create(code="dat-dai", name="Đất đai")
    civil = ProcedureField.objects.create(code="ho-tich", name="Hộ tịch")
    return {"commune": commune, "other": other, "staff": staff, "b": staff_b, "land": land, "civil": civil}


def _dept(commune, kind):
    return Department.objects.get(commune=commune, kind=kind, closed_at__isnull=True)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# ------------------------------------------------------------------------------- positions


def test_position_create_update_close_and_gap(world):
    admin, counter = world["staff"]["admin"], world["staff"]["counter"]
    position = setup.position_create(
        actor=admin,
        name=" Tiếp nhận  và trả kết quả ",
        headcount="10",
        field_ids=[world["civil"].pk],
        now=NOW,
    )
    assert position.name == "Tiếp nhận và trả kết quả"
    assert list(position.fields.all()) == [world["civil"]]
    setup.person_set_position(actor=admin, person_id=counter.pk, position_id=str(position.pk), now=NOW)
    row = people.positions_for(user=admin).get(pk=position.pk)
    assert (row.headcount, row.holders, row.gap) == (10, 1, 9)
    with pytest.raises(Conflict):
        setup.position_create(actor=admin, name="tiếp nhận và trả kết quả", headcount="1", now=NOW)
    setup.position_update(
        actor=admin, position_id=position.pk, name="Một cửa", headcount="1", field_ids=[], now=NOW
    )
    row = people.positions_for(user=admin).get(pk=position.pk)
    assert (row.name, row.gap, row.fields.count()) == ("Một cửa", 0, 0)
    setup.position_close(actor=admin, position_id=position.pk, now=NOW)
    assert JobPosition.objects.filter(pk=position.pk).exists()  # closed, never deleted
    assert not people.positions_for(user=admin).filter(pk=position.pk).exists()
    with pytest.raises(Conflict):
        setup.position_close(actor=admin, position_id=position.pk, now=NOW)
    with pytest.raises(ValidationFailed):  # a closed position takes nobody new
        setup.person_set_position(actor=admin, person_id=counter.pk, position_id=position.pk, now=NOW)
    # the name of a closed position may be used again
    setup.position_create(actor=admin, name="Một cửa", headcount="2", now=NOW)


def test_position_input_refused(world):
    admin = world["staff"]["admin"]
    for kwargs in (
        {"name": "Địa\x00chính", "headcount": "3"},
        {"name": "x" * 151, "headcount": "3"},
        {"name": "", "headcount": "3"},
        {"name": "Địa chính", "headcount": "-1"},
        {"name": "Địa chính", "headcount": "1\x00"},
        {"name": "Địa chính", "headcount": "3", "description": "a\x00"},
        {"name": "Địa chính", "headcount": "3", "field_ids": ["abc"]},
        {"name": "Địa chính", "headcount": "3", "field_ids": ["999999"]},
        {"name": "Địa chính", "headcount": "3", "department_id": str(_dept(world["other"], "ECONOMIC").pk)},
    ):
        with pytest.raises(ValidationFailed):
            setup.position_create(actor=admin, now=NOW, **kwargs)
    assert not JobPosition.objects.exists()


def test_positions_only_for_admin_and_leader_of_the_commune(world):
    s, b = world["staff"], world["b"]
    setup.position_create(actor=s["leader"], name="Văn hóa – xã hội", headcount="3", now=NOW)
    for user in (s["counter"], s["specialist_econ"], s["head_econ"]):
        with pytest.raises(NotAllowed):
            setup.position_create(actor=user, name="Khác", headcount="1", now=NOW)
    position = JobPosition.objects.get()
    with pytest.raises(NotFound):
        setup.position_close(actor=b["admin"], position_id=position.pk, now=NOW)
    assert JobPosition.objects.get().closed_at is None


# ------------------------------------------------------------------------------- skills, trainings


def test_skill_add_change_remove(world):
    admin, officer, land = world["staff"]["admin"], world["staff"]["counter"], world["land"]
    setup.skill_set(actor=admin, person_id=officer.pk, field_id=str(land.pk), level="LEARNING", now=NOW)
    setup.skill_set(actor=admin, person_id=officer.pk, field_id=land.pk, level="CAN", now=NOW)
    assert list(Skill.objects.values_list("level", flat=True)) == ["CAN"]
    with pytest.raises(ValidationFailed):
        setup.skill_set(actor=admin, person_id=officer.pk, field_id=land.pk, level="EXPERT", now=NOW)
    with pytest.raises(ValidationFailed):
        setup.skill_set(actor=admin, person_id=officer.pk, field_id="1\x00", level="CAN", now=NOW)
    with pytest.raises(NotFound):  # another commune's person
        setup.skill_set(
            actor=admin, person_id=world["b"]["counter"].pk, field_id=land.pk, level="CAN", now=NOW
        )
    setup.skill_remove(actor=admin, person_id=officer.pk, field_id=str(land.pk), now=NOW)
    assert not Skill.objects.exists()
    with pytest.raises(NotFound):
        setup.skill_remove(actor=admin, person_id=officer.pk, field_id=str(land.pk), now=NOW)


def test_training_add_and_remove(world):
    admin, officer = world["staff"]["admin"], world["staff"]["counter"]
    training = setup.training_add(
        actor=admin,
        person_id=officer.pk,
        kind="CERTIFICATE",
        name="Bồi dưỡng nghiệp vụ địa chính",
        issuer="Sở Nông nghiệp và Môi trường",
        on="2025-09-15",
        field_id=str(world["land"].pk),
        now=NOW,
    )
    assert training.on == dt.date(2025, 9, 15)
    assert training.field == world["land"]
    typed = setup.training_add(
        actor=admin, person_id=officer.pk, kind="COURSE", name="Tin học", on="01/10/2025", now=NOW
    )
    assert typed.on == dt.date(2025, 10, 1)
    assert typed.field is None
    for kwargs in (
        {"kind": "COURSE", "name": "Tin\x00học", "on": "2025-10-01"},
        {"kind": "COURSE", "name": "x" * 201, "on": "2025-10-01"},
        {"kind": "COURSE", "name": "Tin học", "on": "2025-10-01", "issuer": "y" * 201},
        {"kind": "OTHER", "name": "Tin học", "on": "2025-10-01"},
        {"kind": "COURSE", "name": "Tin học", "on": "ngày mai"},
        {"kind": "COURSE", "name": "Tin học", "on": "2030-01-01"},
        {"kind": "COURSE", "name": "Tin học", "on": "2025-10-01\x00"},
    ):
        with pytest.raises(ValidationFailed):
            setup.training_add(actor=admin, person_id=officer.pk, now=NOW, **kwargs)
    setup.training_remove(actor=admin, person_id=officer.pk, training_id=typed.pk, now=NOW)
    assert list(Training.objects.all()) == [training]
    with pytest.raises(NotFound):  # a training of someone else, through this person's URL
        setup.training_remove(
            actor=world["b"]["admin"], person_id=officer.pk, training_id=training.pk, now=NOW
        )


# ------------------------------------------------------------------------------- moves


def test_move_changes_department_and_records_it(world):
    admin, officer = world["staff"]["admin"], world["staff"]["specialist_econ"]
    econ = _dept(world["commune"], DepartmentKind.ECONOMIC)
    culture = _dept(world["commune"], DepartmentKind.CULTURE_SOCIAL)
    move = setup.staff_move(
        actor=admin,
        person_id=officer.pk,
        on="2025-07-01",
        to_department_id=str(culture.pk),
        reason="Sắp xếp sau hợp nhất",
        now=NOW,
    )
    officer.refresh_from_db()
    assert officer.department == culture
    assert (move.from_department, move.to_department, move.on, move.recorded_by) == (
        econ,
        culture,
        dt.date(2025, 7, 1),
        admin,
    )
    with pytest.raises(ValidationFailed):  # already there
        setup.staff_move(
            actor=admin,
            person_id=officer.pk,
            on="2025-07-02",
            to_department_id=culture.pk,
            reason="",
            now=NOW,
        )


def test_move_refuses_closed_or_foreign_department_and_changes_nothing(world):
    admin, officer = world["staff"]["admin"], world["staff"]["specialist_econ"]
    culture = _dept(world["commune"], DepartmentKind.CULTURE_SOCIAL)
    culture.closed_at = NOW
    culture.save()
    foreign = _dept(world["other"], DepartmentKind.OFFICE)
    for target, reason in (
        (culture.pk, ""),
        (foreign.pk, ""),
        ("", ""),
        ("abc", ""),
        (culture.pk, "x" * 301),
    ):
        with pytest.raises(ValidationFailed):
            setup.staff_move(
                actor=admin,
                person_id=officer.pk,
                on="2025-07-01",
                to_department_id=target,
                reason=reason,
                now=NOW,
            )
    office = _dept(world["commune"], DepartmentKind.OFFICE)
    with pytest.raises(ValidationFailed):
        setup.staff_move(
            actor=admin,
            person_id=officer.pk,
            on="2025-07-01",
            to_department_id=office.pk,
            reason="a\x00b",
            now=NOW,
        )
    officer.refresh_from_db()
    assert officer.department.kind == DepartmentKind.ECONOMIC
    assert not StaffMove.objects.exists()


def test_move_is_one_transaction(world, monkeypatch):
    """If writing the department fails, the move is not recorded either."""
    admin, officer = world["staff"]["admin"], world["staff"]["specialist_econ"]
    office = _dept(world["commune"], DepartmentKind.OFFICE)
    from motcua.org.models import User

    real_save = User.save

    def failing_save(self, *args, **kwargs):
        if kwargs.get("update_fields") == ["department"]:
            raise RuntimeError("disk full")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(User, "save", failing_save)
    with pytest.raises(RuntimeError):
        setup.staff_move(
            actor=admin, person_id=officer.pk, on="2025-07-01", to_department_id=office.pk, reason="", now=NOW
        )
    monkeypatch.undo()
    officer.refresh_from_db()
    assert officer.department.kind == DepartmentKind.ECONOMIC
    assert not StaffMove.objects.exists()


# ------------------------------------------------------------------------------- groups ↔ fields


def test_group_fields_set_exactly(world):
    admin = world["staff"]["admin"]
    groups = make_service_groups(world["commune"])
    land, civil = world["land"], world["civil"]
    setup.group_fields_set(
        actor=admin, group_id=groups["B"].pk, field_ids=[str(land.pk), str(civil.pk)], now=NOW
    )
    setup.group_fields_set(actor=admin, group_id=groups["B"].pk, field_ids=[str(land.pk)], now=NOW)
    assert people.fields_of_group(groups["B"]) == [land]
    with pytest.raises(ValidationFailed):
        setup.group_fields_set(actor=admin, group_id=groups["B"].pk, field_ids=["1\x00"], now=NOW)
    other_groups = make_service_groups(world["other"])
    with pytest.raises(NotFound):
        setup.group_fields_set(actor=admin, group_id=other_groups["B"].pk, field_ids=[land.pk], now=NOW)
    assert not GroupField.objects.filter(group=other_groups["B"]).exists()


# ------------------------------------------------------------------------------- screens and access


def test_screens_render_for_admin(world):
    s = world["staff"]
    make_service_groups(world["commune"])
    setup.skill_set(
        actor=s["admin"], person_id=s["counter"].pk, field_id=world["land"].pk, level="TRAINER", now=NOW
    )
    client = _client(s["admin"])
    for name, kwargs in (
        ("people", {}),
        ("positions", {}),
        ("matrix", {}),
        ("groups", {}),
        ("person", {"pk": s["counter"].pk}),
    ):
        response = client.get(reverse(f"staffing_setup:{name}", kwargs=kwargs))
        assert response.status_code == 200, name
        assert "no-store" in response["Cache-Control"]
    page = client.get(reverse("staffing_setup:matrix")).content.decode()
    assert "Hướng dẫn được" in page and "Đất đai" in page


def test_specialist_refused_and_other_commune_not_found(world):
    s, b = world["staff"], world["b"]
    specialist = _client(s["specialist_econ"])
    for name in ("people", "positions", "matrix", "matrix_xlsx", "groups"):
        assert specialist.get(reverse(f"staffing_setup:{name}")).status_code == 403, name
    assert specialist.get(reverse("staffing_setup:person", kwargs={"pk": s["counter"].pk})).status_code == 403
    outsider = _client(b["admin"])
    assert outsider.get(reverse("staffing_setup:person", kwargs={"pk": s["counter"].pk})).status_code == 404
    culture = _dept(world["commune"], DepartmentKind.CULTURE_SOCIAL)
    response = outsider.post(
        reverse("staffing_setup:move", kwargs={"pk": s["counter"].pk}),
        {"on": "2025-07-01", "department": culture.pk},
    )
    assert response.status_code == 404
    assert not StaffMove.objects.exists()


def test_department_head_reads_own_department_only(world):
    s = world["staff"]
    head = _client(s["head_econ"])
    page = head.get(reverse("staffing_setup:people")).content.decode()
    assert s["specialist_econ"].display_name in page
    assert s["specialist_office"].display_name not in page
    assert (
        head.get(reverse("staffing_setup:person", kwargs={"pk": s["specialist_econ"].pk})).status_code == 200
    )
    assert (
        head.get(reverse("staffing_setup:person", kwargs={"pk": s["specialist_office"].pk})).status_code
        == 404
    )
    # read only: no change, no set-up pages
    url = reverse("staffing_setup:skill_set", kwargs={"pk": s["specialist_econ"].pk})
    assert head.post(url, {"field": world["land"].pk, "level": "CAN"}).status_code == 403
    assert not Skill.objects.exists()
    assert head.get(reverse("staffing_setup:positions")).status_code == 403
    page = head.get(reverse("staffing_setup:person", kwargs={"pk": s["specialist_econ"].pk})).content.decode()
    assert "Chuyển phòng</button>" not in page


def test_forms_show_vietnamese_message_on_bad_input(world):
    s = world["staff"]
    client = _client(s["admin"])
    response = client.post(reverse("staffing_setup:positions"), {"name": "Địa\x00chính", "headcount": "3"})
    assert response.status_code == 422
    assert "Tên vị trí việc làm có ký tự không hợp lệ." in response.content.decode()
    response = client.post(reverse("staffing_setup:positions"), {"name": "x" * 5000, "headcount": "3"})
    assert response.status_code == 422
    assert "dài quá 150 ký tự" in response.content.decode()
    response = client.post(
        reverse("staffing_setup:training_add", kwargs={"pk": s["counter"].pk}),
        {"kind": "COURSE", "name": "Tin học", "on": "\x00"},
    )
    assert response.status_code == 422
    assert "ngày/tháng/năm" in response.content.decode()
    office = _dept(world["commune"], DepartmentKind.OFFICE)
    office.closed_at = NOW
    office.save()
    response = client.post(
        reverse("staffing_setup:move", kwargs={"pk": s["counter"].pk}),
        {"on": "2025-07-01", "department": office.pk},
    )
    assert response.status_code == 422
    assert "đã đóng" in response.content.decode()


def test_move_through_the_screen(world):
    s = world["staff"]
    culture = _dept(world["commune"], DepartmentKind.CULTURE_SOCIAL)
    response = _client(s["leader"]).post(
        reverse("staffing_setup:move", kwargs={"pk": s["counter"].pk}),
        {"on": "2025-07-01", "department": culture.pk, "reason": "Sau hợp nhất"},
    )
    assert response.status_code == 302
    s["counter"].refresh_from_db()
    assert s["counter"].department == culture
    page = (
        _client(s["leader"])
        .get(reverse("staffing_setup:person", kwargs={"pk": s["counter"].pk}))
        .content.decode()
    )
    assert "01/07/2025" in page and "Sau hợp nhất" in page


def test_matrix_excel_has_no_formula_cells(world):
    s = world["staff"]
    officer = s["counter"]
    officer.full_name = '=HYPERLINK("http://x","y")'
    officer.save()
    setup.skill_set(actor=s["admin"], person_id=officer.pk, field_id=world["land"].pk, level="CAN", now=NOW)
    make_user(world["commune"], Role.SPECIALIST, "cv_vanhoa", DepartmentKind.CULTURE_SOCIAL)
    response = _client(s["admin"]).get(reverse("staffing_setup:matrix_xlsx"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert all(cell.data_type != "f" for cell in values)
    texts = [cell.value for cell in values]
    assert '=HYPERLINK("http://x","y")' in texts
    assert "Làm được" in texts and "Đất đai" in texts
    # the department filter
    econ = _dept(world["commune"], DepartmentKind.ECONOMIC)
    response = _client(s["admin"]).get(reverse("staffing_setup:matrix_xlsx") + f"?phong={econ.pk}")
    names = {
        c.value
        for row in load_workbook(io.BytesIO(response.content)).active.iter_rows(min_row=3)
        for c in row[:1]
    }
    assert names == {s["specialist_econ"].display_name, s["head_econ"].display_name}


def test_hub_links_by_role(world):
    s = world["staff"]
    url = reverse("staffing:hub")
    assert reverse("staffing_setup:positions") in _client(s["admin"]).get(url).content.decode()
    assert reverse("staffing_setup:positions") in _client(s["leader"]).get(url).content.decode()
    head = _client(s["head_econ"]).get(url).content.decode()
    assert reverse("staffing_setup:people") in head and reverse("staffing_setup:positions") not in head
    assert reverse("staffing_setup:people") not in _client(s["specialist_econ"]).get(url).content.decode()


# ------------------------------------------------------------------------------- review findings


def test_a_move_dated_after_today_is_refused_and_changes_nothing(world):
    admin, officer = world["staff"]["admin"], world["staff"]["specialist_econ"]
    office = _dept(world["commune"], DepartmentKind.OFFICE)
    # NOW is 02/03/2026 16:00 in Vietnam: today is 02/03, tomorrow is refused.
    for on in ("2026-03-03", "2026-12-01"):
        with pytest.raises(ValidationFailed, match="không được sau hôm nay") as exc:
            setup.staff_move(actor=admin, person_id=officer.pk, on=on, to_department_id=office.pk, reason="",
                             now=NOW)  # fmt: skip
        assert exc.value.code == "future_move"
    officer.refresh_from_db()
    assert officer.department.kind == DepartmentKind.ECONOMIC and not StaffMove.objects.exists()
    assert setup.staff_move(actor=admin, person_id=officer.pk, on="2026-03-02", to_department_id=office.pk,
                            reason="", now=NOW).on == dt.date(2026, 3, 2)  # fmt: skip


def test_a_move_dated_before_the_latest_recorded_one_is_refused(world):
    admin, officer = world["staff"]["admin"], world["staff"]["specialist_econ"]
    office = _dept(world["commune"], DepartmentKind.OFFICE)
    culture = _dept(world["commune"], DepartmentKind.CULTURE_SOCIAL)
    setup.staff_move(actor=admin, person_id=officer.pk, on="2026-02-01", to_department_id=office.pk, reason="",
                     now=NOW)  # fmt: skip
    with pytest.raises(ValidationFailed, match="không được trước ngày đó") as exc:
        setup.staff_move(actor=admin, person_id=officer.pk, on="2025-01-01", to_department_id=culture.pk,
                         reason="", now=NOW)  # fmt: skip
    assert exc.value.code == "backdated_move"
    assert StaffMove.objects.count() == 1
    # The same day as the latest, or later, is fine: the chain stays in order.
    setup.staff_move(actor=admin, person_id=officer.pk, on="2026-02-01", to_department_id=culture.pk, reason="",
                     now=NOW)  # fmt: skip
    chain = list(StaffMove.objects.order_by("on", "pk").values_list("from_department_id", "to_department_id"))
    assert chain == [
        (_dept(world["commune"], DepartmentKind.ECONOMIC).pk, office.pk),
        (office.pk, culture.pk),
    ]


def test_an_inactive_person_is_not_moved_nor_given_skills_or_trainings(world):
    admin, officer = world["staff"]["admin"], world["staff"]["specialist_econ"]
    training = setup.training_add(actor=admin, person_id=officer.pk, kind="COURSE", name="Kỹ năng giao tiếp",
                                  on="2026-01-10", now=NOW)  # fmt: skip
    setup.skill_set(actor=admin, person_id=officer.pk, field_id=world["land"].pk, level="CAN", now=NOW)
    type(officer).objects.filter(pk=officer.pk).update(is_active=False)
    office = _dept(world["commune"], DepartmentKind.OFFICE)
    calls = [
        lambda: setup.staff_move(actor=admin, person_id=officer.pk, on="2026-03-01", to_department_id=office.pk,
                                 reason="", now=NOW),
        lambda: setup.skill_set(actor=admin, person_id=officer.pk, field_id=world["civil"].pk, level="CAN", now=NOW),
        lambda: setup.skill_remove(actor=admin, person_id=officer.pk, field_id=world["land"].pk, now=NOW),
        lambda: setup.training_add(actor=admin, person_id=officer.pk, kind="COURSE", name="X", on="2026-01-10",
                                   now=NOW),
        lambda: setup.training_remove(actor=admin, person_id=officer.pk, training_id=training.pk, now=NOW),
    ]  # fmt: skip
    for call in calls:
        with pytest.raises(ValidationFailed, match="đã nghỉ") as exc:
            call()
        assert exc.value.code == "inactive_person"
    officer.refresh_from_db()
    assert officer.department.kind == DepartmentKind.ECONOMIC
    assert (
        Skill.objects.filter(user=officer).count() == 1 and Training.objects.filter(user=officer).count() == 1
    )
    assert not StaffMove.objects.exists()
