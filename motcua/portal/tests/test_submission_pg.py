"""§3.8 on PostgreSQL (which refuses NUL in text, where SQLite stores it): a NUL byte or an
over-long value in the online submission, the attach form and the dossier API's inputs gives
a message or a 422, never a server error."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from motcua.dossiers.models import Dossier, DossierDocument
from motcua.dossiers.tests.test_documents import PDF
from motcua.org.models import ApiToken
from motcua.testing import land_procedure, make_commune, make_procedure, make_staff

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

NUL = "Nguyễn\x00Văn"
LONG = "ă" * 10_000
SINCE = dt.datetime(2026, 2, 10, 1, tzinfo=dt.UTC)  # the API token's issue date (any past moment)


@pytest.fixture
def world(settings, tmp_path):
    settings.UPLOAD_ROOT = tmp_path / "uploads"
    settings.MOTCUA_SUBMIT_RATE = "1000/60"
    ward = make_commune()
    return {"ward": ward, "staff": make_staff(ward), "birth": make_procedure(), "land": land_procedure()}


def token_client(user) -> Client:
    raw = ApiToken.new_raw()
    ApiToken.objects.create(user=user, name="pg", key_hash=ApiToken.hash(raw), created_at=SINCE)
    return Client(headers={"Authorization": f"Bearer {raw}"})


ONLINE_FIELDS = ["applicant_name", "applicant_phone", "applicant_citizen_id", "applicant_address", "applicant_email",
                 "volunteer_name", "notify_phone", "notify_email", "f_ghi_chu", "commune", "checklist", "assisted"]  # fmt: skip


@pytest.mark.parametrize("value", [NUL, LONG, "\x00"])
@pytest.mark.parametrize("field", ONLINE_FIELDS)
def test_online_submission_never_fails_on_nul_or_length(client, world, field, value):
    data = {"commune": world["ward"].pk, "applicant_name": "Đặng Văn Tư", "applicant_phone": "0987654321",
            "volunteer_name": "Đoàn phường", field: value}  # fmt: skip
    resp = client.post(reverse("portal:online_submit", args=[world["birth"].code]), data)
    assert resp.status_code in {302, 422}, resp.content.decode()[:500]
    for d in Dossier.objects.all():
        assert "\x00" not in d.volunteer_name + d.applicant_name + d.notify_phone + d.notify_email


@pytest.mark.parametrize("value", [NUL, LONG])
def test_attach_kind_and_file_name_never_fail(client, world, value):
    staff, land = world["staff"], world["land"]
    client.force_login(staff["counter"])
    resp = client.post(
        reverse("dossiers:intake", args=[land.code]),
        {"applicant_name": "Trần Văn Bình", "applicant_phone": "0905111222", "outcome": "receive",
         "checklist": [str(i.id) for i in land.checklist.all()]},
    )  # fmt: skip
    d = Dossier.objects.get()
    attach = reverse("dossiers:attach", args=[d.pk])
    resp = client.post(attach, {"kind": value, "doc_other": SimpleUploadedFile("a.pdf", PDF)}, follow=True)
    assert resp.status_code == 200 and "Loại tài liệu không hợp lệ" in resp.content.decode()
    resp = client.post(attach, {"doc_other": SimpleUploadedFile("x" * 300 + "\x00.pdf", PDF)})
    assert resp.status_code == 302
    name = DossierDocument.objects.get().original_name
    assert "\x00" not in name and len(name) <= 255


@pytest.mark.parametrize("value", [NUL, LONG, "\x00"])
@pytest.mark.parametrize(
    "path",
    [("procedure_code",), ("applicant", "name"), ("applicant", "phone"), ("applicant", "citizen_id"),
     ("applicant", "email"), ("applicant", "address"), ("form_data", "ghi_chu"), ("form_data", "x" * 100),
     ("missing_items",), ("reason",), ("checklist_ticked",)],
)  # fmt: skip
def test_api_intake_never_fails_on_nul_or_length(world, path, value):
    land = world["land"]
    body = {"procedure_code": land.code, "applicant": {"name": "Phạm Văn Cường", "phone": "0935000111"},
            "checklist_ticked": [i.id for i in land.checklist.all()], "outcome": "supplement",
            "missing_items": ["Sơ đồ thửa đất"], "form_data": {}}  # fmt: skip
    if path[0] == "form_data":
        body["form_data"] = {path[1]: value}
    elif path[0] == "missing_items":
        body["missing_items"] = [value]
    elif path[0] == "checklist_ticked":
        body["checklist_ticked"] = [2**40]
    elif len(path) == 2:
        body["applicant"][path[1]] = value
    else:
        body[path[0]] = value
    resp = token_client(world["staff"]["counter"]).post(
        "/api/dossiers/intake", body, content_type="application/json"
    )
    assert resp.status_code in {201, 404, 422}, resp.content.decode()[:500]


def test_api_action_with_an_id_past_the_integer_range_is_a_422(world):
    land, staff = world["land"], world["staff"]
    counter = token_client(staff["counter"])
    resp = counter.post("/api/dossiers/intake", {"procedure_code": land.code, "applicant": {"name": "A B", "phone": "0935000111"},
                        "checklist_ticked": [i.id for i in land.checklist.all()], "outcome": "receive"},
                        content_type="application/json")  # fmt: skip
    assert resp.status_code == 201
    d = resp.json()["id"]
    resp = counter.post(
        f"/api/dossiers/{d}/actions/transfer",
        {"assignee_id": 2**63, "reason": NUL},
        content_type="application/json",
    )
    assert resp.status_code == 422
