"""The hall's queue: service groups, counters, tickets and every ticket's events (issue 8).

A ticket's state is changed only by `queueing.workflow.ticket_apply`, which writes one
`TicketEvent` per change: the events are the data the estimates, quality and staffing work read.
"""

import secrets

from django.conf import settings
from django.db import models


class TicketState(models.TextChoices):
    WAITING = "WAITING", "Đang chờ"
    CALLED = "CALLED", "Đã gọi"
    SERVING = "SERVING", "Đang phục vụ"
    DONE = "DONE", "Đã xong"
    NO_SHOW = "NO_SHOW", "Vắng mặt"
    LEFT = "LEFT", "Đã rời đi"


class EventKind(models.TextChoices):
    ISSUED = "ISSUED", "Lấy số"
    CALLED = "CALLED", "Gọi số"
    RECALLED = "RECALLED", "Gọi lại"
    STARTED = "STARTED", "Bắt đầu phục vụ"
    FINISHED = "FINISHED", "Hoàn thành"
    NO_SHOW = "NO_SHOW", "Vắng mặt"
    TRANSFERRED = "TRANSFERRED", "Chuyển nhóm"
    LEFT = "LEFT", "Rời đi"


def new_ticket_secret() -> str:
    return secrets.token_urlsafe(16)


class ServiceGroup(models.Model):
    """A group of services of a center (civil status, land…), with the letter of its numbers."""

    commune = models.ForeignKey("geo.Commune", on_delete=models.PROTECT, related_name="service_groups")
    letter = models.CharField(max_length=1)
    name = models.CharField(max_length=100)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["commune", "letter"]
        constraints = [
            models.UniqueConstraint(fields=["commune", "letter"], name="one_group_letter_per_commune"),
            models.CheckConstraint(
                condition=models.Q(letter__in=[chr(c) for c in range(ord("A"), ord("Z") + 1)]),
                name="group_letter_a_to_z",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.letter} — {self.name}"


class Counter(models.Model):
    """A counter (quầy) of a center, the groups it serves and the officer sitting there now."""

    commune = models.ForeignKey("geo.Commune", on_delete=models.PROTECT, related_name="queue_counters")
    number = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=100, blank=True)
    groups = models.ManyToManyField(ServiceGroup, blank=True, related_name="counters")
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["commune", "number"]
        constraints = [
            models.UniqueConstraint(fields=["commune", "number"], name="one_counter_number_per_commune")
        ]

    def __str__(self) -> str:
        return self.name or f"Quầy {self.number}"


class TicketSequence(models.Model):
    """The last number given by a group of a center on a local day (numbering.py)."""

    commune = models.ForeignKey("geo.Commune", on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(ServiceGroup, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["commune", "group", "day"], name="one_ticket_sequence_per_group_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.group_id} {self.day}: {self.last}"


class Ticket(models.Model):
    """A queue number such as `B012`: the group's letter and the day's sequence of that group.

    `group` is the group whose letter the number carries (with `seq`, unique per day);
    `queue_group` the group whose line the ticket waits in now (another one after a transfer).
    `day` is the local date (Asia/Ho_Chi_Minh) of issue.
    """

    commune = models.ForeignKey("geo.Commune", on_delete=models.PROTECT, related_name="queue_tickets")
    group = models.ForeignKey(ServiceGroup, on_delete=models.PROTECT, related_name="tickets")
    queue_group = models.ForeignKey(ServiceGroup, on_delete=models.PROTECT, related_name="queued_tickets")
    day = models.DateField()
    seq = models.PositiveIntegerField()
    number = models.CharField(max_length=4)
    priority = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=TicketState.choices, default=TicketState.WAITING)
    counter = models.ForeignKey(
        Counter, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets"
    )
    recalls = models.PositiveSmallIntegerField(default=0)
    issued_at = models.DateTimeField()
    called_at = models.DateTimeField(null=True, blank=True)
    served_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    secret = models.CharField(max_length=32, default=new_ticket_secret, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["commune", "group", "day", "seq"], name="one_ticket_number_per_group_day"
            )
        ]
        indexes = [models.Index(fields=["commune", "day", "state"], name="ticket_line_idx")]

    def __str__(self) -> str:
        return self.number


class TicketEvent(models.Model):
    """One change of a ticket: what, when, by which officer at which counter."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    at = models.DateTimeField()
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    counter = models.ForeignKey(Counter, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%H:%M:%S}"
