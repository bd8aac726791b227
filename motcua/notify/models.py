"""Notifications for the whole platform (issue 9 §6): one outbox, sent by background tasks.

A capability never talks to a gateway: it calls `notify.services.notify(...)` inside its own
transaction, which writes `Message` rows (one per channel tried) — so a rolled-back change sends
nothing, and a committed one is sent by the task even if the process dies. A message is sent at
most once: its `dedupe_key` is unique (the same event asked twice gives one row), and the
sender claims a row (state SENDING, a lease) before calling the gateway, so two task workers never
send it both. Every attempt is kept (`Attempt`: when, which sender, the outcome) — the audit of
what was sent to whom. A resident who opted out (`OptOut`, by the SHA-256 of the address) gets
nothing (the row is kept as SKIPPED).
"""

from __future__ import annotations

from django.db import models


class Channel(models.TextChoices):
    SMS = "SMS", "Tin nhắn SMS"
    ZALO = "ZALO", "Zalo ZNS"
    EMAIL = "EMAIL", "Thư điện tử"
    CONSOLE = "CONSOLE", "Nhật ký (thử nghiệm)"


class MessageState(models.TextChoices):
    PENDING = "PENDING", "Chờ gửi"
    SENDING = "SENDING", "Đang gửi"
    SENT = "SENT", "Đã gửi"
    FAILED = "FAILED", "Gửi không được"
    SKIPPED = "SKIPPED", "Không gửi (người nhận từ chối)"
    FELL_BACK = "FELL_BACK", "Chuyển sang kênh khác"


class Message(models.Model):
    commune = models.ForeignKey(
        "geo.Commune", on_delete=models.PROTECT, null=True, blank=True, related_name="messages"
    )
    # What it is about: "dossier.received", "feedback.resolved", "queue.almost"… and the object
    # ("dossiers.dossier:123"), for the audit and for tests.
    topic = models.CharField(max_length=40)
    subject_ref = models.CharField(max_length=80, blank=True)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    recipient = models.CharField(max_length=254)
    # The text as sent: Vietnamese, one SMS (≤ 160 characters without diacritics for SMS).
    body = models.TextField()
    email_subject = models.CharField(max_length=200, blank=True)
    # Zalo ZNS: the registered template's id and its parameters.
    template = models.CharField(max_length=60, blank=True)
    params = models.JSONField(default=dict, blank=True)

    state = models.CharField(max_length=10, choices=MessageState.choices, default=MessageState.PENDING)
    dedupe_key = models.CharField(max_length=200, unique=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    provider_ref = models.CharField(max_length=120, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The message this one replaces on another channel (Zalo failed → SMS).
    fallback_of = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="fallback"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="message_due_idx")]

    def __str__(self) -> str:
        return f"{self.channel} {self.topic} → {self.recipient}"


class Attempt(models.Model):
    """One try of a message: when, which sender, what the gateway answered."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField()
    sender = models.CharField(max_length=40)
    ok = models.BooleanField()
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.sender} {'ok' if self.ok else 'lỗi'} {self.at:%Y-%m-%d %H:%M:%S}"


class OptOut(models.Model):
    """A resident who asked for no more notices, by the SHA-256 of the normalised phone or e-mail."""

    address_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.address_sha256[:12]
