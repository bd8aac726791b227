"""The commune administrator's queue set-up screens (/quan-tri/hang-cho/): service groups,
counters and their hours, kiosks.

Thin, in the shape of org/views.py: every view first checks the commune administrator (403
otherwise), reads or writes through queueing.setup (scoped to the admin's commune: another
commune's object is a 404), and re-shows the page with the Vietnamese message and status 422/409
on a refused change. Changes are POST only (CSRF).
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


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def _status(error: DomainError | None) -> int:
    return error.status if error else 200


# ------------------------------------------------------------------------------- groups


def _groups_page(
    request: HttpRequest, admin: User, *, error: DomainError | None = None, failed: int | None = None
) -> HttpResponse:
    return render(
        request,
        "queueing/setup_groups.html",
        {
            "groups": setup.groups_for(user=admin, now=clock.now()),
            "error": error,
            # The create form keeps what was typed; a refused edit names the group it was for.
            "form": request.POST if error and failed is None else {},
            "failed": failed,
            "limits": setup,
        },
        status=_status(error),
    )


@login_required
@require_http_methods(["GET", "POST"])
def groups(request: HttpRequest) -> HttpResponse:
    admin = _admin(request)
    if request.method == "POST":
        post = request.POST
        try:
            group = setup.group_create(
                actor=admin,
                letter=post.get("letter", ""),
                name=post.get("name", ""),
                capacity=post.get("capacity", ""),
                slot_minutes=post.get("slot_minutes", ""),
                now=clock.now(),
            )
        except DomainError as exc:
            return _groups_page(request, admin, error=exc)
        messages.success(request, f"Đã lập nhóm {group.letter} — {group.name}.")
        return redirect("queueing_setup:groups")
    return _groups_page(request, admin)


@login_required
@require_POST
def group_update(request: HttpRequest, pk: int) -> HttpResponse:
    admin = _admin(request)
    post = request.POST
    try:
        group = setup.group_update(
            actor=admin,
            group_id=pk,
            name=post.get("name", ""),
            capacity=post.get("capacity", ""),
            slot_minutes=post.get("slot_minutes", ""),
            now=clock.now(),
        )
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _groups_page(request, admin, error=exc, failed=pk)
    messages.success(request, f"Đã lưu nhóm {group.letter} — {group.name}.")
    return redirect("queueing_setup:groups")


@login_required
@require_POST
def group_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    admin = _admin(request)
    active = request.POST.get("active") == "1"
    try:
        group = setup.group_set_active(actor=admin, group_id=pk, active=active, now=clock.now())
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _groups_page(request, admin, error=exc, failed=pk)
    if active:
        messages.success(request, f"Nhóm {group.letter} nhận số trở lại.")
    else:
        messages.success(request, f"Đã tạm ngừng nhóm {group.letter}: không cấp số, không nhận đặt lịch mới.")
    return redirect("queueing_setup:groups")


# ------------------------------------------------------------------------------- counters


def _counters_page(
    request: HttpRequest, admin: User, *, error: DomainError | None = None, failed: int | None = None
) -> HttpResponse:
    form = request.POST if error and failed is None else {}
    return render(
        request,
        "queueing/setup_counters.html",
        {
            "counters": setup.counters_for(user=admin),
            "groups": setup.groups_for(user=admin, now=clock.now()),
            "error": error,
            "form": form,
            "form_groups": request.POST.getlist("groups") if form else [],
            "failed": failed,
        },
        status=_status(error),
    )


@login_required
@require_http_methods(["GET", "POST"])
def counters(request: HttpRequest) -> HttpResponse:
    admin = _admin(request)
    if request.method == "POST":
        post = request.POST
        try:
            counter = setup.counter_create(
                actor=admin,
                number=post.get("number", ""),
                name=post.get("name", ""),
                group_ids=post.getlist("groups"),
                now=clock.now(),
            )
        except DomainError as exc:
            return _counters_page(request, admin, error=exc)
        messages.success(request, f"Đã lập quầy số {counter.number}.")
        return redirect("queueing_setup:counters")
    return _counters_page(request, admin)


def _counter_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    admin = _admin(request)
    post = request.POST
    now = clock.now()
    try:
        if step == "update":
            counter = setup.counter_update(
                actor=admin,
                counter_id=pk,
                number=post.get("number", ""),
                name=post.get("name", ""),
                group_ids=post.getlist("groups"),
                now=now,
            )
            done = f"Đã lưu quầy số {counter.number}."
        elif step == "active":
            active = post.get("active") == "1"
            counter = setup.counter_set_active(actor=admin, counter_id=pk, active=active, now=now)
            done = f"Quầy số {counter.number} " + ("hoạt động trở lại." if active else "đã tạm ngừng.")
        elif step == "hours_add":
            hours = setup.counter_hours_add(
                actor=admin,
                counter_id=pk,
                group_id=post.get("group", ""),
                starts=post.get("starts", ""),
                ends=post.get("ends", ""),
                now=now,
            )
            done = f"Quầy phục vụ nhóm {hours.group.letter} từ {hours.starts:%H:%M} đến {hours.ends:%H:%M}."
        else:  # free
            counter = setup.counter_release(actor=admin, counter_id=pk, now=now)
            done = (
                f"Đã giải phóng quầy số {counter.number}; các số của quầy vẫn giữ cho người ngồi tiếp theo."
            )
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _counters_page(request, admin, error=exc, failed=pk)
    messages.success(request, done)
    return redirect("queueing_setup:counters")


@login_required
@require_POST
def counter_update(request: HttpRequest, pk: int) -> HttpResponse:
    return _counter_step(request, pk, "update")


@login_required
@require_POST
def counter_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    return _counter_step(request, pk, "active")


@login_required
@require_POST
def counter_hours_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _counter_step(request, pk, "hours_add")


@login_required
@require_POST
def counter_free(request: HttpRequest, pk: int) -> HttpResponse:
    return _counter_step(request, pk, "free")


@login_required
@require_POST
def counter_hours_remove(request: HttpRequest, pk: int, hours_pk: int) -> HttpResponse:
    admin = _admin(request)
    setup.counter_hours_remove(actor=admin, counter_id=pk, hours_id=hours_pk, now=clock.now())
    messages.success(request, "Đã bỏ khung giờ.")
    return redirect("queueing_setup:counters")


# ------------------------------------------------------------------------------- kiosks


def _kiosks_page(request: HttpRequest, admin: User, *, error: DomainError | None = None) -> HttpResponse:
    return _no_store(
        render(
            request,
            "queueing/setup_kiosks.html",
            {
                "kiosks": setup.kiosks_for(user=admin),
                "error": error,
                "form": request.POST if error else {},
            },
            status=_status(error),
        )
    )


@login_required
@require_http_methods(["GET", "POST"])
def kiosks(request: HttpRequest) -> HttpResponse:
    admin = _admin(request)
    if request.method == "POST":
        try:
            device, token = setup.kiosk_add(actor=admin, name=request.POST.get("name", ""), now=clock.now())
        except DomainError as exc:
            return _kiosks_page(request, admin, error=exc)
        # The token is shown on this response only (not after a redirect, never stored).
        return _no_store(
            render(request, "queueing/setup_kiosk_token.html", {"device": device, "token": token})
        )
    return _kiosks_page(request, admin)


@login_required
@require_POST
def kiosk_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    admin = _admin(request)
    device = setup.kiosk_withdraw(actor=admin, kiosk_id=pk, now=clock.now())
    messages.success(request, f"Đã thu hồi mã của «{device.name}»: máy này không lấy số được nữa.")
    return redirect("queueing_setup:kiosks")
