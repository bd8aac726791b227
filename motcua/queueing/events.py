"""The hall's events as they leave the database: one message per `TicketEvent`.

`publish` runs inside the transaction that wrote the event. On PostgreSQL it sends
`pg_notify('motcua_queue', <payload>)`, which PostgreSQL delivers to the listeners only when
that transaction commits (and never if it rolls back): the event streams (streams.py) LISTEN
on that channel. SQLite has no NOTIFY; there the streams read new `TicketEvent` rows instead,
and `message` builds the same payload from a row, so both paths send the same JSON.

The payload (also the `data:` of each server-sent event, whose `id:` is the event's id):
    {"id": <TicketEvent id>, "center": <commune code>, "kind": "CALLED", "ticket": <ticket id>,
     "number": "B012", "group": "B", "counter": 3 | null, "state": "CALLED",
     "at": "2026-11-30T08:01:02+07:00"}
Nothing personal: the number and the counter are what the hall's board shows anyway, and a
ticket's own page needs its secret to read more.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db import connection
from django.utils import timezone

from .models import Counter, Ticket, TicketEvent

CHANNEL = "motcua_queue"


def message(*, event: TicketEvent, ticket: Ticket, counter: Counter | None, center: int) -> dict[str, Any]:
    return {
        "id": event.pk,
        "center": center,
        "kind": event.kind,
        "ticket": ticket.pk,
        "number": ticket.number,
        "group": ticket.queue_group.letter,
        "counter": counter.number if counter is not None else None,
        "state": ticket.state,
        "at": timezone.localtime(event.at).isoformat(timespec="seconds"),
    }


def publish(event: TicketEvent, *, ticket: Ticket, counter: Counter | None = None) -> None:
    """Announce `event` when the surrounding transaction commits (PostgreSQL); a no-op on SQLite."""
    if connection.vendor != "postgresql":
        return
    payload = message(event=event, ticket=ticket, counter=counter, center=ticket.commune.code)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, json.dumps(payload, ensure_ascii=False)])


def publish_many(events: list[TicketEvent]) -> None:
    """`publish` for many events (each with its `ticket` and `counter` loaded) in one statement, in
    their order: the end of a day closes hundreds of tickets at once."""
    if connection.vendor != "postgresql" or not events:
        return
    payloads = [
        json.dumps(
            message(event=e, ticket=e.ticket, counter=e.counter, center=e.ticket.commune.code),
            ensure_ascii=False,
        )
        for e in events
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_notify(%s, p) FROM unnest(%s::text[]) WITH ORDINALITY AS t(p, n) ORDER BY n",
            [CHANNEL, payloads],
        )


def messages_after(
    *, after: int, center: int | None = None, limit: int = 500, since: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """The payloads of the events with an id above `after` (and, with `since`, of that moment or
    later: a replay is the day's), oldest first, at most `limit` (the newest ones when there are
    more): a reconnecting client's replay (one center) and the SQLite poll of the streams (every
    center). Read from the rows, so the state is today's."""
    qs = TicketEvent.objects.filter(pk__gt=max(after, 0))
    if since is not None:
        qs = qs.filter(at__gte=since)
    if center is not None:
        qs = qs.filter(ticket__commune__code=center)
    rows = list(
        qs.select_related("ticket__queue_group", "ticket__commune", "counter").order_by("-pk")[
            : max(limit, 0)
        ]
    )
    rows.reverse()
    return [message(event=e, ticket=e.ticket, counter=e.counter, center=e.ticket.commune.code) for e in rows]


def last_event_id() -> int:
    """The newest event's id (0 when there is none): where a fresh SQLite poll starts."""
    return TicketEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
