"""Queue numbers: `<letter><NNN>` per center (commune), group and local day, gap-free.

One `TicketSequence` row per commune, group and day. `ticket_seq_next` first makes sure the row
exists (INSERT … ON CONFLICT DO NOTHING: concurrent first tickets of the day never fail on the
unique constraint), then locks it with SELECT … FOR UPDATE and increments it, inside the
caller's transaction. Concurrent issues queue on that row lock until the holder commits; a
rolled-back issue gives its number back: no gaps, no repeats. The caller takes the number last
in its transaction, so the row stays locked only for the ticket's own INSERTs and the commit.
SQLite serialises writers, so the same code is correct there too.
"""

import datetime as dt

from django.db import transaction

from motcua.core.errors import Conflict

from .models import ServiceGroup, TicketSequence

MAX_SEQ = 999  # three digits on the ticket


def ticket_seq_next(*, group: ServiceGroup, day: dt.date) -> int:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ticket_seq_next must run inside the issue's transaction")
    TicketSequence.objects.bulk_create(
        [TicketSequence(commune_id=group.commune_id, group=group, day=day, last=0)], ignore_conflicts=True
    )
    row = TicketSequence.objects.select_for_update().get(commune_id=group.commune_id, group=group, day=day)
    if row.last >= MAX_SEQ:
        raise Conflict(
            f"Nhóm {group.letter} đã hết số thứ tự trong ngày hôm nay ({MAX_SEQ} số).", code="queue_full"
        )
    row.last += 1
    row.save(update_fields=["last"])
    return row.last


def ticket_number(letter: str, seq: int) -> str:
    return f"{letter}{seq:03d}"
