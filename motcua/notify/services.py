"""The one call every capability makes to tell a resident something (issue 9 §6).

`notify(...)` runs inside the caller's transaction and writes the messages to send (a rolled-back
change sends nothing); the background task sends them (notify.tasks). `dedupe_key` names the
event ("dossier:123:received"): asking twice gives the same rows, so a retried request or a
re-run task never sends a notice twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse

from motcua.core.text import mask_digits
from motcua.geo.models import Commune

from .models import Channel, Message, MessageState, OptOut
from .texts import opt_out_hint, sms_fits

OPT_OUT_SALT = "motcua.notify.opt_out"


def normalise_address(address: str) -> str:
    """An e-mail lower-cased; a phone as its digits in the 0xxxxxxxxx form (+84/84 → 0)."""
    address = address.strip().lower()
    if "@" in address:
        return address
    digits = "".join(ch for ch in address if ch.isdigit())
    if digits.startswith("84") and len(digits) >= 11:
        digits = "0" + digits[2:]
    return digits


def address_hash(address: str) -> str:
    return hashlib.sha256(normalise_address(address).encode()).hexdigest()


def opt_out_max_age() -> dt.timedelta:
    """How long an opt-out link works (MOTCUA_NOTIFY_OPT_OUT_MAX_AGE_DAYS, 90 days by default):
    the link in an old e-mail then asks the resident to request a new one."""
    return dt.timedelta(days=int(getattr(settings, "MOTCUA_NOTIFY_OPT_OUT_MAX_AGE_DAYS", 90)))


def masked_address(address: str) -> str:
    """The address as the confirmation page shows it: a phone's last 2 digits, an e-mail's first
    letter and domain."""
    address = normalise_address(address)
    if "@" in address:
        name, _, domain = address.partition("@")
        return f"{name[:1]}***@{domain}"
    return mask_digits(address)


def opt_out_token(address: str, *, now: dt.datetime) -> str:
    """The signed token of the opt-out link (/thong-bao/tu-choi/<token>/): the address's SHA-256
    (what OptOut stores), its masked form for the page and when it was issued — never the
    address itself (the token travels in URLs and logs)."""
    payload = {"v": 2, "h": address_hash(address), "m": masked_address(address), "t": int(now.timestamp())}
    return signing.dumps(payload, salt=OPT_OUT_SALT, compress=True)


def opt_out_link(address: str, *, now: dt.datetime) -> str:
    token = opt_out_token(address, now=now)
    return settings.MOTCUA_PUBLIC_URL + reverse("notify:opt_out_confirm", args=[token])


def with_opt_out_hint(text: str, *, channel: str, recipient: str, now: dt.datetime) -> str:
    """The text with the opt-out hint at its end: always in an e-mail (the signed link); on a
    phone only when it still fits one SMS (the page where the resident asks for the link)."""
    if channel == Channel.EMAIL:
        return f"{text}\n\nKhông muốn nhận thư nữa? Mở liên kết: {opt_out_link(recipient, now=now)}"
    hinted = text + opt_out_hint(settings.MOTCUA_PUBLIC_URL + reverse("notify:opt_out"))
    return hinted if sms_fits(hinted) else text


def opted_out(address: str) -> bool:
    return bool(address) and OptOut.objects.filter(address_sha256=address_hash(address)).exists()


def phone_channel() -> str:
    """The channel for a phone: MOTCUA_NOTIFY_PHONE_CHANNEL (ZALO falls back to SMS), CONSOLE
    by default (development and the demo: the message is written to the log)."""
    value = str(getattr(settings, "MOTCUA_NOTIFY_PHONE_CHANNEL", "CONSOLE")).upper()
    return value if value in Channel.values else Channel.CONSOLE


def notify(
    *,
    topic: str,
    subject_ref: str,
    commune: Commune | None,
    text: str,
    now: dt.datetime,
    dedupe_key: str,
    phone: str = "",
    email: str = "",
    email_subject: str = "",
    template: str = "",
    params: dict[str, str] | None = None,
    hint: bool = True,
) -> list[Message]:
    """Queue `text` for the resident's phone and/or e-mail. Returns the messages (existing ones
    when this event was already queued). The sending task is enqueued when the caller's
    transaction commits."""
    out: list[Message] = []
    for channel, recipient in ((phone_channel(), phone), (Channel.EMAIL, email)):
        if not recipient:
            continue
        key = f"{dedupe_key}:{'phone' if channel != Channel.EMAIL else 'email'}"[:200]
        existing = Message.objects.filter(dedupe_key=key).first()
        if existing is not None:
            out.append(existing)
            continue
        state = MessageState.SKIPPED if opted_out(recipient) else MessageState.PENDING
        body = with_opt_out_hint(text, channel=channel, recipient=recipient, now=now) if hint else text
        try:
            with transaction.atomic():
                message = Message.objects.create(
                    commune=commune, topic=topic[:40], subject_ref=subject_ref[:80], channel=channel,
                    recipient=recipient, body=body, email_subject=email_subject[:200],
                    template=template[:60], params=params or {}, state=state, dedupe_key=key,
                    next_attempt_at=now, created_at=now,
                )  # fmt: skip
        except IntegrityError:  # the same event queued at this very moment by another request
            message = Message.objects.get(dedupe_key=key)
        out.append(message)
    if any(m.state == MessageState.PENDING for m in out):
        transaction.on_commit(_enqueue)
    return out


def _enqueue() -> None:
    from .tasks import enqueue_send  # services → tasks → sending → services (at call time)

    enqueue_send()
