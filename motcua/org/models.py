import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


class Role(models.TextChoices):
    RESIDENT = "RESIDENT", "Người dân"
    COUNTER_OFFICER = "COUNTER_OFFICER", "Cán bộ một cửa"
    SPECIALIST = "SPECIALIST", "Chuyên viên"
    DEPARTMENT_HEAD = "DEPARTMENT_HEAD", "Trưởng phòng"
    COMMUNE_LEADER = "COMMUNE_LEADER", "Lãnh đạo UBND"
    DATA_OFFICER = "DATA_OFFICER", "Cán bộ quản lý dữ liệu"
    PROVINCE_OFFICER = "PROVINCE_OFFICER", "Cán bộ cấp tỉnh"
    ADMIN = "ADMIN", "Quản trị xã, phường"


class DepartmentKind(models.TextChoices):
    """The units of a commune People's Committee under Decree 150/2025 (two-tier model)."""

    SERVICE_CENTER = "SERVICE_CENTER", "Trung tâm Phục vụ hành chính công"
    OFFICE = "OFFICE", "Văn phòng HĐND và UBND"
    ECONOMIC = "ECONOMIC", "Phòng Kinh tế, Hạ tầng và Đô thị"
    CULTURE_SOCIAL = "CULTURE_SOCIAL", "Phòng Văn hóa - Xã hội"


class Department(models.Model):
    commune = models.ForeignKey("geo.Commune", on_delete=models.PROTECT, related_name="departments")
    kind = models.CharField(max_length=20, choices=DepartmentKind.choices)
    name = models.CharField(max_length=200)
    # The procedure fields (lĩnh vực) this department handles; shown on staff screens and used
    # by the staffing capability. Routing uses the procedure's responsible kind.
    fields = models.ManyToManyField("catalog.ProcedureField", blank=True, related_name="departments")
    # A department is closed, never deleted: its dossiers and staff keep pointing to it, and a
    # closed department takes no new work (routing and assignment look at open ones only).
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["commune_id", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["commune", "kind"],
                condition=models.Q(closed_at__isnull=True),
                name="one_open_department_of_a_kind_per_commune",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class User(AbstractUser):
    """A staff account. Residents do not need one: they look up with code + second factor."""

    full_name = models.CharField("họ và tên", max_length=150)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.COUNTER_OFFICER)
    commune = models.ForeignKey(
        "geo.Commune", on_delete=models.PROTECT, null=True, blank=True, related_name="staff"
    )
    province = models.ForeignKey(
        "geo.Province", on_delete=models.PROTECT, null=True, blank=True, related_name="staff"
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="staff"
    )
    position = models.CharField("chức vụ", max_length=150, blank=True)
    # Roles held besides the primary `role` (a vice-chair who heads a department): a list of
    # Role values. Checks go through `roles` / `has_role`, never `role` alone.
    extra_roles = models.JSONField("vai trò kiêm nhiệm", default=list, blank=True)
    phone = models.CharField("điện thoại", max_length=20, blank=True)
    # Set when an administrator gives a one-time password: the next login goes to the
    # password change page first.
    must_change_password = models.BooleanField(default=False)

    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]
        constraints = [
            # "Lan" and "lan" are one login name: the administrator's check is case-insensitive,
            # and this index refuses the second of two concurrent creations.
            models.UniqueConstraint(Lower("username"), name="one_username_in_any_case"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def roles(self) -> set[str]:
        extra = self.extra_roles if isinstance(self.extra_roles, list) else []
        return {self.role, *(r for r in extra if r in Role.values)}

    def has_role(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)

    @property
    def extra_role_labels(self) -> list[str]:
        extra = self.extra_roles if isinstance(self.extra_roles, list) else []
        return [Role(r).label for r in extra if r in Role.values and r != self.role]

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class CommuneProfile(models.Model):
    """What a commune shows residents and prints on forms (the agency code stays on the commune)."""

    commune = models.OneToOneField("geo.Commune", on_delete=models.CASCADE, related_name="profile")
    unit_name = models.CharField("tên đơn vị", max_length=200)
    address = models.CharField("địa chỉ", max_length=300, blank=True)
    opening_hours = models.CharField("giờ làm việc", max_length=300, blank=True)
    hotline = models.CharField("đường dây nóng", max_length=30, blank=True)
    # Set by `motcua demo` only: the demo refuses to touch a commune it did not create.
    created_by_demo = models.BooleanField(default=False, editable=False)

    class Meta:
        verbose_name = "thông tin đơn vị"

    def __str__(self) -> str:
        return self.unit_name


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the raw value is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"

    @staticmethod
    def new_raw() -> str:
        return "mc_" + secrets.token_urlsafe(32)

    @staticmethod
    def hash(raw: str) -> str:
        return _hash_token(raw)
