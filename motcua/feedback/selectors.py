"""Feedback's reads for the staff screens (issue 9 §1). Each takes the acting user: what they may
see is decided here, once.

Who sees which items of their own commune (another commune's items are never found):
- the commune's leader: all of them;
- a department head: their department's, and the items not yet given to any department;
- a specialist: their department's (and those assigned to them);
- a counter officer: the ones they took in.
A person with several roles sees the union. The reporter's contact is shown to the item's handlers
only (the leader, the staff of the item's department); masked for everyone else.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet

from motcua.core.errors import NotFound
from motcua.core.text import clean_text
from motcua.org.models import Department, Role, User

from .models import OPEN_STATES, Category, FeedbackItem, FeedbackPhoto, Neighbourhood, State

STAFF_ROLES = (Role.COMMUNE_LEADER, Role.DEPARTMENT_HEAD, Role.SPECIALIST, Role.COUNTER_OFFICER)
HANDLER_ROLES = (Role.COMMUNE_LEADER, Role.DEPARTMENT_HEAD, Role.SPECIALIST)


def may_use_feedback(user: User) -> bool:
    return bool(user.is_active and user.commune_id and user.has_role(*STAFF_ROLES))


def items_visible_to(user: User) -> QuerySet[FeedbackItem]:
    qs = FeedbackItem.objects.select_related("category", "neighbourhood", "department", "assignee")
    if not may_use_feedback(user):
        return qs.none()
    qs = qs.filter(commune_id=user.commune_id or 0)
    if user.has_role(Role.COMMUNE_LEADER):
        return qs
    scope = Q(pk__in=[])
    if user.has_role(Role.DEPARTMENT_HEAD, Role.SPECIALIST) and user.department_id:
        scope |= Q(department_id=user.department_id or 0) | Q(assignee=user)
    if user.has_role(Role.DEPARTMENT_HEAD):
        scope |= Q(department__isnull=True)
    if user.has_role(Role.COUNTER_OFFICER):
        scope |= Q(created_by=user)
    return qs.filter(scope)


def item_get_for(*, user: User, pk: int) -> FeedbackItem:
    try:
        return items_visible_to(user).select_related("commune", "duplicate_of", "created_by").get(pk=pk)
    except (FeedbackItem.DoesNotExist, ValueError) as exc:
        raise NotFound("Không tìm thấy phản ánh.") from exc


def photo_get_for(*, user: User, pk: int) -> FeedbackPhoto:
    try:
        return FeedbackPhoto.objects.select_related("item").get(pk=pk, item__in=items_visible_to(user))
    except (FeedbackPhoto.DoesNotExist, ValueError) as exc:
        raise NotFound("Không tìm thấy ảnh.") from exc


def may_see_contact(user: User, item: FeedbackItem) -> bool:
    """The item's handlers: the commune's leader, the staff of the item's department."""
    if not user.is_active or user.commune_id != item.commune_id:
        return False
    if user.has_role(Role.COMMUNE_LEADER):
        return True
    return bool(
        item.department_id and user.department_id == item.department_id and user.has_role(*HANDLER_ROLES)
    )


def near_horizon(now: dt.datetime) -> dt.datetime:
    """Items due before this moment are «near the deadline» on the inbox even before the timer
    flagged them (calendar days; the timer counts working days)."""
    return now + dt.timedelta(days=max(1, int(settings.MOTCUA_FEEDBACK_NEAR_DAYS)))


@dataclass(frozen=True)
class InboxFilters:
    state: str = ""
    category: int | None = None
    neighbourhood: int | None = None
    overdue: bool = False
    near: bool = False
    q: str = ""

    @classmethod
    def parse(cls, params: dict[str, str]) -> InboxFilters:
        def pk(name: str) -> int | None:
            raw = (params.get(name) or "").strip()
            return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None

        state = (params.get("trang_thai") or "").strip()
        q = clean_text(params.get("q") or "").replace("\x00", "").strip()[:100]
        return cls(
            state=state if state in State.values or state == "open" else "",
            category=pk("linh_vuc"),
            neighbourhood=pk("to_dan_pho"),
            overdue=params.get("qua_han") == "1",
            near=params.get("sap_han") == "1",
            q=q,
        )


def inbox_for(*, user: User, now: dt.datetime, filters: InboxFilters | None = None) -> QuerySet[FeedbackItem]:
    """The items the user may see, filtered, soonest deadline first (open items before the rest)."""
    f = filters or InboxFilters()
    qs = items_visible_to(user)
    if f.state == "open":
        qs = qs.filter(state__in=OPEN_STATES)
    elif f.state:
        qs = qs.filter(state=f.state)
    if f.category is not None:
        qs = qs.filter(category_id=f.category)
    if f.neighbourhood is not None:
        qs = qs.filter(neighbourhood_id=f.neighbourhood)
    if f.overdue:
        qs = qs.filter(state__in=OPEN_STATES, due_at__lt=now)
    if f.near:
        qs = qs.filter(state__in=OPEN_STATES, due_at__gte=now).filter(
            Q(near_deadline_at__isnull=False) | Q(due_at__lt=near_horizon(now))
        )
    if f.q:
        qs = qs.filter(Q(code__icontains=f.q) | Q(title__icontains=f.q))
    return qs.order_by("due_at", "id")


def categories_of(user: User) -> QuerySet[Category]:
    return Category.objects.filter(commune_id=user.commune_id or 0, active=True)


def neighbourhoods_of(user: User) -> QuerySet[Neighbourhood]:
    return Neighbourhood.objects.filter(commune_id=user.commune_id or 0, active=True)


def departments_of(user: User) -> QuerySet[Department]:
    return Department.objects.filter(commune_id=user.commune_id or 0, closed_at__isnull=True).order_by("name")


def assignees_for(*, user: User, item: FeedbackItem) -> list[User]:
    """Whom `user` may assign `item` to: the commune's handlers (a head: their department's)."""
    qs = User.objects.filter(commune_id=item.commune_id, is_active=True).order_by("full_name")
    if not user.has_role(Role.COMMUNE_LEADER):
        qs = qs.filter(department_id=user.department_id or 0)
    return [u for u in qs.select_related("department") if u.has_role(*HANDLER_ROLES)]
