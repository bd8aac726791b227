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


def opt_out_token(address: str) -> str:
    """The signed token of the opt-out link (/thong-bao/tu-choi/<token>/): the address, signed."""
    return signing.dumps(normalise_address(address), salt=OPT_OUT_SALT, compress=True)


def opt_out_link(address: str) -> str:
    return settings.MOTCUA_PUBLIC_URL + reverse("notify:opt_out_confirm", args=[opt_out_token(address)])


def with_opt_out_hint(text: str, *, channel: str, recipient: str) -> str:
    """The text with the opt-out hint at its end: always in an e-mail (the signed link); on a
    phone only when it still fits one SMS (the page where the resident asks for the link)."""
    if channel == Channel.EMAIL:
        return f"{text}\n\nKhông muốn nhận thư nữa? Mở liên kết: {opt_out_link(recipient)}"
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
        body = with_opt_out_hint(text, channel=channel, recipient=recipient) if hint else text
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
