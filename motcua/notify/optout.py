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
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from motcua.core import ratelimit
from motcua.core.errors import NotFound, ValidationFailed
from motcua.core.text import clean_text

from .models import OptOut
from .services import OPT_OUT_SALT, address_hash, notify, opt_out_link, opt_out_max_age
from .texts import opt_out_confirm

_PHONE = re.compile(r"0[0-9]{9}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,185}\.[^@\s]{2,}")
ADDRESS_MAX = 254
_SHA256 = re.compile(r"[0-9a-f]{64}")


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
            topic="notify.opt_out", subject_ref="", commune=None, text=opt_out_confirm(opt_out_link(value, now=now)),
            now=now, dedupe_key=f"optout:{address_hash(value)}:{day}",
            phone="" if is_email else value, email=value if is_email else "",
            email_subject="Xác nhận ngừng nhận thông báo", hint=False,
        )  # fmt: skip


@dataclass(frozen=True)
class OptOutLink:
    address_sha256: str
    masked: str


_NEW_LINK = "Hãy yêu cầu liên kết mới."


def token_payload(token: str, *, now: dt.datetime) -> OptOutLink:
    """What a confirmation link names (the address's SHA-256 and masked form); NotFound with a
    Vietnamese message when it was altered, has expired or is of the old kind (which carried
    the address itself)."""
    try:
        value = signing.loads(token, salt=OPT_OUT_SALT)
    except signing.BadSignature:
        raise NotFound(f"Liên kết không đúng hoặc đã bị sửa. {_NEW_LINK}") from None
    if not isinstance(value, dict) or value.get("v") != 2:
        raise NotFound(f"Liên kết này theo mẫu cũ, không còn dùng được. {_NEW_LINK}", code="old_link")
    digest, masked, issued = value.get("h"), value.get("m"), value.get("t")
    if (
        not isinstance(digest, str)
        or not _SHA256.fullmatch(digest)
        or not isinstance(masked, str)
        or not isinstance(issued, int)
    ):
        raise NotFound(f"Liên kết không đúng. {_NEW_LINK}")
    max_age = opt_out_max_age()
    if now.timestamp() - issued > max_age.total_seconds():
        raise NotFound(
            f"Liên kết đã hết hạn (chỉ dùng được trong {max_age.days} ngày). {_NEW_LINK}", code="expired"
        )
    return OptOutLink(address_sha256=digest, masked=masked)


def opt_out_confirm_token(*, token: str, now: dt.datetime) -> OptOut:
    """The resident confirmed: no more notices to this address (only its SHA-256 is kept)."""
    link = token_payload(token, now=now)
    optout, _ = OptOut.objects.get_or_create(address_sha256=link.address_sha256, defaults={"created_at": now})
    return optout
