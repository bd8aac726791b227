"""A feedback item's life, and the one function that applies a step of it (issue 9 §2).

Every change — from a leader's tablet at a dialogue session, a department, the resident's phone,
an Open311 app, the province or the background task — goes through `feedback_apply`, which
1. checks the step exists from the item's current state;
2. checks the actor: a staff role of the item's commune allowed to take the step (a department's
   staff only on their department's items), the item's reporter (by the secret of its link), the
   province's officer (province steps), or the system (timers);
3. runs the step's effect and writes exactly one `FeedbackEvent` (who, when, why), inside the
   transaction that locked the item's row.

Notifications hang on the event (the caller sends them after commit: motcua.notify).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import transaction

from motcua.core.errors import Conflict, NotAllowed, ValidationFailed
from motcua.core.text import clean_text
from motcua.org.models import Department, Role, User

from .models import FeedbackEvent, FeedbackItem, State

S = State
R = Role


class Action(StrEnum):
    """The steps of an item's life. Their values are contracts: the staff screens' URL
    (`/phan-anh/<pk>/<action>/`) and the events' `action`."""

    ASSIGN = "assign"
    START = "start"
    RESOLVE = "resolve"
    RESOLVE_ON_SPOT = "resolve_on_spot"
    CLOSE = "close"
    REJECT = "reject"
    DUPLICATE = "duplicate"
    ESCALATE = "escalate"
    PROVINCE_RESOLVE = "province_resolve"
    PROVINCE_RETURN = "province_return"
    REOPEN = "reopen"
    RATE = "rate"
    FLAG_NEAR_DEADLINE = "flag_near_deadline"
    ESCALATE_OVERDUE = "escalate_overdue"


class Actor(StrEnum):
    """Who may take a step besides staff roles."""

    REPORTER = "reporter"  # the resident, by the secret of the item's link
    PROVINCE = "province"  # a province officer of the commune's province
    SYSTEM = "system"  # the background task


# Reporter, system and app labels for events without an account.
REPORTER_LABEL = "Người phản ánh"
SYSTEM_LABEL = "Hệ thống"

_LEADERS = frozenset({R.COMMUNE_LEADER})
_HEADS = frozenset({R.COMMUNE_LEADER, R.DEPARTMENT_HEAD})
_HANDLERS = frozenset({R.COMMUNE_LEADER, R.DEPARTMENT_HEAD, R.SPECIALIST})
_INTAKE = frozenset({R.COMMUNE_LEADER, R.DEPARTMENT_HEAD, R.SPECIALIST, R.COUNTER_OFFICER})
_OPEN = (S.NEW, S.ASSIGNED, S.IN_PROGRESS)


@dataclass
class Context:
    item: FeedbackItem
    actor: User | None
    now: dt.datetime
    data: dict[str, Any]
    note: str = ""
    actor_label: str = ""


@dataclass(frozen=True)
class Transition:
    action: Action
    label: str
    sources: tuple[str, ...]
    target: str | None  # None: the state does not change (rating, timers)
    roles: frozenset[str] = frozenset()
    actors: frozenset[Actor] = frozenset()
    # The step acts on the department's work: a department head or specialist must belong to it.
    department_work: bool = False
    # A head's step (assign, reject, duplicate, close): a department head only on items of their
    # own department or not yet given to any (the leader on every item of the commune).
    head_scope: bool = False
    note_required: bool = False
    effect: Callable[[Context], None] | None = field(default=None, compare=False)


def _text(ctx: Context, key: str, *, limit: int, required: bool, label: str) -> str:
    raw = ctx.data.get(key) or ""
    if not isinstance(raw, str) or len(raw) > limit * 2:
        raise ValidationFailed(f"{label}: tối đa {limit} ký tự.", code="too_long")
    if "\x00" in raw:
        raise ValidationFailed(f"{label} có ký tự không hợp lệ.", code="bad_text")
    value = clean_text(raw).strip()
    if len(value) > limit:
        raise ValidationFailed(f"{label}: tối đa {limit} ký tự.", code="too_long")
    if required and not value:
        raise ValidationFailed(f"Hãy ghi {label.lower()}.", code="note_required")
    return value


def _assign(ctx: Context) -> None:
    item = ctx.item
    department = ctx.data.get("department")
    assignee = ctx.data.get("assignee")
    if department is None and assignee is None:
        raise ValidationFailed("Hãy chọn phòng ban hoặc cán bộ xử lý.", code="no_target")
    if assignee is not None:
        if not isinstance(assignee, User) or assignee.commune_id != item.commune_id or not assignee.is_active:
            raise ValidationFailed("Cán bộ được giao không thuộc xã, phường này.", code="bad_assignee")
        if not assignee.has_role(*_HANDLERS):
            raise ValidationFailed(
                "Chỉ giao cho lãnh đạo, trưởng phòng hoặc chuyên viên.", code="bad_assignee"
            )
        if department is None:
            department = assignee.department
    if department is not None and (
        not isinstance(department, Department)
        or department.commune_id != item.commune_id
        or department.closed_at is not None
    ):
        raise ValidationFailed("Phòng ban được giao không tồn tại hoặc đã đóng.", code="bad_department")
    if (
        assignee is not None
        and department is not None
        and assignee.department_id not in (None, department.pk)
    ):
        raise ValidationFailed("Cán bộ được giao không thuộc phòng ban đó.", code="bad_assignee")
    actor = ctx.actor
    # A department head assigns within the department only.
    if (
        actor is not None
        and not actor.has_role(R.COMMUNE_LEADER)
        and (department is None or department.pk != actor.department_id)
    ):
        raise NotAllowed("Trưởng phòng chỉ giao việc trong phòng của mình.", code="not_your_department")
    item.department = department
    item.assignee = assignee


def _resolve(ctx: Context) -> None:
    ctx.item.resolution = ctx.note
    ctx.item.resolved_at = ctx.now
    ctx.item.resolved_on_spot = False


def _resolve_on_spot(ctx: Context) -> None:
    _resolve(ctx)
    ctx.item.resolved_on_spot = True


def _close(ctx: Context) -> None:
    ctx.item.closed_at = ctx.now


def _reject(ctx: Context) -> None:
    ctx.item.closed_at = ctx.now


def _duplicate(ctx: Context) -> None:
    item = ctx.item
    original = ctx.data.get("original")
    if (
        not isinstance(original, FeedbackItem)
        or original.commune_id != item.commune_id
        or original.pk == item.pk
        or original.state == S.DUPLICATE
    ):
        raise ValidationFailed(
            "Phản ánh gốc không hợp lệ (khác xã, chính nó, hoặc cũng là bản trùng).", code="bad_original"
        )
    item.duplicate_of = original
    item.closed_at = ctx.now
    ctx.note = ctx.note or f"Trùng với {original.code}"


def _escalate(ctx: Context) -> None:
    ctx.item.escalated_at = ctx.now
    ctx.item.escalation_reason = ctx.note


def _restart_clock(ctx: Context) -> None:
    """The item is back in the commune's hands: a fresh deadline from now, and the timers'
    marks cleared so that they fire again for it."""
    # Imported here: services is the item's birth and may come to import this module.
    from .services import deadline_for

    item = ctx.item
    item.due_at = deadline_for(commune=item.commune, category=item.category, received_at=ctx.now)
    item.near_deadline_at = None
    item.overdue_escalated_at = None


def _province_answer(ctx: Context) -> None:
    item = ctx.item
    item.province_answer = ctx.note
    item.province_answered_at = ctx.now
    item.province_answered_by = ctx.actor


def _province_return(ctx: Context) -> None:
    _province_answer(ctx)
    _restart_clock(ctx)


def _province_resolve(ctx: Context) -> None:
    _province_answer(ctx)
    ctx.item.resolution = ctx.note
    ctx.item.resolved_at = ctx.now


def _reopen(ctx: Context) -> None:
    item = ctx.item
    window = dt.timedelta(days=int(settings.MOTCUA_FEEDBACK_REOPEN_DAYS))
    if item.resolved_at is None or ctx.now > item.resolved_at + window:
        raise Conflict(
            f"Chỉ mở lại được trong {settings.MOTCUA_FEEDBACK_REOPEN_DAYS} ngày kể từ khi giải quyết.",
            code="reopen_window_over",
        )
    item.reopened_count += 1
    item.resolved_at = None
    item.closed_at = None
    item.resolved_on_spot = False
    _restart_clock(ctx)


def _rate(ctx: Context) -> None:
    item = ctx.item
    rating = ctx.data.get("rating")
    if isinstance(rating, str) and rating.isdigit():
        rating = int(rating)
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise ValidationFailed("Hãy chọn mức đánh giá từ 1 đến 5 sao.", code="bad_rating")
    if item.rating is not None:
        raise Conflict("Phản ánh này đã được đánh giá.", code="already_rated")
    if len(ctx.note) > 500:
        raise ValidationFailed("Nhận xét: tối đa 500 ký tự.", code="too_long")
    item.rating = rating
    item.rating_comment = ctx.note
    ctx.note = f"{rating}/5" + (f" — {ctx.note}" if ctx.note else "")


def _flag_near(ctx: Context) -> None:
    if ctx.item.near_deadline_at is not None:
        raise Conflict("Đã đánh dấu sắp đến hạn.", code="already_flagged")
    ctx.item.near_deadline_at = ctx.now
    ctx.note = ctx.note or "Sắp đến hạn xử lý"


def _escalate_overdue(ctx: Context) -> None:
    if ctx.item.overdue_escalated_at is not None:
        raise Conflict("Đã báo trưởng phòng về phản ánh quá hạn.", code="already_escalated")
    if ctx.now <= ctx.item.due_at:
        raise Conflict("Phản ánh chưa quá hạn.", code="not_overdue")
    ctx.item.overdue_escalated_at = ctx.now
    ctx.note = ctx.note or "Quá hạn xử lý: đã báo trưởng phòng"


A = Action
TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in (
        Transition(A.ASSIGN, "Giao xử lý", (S.NEW, S.ASSIGNED, S.IN_PROGRESS), S.ASSIGNED, roles=_HEADS,
                   head_scope=True, effect=_assign),
        Transition(A.START, "Bắt đầu xử lý", (S.ASSIGNED,), S.IN_PROGRESS, roles=_HANDLERS, department_work=True),
        Transition(A.RESOLVE, "Đã giải quyết", (S.ASSIGNED, S.IN_PROGRESS), S.RESOLVED, roles=_HANDLERS,
                   department_work=True, note_required=True, effect=_resolve),
        Transition(A.RESOLVE_ON_SPOT, "Giải quyết ngay", (S.NEW,), S.RESOLVED, roles=_INTAKE, note_required=True,
                   effect=_resolve_on_spot),
        Transition(A.CLOSE, "Đóng", (S.RESOLVED,), S.CLOSED, roles=_HEADS, actors=frozenset({Actor.SYSTEM}),
                   head_scope=True, effect=_close),
        Transition(A.REJECT, "Không thụ lý", _OPEN, S.REJECTED, roles=_HEADS, note_required=True, head_scope=True,
                   effect=_reject),
        Transition(A.DUPLICATE, "Trùng phản ánh khác", _OPEN, S.DUPLICATE, roles=_HEADS, head_scope=True, effect=_duplicate),
        Transition(A.ESCALATE, "Chuyển cấp tỉnh", _OPEN, S.ESCALATED, roles=_LEADERS, note_required=True,
                   effect=_escalate),
        Transition(A.PROVINCE_RESOLVE, "Tỉnh đã giải quyết", (S.ESCALATED,), S.RESOLVED,
                   actors=frozenset({Actor.PROVINCE}), note_required=True, effect=_province_resolve),
        Transition(A.PROVINCE_RETURN, "Tỉnh trả lời, xã tiếp tục xử lý", (S.ESCALATED,), S.ASSIGNED,
                   actors=frozenset({Actor.PROVINCE}), note_required=True, effect=_province_return),
        Transition(A.REOPEN, "Mở lại", (S.RESOLVED, S.CLOSED), S.IN_PROGRESS, actors=frozenset({Actor.REPORTER}),
                   note_required=True, effect=_reopen),
        Transition(A.RATE, "Đánh giá", (S.RESOLVED, S.CLOSED), None, actors=frozenset({Actor.REPORTER}),
                   effect=_rate),
        Transition(A.FLAG_NEAR_DEADLINE, "Sắp đến hạn", _OPEN, None, actors=frozenset({Actor.SYSTEM}),
                   effect=_flag_near),
        Transition(A.ESCALATE_OVERDUE, "Quá hạn, báo trưởng phòng", _OPEN, None,
                   actors=frozenset({Actor.SYSTEM}), effect=_escalate_overdue),
    )
}  # fmt: skip


def allowed_actions(item: FeedbackItem, user: User) -> list[Transition]:
    """The staff steps `user` may take on `item` now (for the screens' buttons)."""
    out = []
    for t in TRANSITIONS.values():
        if item.state not in t.sources or not t.roles:
            continue
        try:
            _check_staff(t, item, user)
        except NotAllowed:
            continue
        out.append(t)
    return out


def _check_staff(t: Transition, item: FeedbackItem, user: User) -> None:
    if not user.is_active or user.commune_id != item.commune_id or not any(user.has_role(r) for r in t.roles):
        raise NotAllowed("Bạn không có quyền thực hiện bước này.", code="not_allowed")
    if user.has_role(R.COMMUNE_LEADER):
        return
    if t.department_work and (item.department_id is None or user.department_id != item.department_id):
        raise NotAllowed("Phản ánh này không giao cho phòng của bạn.", code="not_your_department")
    if t.head_scope and item.department_id not in (None, user.department_id):
        raise NotAllowed("Phản ánh này thuộc phòng khác.", code="not_your_department")


def _check_actor(t: Transition, item: FeedbackItem, actor: User | None, as_: Actor | None) -> str:
    """The event's actor label; raises NotAllowed."""
    if as_ is None:
        if actor is None or not t.roles:
            raise NotAllowed("Bạn không có quyền thực hiện bước này.", code="not_allowed")
        _check_staff(t, item, actor)
        return ""
    if as_ not in t.actors:
        raise NotAllowed("Bước này không dành cho bạn.", code="not_allowed")
    if as_ == Actor.PROVINCE:
        if (
            actor is None
            or not actor.is_active
            or not actor.has_role(R.PROVINCE_OFFICER)
            or actor.province_id != item.commune.province_id
        ):
            raise NotAllowed("Chỉ cán bộ cấp tỉnh của tỉnh này được trả lời.", code="not_allowed")
        return ""
    return REPORTER_LABEL if as_ == Actor.REPORTER else SYSTEM_LABEL


def apply_locked(
    *,
    item: FeedbackItem,
    action: Action | str,
    actor: User | None,
    now: dt.datetime,
    data: dict[str, Any] | None = None,
    as_: Actor | None = None,
) -> FeedbackEvent:
    """Apply `action` to `item`, whose row the caller has locked in its open transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("apply_locked must run inside the transaction that locked the item")
    try:
        t = TRANSITIONS[Action(action)]
    except ValueError:
        raise ValidationFailed(f"Thao tác không tồn tại: {action}.", code="unknown_action") from None
    label = _check_actor(t, item, actor, as_)
    if item.state not in t.sources:
        raise Conflict(
            f"Không thể «{t.label}» phản ánh {item.code} khi đang ở trạng thái «{item.get_state_display()}».",
            code="invalid_transition",
        )
    # The reporter and the timers act without an account: never record a staff user as them.
    ctx = Context(item=item, actor=actor if as_ in (None, Actor.PROVINCE) else None, now=now, data=data or {})
    ctx.note = _text(ctx, "note", limit=2000, required=t.note_required, label="Lý do, nội dung")
    if t.effect is not None:
        t.effect(ctx)
    before = item.state
    if t.target is not None:
        item.state = t.target
    item.save()
    return FeedbackEvent.objects.create(
        item=item, action=t.action, from_state=before, to_state=item.state, actor=ctx.actor,
        actor_label=label or ctx.actor_label, at=now, note=ctx.note, department=item.department,
        assignee=item.assignee,
    )  # fmt: skip


def feedback_apply(
    *,
    item: FeedbackItem,
    action: Action | str,
    actor: User | None,
    now: dt.datetime,
    data: dict[str, Any] | None = None,
    as_: Actor | None = None,
) -> FeedbackEvent:
    """Lock the item's row and apply `action` atomically; returns the event written.
    Raises NotAllowed, Conflict or ValidationFailed — and then changes nothing."""
    with transaction.atomic():
        locked = (
            FeedbackItem.objects.select_for_update(of=("self",))
            .select_related("commune", "category", "department")
            .get(pk=item.pk)
        )
        return apply_locked(item=locked, action=action, actor=actor, now=now, data=data, as_=as_)
