"""The catalogue over JSON.

The list and detail endpoints are public (`auth=None`): the procedure catalogue is the
disclosure the law requires of every commune, the same information as the public pages at
/thu-tuc/. Everything else in the API keeps the default token auth.
"""

from django.http import HttpRequest
from ninja import Query, Router, Schema

from motcua.catalog.formatting import procedure_fee, procedure_time
from motcua.catalog.models import Procedure
from motcua.catalog.selectors import procedure_get, procedure_search

router = Router(tags=["Thủ tục"])


class ErrorOut(Schema):
    code: str
    message: str
    details: list[str]


class ProcedureListParams(Schema):
    q: str = ""
    field: str | None = None
    limit: int = 50


class ProcedureSummaryOut(Schema):
    code: str
    name: str
    field_code: str
    field_name: str
    time_text: str
    fee_vnd: int
    fee_text: str
    online_level: str


class ChecklistItemOut(Schema):
    position: int
    name: str
    form: str
    form_label: str
    quantity: int
    required: bool


class FormFieldOut(Schema):
    key: str
    label: str
    kind: str
    required: bool
    choices: list[str]


class ProcedureDetailOut(ProcedureSummaryOut):
    responsible_kind: str
    responsible_unit: str
    time_unit: str
    time_value: int | None
    time_value_difficult: int | None
    fee_note: str
    online_level_label: str
    legal_basis: str
    result_name: str
    checklist: list[ChecklistItemOut]
    form_fields: list[FormFieldOut]


def _summary(p: Procedure) -> dict[str, object]:
    return {
        "code": p.code,
        "name": p.name,
        "field_code": p.field.code,
        "field_name": p.field.name,
        "time_text": procedure_time(p),
        "fee_vnd": p.fee_vnd,
        "fee_text": procedure_fee(p),
        "online_level": p.online_level,
    }


@router.get("", response=list[ProcedureSummaryOut], auth=None, summary="Tìm thủ tục")
def list_procedures(request: HttpRequest, params: Query[ProcedureListParams]) -> list[dict[str, object]]:
    """Search without diacritics ("chung thuc") on the name, or by code."""
    limit = min(max(params.limit, 1), 200)
    results = procedure_search(query=params.q[:200], field_code=params.field, limit=limit)
    return [_summary(p) for p in results]


@router.get(
    "/{code}", response={200: ProcedureDetailOut, 404: ErrorOut}, auth=None, summary="Chi tiết thủ tục"
)
def get_procedure(request: HttpRequest, code: str) -> dict[str, object]:
    p = procedure_get(code=code)
    return {
        **_summary(p),
        "responsible_kind": p.responsible_kind,
        "responsible_unit": p.get_responsible_kind_display(),
        "time_unit": p.time_unit,
        "time_value": p.time_value,
        "time_value_difficult": p.time_value_difficult,
        "fee_note": p.fee_note,
        "online_level_label": p.get_online_level_display(),
        "legal_basis": p.legal_basis,
        "result_name": p.result_name,
        "checklist": [
            {
                "position": c.position,
                "name": c.name,
                "form": c.form,
                "form_label": c.get_form_display(),
                "quantity": c.quantity,
                "required": c.required,
            }
            for c in p.checklist.all()
        ],
        "form_fields": [
            {
                "key": f.key,
                "label": f.label,
                "kind": f.kind,
                "required": f.required,
                "choices": [c.strip() for c in f.choices.split("|") if c.strip()],
            }
            for f in p.form_fields.all()
        ],
    }
