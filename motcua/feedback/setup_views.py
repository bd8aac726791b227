"""The commune administrator's feedback set-up screen (/quan-tri/phan-anh/): the commune's
feedback categories.

Thin, in the shape of queueing/setup_views.py: every view first checks the commune
administrator (403 otherwise), reads or writes through feedback.setup (scoped to the admin's
commune: another commune's category is a 404), and re-shows the page with the Vietnamese message
and status 422/409 on a refused change. Changes are POST only (CSRF).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from motcua.core import clock
from motcua.core.errors import DomainError
from motcua.org.models import User
from motcua.org.selectors import commune_admin

from . import setup


def _admin(request: HttpRequest) -> User:
    return commune_admin(request.user)


def _page(
    request: HttpRequest, admin: User, *, error: DomainError | None = None, failed: int | None = None
) -> HttpResponse:
    return render(
        request,
        "feedback/setup_categories.html",
        {
            "categories": setup.categories_for(user=admin),
            "departments": setup.departments_for(user=admin),
            "error": error,
            # The create form keeps what was typed; a refused edit names the category it was for.
            "form": request.POST if error and failed is None else {},
            "failed": failed,
            "limits": setup,
        },
        status=error.status if error else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def categories(request: HttpRequest) -> HttpResponse:
    admin = _admin(request)
    if request.method == "POST":
        post = request.POST
        try:
            category = setup.category_create(
                actor=admin,
                code=post.get("code", ""),
                name=post.get("name", ""),
                deadline_days=post.get("deadline_days", ""),
                department_id=post.get("department", ""),
                now=clock.now(),
            )
        except DomainError as exc:
            return _page(request, admin, error=exc)
        messages.success(request, f"Đã thêm lĩnh vực «{category.name}».")
        return redirect("feedback_setup:categories")
    return _page(request, admin)


@login_required
@require_POST
def use_defaults(request: HttpRequest) -> HttpResponse:
    admin = _admin(request)
    try:
        created = setup.categories_use_defaults(actor=admin, now=clock.now())
    except DomainError as exc:
        return _page(request, admin, error=exc, failed=0)
    messages.success(request, f"Đã lập {len(created)} lĩnh vực phản ánh theo danh mục mặc định.")
    return redirect("feedback_setup:categories")


@login_required
@require_POST
def category_update(request: HttpRequest, pk: int) -> HttpResponse:
    admin = _admin(request)
    post = request.POST
    try:
        category = setup.category_update(
            actor=admin,
            category_id=pk,
            name=post.get("name", ""),
            deadline_days=post.get("deadline_days", ""),
            department_id=post.get("department", ""),
            position=post.get("position", ""),
            now=clock.now(),
        )
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _page(request, admin, error=exc, failed=pk)
    messages.success(request, f"Đã lưu lĩnh vực «{category.name}».")
    return redirect("feedback_setup:categories")


@login_required
@require_POST
def category_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    admin = _admin(request)
    active = request.POST.get("active") == "1"
    category = setup.category_set_active(actor=admin, category_id=pk, active=active, now=clock.now())
    if active:
        messages.success(request, f"Lĩnh vực «{category.name}» nhận phản ánh trở lại.")
    else:
        messages.success(
            request,
            f"Đã tạm ngừng lĩnh vực «{category.name}»: không nhận phản ánh mới; "
            "các phản ánh đã có vẫn giữ lĩnh vực này.",
        )
    return redirect("feedback_setup:categories")
