"""Opting out of notices (issue 9 §6): the resident types a phone or an e-mail at
/thong-bao/tu-choi/ and receives there a signed link (/thong-bao/tu-choi/<token>/); opening it
and confirming stores only the SHA-256 of the address (OptOut). Every e-mail carries the link
already. The reply keyword of an SMS ("TC" to the brandname) is not handled: it needs the
gateway's inbound hook, which no ward has configured yet.

The request answers the same whatever the address (known, unknown, already opted out), so the
page tells nobody who is on file; it is rate-limited per client and sends at most one link a day
to an address (no one can flood a phone with our SMS).
"""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from motcua.core import ratelimit
from motcua.core.errors import NotFound, ValidationFailed
from motcua.core.text import clean_text

from .models import OptOut
from .services import OPT_OUT_SALT, address_hash, normalise_address, notify, opt_out_link
from .texts import opt_out_confirm

_PHONE = re.compile(r"0[0-9]{9}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,185}\.[^@\s]{2,}")
ADDRESS_MAX = 254


def clean_address(raw: object) -> str:
    """A phone (10 digits from 0; +84 accepted) or an e-mail; a NUL or an over-long value is refused."""
    if not isinstance(raw, str) or "\x00" in raw:
        raise ValidationFailed("Số điện thoại hoặc thư điện tử có ký tự không hợp lệ.", code="bad_address")
    value = clean_text(raw).strip()
    if not value:
        raise ValidationFailed("Hãy nhập số điện thoại hoặc địa chỉ thư điện tử.", code="required")
    if len(value) > ADDRESS_MAX:
        raise ValidationFailed(f"Tối đa {ADDRESS_MAX} ký tự.", code="too_long")
    if "@" in value:
        if not _EMAIL.fullmatch(value):
            raise ValidationFailed("Địa chỉ thư điện tử không hợp lệ.", code="bad_email")
        return value.lower()
    phone = re.sub(r"[\s.\-()]", "", value)
    if phone.startswith("+84"):
        phone = "0" + phone[3:]
    if not _PHONE.fullmatch(phone):
        raise ValidationFailed("Số điện thoại gồm 10 chữ số, bắt đầu bằng 0.", code="bad_phone")
    return phone


def opt_out_request(*, address: object, client: str, now: dt.datetime) -> None:
    """Send the confirmation link to `address` (at most one a day to an address)."""
    value = clean_address(address)
    ratelimit.hit(purpose="opt-out", key=client, rate=settings.MOTCUA_NOTIFY_OPT_OUT_RATE, now=now)
    day = timezone.localtime(now).date().isoformat()
    is_email = "@" in value
    with transaction.atomic():
        notify(
            topic="notify.opt_out", subject_ref="", commune=None, text=opt_out_confirm(opt_out_link(value)),
            now=now, dedupe_key=f"optout:{address_hash(value)}:{day}",
            phone="" if is_email else value, email=value if is_email else "",
            email_subject="Xác nhận ngừng nhận thông báo", hint=False,
        )  # fmt: skip


def token_address(token: str) -> str:
    try:
        value = signing.loads(token, salt=OPT_OUT_SALT)
    except signing.BadSignature:
        raise NotFound("Liên kết không đúng hoặc đã bị sửa. Hãy yêu cầu liên kết mới.") from None
    if not isinstance(value, str) or not value:
        raise NotFound("Liên kết không đúng. Hãy yêu cầu liên kết mới.")
    return normalise_address(value)


def opt_out_confirm_token(*, token: str, now: dt.datetime) -> OptOut:
    """The resident confirmed: no more notices to this address (only its SHA-256 is kept)."""
    address = token_address(token)
    optout, _ = OptOut.objects.get_or_create(
        address_sha256=address_hash(address), defaults={"created_at": now}
    )
    return optout
