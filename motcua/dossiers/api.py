"""Staff API for dossiers: the same services as the screens, with bearer-token auth."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from motcua.catalog.selectors import procedure_for_intake
from motcua.core import clock
from motcua.core.text import clean_text
from motcua.org.models import User

from .models import Dossier, State
from .schemas import ActionIn, ControlEntryOut, DossierDetailOut, DossierOut, ErrorOut, IntakeIn
from .selectors import dossier_get_for, dossiers_visible_to
from .services import Applicant, dossier_intake
from .workflow import allowed_transitions, dossier_apply

router = Router(tags=["Hồ sơ"])

_ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class ListFilters(Schema):
    state: State | None = None
    q: str | None = Field(None, max_length=60, description="mã hồ sơ (một phần)")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _detail(d: Dossier, user: User) -> dict[str, Any]:
    now = clock.now()
    out = DossierOut.build(d, now)
    out.update(
        form_data=d.form_data,
        supplement_items=d.supplement_items,
        decision_reason=d.decision_reason,
        allowed_actions=[t.action for t in allowed_transitions(actor=user, dossier=d)],
        control_sheet=[
            ControlEntryOut(
                action=e.action, from_state=e.from_state, to_state=e.to_state, actor=e.actor_label,
                handed_to=e.handed_to_label, at=e.at, step_due_at=e.step_due_at,
                previous_step_on_time=e.previous_step_on_time, note=e.note,
            )
            for e in d.control_entries.all()
        ],
    )  # fmt: skip
    return out


@router.get("", response={200: list[DossierOut], **_ERRORS}, summary="Danh sách hồ sơ")
def list_dossiers(request: HttpRequest, filters: Query[ListFilters]) -> list[dict[str, Any]]:
    qs = dossiers_visible_to(_user(request))
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.q:
        qs = qs.filter(code__icontains=clean_text(filters.q).strip())
    limit, offset = filters.limit, filters.offset
    now = clock.now()
    return [DossierOut.build(d, now) for d in qs.order_by("-created_at", "-id")[offset : offset + limit]]


@router.get("/{int:dossier_id}", response={200: DossierDetailOut, **_ERRORS}, summary="Chi tiết hồ sơ")
def get_dossier(request: HttpRequest, dossier_id: int) -> dict[str, Any]:
    user = _user(request)
    return _detail(dossier_get_for(user=user, pk=dossier_id), user)


@router.post("/intake", response={201: DossierDetailOut, **_ERRORS}, summary="Tiếp nhận hồ sơ tại quầy")
def intake(request: HttpRequest, payload: IntakeIn) -> Status:
    user = _user(request)
    procedure = procedure_for_intake(code=payload.procedure_code)
    dossier = dossier_intake(
        actor=user,
        procedure=procedure,
        applicant=Applicant(**payload.applicant.dict()),
        form_data=payload.form_data,
        checklist_ticked=payload.checklist_ticked,
        outcome=payload.outcome,
        missing_items=payload.missing_items,
        reason=payload.reason,
        now=clock.now(),
    )
    return Status(201, _detail(dossier, user))


@router.post(
    "/{int:dossier_id}/actions/{action}",
    response={200: DossierDetailOut, **_ERRORS},
    summary="Thực hiện một bước xử lý",
)
def apply_action(request: HttpRequest, dossier_id: int, action: str, payload: ActionIn) -> dict[str, Any]:
    user = _user(request)
    dossier = dossier_get_for(user=user, pk=dossier_id)
    data: dict[str, Any] = payload.dict(exclude={"reason"})
    if payload.checklist_ticked is None:
        data.pop("checklist_ticked")
    dossier = dossier_apply(
        dossier=dossier, action=action, actor=user, reason=payload.reason, data=data, now=clock.now()
    )
    return _detail(dossier, user)
