"""The residents' status page and the public API tell a dossier's steps in the same words: the
label each transition of the workflow carries for residents (issue 7 §5)."""

import datetime as dt
import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from motcua.dossiers.models import ControlEntry
from motcua.dossiers.services import Applicant, dossier_intake
from motcua.dossiers.workflow import TRANSITIONS, Transition
from motcua.testing import make_commune, make_procedure, make_staff

pytestmark = pytest.mark.django_db

RECEIVED = dt.datetime(2026, 2, 10, 1, 30, tzinfo=dt.UTC)
_ITEM = re.compile(r"<li><strong>[^<]*</strong> — (.*?)(?:<br>(.*?))?</li>", re.S)


def _page_steps(body: str) -> list[tuple[str, str]]:
    timeline = body.split('<ol class="timeline">', 1)[1].split("</ol>", 1)[0]
    return [(html.unescape(label), html.unescape(note or "")) for label, note in _ITEM.findall(timeline)]


@pytest.mark.parametrize("t", TRANSITIONS, ids=lambda t: f"{t.action}-from-{t.sources[0]}")
def test_page_and_api_show_the_same_label_and_note_for_every_transition(t: Transition):
    ward = make_commune()
    staff = make_staff(ward)
    proc = make_procedure()
    d = dossier_intake(actor=staff["counter"], procedure=proc, applicant=Applicant(name="Võ Thị Mai", phone="0905123456"),
                       form_data={}, checklist_ticked=[i.id for i in proc.checklist.all()], outcome="receive",
                       now=RECEIVED)  # fmt: skip
    ControlEntry.objects.create(
        dossier=d, action=t.action, from_state=t.sources[0], to_state=t.target or t.sources[0],
        actor=staff["counter"], at=RECEIVED + dt.timedelta(hours=1), note="Ghi chú nội bộ & lý do",
    )  # fmt: skip
    page = Client().get(reverse("portal:status", args=[d.code, d.secret]))
    api = Client().get("/api/public/lookup", {"code": d.code, "secret": d.secret})
    assert page.status_code == 200 and api.status_code == 200
    on_page = _page_steps(page.content.decode())
    in_api = [(s["label"], s["note"]) for s in api.json()["steps"]]
    assert on_page == in_api
    assert [s["step"] for s in api.json()["steps"]] == ["receive", t.action]
    assert in_api[-1][0] == t.resident_label
    assert t.resident_label and t.resident_label != t.action
