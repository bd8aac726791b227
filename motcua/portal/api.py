"""Public API: what a resident's app may ask without an account."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from motcua.core.ratelimit import client_key, hit
from motcua.dossiers.schemas import ErrorOut

from .selectors import public_status

router = Router(tags=["Công khai"])


class LookupIn(Schema):
    code: str = Field(..., max_length=60)
    phone_last4: str = Field("", max_length=4)
    secret: str = Field("", max_length=40)


class StepOut(Schema):
    at: dt.datetime
    step: str


class PublicStatusOut(Schema):
    code: str
    state: str
    state_label: str
    procedure_name: str
    due_at: dt.datetime | None
    steps: list[StepOut]


@router.get("/lookup", auth=None, response={200: PublicStatusOut, 404: ErrorOut, 429: ErrorOut},
            summary="Tra cứu hồ sơ bằng mã và 4 số cuối điện thoại")  # fmt: skip
def lookup(request: HttpRequest, params: Query[LookupIn]) -> dict[str, object]:
    hit(purpose="lookup", key=client_key(request))
    d = public_status(code=params.code, phone_last4=params.phone_last4, secret=params.secret)
    return {
        "code": d.code,
        "state": d.state,
        "state_label": d.get_state_display(),
        "procedure_name": d.procedure.name,
        "due_at": d.effective_due_at,
        "steps": [{"at": e.at, "step": e.action} for e in d.steps],
    }
