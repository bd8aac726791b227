from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import StringConstraints

from motcua.core.text import mask_digits


class ErrorOut(Schema):
    code: str
    message: str
    details: list[str] = []


class DossierOut(Schema):
    id: int
    code: str | None
    state: str
    state_label: str
    procedure_code: str
    procedure_name: str
    channel: str
    applicant_name: str
    applicant_phone_masked: str
    department: str | None
    assignee: str | None
    received_at: dt.datetime | None
    due_at: dt.datetime | None
    extended_due_at: dt.datetime | None
    finished_at: dt.datetime | None
    returned_at: dt.datetime | None
    overdue: bool
    assisted_by_volunteer: bool

    @staticmethod
    def build(d: Any, now: dt.datetime) -> dict[str, Any]:
        return {
            "id": d.pk,
            "code": d.code,
            "state": d.state,
            "state_label": d.get_state_display(),
            "procedure_code": d.procedure.code,
            "procedure_name": d.procedure.name,
            "channel": d.channel,
            "applicant_name": d.applicant_name,
            "applicant_phone_masked": mask_digits(d.applicant_phone),
            "department": d.department.name if d.department else None,
            "assignee": d.assignee.display_name if d.assignee else None,
            "received_at": d.received_at,
            "due_at": d.due_at,
            "extended_due_at": d.extended_due_at,
            "finished_at": d.finished_at,
            "returned_at": d.returned_at,
            "overdue": d.is_overdue(now),
            "assisted_by_volunteer": d.assisted_by_volunteer,
        }


class ControlEntryOut(Schema):
    action: str
    from_state: str
    to_state: str
    actor: str
    handed_to: str
    at: dt.datetime
    step_due_at: dt.datetime | None
    previous_step_on_time: bool | None
    note: str


class DossierDetailOut(DossierOut):
    form_data: dict[str, str]
    supplement_items: list[str]
    decision_reason: str
    allowed_actions: list[str]
    control_sheet: list[ControlEntryOut]


# Input bounds (issue 7 §3.8): every string has a length the database column takes, every id
# fits PostgreSQL's integer, lists are short; a NUL or control character is cleaned by the
# services (core.text.clean_text) before anything reaches the database.
_ID = Annotated[int, Field(ge=1, le=2_147_483_647)]
_ITEM = Annotated[str, StringConstraints(max_length=500)]
_FORM_KEY = Annotated[str, StringConstraints(max_length=60)]
_FORM_VALUE = Annotated[str, StringConstraints(max_length=2000)]


class ApplicantIn(Schema):
    name: str = Field(..., max_length=150)
    phone: str = Field(..., max_length=20)
    citizen_id: str = Field("", max_length=20)
    email: str = Field("", max_length=254)
    address: str = Field("", max_length=300)


class IntakeIn(Schema):
    procedure_code: str = Field(..., max_length=40, pattern=r"^[0-9A-Za-z._\-]+$")
    applicant: ApplicantIn
    form_data: dict[_FORM_KEY, _FORM_VALUE] = Field(default_factory=dict, max_length=100)
    checklist_ticked: list[_ID] = Field(default_factory=list, max_length=200)
    outcome: Literal["receive", "supplement", "refuse"]
    missing_items: list[_ITEM] = Field(default_factory=list, max_length=50)
    reason: str = Field("", max_length=2000)


class ActionIn(Schema):
    reason: str = Field("", max_length=2000)
    items: list[_ITEM] = Field(default_factory=list, max_length=50)
    assignee_id: _ID | None = None
    new_due_date: str = Field("", max_length=10, description="dd/mm/yyyy")
    method: Literal["IN_PERSON", "POST", "ONLINE"] = "IN_PERSON"
    result_summary: str = Field("", max_length=2000)
    checklist_ticked: list[_ID] | None = Field(None, max_length=200)
