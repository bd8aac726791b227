"""Feedback codes: `PA-<commune code>-<yymmdd>-<nnnn>`, per commune and local day, gap-free.

One `FeedbackSequence` row per commune and day, created with INSERT … ON CONFLICT DO NOTHING and
locked with SELECT … FOR UPDATE inside the caller's transaction (as the queue's numbers and the
dossiers' codes): concurrent items never share a code, a rolled-back one gives its number back.
"""

import datetime as dt

from django.db import transaction

from .models import FeedbackSequence


def feedback_code_next(*, commune_id: int, day: dt.date) -> str:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("feedback_code_next must run inside the item's transaction")
    FeedbackSequence.objects.bulk_create(
        [FeedbackSequence(commune_id=commune_id, day=day, last=0)], ignore_conflicts=True
    )
    row = FeedbackSequence.objects.select_for_update().get(commune_id=commune_id, day=day)
    row.last += 1
    row.save(update_fields=["last"])
    return f"PA-{commune_id}-{day:%y%m%d}-{row.last:04d}"
