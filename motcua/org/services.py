"""Writes on a commune's organisation: its profile, departments, staff accounts, API tokens.

Every function takes the acting user (checked to administer the commune it touches) and `now`
where the write is dated. Text input is cleaned (NFC, no control characters, so no NUL) and
validated with a Vietnamese message naming the field.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field

from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from motcua.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from motcua.core.text import clean_text, fold
from motcua.geo.models import Commune

from .models import ApiToken, CommuneProfile, Department, DepartmentKind, Role, User
from .selectors import (
    ASSIGNABLE_ROLES,
    commune_admin,
    commune_of,
    department_get_for,
    manageable_by_commune_admin,
)

# Roles whose work is a department's: the account must belong to an open department.
DEPARTMENT_ROLES: frozenset[str] = frozenset({Role.SPECIALIST, Role.DEPARTMENT_HEAD})


# --------------------------------------------------------------------------------- text input


def _text(value: object, *, label: str, max_length: int, required: bool = False) -> str:
    text = " ".join(clean_text(None if value is None else str(value)).split())
    if required and not text:
        raise ValidationFailed(f"Chưa nhập {label}.", code="required")
    if len(text) > max_length:
        raise ValidationFailed(f"{label.capitalize()} dài quá {max_length} ký tự.", code="too_long")
    return text


def _username(value: object) -> str:
    username = _text(value, label="tên đăng nhập", max_length=150, required=True)
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        raise ValidationFailed(
            f"Tên đăng nhập «{username}» chỉ được có chữ, số và các ký tự @ . + - _ (không dấu cách).",
            code="bad_username",
        ) from None
    return username


def _email(value: object) -> str:
    email = _text(value, label="email", max_length=254)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationFailed(f"Email «{email}» không hợp lệ.", code="bad_email") from None
    return email


def _phone(value: object) -> str:
    phone = _text(value, label="số điện thoại", max_length=20)
    if phone and not all(c.isdigit() or c in " +.-()" for c in phone):
        raise ValidationFailed(f"Số điện thoại «{phone}» chỉ được có chữ số.", code="bad_phone")
    return phone


def _password(password: str, user: User | None = None) -> str:
    password = str(password or "")
    if "\x00" in password:
        raise ValidationFailed("Mật khẩu có ký tự không hợp lệ.", code="bad_password")
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed(
            "Mật khẩu chưa đủ an toàn.", code="weak_password", details=list(exc.messages)
        ) from None
    return password


def one_time_password() -> str:
    """A password an administrator reads out once: 12 characters without look-alikes."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))


# --------------------------------------------------------------------------- commune profile


@dataclass(frozen=True)
class ProfileInput:
    unit_name: str
    address: str = ""
    opening_hours: str = ""
    hotline: str = ""
    # No agency code here: it is the installer's (`setup-commune --agency-code`), never a
    # commune administrator's (see commune_set_agency_code).


# The receiving agency's code as printed in dossier codes (H48.20209): stored upper-case, because
# dossier numbering keeps one counter per stored code and prints it upper-cased.
AGENCY_CODE_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9.\-]{1,29}")


def _agency_code(value: object) -> str:
    # Not cleaned first: a control character (NUL…) is refused by the pattern, not dropped.
    agency = ("" if value is None else str(value)).strip().upper()
    if not agency:
        raise ValidationFailed("Chưa nhập mã cơ quan tiếp nhận.", code="required")
    if len(agency) > 30:
        raise ValidationFailed("Mã cơ quan dài quá 30 ký tự.", code="too_long")
    if not AGENCY_CODE_PATTERN.fullmatch(agency):
        raise ValidationFailed(
            f"Mã cơ quan «{clean_text(agency)}» chỉ được có chữ cái không dấu, chữ số, dấu chấm và gạch nối, "
            "bắt đầu bằng chữ hoặc số (ví dụ H48.20209).",
            code="bad_agency",
        )
    return agency


def commune_set_agency_code(*, commune: Commune, agency_code: str) -> Commune:
    """Give a commune its receiving agency's code (installer only: `setup-commune`). Normalised
    upper-case; refused when another commune has it in any case (a unique index on its upper
    case backs the check against a concurrent run)."""
    agency = _agency_code(agency_code)
    taken = f"Mã cơ quan «{agency}» đã dùng cho đơn vị khác."
    if Commune.objects.filter(agency_code__iexact=agency).exclude(pk=commune.pk).exists():
        raise Conflict(taken, code="agency_taken")
    if agency != commune.agency_code:
        commune.agency_code = agency
        try:
            with transaction.atomic():
                commune.save(update_fields=["agency_code"])
        except IntegrityError:
            raise Conflict(taken, code="agency_taken") from None
    return commune


def _save_profile(*, commune: Commune, data: ProfileInput, set_up: bool = False) -> CommuneProfile:
    values: dict[str, object] = {
        "unit_name": _text(data.unit_name, label="tên đơn vị", max_length=200, required=True),
        "address": _text(data.address, label="địa chỉ", max_length=300),
        "opening_hours": _text(data.opening_hours, label="giờ làm việc", max_length=300),
        "hotline": _phone(data.hotline),
    }
    if set_up:  # set up for real by `setup-commune`: no longer the demo's (motcua demo refuses it)
        values["created_by_demo"] = False
    profile, _ = CommuneProfile.objects.update_or_create(commune=commune, defaults=values)
    return profile


@transaction.atomic
def commune_profile_update(*, actor: User, data: ProfileInput, now: dt.datetime) -> CommuneProfile:
    """The administrator edits what the commune shows residents and prints on forms."""
    admin = commune_admin(actor)
    commune = Commune.objects.select_for_update().get(pk=commune_of(admin))
    return _save_profile(commune=commune, data=data)


@dataclass(frozen=True)
class SetupResult:
    commune: Commune
    admin: User
    created_admin: bool
    loaded_geography: bool
    loaded_catalogue: bool


@transaction.atomic
def commune_setup(
    *,
    commune_code: int,
    username: str,
    password: str,
    now: dt.datetime,
    unit_name: str | None = None,
    address: str | None = None,
    opening_hours: str | None = None,
    hotline: str | None = None,
    agency_code: str | None = None,
    full_name: str = "",
    installation_admin: bool = False,
) -> SetupResult:
    """First start of a commune: reference data if absent, its first administrator, its profile.

    Running it again updates what is given (a profile field left as None keeps its value; an
    empty password keeps the administrator's); it refuses when the username belongs to another
    commune or the commune code is unknown.
    """
    from motcua.catalog.models import Procedure
    from motcua.catalog.services import catalog_load_starter
    from motcua.geo.services import geo_load_official_units

    # The official list (idempotent, keeps agency codes) when this commune is not in the database.
    loaded_geography = not Commune.objects.filter(code=commune_code).exists()
    if loaded_geography:
        geo_load_official_units()
    commune = Commune.objects.select_for_update().filter(code=commune_code).first()
    if commune is None:
        raise NotFound(
            f"Không có xã, phường mã {commune_code} trong danh mục đơn vị hành chính.", code="unknown_commune"
        )
    loaded_catalogue = not Procedure.objects.exists()
    if loaded_catalogue:
        catalog_load_starter()
    username = _username(username)
    name = _text(full_name, label="họ và tên", max_length=150) or "Quản trị xã, phường"
    if agency_code is not None:
        commune_set_agency_code(commune=commune, agency_code=agency_code)
    admin = User.objects.filter(username=username).first()
    created = admin is None
    if admin is not None and admin.commune_id != commune.pk:
        raise Conflict(
            f"Tên đăng nhập «{username}» đã có ở đơn vị khác; chọn tên khác.", code="username_taken"
        )
    if admin is None and User.objects.filter(username__iexact=username).exists():
        raise Conflict(
            f"Tên đăng nhập «{username}» đã có người dùng (khác chữ hoa, chữ thường); chọn tên khác.",
            code="username_taken",
        )
    if admin is None:
        admin = User(username=username, full_name=name, commune=commune, province_id=commune.province_id)
    admin.role = Role.ADMIN
    admin.is_active = True
    admin.is_superuser = installation_admin or (not created and admin.is_superuser)
    if password:
        admin.set_password(_password(password, admin))
    elif created:
        raise ValidationFailed("Chưa có mật khẩu cho quản trị.", code="required")
    try:
        with transaction.atomic():
            admin.save()
    except IntegrityError:
        raise Conflict(
            f"Tên đăng nhập «{username}» vừa có người dùng; chọn tên khác.", code="username_taken"
        ) from None
    current = CommuneProfile.objects.filter(commune=commune).first()
    default_name = f"Trung tâm Phục vụ hành chính công {commune.name[:1].lower()}{commune.name[1:]}"
    profile = ProfileInput(
        unit_name=unit_name if unit_name is not None else (current.unit_name if current else default_name),
        address=address if address is not None else (current.address if current else ""),
        opening_hours=opening_hours
        if opening_hours is not None
        else (current.opening_hours if current else ""),
        hotline=hotline if hotline is not None else (current.hotline if current else ""),
    )
    _save_profile(commune=commune, data=profile, set_up=True)
    return SetupResult(commune, admin, created, loaded_geography, loaded_catalogue)


# -------------------------------------------------------------------------------- departments


def _kind(value: object) -> str:
    kind = str(value or "")
    if kind not in DepartmentKind.values:
        raise ValidationFailed("Chọn loại phòng ban trong danh sách.", code="bad_kind")
    return kind


@transaction.atomic
def department_create(*, actor: User, kind: str, name: str, now: dt.datetime) -> Department:
    admin = commune_admin(actor)
    kind = _kind(kind)
    name = _text(name, label="tên phòng ban", max_length=200, required=True)
    taken = Conflict(
        f"Xã, phường đã có một «{DepartmentKind(kind).label}» đang hoạt động; đóng nó trước khi lập mới.",
        code="department_kind_taken",
    )
    if Department.objects.filter(commune_id=commune_of(admin), kind=kind, closed_at__isnull=True).exists():
        raise taken
    # Two administrators at once both pass the check: the one-open-department-per-kind constraint
    # refuses the second, which gets the same message (the savepoint keeps the caller's
    # transaction usable).
    try:
        with transaction.atomic():
            return Department.objects.create(commune_id=commune_of(admin), kind=kind, name=name)
    except IntegrityError:
        raise taken from None


@transaction.atomic
def department_rename(*, actor: User, department_id: int, name: str, now: dt.datetime) -> Department:
    department = department_get_for(user=actor, pk=department_id)
    department.name = _text(name, label="tên phòng ban", max_length=200, required=True)
    department.save(update_fields=["name"])
    return department


@transaction.atomic
def department_close(*, actor: User, department_id: int, now: dt.datetime) -> Department:
    """Close a department (never delete): its dossiers and history keep it; no new work goes
    to it. Refused while active staff still belong to it."""
    department = department_get_for(user=actor, pk=department_id)
    if department.closed_at is not None:
        return department
    active = department.staff.filter(is_active=True).count()
    if active:
        raise Conflict(
            f"Phòng «{department.name}» còn {active} cán bộ đang làm việc; chuyển họ sang phòng khác trước khi đóng.",
            code="department_has_staff",
        )
    department.closed_at = now
    department.save(update_fields=["closed_at"])
    return department


# ----------------------------------------------------------------------------- staff accounts


@dataclass(frozen=True)
class StaffInput:
    username: str
    full_name: str
    role: str
    extra_roles: tuple[str, ...] = ()
    department_id: int | None = None
    position: str = ""
    email: str = ""
    phone: str = ""


@dataclass
class _Checked:
    full_name: str
    role: str
    extra_roles: list[str]
    department: Department | None
    position: str
    email: str
    phone: str
    username: str = ""
    problems: list[str] = field(default_factory=list)


def _check_staff(admin: User, data: StaffInput, *, with_username: bool) -> _Checked:
    full_name = _text(data.full_name, label="họ và tên", max_length=150, required=True)
    if data.role not in ASSIGNABLE_ROLES:
        raise ValidationFailed("Chọn vai trò trong danh sách.", code="bad_role")
    extra = []
    for r in data.extra_roles:
        if r not in ASSIGNABLE_ROLES:
            raise ValidationFailed("Chọn vai trò kiêm nhiệm trong danh sách.", code="bad_role")
        if r != data.role and r not in extra:
            extra.append(r)
    department = None
    if data.department_id:
        department = Department.objects.filter(pk=data.department_id, commune_id=commune_of(admin)).first()
        if department is None:
            raise ValidationFailed("Chọn phòng ban trong danh sách.", code="bad_department")
        if department.closed_at is not None:
            raise ValidationFailed(
                f"Phòng «{department.name}» đã đóng, không nhận cán bộ mới.", code="closed"
            )
    if department is None and DEPARTMENT_ROLES & {data.role, *extra}:
        raise ValidationFailed(
            "Chuyên viên và trưởng phòng phải thuộc một phòng ban.", code="needs_department"
        )
    return _Checked(
        full_name=full_name,
        role=data.role,
        extra_roles=extra,
        department=department,
        position=_text(data.position, label="chức vụ", max_length=150),
        email=_email(data.email),
        phone=_phone(data.phone),
        username=_username(data.username) if with_username else "",
    )


def _new_staff(admin: User, c: _Checked, password: str) -> User:
    taken = Conflict(f"Tên đăng nhập «{c.username}» đã có người dùng.", code="username_taken")
    if User.objects.filter(username__iexact=c.username).exists():
        raise taken
    user = User(
        username=c.username,
        full_name=c.full_name,
        role=c.role,
        extra_roles=c.extra_roles,
        commune_id=commune_of(admin),
        province_id=admin.commune.province_id if admin.commune else admin.province_id,
        department=c.department,
        position=c.position,
        email=c.email,
        phone=c.phone,
        must_change_password=True,
    )
    user.set_password(password)
    # A concurrent request may create the same name (in any case) after the check: the unique
    # index on lower(username) refuses it; say so instead of a 500.
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise taken from None
    return user


def _staff_to_manage(actor: User, staff_id: int) -> tuple[User, User]:
    """The acting commune admin and the account they act on, locked. Checked here, not only by
    the selectors: an account of the commune that the admin may not manage (the installation's
    administrator, a province officer) is refused with NotAllowed."""
    admin = commune_admin(actor)
    user = (
        User.objects.select_for_update(of=("self",))
        .select_related("department")
        .filter(pk=staff_id, commune_id=commune_of(admin))
        .first()
    )
    if user is None:
        raise NotFound("Không tìm thấy tài khoản cán bộ này.")
    if not manageable_by_commune_admin(user):
        raise NotAllowed(
            "Quản trị xã, phường không được sửa tài khoản này (quản trị cài đặt hoặc cán bộ cấp tỉnh).",
            code="not_manageable",
        )
    return admin, user


@transaction.atomic
def staff_create(*, actor: User, data: StaffInput, password: str = "", now: dt.datetime) -> tuple[User, str]:
    """A new staff account of the admin's commune. Returns it and its one-time password (the
    one typed by the admin, or a generated one to show once); it is changed at first login."""
    admin = commune_admin(actor)
    checked = _check_staff(admin, data, with_username=True)
    password = _password(password) if password else one_time_password()
    user = _new_staff(admin, checked, password)
    return user, password


@transaction.atomic
def staff_update(*, actor: User, staff_id: int, data: StaffInput, now: dt.datetime) -> User:
    """Change name, role(s), department, position and contact; the username never changes."""
    admin, user = _staff_to_manage(actor, staff_id)
    checked = _check_staff(admin, data, with_username=False)
    if user.pk == admin.pk and Role.ADMIN not in {checked.role, *checked.extra_roles}:
        raise Conflict("Không thể tự bỏ vai trò quản trị của chính mình.", code="self_demote")
    user.full_name = checked.full_name
    user.role = checked.role
    user.extra_roles = checked.extra_roles
    user.department = checked.department
    user.position = checked.position
    user.email = checked.email
    user.phone = checked.phone
    user.save(update_fields=["full_name", "role", "extra_roles", "department", "position", "email", "phone"])
    return user


@transaction.atomic
def staff_set_active(*, actor: User, staff_id: int, active: bool, now: dt.datetime) -> User:
    """Deactivate (or reactivate) an account: it can no longer log in or act; its name stays
    on every dossier and log it appears in."""
    admin, user = _staff_to_manage(actor, staff_id)
    if user.pk == admin.pk and not active:
        raise Conflict("Không thể tự khóa tài khoản của chính mình.", code="self_deactivate")
    if active and user.department is not None and user.department.closed_at is not None:
        raise Conflict(
            f"Phòng «{user.department.name}» đã đóng: chuyển cán bộ sang phòng khác trước khi mở khóa.",
            code="closed",
        )
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
    return user


@transaction.atomic
def staff_reset_password(*, actor: User, staff_id: int, password: str = "", now: dt.datetime) -> str:
    """Give a staff account a one-time password (typed by the admin or generated); returned to
    be shown once. The person changes it at the next login. The account's API tokens are
    revoked: whoever held the old password may have issued them."""
    _, user = _staff_to_manage(actor, staff_id)
    password = _password(password, user) if password else one_time_password()
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
    return password


# ------------------------------------------------------------------------------ staff import


@dataclass(frozen=True)
class ImportRow:
    line: int  # the row number in the workbook, as Excel shows it
    username: str
    full_name: str
    roles: str
    department: str
    position: str
    email: str
    phone: str


@dataclass(frozen=True)
class ImportedStaff:
    user: User
    password: str


def _role_from_text(text: str) -> str | None:
    key = fold(text)
    for role in ASSIGNABLE_ROLES:
        if key in {fold(role), fold(Role(role).label)}:
            return role
    return None


def _department_from_text(admin: User, text: str) -> Department | None:
    key = fold(text)
    for d in Department.objects.filter(commune_id=commune_of(admin), closed_at__isnull=True):
        if key in {fold(d.name), fold(DepartmentKind(d.kind).label), fold(d.kind)}:
            return d
    return None


@transaction.atomic
def staff_import(*, actor: User, rows: list[ImportRow], now: dt.datetime) -> list[ImportedStaff]:
    """Create every row's account or none: all rows are checked first and every bad row is
    named with its line; only then are the accounts created, each with a one-time password."""
    admin = commune_admin(actor)
    problems: list[str] = []
    checked: list[tuple[ImportRow, _Checked]] = []
    seen: dict[str, int] = {}
    for row in rows:
        try:
            role_names = [p.strip() for p in row.roles.replace(";", ",").split(",") if p.strip()]
            if not role_names:
                raise ValidationFailed("chưa có vai trò.")
            roles = []
            for name in role_names:
                role = _role_from_text(name)
                if role is None:
                    raise ValidationFailed(
                        f"vai trò «{_text(name, label='vai trò', max_length=60)}» không có."
                    )
                roles.append(role)
            department_id = None
            if row.department.strip():
                department = _department_from_text(admin, row.department)
                if department is None:
                    raise ValidationFailed(
                        f"phòng ban «{_text(row.department, label='phòng ban', max_length=200)}» không có."
                    )
                department_id = department.pk
            data = StaffInput(
                username=row.username,
                full_name=row.full_name,
                role=roles[0],
                extra_roles=tuple(roles[1:]),
                department_id=department_id,
                position=row.position,
                email=row.email,
                phone=row.phone,
            )
            c = _check_staff(admin, data, with_username=True)
            key = c.username.lower()
            if key in seen:
                raise ValidationFailed(f"tên đăng nhập «{c.username}» trùng với dòng {seen[key]}.")
            seen[key] = row.line
            if User.objects.filter(username__iexact=c.username).exists():
                raise ValidationFailed(f"tên đăng nhập «{c.username}» đã có người dùng.")
            checked.append((row, c))
        except ValidationFailed as exc:
            message = exc.message[0].lower() + exc.message[1:] if exc.message else ""
            problems.append(f"Dòng {row.line}: {message}")
    if problems:
        raise ValidationFailed(
            f"Không nhập tài khoản nào: {len(problems)} dòng có lỗi.", code="import_failed", details=problems
        )
    if not checked:
        raise ValidationFailed("Tệp không có dòng cán bộ nào.", code="import_empty")
    created = []
    for _, c in checked:
        password = one_time_password()
        created.append(ImportedStaff(_new_staff(admin, c, password), password))
    return created


# ---------------------------------------------------------------------------- own password


def password_changed(*, user: User, now: dt.datetime) -> None:
    """After a person chose their own password: the one-time password is gone."""
    if user.must_change_password:
        user.must_change_password = False
        user.save(update_fields=["must_change_password"])


# -------------------------------------------------------------------------------- API tokens


@transaction.atomic
def api_token_create(*, user: User, name: str, now: dt.datetime) -> str:
    """Issue a bearer token; return the raw value, which is shown once and never stored."""
    raw = ApiToken.new_raw()
    ApiToken.objects.create(
        user=user, name=name.strip()[:100] or "api", key_hash=ApiToken.hash(raw), created_at=now
    )
    return raw


@transaction.atomic
def api_token_revoke(*, user: User, name: str, now: dt.datetime) -> int:
    count = ApiToken.objects.filter(user=user, name=name, revoked_at__isnull=True).update(revoked_at=now)
    if not count:
        raise NotFound(f"Không có mã truy cập đang hiệu lực tên «{name}».")
    return count
