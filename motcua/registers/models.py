"""A data officer's register merge: the uploaded registers, the background run, the review.

A ``MergeJob`` is one merge for one commune: the old wards' registers uploaded together
(``RegisterFile``), merged in the background (status, step and progress for the bar), run again
whenever reviewers' decisions are to be applied. Its results live in files in the job's folder
(records, clusters: one row per record, too many for the database to be the right store) except
the uncertain pairs, which are listed, paged and decided in the web app (``ReviewPair``).

``ReviewDecision`` is the audit trail: every accept/reject with its reason, who and when. It is
never updated nor deleted; a reviewer who changes their mind adds a decision, the latest counts.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class JobStatus(models.TextChoices):
    QUEUED = "QUEUED", "Đang chờ chạy"
    RUNNING = "RUNNING", "Đang chạy"
    DONE = "DONE", "Đã xong"
    FAILED = "FAILED", "Lỗi"
    CANCELLED = "CANCELLED", "Đã huỷ"


class MergeJob(models.Model):
    commune = models.ForeignKey("geo.Commune", on_delete=models.PROTECT, related_name="merge_jobs")
    title = models.CharField("tên đợt hợp nhất", max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    # What the background run is doing, for the progress bar ("read", "normalise", "link"...).
    step = models.CharField(max_length=20, blank=True)
    progress = models.FloatField(default=0.0)
    # Written every few seconds by a running job: a RUNNING job whose heartbeat is old has lost
    # its worker (killed, machine restarted) and may be run again.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # When the current run was queued (upload or rerun) and when the worker started it: the
    # elapsed time shown counts from the start, the wait from the queueing.
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    # Set by the officer's «Huỷ»: the running job's parent stops the run within a second.
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    # Number of completed runs; each run's files are in the job's folder under run-<n>/.
    runs = models.PositiveIntegerField(default=0)
    # The latest ReviewDecision (by id) the current results took into account.
    decisions_applied_upto = models.BigIntegerField(default=0)
    stats = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=("commune", "-created_at"))]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        return self.status in (JobStatus.QUEUED, JobStatus.RUNNING)


class RegisterFile(models.Model):
    job = models.ForeignKey(MergeJob, on_delete=models.PROTECT, related_name="files")
    original_name = models.CharField(max_length=255)
    stored_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField(default=0)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("id",)

    def __str__(self) -> str:
        return self.original_name


class ReviewPair(models.Model):
    """An uncertain pair of the latest run, both records shown side by side. Derived data: a new
    run replaces the job's pairs (the decisions, in ReviewDecision, stay)."""

    job = models.ForeignKey(MergeJob, on_delete=models.CASCADE, related_name="review_pairs")
    rank = models.PositiveIntegerField()  # most uncertain first
    record_id_l = models.CharField(max_length=100)
    record_id_r = models.CharField(max_length=100)
    match_probability = models.FloatField()
    match_weight = models.FloatField()
    same_person = models.BooleanField()  # how the run clustered them
    left = models.JSONField()
    right = models.JSONField()

    class Meta:
        ordering = ("rank",)
        constraints = [
            models.UniqueConstraint(fields=("job", "record_id_l", "record_id_r"), name="review_pair_unique")
        ]

    def __str__(self) -> str:
        return f"{self.record_id_l} ~ {self.record_id_r}"


class ReviewDecision(models.Model):
    job = models.ForeignKey(MergeJob, on_delete=models.PROTECT, related_name="decisions")
    record_id_l = models.CharField(max_length=100)
    record_id_r = models.CharField(max_length=100)
    is_match = models.BooleanField()
    reason = models.CharField("lý do", max_length=500)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)
    # The pair's score when it was decided (the reviewer saw this).
    match_probability = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ("id",)
        indexes = [models.Index(fields=("job", "record_id_l", "record_id_r"))]

    def __str__(self) -> str:
        verdict = "cùng người" if self.is_match else "khác người"
        return f"{self.record_id_l} ~ {self.record_id_r}: {verdict}"
