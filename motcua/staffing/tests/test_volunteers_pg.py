"""On PostgreSQL (which refuses NUL in text): a NUL byte or an over-long value in every field of
the volunteers' forms, and in the recording screen's, gives a Vietnamese message (422) or is
ignored — never a server error, and nothing is written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from motcua.core import clock
from motcua.org.models import DepartmentKind, Role
from motcua.staffing import volunteers as V
from motcua.staffing.models import VolunteerHelp, VolunteerMember, VolunteerShift, VolunteerTeam
from motcua.testing import make_commune, make_staff, make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

BAD = ("Đội\x00A", "ă" * 10_000)


def test_every_volunteer_form_field_refuses_nul_and_over_long_values():
    commune = make_commune()
    staff = make_staff(commune)
    head = make_user(commune, Role.DEPARTMENT_HEAD, "tp_ttpv", DepartmentKind.SERVICE_CENTER)
    team = VolunteerTeam.objects.create(commune=commune, name="Đội A")
    member = VolunteerMember.objects.create(team=team, full_name="Nguyễn Văn An")
    now = clock.now()
    shift = VolunteerShift.objects.create(
        team=team, day=V.local_day(now), starts=dt.time(7, 30), ends=dt.time(11, 30)
    )
    shift.members.add(member)
    token = V.shift_issue_token(actor=head, shift=shift, now=now)
    admin = Client()
    admin.force_login(staff["admin"])
    team_fields = {"name": "Đội B", "organisation": "", "campaign": "", "leader_name": "", "leader_phone": ""}
    shift_fields = {"team": str(team.pk), "day": "2026-06-10", "starts": "07:30", "ends": "09:00",
                    "members": str(member.pk), "note": ""}  # fmt: skip
    forms = [
        ("/nhan-su/tinh-nguyen/doi/moi/", team_fields),
        (f"/nhan-su/tinh-nguyen/doi/{team.pk}/", team_fields),
        (f"/nhan-su/tinh-nguyen/doi/{team.pk}/thanh-vien/", {"full_name": "Bình", "phone": "0905123456"}),
        ("/nhan-su/tinh-nguyen/ca/moi/", shift_fields),
        # A shift's team is fixed (the field is not read); its day stays today for the recording link.
        (
            f"/nhan-su/tinh-nguyen/ca/{shift.pk}/",
            {k: v for k, v in shift_fields.items() if k != "team"} | {"day": shift.day.isoformat()},
        ),
        (
            f"/nhan-su/tinh-nguyen/ca/{shift.pk}/ghi-nhan/{token}/",
            {"kind": "ONLINE", "member": "", "note": ""},
        ),
    ]
    before = (VolunteerTeam.objects.count(), VolunteerMember.objects.count(), VolunteerShift.objects.count())
    failures = []
    for url, fields in forms:
        for name in fields:
            for bad in BAD:
                resp = admin.post(url, fields | {name: bad})
                if resp.status_code != 422:
                    failures.append(f"{url} {name}={bad[:8]!r}… → {resp.status_code}")
    for query in ("?ky=\x00", "?ngay=\x00", "?ngay=" + "9" * 10_000):
        for url in ("/nhan-su/tinh-nguyen/so-lieu/", "/nhan-su/tinh-nguyen/so-lieu/xuat-excel/"):
            if admin.get(url + query).status_code != 200:
                failures.append(f"{url}{query[:12]!r}")
    assert admin.get(f"/nhan-su/tinh-nguyen/ca/{shift.pk}/ghi-nhan/{'x' * 5000}/").status_code == 404
    assert not failures, "\n".join(failures)
    after = (VolunteerTeam.objects.count(), VolunteerMember.objects.count(), VolunteerShift.objects.count())
    assert after == before and not VolunteerHelp.objects.exists()
    assert VolunteerTeam.objects.get(pk=team.pk).name == "Đội A"
