"""Residents' ratings (Circular 01/2018) and the counter tablets that collect them.

A rating is about one dossier or one queue ticket (never both, never twice): the database
refuses a second one. `answers` maps question codes of the questionnaire `questionnaire`
(definitions/tt01_2018_v1.py) to 2 / 1 / 0; `overall` is 2 rất hài lòng, 1 hài lòng,
0 không hài lòng. `officer` and `department` are who the rating is about, copied when it is
made (the dossier's handler, the officer who served the ticket), so a later move of staff does
not move old ratings. Feedback items keep their own one rating (feedback.FeedbackItem.rating).
"""

from django.conf import settings
from django.db import models


class RatingSubject(models.TextChoices):
    DOSSIER = "DOSSIER", "Hồ sơ"
    TICKET = "TICKET", "Lượt phục vụ tại quầy"


class RatingSource(models.TextChoices):
    TABLET = "TABLET", "Máy tính bảng tại quầy"
    RECEIPT = "RECEIPT", "Mã QR trên giấy tiếp nhận"
    NOTICE = "NOTICE", "Đường dẫn trong thông báo"
    TRACKING = "TRACKING", "Trang tra cứu hồ sơ"
    TICKET_PAGE = "TICKET_PAGE", "Trang số thứ tự trên điện thoại"


class Overall(models.IntegerChoices):
    VERY_SATISFIED = 2, "Rất hài lòng"
    SATISFIED = 1, "Hài lòng"
    NOT_SATISFIED = 0, "Không hài lòng"


class RatingTablet(models.Model):
    """A tablet at a counter: rates the service just finished there, without a login. Bearer
    token as for kiosks (only its SHA-256 stored; `motcua quality tablet-token` prints it)."""

    commune = models.ForeignKey("geo.Commune", on_delete=models.PROTECT, related_name="rating_tablets")
    counter = models.ForeignKey("queueing.Counter", on_delete=models.PROTECT, related_name="rating_tablets")
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


class Rating(models.Model):
    commune = models.ForeignKey("geo.Commune", on_delete=models.PROTECT, related_name="ratings")
    subject = models.CharField(max_length=10, choices=RatingSubject.choices)
    dossier = models.OneToOneField(
        "dossiers.Dossier", on_delete=models.CASCADE, null=True, blank=True, related_name="rating"
    )
    ticket = models.OneToOneField(
        "queueing.Ticket", on_delete=models.CASCADE, null=True, blank=True, related_name="rating"
    )
    questionnaire = models.CharField(max_length=30)
    answers = models.JSONField(default=dict)
    overall = models.PositiveSmallIntegerField(choices=Overall.choices)
    comment = models.TextField("ý kiến", max_length=1000, blank=True)
    source = models.CharField(max_length=12, choices=RatingSource.choices)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    department = models.ForeignKey(
        "org.Department", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    tablet = models.ForeignKey(
        RatingTablet, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(subject="DOSSIER", dossier__isnull=False, ticket__isnull=True)
                    | models.Q(subject="TICKET", ticket__isnull=False, dossier__isnull=True)
                ),
                name="rating_has_exactly_its_subject",
            ),
            models.CheckConstraint(condition=models.Q(overall__lte=2), name="rating_overall_0_to_2"),
        ]
        indexes = [
            models.Index(fields=["commune", "created_at"], name="rating_commune_at_idx"),
            models.Index(fields=["officer", "created_at"], name="rating_officer_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_subject_display()} {self.dossier_id or self.ticket_id}: {self.overall}"
