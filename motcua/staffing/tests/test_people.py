"""The selectors the other staffing parts use: who is skilled in a field, a group's fields, a
person's level and position."""

from __future__ import annotations

import datetime as dt

import pytest

from motcua.catalog.models import ProcedureField
from motcua.org.models import Role
from motcua.staffing import people
from motcua.staffing.models import GroupField, JobPosition, Skill, SkillLevel, StaffProfile
from motcua.testing import make_commune, make_service_groups, make_staff, make_user

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def world():
    commune = make_commune()
    other = make_commune(code=20212, name="Phường An Khê", agency="H48.20212")
    staff = make_staff(commune)
    land = ProcedureField.objects.create(code="dat-dai", name="Đất đai")
    civil = ProcedureField.objects.create(code="ho-tich", name="Hộ tịch")
    return {"commune": commune, "other": other, "staff": staff, "land": land, "civil": civil}


def _skill(user, field, level):
    return Skill.objects.create(user=user, field=field, level=level, updated_at=NOW)


def test_skilled_officers_at_least_the_level_in_any_field(world):
    s, land, civil = world["staff"], world["land"], world["civil"]
    _skill(s["counter"], land, SkillLevel.CAN)
    _skill(s["specialist_econ"], land, SkillLevel.TRAINER)
    _skill(s["specialist_office"], land, SkillLevel.LEARNING)
    _skill(s["head_econ"], civil, SkillLevel.CAN)
    found = set(people.skilled_officers(commune=world["commune"], fields=[land]))
    assert found == {s["counter"], s["specialist_econ"]}
    found = set(
        people.skilled_officers(commune=world["commune"], fields=[land], min_level=SkillLevel.TRAINER)
    )
    assert found == {s["specialist_econ"]}
    found = set(
        people.skilled_officers(
            commune=world["commune"], fields=[land.pk, civil.pk], min_level=SkillLevel.LEARNING
        )
    )
    assert found == {s["counter"], s["specialist_econ"], s["specialist_office"], s["head_econ"]}
    assert list(people.skilled_officers(commune=world["commune"], fields=[])) == []


def test_skilled_officers_leaves_out_other_communes_and_inactive_accounts(world):
    land = world["land"]
    stranger = make_user(world["other"], Role.COUNTER_OFFICER, "nguoi_la")
    _skill(stranger, land, SkillLevel.TRAINER)
    gone = world["staff"]["counter"]
    _skill(gone, land, SkillLevel.TRAINER)
    gone.is_active = False
    gone.save()
    assert list(people.skilled_officers(commune=world["commune"], fields=[land])) == []
    assert list(people.skilled_officers(commune=world["other"].pk, fields=[land])) == [stranger]


def test_fields_of_group(world):
    groups = make_service_groups(world["commune"])
    GroupField.objects.create(group=groups["B"], field=world["land"])
    GroupField.objects.create(group=groups["A"], field=world["civil"])
    assert people.fields_of_group(groups["B"]) == [world["land"]]
    assert people.fields_of_group(groups["A"].pk) == [world["civil"]]
    assert people.fields_of_group(groups["C"]) == []


def test_skill_level_and_position_of(world):
    officer = world["staff"]["counter"]
    assert people.skill_level(officer, world["land"]) is None
    _skill(officer, world["land"], SkillLevel.LEARNING)
    assert people.skill_level(officer, world["land"]) == SkillLevel.LEARNING
    assert people.skill_level(officer.pk, world["land"].pk) == SkillLevel.LEARNING
    assert people.position_of(officer) is None
    position = JobPosition.objects.create(
        commune=world["commune"], name="Tiếp nhận và trả kết quả", headcount=10
    )
    StaffProfile.objects.create(user=officer, position=position, updated_at=NOW)
    assert people.position_of(officer) == position
    assert people.position_of(officer.pk) == position


def test_levels_at_least():
    assert people.levels_at_least(SkillLevel.LEARNING) == ["LEARNING", "CAN", "TRAINER"]
    assert people.levels_at_least(SkillLevel.TRAINER) == ["TRAINER"]
    with pytest.raises(ValueError, match="unknown"):
        people.levels_at_least("EXPERT")
