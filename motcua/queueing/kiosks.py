"""Kiosk devices: the touch screens at a center's door that take numbers with a bearer token.

The token is printed once by `motcua queue kiosk-token <commune code>` (`kiosk_create`); only its
SHA-256 is stored, so a leaked database gives no working token. A revoked or unknown token is
refused with 401 (`KioskUnauthorized`); a token of another center with 403 (ticket_issue).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import transaction

from motcua.core.errors import DomainError, NotFound, ValidationFailed
from motcua.core.text import clean_text
from motcua.geo.models import Commune
from motcua.org.models import User

from .models import KioskDevice

DEFAULT_NAME = "Máy lấy số"
# last_used_at is written at most this often per device: a busy kiosk writes no row per ticket.
TOUCH_EVERY = dt.timedelta(minutes=1)
_MAX_TOKEN = 200


class KioskUnauthorized(DomainError):
    """The bearer token is no kiosk's: unknown, revoked, or mistyped."""

    status = 401
    code = "kiosk_token_invalid"


REFUSED_MESSAGE = (
    "Mã máy lấy số không đúng hoặc đã bị thu hồi. Vui lòng liên hệ quản trị của trung tâm để được cấp mã mới."
)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()


def kiosk_create(
    *, commune: Commune, now: dt.datetime, name: str = "", created_by: User | None = None
) -> tuple[KioskDevice, str]:
    """A new kiosk of the center and its token, which is returned once and never stored."""
    label = " ".join(clean_text(name).split()) or DEFAULT_NAME
    if len(label) > 100:
        raise ValidationFailed("Tên máy lấy số dài quá 100 ký tự.", code="kiosk_name_too_long")
    raw = secrets.token_urlsafe(32)
    device = KioskDevice.objects.create(
        commune=commune, name=label, token_sha256=token_hash(raw), created_at=now, created_by=created_by
    )
    return device, raw


def kiosk_revoke(*, pk: int, now: dt.datetime) -> KioskDevice:
    """Revoke a kiosk: its token stops working at once (already revoked: unchanged)."""
    with transaction.atomic():
        device = KioskDevice.objects.select_for_update().filter(pk=pk).first() if 0 < pk < 2**31 else None
        if device is None:
            raise NotFound("Không tìm thấy máy lấy số này.", code="kiosk_not_found")
        if device.revoked_at is None:
            device.revoked_at = now
            device.save(update_fields=["revoked_at"])
    return device


def kiosks_of(*, commune: Commune) -> list[KioskDevice]:
    return list(KioskDevice.objects.filter(commune=commune).order_by("created_at", "pk"))


def kiosk_by_token(raw: str) -> KioskDevice:
    """The unrevoked kiosk of this token, else KioskUnauthorized (401)."""
    device = None
    if raw and len(raw) <= _MAX_TOKEN and "\x00" not in raw:
        device = (
            KioskDevice.objects.select_related("commune")
            .filter(token_sha256=token_hash(raw), revoked_at__isnull=True)
            .first()
        )
    if device is None:
        raise KioskUnauthorized(REFUSED_MESSAGE)
    return device


def kiosk_touch(device: KioskDevice, *, now: dt.datetime) -> None:
    """Record that the kiosk was used, at most once a minute (one UPDATE, no read)."""
    if device.last_used_at is not None and now - device.last_used_at < TOUCH_EVERY:
        return
    KioskDevice.objects.filter(pk=device.pk).update(last_used_at=now)
    device.last_used_at = now
