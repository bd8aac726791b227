"""Open311 API keys: one per app and commune. `motcua open311-key <commune code>` prints the raw
key once; only its SHA-256 is stored, so a leaked database does not leak the keys."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import transaction

from motcua.core.errors import NotFound
from motcua.feedback.models import Open311Key
from motcua.feedback.services import clean_field
from motcua.geo.models import Commune

KEY_LIMIT = 100  # longer keys are never ours: refused before they are hashed


def key_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()


def open311_key_create(*, commune: Commune, name: str, now: dt.datetime) -> str:
    """A new key for an app of `commune`; returns the raw key (shown once, never stored)."""
    label = clean_field(name, label="Tên ứng dụng", limit=100) or "Ứng dụng Open311"
    raw = secrets.token_urlsafe(32)
    Open311Key.objects.create(commune=commune, name=label, key_sha256=key_hash(raw), created_at=now)
    return raw


@transaction.atomic
def open311_key_revoke(*, commune: Commune, name: str, now: dt.datetime) -> int:
    """Revoke every live key of `commune` named `name`; how many."""
    count = Open311Key.objects.filter(commune=commune, name=name, revoked_at__isnull=True).update(
        revoked_at=now
    )
    if not count:
        raise NotFound(f"Không có khoá Open311 đang hiệu lực tên «{name}».")
    return count


def open311_key_for(raw: str | None) -> Open311Key | None:
    """The live key whose raw value is `raw`, or None (absent, too long, unknown or revoked)."""
    if not raw or len(raw) > KEY_LIMIT or "\x00" in raw:
        return None
    return (
        Open311Key.objects.select_related("commune")
        .filter(key_sha256=key_hash(raw), revoked_at__isnull=True)
        .first()
    )
