import pytest
from django.test import Client

from motcua.core import clock
from motcua.dossiers.models import Dossier, State
from motcua.org.models import ApiToken

pytestmark = pytest.mark.django_db


def token_client(user) -> Client:
    raw = ApiToken.new_raw()
    ApiToken.objects.create(user=user, name="test", key_hash=ApiToken.hash(raw), created_at=clock.now())
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_api_requires_a_valid_token(staff):
    assert Client().get("/api/dossiers").status_code == 401
    assert Client(headers={"Authorization": "Bearer nope"}).get("/api/dossiers").status_code == 401
    raw = ApiToken.new_raw()
    ApiToken.objects.create(user=staff["counter"], name="old", key_hash=ApiToken.hash(raw),
                            created_at=clock.now(), revoked_at=clock.now())  # fmt: skip
    assert Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/dossiers").status_code == 401


def test_api_carries_a_dossier_through_its_lifecycle(staff, land):
    counter = token_client(staff["counter"])
    resp = counter.post(
        "/api/dossiers/intake",
        {
            "procedure_code": land.code,
            "applicant": {"name": "Phạm Văn Cường", "phone": "0935000111"},
            "checklist_ticked": [i.id for i in land.checklist.all()],
            "outcome": "receive",
        },
        content_type="application/json",
    )
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["state"] == "RECEIVED" and body["code"].startswith("H48.20209-")
    assert body["applicant_phone_masked"] == "********11"
    assert "transfer" in body["allowed_actions"]
    dossier_id = body["id"]
    resp = counter.post(f"/api/dossiers/{dossier_id}/actions/transfer", {}, content_type="application/json")
    assert resp.json()["state"] == "IN_PROCESS"
    specialist = token_client(staff["specialist_econ"])
    resp = specialist.post(
        f"/api/dossiers/{dossier_id}/actions/submit_draft", {}, content_type="application/json"
    )
    assert resp.json()["state"] == "AWAITING_APPROVAL"
    resp = specialist.post(f"/api/dossiers/{dossier_id}/actions/approve", {}, content_type="application/json")
    assert resp.status_code == 403 and resp.json()["code"] == "forbidden"
    leader = token_client(staff["leader"])
    resp = leader.post(
        f"/api/dossiers/{dossier_id}/actions/return_draft", {}, content_type="application/json"
    )
    assert resp.status_code == 422 and resp.json()["code"] == "reason_required"
    resp = leader.post(f"/api/dossiers/{dossier_id}/actions/approve", {}, content_type="application/json")
    assert resp.json()["state"] == "RESULT_READY"
    detail = counter.get(f"/api/dossiers/{dossier_id}").json()
    assert [e["action"] for e in detail["control_sheet"]] == [
        "receive",
        "transfer",
        "submit_draft",
        "approve",
    ]
    listing = counter.get("/api/dossiers", {"state": "RESULT_READY"}).json()
    assert [d["id"] for d in listing] == [dossier_id]


def test_api_validation_errors_use_one_shape(staff, land):
    counter = token_client(staff["counter"])
    resp = counter.post(
        "/api/dossiers/intake",
        {"procedure_code": land.code, "applicant": {"name": "", "phone": "1"}, "outcome": "receive"},
        content_type="application/json",
    )
    assert resp.status_code == 422
    body = resp.json()
    assert body["code"] == "validation_failed" and any("Số điện thoại" in x for x in body["details"])
    assert Dossier.objects.count() == 0
    resp = counter.post("/api/dossiers/intake", {"procedure_code": "0.000", "applicant": {"name": "A", "phone": "0905000111"},
                        "outcome": "receive"}, content_type="application/json")  # fmt: skip
    assert resp.status_code == 404


def test_openapi_document_is_served(db):
    spec = Client().get("/api/openapi.json").json()
    assert "/api/dossiers/intake" in spec["paths"] and "/api/public/lookup" in spec["paths"]


def test_states_are_documented_in_the_api(db):
    spec = Client().get("/api/openapi.json").json()
    assert set(spec["components"]["schemas"]["State"]["enum"]) == set(State.values)


def test_nul_characters_never_reach_the_database(staff, land):
    counter = token_client(staff["counter"])
    resp = counter.post(
        "/api/dossiers/intake",
        {"procedure_code": land.code, "applicant": {"name": "Lê\u0000 Văn A", "phone": "0905000111"},
         "checklist_ticked": [i.id for i in land.checklist.all()], "outcome": "receive"},
        content_type="application/json",
    )  # fmt: skip
    assert resp.status_code == 201 and resp.json()["applicant_name"] == "Lê Văn A"
    assert counter.get("/api/dossiers", {"q": "H48\u0000"}).status_code == 200
    assert Client().get("/api/public/lookup", {"code": "A\u0000", "phone_last4": "1234"}).status_code == 422
    assert Client().get("/api/procedures", {"q": "khai\u0000"}).status_code == 200
