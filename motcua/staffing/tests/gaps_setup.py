"""A small hand-written province for the skill-gap tests (expected values worked out by hand in
`test_gaps.py`).

Period 01/01–31/03/2026 (90 days = 3 months of 30 days), now 01/04/2026 09:00.

Phường Thanh Khê (20209):
- Đất đai: 190 dossiers received in the period, 40 of them late (10 finished late, 10 open past
  their deadline, 10 sent back twice, 10 waiting for a fee since after their deadline) and 150 on
  time (finished in time, not yet due, waiting for the resident's supplementation past the
  deadline, waiting for a fee since before it, finished after `now` but due later); 10 tickets of
  group B (linked to Đất đai); skilled: 1 CAN (dat1), 1 LEARNING (hoc1); an inactive CAN (nghi1)
  does not count. → 63.3 dossiers/person/month, 21.05 % late, wanted max(2, ⌈63.3/60⌉ + 1) = 3,
  need 2, no trainer.
- CNTT: no dossier, 5 tickets of group D (linked to CNTT), nobody skilled → a gap, need 2.
- Hộ tịch: 30 dossiers, none late; 1 TRAINER (tuphap1), 1 CAN (tuphap2) → 5/person/month,
  need 0.
- A dossier received before the period and one of another commune are not counted.
- Job positions: «Địa chính» (3 people, field Đất đai, held by dat1), «Công nghệ thông tin»
  (1 person, field CNTT, held by nobody) → shortfall 2 + 1.

Phường Hòa Khánh (20210): Đất đai 3 dossiers and CNTT 1 dossier, nobody skilled → 2 gaps.
Phường Sơn Trà (20211): Hộ tịch 10 dossiers, 1 CAN → 3.3/person/month, no gap.
Phường An Hải (20212): nothing.
Xã Lạc (1, another province): 5 Đất đai dossiers, nobody skilled.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from motcua.catalog.models import OnlineLevel, Procedure, ProcedureField, TimeUnit
from motcua.core.text import fold
from motcua.dossiers.models import Dossier, State
from motcua.geo.models import Commune, Province
from motcua.org.models import DepartmentKind, Role, User
from motcua.quality.dashboard import Period
from motcua.queueing.models import ServiceGroup, Ticket
from motcua.staffing.models import GroupField, JobPosition, Skill, SkillLevel, StaffProfile
from motcua.testing import make_commune, make_service_groups, make_staff, make_user

VN = ZoneInfo("Asia/Ho_Chi_Minh")
PERIOD = Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
NOW = dt.datetime(2026, 4, 1, 9, tzinfo=VN)
QUERY = "tu=2026-01-01&den=2026-03-31"


def at(day: int, month: int = 2, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=VN)


def fields() -> dict[str, ProcedureField]:
    out = {}
    for code, name in (("dat-dai", "Đất đai"), ("cntt", "Công nghệ thông tin"), ("ho-tich", "Hộ tịch")):
        out[code] = ProcedureField.objects.get_or_create(code=code, defaults={"name": name})[0]
    return out


def procedure(field: ProcedureField) -> Procedure:
    return Procedure.objects.get_or_create(
        code=f"p-{field.code}",
        defaults={
            "name": f"Thủ tục {field.name}",
            "name_folded": fold(f"Thủ tục {field.name}"),
            "field": field,
            "responsible_kind": DepartmentKind.ECONOMIC,
            "time_unit": TimeUnit.WORKING_DAYS,
            "time_value": 10,
            "online_level": OnlineLevel.PARTIAL,
        },
    )[0]


def dossiers(commune: Commune, proc: Procedure, n: int, **kw: Any) -> None:
    values = {"state": State.IN_PROCESS, "first_received_at": at(2), "due_at": at(20)} | kw
    Dossier.objects.bulk_create(
        Dossier(
            commune=commune,
            procedure=proc,
            applicant_name="Nguyễn Văn A",
            applicant_name_folded="nguyen van a",
            created_at=values["first_received_at"],
            received_at=values["first_received_at"],
            **values,
        )
        for _ in range(n)
    )


def tickets(commune: Commune, group: ServiceGroup, n: int) -> None:
    Ticket.objects.bulk_create(
        Ticket(
            commune=commune,
            group=group,
            queue_group=group,
            day=dt.date(2026, 2, 3),
            seq=i + 1,
            number=f"{group.letter}{i + 1:03d}",
            issued_at=at(3),
        )
        for i in range(n)
    )


def skill(user: User, field: ProcedureField, level: str) -> None:
    Skill.objects.create(user=user, field=field, level=level, updated_at=NOW)


def build() -> dict[str, Any]:
    f = fields()
    land, it, civil = procedure(f["dat-dai"]), procedure(f["cntt"]), procedure(f["ho-tich"])
    ward = make_commune()
    staff = make_staff(ward)
    groups = make_service_groups(ward)
    GroupField.objects.create(group=groups["B"], field=f["dat-dai"])
    GroupField.objects.create(group=groups["D"], field=f["cntt"])
    # Đất đai: 40 late …
    dossiers(ward, land, 10, state=State.RETURNED, finished_at=at(21))
    dossiers(ward, land, 10, due_at=at(20, 3))
    dossiers(ward, land, 10, supplement_count=2, state=State.RETURNED, finished_at=at(5))
    dossiers(ward, land, 10, state=State.PENDING_FEE, paused_at=at(25))
    # … 150 on time
    dossiers(ward, land, 100, state=State.RETURNED, finished_at=at(10))
    dossiers(ward, land, 20, due_at=at(10, 4))
    dossiers(ward, land, 10, state=State.SUPPLEMENT_REQUESTED, due_at=at(1, 3))
    dossiers(ward, land, 10, state=State.PENDING_FEE, paused_at=at(10), due_at=at(15, 3))
    dossiers(ward, land, 10, state=State.RETURNED, finished_at=at(2, 4, 10), due_at=at(5, 4))
    # not counted: before the period
    dossiers(ward, land, 7, first_received_at=at(20, 12) - dt.timedelta(days=365), due_at=at(1, 1))
    tickets(ward, groups["B"], 10)
    tickets(ward, groups["D"], 5)
    dossiers(ward, civil, 30, state=State.RETURNED, finished_at=at(3))
    dat1 = make_user(ward, Role.SPECIALIST, "dat1", DepartmentKind.ECONOMIC)
    hoc1 = make_user(ward, Role.SPECIALIST, "hoc1", DepartmentKind.ECONOMIC)
    nghi1 = make_user(ward, Role.SPECIALIST, "nghi1", DepartmentKind.ECONOMIC)
    nghi1.is_active = False
    nghi1.save()
    tuphap1 = make_user(ward, Role.SPECIALIST, "tuphap1", DepartmentKind.OFFICE)
    tuphap2 = make_user(ward, Role.SPECIALIST, "tuphap2", DepartmentKind.OFFICE)
    skill(dat1, f["dat-dai"], SkillLevel.CAN)
    skill(hoc1, f["dat-dai"], SkillLevel.LEARNING)
    skill(nghi1, f["dat-dai"], SkillLevel.CAN)
    skill(tuphap1, f["ho-tich"], SkillLevel.TRAINER)
    skill(tuphap2, f["ho-tich"], SkillLevel.CAN)
    cadastre = JobPosition.objects.create(commune=ward, name="Địa chính", headcount=3)
    cadastre.fields.set([f["dat-dai"]])
    it_post = JobPosition.objects.create(commune=ward, name="Công nghệ thông tin", headcount=1)
    it_post.fields.set([f["cntt"]])
    StaffProfile.objects.create(user=dat1, position=cadastre, updated_at=NOW)

    hoa_khanh = make_commune(20210, "Phường Hòa Khánh", "H48.20210")
    dossiers(hoa_khanh, land, 3)
    dossiers(hoa_khanh, it, 1)
    son_tra = make_commune(20211, "Phường Sơn Trà", "H48.20211")
    dossiers(son_tra, civil, 10, state=State.RETURNED, finished_at=at(3))
    skill(make_user(son_tra, Role.SPECIALIST, "st_hotich"), f["ho-tich"], SkillLevel.CAN)
    an_hai = make_commune(20212, "Phường An Hải", "H48.20212")

    other_province = Province.objects.create(code=1, name="Thành phố Hà Nội", codename="ha_noi")
    lac = Commune.objects.create(
        code=1, name="Xã Lạc", division_type="xã", codename="xa_lac", province=other_province,
        agency_code="H01.1", name_folded="xa lac",
    )  # fmt: skip
    dossiers(lac, land, 5)
    province_officer = make_user(ward, Role.PROVINCE_OFFICER, "tinh_dn")
    province_officer.commune = None
    province_officer.save()
    return {
        "ward": ward,
        "staff": staff,
        "fields": f,
        "hoa_khanh": hoa_khanh,
        "son_tra": son_tra,
        "an_hai": an_hai,
        "lac": lac,
        "province_officer": province_officer,
        "other_officer": _other_officer(other_province),
        "procedures": {"land": land, "it": it, "civil": civil},
    }


def _other_officer(province: Province) -> User:
    return User.objects.create_user(
        username="tinh_hn", password="matkhau-thu-nghiem", full_name="Tinh Hn",
        role=Role.PROVINCE_OFFICER, province=province,
    )  # fmt: skip
