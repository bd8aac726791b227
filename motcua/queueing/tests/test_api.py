"""The queue's API: the contract of issue 8 and its refusals in the one error shape."""

import json

import pytest
from django.test import Client

from motcua.core import clock
from motcua.org.models import ApiToken, Role
from motcua.queueing.models import Ticket, TicketState
from motcua.testing import make_counter, make_service_groups, make_user

from .conftest import NOW


@pytest.fixture(autouse=True)
def _pinned():
    with clock.pinned(NOW):
        yield


def token_client(user) -> Client:
    raw = ApiToken.new_raw()
    ApiToken.objects.create(user=user, name="t", key_hash=ApiToken.hash(raw), created_at=NOW)
    return Client(headers={"Authorization": f"Bearer {raw}"})


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def _take(ward, group="A", priority=False, client=None):
    return _post(
        client or Client(),
        "/api/queue/tickets",
        {"center": str(ward.code), "group": group, "priority": priority},
    )


def _error(resp, status):
    assert resp.status_code == status, resp.content
    body = resp.json()
    assert set(body) == {"code", "message", "details"} and body["message"]
    return body


def test_take_a_number_then_follow_it_with_the_secret(ward, groups, settings):
    settings.MOTCUA_QUEUE_AVG_SERVICE_SECONDS = 300
    first = _take(ward)
    resp = _take(ward, "a", priority=False)
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["number"] == "A002" and body["position"] == 2 and body["estimated_wait_s"] == 600
    assert first.json()["number"] == "A001"
    ticket = Ticket.objects.get(pk=body["id"])
    # The phone's ticket page, absolute (the kiosk's printed QR and other apps open it).
    assert body["status_url"] == f"{settings.MOTCUA_PUBLIC_URL}/lay-so/ve/{ticket.pk}/{ticket.secret}/"
    status = Client().get(f"/api/queue/tickets/{ticket.pk}", {"secret": ticket.secret})
    assert status.status_code == 200
    assert (status.json()["state"], status.json()["position"]) == ("WAITING", 2)
    for query in ({}, {"secret": ""}, {"secret": "x" * 24}, {"secret": "\x00"}, {"secret": "y" * 5000}):
        _error(Client().get(f"/api/queue/tickets/{ticket.pk}", query), 404)
    _error(Client().get("/api/queue/tickets/999999", {"secret": ticket.secret}), 404)


@pytest.mark.parametrize(
    ("center", "group", "status"),
    [
        ("99999", "A", 404),  # unknown center
        ("20209", "D", 404),  # inactive group
        ("20209", "Z", 404),  # no such group
        ("abc", "A", 422),
        ("20209\x00", "A", 422),
        ("2" * 5000, "A", 422),
        ("20209", "A\x00", 422),
        ("20209", "AB", 422),
        ("20209", "ă" * 10000, 422),
    ],
)
def test_bad_tickets_are_refused_in_vietnamese_and_change_nothing(ward, groups, center, group, status):
    groups["D"].active = False
    groups["D"].save()
    _error(
        _post(Client(), "/api/queue/tickets", {"center": center, "group": group, "priority": False}), status
    )
    assert not Ticket.objects.exists()


def test_taking_numbers_is_limited_per_client(ward, groups, settings):
    settings.MOTCUA_TICKET_RATE = "2/600"
    assert [_take(ward).status_code for _ in range(2)] == [201, 201]
    assert _error(_take(ward), 429)["code"] == "rate_limited"
    assert Ticket.objects.count() == 2


def test_an_officer_calls_recalls_and_finishes(ward, groups, staff, counter1):
    api = token_client(staff["counter"])
    url = f"/api/queue/counters/{counter1.pk}"
    assert api.post(f"{url}/call-next").status_code == 204
    b = _take(ward, "B").json()
    p = _take(ward, "A", priority=True).json()
    called = api.post(f"{url}/call-next")
    assert called.status_code == 200 and called.json()["number"] == p["number"] == "A001"
    assert called.json()["counter"] == 1 and called.json()["state"] == "CALLED"
    recalled = _post(api, f"{url}/recall", {"ticket": p["id"]})
    assert recalled.status_code == 200 and recalled.json()["recalls"] == 1
    done = _post(api, f"{url}/finish", {"ticket": p["id"]})
    assert done.status_code == 200 and done.json()["state"] == "DONE"
    assert api.post(f"{url}/call-next").json()["number"] == b["number"]
    gone = _post(api, f"{url}/no-show", {"ticket": b["id"]})
    assert gone.status_code == 200 and gone.json()["state"] == "NO_SHOW"
    assert _error(_post(api, f"{url}/finish", {"ticket": b["id"]}), 409)["code"] == "invalid_transition"
    status = Client().get(f"/api/queue/tickets/{p['id']}", {"secret": Ticket.objects.get(pk=p["id"]).secret})
    assert status.json()["state"] == "DONE" and status.json()["position"] is None


def test_counter_refusals(ward, groups, staff, counter1, counter2, other_ward):
    api = token_client(staff["counter"])
    make_service_groups(other_ward)
    outsider = make_user(other_ward, Role.COUNTER_OFFICER, "ak_motcua")
    their_counter = make_counter(other_ward, 1, "ABC", officer=outsider)
    c = _take(ward, "C").json()
    # a counter of another commune is not found, and so is a ticket of another commune
    _error(api.post(f"/api/queue/counters/{their_counter.pk}/call-next"), 404)
    _error(token_client(outsider).post(f"/api/queue/counters/{counter1.pk}/call-next"), 404)
    _error(
        _post(token_client(outsider), f"/api/queue/counters/{their_counter.pk}/finish", {"ticket": c["id"]}),
        404,
    )
    # quầy 1 does not serve group C
    assert _error(_post(api, f"/api/queue/counters/{counter1.pk}/recall", {"ticket": c["id"]}), 422)[
        "code"
    ] == ("group_not_served")
    # not signed in; not a counter officer
    assert Client().post(f"/api/queue/counters/{counter1.pk}/call-next").status_code == 401
    _error(token_client(staff["leader"]).post(f"/api/queue/counters/{counter2.pk}/call-next"), 403)
    _error(api.post("/api/queue/counters/99999999999/call-next"), 404)
    _error(_post(api, f"/api/queue/counters/{counter1.pk}/recall", {"ticket": 99999999999999}), 404)
    assert Ticket.objects.get(pk=c["id"]).state == TicketState.WAITING


def test_the_queue_is_in_the_openapi_document(db):
    paths = Client().get("/api/openapi.json").json()["paths"]
    for path in ("/api/queue/tickets", "/api/queue/tickets/{ticket_id}", "/api/queue/counters/{counter_id}/call-next",
                 "/api/queue/counters/{counter_id}/recall", "/api/queue/counters/{counter_id}/no-show",
                 "/api/queue/counters/{counter_id}/finish"):  # fmt: skip
        assert path in paths


# --- start, hold, resume, transfer (issue 8 §4) ------------------------------------------------


def test_an_officer_starts_holds_resumes_and_transfers(ward, groups, staff, counter1, counter2):
    from motcua.queueing.models import TicketEvent

    api = token_client(staff["counter"])
    url = f"/api/queue/counters/{counter1.pk}"
    a = _take(ward, "A").json()
    assert api.post(f"{url}/call-next").json()["id"] == a["id"]
    started = _post(api, f"{url}/start", {"ticket": a["id"]})
    assert started.status_code == 200 and started.json()["state"] == "SERVING"
    held = _post(api, f"{url}/hold", {"ticket": a["id"], "reason": " Đi photo\x00 CCCD "})
    assert held.status_code == 200 and held.json()["state"] == "HELD"
    assert TicketEvent.objects.filter(ticket_id=a["id"]).latest("id").note == "Đi photo CCCD"
    resumed = _post(api, f"{url}/resume", {"ticket": a["id"]})
    assert resumed.status_code == 200 and resumed.json()["state"] == "SERVING"
    moved = _post(api, f"{url}/transfer", {"ticket": a["id"], "group": "c", "counter": 2})
    assert moved.status_code == 200, moved.content
    assert (moved.json()["state"], moved.json()["group"], moved.json()["counter"]) == ("WAITING", "C", None)
    t = Ticket.objects.get(pk=a["id"])
    assert (t.queue_group, t.directed_counter) == (groups["C"], counter2)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"group": "Z"}, "bad_group"),
        ({"group": "A\x00"}, "bad_group"),
        ({"group": "x" * 5000}, "bad_group"),
        ({"counter": 99}, "bad_counter"),
        ({"counter": 10**15}, "bad_counter"),
        ({"counter": -1}, "bad_counter"),
        ({"counter": 2}, "group_not_served"),  # quầy 2 serves C only
        ({"counter": 1}, "same_counter"),
        ({"group": "A"}, "same_group"),
        ({}, "no_target"),
    ],
)
def test_bad_transfers_are_422_in_vietnamese_and_change_nothing(
    ward, groups, staff, counter1, counter2, body, code
):
    api = token_client(staff["counter"])
    url = f"/api/queue/counters/{counter1.pk}"
    a = _take(ward, "A").json()
    api.post(f"{url}/call-next")
    assert _error(_post(api, f"{url}/transfer", {"ticket": a["id"], **body}), 422)["code"] == code
    t = Ticket.objects.get(pk=a["id"])
    assert (t.state, t.queue_group, t.counter, t.directed_counter) == ("CALLED", groups["A"], counter1, None)
    assert t.events.count() == 2


def test_a_step_from_a_counter_that_does_not_serve_the_group_is_422_and_changes_nothing(
    ward, groups, staff, counter1, counter2
):
    api = token_client(staff["counter"])
    c = _take(ward, "C").json()
    for step, extra in (
        ("start", {}),
        ("hold", {"reason": "x"}),
        ("resume", {}),
        ("transfer", {"group": "A"}),
    ):
        resp = _post(api, f"/api/queue/counters/{counter1.pk}/{step}", {"ticket": c["id"], **extra})
        body = _error(resp, 422)
        assert body["code"] == "group_not_served" and "không phục vụ nhóm C" in body["message"]
    t = Ticket.objects.get(pk=c["id"])
    assert (t.state, t.counter, t.events.count()) == ("WAITING", None, 1)


def test_a_hold_reason_over_200_characters_is_422(ward, groups, staff, counter1):
    api = token_client(staff["counter"])
    url = f"/api/queue/counters/{counter1.pk}"
    a = _take(ward, "A").json()
    api.post(f"{url}/call-next")
    assert _error(_post(api, f"{url}/hold", {"ticket": a["id"], "reason": "x" * 201}), 422)["code"] == (
        "reason_too_long"
    )
    assert Ticket.objects.get(pk=a["id"]).state == "CALLED"


def test_the_new_steps_are_in_the_openapi_document(db):
    paths = Client().get("/api/openapi.json").json()["paths"]
    for step in ("start", "hold", "resume", "transfer"):
        assert f"/api/queue/counters/{{counter_id}}/{step}" in paths
