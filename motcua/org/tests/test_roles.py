"""More than one role per person, and closed departments (issue 7 §1)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from motcua.core.errors import ValidationFailed
from motcua.dossiers.models import State
from motcua.dossiers.selectors import dossiers_visible_to
from motcua.dossiers.services import Applicant, dossier_intake
from motcua.dossiers.workflow import allowed_transitions, dossier_apply
from motcua.org.models import Department, DepartmentKind, Role, User
from motcua.testing import land_procedure, make_commune, make_staff, make_user

VN = ZoneInfo("Asia/Ho_Chi_Minh")
pytestmark = pytest.mark.django_db


def at(day: str, hm: str = "09:00") -> dt.datetime:
    return dt.datetime.strptime(f"{day} {hm}", "%d/%m/%Y %H:%M").replace(tzinfo=VN)


def _received(counter: User):
    land = land_procedure()
    return dossier_intake(
        actor=counter,
        procedure=land,
        applicant=Applicant(name="Nguyễn Thị Lan", phone="0905123456", citizen_id="048190001234"),
        form_data={},
        checklist_ticked=[i.id for i in land.checklist.all()],
        outcome="receive",
        now=at("10/02/2026"),
    )


def test_roles_and_has_role():
    user = User(role=Role.COMMUNE_LEADER, extra_roles=[Role.DEPARTMENT_HEAD, "NOT_A_ROLE"])
    assert user.roles == {Role.COMMUNE_LEADER, Role.DEPARTMENT_HEAD}
    assert user.has_role(Role.DEPARTMENT_HEAD)
    assert user.has_role(Role.SPECIALIST, Role.COMMUNE_LEADER)
    assert not user.has_role(Role.COUNTER_OFFICER)
    assert User(role=Role.SPECIALIST).roles == {Role.SPECIALIST}


def test_vice_chair_heading_a_department_assigns_and_approves():
    commune = make_commune()
    staff = make_staff(commune)
    vice_chair = make_user(commune, Role.COMMUNE_LEADER, "phochutich", DepartmentKind.ECONOMIC)
    vice_chair.extra_roles = [Role.DEPARTMENT_HEAD]
    vice_chair.save()
    d = _received(staff["counter"])
    d = dossier_apply(dossier=d, action="transfer", actor=staff["counter"], now=at("10/02/2026", "10:00"))
    # As head of the economic department: assign the dossier.
    assert "assign" in [t.action for t in allowed_transitions(dossier=d, actor=vice_chair)]
    d = dossier_apply(
        dossier=d,
        action="assign",
        actor=vice_chair,
        now=at("11/02/2026"),
        data={"assignee_id": staff["specialist_econ"].pk},
    )
    assert d.assignee == staff["specialist_econ"]
    d = dossier_apply(dossier=d, action="submit_draft", actor=staff["specialist_econ"], now=at("12/02/2026"))
    # As leader: approve.
    d = dossier_apply(dossier=d, action="approve", actor=vice_chair, now=at("13/02/2026"))
    assert d.state == State.RESULT_READY
    assert dossiers_visible_to(vice_chair).filter(pk=d.pk).exists()


def test_a_closed_department_takes_no_new_work():
    commune = make_commune()
    staff = make_staff(commune)
    econ = Department.objects.get(commune=commune, kind=DepartmentKind.ECONOMIC)
    econ.closed_at = at("09/02/2026")
    econ.save()
    d = _received(staff["counter"])
    with pytest.raises(ValidationFailed, match="Chưa có phòng chuyên môn"):
        dossier_apply(dossier=d, action="transfer", actor=staff["counter"], now=at("10/02/2026", "10:00"))
    new = Department.objects.create(commune=commune, kind=DepartmentKind.ECONOMIC, name="Phòng Kinh tế (mới)")
    d.refresh_from_db()
    d = dossier_apply(dossier=d, action="transfer", actor=staff["counter"], now=at("10/02/2026", "10:00"))
    assert d.department == new
