"""Kiosk devices: `motcua queue kiosk-token|kiosk-revoke|kiosks`, and POST /api/queue/tickets with
a kiosk's bearer token (no per-client limit; revoked/unknown → 401; another center's → 403)."""

import datetime as dt
import hashlib
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from motcua.core import clock
from motcua.org.models import ApiToken
from motcua.queueing.kiosks import kiosk_by_token, kiosk_create, kiosk_touch
from motcua.queueing.models import KioskDevice, Ticket, TicketSource
from motcua.testing import make_service_groups

from .conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _pinned():
    with clock.pinned(NOW):
        yield


def _cli(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("queue", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_kiosk_token_prints_a_token_once_and_stores_only_its_hash(ward):
    out, err = _cli("kiosk-token", str(ward.code), "--name", "Máy lấy số cửa chính")
    raw = out.strip()
    assert len(raw) >= 43 and "\n" not in raw, "the token alone on stdout (a script can capture it)"
    device = KioskDevice.objects.get()
    assert device.name == "Máy lấy số cửa chính" and device.commune == ward and device.created_at == NOW
    assert device.token_sha256 == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in json.dumps(list(KioskDevice.objects.values()), default=str), "never stored in clear"
    assert "một lần" in err and f"#{device.pk}" in err
    listing, _ = _cli("kiosks", str(ward.code))
    assert "Máy lấy số cửa chính" in listing and "đang dùng" in listing and raw not in listing
    second, _ = _cli("kiosk-token", str(ward.code))
    assert second.strip() != raw and KioskDevice.objects.count() == 2
    assert KioskDevice.objects.order_by("pk").last().name == "Máy lấy số"


def test_kiosk_revoke_stops_the_token(ward):
    raw = _cli("kiosk-token", str(ward.code))[0].strip()
    device = KioskDevice.objects.get()
    assert kiosk_by_token(raw) == device
    out, _ = _cli("kiosk-revoke", str(device.pk))
    assert "Đã thu hồi" in out
    device.refresh_from_db()
    assert device.revoked_at == NOW
    with pytest.raises(Exception) as exc:
        kiosk_by_token(raw)
    assert getattr(exc.value, "status", None) == 401
    assert "đã thu hồi" in _cli("kiosks", str(ward.code))[0]


@pytest.mark.parametrize(
    "args",
    [("kiosk-token", "99999"), ("kiosk-token", "abc"), ("kiosk-revoke", "424242"), ("kiosks", "x\x00")],
)
def test_cli_refusals_are_vietnamese(ward, args):
    with pytest.raises(CommandError, match=r"Không tìm thấy|phải là một dãy chữ số"):
        _cli(*args)
    assert not KioskDevice.objects.exists()


def _take(ward, token=None, group="A", header=None):
    headers = {"Authorization": header or f"Bearer {token}"} if (token or header) else {}
    return Client(headers=headers).post(
        "/api/queue/tickets",
        json.dumps({"center": str(ward.code), "group": group, "priority": False}),
        content_type="application/json",
    )


def test_a_kiosk_takes_50_numbers_where_anonymous_gets_429(ward, groups, settings):
    settings.MOTCUA_TICKET_RATE = "3/600"
    device, raw = kiosk_create(commune=ward, now=NOW)
    assert [_take(ward).status_code for _ in range(4)] == [201, 201, 201, 429]
    for _ in range(50):
        resp = _take(ward, raw)
        assert resp.status_code == 201, resp.content
    body = resp.json()
    assert set(body) >= {"number", "id", "status_url", "position", "estimated_wait_s"}
    assert body["number"] == "A053"
    kiosk_tickets = Ticket.objects.filter(kiosk=device)
    assert kiosk_tickets.count() == 50 and set(kiosk_tickets.values_list("source", flat=True)) == {
        TicketSource.KIOSK
    }
    assert set(Ticket.objects.filter(kiosk=None).values_list("source", flat=True)) == {TicketSource.API}
    device.refresh_from_db()
    assert device.last_used_at == NOW


def test_last_used_is_written_at_most_once_a_minute(ward, django_assert_num_queries):
    device, _ = kiosk_create(commune=ward, now=NOW)
    kiosk_touch(device, now=NOW)
    with django_assert_num_queries(0):
        kiosk_touch(device, now=NOW + dt.timedelta(seconds=59))
    with django_assert_num_queries(1):
        kiosk_touch(device, now=NOW + dt.timedelta(seconds=61))
    device.refresh_from_db()
    assert device.last_used_at == NOW + dt.timedelta(seconds=61)


def _error(resp, status):
    assert resp.status_code == status, resp.content
    body = resp.json()
    assert set(body) == {"code", "message", "details"}
    return body


def test_unknown_revoked_or_staff_tokens_are_401_in_vietnamese(ward, groups, staff):
    device, raw = kiosk_create(commune=ward, now=NOW)
    device.revoked_at = NOW
    device.save()
    staff_raw = ApiToken.new_raw()
    ApiToken.objects.create(user=staff["admin"], name="t", key_hash=ApiToken.hash(staff_raw), created_at=NOW)
    for header in (f"Bearer {raw}", "Bearer nope", f"Bearer {staff_raw}", "Bearer " + "x" * 5000,
                   "Bearer a\x00b", "Basic dXNlcjpwYXNz"):  # fmt: skip
        body = _error(_take(ward, header=header), 401)
        assert body["code"] == "kiosk_token_invalid" and (
            "thu hồi" in body["message"] or "Bearer" in body["message"]
        )
    assert not Ticket.objects.exists()


def test_a_kiosk_of_another_center_is_refused_and_nothing_changes(ward, groups, other_ward):
    make_service_groups(other_ward)
    device, raw = kiosk_create(commune=other_ward, now=NOW)
    for letter in ("A", "Z"):
        body = _error(_take(ward, raw, group=letter), 403)
        assert body["message"].startswith("Máy lấy số này thuộc trung tâm khác")
    assert not Ticket.objects.exists()
    device.refresh_from_db()
    assert device.last_used_at is None


def test_anonymous_api_tickets_are_capped_per_address(ward, groups, settings):
    """No cookie on the API: one address holds at most MOTCUA_QUEUE_ADDRESS_MAX_LIVE live
    tickets (a script cannot take a group's 999 numbers of the day); a kiosk is not capped."""
    settings.MOTCUA_QUEUE_ADDRESS_MAX_LIVE = 2
    assert [_take(ward).status_code for _ in range(3)] == [201, 201, 409]
    assert _take(ward).json()["code"] == "too_many_live_tickets"
    _, raw = kiosk_create(commune=ward, now=NOW)
    assert [_take(ward, raw).status_code for _ in range(3)] == [201, 201, 201]
    assert Ticket.objects.filter(source=TicketSource.API).count() == 2
