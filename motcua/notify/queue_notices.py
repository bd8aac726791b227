"""«Nhắn tin cho tôi khi sắp đến lượt» (issue 9 §6): after a counter calls the next ticket, each
ticket of that line whose resident left a phone and that now has MOTCUA_NOTIFY_QUEUE_AHEAD people
or fewer ahead gets one notice (dedupe per ticket: queue:<pk>:almost). Called by
queueing.services.counter_call_next inside its transaction.

Anyone holding a ticket can type any number, so a number gets at most
MOTCUA_NOTIFY_QUEUE_DAILY_CAP (3) such notices a day, whatever the tickets (the ticket page's POST
is also rate-limited per client: queueing.views.ticket)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.conf import settings

from . import texts
from .models import Message
from .services import notify

if TYPE_CHECKING:
    from motcua.queueing.models import Ticket


def notify_queue_almost(called: Ticket, now: dt.datetime) -> int:
    """Queue the notices of `called`'s line; returns how many tickets were told (new or not)."""
    from motcua.queueing.models import Ticket, TicketState
    from motcua.queueing.selectors import ticket_position

    ahead_max = int(settings.MOTCUA_NOTIFY_QUEUE_AHEAD)
    told = 0
    waiting = Ticket.objects.filter(
        commune_id=called.commune_id, day=called.day, queue_group_id=called.queue_group_id,
        state=TicketState.WAITING,
    ).exclude(notify_phone="")  # fmt: skip
    for ticket in waiting.order_by("issued_at", "id")[:50]:
        position = ticket_position(ticket)
        if position is None or position - 1 > ahead_max:
            continue
        if _over_daily_cap(ticket):
            continue
        notify(
            topic="queue.almost", subject_ref=f"queueing.ticket:{ticket.pk}", commune=called.commune,
            text=texts.queue_almost(ticket.number, position - 1), now=now,
            dedupe_key=f"queue:{ticket.pk}:almost", phone=ticket.notify_phone,
        )  # fmt: skip
        told += 1
    return told


def daily_cap() -> int:
    return int(getattr(settings, "MOTCUA_NOTIFY_QUEUE_DAILY_CAP", 3))


def _over_daily_cap(ticket: Ticket) -> bool:
    """The ticket's phone already had the day's cap of queue notices for other tickets (its own
    notice, already queued, is no new one: notify() returns it)."""
    sent_today = (
        Message.objects.filter(
            topic="queue.almost", recipient=ticket.notify_phone, created_at__date=ticket.day, fallback_of=None
        )
        .exclude(subject_ref=f"queueing.ticket:{ticket.pk}")
        .values("subject_ref")
        .distinct()
        .count()
    )
    return sent_today >= daily_cap()
