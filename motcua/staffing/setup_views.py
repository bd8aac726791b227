"""The people set-up screens (/quan-tri/nhan-su/): job positions, each staff member's page
(position, skills, trainings, moves), the skills matrix and its Excel, the queue groups'
procedure fields.

Thin: every view reads through staffing.people or writes through staffing.setup, which check the
acting user (administrator or leader manage; a department head reads their department's people;
anyone else 403; another commune's object 404). A refused change re-shows the page with the
Vietnamese message and status 422/409. Changes are POST only (CSRF).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from motcua.core import clock
from motcua.core.errors import DomainError
from motcua.org.models import User

from . import people, setup
from .models import SkillLevel, TrainingKind

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _status(error: DomainError | None) -> int:
    return error.status if error else 200


def _department_filter(request: HttpRequest, user: User) -> int | None:
    """The ?phong= filter, kept only when it names a department the user may see."""
    pk = setup.parse_pk(request.GET.get("phong"))
    if pk is None:
        return None
    return pk if people.departments_of(user=user).filter(pk=pk).exists() else None


# ------------------------------------------------------------------------------- people


@login_required
@require_GET
def people_list(request: HttpRequest) -> HttpResponse:
    user = people.reader(_user(request))
    department_id = _department_filter(request, user)
    return _no_store(
        render(
            request,
            "staffing/setup/people.html",
            {
                "people": people.people_for(user=user, department_id=department_id),
                "departments": people.departments_of(user=user),
                "department_id": department_id,
                "manage": people.can_manage(user),
            },
        )
    )


def _person_page(
    request: HttpRequest, user: User, pk: int, *, error: DomainError | None = None, form: str = ""
) -> HttpResponse:
    file = people.person_file_for(user=user, pk=pk)
    manage = people.can_manage(user)
    context: dict[str, Any] = {
        "file": file,
        "person": file.person,
        "manage": manage,
        "error": error,
        "failed_form": form,
        "post": request.POST if error else {},
        "levels": SkillLevel.choices,
        "training_kinds": TrainingKind.choices,
        "today": clock.now().date(),
    }
    if manage:
        context["positions"] = people.positions_for(user=user)
        context["fields"] = people.all_fields()
        context["departments"] = people.departments_of(user=user).filter(closed_at__isnull=True)
    return _no_store(render(request, "staffing/setup/person.html", context, status=_status(error)))


@login_required
@require_GET
def person(request: HttpRequest, pk: int) -> HttpResponse:
    return _person_page(request, people.reader(_user(request)), pk)


def _person_action(request: HttpRequest, pk: int, form: str, action: Any, done: str) -> HttpResponse:
    """Run one change of a person's page; on a refusal re-show the page with the message (a 404
    stays a 404)."""
    user = people.manager(_user(request))
    try:
        action(user)
    except DomainError as exc:
        if exc.status == 404 and form not in {"skill_remove", "training_remove"}:
            raise
        return _person_page(request, user, pk, error=exc, form=form)
    messages.success(request, done)
    return redirect("staffing_setup:person", pk=pk)


@login_required
@require_POST
def person_position(request: HttpRequest, pk: int) -> HttpResponse:
    post = request.POST
    return _person_action(
        request,
        pk,
        "position",
        lambda u: setup.person_set_position(
            actor=u, person_id=pk, position_id=post.get("position"), now=clock.now()
        ),
        "Đã lưu vị trí việc làm.",
    )


@login_required
@require_POST
def skill_set(request: HttpRequest, pk: int) -> HttpResponse:
    post = request.POST
    return _person_action(
        request,
        pk,
        "skill",
        lambda u: setup.skill_set(
            actor=u, person_id=pk, field_id=post.get("field"), level=post.get("level"), now=clock.now()
        ),
        "Đã lưu kỹ năng.",
    )


@login_required
@require_POST
def skill_remove(request: HttpRequest, pk: int) -> HttpResponse:
    post = request.POST
    return _person_action(
        request,
        pk,
        "skill_remove",
        lambda u: setup.skill_remove(actor=u, person_id=pk, field_id=post.get("field"), now=clock.now()),
        "Đã bỏ kỹ năng.",
    )


@login_required
@require_POST
def training_add(request: HttpRequest, pk: int) -> HttpResponse:
    post = request.POST
    return _person_action(
        request,
        pk,
        "training",
        lambda u: setup.training_add(
            actor=u,
            person_id=pk,
            kind=post.get("kind"),
            name=post.get("name"),
            issuer=post.get("issuer", ""),
            on=post.get("on"),
            field_id=post.get("field", ""),
            now=clock.now(),
        ),
        "Đã thêm chứng chỉ, khóa học.",
    )


@login_required
@require_POST
def training_remove(request: HttpRequest, pk: int, training_pk: int) -> HttpResponse:
    return _person_action(
        request,
        pk,
        "training_remove",
        lambda u: setup.training_remove(actor=u, person_id=pk, training_id=training_pk, now=clock.now()),
        "Đã xóa chứng chỉ, khóa học.",
    )


@login_required
@require_POST
def move(request: HttpRequest, pk: int) -> HttpResponse:
    post = request.POST
    return _person_action(
        request,
        pk,
        "move",
        lambda u: setup.staff_move(
            actor=u,
            person_id=pk,
            on=post.get("on"),
            to_department_id=post.get("department"),
            reason=post.get("reason", ""),
            now=clock.now(),
        ),
        "Đã chuyển phòng và ghi vào lịch sử điều động.",
    )


# ------------------------------------------------------------------------------- positions


def _positions_page(
    request: HttpRequest, user: User, *, error: DomainError | None = None, failed: int | None = None
) -> HttpResponse:
    form = request.POST if error and failed is None else {}
    return _no_store(
        render(
            request,
            "staffing/setup/positions.html",
            {
                "positions": people.positions_for(user=user, include_closed=True),
                "fields": people.all_fields(),
                "departments": people.departments_of(user=user).filter(closed_at__isnull=True),
                "error": error,
                "form": form,
                "form_fields": [str(f) for f in request.POST.getlist("fields")] if form else [],
                "failed": failed,
            },
            status=_status(error),
        )
    )


@login_required
@require_http_methods(["GET", "POST"])
def positions(request: HttpRequest) -> HttpResponse:
    user = people.manager(_user(request))
    if request.method == "POST":
        post = request.POST
        try:
            position = setup.position_create(
                actor=user,
                name=post.get("name"),
                headcount=post.get("headcount"),
                department_id=post.get("department", ""),
                field_ids=post.getlist("fields"),
                description=post.get("description", ""),
                now=clock.now(),
            )
        except DomainError as exc:
            return _positions_page(request, user, error=exc)
        messages.success(request, f"Đã lập vị trí «{position.name}».")
        return redirect("staffing_setup:positions")
    return _positions_page(request, user)


@login_required
@require_POST
def position_update(request: HttpRequest, pk: int) -> HttpResponse:
    user = people.manager(_user(request))
    post = request.POST
    try:
        position = setup.position_update(
            actor=user,
            position_id=pk,
            name=post.get("name"),
            headcount=post.get("headcount"),
            department_id=post.get("department", ""),
            field_ids=post.getlist("fields"),
            description=post.get("description", ""),
            now=clock.now(),
        )
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _positions_page(request, user, error=exc, failed=pk)
    messages.success(request, f"Đã lưu vị trí «{position.name}».")
    return redirect("staffing_setup:positions")


@login_required
@require_POST
def position_close(request: HttpRequest, pk: int) -> HttpResponse:
    user = people.manager(_user(request))
    try:
        position = setup.position_close(actor=user, position_id=pk, now=clock.now())
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _positions_page(request, user, error=exc, failed=pk)
    messages.success(request, f"Đã đóng vị trí «{position.name}».")
    return redirect("staffing_setup:positions")


# ------------------------------------------------------------------------------- matrix


@login_required
@require_GET
def matrix(request: HttpRequest) -> HttpResponse:
    user = people.reader(_user(request))
    department_id = _department_filter(request, user)
    return _no_store(
        render(
            request,
            "staffing/setup/matrix.html",
            {
                "matrix": people.skills_matrix_for(user=user, department_id=department_id),
                "departments": people.departments_of(user=user),
                "department_id": department_id,
                "manage": people.can_manage(user),
            },
        )
    )


@login_required
@require_GET
def matrix_xlsx(request: HttpRequest) -> HttpResponse:
    user = people.reader(_user(request))
    department_id = _department_filter(request, user)
    data = setup.skills_matrix_xlsx(
        people.skills_matrix_for(user=user, department_id=department_id),
        title=f"Ma trận kỹ năng — ngày {clock.now():%d/%m/%Y}",
    )
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="ma-tran-ky-nang.xlsx"'
    return _no_store(response)


# ------------------------------------------------------------------------------- groups ↔ fields


def _groups_page(
    request: HttpRequest, user: User, *, error: DomainError | None = None, failed: int | None = None
) -> HttpResponse:
    return _no_store(
        render(
            request,
            "staffing/setup/groups.html",
            {
                "groups": people.groups_with_fields_for(user=user),
                "fields": people.all_fields(),
                "error": error,
                "failed": failed,
            },
            status=_status(error),
        )
    )


@login_required
@require_GET
def groups(request: HttpRequest) -> HttpResponse:
    return _groups_page(request, people.manager(_user(request)))


@login_required
@require_POST
def group_fields(request: HttpRequest, pk: int) -> HttpResponse:
    user = people.manager(_user(request))
    try:
        setup.group_fields_set(
            actor=user, group_id=pk, field_ids=request.POST.getlist("fields"), now=clock.now()
        )
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _groups_page(request, user, error=exc, failed=pk)
    messages.success(request, "Đã lưu các lĩnh vực của nhóm.")
    return redirect("staffing_setup:groups")
