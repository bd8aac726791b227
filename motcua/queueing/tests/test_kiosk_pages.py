"""The kiosk at the door (/lay-so/may/): activated once per screen with its token (a signed
HttpOnly SameSite=Strict cookie), huge group buttons, the priority step, the printed ticket."""

import re

import pytest
import segno
from django.test import Client
from django.urls import reverse

from motcua.core import clock
from motcua.queueing.kiosks import kiosk_create
from motcua.queueing.models import KioskDevice, Ticket, TicketSource
from motcua.testing import make_service_groups

from .conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _pinned():
    with clock.pinned(NOW):
        yield


def _activate(client, raw):
    return client.post(reverse("queueing:kiosk_activate"), {"token": raw})


@pytest.fixture
def kiosk(ward, groups):
    device, raw = kiosk_create(commune=ward, name="Máy cửa chính", now=NOW)
    client = Client()
    assert _activate(client, raw).status_code == 302
    return device, raw, client


def test_without_activation_the_kiosk_asks_for_its_token(client, ward, groups):
    resp = client.get(reverse("queueing:kiosk"))
    assert resp.status_code == 302 and resp["Location"] == reverse("queueing:kiosk_activate")
    html = client.get(resp["Location"]).content.decode()
    assert "Kích hoạt máy lấy số" in html and 'name="token"' in html and "motcua queue kiosk-token" in html
    assert client.post(reverse("queueing:kiosk"), {"group": "A"}).status_code == 302
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("token", ["", "nope", "a\x00b", "x" * 5000])
def test_a_wrong_token_is_refused_in_vietnamese(client, ward, groups, token):
    resp = _activate(client, token)
    assert resp.status_code == 422 and "Mã không đúng hoặc đã bị thu hồi" in resp.content.decode()
    assert "motcua_kiosk" not in resp.cookies


def test_activation_keeps_the_token_in_a_strict_httponly_signed_cookie(ward, groups):
    device, raw = kiosk_create(commune=ward, now=NOW)
    client = Client()
    resp = _activate(client, "  " + raw + "\n")
    assert resp.status_code == 302 and resp["Location"] == reverse("queueing:kiosk")
    cookie = resp.cookies["motcua_kiosk"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and int(cookie["max-age"]) > 300 * 24 * 3600
    assert cookie.value != raw and cookie.value.startswith(raw + ":"), "signed"
    device.refresh_from_db()
    assert device.last_used_at == NOW
    # A tampered cookie is no kiosk.
    forged = Client()
    forged.cookies["motcua_kiosk"] = raw + ":forged"
    assert forged.get(reverse("queueing:kiosk")).status_code == 302


def test_the_kiosk_shows_huge_group_buttons_then_the_priority_step(kiosk, ward, groups):
    _, _, client = kiosk
    resp = client.get(reverse("queueing:kiosk"))
    html = resp.content.decode()
    assert resp.status_code == 200 and "Mời chọn lĩnh vực để lấy số" in html and "Phường Thanh Khê" in html
    assert "no-store" in resp["Cache-Control"]
    assert 'href="/lay-so/may/?nhom=B"' in html and "Đất đai - Xây dựng" in html
    assert "<script" not in html and '<a href="/"' not in html, "no script and no way out"
    html = client.get(reverse("queueing:kiosk"), {"nhom": "b"}).content.decode()
    assert "Bạn thuộc diện ưu tiên?" in html and 'name="group" value="B"' in html
    assert "Không — lấy số thường" in html
    for label in ("Người cao tuổi", "Người khuyết tật", "Phụ nữ mang thai", "Người có con nhỏ"):
        assert label in html
    html = client.get(reverse("queueing:kiosk"), {"nhom": "Z\x00"}).content.decode()
    assert "Nhóm dịch vụ này không có" in html and "Mời chọn lĩnh vực" in html


def test_the_kiosk_issues_and_shows_the_ticket_for_printing(kiosk, ward, groups, settings):
    device, _, client = kiosk
    settings.MOTCUA_TICKET_RATE = "1/600"
    for priority in ("", "cao-tuoi", "", ""):
        resp = client.post(reverse("queueing:kiosk"), {"group": "B", "priority": priority})
        assert resp.status_code == 302, "no per-client limit for a kiosk"
    tickets = list(Ticket.objects.order_by("pk"))
    assert [(t.number, t.priority, t.source, t.kiosk_id, t.holder) for t in tickets] == [
        ("B001", False, TicketSource.KIOSK, device.pk, ""),
        ("B002", True, TicketSource.KIOSK, device.pk, ""),
        ("B003", False, TicketSource.KIOSK, device.pk, ""),
        ("B004", False, TicketSource.KIOSK, device.pk, ""),
    ]
    t = tickets[-1]
    assert resp["Location"] == reverse("queueing:kiosk_ticket", args=[t.pk, t.secret])
    page = client.get(resp["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert "B004" in html and "Đất đai - Xây dựng" in html and "Phường Thanh Khê" in html
    assert "@page { size: 80mm auto; margin: 0; }" in html and "queueing/kiosk.js" in html
    assert re.search(r'<style nonce="[^"]+">@page', html), "the @page rule carries the CSP nonce"
    assert 'data-testid="ahead">3<' in html and "khoảng" in html and "08:00 10/02/2026" in html
    phone = f"{settings.MOTCUA_PUBLIC_URL}/lay-so/ve/{t.pk}/{t.secret}/"
    path = re.search(r'<path [^>]*d="([^"]+)"', html)
    assert path, "an inline SVG QR code"
    expected = segno.make(phone, error="m").svg_inline(scale=3, dark="#000", title="x")
    assert f'd="{path.group(1)}"' in expected, "the QR code opens the ticket's phone page"
    assert f'd="{path.group(1)}"' not in segno.make(phone + "x", error="m").svg_inline(scale=3)


def test_only_the_issuing_kiosk_shows_its_ticket(kiosk, ward, groups, other_ward):
    _, _, client = kiosk
    client.post(reverse("queueing:kiosk"), {"group": "A", "priority": ""})
    t = Ticket.objects.get()
    url = reverse("queueing:kiosk_ticket", args=[t.pk, t.secret])
    assert Client().get(url).status_code == 404
    _, raw2 = kiosk_create(commune=ward, now=NOW)
    other = Client()
    _activate(other, raw2)
    assert other.get(url).status_code == 404, "another kiosk, even of the same center"
    assert client.get(reverse("queueing:kiosk_ticket", args=[t.pk, "0" * 22])).status_code == 404
    make_service_groups(other_ward)
    _, raw3 = kiosk_create(commune=other_ward, now=NOW)
    theirs = Client()
    _activate(theirs, raw3)
    html = theirs.get(reverse("queueing:kiosk")).content.decode()
    assert "Phường An Khê" in html and "Thanh Khê" not in html, "a kiosk shows its own center only"


def test_a_revoked_kiosk_goes_back_to_activation(kiosk, ward, groups):
    device, _, client = kiosk
    KioskDevice.objects.filter(pk=device.pk).update(revoked_at=NOW)
    cookie = client.cookies["motcua_kiosk"].value
    for send in (
        lambda c: c.get(reverse("queueing:kiosk")),
        lambda c: c.post(reverse("queueing:kiosk"), {"group": "A"}),
    ):
        client.cookies["motcua_kiosk"] = cookie
        resp = send(client)
        html = resp.content.decode()
        assert resp.status_code == 200 and "Kích hoạt máy lấy số" in html and "đã bị thu hồi" in html
        assert resp.cookies["motcua_kiosk"].value == "", "the dead cookie is dropped"
    assert not Ticket.objects.exists()


def test_an_inactive_group_on_the_kiosk_is_a_vietnamese_refusal(kiosk, ward, groups):
    _, _, client = kiosk
    groups["D"].active = False
    groups["D"].save()
    resp = client.post(reverse("queueing:kiosk"), {"group": "D"})
    assert resp.status_code == 404 and "tạm ngừng lấy số" in resp.content.decode()
    resp = client.post(reverse("queueing:kiosk"), {"group": "\x00"})
    assert resp.status_code == 422 and "chữ cái từ A đến Z" in resp.content.decode()
    assert not Ticket.objects.exists()
