"""The one-stop state machine: the transitions as data, and the one function that applies them.

Every state change of a dossier — from the counter, a department, the leader, the API or a
command — goes through `dossier_apply`, which
1. checks the transition exists from the current state and that the actor's role may take it
   (and, for department work, that the actor belongs to the dossier's department);
2. runs the transition's effect (assign the code, restart the clock, set the new date…);
3. writes the control-sheet entry (Mẫu 05): who, to whom, when, the deadline of the next step
   and whether the step that ended was on time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.utils import timezone

from motcua.calendar.selectors import calendar_for_province
from motcua.calendar.workdays import WorkCalendar, due_at
from motcua.catalog.models import TimeUnit
from motcua.core.dates import parse_date
from motcua.core.errors import Conflict, NotAllowed, ValidationFailed
from motcua.core.text import clean_text
from motcua.notify.dossier_notices import notify_dossier_event
from motcua.org.models import Department, Role, User

from .models import ControlEntry, Dossier, State
from .numbering import dossier_code_next

S = State
R = Role

# Work-in-progress states of a department, in which an apology with a new date can be sent.
_PROCESSING = (S.IN_PROCESS, S.PENDING_FEE, S.CONSULTING, S.AWAITING_APPROVAL)
_OPEN = (S.DRAFT, S.RECEIVED, S.SUPPLEMENT_REQUESTED, *_PROCESSING)


class Action(StrEnum):
    """The steps of the one-stop lifecycle. Their values are contracts: the staff screens' URL
    (`/ho-so/<pk>/<action>/`), the API's `/actions/{action}` and the control sheet's rows."""

    RECEIVE = "receive"
    REQUEST_SUPPLEMENT = "request_supplement"
    REFUSE = "refuse"
    RESOLVE_ON_SPOT = "resolve_on_spot"
    TRANSFER = "transfer"
    ASSIGN = "assign"
    AWAIT_FEE = "await_fee"
    FEE_PAID = "fee_paid"
    CONSULT = "consult"
    CONSULT_DONE = "consult_done"
    SUBMIT_DRAFT = "submit_draft"
    APPROVE = "approve"
    RETURN_DRAFT = "return_draft"
    EXTEND = "extend"
    STOP = "stop"
    WITHDRAW = "withdraw"
    RETURN_RESULT = "return_result"


@dataclass(frozen=True)
class Transition:
    action: Action
    label: str  # what staff read (buttons, the control sheet)
    resident_label: str  # what a resident reads (status page and public API), in plain words
    sources: tuple[str, ...]
    target: str | None  # None: the state does not change (assignment, apology)
    roles: frozenset[str]
    # The actor must be the assignee or in the dossier's department (department work).
    department_bound: bool = False
    needs_reason: bool = False
    form_code: str = ""  # the legal form this step produces ("01", "02"…)
    # The step's note (the reason, the missing papers, the new date) is shown to the resident.
    resident_note: bool = False
    effect: Callable[..., None] | None = field(default=None, compare=False)


@dataclass
class Context:
    """What one application of a transition knows: passed to the effect functions."""

    dossier: Dossier
    actor: User
    now: dt.datetime
    reason: str
    data: dict[str, Any]
    calendar: WorkCalendar
    handed_to: User | None = None
    handed_to_label: str = ""
    step_due_at: dt.datetime | None = None
    # Set by the effect that gives the dossier its number; dossier_apply takes the number last.
    needs_code: bool = False


def _local(now: dt.datetime) -> dt.datetime:
    return timezone.localtime(now)


def _start_clock(ctx: Context) -> None:
    """(Re)start the statutory clock from zero: at first receipt and when a supplemented
    dossier comes back complete (Decree 61/2018, art. 16)."""
    d = ctx.dossier
    p = d.procedure
    d.received_at = ctx.now
    d.first_received_at = d.first_received_at or ctx.now
    d.due_at = due_at(
        received_at=_local(ctx.now), unit=p.time_unit, value=p.time_value, calendar=ctx.calendar
    )
    d.extended_due_at = None
    d.received_by = ctx.actor
    d.supplement_items = []
    ctx.step_due_at = _transfer_due(ctx)


def _transfer_due(ctx: Context) -> dt.datetime:
    """Paper originals move to the department the same working day, or the next morning when
    received after 15:00 (Decree 61/2018, art. 21)."""
    local = _local(ctx.now)
    cal = ctx.calendar
    if local.time() >= cal.same_day_cutoff or not cal.is_working_day(local.date()):
        day = cal.next_working_day(local.date())
        return dt.datetime.combine(day, cal.office_windows[0][1], tzinfo=local.tzinfo)
    return cal.end_of_day(local.date(), local.tzinfo)  # type: ignore[arg-type]


def _receive(ctx: Context) -> None:
    d = ctx.dossier
    ticked = set(ctx.data.get("checklist_ticked", d.checklist_ticked) or [])
    required = {i.id for i in d.procedure.checklist.all() if i.required}
    missing = required - ticked
    if missing:
        names = [i.name for i in d.procedure.checklist.all() if i.id in missing]
        raise ValidationFailed(
            "Hồ sơ chưa đủ giấy tờ theo danh mục: hãy lập phiếu yêu cầu bổ sung (Mẫu 02).",
            code="checklist_incomplete",
            details=names,
        )
    d.checklist_ticked = sorted(ticked)
    if not d.code:
        if not d.commune.agency_code:
            raise ValidationFailed("Xã/phường chưa được cấp mã cơ quan tiếp nhận.", code="no_agency_code")
        ctx.needs_code = True
    _start_clock(ctx)


def _supplement(ctx: Context) -> None:
    """Mẫu 02: every missing item at once — one supplementation, never a drip."""
    items = [clean_text(str(i)).strip() for i in ctx.data.get("items", []) if clean_text(str(i)).strip()]
    if not items:
        raise ValidationFailed("Hãy ghi đầy đủ các giấy tờ cần bổ sung.", code="supplement_items_required")
    d = ctx.dossier
    d.supplement_items = items
    d.supplement_count += 1
    d.received_at = None
    d.due_at = None
    d.extended_due_at = None
    if d.state != S.DRAFT:
        # On appraisal: the return to the resident is due within 3 working days of receipt.
        ctx.step_due_at = None


def _transfer(ctx: Context) -> None:
    d = ctx.dossier
    if d.department is None:
        dept = Department.objects.filter(
            commune=d.commune, kind=d.procedure.responsible_kind, closed_at__isnull=True
        ).first()
        if dept is None:
            raise ValidationFailed("Chưa có phòng chuyên môn phụ trách lĩnh vực này.", code="no_department")
        d.department = dept
    ctx.handed_to = d.assignee
    ctx.handed_to_label = d.department.name
    ctx.step_due_at = d.effective_due_at


def _assign(ctx: Context) -> None:
    d = ctx.dossier
    raw_id = str(ctx.data.get("assignee_id") or "")
    try:
        assignee = User.objects.get(pk=int(raw_id), is_active=True)
    except (User.DoesNotExist, ValueError) as exc:
        raise ValidationFailed("Hãy chọn cán bộ xử lý.", code="assignee_required") from exc
    if assignee.department_id != d.department_id or assignee.commune_id != d.commune_id:
        raise ValidationFailed("Cán bộ được phân công phải thuộc phòng phụ trách hồ sơ.", code="bad_assignee")
    d.assignee = assignee
    ctx.handed_to = assignee
    ctx.step_due_at = d.effective_due_at


def _on_spot_only(ctx: Context) -> None:
    d = ctx.dossier
    if d.procedure.time_unit != TimeUnit.ON_THE_SPOT:
        raise ValidationFailed(
            "Chỉ thủ tục giải quyết ngay mới trả kết quả tại quầy.", code="not_on_the_spot"
        )
    _finish(ctx)


def _finish(ctx: Context) -> None:
    d = ctx.dossier
    d.finished_at = ctx.now
    summary = clean_text(str(ctx.data.get("result_summary", ""))).strip()
    if summary:
        d.result_summary = summary
    ctx.step_due_at = d.effective_due_at


def _close(ctx: Context) -> None:
    d = ctx.dossier
    d.finished_at = ctx.now
    d.decision_reason = ctx.reason


def _pause(ctx: Context) -> None:
    ctx.dossier.paused_at = ctx.now


def _resume(ctx: Context) -> None:
    """Waiting for a fee pauses processing: the deadline moves by the working days waited."""
    d = ctx.dossier
    if d.paused_at and d.due_at:
        waited = ctx.calendar.working_days_between(_local(d.paused_at).date(), _local(ctx.now).date())
        if waited:
            local_due = _local(d.due_at)
            new_day = ctx.calendar.add_working_days(local_due.date(), waited)
            d.due_at = dt.datetime.combine(new_day, local_due.timetz())
            if d.extended_due_at:
                local_ext = _local(d.extended_due_at)
                ext_day = ctx.calendar.add_working_days(local_ext.date(), waited)
                d.extended_due_at = dt.datetime.combine(ext_day, local_ext.timetz())
    d.paused_at = None
    ctx.step_due_at = d.effective_due_at


def _extend(ctx: Context) -> None:
    """Mẫu 04: an apology with a new date, sent at least one working day before the deadline;
    the date may be moved only once."""
    d = ctx.dossier
    if d.extended_due_at is not None:
        raise Conflict("Hồ sơ đã được gia hạn một lần; không được gia hạn lần nữa.", code="already_extended")
    if d.due_at is None:
        raise Conflict("Hồ sơ chưa có hạn giải quyết.", code="no_deadline")
    new_date = ctx.data.get("new_due_date")
    if isinstance(new_date, str):
        if not new_date.strip():
            new_date = None
        else:
            new_date = parse_date(new_date)
            if new_date is None:
                raise ValidationFailed("Ngày hẹn mới phải có dạng dd/mm/yyyy.", code="bad_date")
    if not isinstance(new_date, dt.date):
        raise ValidationFailed("Hãy nhập ngày hẹn trả mới.", code="new_due_date_required")
    due_local = _local(d.due_at)
    cal = ctx.calendar
    if new_date <= due_local.date():
        raise ValidationFailed("Ngày hẹn mới phải sau hạn giải quyết hiện tại.", code="bad_new_date")
    if not cal.is_working_day(new_date):
        raise ValidationFailed("Ngày hẹn mới phải là ngày làm việc.", code="bad_new_date")
    if cal.working_days_between(_local(ctx.now).date(), due_local.date()) < 1:
        raise ValidationFailed(
            "Phải gửi văn bản xin lỗi và hẹn lại chậm nhất 01 ngày làm việc trước hạn.",
            code="apology_too_late",
        )
    d.extended_due_at = cal.end_of_day(new_date, due_local.tzinfo)  # type: ignore[arg-type]
    d.extension_reason = ctx.reason
    ctx.step_due_at = d.extended_due_at


def _return_result(ctx: Context) -> None:
    d = ctx.dossier
    method = ctx.data.get("method", "IN_PERSON")
    if method not in {"IN_PERSON", "POST", "ONLINE"}:
        raise ValidationFailed("Hình thức trả kết quả không hợp lệ.", code="bad_method")
    d.returned_at = ctx.now
    d.return_method = method


def _withdraw(ctx: Context) -> None:
    _close(ctx)


COUNTER = frozenset({R.COUNTER_OFFICER})
DEPT = frozenset({R.SPECIALIST, R.DEPARTMENT_HEAD})
HEAD = frozenset({R.DEPARTMENT_HEAD})
LEADER = frozenset({R.COMMUNE_LEADER})

A = Action

TRANSITIONS: tuple[Transition, ...] = (
    Transition(A.RECEIVE, "Tiếp nhận hồ sơ", "Đã tiếp nhận hồ sơ",
               (S.DRAFT, S.SUPPLEMENT_REQUESTED), S.RECEIVED, COUNTER, form_code="01", effect=_receive),
    Transition(A.REQUEST_SUPPLEMENT, "Yêu cầu bổ sung", "Yêu cầu bổ sung hồ sơ",
               (S.DRAFT,), S.SUPPLEMENT_REQUESTED, COUNTER, form_code="02", resident_note=True,
               effect=_supplement),
    Transition(A.REQUEST_SUPPLEMENT, "Yêu cầu bổ sung", "Yêu cầu bổ sung hồ sơ",
               (S.IN_PROCESS,), S.SUPPLEMENT_REQUESTED, DEPT, department_bound=True, form_code="02",
               resident_note=True, effect=_supplement),
    Transition(A.REFUSE, "Từ chối tiếp nhận", "Từ chối tiếp nhận hồ sơ",
               (S.DRAFT,), S.REFUSED, COUNTER, needs_reason=True, form_code="03", resident_note=True,
               effect=_close),
    Transition(A.REFUSE, "Từ chối giải quyết", "Từ chối giải quyết",
               (S.IN_PROCESS,), S.REFUSED, DEPT, department_bound=True, needs_reason=True, form_code="03",
               resident_note=True, effect=_close),
    Transition(A.RESOLVE_ON_SPOT, "Giải quyết ngay", "Đã giải quyết",
               (S.RECEIVED,), S.RESULT_READY, COUNTER, effect=_on_spot_only),
    Transition(A.TRANSFER, "Chuyển phòng chuyên môn", "Chuyển phòng chuyên môn xử lý",
               (S.RECEIVED,), S.IN_PROCESS, COUNTER, effect=_transfer),
    Transition(A.ASSIGN, "Phân công xử lý", "Phân công cán bộ xử lý",
               (S.IN_PROCESS,), None, HEAD, department_bound=True, effect=_assign),
    Transition(A.AWAIT_FEE, "Chờ nghĩa vụ tài chính", "Chờ thực hiện nghĩa vụ tài chính",
               (S.IN_PROCESS,), S.PENDING_FEE, DEPT, department_bound=True, effect=_pause),
    Transition(A.FEE_PAID, "Đã thực hiện nghĩa vụ tài chính", "Đã thực hiện nghĩa vụ tài chính",
               (S.PENDING_FEE,), S.IN_PROCESS, DEPT | COUNTER, effect=_resume),
    Transition(A.CONSULT, "Lấy ý kiến cơ quan khác", "Lấy ý kiến cơ quan liên quan",
               (S.IN_PROCESS,), S.CONSULTING, DEPT, department_bound=True, needs_reason=True),
    Transition(A.CONSULT_DONE, "Đã có ý kiến phối hợp", "Đã có ý kiến phối hợp",
               (S.CONSULTING,), S.IN_PROCESS, DEPT, department_bound=True),
    Transition(A.SUBMIT_DRAFT, "Trình phê duyệt", "Trình lãnh đạo phê duyệt",
               (S.IN_PROCESS,), S.AWAITING_APPROVAL, DEPT, department_bound=True),
    Transition(A.APPROVE, "Phê duyệt kết quả", "Lãnh đạo đã phê duyệt, có kết quả",
               (S.AWAITING_APPROVAL,), S.RESULT_READY, LEADER, effect=_finish),
    Transition(A.RETURN_DRAFT, "Trả lại dự thảo", "Lãnh đạo yêu cầu xem lại",
               (S.AWAITING_APPROVAL,), S.IN_PROCESS, LEADER, needs_reason=True),
    Transition(A.EXTEND, "Xin lỗi và hẹn lại", "Xin lỗi và hẹn lại ngày trả",
               _PROCESSING, None, DEPT, department_bound=True, needs_reason=True, form_code="04",
               resident_note=True, effect=_extend),
    Transition(A.STOP, "Dừng xử lý", "Dừng xử lý",
               _PROCESSING, S.STOPPED, HEAD | LEADER, needs_reason=True, resident_note=True, effect=_close),
    Transition(A.WITHDRAW, "Rút hồ sơ theo đề nghị", "Rút hồ sơ",
               _OPEN, S.WITHDRAWN, COUNTER, needs_reason=True, effect=_withdraw),
    Transition(A.RETURN_RESULT, "Trả kết quả", "Đã trả kết quả",
               (S.RESULT_READY,), S.RETURNED, COUNTER, effect=_return_result),
)  # fmt: skip


def _transition_for(action: str, state: str) -> Transition | None:
    for t in TRANSITIONS:
        if t.action == action and state in t.sources:
            return t
    return None


def _may(actor: User, dossier: Dossier, t: Transition) -> bool:
    if not actor.is_active or actor.commune_id != dossier.commune_id or not actor.has_role(*t.roles):
        return False
    if t.department_bound:
        if actor.has_role(R.DEPARTMENT_HEAD):
            return actor.department_id == dossier.department_id
        return dossier.assignee_id == actor.pk or (
            dossier.assignee_id is None and actor.department_id == dossier.department_id
        )
    return True


def allowed_transitions(*, actor: User, dossier: Dossier) -> list[Transition]:
    """What this actor may do to this dossier now: drives the buttons on the dossier page."""
    seen: set[str] = set()
    result = []
    for t in TRANSITIONS:
        if dossier.state in t.sources and t.action not in seen and _may(actor, dossier, t):
            if t.action == Action.RESOLVE_ON_SPOT and dossier.procedure.time_unit != TimeUnit.ON_THE_SPOT:
                continue
            if t.action == Action.EXTEND and dossier.extended_due_at is not None:
                continue
            seen.add(t.action)
            result.append(t)
    return result


def dossier_apply(
    *,
    dossier: Dossier,
    action: Action | str,
    actor: User,
    now: dt.datetime,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> Dossier:
    """Apply `action` to `dossier` as `actor` at `now`, atomically, and write the control-sheet entry.

    Returns the dossier as saved (use the return value: the instance passed in is not
    refreshed). Raises NotAllowed (the role or person may not), Conflict (not from this state),
    or ValidationFailed (missing reason, incomplete checklist…) — and then changes nothing.
    """
    try:
        action = Action(action)
    except ValueError:
        raise ValidationFailed(f"Thao tác không tồn tại: {action}.", code="unknown_action") from None
    with transaction.atomic():
        locked = (
            Dossier.objects.select_for_update(of=("self",))
            .select_related("procedure", "commune", "department")
            .get(pk=dossier.pk)
        )
        if dossier.procedure_id == locked.procedure_id and "procedure" in dossier._state.fields_cache:
            locked.procedure = dossier.procedure  # the caller's copy, with its prefetched checklist
        t = _transition_for(action, locked.state)
        if t is None:
            raise Conflict(
                f"Không thể thực hiện «{action}» khi hồ sơ đang ở trạng thái «{locked.get_state_display()}».",
                code="invalid_transition",
            )
        if not _may(actor, locked, t):
            raise NotAllowed("Bạn không có quyền thực hiện thao tác này trên hồ sơ.")
        reason = clean_text(reason).strip()
        data = {k: clean_text(v) if isinstance(v, str) else v for k, v in (data or {}).items()}
        if t.needs_reason and not reason:
            raise ValidationFailed("Hãy ghi rõ lý do.", code="reason_required")
        ctx = Context(
            dossier=locked,
            actor=actor,
            now=now,
            reason=reason,
            data=data or {},
            calendar=calendar_for_province(locked.commune.province_id),
        )
        from_state = locked.state
        if t.effect is not None:
            t.effect(ctx)
        if t.target is not None:
            locked.state = t.target
        if ctx.step_due_at is None and locked.state not in (S.DRAFT, S.SUPPLEMENT_REQUESTED, S.REFUSED):
            ctx.step_due_at = locked.effective_due_at
        previous = locked.control_entries.order_by("-at", "-id").first()
        on_time = None
        if previous is not None and previous.step_due_at is not None:
            on_time = now <= previous.step_due_at
        entry = ControlEntry.objects.create(
            dossier=locked,
            action=t.action,
            from_state=from_state,
            to_state=locked.state,
            actor=actor,
            actor_label=f"{actor.display_name} ({actor.get_role_display()})",
            handed_to=ctx.handed_to,
            handed_to_label=ctx.handed_to_label or (ctx.handed_to.display_name if ctx.handed_to else ""),
            at=now,
            step_due_at=ctx.step_due_at,
            previous_step_on_time=on_time,
            note=_note(t, ctx),
        )
        if ctx.needs_code:
            # Last, so that the agency's number row stays locked only for this UPDATE and the
            # commit: concurrent receipts of one commune queue on that row (numbering.py).
            locked.code = dossier_code_next(agency_code=locked.commune.agency_code, day=_local(now).date())
        locked.save()
        # The resident's notice (received, supplement, apology, result), in this transaction.
        notify_dossier_event(locked, entry, now)
    # The row as saved, with its relations loaded; the instance passed in is left as it was.
    return locked


def _note(t: Transition, ctx: Context) -> str:
    parts = [ctx.reason] if ctx.reason else []
    if t.action == Action.REQUEST_SUPPLEMENT:
        parts.append("Cần bổ sung: " + "; ".join(ctx.dossier.supplement_items))
    if t.action == Action.EXTEND and ctx.dossier.extended_due_at:
        parts.append(f"Hẹn lại: {_local(ctx.dossier.extended_due_at):%d/%m/%Y}")
    if t.action == Action.RETURN_RESULT:
        parts.append(f"Hình thức: {ctx.dossier.get_return_method_display()}")
    return " — ".join(parts)


def transition_label(action: str) -> str:
    for t in TRANSITIONS:
        if t.action == action:
            return t.label
    return action


def resident_step(action: str, from_state: str | None = None) -> tuple[str, bool]:
    """How a step of the control sheet reads to a resident: (label, whether its note is shown).
    The transition taken from `from_state` when known, else the first with that action; a step
    the table does not know reads as itself, without its note."""
    fallback = None
    for t in TRANSITIONS:
        if t.action == action:
            if from_state is None or from_state in t.sources:
                return t.resident_label, t.resident_note
            fallback = fallback or t
    if fallback is not None:
        return fallback.resident_label, fallback.resident_note
    return action, False


# Mẫu 05, the control sheet, belongs to every dossier; the other forms to the step that makes them.
CONTROL_SHEET_FORM = "05"


def form_after(action: str) -> str:
    """The printed form this step produces ("" when none): what the desk prints right after it."""
    for t in TRANSITIONS:
        if t.action == action and t.form_code:
            return t.form_code
    return ""


def forms_of(steps: Iterable[str]) -> list[str]:
    """The printed forms of a dossier whose control sheet holds these steps (actions), in order."""
    done = set(steps)
    return sorted(
        {t.form_code for t in TRANSITIONS if t.form_code and t.action in done} | {CONTROL_SHEET_FORM}
    )


def steps_of_form(form: str) -> list[Action]:
    """The steps that produce this printed form (the control sheet's entry a form prints from)."""
    return sorted({t.action for t in TRANSITIONS if t.form_code == form})
