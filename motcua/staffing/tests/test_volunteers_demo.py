"""The demo's volunteers (issue 11 §7): the ward's youth team with twelve members named as on the
demo's marked dossiers, a morning shift every working day of this week, this morning's helps; a
second load adds nothing; the counts page matches the marked dossiers to the team."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from motcua.demo.residents import VOLUNTEER_TEAM
from motcua.demo.staffing_volunteers import volunteers_load
from motcua.dossiers.models import Channel, Dossier
from motcua.dossiers.services import Applicant, dossier_create_draft
from motcua.staffing import volunteers as V
from motcua.staffing.models import VolunteerHelp, VolunteerMember, VolunteerShift, VolunteerTeam
from motcua.testing import make_commune, make_procedure, make_staff

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = dt.datetime(2026, 6, 10, 9, 45, tzinfo=TZ)  # a Wednesday, mid-morning


def test_the_demo_team_its_shifts_and_helps_once(client):
    commune = make_commune()  # Thanh Khê, the demo ward's code
    leader = make_staff(commune)["leader"]
    marked = dossier_create_draft(
        commune=commune, procedure=make_procedure(), applicant=Applicant(name="Hồ Văn Dân", phone="0905000111"),
        form_data={}, channel=Channel.ONLINE, now=NOW.replace(hour=9),
        assisted_by_volunteer=True, volunteer_name=f"Trương Thị Lụa ({VOLUNTEER_TEAM})",
    )  # fmt: skip
    volunteers_load(now=NOW)
    volunteers_load(now=NOW)
    team = VolunteerTeam.objects.get()
    assert (team.name, team.organisation) == (VOLUNTEER_TEAM, "Đoàn Thanh niên phường Thanh Khê")
    assert team.campaign == "Mùa hè xanh 2026"
    members = list(VolunteerMember.objects.filter(team=team).order_by("pk"))
    assert len(members) == 12 and members[0].full_name == "Trương Thị Lụa"
    assert all(V.clean_mobile(m.phone) == m.phone for m in members)
    shifts = list(VolunteerShift.objects.order_by("day"))
    assert [s.day.isoformat() for s in shifts] == [f"2026-06-{d:02d}" for d in range(8, 14)]
    assert all((s.starts, s.ends, s.members.count()) == (dt.time(7, 30), dt.time(11, 30), 4) for s in shifts)
    helps = VolunteerHelp.objects.all()
    assert helps.count() == 8 and {h.shift.day for h in helps} == {NOW.date()}
    assert max(h.at for h in helps) <= NOW
    c = V.volunteer_counts(user=leader, period=V.period_of("tuan", NOW.date()))
    (row,) = c.teams
    assert (row.help_total, row.online, c.unknown.online) == (8, 1, 0)
    assert Dossier.objects.get(pk=marked.pk).assisted_by_volunteer
