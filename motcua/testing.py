"""Small factories shared by the tests of every app (not used at run time)."""

from __future__ import annotations

from typing import Any

from motcua.catalog.models import ChecklistItem, FormField, OnlineLevel, Procedure, ProcedureField, TimeUnit
from motcua.core.text import fold
from motcua.feedback.defaults import FEEDBACK_CATEGORIES
from motcua.geo.models import Commune, Province
from motcua.org.models import Department, DepartmentKind, Role, User
from motcua.queueing.models import Counter, ServiceGroup


def make_commune(code: int = 20209, name: str = "Phường Thanh Khê", agency: str = "H48.20209") -> Commune:
    province, _ = Province.objects.get_or_create(
        code=48, defaults={"name": "Thành phố Đà Nẵng", "codename": "da_nang"}
    )
    commune, _ = Commune.objects.get_or_create(
        code=code,
        defaults={
            "name": name,
            "division_type": "phường",
            "codename": fold(name).replace(" ", "_"),
            "province": province,
            "agency_code": agency,
            "name_folded": fold(name),
        },
    )
    for kind in DepartmentKind:
        Department.objects.get_or_create(commune=commune, kind=kind, defaults={"name": kind.label})
    return commune


def make_user(commune: Commune | None, role: str, username: str, dept_kind: str | None = None) -> User:
    department = Department.objects.get(commune=commune, kind=dept_kind) if dept_kind and commune else None
    user = User.objects.create_user(
        username=username,
        password="matkhau-thu-nghiem",
        full_name=username.replace("_", " ").title(),
        role=role,
        commune=commune,
        province=commune.province if commune else None,
        department=department,
    )
    return user


def make_staff(commune: Commune, prefix: str = "") -> dict[str, User]:
    """One person of every role in the commune, the way a ward is staffed."""
    return {
        "counter": make_user(commune, Role.COUNTER_OFFICER, f"{prefix}motcua"),
        "specialist_econ": make_user(commune, Role.SPECIALIST, f"{prefix}cv_kinhte", DepartmentKind.ECONOMIC),
        "head_econ": make_user(commune, Role.DEPARTMENT_HEAD, f"{prefix}tp_kinhte", DepartmentKind.ECONOMIC),
        "specialist_office": make_user(commune, Role.SPECIALIST, f"{prefix}cv_tuphap", DepartmentKind.OFFICE),
        "leader": make_user(commune, Role.COMMUNE_LEADER, f"{prefix}chutich"),
        "admin": make_user(commune, Role.ADMIN, f"{prefix}quantri"),
    }


def make_procedure(
    code: str = "1.001193",
    name: str = "Đăng ký khai sinh",
    unit: str = TimeUnit.ON_THE_SPOT,
    value: int | None = None,
    kind: str = DepartmentKind.OFFICE,
    checklist: tuple[str, ...] = ("Tờ khai đăng ký khai sinh", "Giấy chứng sinh"),
) -> Procedure:
    field, _ = ProcedureField.objects.get_or_create(code="test-" + kind.lower(), defaults={"name": kind})
    procedure, created = Procedure.objects.get_or_create(
        code=code,
        defaults={
            "name": name,
            "name_folded": fold(name),
            "field": field,
            "responsible_kind": kind,
            "time_unit": unit,
            "time_value": value,
            "online_level": OnlineLevel.PARTIAL,
        },
    )
    if created:
        for i, item in enumerate(checklist):
            ChecklistItem.objects.create(procedure=procedure, position=i, name=item)
        FormField.objects.create(procedure=procedure, key="ghi_chu", label="Ghi chú", required=False)
    return procedure


def land_procedure() -> Procedure:
    return make_procedure(
        code="1.003003",
        name="Đăng ký đất đai, cấp Giấy chứng nhận quyền sử dụng đất lần đầu",
        unit=TimeUnit.WORKING_DAYS,
        value=20,
        kind=DepartmentKind.ECONOMIC,
        checklist=("Đơn đăng ký đất đai (Mẫu 04/ĐK)", "Giấy tờ về quyền sử dụng đất"),
    )


QUEUE_GROUPS = {"A": "Hộ tịch", "B": "Đất đai - Xây dựng", "C": "Chứng thực", "D": "Lao động - Xã hội"}


def make_service_groups(commune: Commune) -> dict[str, ServiceGroup]:
    """The service groups of a center, by letter (A–D)."""
    return {
        letter: ServiceGroup.objects.get_or_create(commune=commune, letter=letter, defaults={"name": name})[0]
        for letter, name in QUEUE_GROUPS.items()
    }


def make_counter(commune: Commune, number: int, letters: str, officer: User | None = None) -> Counter:
    """Counter `number` of the center, serving the groups whose letters are given."""
    counter = Counter.objects.create(commune=commune, number=number, name=f"Quầy {number}", officer=officer)
    counter.groups.set(ServiceGroup.objects.filter(commune=commune, letter__in=list(letters)))
    return counter


def make_feedback_setup(commune: Commune, neighbourhoods: int = 3) -> dict[str, Any]:
    """The commune's feedback categories (with the department of their kind when it exists) and
    its first neighbourhoods (Tổ dân phố 1…n)."""
    from motcua.feedback.models import Category, Neighbourhood

    departments = {d.kind: d for d in Department.objects.filter(commune=commune)}
    categories = {
        code: Category.objects.get_or_create(
            commune=commune, code=code,
            defaults={"name": name, "deadline_days": days, "position": i,
                      "department": departments.get(kind) if kind else None},
        )[0]
        for i, (code, name, days, kind) in enumerate(FEEDBACK_CATEGORIES)
    }  # fmt: skip
    places = [
        Neighbourhood.objects.get_or_create(commune=commune, name=f"Tổ dân phố {i}")[0]
        for i in range(1, neighbourhoods + 1)
    ]
    return {"categories": categories, "neighbourhoods": places}
