"""The commune administrator sets up the commune's feedback categories (issue 9 §1): name, code,
deadline in working days, default department, position; paused and resumed, never deleted.

Every write takes the acting user (a commune administrator: `org.selectors.commune_admin`, else
403), touches only categories of that user's commune (another commune's category is "not
found") and `now`. Text is cleaned (NFC) and refused, not silently changed, when it holds a
control character (a NUL, which PostgreSQL refuses) or is too long.

A category's code is fixed once created: Open311 clients know it as the service code. A paused
category takes no new items (`services.feedback_create` refuses it); its items keep it. A new
deadline applies to items received afterwards: an item's `due_at` is computed when it is born.

Every change is written to the `motcua.audit` logger at INFO (who, which commune, what, when).
"""

from __future__ import annotations

import datetime as dt
import re

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q

from motcua.core.audit import audit_log
from motcua.core.errors import Conflict, NotFound, ValidationFailed
from motcua.core.text import form_int, form_text
from motcua.geo.models import Commune
from motcua.org.models import Department, User
from motcua.org.selectors import commune_admin, commune_of

from .defaults import FEEDBACK_CATEGORIES
from .models import OPEN_STATES, Category

NAME_MAX = 100
CODE_MAX = 40
DEADLINE_MIN, DEADLINE_MAX = 1, 60
POSITION_MIN, POSITION_MAX = 0, 999
_MAX_ID = 2**31 - 1
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _log(actor: User, action: str, what: str, now: dt.datetime) -> None:
    audit_log(area="feedback-setup", actor=actor, action=action, what=what, now=now)


# ------------------------------------------------------------------------------- input


def _text(value: object, *, label: str, max_length: int = NAME_MAX) -> str:
    return form_text(value, label=label, max_length=max_length, required=True)


def _code(value: object) -> str:
    raw = ("" if value is None else str(value)).strip()
    if not raw:
        raise ValidationFailed("Chưa nhập mã lĩnh vực.", code="required")
    if len(raw) > CODE_MAX or not _SLUG.fullmatch(raw):
        raise ValidationFailed(
            f"Mã lĩnh vực chỉ gồm chữ thường không dấu, chữ số và dấu gạch ngang, không có khoảng trắng, "
            f"tối đa {CODE_MAX} ký tự (ví dụ: cay-xanh).",
            code="bad_code",
        )
    return raw


def _int(value: object, *, label: str, low: int, high: int) -> int:
    return form_int(value, label=label, low=low, high=high)


def _department(commune_id: int, value: object) -> Department | None:
    """An open department of the commune, or None for an empty choice (the leader assigns)."""
    raw = ("" if value is None else str(value)).strip()
    if not raw:
        return None
    pk = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 10 else 0
    department = (
        Department.objects.filter(pk=pk, commune_id=commune_id, closed_at__isnull=True).first()
        if 0 < pk <= _MAX_ID
        else None
    )
    if department is None:
        raise ValidationFailed(
            "Phòng ban đã chọn không phải một phòng ban đang hoạt động của xã, phường.", code="bad_department"
        )
    return department


# ------------------------------------------------------------------------------- reads


def categories_for(*, user: User) -> list[Category]:
    """The commune's categories (paused ones too), each with `open_items`: its items not yet
    resolved or closed."""
    admin = commune_admin(user)
    return list(
        Category.objects.filter(commune_id=commune_of(admin))
        .select_related("department")
        .annotate(open_items=Count("items", filter=Q(items__state__in=OPEN_STATES)))
        .order_by("position", "name", "pk")
    )


def departments_for(*, user: User) -> list[Department]:
    """The commune's open departments: the choices of a category's default department."""
    admin = commune_admin(user)
    return list(
        Department.objects.filter(commune_id=commune_of(admin), closed_at__isnull=True).order_by("name")
    )


def category_get_for(*, user: User, pk: int) -> Category:
    admin = commune_admin(user)
    category = (
        Category.objects.filter(pk=pk, commune_id=commune_of(admin)).first() if 0 < pk <= _MAX_ID else None
    )
    if category is None:
        raise NotFound("Không tìm thấy lĩnh vực phản ánh này.", code="category_not_found")
    return category


# ------------------------------------------------------------------------------- writes


def categories_use_defaults(*, actor: User, now: dt.datetime) -> list[Category]:
    """«Dùng danh mục mặc định»: the usual nine (defaults.py), each linked to the commune's open
    department of its kind. Only for a commune that has no category yet."""
    admin = commune_admin(actor)
    commune = Commune.objects.get(pk=commune_of(admin))
    departments = {d.kind: d for d in Department.objects.filter(commune=commune, closed_at__isnull=True)}
    exists = Conflict(
        "Xã, phường đã có danh mục lĩnh vực phản ánh: hãy sửa hoặc thêm từng lĩnh vực.",
        code="categories_exist",
    )
    with transaction.atomic():
        Commune.objects.select_for_update().filter(pk=commune.pk).first()
        if Category.objects.filter(commune=commune).exists():
            raise exists
        created = [
            Category.objects.create(
                commune=commune,
                code=code,
                name=name,
                deadline_days=days,
                position=i,
                department=departments.get(kind) if kind else None,
            )
            for i, (code, name, days, kind) in enumerate(FEEDBACK_CATEGORIES)
        ]
    _log(actor, "categories_defaults", ", ".join(c.code for c in created), now)
    return created


def category_create(
    *, actor: User, code: object, name: object, deadline_days: object, department_id: object, now: dt.datetime
) -> Category:
    """A new category, last in the list: code a slug unique in the commune, a name, a deadline
    of 1–60 working days, a default department (an open one of the commune) or none."""
    admin = commune_admin(actor)
    commune_id = commune_of(admin)
    slug = _code(code)
    label = _text(name, label="tên lĩnh vực")
    days = _int(deadline_days, label="thời hạn xử lý (ngày làm việc)", low=DEADLINE_MIN, high=DEADLINE_MAX)
    department = _department(commune_id, department_id)
    taken = Conflict(f"Mã {slug} đã dùng cho một lĩnh vực khác của xã, phường.", code="code_taken")
    if Category.objects.filter(commune_id=commune_id, code=slug).exists():
        raise taken
    last = Category.objects.filter(commune_id=commune_id).aggregate(m=Max("position"))["m"]
    try:
        with transaction.atomic():
            category = Category.objects.create(
                commune_id=commune_id,
                code=slug,
                name=label,
                deadline_days=days,
                department=department,
                position=min(POSITION_MAX, 0 if last is None else last + 1),
            )
    except IntegrityError:
        raise taken from None
    dept = department.name if department else "-"
    _log(actor, "category_create", f"{slug} «{label}» {days} days, department {dept}", now)
    return category


def category_update(
    *,
    actor: User,
    category_id: int,
    name: object,
    deadline_days: object,
    department_id: object,
    position: object,
    now: dt.datetime,
) -> Category:
    """Rename a category, change its deadline (for items received from now on), its default
    department and its position in the lists. The code does not change."""
    category = category_get_for(user=actor, pk=category_id)
    label = _text(name, label="tên lĩnh vực")
    days = _int(deadline_days, label="thời hạn xử lý (ngày làm việc)", low=DEADLINE_MIN, high=DEADLINE_MAX)
    department = _department(category.commune_id, department_id)
    pos = _int(position, label="thứ tự", low=POSITION_MIN, high=POSITION_MAX)
    before = f"«{category.name}» {category.deadline_days} days, department {category.department_id}, #{category.position}"
    category.name, category.deadline_days, category.department, category.position = (
        label,
        days,
        department,
        pos,
    )
    category.save(update_fields=["name", "deadline_days", "department", "position"])
    after = f"«{label}» {days} days, department {department.pk if department else None}, #{pos}"
    _log(actor, "category_update", f"{category.code}: {before} → {after}", now)
    return category


def category_set_active(*, actor: User, category_id: int, active: bool, now: dt.datetime) -> Category:
    """Pause a category (no new items; its items keep it) or resume it. Never deleted."""
    category = category_get_for(user=actor, pk=category_id)
    if category.active != active:
        category.active = active
        category.save(update_fields=["active"])
        _log(actor, "category_resume" if active else "category_pause", category.code, now)
    return category
