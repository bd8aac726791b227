"""The feedback desk's staff screens (issue 9 §1): the inbox, a hotline/walk-in item, an item with
its history and the steps the user may take, its photos. Thin: parse, call one service or
selector, render. Another commune's item is «not found» (404)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from motcua.core import clock
from motcua.core.errors import Conflict, NotAllowed, ValidationFailed
from motcua.core.text import mask_digits
from motcua.org.models import Department, User

from . import photos as photo_store
from .desk import DESK_CHANNELS, desk_create, desk_step
from .models import OPEN_STATES, Category, Channel, FeedbackEvent, FeedbackItem, Neighbourhood, State
from .selectors import (
    InboxFilters,
    assignees_for,
    categories_of,
    departments_of,
    inbox_for,
    item_get_for,
    may_see_contact,
    may_use_feedback,
    near_horizon,
    neighbourhoods_of,
    photo_get_for,
)
from .services import Reporter
from .workflow import TRANSITIONS, Action, allowed_actions

PER_PAGE = 30
# The fields a step's form posts, besides the note.
NOTE_LABELS = {
    Action.RESOLVE: "Kết quả xử lý",
    Action.RESOLVE_ON_SPOT: "Kết quả xử lý",
    Action.REJECT: "Lý do không thụ lý",
    Action.ESCALATE: "Lý do chuyển cấp tỉnh",
    Action.DUPLICATE: "Ghi chú (không bắt buộc)",
    Action.ASSIGN: "Ghi chú (không bắt buộc)",
    Action.START: "Ghi chú (không bắt buộc)",
    Action.CLOSE: "Ghi chú (không bắt buộc)",
}


def _staff(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    if not may_use_feedback(user):
        raise NotAllowed("Trang này dành cho cán bộ tiếp nhận, xử lý phản ánh của xã, phường.")
    return user


def _pick(model: Any, raw: object, *, user: User, label: str, required: bool = False) -> Any:
    """A row of the user's commune chosen in a form, by its id."""
    value = str(raw or "").strip()
    if not value:
        if required:
            raise ValidationFailed(f"Hãy chọn {label}.", code="required")
        return None
    if not (value.isascii() and value.isdigit() and len(value) < 10):
        raise ValidationFailed(f"{label.capitalize()} không hợp lệ.", code="bad_choice")
    row = model.objects.filter(pk=int(value), commune_id=user.commune_id or 0).first()
    if row is None:
        raise ValidationFailed(f"{label.capitalize()} không hợp lệ.", code="bad_choice")
    return row


@login_required
@require_GET
def item_list(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    now = clock.now()
    filters = InboxFilters.parse(request.GET.dict())
    page = Paginator(inbox_for(user=user, now=now, filters=filters), PER_PAGE).get_page(
        request.GET.get("trang")
    )
    query = request.GET.copy()
    query.pop("trang", None)
    return render(
        request,
        "feedback/staff_list.html",
        {
            "page": page, "f": filters, "now": now, "near": near_horizon(now), "states": State.choices,
            "categories": categories_of(user), "neighbourhoods": neighbourhoods_of(user),
            "query": query.urlencode(), "open_states": OPEN_STATES,
            "may_create": True,
        },
    )  # fmt: skip


def _new_context(user: User, values: dict[str, str], error: ValidationFailed | None = None) -> dict[str, Any]:
    return {
        "v": values,
        "channels": [(c.value, c.label) for c in DESK_CHANNELS],
        "categories": categories_of(user),
        "neighbourhoods": neighbourhoods_of(user),
        "error": error,
        "max_photos": photo_store.MAX_PHOTOS,
    }


@login_required
@require_http_methods(["GET", "POST"])
def item_new(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    if request.method == "GET":
        return render(request, "feedback/staff_new.html", _new_context(user, {"channel": Channel.HOTLINE}))
    post = request.POST
    values = {k: post.get(k, "") for k in (
        "channel", "category", "neighbourhood", "address", "latitude", "longitude", "title", "description",
        "reporter_name", "reporter_phone", "reporter_email")}  # fmt: skip
    try:
        checked = photo_store.check_photos(request.FILES.getlist("photos"))
        item = desk_create(
            commune=user.commune,  # type: ignore[arg-type]
            actor=user,
            channel=values["channel"],
            category=_pick(Category, values["category"], user=user, label="lĩnh vực", required=True),
            neighbourhood=_pick(Neighbourhood, values["neighbourhood"], user=user, label="tổ dân phố"),
            address=values["address"],
            latitude=values["latitude"].strip() or None,
            longitude=values["longitude"].strip() or None,
            title=values["title"],
            description=values["description"],
            reporter=Reporter(
                name=values["reporter_name"], phone=values["reporter_phone"], email=values["reporter_email"]
            ),
            photos=checked,
            now=clock.now(),
        )
    except ValidationFailed as exc:
        safe = {k: v.replace("\x00", "") for k, v in values.items()}
        return render(request, "feedback/staff_new.html", _new_context(user, safe, exc), status=422)
    messages.success(request, f"Đã tiếp nhận phản ánh {item.code}.")
    return redirect("feedback:detail", pk=item.pk)


def _history(item: FeedbackItem) -> list[FeedbackEvent]:
    events = list(item.events.select_related("actor", "department", "assignee"))
    for e in events:
        e.label = "Tiếp nhận" if e.action == "create" else TRANSITIONS[Action(e.action)].label  # type: ignore[attr-defined]
        e.state_label = State(e.to_state).label  # type: ignore[attr-defined]
    return events


def _contact(item: FeedbackItem, *, reveal: bool) -> dict[str, str]:
    """The reporter as this reader may see them: whole to the handlers, masked to the others."""
    if reveal:
        return {"name": item.reporter_name, "phone": item.reporter_phone, "email": item.reporter_email,
                "revealed": "1"}  # fmt: skip
    return {
        "name": "(đã ẩn)" if item.reporter_name else "",
        "phone": mask_digits(item.reporter_phone) if item.reporter_phone else "",
        "email": "(đã ẩn)" if item.reporter_email else "",
        "revealed": "",
    }


@login_required
@require_GET
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(request)
    item = item_get_for(user=user, pk=pk)
    now = clock.now()
    actions = allowed_actions(item, user)
    assign = any(t.action == Action.ASSIGN for t in actions)
    return render(
        request,
        "feedback/staff_detail.html",
        {
            "item": item, "now": now,
            "acts": [{"t": t, "note_label": NOTE_LABELS.get(t.action, "Ghi chú")} for t in actions],
            "overdue": item.state in OPEN_STATES and item.due_at < now,
            "near": item.state in OPEN_STATES and now <= item.due_at and (
                item.near_deadline_at is not None or item.due_at < near_horizon(now)),
            "contact": _contact(item, reveal=may_see_contact(user, item)),
            "events": _history(item),
            "photos": list(item.photos.all()),
            "departments": departments_of(user) if assign else [],
            "assignees": assignees_for(user=user, item=item) if assign else [],
            "duplicates": item.duplicates.all(),
            "max_photos": photo_store.MAX_PHOTOS,
        },
    )  # fmt: skip


@login_required
@require_POST
def item_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = _staff(request)
    item = item_get_for(user=user, pk=pk)
    post = request.POST
    data: dict[str, Any] = {"note": post.get("note", "")}
    try:
        if action == Action.ASSIGN:
            data["department"] = _pick(Department, post.get("department"), user=user, label="phòng ban")
            data["assignee"] = _pick(User, post.get("assignee"), user=user, label="cán bộ xử lý")
        elif action == Action.DUPLICATE:
            code = post.get("original", "").replace("\x00", "").strip().upper()[:40]
            original = FeedbackItem.objects.filter(commune_id=user.commune_id or 0, code=code).first()
            if original is None:
                raise ValidationFailed(
                    f"Không có phản ánh mã «{code}» trong xã, phường này.", code="bad_original"
                )
            data["original"] = original
        checked = photo_store.check_photos(request.FILES.getlist("photos"))
        event = desk_step(item=item, action=action, actor=user, now=clock.now(), data=data, photos=checked)
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, exc.message + (" " + "; ".join(exc.details) if exc.details else ""))
        return redirect("feedback:detail", pk=item.pk)
    label = State(event.to_state).label if event.to_state != event.from_state else "Đã ghi nhận"
    messages.success(request, f"{item.code}: {label}.")
    return redirect("feedback:detail", pk=item.pk)


@login_required
@require_GET
def photo(request: HttpRequest, pk: int) -> FileResponse:
    user = _staff(request)
    return photo_store.photo_response(photo_get_for(user=user, pk=pk))
