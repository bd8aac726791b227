"""An online submission takes its dossier code when it is sent (issue 7 §2, decisions.md):
the code on screen, the lookup by code + the last 4 phone digits, the desk's receipt and a
refusal keep it, and the agency's daily sequence stays gap-free across both channels."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from motcua.core.errors import ValidationFailed
from motcua.dossiers.models import Channel, Dossier, State
from motcua.dossiers.services import Applicant, dossier_create_draft, dossier_intake
from motcua.dossiers.workflow import dossier_apply
from motcua.testing import make_commune, make_procedure, make_staff

pytestmark = pytest.mark.django_db
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def _online(ward, proc, now, phone="0987654321"):
    return dossier_create_draft(
        commune=ward, procedure=proc, applicant=Applicant(name="Đặng Văn Tư", phone=phone), form_data={},
        channel=Channel.ONLINE, now=now,
    )  # fmt: skip


def test_the_sent_page_shows_the_code_and_the_resident_looks_it_up(client):
    ward, proc = make_commune(), make_procedure()
    resp = client.post(
        reverse("portal:online_submit", args=[proc.code]),
        {"commune": ward.pk, "applicant_name": "Đặng Văn Tư", "applicant_phone": "0987654321"},
    )
    d = Dossier.objects.get()
    assert d.state == State.DRAFT and d.code is not None
    body = client.get(resp.url).content.decode()
    assert f'aria-label="Mã hồ sơ">{d.code}</output>' in body and "TT-" not in body
    # The resident types the code (any case) and the last 4 digits: the draft's status.
    found = client.get(reverse("portal:lookup"), {"ma": d.code.lower(), "sdt": "4321"})
    page = found.content.decode()
    assert found.status_code == 200 and f"Hồ sơ {d.code}" in page and "Chưa tiếp nhận" in page
    assert client.get(reverse("portal:lookup"), {"ma": d.code, "sdt": "1111"}).status_code == 404


def test_the_code_is_the_day_it_was_sent_and_the_desk_keeps_it():
    ward, proc = make_commune(), make_procedure()
    staff = make_staff(ward)
    sent = dt.datetime(2026, 2, 10, 23, 30, tzinfo=VN)  # late evening: still the 10th in Việt Nam
    d = _online(ward, proc, sent)
    assert d.code == "H48.20209-260210-0001"
    assert Dossier.objects.get(pk=d.pk).code == d.code
    received = dossier_apply(
        dossier=d, action="receive", actor=staff["counter"], now=sent + dt.timedelta(hours=10),
        data={"checklist_ticked": [i.id for i in proc.checklist.all()]},
    )  # fmt: skip
    assert received.state == State.RECEIVED and received.code == "H48.20209-260210-0001"


def test_a_refused_online_dossier_keeps_its_code_and_numbers_go_on():
    ward, proc = make_commune(), make_procedure()
    staff = make_staff(ward)
    now = dt.datetime(2026, 2, 10, 8, 0, tzinfo=VN)
    first = _online(ward, proc, now)
    refused = dossier_apply(
        dossier=first, action="refuse", actor=staff["counter"], now=now, reason="Sai thủ tục"
    )
    assert refused.state == State.REFUSED and refused.code == "H48.20209-260210-0001"
    walk_in = dossier_intake(
        actor=staff["counter"], procedure=proc, applicant=Applicant(name="Lê Văn Tám", phone="0905000000"),
        form_data={}, checklist_ticked=[i.id for i in proc.checklist.all()], outcome="receive", now=now,
    )  # fmt: skip
    second = _online(ward, proc, now)
    assert (walk_in.code, second.code) == ("H48.20209-260210-0002", "H48.20209-260210-0003")


def test_an_in_person_draft_still_takes_its_code_at_receipt():
    ward, proc = make_commune(), make_procedure()
    d = dossier_create_draft(
        commune=ward, procedure=proc, applicant=Applicant(name="Lê Văn Tám", phone="0905000000"), form_data={},
        channel=Channel.IN_PERSON, now=dt.datetime(2026, 2, 10, 8, 0, tzinfo=VN),
    )  # fmt: skip
    assert d.code is None


def test_a_commune_without_agency_code_cannot_take_online_dossiers():
    ward, proc = make_commune(agency=""), make_procedure()
    with pytest.raises(ValidationFailed) as exc:
        _online(ward, proc, dt.datetime(2026, 2, 10, 8, 0, tzinfo=VN))
    assert exc.value.code == "no_agency_code" and not Dossier.objects.exists()
