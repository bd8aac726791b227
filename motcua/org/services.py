"""Writes on staff accounts: API tokens."""

import datetime as dt

from django.db import transaction

from motcua.core.errors import NotFound

from .models import ApiToken, User


@transaction.atomic
def api_token_create(*, user: User, name: str, now: dt.datetime) -> str:
    """Issue a bearer token; return the raw value, which is shown once and never stored."""
    raw = ApiToken.new_raw()
    ApiToken.objects.create(
        user=user, name=name.strip()[:100] or "api", key_hash=ApiToken.hash(raw), created_at=now
    )
    return raw


@transaction.atomic
def api_token_revoke(*, user: User, name: str, now: dt.datetime) -> int:
    count = ApiToken.objects.filter(user=user, name=name, revoked_at__isnull=True).update(revoked_at=now)
    if not count:
        raise NotFound(f"Không có mã truy cập đang hiệu lực tên «{name}».")
    return count
