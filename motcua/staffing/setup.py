"""The commune's administrator and leader set up its people (issue 11 §1): job positions and the
procedure fields they cover, each staff member's position, skills and trainings, moves between
departments, and which procedure fields each queue group serves.

Every write takes the acting user (an administrator or leader of a commune, else 403: see
people.manager), touches only that commune's objects (another commune's is "not found") and
`now`. Text is cleaned and refused — not silently changed — when it holds a control character
(PostgreSQL refuses NUL) or is too long. Nothing history needs is deleted: a position is closed,
never removed; a move is recorded with the department change in one transaction. Every change goes
to the `motcua.audit` logger.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from motcua.catalog.models import ProcedureField
from motcua.core.audit import audit_log
from motcua.core.errors import Conflict, NotFound, ValidationFailed
from motcua.core.excel import append_text_row, text_cell
from motcua.core.text import form_int, form_text
from motcua.org.models import Department, User
from motcua.queueing.models import ServiceGroup

from . import people
from .models import (
    GroupField,
    JobPosition,
    Skill,
    SkillLevel,
    StaffMove,
    StaffProfile,
    Training,
    TrainingKind,
)

NAME_MAX = 150
DESCRIPTION_MAX = 2000
TRAINING_NAME_MAX = 200
ISSUER_MAX = 200
REASON_MAX = 300
HEADCOUNT_MIN, HEADCOUNT_MAX = 0, 500
_MAX_ID = 2**31 - 1
_EARLIEST = dt.date(1975, 1, 1)


def _log(actor: User, action: str, what: str, now: dt.datetime) -> None:
    audit_log(area="staffing-setup", actor=actor, action=action, what=what, now=now)


# ------------------------------------------------------------------------------- input


def parse_pk(value: object) -> int | None:
    """A positive id typed or posted, else None (blank, not a number, out of range)."""
    raw = ("" if value is None else str(value)).strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10 or not 0 < int(raw) <= _MAX_ID:
        return None
    return int(raw)


def parse_date(value: object, *, label: str, today: dt.date) -> dt.date:
    """A date from a date input (yyyy-mm-dd) or typed dd/mm/yyyy, from 1975 to a year ahead."""
    raw = ("" if value is None else str(value)).strip()
    parsed: dt.date | None = None
    if len(raw) <= 10 and raw.isascii():
        for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                parsed = dt.datetime.strptime(raw, pattern).date()  # noqa: DTZ007 (a date, no time)
                break
            except ValueError:
                continue
    if parsed is None:
        raise ValidationFailed(f"{label.capitalize()} phải là một ngày dạng ngày/tháng/năm.", code="bad_date")
    if not _EARLIEST <= parsed <= today + dt.timedelta(days=366):
        raise ValidationFailed(
            f"{label.capitalize()} phải từ 01/01/1975 đến không quá một năm sau hôm nay.", code="bad_date"
        )
    return parsed


def _fields(values: Iterable[object]) -> list[ProcedureField]:
    raw = list(values)
    if len(raw) > 200:
        raise ValidationFailed("Chọn quá nhiều lĩnh vực.", code="too_many")
    ids = set()
    for value in raw:
        pk = parse_pk(value)
        if pk is None:
            raise ValidationFailed("Lĩnh vực đã chọn không hợp lệ.", code="bad_field")
        ids.add(pk)
    fields = list(ProcedureField.objects.filter(pk__in=ids))
    if len(fields) != len(ids):
        raise ValidationFailed("Có lĩnh vực đã chọn không còn trong danh mục.", code="bad_field")
    return fields


def _field(value: object) -> ProcedureField:
    pk = parse_pk(value)
    field = ProcedureField.objects.filter(pk=pk).first() if pk else None
    if field is None:
        raise ValidationFailed("Chưa chọn lĩnh vực, hoặc lĩnh vực không có trong danh mục.", code="bad_field")
    return field


def _department(actor: User, value: object, *, label: str, required: bool) -> Department | None:
    raw = ("" if value is None else str(value)).strip()
    if not raw and not required:
        return None
    pk = parse_pk(raw)
    department = (
        Department.objects.filter(pk=pk, commune_id=people.commune_code(actor)).first() if pk else None
    )
    if department is None:
        raise ValidationFailed(
            f"Chưa chọn {label}, hoặc {label} không thuộc xã, phường này.", code="bad_department"
        )
    if department.closed_at is not None:
        raise ValidationFailed(
            f"{department.name} đã đóng: không chọn làm {label} được.", code="closed_department"
        )
    return department


def _person(actor: User, person_id: int) -> User:
    """A staff member of the actor's commune (people.person_get_for scopes and 404s)."""
    return people.person_get_for(user=actor, pk=person_id)


def _require_active(person: User, what: str) -> None:
    """Moves, skills and trainings are changed only for people still working (an inactive
    account's record stays as it was when they left)."""
    if not person.is_active:
        raise ValidationFailed(
            f"{person.display_name} đã nghỉ (tài khoản bị khóa): không {what} được.", code="inactive_person"
        )


# ------------------------------------------------------------------------------- positions


def _position_values(
    actor: User, *, name: object, headcount: object, department_id: object, description: object
) -> tuple[str, int, Department | None, str]:
    return (
        form_text(name, label="tên vị trí việc làm", max_length=NAME_MAX, required=True),
        form_int(headcount, label="số người cần có", low=HEADCOUNT_MIN, high=HEADCOUNT_MAX),
        _department(actor, department_id, label="phòng ban", required=False),
        form_text(description, label="mô tả", max_length=DESCRIPTION_MAX),
    )


def _name_taken(actor: User, name: str, *, exclude: int | None = None) -> None:
    others = JobPosition.objects.filter(
        commune_id=people.commune_code(actor), closed_at__isnull=True, name__iexact=name
    )
    if exclude is not None:
        others = others.exclude(pk=exclude)
    if others.exists():
        raise Conflict(f"Đã có vị trí việc làm «{name}» đang dùng.", code="duplicate")


def position_create(
    *,
    actor: User,
    name: object,
    headcount: object,
    department_id: object = "",
    field_ids: Iterable[object] = (),
    description: object = "",
    now: dt.datetime,
) -> JobPosition:
    acting = people.manager(actor)
    clean_name, count, department, text = _position_values(
        acting, name=name, headcount=headcount, department_id=department_id, description=description
    )
    fields = _fields(field_ids)
    _name_taken(acting, clean_name)
    try:
        with transaction.atomic():
            position = JobPosition.objects.create(
                commune_id=people.commune_code(acting),
                name=clean_name,
                headcount=count,
                department=department,
                description=text,
            )
            position.fields.set(fields)
    except IntegrityError as exc:
        raise Conflict(f"Đã có vị trí việc làm «{clean_name}» đang dùng.", code="duplicate") from exc
    _log(acting, "position-create", f"{position.pk} {clean_name} ({count})", now)
    return position


def position_update(
    *,
    actor: User,
    position_id: int,
    name: object,
    headcount: object,
    department_id: object = "",
    field_ids: Iterable[object] = (),
    description: object = "",
    now: dt.datetime,
) -> JobPosition:
    acting = people.manager(actor)
    position = people.position_get_for(user=acting, pk=position_id)
    if position.closed_at is not None:
        raise Conflict("Vị trí việc làm này đã đóng, không sửa được.", code="closed")
    clean_name, count, department, text = _position_values(
        acting, name=name, headcount=headcount, department_id=department_id, description=description
    )
    fields = _fields(field_ids)
    _name_taken(acting, clean_name, exclude=position.pk)
    try:
        with transaction.atomic():
            position.name, position.headcount, position.department, position.description = (
                clean_name,
                count,
                department,
                text,
            )
            position.save()
            position.fields.set(fields)
    except IntegrityError as exc:
        raise Conflict(f"Đã có vị trí việc làm «{clean_name}» đang dùng.", code="duplicate") from exc
    _log(acting, "position-update", f"{position.pk} {clean_name} ({count})", now)
    return position


def position_close(*, actor: User, position_id: int, now: dt.datetime) -> JobPosition:
    """Close a position (never delete): the people holding it keep it on their record until given
    another; a closed position takes nobody new."""
    acting = people.manager(actor)
    position = people.position_get_for(user=acting, pk=position_id)
    if position.closed_at is not None:
        raise Conflict("Vị trí việc làm này đã đóng.", code="closed")
    position.closed_at = now
    position.save(update_fields=["closed_at"])
    _log(acting, "position-close", f"{position.pk} {position.name}", now)
    return position


def person_set_position(
    *, actor: User, person_id: int, position_id: object, now: dt.datetime
) -> StaffProfile:
    """Give a staff member an open position of the commune (blank: none)."""
    acting = people.manager(actor)
    person = _person(acting, person_id)
    raw = ("" if position_id is None else str(position_id)).strip()
    position = None
    if raw:
        pk = parse_pk(raw)
        position = (
            JobPosition.objects.filter(
                pk=pk, commune_id=people.commune_code(acting), closed_at__isnull=True
            ).first()
            if pk
            else None
        )
        if position is None:
            raise ValidationFailed("Vị trí việc làm không có hoặc đã đóng.", code="bad_position")
    profile, _ = StaffProfile.objects.update_or_create(
        user=person, defaults={"position": position, "updated_at": now}
    )
    _log(acting, "person-position", f"{person.pk} → {position.pk if position else '-'}", now)
    return profile


# ------------------------------------------------------------------------------- skills, trainings


def skill_set(*, actor: User, person_id: int, field_id: object, level: object, now: dt.datetime) -> Skill:
    """Add a skill or change its level (one per person and field)."""
    acting = people.manager(actor)
    person = _person(acting, person_id)
    _require_active(person, "sửa kỹ năng")
    field = _field(field_id)
    if level not in SkillLevel.values:
        raise ValidationFailed("Mức kỹ năng không hợp lệ.", code="bad_level")
    skill, _ = Skill.objects.update_or_create(
        user=person, field=field, defaults={"level": str(level), "updated_at": now}
    )
    _log(acting, "skill-set", f"{person.pk} {field.code} {level}", now)
    return skill


def skill_remove(*, actor: User, person_id: int, field_id: object, now: dt.datetime) -> None:
    acting = people.manager(actor)
    person = _person(acting, person_id)
    _require_active(person, "sửa kỹ năng")
    pk = parse_pk(field_id)
    deleted, _ = Skill.objects.filter(user=person, field_id=pk or 0).delete()
    if not deleted:
        raise NotFound("Cán bộ này không có kỹ năng đó.")
    _log(acting, "skill-remove", f"{person.pk} {pk}", now)


def training_add(
    *,
    actor: User,
    person_id: int,
    kind: object,
    name: object,
    issuer: object = "",
    on: object,
    field_id: object = "",
    now: dt.datetime,
) -> Training:
    acting = people.manager(actor)
    person = _person(acting, person_id)
    _require_active(person, "ghi chứng chỉ, khóa học")
    if kind not in TrainingKind.values:
        raise ValidationFailed("Loại (chứng chỉ hay khóa bồi dưỡng) không hợp lệ.", code="bad_kind")
    clean_name = form_text(name, label="tên chứng chỉ, khóa học", max_length=TRAINING_NAME_MAX, required=True)
    clean_issuer = form_text(issuer, label="nơi cấp, tổ chức", max_length=ISSUER_MAX)
    day = parse_date(on, label="ngày", today=timezone.localtime(now).date())
    field = _field(field_id) if str(field_id or "").strip() else None
    training = Training.objects.create(
        user=person, kind=str(kind), name=clean_name, issuer=clean_issuer, on=day, field=field
    )
    _log(acting, "training-add", f"{person.pk} {training.pk} {clean_name}", now)
    return training


def training_remove(*, actor: User, person_id: int, training_id: int, now: dt.datetime) -> None:
    acting = people.manager(actor)
    person = _person(acting, person_id)
    _require_active(person, "xóa chứng chỉ, khóa học")
    deleted, _ = Training.objects.filter(pk=training_id, user=person).delete()
    if not deleted:
        raise NotFound("Không tìm thấy chứng chỉ, khóa học này.")
    _log(acting, "training-remove", f"{person.pk} {training_id}", now)


# ------------------------------------------------------------------------------- moves


def staff_move(
    *, actor: User, person_id: int, on: object, to_department_id: object, reason: object, now: dt.datetime
) -> StaffMove:
    """«Chuyển phòng»: the user's department changes and the move is recorded, in one
    transaction (the person's row locked, so two moves at once are one after the other).

    The department changes NOW, so the move's date is today or earlier (a move planned for a
    later day is recorded on that day), and not earlier than the person's latest recorded move
    (the history is a chain: each move starts from the department the previous one led to).
    Inactive people are not moved."""
    acting = people.manager(actor)
    _require_active(_person(acting, person_id), "chuyển phòng")
    today = timezone.localtime(now).date()
    day = parse_date(on, label="ngày chuyển", today=today)
    if day > today:
        raise ValidationFailed(
            "Ngày chuyển không được sau hôm nay: hãy ghi việc chuyển phòng vào đúng ngày chuyển.",
            code="future_move",
        )
    clean_reason = form_text(reason, label="lý do", max_length=REASON_MAX)
    target = _department(acting, to_department_id, label="phòng chuyển đến", required=True)
    assert target is not None
    with transaction.atomic():
        person = User.objects.select_for_update().get(pk=person_id)
        _require_active(person, "chuyển phòng")
        latest = StaffMove.objects.filter(user=person).order_by("-on", "-pk").first()
        if latest is not None and day < latest.on:
            raise ValidationFailed(
                f"{person.display_name} đã có lần chuyển phòng ngày {latest.on:%d/%m/%Y}: "
                "ngày chuyển mới không được trước ngày đó.",
                code="backdated_move",
            )
        if person.department_id == target.pk:
            raise ValidationFailed(f"{person.display_name} đang ở {target.name} rồi.", code="same_department")
        move = StaffMove.objects.create(
            commune_id=people.commune_code(acting),
            user=person,
            on=day,
            from_department_id=person.department_id,
            to_department=target,
            reason=clean_reason,
            recorded_by=acting,
            recorded_at=now,
        )
        person.department = target
        person.save(update_fields=["department"])
    _log(acting, "staff-move", f"{person.pk} {move.from_department_id} → {target.pk} on {day}", now)
    return move


# ------------------------------------------------------------------------------- groups ↔ fields


def group_fields_set(
    *, actor: User, group_id: int, field_ids: Iterable[object], now: dt.datetime
) -> list[ProcedureField]:
    """The procedure fields a queue group of the commune serves: exactly the ones given."""
    acting = people.manager(actor)
    group = ServiceGroup.objects.filter(pk=group_id, commune_id=people.commune_code(acting)).first()
    if group is None:
        raise NotFound("Không tìm thấy nhóm dịch vụ này.")
    fields = _fields(field_ids)
    with transaction.atomic():
        GroupField.objects.filter(group=group).exclude(field__in=fields).delete()
        have = set(GroupField.objects.filter(group=group).values_list("field_id", flat=True))
        GroupField.objects.bulk_create([GroupField(group=group, field=f) for f in fields if f.pk not in have])
    _log(acting, "group-fields", f"{group.letter}: {','.join(f.code for f in fields)}", now)
    return fields


# ------------------------------------------------------------------------------- export


def skills_matrix_xlsx(matrix: people.Matrix, *, title: str) -> bytes:
    """The skills matrix as a workbook: every cell text or a number, never a formula."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Kỹ năng")
    bold = Font(bold=True)
    append_text_row(sheet, [text_cell(sheet, title, font=bold)])
    append_text_row(
        sheet,
        [text_cell(sheet, h, font=bold) for h in ["Họ và tên", "Phòng ban", "Vị trí việc làm"]]
        + [text_cell(sheet, f.name, font=bold) for f in matrix.fields],
    )
    labels = dict(SkillLevel.choices)
    for person, levels in matrix.rows:
        profile = getattr(person, "staff_profile", None)
        append_text_row(
            sheet,
            [
                person.display_name,
                person.department.name if person.department else "",
                profile.position.name if profile and profile.position else "",
                *(labels.get(level, "") if level else "" for level in levels),
            ],
        )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
