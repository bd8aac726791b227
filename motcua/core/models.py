"""Models of the ground floor: only what every app's interface needs."""

from __future__ import annotations

from django.db import models


class RateCounter(models.Model):
    """One counter of the rate limiter (`motcua.core.ratelimit`), shared by every worker process
    because it lives in the database: a client's lookups or submissions, a dossier code's wrong
    second factors.

    One row per key; the row's window ends at `expires_at` (Unix seconds), after which the next
    hit starts a new window at 1. On PostgreSQL the table is UNLOGGED (migration 0001): no WAL,
    so counting a request costs no disk flush, and a crash only forgets recent counts.
    """

    key = models.CharField(max_length=200, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.BigIntegerField(db_index=True)

    class Meta:
        verbose_name = "bộ đếm giới hạn truy cập"

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
