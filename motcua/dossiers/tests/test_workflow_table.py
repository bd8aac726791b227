"""The transition table is the single source of the dossier's steps: their names (Action), the
printed forms a dossier has, and `now` passed in by the interface (issue 7 §5)."""

import datetime as dt
import inspect

import pytest
from django.test import Client
from django.urls import reverse

from motcua.dossiers import selectors, services, workflow
from motcua.dossiers.models import Channel, Dossier, State
from motcua.dossiers.services import Applicant, dossier_create_draft
from motcua.dossiers.workflow import TRANSITIONS, Action, dossier_apply, form_after, forms_of

pytestmark = pytest.mark.django_db

MON = dt.datetime(2026, 2, 9, 2, 0, tzinfo=dt.UTC)  # 09:00 in Đà Nẵng, a working Monday

# The URL `<action>` kwarg, the API's /actions/{action} and the control sheet store these.
CONTRACT = {
    "receive", "request_supplement", "refuse", "resolve_on_spot", "transfer", "assign", "await_fee",
    "fee_paid", "consult", "consult_done", "submit_draft", "approve", "return_draft", "extend", "stop",
    "withdraw", "return_result",
}  # fmt: skip


def test_actions_keep_their_string_values_and_every_one_has_a_transition():
    assert {a.value for a in Action} == CONTRACT
    assert {t.action for t in TRANSITIONS} == set(Action)
    assert all(isinstance(t.action, Action) for t in TRANSITIONS)


def test_the_steps_of_one_action_produce_one_form():
    for action in Action:
        assert len({t.form_code for t in TRANSITIONS if t.action == action}) == 1, action
    assert (form_after(Action.RECEIVE), form_after(Action.EXTEND), form_after(Action.ASSIGN)) == (
        "01",
        "04",
        "",
    )
    assert forms_of([Action.RECEIVE, Action.TRANSFER, Action.EXTEND]) == ["01", "04", "05"]
    assert forms_of([]) == ["05"]


@pytest.mark.parametrize(
    "fn",
    [workflow.dossier_apply, services.dossier_intake, services.dossier_create_draft,
     services.dossier_attach_documents, selectors.inbox_for, selectors.approvals_for, selectors.overview_for],
    ids=lambda f: f.__name__,
)  # fmt: skip
def test_now_is_a_required_keyword_of_every_domain_function(fn):
    now = inspect.signature(fn).parameters["now"]
    assert now.kind is inspect.Parameter.KEYWORD_ONLY
    assert now.default is inspect.Parameter.empty


def test_an_online_submission_has_no_receipt_form_until_the_desk_receives_it(staff, birth):
    d = dossier_create_draft(
        commune=staff["counter"].commune, procedure=birth, channel=Channel.ONLINE, now=MON, form_data={},
        applicant=Applicant(name="Võ Thị Mai", phone="0905123456"),
    )  # fmt: skip
    client = Client()
    client.force_login(staff["counter"])
    page = client.get(reverse("dossiers:detail", args=[d.pk])).content.decode()
    assert reverse("dossiers:form", args=[d.pk, "05"]) in page
    assert reverse("dossiers:form", args=[d.pk, "01"]) not in page
    assert client.get(reverse("dossiers:form", args=[d.pk, "01"])).status_code == 404
    d = dossier_apply(
        dossier=d, action=Action.RECEIVE, actor=staff["counter"], now=MON + dt.timedelta(hours=1),
        data={"checklist_ticked": [i.id for i in birth.checklist.all()]},
    )  # fmt: skip
    assert d.state == State.RECEIVED
    page = client.get(reverse("dossiers:detail", args=[d.pk])).content.decode()
    assert reverse("dossiers:form", args=[d.pk, "01"]) in page
    assert client.get(reverse("dossiers:form", args=[d.pk, "01"])).status_code == 200


def test_forms_follow_the_steps_taken_and_the_step_redirects_to_its_form(staff, land):
    client = Client()
    client.force_login(staff["counter"])
    resp = client.post(
        reverse("dossiers:intake", args=[land.code]),
        {"applicant_name": "Trần Văn Bình", "applicant_phone": "0905111222", "outcome": "supplement",
         "checklist": [str(land.checklist.first().id)], "missing_items": "Sơ đồ thửa đất"},
    )  # fmt: skip
    d = Dossier.objects.get()
    assert resp.status_code == 302 and resp.url == reverse("dossiers:form", args=[d.pk, "02"]) + "?moi=1"
    for form, status in (("01", 404), ("02", 200), ("03", 404), ("04", 404), ("05", 200), ("06", 404)):
        assert client.get(reverse("dossiers:form", args=[d.pk, form])).status_code == status, form
    ticked = {"checklist": [str(i.id) for i in land.checklist.all()]}
    resp = client.post(reverse("dossiers:act", args=[d.pk, "receive"]), ticked)
    assert resp.status_code == 302 and resp.url == reverse("dossiers:form", args=[d.pk, "01"])
    for form, status in (("01", 200), ("02", 200), ("03", 404), ("05", 200)):
        assert client.get(reverse("dossiers:form", args=[d.pk, form])).status_code == status, form
    resp = client.post(reverse("dossiers:act", args=[d.pk, "transfer"]))
    assert resp.status_code == 302 and resp.url == reverse("dossiers:detail", args=[d.pk])
