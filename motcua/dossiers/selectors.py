"""Reads on dossiers. Every read that crosses a permission boundary goes through
`dossiers_visible_to` or `dossier_get_for`, so no view can forget the tenant filter."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce

from motcua.core.errors import NotFound
from motcua.core.text import clean_text, fold
from motcua.org.models import Role, User

from .models import FINAL_STATES, Dossier, DossierDocument, State

# The states in which a dossier is the department's work (not the desk's, not the resident's).
DEPARTMENT_STATES = (State.IN_PROCESS, State.PENDING_FEE, State.CONSULTING, State.AWAITING_APPROVAL)

STAFF_ROLES = frozenset(
    {Role.COUNTER_OFFICER, Role.SPECIALIST, Role.DEPARTMENT_HEAD, Role.COMMUNE_LEADER, Role.ADMIN}
)


def dossiers_visible_to(user: User) -> QuerySet[Dossier]:
    """A commune's staff see the commune's dossiers; a province officer reads the province's."""
    qs = Dossier.objects.select_related("procedure", "department", "assignee", "commune")
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.has_role(*STAFF_ROLES) and user.commune_id:
        return qs.filter(commune_id=user.commune_id)
    if user.has_role(Role.PROVINCE_OFFICER) and user.province_id:
        return qs.filter(commune__province_id=user.province_id)
    return qs.none()


def dossier_get_for(*, user: User, pk: int) -> Dossier:
    try:
        return dossiers_visible_to(user).get(pk=pk)
    except (Dossier.DoesNotExist, ValueError) as exc:
        raise NotFound("Không tìm thấy hồ sơ.") from exc


def document_get_for(*, user: User, pk: int) -> DossierDocument:
    try:
        return DossierDocument.objects.select_related("dossier").get(
            pk=pk, dossier__in=dossiers_visible_to(user)
        )
    except (DossierDocument.DoesNotExist, ValueError) as exc:
        raise NotFound("Không tìm thấy tài liệu.") from exc


def _due_expr() -> Coalesce:
    return Coalesce(F("extended_due_at"), F("due_at"))


def _overdue_first(qs: QuerySet[Dossier], now: dt.datetime) -> QuerySet[Dossier]:
    return qs.annotate(
        eff_due=_due_expr(),
        late=Case(When(Q(eff_due__lt=now), then=Value(0)), default=Value(1), output_field=IntegerField()),
    ).order_by("late", F("eff_due").asc(nulls_last=True), "id")


def inbox_for(*, user: User, now: dt.datetime, scope: str = "mine") -> QuerySet[Dossier]:
    """Department work: `mine` (assigned to me) or `department` (all of my department's),
    open dossiers only, overdue first then by deadline."""
    qs = dossiers_visible_to(user).exclude(state__in=FINAL_STATES).exclude(state=State.DRAFT)
    if scope == "department" and user.department_id:
        qs = qs.filter(department_id=user.department_id, state__in=DEPARTMENT_STATES)
    elif user.has_role(Role.COUNTER_OFFICER):
        qs = qs.filter(state__in=[State.RECEIVED, State.RESULT_READY, State.SUPPLEMENT_REQUESTED])
    elif user.has_role(Role.COMMUNE_LEADER):
        qs = qs.filter(state=State.AWAITING_APPROVAL)
    else:
        qs = qs.filter(state__in=DEPARTMENT_STATES).filter(
            Q(assignee=user) | Q(assignee__isnull=True, department_id=user.department_id)
        )
    return _overdue_first(qs, now)


def approvals_for(*, user: User, now: dt.datetime) -> QuerySet[Dossier]:
    return _overdue_first(dossiers_visible_to(user).filter(state=State.AWAITING_APPROVAL), now)


def drafts_for(*, user: User) -> QuerySet[Dossier]:
    """Online submissions waiting for the desk to check and receive them."""
    return dossiers_visible_to(user).filter(state=State.DRAFT).order_by("created_at")


def book_for(
    *, user: User, date_from: dt.date | None = None, date_to: dt.date | None = None, query: str = ""
) -> QuerySet[Dossier]:
    """Mẫu 06, the tracking book: every received dossier, by receipt time."""
    qs = dossiers_visible_to(user).exclude(first_received_at__isnull=True)
    if date_from:
        qs = qs.filter(first_received_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(first_received_at__date__lte=date_to)
    q = fold(query)
    if q:
        qs = qs.filter(Q(applicant_name_folded__contains=q) | Q(code__icontains=clean_text(query).strip()))
    return qs.order_by("first_received_at", "id")
