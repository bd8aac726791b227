"""Reads on dossiers. Every read that crosses a permission boundary goes through
`dossiers_visible_to` or `dossier_get_for`, so no view can forget the tenant filter."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Case, Count, F, IntegerField, Max, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from motcua.calendar.selectors import calendar_for_province
from motcua.core.errors import NotAllowed, NotFound, ValidationFailed
from motcua.core.text import clean_text, fold
from motcua.geo.models import Commune
from motcua.org.models import Role, User

from .models import FINAL_STATES, ControlEntry, Dossier, DossierDocument, State
from .workflow import Action

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


def overdue_now_q(now: dt.datetime) -> Q:
    """An open dossier past its deadline at `now` (on a queryset annotated with `eff_due`). A
    dossier waiting for the resident's fee since before its deadline is not late: its clock
    stopped (the deadline moves on when the fee is paid), as in the 766 on-time rule. The one
    rule of "overdue now" for every screen and report (the leader's overview, the inboxes, the
    dashboards, staffing)."""
    fee_wait = Q(state=State.PENDING_FEE, paused_at__isnull=False, paused_at__lte=F("eff_due"))
    return Q(eff_due__lt=now) & ~fee_wait


def _overdue_first(qs: QuerySet[Dossier], now: dt.datetime) -> QuerySet[Dossier]:
    return qs.annotate(
        eff_due=_due_expr(),
        late=Case(
            When(overdue_now_q(now) & Q(state__in=BACKLOG_STATES, finished_at__isnull=True), then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ),
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


SEARCH_MAX_CHARS = 100
_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")


def dossier_search(*, user: User, query: str) -> QuerySet[Dossier]:
    """The counter's search, over all time: a code (whole or part), a phone or CCCD number
    (whole), or the applicant's name typed without diacritics, in any case and word order.
    Most recent first. An over-long query is refused rather than cut, so that no one reads
    an answer to a question they did not ask."""
    raw = clean_text(query).strip()
    if len(raw) > SEARCH_MAX_CHARS:
        raise ValidationFailed(
            f"Từ khóa tìm kiếm quá dài: tối đa {SEARCH_MAX_CHARS} ký tự.", code="query_too_long"
        )
    if not raw:
        return Dossier.objects.none()
    match = Q(code__iexact=raw) | Q(code__icontains=raw)
    digits = _PHONE_SEPARATORS.sub("", raw)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    if digits.isdigit():
        match |= Q(applicant_phone=digits) | Q(applicant_citizen_id=digits)
    words = fold(raw).split()
    if words and not digits.isdigit():
        by_name = Q()
        for word in words:
            by_name &= Q(applicant_name_folded__contains=word)
        match |= by_name
    return dossiers_visible_to(user).filter(match).order_by("-created_at", "-id")


def supplement_waiting_for(*, user: User) -> QuerySet[Dossier]:
    """Dossiers waiting for the resident to bring what Mẫu 02 asked for, oldest request first
    (the resident who has waited longest is the one to call)."""
    return (
        dossiers_visible_to(user)
        .filter(state=State.SUPPLEMENT_REQUESTED)
        .annotate(
            requested_at=Max(
                "control_entries__at", filter=Q(control_entries__action=Action.REQUEST_SUPPLEMENT)
            )
        )
        .order_by("requested_at", "id")
    )


# ---------------------------------------------------------------------------------------------
# The leader's ward-wide view
# ---------------------------------------------------------------------------------------------

OVERVIEW_ROLES = (Role.COMMUNE_LEADER, Role.DEPARTMENT_HEAD, Role.PROVINCE_OFFICER)
# Dossiers whose processing is not finished: the backlog, and the only ones that can still be
# late. A paused dossier (fee) stays in: its deadline moves when it resumes, not before.
BACKLOG_STATES = (State.RECEIVED, *DEPARTMENT_STATES)
SOON_WORKING_DAYS = 2
OVERVIEW_LIST_LIMIT = 500


@dataclass(frozen=True)
class BacklogRow:
    name: str
    total: int
    overdue: int


@dataclass(frozen=True)
class Overview:
    commune: Commune
    now: dt.datetime
    soon_until: dt.datetime
    overdue: list[Dossier]
    overdue_count: int
    soon: list[Dossier]
    soon_count: int
    by_department: list[BacklogRow]
    by_officer: list[BacklogRow]
    month_start: dt.date
    finished: int
    finished_on_time: int

    @property
    def on_time_percent(self) -> float | None:
        return None if not self.finished else round(100 * self.finished_on_time / self.finished, 1)


def overview_communes_for(user: User) -> QuerySet[Commune]:
    """The communes whose overview this user may read: their own, or their province's."""
    if not user.is_authenticated or not user.is_active:
        raise NotAllowed("Trang này dành cho lãnh đạo.")
    if user.has_role(Role.COMMUNE_LEADER, Role.DEPARTMENT_HEAD) and user.commune_id:
        return Commune.objects.filter(pk=user.commune_id)
    if user.has_role(Role.PROVINCE_OFFICER) and user.province_id:
        return Commune.objects.filter(province_id=user.province_id).order_by("name", "code")
    raise NotAllowed("Trang tổng quan dành cho lãnh đạo xã/phường, trưởng phòng và cán bộ tỉnh.")


def overview_for(*, user: User, now: dt.datetime, commune_code: int | None = None) -> Overview:
    """Every overdue and soon-due dossier of one commune, its backlog per department and per
    officer, and this month's on-time rate. Overdue is computed from the deadlines at `now`."""
    communes = overview_communes_for(user)
    if commune_code is not None:
        commune = communes.filter(pk=commune_code).first()
    else:
        # A province officer first sees where work piles up: the commune with the most open
        # dossiers (of the province's ~100), not the first name in the alphabet.
        open_work = Q(dossiers__state__in=BACKLOG_STATES, dossiers__finished_at__isnull=True)
        commune = (
            communes.annotate(open_work=Count("dossiers", filter=open_work))
            .order_by("-open_work", "name", "code")
            .first()
        )
    if commune is None:
        raise NotFound("Không tìm thấy xã/phường.")
    calendar = calendar_for_province(commune.province_id)
    local = timezone.localtime(now)
    today = local.date()
    soon_until = calendar.end_of_day(calendar.add_working_days(today, SOON_WORKING_DAYS), local.tzinfo)  # type: ignore[arg-type]

    dossiers = dossiers_visible_to(user).filter(commune=commune)
    backlog = dossiers.filter(state__in=BACKLOG_STATES, finished_at__isnull=True).annotate(
        eff_due=_due_expr()
    )
    late = overdue_now_q(now)
    overdue = backlog.filter(late).order_by("eff_due", "id")
    soon = backlog.filter(eff_due__gte=now, eff_due__lte=soon_until).order_by("eff_due", "id")

    by_department = [
        BacklogRow(name=row["department__name"] or "Bộ phận Một cửa (chưa chuyển phòng)",
                   total=row["total"], overdue=row["late"])
        for row in backlog.values("department__name")
        .annotate(total=Count("id"), late=Count("id", filter=late))
        .order_by("-late", "-total", "department__name")
    ]  # fmt: skip
    officer_rows = list(
        backlog.filter(assignee__isnull=False)
        .values("assignee_id")
        .annotate(total=Count("id"), late=Count("id", filter=late))
        .order_by("-late", "-total", "assignee_id")
    )
    names = {
        u.pk: u.display_name for u in User.objects.filter(pk__in=[r["assignee_id"] for r in officer_rows])
    }
    by_officer = [
        BacklogRow(name=names[r["assignee_id"]], total=r["total"], overdue=r["late"]) for r in officer_rows
    ]

    month_start = today.replace(day=1)
    month_start_at = dt.datetime.combine(month_start, dt.time(0, 0), tzinfo=local.tzinfo)
    finished = (
        dossiers.filter(state__in=(State.RESULT_READY, State.RETURNED), finished_at__gte=month_start_at,
                        finished_at__lte=now)
        .annotate(eff_due=_due_expr())
        .aggregate(total=Count("id"), on_time=Count("id", filter=Q(finished_at__lte=F("eff_due"))))
    )  # fmt: skip
    return Overview(
        commune=commune,
        now=now,
        soon_until=soon_until,
        overdue=list(overdue[:OVERVIEW_LIST_LIMIT]),
        overdue_count=overdue.count(),
        soon=list(soon[:OVERVIEW_LIST_LIMIT]),
        soon_count=soon.count(),
        by_department=by_department,
        by_officer=by_officer,
        month_start=month_start,
        finished=finished["total"],
        finished_on_time=finished["on_time"],
    )


# ---------------------------------------------------------------------------------------------
# Mẫu 05, the control sheet
# ---------------------------------------------------------------------------------------------

EARLY = "Trước hạn"
ON_TIME = "Đúng hạn"
LATE = "Quá hạn"


def step_result(*, finished_at: dt.datetime, due_at: dt.datetime | None) -> str:
    """How a step ended against its deadline, in Mẫu 05's words: before the day it was due
    (trước hạn), on that day (đúng hạn), or after the deadline (quá hạn)."""
    if due_at is None:
        return ""
    if finished_at > due_at:
        return LATE
    if timezone.localtime(finished_at).date() < timezone.localtime(due_at).date():
        return EARLY
    return ON_TIME


@dataclass(frozen=True)
class ControlSheetRow:
    entry: ControlEntry
    previous_step_result: str


def control_sheet_for(*, dossier: Dossier) -> list[ControlSheetRow]:
    """The control sheet's lines, each with the result of the step it ends (the step the
    previous line started and gave a deadline to)."""
    rows: list[ControlSheetRow] = []
    previous: ControlEntry | None = None
    for entry in dossier.control_entries.select_related("actor", "handed_to"):
        result = step_result(finished_at=entry.at, due_at=previous.step_due_at) if previous else ""
        rows.append(ControlSheetRow(entry=entry, previous_step_result=result))
        previous = entry
    return rows
