"""The commune administrator's screens (/quan-tri/): departments, staff accounts, the profile.

Thin: parse the form, call one service or selector (both scoped to the admin's own commune),
render. A ValidationFailed/Conflict re-shows the page with the message and status 422/409.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from motcua.core import clock
from motcua.core.errors import DomainError

from . import selectors, services
from .models import DepartmentKind, Role, User
from .services import ProfileInput, StaffInput
from .staff_excel import MAX_BYTES, MAX_ROWS, read_staff_workbook, staff_template_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _admin(request: HttpRequest) -> User:
    return selectors.commune_admin(request.user)


def _no_store(response: HttpResponse) -> HttpResponse:
    # Pages showing a one-time password must not stay in a browser's or proxy's cache.
    response["Cache-Control"] = "no-store"
    return response


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@login_required
@require_GET
def admin_home(request: HttpRequest) -> HttpResponse:
    admin = _admin(request)
    staff = selectors.staff_for(user=admin)
    return render(
        request,
        "org/home.html",
        {
            "profile": selectors.profile_for(user=admin),
            "commune": admin.commune,
            "departments": selectors.open_departments_for(user=admin),
            "active_staff": staff.filter(is_active=True).count(),
            "inactive_staff": staff.filter(is_active=False).count(),
        },
    )


# ----------------------------------------------------------------------------- departments


def _departments_page(request: HttpRequest, admin: User, *, error: DomainError | None = None) -> HttpResponse:
    return render(
        request,
        "org/departments.html",
        {
            "departments": selectors.departments_for(user=admin),
            "kinds": DepartmentKind.choices,
            "error": error,
            "form": request.POST if error else {},
        },
        status=error.status if error else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def departments(request: HttpRequest) -> HttpResponse:
    admin = _admin(request)
    if request.method == "POST":
        try:
            d = services.department_create(
                actor=admin,
                kind=request.POST.get("kind", ""),
                name=request.POST.get("name", ""),
                now=clock.now(),
            )
        except DomainError as exc:
            return _departments_page(request, admin, error=exc)
        messages.success(request, f"Đã lập «{d.name}».")
        return redirect("org:departments")
    return _departments_page(request, admin)


@login_required
@require_POST
def department_rename(request: HttpRequest, pk: int) -> HttpResponse:
    admin = _admin(request)
    try:
        d = services.department_rename(
            actor=admin, department_id=pk, name=request.POST.get("name", ""), now=clock.now()
        )
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _departments_page(request, admin, error=exc)
    messages.success(request, f"Đã đổi tên thành «{d.name}».")
    return redirect("org:departments")


@login_required
@require_POST
def department_close(request: HttpRequest, pk: int) -> HttpResponse:
    admin = _admin(request)
    try:
        d = services.department_close(actor=admin, department_id=pk, now=clock.now())
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _departments_page(request, admin, error=exc)
    messages.success(request, f"Đã đóng «{d.name}»: phòng không nhận việc mới.")
    return redirect("org:departments")


# ---------------------------------------------------------------------------------- staff


def _staff_input(request: HttpRequest, *, username: str = "") -> StaffInput:
    post = request.POST
    return StaffInput(
        username=username or post.get("username", ""),
        full_name=post.get("full_name", ""),
        role=post.get("role", ""),
        extra_roles=tuple(r for r in post.getlist("extra_roles") if r != post.get("role")),
        department_id=_int(post.get("department")),
        position=post.get("position", ""),
        email=post.get("email", ""),
        phone=post.get("phone", ""),
    )


def _role_choices() -> list[tuple[str, str]]:
    return [(r, Role(r).label) for r in selectors.ASSIGNABLE_ROLES]


def _staff_page(
    request: HttpRequest,
    admin: User,
    *,
    error: DomainError | None = None,
    created: tuple[User, str] | None = None,
) -> HttpResponse:
    response = render(
        request,
        "org/staff.html",
        {
            "staff": selectors.staff_for(user=admin),
            "departments": selectors.open_departments_for(user=admin),
            "roles": _role_choices(),
            "error": error,
            "values": request.POST if error else {},
            "extra": request.POST.getlist("extra_roles") if error else [],
            "department_id": _int(request.POST.get("department")) if error else None,
            "created": created,
        },
        status=error.status if error else 200,
    )
    return _no_store(response)


@login_required
@require_http_methods(["GET", "POST"])
def staff(request: HttpRequest) -> HttpResponse:
    admin = _admin(request)
    if request.method == "POST":
        try:
            created = services.staff_create(
                actor=admin,
                data=_staff_input(request),
                password=request.POST.get("password", ""),
                now=clock.now(),
            )
        except DomainError as exc:
            return _staff_page(request, admin, error=exc)
        # Shown once, on this response only (not after a redirect, not stored).
        return _staff_page(request, admin, created=created)
    return _staff_page(request, admin)


def _edit_context(
    request: HttpRequest, admin: User, person: User, *, error: DomainError | None
) -> dict[str, object]:
    if error:
        values: object = request.POST
        extra = request.POST.getlist("extra_roles")
        department_id = _int(request.POST.get("department"))
    else:
        person.refresh_from_db()
        values, extra, department_id = person, list(person.extra_roles or []), person.department_id
    return {
        "person": person,
        "departments": selectors.open_departments_for(user=admin),
        "roles": _role_choices(),
        "error": error,
        "values": values,
        "extra": extra,
        "department_id": department_id,
    }


@login_required
@require_http_methods(["GET", "POST"])
def staff_edit(request: HttpRequest, pk: int) -> HttpResponse:
    admin = _admin(request)
    person = selectors.staff_get_for(user=admin, pk=pk)
    error: DomainError | None = None
    if request.method == "POST":
        try:
            services.staff_update(
                actor=admin,
                staff_id=pk,
                data=_staff_input(request, username=person.username),
                now=clock.now(),
            )
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, f"Đã lưu tài khoản {person.username}.")
            return redirect("org:staff_edit", pk=pk)
    return _no_store(
        render(
            request,
            "org/staff_edit.html",
            {
                **_edit_context(request, admin, person, error=error),
                "new_password": None,
            },
            status=error.status if error else 200,
        )
    )


@login_required
@require_POST
def staff_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    admin = _admin(request)
    active = request.POST.get("active") == "1"
    try:
        person = services.staff_set_active(actor=admin, staff_id=pk, active=active, now=clock.now())
    except DomainError as exc:
        if exc.status in (403, 404):  # not the admin's to manage: no page of it to go back to
            raise
        messages.error(request, exc.message)
        return redirect("org:staff_edit", pk=pk)
    if active:
        messages.success(request, f"Đã mở khóa tài khoản {person.username}.")
    else:
        messages.success(request, f"Đã khóa tài khoản {person.username}; tên vẫn còn trên hồ sơ và nhật ký.")
    return redirect("org:staff_edit", pk=pk)


@login_required
@require_POST
def staff_reset_password(request: HttpRequest, pk: int) -> HttpResponse:
    admin = _admin(request)
    person = selectors.staff_get_for(user=admin, pk=pk)
    error: DomainError | None = None
    new_password = None
    try:
        new_password = services.staff_reset_password(
            actor=admin, staff_id=pk, password=request.POST.get("password", ""), now=clock.now()
        )
    except DomainError as exc:
        error = exc
    return _no_store(
        render(
            request,
            "org/staff_edit.html",
            {
                **_edit_context(request, admin, person, error=None),
                "error": error,
                "new_password": new_password,
            },
            status=error.status if error else 200,
        )
    )


@login_required
@require_http_methods(["GET", "POST"])
def staff_import(request: HttpRequest) -> HttpResponse:
    admin = _admin(request)
    context: dict[str, object] = {"max_rows": MAX_ROWS, "max_kb": MAX_BYTES // 1024}
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise services.ValidationFailed("Chưa chọn tệp Excel.", code="required")
            if upload.size and upload.size > MAX_BYTES:
                raise services.ValidationFailed(f"Tệp lớn quá {MAX_BYTES // 1024} KB.", code="too_large")
            rows = read_staff_workbook(upload)
            context["imported"] = services.staff_import(actor=admin, rows=rows, now=clock.now())
        except DomainError as exc:
            context["error"] = exc
            return _no_store(render(request, "org/staff_import.html", context, status=exc.status))
    return _no_store(render(request, "org/staff_import.html", context))


@login_required
@require_GET
def staff_template(request: HttpRequest) -> HttpResponse:
    _admin(request)
    response = HttpResponse(staff_template_workbook(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="mau-danh-sach-can-bo.xlsx"'
    return response


# -------------------------------------------------------------------------------- profile


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    admin = _admin(request)
    error: DomainError | None = None
    if request.method == "POST":
        post = request.POST
        try:
            services.commune_profile_update(
                actor=admin,
                data=ProfileInput(
                    unit_name=post.get("unit_name", ""),
                    address=post.get("address", ""),
                    opening_hours=post.get("opening_hours", ""),
                    hotline=post.get("hotline", ""),
                ),
                now=clock.now(),
            )
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, "Đã lưu thông tin đơn vị.")
            return redirect("org:profile")
    current = selectors.profile_for(user=admin)
    form = (
        request.POST
        if error
        else {
            "unit_name": current.unit_name if current else "",
            "address": current.address if current else "",
            "opening_hours": current.opening_hours if current else "",
            "hotline": current.hotline if current else "",
        }
    )
    return render(
        request,
        "org/profile.html",
        {"form": form, "error": error, "commune": admin.commune},
        status=error.status if error else 200,
    )
