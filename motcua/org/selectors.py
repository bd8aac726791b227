"""Reads for the commune's administrator: always scoped to the acting user's own commune."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from motcua.core.errors import NotAllowed, NotFound

from .models import CommuneProfile, Department, Role, User

# The roles a commune administrator may give (a province officer is not a commune's staff).
ASSIGNABLE_ROLES: tuple[str, ...] = (
    Role.COUNTER_OFFICER,
    Role.SPECIALIST,
    Role.DEPARTMENT_HEAD,
    Role.COMMUNE_LEADER,
    Role.DATA_OFFICER,
    Role.ADMIN,
)


def manageable_by_commune_admin(person: User) -> bool:
    """Whether a commune administrator may see and act on this account: never the installation's
    administrator (a superuser), never an account holding a role a commune administrator may not
    give (a province officer with a commune set, say), primary or extra."""
    extra = person.extra_roles if isinstance(person.extra_roles, list) else []
    return (
        not person.is_superuser
        and not person.is_staff
        and person.role in ASSIGNABLE_ROLES
        and all(r in ASSIGNABLE_ROLES for r in extra)
    )


def commune_admin(user: object) -> User:
    """The acting user if they administer a commune; NotAllowed otherwise."""
    if (
        not isinstance(user, User)
        or not user.is_active
        or not user.has_role(Role.ADMIN)
        or user.commune_id is None
    ):
        raise NotAllowed("Trang này dành cho quản trị của xã, phường.")
    return user


def commune_of(admin: User) -> int:
    """The administered commune's code (commune_admin has checked there is one)."""
    assert admin.commune_id is not None
    return admin.commune_id


def departments_for(*, user: User) -> QuerySet[Department]:
    """The admin's commune's departments, open ones first, with how many active staff each has."""
    admin = commune_admin(user)
    return (
        Department.objects.filter(commune_id=commune_of(admin))
        .annotate(active_staff=Count("staff", filter=Q(staff__is_active=True)))
        .order_by("closed_at", "name")
    )


def open_departments_for(*, user: User) -> QuerySet[Department]:
    return departments_for(user=user).filter(closed_at__isnull=True)


def department_get_for(*, user: User, pk: int) -> Department:
    admin = commune_admin(user)
    department = Department.objects.filter(pk=pk, commune_id=commune_of(admin)).first()
    if department is None:
        raise NotFound("Không tìm thấy phòng ban này.")
    return department


def _manageable_staff(admin: User) -> QuerySet[User]:
    """The commune's accounts its administrator may manage (see manageable_by_commune_admin):
    superusers and roles outside ASSIGNABLE_ROLES are left out in the query; the extra roles (a
    JSON list, whose containment lookups SQLite lacks) are checked on the few accounts that have
    any."""
    accounts = User.objects.filter(
        commune_id=commune_of(admin), is_superuser=False, is_staff=False, role__in=ASSIGNABLE_ROLES
    )
    barred = [
        pk
        for pk, extra in accounts.values_list("pk", "extra_roles")
        if extra and not (isinstance(extra, list) and all(r in ASSIGNABLE_ROLES for r in extra))
    ]
    return accounts.exclude(pk__in=barred) if barred else accounts


def staff_for(*, user: User) -> QuerySet[User]:
    """The admin's commune's staff accounts that the admin may manage, active ones first."""
    admin = commune_admin(user)
    return (
        _manageable_staff(admin).select_related("department").order_by("-is_active", "full_name", "username")
    )


def staff_get_for(*, user: User, pk: int) -> User:
    admin = commune_admin(user)
    staff = User.objects.filter(pk=pk, commune_id=commune_of(admin)).select_related("department").first()
    if staff is None or not manageable_by_commune_admin(staff):
        raise NotFound("Không tìm thấy tài khoản cán bộ này.")
    return staff


def profile_for(*, user: User) -> CommuneProfile | None:
    admin = commune_admin(user)
    return CommuneProfile.objects.filter(commune_id=commune_of(admin)).first()


def public_profiles() -> list[CommuneProfile]:
    """What the public home page shows: every configured commune of the installation."""
    return list(CommuneProfile.objects.select_related("commune").order_by("commune__name"))
