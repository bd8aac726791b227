"""The demo ward's people (issue 11 §1): Thanh Khê's job positions, each demo officer's position
and skills, a few trainings, two moves after the merger of 1 July 2025, and which procedure fields
each queue group of the center serves.

The picture it draws: the land group (B) has few skilled people; nobody holds the IT position;
counter officer Trần Văn Quang (quầy 2, civil status) was a land officer of the old ward and can
help the land queue. Idempotent: every row is looked up before it is written.
"""

from __future__ import annotations

import datetime as dt

from motcua.catalog.models import ProcedureField
from motcua.org.models import Department, DepartmentKind, User
from motcua.queueing.models import ServiceGroup
from motcua.staffing.models import (
    GroupField,
    JobPosition,
    Skill,
    SkillLevel,
    StaffMove,
    StaffProfile,
    Training,
    TrainingKind,
)

from . import ward as W

SC, OF, EC, CS = (
    DepartmentKind.SERVICE_CENTER,
    DepartmentKind.OFFICE,
    DepartmentKind.ECONOMIC,
    DepartmentKind.CULTURE_SOCIAL,
)
LEARNING, CAN, TRAINER = SkillLevel.LEARNING, SkillLevel.CAN, SkillLevel.TRAINER

# (name, headcount, department kind or None, procedure field codes, holders' usernames)
POSITIONS: tuple[tuple[str, int, str | None, tuple[str, ...], tuple[str, ...]], ...] = (
    ("Tiếp nhận và trả kết quả", 10, SC, ("ho-tich", "chung-thuc"),
     tuple(f"motcua{i}" for i in range(1, 11))),
    ("Hộ tịch – chứng thực", 3, OF, ("ho-tich", "chung-thuc"), ("tuphap1", "tuphap2")),
    ("Địa chính – đất đai", 3, EC, ("dat-dai",), ("diachinh1", "diachinh2")),
    ("Xây dựng – quy hoạch", 2, EC, ("xay-dung",), ()),
    ("Kinh tế – tài chính", 1, EC, ("ho-kinh-doanh",), ("kinhte1",)),
    ("Công nghệ thông tin", 1, OF, (), ()),
    ("Văn hóa – xã hội", 3, CS, ("bao-tro-xa-hoi", "giam-ngheo"), ("vhxh1", "vhxh2")),
    ("Văn phòng – thống kê", 3, OF, (), ("vanphong1", "dulieu", "quantri")),
    ("Lãnh đạo phòng", 3, None, (), ("tp.vanphong", "tp.kinhte", "tp.vanhoa")),
    ("Lãnh đạo UBND phường", 3, None, (), ("chutich", "phochutich")),
)  # fmt: skip

SKILLS: dict[str, tuple[tuple[str, str], ...]] = {
    "motcua1": (("ho-tich", TRAINER), ("chung-thuc", CAN)),
    "motcua2": (("ho-tich", CAN), ("chung-thuc", CAN), ("dat-dai", CAN)),
    "motcua3": (("dat-dai", CAN), ("chung-thuc", CAN)),
    "motcua4": (("dat-dai", LEARNING), ("xay-dung", LEARNING), ("bao-tro-xa-hoi", CAN)),
    "motcua5": (("chung-thuc", TRAINER), ("ho-tich", CAN)),
    "motcua6": (("ho-tich", CAN),),
    "motcua7": (("chung-thuc", CAN), ("ho-tich", LEARNING)),
    "motcua8": (("dat-dai", LEARNING), ("ho-kinh-doanh", CAN)),
    "motcua9": (("bao-tro-xa-hoi", CAN), ("giam-ngheo", CAN)),
    "motcua10": (("ho-tich", CAN), ("chung-thuc", CAN)),
    "tuphap1": (("ho-tich", TRAINER), ("chung-thuc", CAN)),
    "tuphap2": (("ho-tich", CAN), ("chung-thuc", CAN)),
    "tp.vanphong": (("ho-tich", CAN),),
    "diachinh1": (("dat-dai", TRAINER), ("xay-dung", CAN)),
    "diachinh2": (("dat-dai", CAN), ("xay-dung", LEARNING)),
    "tp.kinhte": (("dat-dai", CAN), ("ho-kinh-doanh", CAN)),
    "kinhte1": (("ho-kinh-doanh", TRAINER),),
    "tp.vanhoa": (("bao-tro-xa-hoi", CAN),),
    "vhxh1": (("bao-tro-xa-hoi", TRAINER),),
    "vhxh2": (("giam-ngheo", TRAINER), ("bao-tro-xa-hoi", CAN)),
}

# (username, kind, name, issuer, date, field code or "")
TRAININGS = (
    ("motcua2", TrainingKind.CERTIFICATE, "Chứng chỉ bồi dưỡng nghiệp vụ quản lý đất đai",
     "Trường Chính trị thành phố Đà Nẵng", dt.date(2019, 6, 14), "dat-dai"),
    ("diachinh2", TrainingKind.COURSE, "Bồi dưỡng nghiệp vụ đăng ký đất đai sau sắp xếp đơn vị hành chính",
     "Sở Nông nghiệp và Môi trường thành phố Đà Nẵng", dt.date(2025, 9, 19), "dat-dai"),
    ("motcua4", TrainingKind.COURSE, "Tập huấn cấp giấy phép xây dựng cấp xã",
     "Sở Xây dựng thành phố Đà Nẵng", dt.date(2025, 10, 10), "xay-dung"),
    ("tuphap1", TrainingKind.CERTIFICATE, "Bồi dưỡng nghiệp vụ hộ tịch",
     "Sở Tư pháp thành phố Đà Nẵng", dt.date(2024, 5, 24), "ho-tich"),
    ("motcua1", TrainingKind.COURSE, "Kỹ năng giao tiếp, ứng xử tại bộ phận một cửa",
     "Sở Nội vụ thành phố Đà Nẵng", dt.date(2025, 8, 8), ""),
)  # fmt: skip

# (username, date, from kind, to kind, reason): recorded as history; the departments they end in
# are the ones the ward's staff already have.
MOVES = (
    ("motcua2", dt.date(2025, 7, 1), EC, SC,
     "Sắp xếp sau hợp nhất phường: tăng cường tiếp nhận tại Trung tâm Phục vụ hành chính công"),
    ("diachinh2", dt.date(2025, 7, 15), SC, EC,
     "Bổ sung công chức địa chính cho Phòng Kinh tế, Hạ tầng và Đô thị sau hợp nhất"),
)  # fmt: skip

GROUP_FIELDS = {
    "A": ("ho-tich",),
    "B": ("dat-dai", "xay-dung", "ho-kinh-doanh"),
    "C": ("chung-thuc",),
    "D": ("bao-tro-xa-hoi", "giam-ngheo"),
}


def setup_load(*, now: dt.datetime) -> None:
    commune = W.COMMUNE_CODE
    fields = {f.code: f for f in ProcedureField.objects.all()}
    users = {u.username: u for u in User.objects.filter(commune_id=commune)}
    departments = {d.kind: d for d in Department.objects.filter(commune_id=commune, closed_at__isnull=True)}

    for name, headcount, kind, codes, holders in POSITIONS:
        position, created = JobPosition.objects.get_or_create(
            commune_id=commune,
            name=name,
            closed_at=None,
            defaults={"headcount": headcount, "department": departments.get(kind) if kind else None},
        )
        if created:
            position.fields.set([fields[c] for c in codes if c in fields])
        for username in holders:
            if username in users:
                StaffProfile.objects.get_or_create(
                    user=users[username], defaults={"position": position, "updated_at": now}
                )

    for username, skills in SKILLS.items():
        if username not in users:
            continue
        for code, level in skills:
            if code in fields:
                Skill.objects.get_or_create(
                    user=users[username], field=fields[code], defaults={"level": level, "updated_at": now}
                )

    for username, kind, name, issuer, on, code in TRAININGS:
        if username in users:
            Training.objects.get_or_create(
                user=users[username],
                name=name,
                on=on,
                defaults={"kind": kind, "issuer": issuer, "field": fields.get(code) if code else None},
            )

    recorder = users.get("quantri")
    for username, on, from_kind, to_kind, reason in MOVES:
        if username in users:
            StaffMove.objects.get_or_create(
                commune_id=commune,
                user=users[username],
                on=on,
                defaults={
                    "from_department": departments.get(from_kind),
                    "to_department": departments.get(to_kind),
                    "reason": reason,
                    "recorded_by": recorder,
                    "recorded_at": now,
                },
            )

    for group in ServiceGroup.objects.filter(commune_id=commune, letter__in=list(GROUP_FIELDS)):
        for code in GROUP_FIELDS[group.letter]:
            if code in fields:
                GroupField.objects.get_or_create(group=group, field=fields[code])
