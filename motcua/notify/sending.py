"""Sending the outbox (issue 9 §6): `send_due(now=…, limit=…)`, run by the task (tasks.py) and
by `motcua notify send-due`.

One message at a time: a conditional UPDATE claims it (PENDING and due, or SENDING with an
expired lease → SENDING with a lease of MOTCUA_NOTIFY_LEASE_SECONDS), so two workers never
take the same row; the gateway is called OUTSIDE any transaction (no row lock held while a
gateway takes 10 s); the outcome is then recorded (an Attempt; SENT, back to PENDING with the
next backoff while the failure is temporary and attempts remain, else FAILED — or, for Zalo,
FELL_BACK with a new SMS message). A worker that dies between claiming and recording leaves a
SENDING row whose lease expires: the next run takes it again.

At most once, except one window: a gateway that accepted the message and a worker that died
before recording it. (A worker that outlived its lease — a gateway slower than the lease — is
no such window: the HTTP and SMTP timeouts are below the lease, and an outcome is recorded only by
the worker that still holds the claim, the lease it set; a stale worker's outcome is logged and
dropped, its Attempt kept.) The retry then sends it again — unless the gateway deduplicates on our
request id (`motcua-<message id>`, sent as X-Request-Id and in the body), which every adapter
sends: with a gateway that honours it, the retry is answered with the first delivery.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from time import monotonic

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet

from . import senders
from .models import Attempt, Channel, Message, MessageState
from .services import opted_out

S = MessageState
log = logging.getLogger(__name__)


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    fell_back: int = 0
    ids: list[int] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed + self.skipped + self.fell_back


def max_attempts() -> int:
    return int(getattr(settings, "MOTCUA_NOTIFY_MAX_ATTEMPTS", 6))


def backoff(attempts: int) -> dt.timedelta:
    """The wait before try number attempts+1: MOTCUA_NOTIFY_BACKOFF_SECONDS (1, 5, 15, 60 min, 3 h…)."""
    steps = list(getattr(settings, "MOTCUA_NOTIFY_BACKOFF_SECONDS", [60, 300, 900, 3600, 10800]))
    return dt.timedelta(seconds=steps[min(max(attempts, 1), len(steps)) - 1])


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=int(getattr(settings, "MOTCUA_NOTIFY_LEASE_SECONDS", 60)))


def _due(now: dt.datetime) -> Q:
    return Q(state=S.PENDING, next_attempt_at__lte=now) | Q(state=S.SENDING, lease_until__lt=now)


def due_count(*, now: dt.datetime) -> int:
    return Message.objects.filter(_due(now)).count()


def next_due_at() -> dt.datetime | None:
    """When the earliest waiting message (or expired lease) is due, for the task's next run."""
    pending = Message.objects.filter(state=S.PENDING).order_by("next_attempt_at").first()
    sending = Message.objects.filter(state=S.SENDING).order_by("lease_until").first()
    times = [m for m in (pending and pending.next_attempt_at, sending and sending.lease_until) if m]
    return min(times) if times else None


def _claim(now: dt.datetime, skip: set[int], *, lease_from: dt.datetime | None = None) -> Message | None:
    """Take one due message: a conditional UPDATE, so a row is claimed by exactly one worker."""
    for candidate in (
        Message.objects.filter(_due(now)).exclude(pk__in=skip).order_by("next_attempt_at", "id")[:20]
    ):
        until = (lease_from or now) + lease()
        claimed = Message.objects.filter(pk=candidate.pk).filter(
            Q(state=S.PENDING, next_attempt_at__lte=now) | Q(state=S.SENDING, lease_until__lt=now)
        ).update(state=S.SENDING, lease_until=until, attempts=F("attempts") + 1)  # fmt: skip
        if claimed:
            return Message.objects.get(pk=candidate.pk)
    return None


def send_due(*, now: dt.datetime, limit: int = 100) -> SendReport:
    """Send up to `limit` due messages; returns what happened to them."""
    report = SendReport()
    seen: set[int] = set()
    started = monotonic()
    while report.handled < limit:
        # A lease taken after a minute of sending starts then, not at the batch's `now`.
        lease_from = now + dt.timedelta(seconds=monotonic() - started)
        message = _claim(now, seen, lease_from=lease_from)
        if message is None:
            break
        seen.add(message.pk)
        report.ids.append(message.pk)
        if opted_out(message.recipient):
            _finish(
                message, now=now, state=S.SKIPPED, sender="opt-out", ok=False, detail="người nhận đã từ chối"
            )
            report.skipped += 1
            continue
        result = senders.send(message)  # outside any transaction: no lock held while it waits
        _record(message, result, now=now, report=report)
    return report


def _finish(message: Message, *, now: dt.datetime, state: str, sender: str, ok: bool, detail: str) -> None:
    with transaction.atomic():
        Attempt.objects.create(message=message, at=now, sender=sender, ok=ok, detail=detail[:500])
        _held(message).update(state=state, lease_until=None, last_error="" if ok else detail[:500])


def _held(message: Message) -> QuerySet[Message]:
    """The message's row while this worker still holds the claim it took (the lease it set)."""
    return Message.objects.filter(pk=message.pk, state=S.SENDING, lease_until=message.lease_until)


def _record(message: Message, result: senders.SendResult, *, now: dt.datetime, report: SendReport) -> None:
    name = senders.sender_for(message.channel).name
    with transaction.atomic():
        Attempt.objects.create(message=message, at=now, sender=name, ok=result.ok, detail=result.detail[:500])
        mine = _held(message).select_for_update().first()
        if mine is None:  # our lease expired and another worker took the message: its outcome counts
            log.warning(
                "notify: message %s outlived its lease; this worker's outcome (%s) is dropped",
                message.pk, "sent" if result.ok else result.detail[:100],
            )  # fmt: skip
            return
        mine.lease_until = None
        if result.ok:
            mine.state, mine.sent_at, mine.provider_ref = S.SENT, now, result.provider_ref[:120]
            mine.last_error = ""
            report.sent += 1
        elif result.retryable and mine.attempts < max_attempts():
            mine.state, mine.next_attempt_at = S.PENDING, now + backoff(mine.attempts)
            mine.last_error = result.detail[:500]
            report.retried += 1
        elif mine.channel == Channel.ZALO:
            mine.state, mine.last_error = S.FELL_BACK, result.detail[:500]
            _fallback_sms(mine, now=now)
            report.fell_back += 1
        else:
            mine.state, mine.last_error = S.FAILED, result.detail[:500]
            report.failed += 1
        mine.save(
            update_fields=["state", "lease_until", "sent_at", "provider_ref", "last_error", "next_attempt_at"]
        )


def _fallback_sms(zalo: Message, *, now: dt.datetime) -> Message:
    """Zalo could not deliver: the same text by SMS (its own message, `fallback_of` the Zalo one)."""
    key = f"{zalo.dedupe_key}:sms"[:200]
    existing = Message.objects.filter(dedupe_key=key).first()
    if existing is not None:
        return existing
    return Message.objects.create(
        commune=zalo.commune, topic=zalo.topic, subject_ref=zalo.subject_ref, channel=Channel.SMS,
        recipient=zalo.recipient, body=zalo.body, state=S.SKIPPED if opted_out(zalo.recipient) else S.PENDING,
        dedupe_key=key, next_attempt_at=now, created_at=now, fallback_of=zalo,
    )  # fmt: skip
