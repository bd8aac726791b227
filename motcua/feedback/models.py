"""Residents' feedback (phản ánh, kiến nghị) and the dialogue sessions where much of it is raised
(issue 9).

An item's state is changed only by `feedback.workflow.feedback_apply`, which checks the actor and
writes one `FeedbackEvent` per change (who, when, why). Deadlines are in working days on the
commune's calendar (the category's `deadline_days`); overdue is computed, never stored.
Reporters' contacts are personal data: shown to the item's handlers only, masked elsewhere, never
in public pages or Open311 responses.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models


def new_secret() -> str:
    return secrets.token_urlsafe(12)


class Neighbourhood(models.Model):
    """A tổ dân phố / khu phố / thôn of a commune, where dialogue sessions are held."""

    commune = models.ForeignKey("geo.Commune", on_delete=models.PROTECT, related_name="neighbourhoods")
    name = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    # Where it lies on the commune's offline sketch (0–100 % of the sketch's width and height).
    sketch_x = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    sketch_y = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["commune", "name"]
        constraints = [models.UniqueConstraint(fields=["commune", "name"], name="one_neighbourhood_name")]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """A kind of feedback, configurable per commune, each with its own deadline in working days."""

    commune = models.ForeignKey("geo.Commune", on_delete=models.PROTECT, related_name="feedback_categories")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=100)
    deadline_days = models.PositiveSmallIntegerField(default=5)
    # The department that handles it unless the leader assigns otherwise.
    department = models.ForeignKey(
        "org.Department", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["commune", "position", "name"]
        constraints = [models.UniqueConstraint(fields=["commune", "code"], name="one_category_code")]

    def __str__(self) -> str:
        return self.name


class Channel(models.TextChoices):
    SESSION = "SESSION", "Đối thoại, tiếp xúc"
    HOTLINE = "HOTLINE", "Đường dây nóng"
    WALK_IN = "WALK_IN", "Trực tiếp"
    ONLINE = "ONLINE", "Trực tuyến"
    IMPORT = "IMPORT", "Nhóm Zalo, fanpage"
    OPEN311 = "OPEN311", "Ứng dụng (Open311)"


class State(models.TextChoices):
    NEW = "NEW", "Mới tiếp nhận"
    ASSIGNED = "ASSIGNED", "Đã giao xử lý"
    IN_PROGRESS = "IN_PROGRESS", "Đang xử lý"
    ESCALATED = "ESCALATED", "Đã chuyển cấp tỉnh"
    RESOLVED = "RESOLVED", "Đã giải quyết"
    CLOSED = "CLOSED", "Đã đóng"
    REJECTED = "REJECTED", "Không thụ lý"
    DUPLICATE = "DUPLICATE", "Trùng phản ánh khác"


OPEN_STATES = frozenset({State.NEW, State.ASSIGNED, State.IN_PROGRESS, State.ESCALATED})
FINAL_STATES = frozenset({State.CLOSED, State.REJECTED, State.DUPLICATE})


class SessionState(models.TextChoices):
    PLANNED = "PLANNED", "Đã lên lịch"
    HELD = "HELD", "Đang/đã diễn ra"
    REPORTED = "REPORTED", "Đã có biên bản"
    CANCELLED = "CANCELLED", "Đã huỷ"


class DialogueSession(models.Model):
    """A dialogue session (đối thoại, «cà phê sáng» with the ward's leaders) in a neighbourhood."""

    commune = models.ForeignKey("geo.Commune", on_delete=models.PROTECT, related_name="dialogue_sessions")
    neighbourhood = models.ForeignKey(Neighbourhood, on_delete=models.PROTECT, related_name="sessions")
    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    place = models.CharField(max_length=200)
    leaders = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="dialogue_sessions")
    notice = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=SessionState.choices, default=SessionState.PLANNED)
    attendance = models.PositiveIntegerField(null=True, blank=True)
    minutes = models.TextField(blank=True)
    held_at = models.DateTimeField(null=True, blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-starts_at", "id"]
        indexes = [models.Index(fields=["commune", "neighbourhood", "starts_at"], name="session_place_idx")]

    def __str__(self) -> str:
        return self.title


class FeedbackItem(models.Model):
    """One issue a resident raised, wherever it was raised, followed until it is fixed."""

    commune = models.ForeignKey("geo.Commune", on_delete=models.PROTECT, related_name="feedback_items")
    code = models.CharField(max_length=40, unique=True)
    secret = models.CharField(max_length=32, default=new_secret, editable=False)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="items")
    neighbourhood = models.ForeignKey(
        Neighbourhood, on_delete=models.PROTECT, null=True, blank=True, related_name="items"
    )
    session = models.ForeignKey(
        DialogueSession, on_delete=models.SET_NULL, null=True, blank=True, related_name="items"
    )
    address = models.CharField(max_length=300, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    # The reporter: optional, personal data (masked everywhere but to the handlers).
    reporter_name = models.CharField(max_length=150, blank=True)
    reporter_phone = models.CharField(max_length=15, blank=True)
    reporter_email = models.EmailField(blank=True)
    notify_opt_out = models.BooleanField(default=False)

    state = models.CharField(max_length=12, choices=State.choices, default=State.NEW, db_index=True)
    department = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="feedback_items"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="feedback_items",
    )
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="duplicates"
    )

    received_at = models.DateTimeField()
    due_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_on_spot = models.BooleanField(default=False)
    resolution = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reopened_count = models.PositiveSmallIntegerField(default=0)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    rating_comment = models.CharField(max_length=500, blank=True)

    # Escalated to the province (beyond the commune's authority), and the province's answer.
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalation_reason = models.TextField(blank=True)
    province_answer = models.TextField(blank=True)
    province_answered_at = models.DateTimeField(null=True, blank=True)
    province_answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    # The background task's marks: flagged near the deadline, escalated to the head when past it.
    near_deadline_at = models.DateTimeField(null=True, blank=True)
    overdue_escalated_at = models.DateTimeField(null=True, blank=True)

    # Open311: the token a client gets before the item has its id, the key it came with, the
    # service definition's attribute values; an import's source line (one item per line).
    open311_token = models.CharField(max_length=40, unique=True, null=True, blank=True)
    open311_key = models.ForeignKey(
        "feedback.Open311Key", on_delete=models.SET_NULL, null=True, blank=True, related_name="items"
    )
    attributes = models.JSONField(default=dict, blank=True)
    import_ref = models.CharField(max_length=120, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["commune", "state", "due_at"], name="feedback_open_idx"),
            models.Index(fields=["commune", "neighbourhood", "received_at"], name="feedback_place_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="feedback_rating_1_to_5",
            ),
            models.UniqueConstraint(
                fields=["commune", "import_ref"],
                condition=~models.Q(import_ref=""),
                name="one_item_per_import_line",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class FeedbackSequence(models.Model):
    """The last number of a commune's feedback codes on a local day (PA-<commune>-<yymmdd>-<nnnn>)."""

    commune = models.ForeignKey("geo.Commune", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["commune", "day"], name="one_feedback_sequence_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.commune_id} {self.day}: {self.last}"


class FeedbackEvent(models.Model):
    """One change of an item: what, from which state to which, who, when and why."""

    item = models.ForeignKey(FeedbackItem, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20)
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Who acted when there is no account: "Người phản ánh", "Hệ thống", an Open311 app's name.
    actor_label = models.CharField(max_length=100, blank=True)
    at = models.DateTimeField()
    note = models.TextField(blank=True)
    department = models.ForeignKey(
        "org.Department", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} {self.at:%Y-%m-%d %H:%M}"


class PhotoKind(models.TextChoices):
    REPORT = "REPORT", "Ảnh phản ánh"
    RESOLUTION = "RESOLUTION", "Ảnh kết quả xử lý"


class FeedbackPhoto(models.Model):
    """A photo, checked by content (JPEG/PNG/WebP, decoded), size-limited; the file lives under
    UPLOAD_ROOT outside any web root, served only through a view that checks the reader."""

    item = models.ForeignKey(FeedbackItem, on_delete=models.CASCADE, related_name="photos")
    event = models.ForeignKey(
        FeedbackEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="photos"
    )
    kind = models.CharField(max_length=10, choices=PhotoKind.choices, default=PhotoKind.REPORT)
    storage_path = models.CharField(max_length=255)
    content_type = models.CharField(max_length=30)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.sha256[:12]}"


class Open311Key(models.Model):
    """An app's Open311 API key for one commune (`motcua open311-key <commune code>` prints it
    once; only its SHA-256 is stored)."""

    commune = models.ForeignKey("geo.Commune", on_delete=models.PROTECT, related_name="open311_keys")
    name = models.CharField(max_length=100)
    key_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["commune", "name"]

    def __str__(self) -> str:
        return self.name
