import datetime as dt
import secrets

from django.conf import settings
from django.db import models


class State(models.TextChoices):
    DRAFT = "DRAFT", "Chưa tiếp nhận"
    RECEIVED = "RECEIVED", "Đã tiếp nhận"
    SUPPLEMENT_REQUESTED = "SUPPLEMENT_REQUESTED", "Yêu cầu bổ sung"
    REFUSED = "REFUSED", "Từ chối"
    IN_PROCESS = "IN_PROCESS", "Đang xử lý"
    PENDING_FEE = "PENDING_FEE", "Chờ thực hiện nghĩa vụ tài chính"
    CONSULTING = "CONSULTING", "Đang lấy ý kiến"
    AWAITING_APPROVAL = "AWAITING_APPROVAL", "Chờ phê duyệt"
    RESULT_READY = "RESULT_READY", "Có kết quả"
    RETURNED = "RETURNED", "Đã trả kết quả"
    STOPPED = "STOPPED", "Dừng xử lý"
    WITHDRAWN = "WITHDRAWN", "Rút hồ sơ"


FINAL_STATES = frozenset({State.REFUSED, State.RETURNED, State.STOPPED, State.WITHDRAWN})
# States in which the processing clock runs against the deadline.
CLOCK_STATES = frozenset({State.RECEIVED, State.IN_PROCESS, State.CONSULTING, State.AWAITING_APPROVAL})


class Channel(models.TextChoices):
    IN_PERSON = "IN_PERSON", "Trực tiếp"
    ONLINE = "ONLINE", "Trực tuyến"
    POST = "POST", "Bưu chính"


def new_secret() -> str:
    return secrets.token_urlsafe(12)


class Dossier(models.Model):
    """An administrative-procedure dossier (hồ sơ TTHC) of one commune.

    The state is changed only by `dossiers.workflow.dossier_apply`, which writes the control
    sheet entry. `due_at` is the statutory deadline of the current clock (restarted when a
    supplemented dossier comes back); `extended_due_at` the one new date of an apology.
    Overdue is computed from these, never stored.
    """

    commune = models.ForeignKey("geo.Commune", on_delete=models.PROTECT, related_name="dossiers")
    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.PROTECT, related_name="dossiers")
    department = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="dossiers"
    )
    code = models.CharField("mã hồ sơ", max_length=60, unique=True, null=True, blank=True)
    secret = models.CharField(max_length=32, default=new_secret, editable=False)
    state = models.CharField(max_length=24, choices=State.choices, default=State.DRAFT, db_index=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.IN_PERSON)

    applicant_name = models.CharField("người nộp", max_length=150)
    applicant_name_folded = models.CharField(max_length=150, db_index=True)
    applicant_citizen_id = models.CharField("số định danh", max_length=12, blank=True)
    applicant_phone = models.CharField("điện thoại", max_length=15, blank=True)
    applicant_email = models.EmailField(blank=True)
    applicant_address = models.CharField("địa chỉ", max_length=300, blank=True)
    form_data = models.JSONField(default=dict, blank=True)
    checklist_ticked = models.JSONField(default=list, blank=True)
    assisted_by_volunteer = models.BooleanField("có tình nguyện viên hỗ trợ", default=False)
    volunteer_name = models.CharField(max_length=150, blank=True)
    # Where an online applicant wants notices (stored now; sending comes with notifications).
    notify_phone = models.CharField("điện thoại nhận thông báo", max_length=15, blank=True)
    notify_email = models.EmailField("thư điện tử nhận thông báo", blank=True)

    created_at = models.DateTimeField()
    received_at = models.DateTimeField(null=True, blank=True)
    first_received_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    extended_due_at = models.DateTimeField(null=True, blank=True)
    extension_reason = models.TextField(blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    return_method = models.CharField(max_length=10, choices=Channel.choices, blank=True)

    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    supplement_items = models.JSONField(default=list, blank=True)
    supplement_count = models.PositiveSmallIntegerField(default=0)
    decision_reason = models.TextField(blank=True)
    result_summary = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["commune", "state"]),
            models.Index(fields=["department", "state"]),
            models.Index(fields=["assignee", "state"]),
            models.Index(fields=["commune", "first_received_at"], name="dossier_commune_received_idx"),
        ]

    def __str__(self) -> str:
        return self.code or f"Hồ sơ nháp #{self.pk}"

    @property
    def effective_due_at(self) -> dt.datetime | None:
        return self.extended_due_at or self.due_at

    def is_overdue(self, now: dt.datetime) -> bool:
        due = self.effective_due_at
        if due is None or self.state in {State.DRAFT, State.SUPPLEMENT_REQUESTED}:
            return False
        if self.state in {State.REFUSED, State.STOPPED, State.WITHDRAWN}:
            return False
        if self.state == State.PENDING_FEE and self.paused_at is not None and self.paused_at <= due:
            return False  # waiting for the fee since before the deadline: the clock stopped (selectors.overdue_now_q)
        end = self.finished_at or now
        return end > due

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES


class DossierSequence(models.Model):
    """The last dossier number used by an agency on a day. Incremented inside the receipt's
    transaction, so a rolled-back receipt gives its number back: no gaps, no repeats."""

    agency_code = models.CharField(max_length=30)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency_code", "day"], name="one_sequence_per_agency_day")
        ]

    def __str__(self) -> str:
        return f"{self.agency_code} {self.day:%d/%m/%Y}: {self.last}"


class ControlEntry(models.Model):
    """One line of the control sheet (Mẫu 05): who handed the dossier to whom, when, the
    deadline of the step that starts, and whether the step that ends was on time."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="control_entries")
    action = models.CharField(max_length=40)
    from_state = models.CharField(max_length=24, choices=State.choices)
    to_state = models.CharField(max_length=24, choices=State.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)
    handed_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handed_to_label = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField()
    step_due_at = models.DateTimeField(null=True, blank=True)
    previous_step_on_time = models.BooleanField(null=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.action} {self.at:%d/%m/%Y %H:%M}"


class DocumentKind(models.TextChoices):
    INPUT = "INPUT", "Thành phần hồ sơ"
    RESULT = "RESULT", "Kết quả"
    SUPPLEMENT = "SUPPLEMENT", "Bổ sung"


class DossierDocument(models.Model):
    """A digitised document. The file lives under UPLOAD_ROOT, outside any web root, and is
    served only through a view that checks the reader may see the dossier."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="documents")
    checklist_item = models.ForeignKey(
        "catalog.ChecklistItem", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=DocumentKind.choices, default=DocumentKind.INPUT)
    original_name = models.CharField(max_length=255)
    storage_path = models.CharField(max_length=255)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name
