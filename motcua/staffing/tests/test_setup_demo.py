"""The demo ward's people (motcua/demo/staffing_setup.py): the picture it draws, loaded twice."""

from __future__ import annotations

import datetime as dt

import pytest

from motcua.catalog.models import ProcedureField
from motcua.demo import ward as W
from motcua.demo.staffing_setup import GROUP_FIELDS, SKILLS, setup_load
from motcua.org.models import Department, User
from motcua.queueing.models import ServiceGroup
from motcua.staffing import people
from motcua.staffing.models import GroupField, JobPosition, Skill, StaffMove, StaffProfile, Training

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
def ward():
    from motcua.testing import make_commune

    commune = make_commune(code=W.COMMUNE_CODE)
    departments = {d.kind: d for d in Department.objects.filter(commune=commune)}
    for member in (*W.STAFF, *W.QUEUE_OFFICERS):
        if member.role == "PROVINCE_OFFICER":
            continue
        User.objects.create_user(
            username=member.username,
            full_name=member.full_name,
            role=member.role,
            commune=commune,
            department=departments.get(member.department) if member.department else None,
        )
    for letter, name in W.QUEUE_GROUPS:
        ServiceGroup.objects.create(commune=commune, letter=letter, name=name)
    names = {"ho-tich": "Hộ tịch", "chung-thuc": "Chứng thực", "dat-dai": "Đất đai", "xay-dung": "Xây dựng"}
    for code in {c for codes in GROUP_FIELDS.values() for c in codes}:
        ProcedureField.objects.create(code=code, name=names.get(code, code))
    return commune


def _counts() -> tuple[int, ...]:
    return tuple(
        m.objects.count() for m in (JobPosition, StaffProfile, Skill, Training, StaffMove, GroupField)
    )


def test_demo_people_idempotent_and_the_picture(ward):
    setup_load(now=NOW)
    first = _counts()
    assert first[2] == sum(len(s) for s in SKILLS.values())
    setup_load(now=NOW + dt.timedelta(days=1))
    assert _counts() == first

    admin = User.objects.get(username="quantri")
    positions = {p.name: p for p in people.positions_for(user=admin)}
    assert (positions["Công nghệ thông tin"].holders, positions["Công nghệ thông tin"].gap) == (0, 1)
    assert positions["Tiếp nhận và trả kết quả"].gap == 0
    assert positions["Địa chính – đất đai"].gap > 0

    land = ProcedureField.objects.get(code="dat-dai")
    group_b = ServiceGroup.objects.get(commune=ward, letter="B")
    assert land in people.fields_of_group(group_b)
    skilled = {
        u.username for u in people.skilled_officers(commune=ward, fields=people.fields_of_group(group_b))
    }
    assert "motcua2" in skilled  # the counter officer who can help the land queue
    land_skilled = people.skilled_officers(commune=ward, fields=[land])
    assert land_skilled.count() <= 5  # the land group is short of skilled people

    moves = StaffMove.objects.filter(commune=ward)
    assert moves.count() == 2
    assert all(m.on >= dt.date(2025, 7, 1) for m in moves)
    quang = User.objects.get(username="motcua2")
    assert moves.get(user=quang).to_department == quang.department
