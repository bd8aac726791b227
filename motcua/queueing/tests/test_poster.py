"""The center's printable QR poster (/lay-so/<code>/ap-phich/): A4, a big QR to the phone page,
the groups and the opening hours; for the center's own administrator and counter officers."""

import re

import pytest
import segno
from django.test import Client
from django.urls import reverse

from motcua.core import clock
from motcua.org.models import CommuneProfile
from motcua.testing import make_staff

from .conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _pinned():
    with clock.pinned(NOW):
        yield


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_poster_has_the_qr_the_groups_and_the_hours(ward, groups, staff, settings):
    CommuneProfile.objects.create(
        commune=ward, unit_name="UBND Phường Thanh Khê", opening_hours="Sáng 7:30–11:30, chiều 13:30–17:00"
    )
    groups["D"].active = False
    groups["D"].save()
    url = reverse("queueing:poster", args=[ward.code])
    for role in ("admin", "counter"):
        resp = _as(staff[role]).get(url)
        assert resp.status_code == 200, role
    html = resp.content.decode()
    assert "Quét mã để lấy số thứ tự" in html and "Phường Thanh Khê" in html
    assert "Sáng 7:30–11:30, chiều 13:30–17:00" in html and "UBND Phường Thanh Khê" in html
    assert "A — Hộ tịch" in html and "B — Đất đai - Xây dựng" in html and "Lao động" not in html
    assert re.search(r'<style nonce="[^"]+">@page \{ size: A4 portrait', html)
    target = f"{settings.MOTCUA_PUBLIC_URL}/lay-so/{ward.code}/"
    assert target in html
    path = re.search(r'<path [^>]*d="([^"]+)"', html)
    assert path, "an inline SVG QR code"
    assert f'd="{path.group(1)}"' in segno.make(target, error="m").svg_inline(scale=14), (
        "it opens the phone page"
    )
    assert f'd="{path.group(1)}"' not in segno.make(target + "x", error="m").svg_inline(scale=14)


def test_only_the_centers_admin_and_counter_officers(client, ward, groups, staff, other_ward):
    url = reverse("queueing:poster", args=[ward.code])
    resp = client.get(url)
    assert resp.status_code == 302 and resp["Location"].startswith(reverse("core:login"))
    for role in ("specialist_econ", "leader"):
        assert _as(staff[role]).get(url).status_code == 403, role
    theirs = make_staff(other_ward, prefix="ak_")
    for role in ("admin", "counter"):
        resp = _as(theirs[role]).get(url)
        assert resp.status_code == 404 and "Thanh Khê" not in resp.content.decode(), role
    assert _as(staff["admin"]).get(reverse("queueing:poster", args=["99999"])).status_code == 404
    assert _as(staff["admin"]).post(url).status_code == 405
