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
    HELD = "HELD", "Tạm hoãn"
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
    HELD = "HELD", "Tạm hoãn"
    RESUMED = "RESUMED", "Tiếp tục phục vụ"
    DOSSIER = "DOSSIER", "Tiếp nhận hồ sơ"
    LEFT = "LEFT", "Rời đi"


class TicketSource(models.TextChoices):
    PHONE = "PHONE", "Điện thoại (mã QR)"
    KIOSK = "KIOSK", "Máy lấy số"
    APPOINTMENT = "APPOINTMENT", "Đặt lịch hẹn"
    API = "API", "Ứng dụng khác"


def new_ticket_secret() -> str:
    return secrets.token_urlsafe(16)


class ServiceGroup(models.Model):
    """A group of services of a center (civil status, land…), with the letter of its numbers."""

    commune = models.ForeignKey("geo.Commune", on_delete=models.PROTECT, related_name="service_groups")
    letter = models.CharField(max_length=1)
    name = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    # Online booking: how many residents may book each slot (0: no booking), and the slot's length.
    appointment_capacity = models.PositiveSmallIntegerField(default=2)
    appointment_slot_minutes = models.PositiveSmallIntegerField(default=30)

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


class CounterHours(models.Model):
    """When a counter serves one of its groups: a counter serves a group of its `groups` all
    day unless it has hours for that group, and then only within them (local time)."""

    counter = models.ForeignKey(Counter, on_delete=models.CASCADE, related_name="hours")
    group = models.ForeignKey(ServiceGroup, on_delete=models.CASCADE, related_name="+")
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        ordering = ["counter", "group", "starts"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends__gt=models.F("starts")), name="counter_hours_ordered"
            )
        ]

    def __str__(self) -> str:
        return f"{self.counter_id}/{self.group_id} {self.starts:%H:%M}–{self.ends:%H:%M}"


class KioskDevice(models.Model):
    """A touch screen at the center's door. It takes numbers with a bearer token (only its
    SHA-256 is stored; `motcua queue kiosk-token <commune code>` prints the token once)."""

    commune = models.ForeignKey("geo.Commune", on_delete=models.PROTECT, related_name="queue_kiosks")
    name = models.CharField(max_length=100)
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["commune", "name"]

    def __str__(self) -> str:
        return self.name


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
    # An appointment checked in within its window: called ahead of walk-ins (after priority).
    booked = models.BooleanField(default=False)
    # Transferred to one counter: only that counter calls it.
    directed_counter = models.ForeignKey(
        Counter, on_delete=models.SET_NULL, null=True, blank=True, related_name="directed_tickets"
    )
    source = models.CharField(max_length=12, choices=TicketSource.choices, default=TicketSource.PHONE)
    kiosk = models.ForeignKey(KioskDevice, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # SHA-256 of the phone's device cookie: a phone holds at most MOTCUA_QUEUE_PHONE_MAX_LIVE live tickets.
    holder = models.CharField(max_length=64, blank=True, db_index=True)
    # HMAC of the client's address (holders.address_of): an address holds at most
    # MOTCUA_QUEUE_ADDRESS_MAX_LIVE live tickets (a phone that drops its cookie, a script).
    address = models.CharField(max_length=64, blank=True, db_index=True)
    # The dossier received at the counter for this ticket ("receive a dossier").
    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.SET_NULL, null=True, blank=True, related_name="queue_tickets"
    )
    issued_at = models.DateTimeField()
    called_at = models.DateTimeField(null=True, blank=True)
    served_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    secret = models.CharField(max_length=32, default=new_ticket_secret, editable=False)
    # «Nhắn tin cho tôi khi sắp đến lượt»: one notice when MOTCUA_NOTIFY_QUEUE_AHEAD people are ahead.
    notify_phone = models.CharField(max_length=15, blank=True)

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
        # The streams' replay reads a center's events of today after an id (events.messages_after).
        indexes = [models.Index(fields=["at"], name="ticket_event_at_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%H:%M:%S}"


class AppointmentState(models.TextChoices):
    BOOKED = "BOOKED", "Đã đặt"
    CHECKED_IN = "CHECKED_IN", "Đã đến"
    CANCELLED = "CANCELLED", "Đã huỷ"
    MISSED = "MISSED", "Không đến"


class Appointment(models.Model):
    """A slot booked online for a group. Checking in by its QR within the slot's window gives a
    ticket with `booked=True`, called ahead of walk-ins."""

    commune = models.ForeignKey("geo.Commune", on_delete=models.PROTECT, related_name="queue_appointments")
    group = models.ForeignKey(ServiceGroup, on_delete=models.PROTECT, related_name="appointments")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    name = models.CharField(max_length=100)
    phone = models.CharField(max_length=15, blank=True)
    state = models.CharField(max_length=12, choices=AppointmentState.choices, default=AppointmentState.BOOKED)
    secret = models.CharField(max_length=32, default=new_ticket_secret, editable=False)
    ticket = models.OneToOneField(
        Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="appointment"
    )
    created_at = models.DateTimeField()
    holder = models.CharField(max_length=64, blank=True, db_index=True)
    address = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["commune", "group", "starts_at"], name="appointment_slot_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="appointment_ordered"
            )
        ]

    def __str__(self) -> str:
        return f"{self.group_id} {self.starts_at:%Y-%m-%d %H:%M}"
