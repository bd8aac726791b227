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
from django.db import IntegrityError, transaction

from motcua.geo.models import Commune

from .models import Channel, Message, MessageState, OptOut


def address_hash(address: str) -> str:
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()


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
) -> list[Message]:
    """Queue `text` for the resident's phone and/or e-mail. Returns the messages (existing ones
    when this event was already queued)."""
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
        try:
            with transaction.atomic():
                message = Message.objects.create(
                    commune=commune, topic=topic[:40], subject_ref=subject_ref[:80], channel=channel,
                    recipient=recipient, body=text, email_subject=email_subject[:200],
                    template=template[:60], params=params or {}, state=state, dedupe_key=key,
                    next_attempt_at=now, created_at=now,
                )  # fmt: skip
        except IntegrityError:  # the same event queued at this very moment by another request
            message = Message.objects.get(dedupe_key=key)
        out.append(message)
    return out
