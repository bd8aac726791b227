"""Reads about the commune's people: job positions, skills, trainings, moves, the queue groups'
procedure fields.

Two kinds of reads. The plain selectors at the top (skilled_officers, fields_of_group,
skill_level, position_of) are for the other staffing parts (plan, advisor, alerts, gaps): they
take the commune or the object they are asked about and trust the caller to have scoped it. The
`*_for(user=…)` reads below them serve the set-up screens and check the acting user: the commune's
administrator and leader manage their own commune; a department head reads the people of their
department; anyone else is refused (403), and another commune's object is not found (404).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, ExpressionWrapper, F, IntegerField, Q, QuerySet

from motcua.catalog.models import ProcedureField
from motcua.core.errors import NotAllowed, NotFound
from motcua.geo.models import Commune
from motcua.org.models import Department, Role, User
from motcua.queueing.models import ServiceGroup

from .models import GroupField, JobPosition, Skill, SkillLevel, StaffMove, StaffProfile, Training

# Weakest first: a skill "at least CAN" is CAN or TRAINER.
LEVEL_ORDER: tuple[str, ...] = (SkillLevel.LEARNING, SkillLevel.CAN, SkillLevel.TRAINER)

# The roles that make an account one of the commune's staff (not a province officer, not a
# resident).
STAFF_ROLES: tuple[str, ...] = (
    Role.COUNTER_OFFICER,
    Role.SPECIALIST,
    Role.DEPARTMENT_HEAD,
    Role.COMMUNE_LEADER,
    Role.DATA_OFFICER,
    Role.ADMIN,
)


def levels_at_least(level: str) -> list[str]:
    """The levels at or above `level` (LEARNING → all three, TRAINER → TRAINER)."""
    if level not in LEVEL_ORDER:
        raise ValueError(f"unknown skill level {level!r}")
    return list(LEVEL_ORDER[LEVEL_ORDER.index(level) :])


def _ids(items: Iterable[ProcedureField | int]) -> list[int]:
    return [item.pk if isinstance(item, ProcedureField) else int(item) for item in items]


def commune_staff(commune: Commune | int) -> QuerySet[User]:
    """The commune's active staff accounts (superusers and installation staff left out)."""
    code = commune.pk if isinstance(commune, Commune) else commune
    return User.objects.filter(
        commune_id=code, is_active=True, is_superuser=False, is_staff=False, role__in=STAFF_ROLES
    )


# ------------------------------------------------------------------ selectors for other parts


def skilled_officers(
    *,
    commune: Commune | int,
    fields: Iterable[ProcedureField | int],
    min_level: str = SkillLevel.CAN,
) -> QuerySet[User]:
    """The commune's active staff with a skill of at least `min_level` in any of `fields`,
    by name. No fields: nobody."""
    field_ids = _ids(fields)
    skilled = Skill.objects.filter(field_id__in=field_ids, level__in=levels_at_least(min_level))
    return (
        commune_staff(commune)
        .filter(pk__in=skilled.values("user_id"))
        .select_related("department")
        .order_by("full_name", "username")
    )


def fields_of_group(group: ServiceGroup | int) -> list[ProcedureField]:
    """The procedure fields a queue group serves (GroupField), by name."""
    group_id = group.pk if isinstance(group, ServiceGroup) else group
    return list(
        ProcedureField.objects.filter(pk__in=GroupField.objects.filter(group_id=group_id).values("field_id"))
    )


def skill_level(user: User | int, field: ProcedureField | int) -> str | None:
    """The user's level (a SkillLevel value) in the field, None when they have no such skill."""
    user_id = user.pk if isinstance(user, User) else user
    field_id = field.pk if isinstance(field, ProcedureField) else field
    return Skill.objects.filter(user_id=user_id, field_id=field_id).values_list("level", flat=True).first()


def position_of(user: User | int) -> JobPosition | None:
    """The user's job position (None until one is set)."""
    user_id = user.pk if isinstance(user, User) else user
    profile = StaffProfile.objects.filter(user_id=user_id).select_related("position").first()
    return profile.position if profile else None


# ------------------------------------------------------------------ access


def manager(user: object) -> User:
    """The acting user if they manage the commune's staffing (administrator or leader)."""
    if (
        isinstance(user, User)
        and user.is_active
        and user.commune_id is not None
        and user.has_role(Role.ADMIN, Role.COMMUNE_LEADER)
    ):
        return user
    raise NotAllowed("Trang này dành cho quản trị và lãnh đạo của xã, phường.")


def reader(user: object) -> User:
    """The acting user if they may read people's pages: a manager, or a department head (their
    own department's people only, see people_for)."""
    if (
        isinstance(user, User)
        and user.is_active
        and user.commune_id is not None
        and (
            user.has_role(Role.ADMIN, Role.COMMUNE_LEADER)
            or (user.has_role(Role.DEPARTMENT_HEAD) and user.department_id is not None)
        )
    ):
        return user
    raise NotAllowed("Trang này dành cho quản trị, lãnh đạo xã, phường và trưởng phòng.")


def commune_code(acting: User) -> int:
    """The acting user's commune (manager/reader have checked there is one)."""
    assert acting.commune_id is not None
    return acting.commune_id


def can_manage(user: User) -> bool:
    return user.has_role(Role.ADMIN, Role.COMMUNE_LEADER)


# ------------------------------------------------------------------ reads for the screens


def positions_for(*, user: User, include_closed: bool = False) -> QuerySet[JobPosition]:
    """The commune's job positions with `holders` (active staff holding it) and `gap`
    (headcount − holders; negative: more people than planned), open ones first."""
    acting = manager(user)
    positions = (
        JobPosition.objects.filter(commune_id=commune_code(acting))
        .select_related("department")
        .prefetch_related("fields")
        .annotate(
            holders=Count(
                "profiles",
                filter=Q(
                    profiles__user__is_active=True,
                    profiles__user__commune_id=commune_code(acting),
                ),
            )
        )
        .annotate(
            gap=ExpressionWrapper(F("headcount") - F("holders"), output_field=IntegerField()),
            surplus=ExpressionWrapper(F("holders") - F("headcount"), output_field=IntegerField()),
        )
        .order_by("closed_at", "name")
    )
    return positions if include_closed else positions.filter(closed_at__isnull=True)


def position_get_for(*, user: User, pk: int) -> JobPosition:
    acting = manager(user)
    position = JobPosition.objects.filter(pk=pk, commune_id=commune_code(acting)).first()
    if position is None:
        raise NotFound("Không tìm thấy vị trí việc làm này.")
    return position


def departments_of(*, user: User) -> QuerySet[Department]:
    """The departments the user may filter people by: all the commune's (a manager) or their own
    (a department head)."""
    acting = reader(user)
    departments = Department.objects.filter(commune_id=commune_code(acting))
    if not can_manage(acting):
        departments = departments.filter(pk=acting.department_id or 0)
    return departments.order_by("closed_at", "name")


def people_for(*, user: User, department_id: int | None = None) -> QuerySet[User]:
    """The staff the user may read (a department head: their department's only), with their
    position, by name."""
    acting = reader(user)
    people = commune_staff(commune_code(acting))
    if not can_manage(acting):
        people = people.filter(department_id=acting.department_id or 0)
    if department_id is not None:
        people = people.filter(department_id=department_id)
    return people.select_related("department", "staff_profile__position").order_by("full_name", "username")


def person_get_for(*, user: User, pk: int) -> User:
    """One staff member the user may read (also a deactivated one, for a manager)."""
    acting = reader(user)
    person = (
        User.objects.filter(
            pk=pk, commune_id=commune_code(acting), is_superuser=False, is_staff=False, role__in=STAFF_ROLES
        )
        .select_related("department", "staff_profile__position")
        .first()
    )
    if person is None or (not can_manage(acting) and person.department_id != acting.department_id):
        raise NotFound("Không tìm thấy cán bộ này.")
    return person


@dataclass(frozen=True)
class PersonFile:
    person: User
    position: JobPosition | None
    skills: list[Skill]
    trainings: list[Training]
    moves: list[StaffMove]


def person_file_for(*, user: User, pk: int) -> PersonFile:
    person = person_get_for(user=user, pk=pk)
    return PersonFile(
        person=person,
        position=position_of(person),
        skills=list(Skill.objects.filter(user=person).select_related("field").order_by("field__name")),
        trainings=list(Training.objects.filter(user=person).select_related("field")),
        moves=list(
            StaffMove.objects.filter(user=person, commune_id=commune_code(person)).select_related(
                "from_department", "to_department", "recorded_by"
            )
        ),
    )


@dataclass(frozen=True)
class Matrix:
    fields: list[ProcedureField]
    rows: list[tuple[User, list[str | None]]]  # each person and their level per field (or None)


def skills_matrix_for(*, user: User, department_id: int | None = None) -> Matrix:
    """Staff × procedure fields with their levels. The columns: every field someone of the
    commune has a skill in, and every field a position or department of the commune covers."""
    acting = reader(user)
    people = list(people_for(user=acting, department_id=department_id))
    levels: dict[int, dict[int, str]] = {}
    for user_id, field_id, level in Skill.objects.filter(user__in=[p.pk for p in people]).values_list(
        "user_id", "field_id", "level"
    ):
        levels.setdefault(user_id, {})[field_id] = level
    commune_id = commune_code(acting)
    field_ids = (
        set(Skill.objects.filter(user__commune_id=commune_id).values_list("field_id", flat=True))
        | set(
            JobPosition.objects.filter(commune_id=commune_id, closed_at__isnull=True).values_list(
                "fields", flat=True
            )
        )
        | set(Department.objects.filter(commune_id=commune_id).values_list("fields", flat=True))
    )
    fields = list(ProcedureField.objects.filter(pk__in=[f for f in field_ids if f is not None]))
    rows = []
    for person in people:
        own = levels.get(person.pk, {})
        rows.append((person, [own.get(f.pk) for f in fields]))
    return Matrix(fields=fields, rows=rows)


def groups_with_fields_for(*, user: User) -> list[tuple[ServiceGroup, set[int]]]:
    """The commune's queue groups, each with the ids of the fields it serves."""
    acting = manager(user)
    groups = list(ServiceGroup.objects.filter(commune_id=commune_code(acting)).order_by("letter"))
    links: dict[int, set[int]] = {g.pk: set() for g in groups}
    for group_id, field_id in GroupField.objects.filter(group__in=groups).values_list("group_id", "field_id"):
        links[group_id].add(field_id)
    return [(g, links[g.pk]) for g in groups]


def all_fields() -> QuerySet[ProcedureField]:
    """The catalogue's procedure fields (installation-wide)."""
    return ProcedureField.objects.order_by("name")
