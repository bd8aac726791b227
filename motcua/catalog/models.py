import uuid

from django.conf import settings
from django.db import models

from motcua.org.models import DepartmentKind


class OnlineLevel(models.TextChoices):
    FULL = "FULL", "Toàn trình"
    PARTIAL = "PARTIAL", "Một phần"
    NONE = "NONE", "Không trực tuyến"


class TimeUnit(models.TextChoices):
    ON_THE_SPOT = "ON_THE_SPOT", "Giải quyết ngay"
    SAME_DAY = "SAME_DAY", "Trong ngày"
    HOURS = "HOURS", "Giờ làm việc"
    WORKING_DAYS = "WORKING_DAYS", "Ngày làm việc"


class ProcedureField(models.Model):
    """Lĩnh vực: Hộ tịch, Chứng thực, Đất đai, Xây dựng, Bảo trợ xã hội…"""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=150)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Procedure(models.Model):
    """An administrative procedure of the national catalogue, as a commune handles it.

    `time_value` is read with `time_unit`: 20 WORKING_DAYS, 4 HOURS, or nothing for
    ON_THE_SPOT / SAME_DAY. Difficult areas (mountain communes) may have a longer statutory
    time: `time_value_difficult` holds it when the law gives one.
    """

    code = models.CharField("mã thủ tục", max_length=40, unique=True)
    name = models.CharField("tên thủ tục", max_length=400)
    name_folded = models.CharField(max_length=400, db_index=True)
    field = models.ForeignKey(ProcedureField, on_delete=models.PROTECT, related_name="procedures")
    responsible_kind = models.CharField("đơn vị chủ trì", max_length=20, choices=DepartmentKind.choices)
    time_unit = models.CharField(max_length=20, choices=TimeUnit.choices)
    time_value = models.PositiveIntegerField(null=True, blank=True)
    time_value_difficult = models.PositiveIntegerField(null=True, blank=True)
    fee_vnd = models.PositiveIntegerField("lệ phí (đồng)", default=0)
    fee_note = models.CharField(max_length=300, blank=True)
    online_level = models.CharField(max_length=10, choices=OnlineLevel.choices, default=OnlineLevel.PARTIAL)
    legal_basis = models.TextField("căn cứ pháp lý", blank=True)
    result_name = models.CharField("kết quả", max_length=300, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["field__name", "name"]

    def __str__(self) -> str:
        return self.name


class ChecklistItem(models.Model):
    """A document the resident must bring: the intake checklist."""

    class Form(models.TextChoices):
        ORIGINAL = "ORIGINAL", "Bản chính"
        COPY = "COPY", "Bản sao"
        CERTIFIED_COPY = "CERTIFIED_COPY", "Bản sao chứng thực"
        ORIGINAL_OR_COPY = "ORIGINAL_OR_COPY", "Bản chính hoặc bản sao"
        PRESENT = "PRESENT", "Xuất trình"

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="checklist")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=400)
    form = models.CharField(max_length=20, choices=Form.choices, default=Form.ORIGINAL)
    quantity = models.PositiveSmallIntegerField(default=1)
    required = models.BooleanField(default=True)

    class Meta:
        ordering = ["procedure_id", "position", "id"]

    def __str__(self) -> str:
        return self.name


class FormField(models.Model):
    """One field of the declaration (tờ khai) that residents and officers fill on screen."""

    class Kind(models.TextChoices):
        TEXT = "TEXT", "Chữ"
        TEXTAREA = "TEXTAREA", "Đoạn văn"
        DATE = "DATE", "Ngày (dd/mm/yyyy)"
        NUMBER = "NUMBER", "Số"
        CITIZEN_ID = "CITIZEN_ID", "Số định danh cá nhân"
        CHOICE = "CHOICE", "Lựa chọn"

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="form_fields")
    position = models.PositiveSmallIntegerField(default=0)
    key = models.SlugField(max_length=60)
    label = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.TEXT)
    required = models.BooleanField(default=True)
    choices = models.CharField(max_length=500, blank=True, help_text="Các lựa chọn, cách nhau bởi dấu |")

    class Meta:
        ordering = ["procedure_id", "position", "id"]
        unique_together = [("procedure", "key")]

    def __str__(self) -> str:
        return self.label


class CatalogueImport(models.Model):
    """One upload of the catalogue workbook: previewed, then (maybe) applied.

    `rows` holds the parsed content exactly as "Áp dụng" writes it, so what is applied is what
    was previewed; `base_fingerprint` is the SHA-256 of the catalogue the preview was computed
    against: if the catalogue has changed since, the preview is stale and is refused.
    """

    class Status(models.TextChoices):
        PREVIEWED = "PREVIEWED", "Chờ áp dụng"
        APPLIED = "APPLIED", "Đã áp dụng"

    class Source(models.TextChoices):
        WEB = "WEB", "Màn hình quản trị"
        API = "API", "API"
        COMMAND_LINE = "COMMAND_LINE", "Dòng lệnh"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PREVIEWED)
    source = models.CharField(max_length=14, choices=Source.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Who, in words, as it was at the time (the account may be renamed later): the username and
    # full name, or "dòng lệnh" for an import run on the server without --by.
    actor_label = models.CharField(max_length=200)
    filename = models.CharField(max_length=255, blank=True)
    file_sha256 = models.CharField(max_length=64)
    rows = models.JSONField()
    base_fingerprint = models.CharField(max_length=64)
    previewed_at = models.DateTimeField()
    applied_at = models.DateTimeField(null=True, blank=True)
    added_count = models.PositiveIntegerField(default=0)
    changed_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    missing_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-previewed_at"]

    def __str__(self) -> str:
        return f"{self.filename or self.id} ({self.get_status_display()})"

    def summary(self) -> str:
        return (
            f"{self.added_count} thủ tục thêm mới, {self.changed_count} thay đổi, "
            f"{self.unchanged_count} không đổi, {self.missing_count} không có trong tệp (giữ nguyên)."
        )


class CatalogueChange(models.Model):
    """What one applied import did to one procedure: before → after per changed field."""

    class Kind(models.TextChoices):
        ADDED = "ADDED", "Thêm mới"
        CHANGED = "CHANGED", "Thay đổi"

    catalogue_import = models.ForeignKey(CatalogueImport, on_delete=models.CASCADE, related_name="changes")
    procedure_code = models.CharField(max_length=40)
    procedure_name = models.CharField(max_length=400)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # [{"field": "Lệ phí (đồng)", "before": "8000", "after": "10000"}, …] in the workbook's order.
    fields = models.JSONField()

    class Meta:
        ordering = ["catalogue_import_id", "kind", "procedure_code"]

    def __str__(self) -> str:
        return f"{self.procedure_code}: {self.get_kind_display()}"
