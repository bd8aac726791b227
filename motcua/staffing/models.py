"""Staff where the work is (issue 11): job positions and skills, moves between departments, the
day's plan of who sits where, imbalance alerts, volunteer teams.

Skills are per procedure field (catalog.ProcedureField); a queue group (queueing.ServiceGroup)
is linked to the fields it serves (GroupField), so "who can help the land queue" is a join.
Everything belongs to one commune; selectors take the acting user.
"""

from django.conf import settings
from django.db import models


class JobPosition(models.Model):
    """A job position (vị trí việc làm) of the commune and how many people it should have."""

    commune = models.ForeignKey("geo.Commune", on_delete=models.PROTECT, related_name="job_positions")
    department = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="job_positions"
    )
    name = models.CharField("tên vị trí", max_length=150)
    headcount = models.PositiveSmallIntegerField("số người cần có", default=1)
    fields = models.ManyToManyField("catalog.ProcedureField", blank=True, related_name="job_positions")
    description = models.TextField("mô tả", max_length=2000, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["commune", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["commune", "name"],
                condition=models.Q(closed_at__isnull=True),
                name="one_open_position_name",
            )
        ]

    def __str__(self) -> str:
        return self.name


class StaffProfile(models.Model):
    """A staff member's job position (one; none until set)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="staff_profile"
    )
    position = models.ForeignKey(
        JobPosition, on_delete=models.SET_NULL, null=True, blank=True, related_name="profiles"
    )
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user_id}: {self.position_id}"


class SkillLevel(models.TextChoices):
    LEARNING = "LEARNING", "Đang học"
    CAN = "CAN", "Làm được"
    TRAINER = "TRAINER", "Hướng dẫn được người khác"


class Skill(models.Model):
    """What procedure field a staff member can handle, and how well."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="skills")
    field = models.ForeignKey("catalog.ProcedureField", on_delete=models.PROTECT, related_name="+")
    level = models.CharField(max_length=10, choices=SkillLevel.choices)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["user", "field"]
        constraints = [models.UniqueConstraint(fields=["user", "field"], name="one_skill_per_user_field")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.field_id} {self.level}"


class TrainingKind(models.TextChoices):
    CERTIFICATE = "CERTIFICATE", "Chứng chỉ"
    COURSE = "COURSE", "Khóa bồi dưỡng"


class Training(models.Model):
    """A certificate held or a course taken."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trainings")
    kind = models.CharField(max_length=12, choices=TrainingKind.choices)
    name = models.CharField("tên", max_length=200)
    issuer = models.CharField("nơi cấp, tổ chức", max_length=200, blank=True)
    on = models.DateField("ngày")
    field = models.ForeignKey(
        "catalog.ProcedureField", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["user", "-on"]

    def __str__(self) -> str:
        return self.name


class StaffMove(models.Model):
    """A staff member moved between departments (the user's department changes with it)."""

    commune = models.ForeignKey("geo.Commune", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="moves")
    on = models.DateField("từ ngày")
    from_department = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_department = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField("lý do", max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-on", "-recorded_at"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.on}: {self.from_department_id} → {self.to_department_id}"


class GroupField(models.Model):
    """The procedure fields a queue group serves (B — Đất đai, xây dựng: đất đai, xây dựng)."""

    group = models.ForeignKey("queueing.ServiceGroup", on_delete=models.CASCADE, related_name="field_links")
    field = models.ForeignKey("catalog.ProcedureField", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "field"], name="one_group_field_link")]

    def __str__(self) -> str:
        return f"{self.group_id} {self.field_id}"


class SlotKind(models.TextChoices):
    COUNTER = "COUNTER", "Ngồi quầy"
    DEPARTMENT = "DEPARTMENT", "Làm việc tại phòng"
    ABSENT = "ABSENT", "Vắng"


class PlanSlot(models.Model):
    """One officer's place for a stretch of one day: a counter, a department's work, or absent."""

    commune = models.ForeignKey("geo.Commune", on_delete=models.PROTECT, related_name="plan_slots")
    day = models.DateField()
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="plan_slots")
    starts = models.TimeField()
    ends = models.TimeField()
    kind = models.CharField(max_length=10, choices=SlotKind.choices)
    counter = models.ForeignKey(
        "queueing.Counter", on_delete=models.PROTECT, null=True, blank=True, related_name="plan_slots"
    )
    department = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="plan_slots"
    )
    note = models.CharField("ghi chú", max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["day", "starts", "officer"]
        indexes = [models.Index(fields=["commune", "day"], name="plan_slot_day_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts__lt=models.F("ends")), name="plan_slot_starts_before_end"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(kind="COUNTER", counter__isnull=False)
                    | models.Q(kind="DEPARTMENT", department__isnull=False)
                    | models.Q(kind="ABSENT")
                ),
                name="plan_slot_has_its_place",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.starts:%H:%M}–{self.ends:%H:%M} {self.officer_id} {self.kind}"


class PlanChange(models.Model):
    """A change of the day's plan (added, moved, removed, marked absent), kept for the record."""

    commune = models.ForeignKey("geo.Commune", on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    alert = models.ForeignKey(
        "Alert", on_delete=models.SET_NULL, null=True, blank=True, related_name="changes"
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["commune", "day"], name="plan_change_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.officer_id} {self.action}"


class AlertKind(models.TextChoices):
    QUEUE = "QUEUE", "Hàng chờ một nhóm dịch vụ dồn lại"
    BACKLOG = "BACKLOG", "Hồ sơ tồn của một phòng dồn lại"


class AlertState(models.TextChoices):
    OPEN = "OPEN", "Đang mở"
    ACTED = "ACTED", "Đã điều động"
    DISMISSED = "DISMISSED", "Bỏ qua"
    CLEARED = "CLEARED", "Tự hết (hàng chờ đã giảm)"


class Alert(models.Model):
    """A live imbalance: a group's queue or a department's backlog beyond its target while someone
    skilled is idle or serving a short line. The state changes only through the alert's transition
    function, which records who did what."""

    commune = models.ForeignKey("geo.Commune", on_delete=models.PROTECT, related_name="staffing_alerts")
    kind = models.CharField(max_length=10, choices=AlertKind.choices)
    group = models.ForeignKey(
        "queueing.ServiceGroup", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    department = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    state = models.CharField(max_length=10, choices=AlertState.choices, default=AlertState.OPEN)
    message = models.CharField(max_length=500)
    # What was measured and suggested: waiting, target, the helpers proposed (officer id, name,
    # where they are now, the counter or department they could move to).
    facts = models.JSONField(default=dict)
    raised_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action_note = models.CharField("việc đã làm", max_length=500, blank=True)

    class Meta:
        ordering = ["-raised_at"]
        indexes = [models.Index(fields=["commune", "state", "raised_at"], name="staffing_alert_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["commune", "kind", "group"],
                condition=models.Q(state="OPEN", group__isnull=False),
                name="one_open_alert_per_group",
            ),
            models.UniqueConstraint(
                fields=["commune", "kind", "department"],
                condition=models.Q(state="OPEN", department__isnull=False),
                name="one_open_alert_per_department",
            ),
        ]

    def __str__(self) -> str:
        return self.message


class DetectionMark(models.Model):
    """When alert detection last ran for a commune: the throttle of detection on read shared by
    every web worker (a per-process cache let each gunicorn worker detect). The worker whose
    conditional UPDATE … WHERE last_at ≤ now − N s changes the row is the one that detects."""

    commune = models.OneToOneField("geo.Commune", on_delete=models.CASCADE, related_name="+")
    last_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.commune_id} {self.last_at:%H:%M:%S}"


class VolunteerTeam(models.Model):
    """A volunteer team (Đoàn Thanh niên's «Mùa hè xanh», a school's youth union…)."""

    commune = models.ForeignKey("geo.Commune", on_delete=models.PROTECT, related_name="volunteer_teams")
    name = models.CharField("tên đội", max_length=200)
    organisation = models.CharField("tổ chức", max_length=200, blank=True)
    campaign = models.CharField("chiến dịch", max_length=200, blank=True)
    leader_name = models.CharField("đội trưởng", max_length=150, blank=True)
    leader_phone = models.CharField("điện thoại", max_length=15, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["commune", "name"]

    def __str__(self) -> str:
        return self.name


class VolunteerMember(models.Model):
    team = models.ForeignKey(VolunteerTeam, on_delete=models.CASCADE, related_name="members")
    full_name = models.CharField("họ và tên", max_length=150)
    phone = models.CharField("điện thoại", max_length=15, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["team", "full_name"]

    def __str__(self) -> str:
        return self.full_name


class VolunteerShift(models.Model):
    """A team's shift at the commune's center: day, hours, the members on it."""

    team = models.ForeignKey(VolunteerTeam, on_delete=models.CASCADE, related_name="shifts")
    day = models.DateField()
    starts = models.TimeField()
    ends = models.TimeField()
    members = models.ManyToManyField(VolunteerMember, blank=True, related_name="shifts")
    note = models.CharField(max_length=300, blank=True)
    # The recording link's token (S7): only its SHA-256; a new one replaces the old one.
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    token_issued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["day", "starts"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts__lt=models.F("ends")), name="volunteer_shift_order"
            )
        ]

    def __str__(self) -> str:
        return f"{self.team_id} {self.day} {self.starts:%H:%M}–{self.ends:%H:%M}"


class HelpKind(models.TextChoices):
    ONLINE = "ONLINE", "Hỗ trợ nộp hồ sơ trực tuyến"
    DOSSIER = "DOSSIER", "Hỗ trợ chuẩn bị hồ sơ"
    GUIDANCE = "GUIDANCE", "Hướng dẫn, đưa đón người cao tuổi"


class VolunteerHelp(models.Model):
    """A resident helped during a shift (dossiers marked «có tình nguyện viên hỗ trợ» are counted
    from the dossiers themselves; this records the help that left no dossier)."""

    shift = models.ForeignKey(VolunteerShift, on_delete=models.CASCADE, related_name="helps")
    member = models.ForeignKey(
        VolunteerMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=HelpKind.choices)
    at = models.DateTimeField()
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.shift_id} {self.kind} {self.at:%H:%M}"
